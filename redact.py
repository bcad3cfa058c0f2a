"""Redaction: the one place that decides what of a URL or a text may be shown.

Everything that leaves binwatch as text (log lines, API fields, action attempts stored in the
database, command-line output, config errors) passes through here, so that a credential given in
the config is shown as ``***``. Secrets are found two ways:

* by their shape: a URL's userinfo (``rtsp://***@host``), the value of a password-like parameter
  (``password``, ``pwd``, ``passwd``, ``token``, ``key``, ``secret``, ``auth`` and names built on
  them, such as ``api_key`` or ``accessToken``) in a query, in a path (``/user=admin&password=***``)
  or in free text (``password=***``, ``password: ***``, ``"token": ***``), and an Authorization
  header's credentials;
* by their value: secrets known from the config (a speaker's password, a webhook header) are
  removed wherever they appear, as given or percent-encoded. A known secret shorter than
  MIN_KNOWN_SECRET characters is left to the shape rules (replacing every "12" would garble the text).

``install_redaction`` puts the same redaction on every log record of the process and on uncaught
tracebacks, so no log line can bypass it. Everything else here is pure.
"""

from __future__ import annotations

import functools
import logging
import re
import sys
import threading
import traceback
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Protocol, runtime_checkable
from urllib.parse import quote, quote_plus, unquote, urlsplit

MASK = "***"
UNPARSEABLE = "<unparseable URL>"
MIN_KNOWN_SECRET = 4
SECRET_WORDS = frozenset({
    "password", "passwd", "pwd", "pass", "passphrase", "token", "key", "apikey", "secret", "auth",
    "authorization", "credential", "credentials", "signature", "sig",
})  # fmt: skip
# A name that ends with one of these is secret too: accessToken, userpassword, authtoken, clientsecret.
_SECRET_ENDINGS = ("password", "passwd", "pwd", "token", "secret", "apikey")
_AUTH_SCHEMES = ("bearer", "basic", "digest", "token", "negotiate")

_URL = re.compile(r"(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]{0,15}://[^\s'\"<>`]+")
# Authorization: <anything to the end of the line>, and a bearer token anywhere
_AUTH_HEADER = re.compile(r"(?i)(?P<name>\b(?:proxy-)?authorization\b[\"']?\s*[:=]\s*)(?P<value>[^\r\n]*)")
_BEARER = re.compile(r"(?i)(?P<name>\bbearer\s+)(?P<value>[A-Za-z0-9._~+/=-]{8,})")
_QUOTED = r"\"(?:[^\"\\\n]|\\.)*\"|'[^'\n]*'"


@dataclass(frozen=True)
class _Pairs:
    """``name<separator>value`` pairs of one syntax: ``names`` finds a name with its separator, ``value``
    the value that follows. Only a password-like name's value is taken, so a harmless pair never hides
    the pair after it."""

    names: re.Pattern[str]
    value: re.Pattern[str]

    def secret_values(self, text: str) -> Iterator[re.Match[str]]:
        end = 0
        for m in self.names.finditer(text):
            if m.start() < end or not is_secret_name(m["name"]):
                continue
            value = self.value.match(text, m.end())
            bare = value.group().strip("\"'") if value else ""
            if value is not None and bare and not bare.startswith(MASK):
                end = value.end()
                yield value

    def mask(self, text: str) -> str:
        out, pos = [], 0
        for value in self.secret_values(text):
            quoted = value.group()[0] in "\"'" and len(value.group()) > 1 and value.group()[-1] == value.group()[0]
            q = value.group()[0] if quoted else ""
            out += [text[pos : value.start()], f"{q}{MASK}{q}"]
            pos = value.end()
        return "".join([*out, text[pos:]])


# name=value in a URL's path, query or fragment (the value runs to the next parameter)
_URL_PAIRS = _Pairs(re.compile(r"(?<=[/?&;#])(?P<name>[^=&;/?#\s]{1,64})="), re.compile(r"[^&;#\s]*"))
# name=value in free text (the value runs to a separator)
_EQUALS_PAIRS = _Pairs(
    re.compile(r"(?<![\w.-])(?P<name>[\w.-]{1,64})\s*=\s*"), re.compile(_QUOTED + r"|[^\s,;&'\"<>)\]}]+")
)
# name: value (YAML: the value runs to the end of the line) and "name": value (JSON, a dict's repr)
_COLON_PAIRS = _Pairs(
    re.compile(r"(?<![\w.-])(?P<name>\"[\w. -]{1,64}\"|'[\w. -]{1,64}'|[\w.-]{1,64})\s*:(?:[ \t]+|(?=[\"']))"),
    re.compile(_QUOTED + r"|[^\r\n]+"),
)


@functools.lru_cache(maxsize=4096)
def is_secret_name(name: str) -> bool:
    """Whether a parameter, key or header called ``name`` holds a secret (password, api_key, X-Auth-Token...)."""
    lowered = unquote(name).strip("\"' ").lower()
    words = [w for w in re.split(r"[^a-z0-9]+", lowered) if w]
    return any(w in SECRET_WORDS for w in words) or "".join(words).endswith(_SECRET_ENDINGS)


def redact_url(url: str) -> str:
    """``url`` with its userinfo and the values of password-like parameters replaced by ***.

    Anything else is kept as written (file paths and ``sim:`` sources pass unchanged); a URL that
    cannot be parsed is shown as <unparseable URL>.
    """
    try:
        netloc = urlsplit(url).netloc
    except ValueError:
        return UNPARSEABLE
    if "@" in netloc:
        userinfo = netloc.rpartition("@")[0]
        url = url.replace(f"{userinfo}@", f"{MASK}@", 1)
    return _URL_PAIRS.mask(url)


def url_secrets(url: str) -> frozenset[str]:
    """The secrets a URL carries: its userinfo password and its password-like parameter values."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return frozenset()
    found = {m.group() for m in _URL_PAIRS.secret_values(url)}
    if parts.password:
        found |= {parts.password, unquote(parts.password)}
    return frozenset(v for v in found if v)


def secrets_in(data: object) -> frozenset[str]:
    """Every secret in a config-like tree (dicts, lists, pydantic models, SecretStr): the values of
    password-like keys and what URLs inside it carry. For ``redact_text(..., secrets=...)``."""
    found: set[str] = set()
    _collect(data, found)
    return frozenset(s for s in found if s)


def redact_text(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` (an error message, a log line, an HTTP body...) with every secret replaced by ***:
    the ``secrets`` given, wherever they appear, then URLs, Authorization values and password-like
    ``name=value`` / ``name: value`` pairs."""
    text = _remove_known(text, secrets)
    text = _URL.sub(_redact_url_in_text, text)
    text = _AUTH_HEADER.sub(lambda m: f"{m['name']}{MASK}" if m["value"].strip() else m.group(), text)
    text = _BEARER.sub(lambda m: f"{m['name']}{MASK}", text)
    text = _EQUALS_PAIRS.mask(text)
    return _COLON_PAIRS.mask(text)


def _redact_url_in_text(m: re.Match[str]) -> str:
    """A URL found in text; punctuation that ends the sentence around it is not part of it."""
    url = m.group()
    core = url.rstrip(".,:;)]}")
    return redact_url(core) + url[len(core) :]


def _remove_known(text: str, secrets: Iterable[str]) -> str:
    pattern = _known_pattern(frozenset(secrets))
    return pattern.sub(MASK, text) if pattern is not None else text


@functools.lru_cache(maxsize=64)
def _known_pattern(secrets: frozenset[str]) -> re.Pattern[str] | None:
    """One pattern for every form of the known secrets, longest first (a city has a password per camera)."""
    forms = {f for s in secrets if len(s) >= MIN_KNOWN_SECRET for f in (s, quote(s, safe=""), quote_plus(s))}
    return re.compile("|".join(map(re.escape, sorted(forms, key=len, reverse=True)))) if forms else None


@runtime_checkable
class _Secret(Protocol):  # pydantic's SecretStr and SecretBytes
    def get_secret_value(self) -> object: ...


@runtime_checkable
class _Model(Protocol):  # a pydantic model (model_dump keeps SecretStr fields as such)
    def model_dump(self) -> dict[str, Any]: ...


def _collect(data: object, found: set[str], secret: bool = False) -> None:
    if isinstance(data, _Secret):
        _collect(data.get_secret_value(), found, True)
    elif isinstance(data, _Model):
        _collect(data.model_dump(), found, secret)
    elif isinstance(data, Mapping):
        for k, v in data.items():
            _collect(v, found, secret or (isinstance(k, str) and is_secret_name(k)))
    elif isinstance(data, list | tuple | set | frozenset):
        for v in data:
            _collect(v, found, secret)
    elif isinstance(data, str | bytes):
        text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
        if secret:
            found.add(text)
            scheme, _, credentials = text.strip().partition(" ")  # "Bearer abc": abc alone is secret too
            if scheme.lower() in _AUTH_SCHEMES and credentials.strip():
                found.add(credentials.strip())
        for m in _URL.finditer(text):
            found |= url_secrets(m.group())


# ---- the process's edges: log records and uncaught tracebacks -----------------------------------

_install_lock = threading.Lock()
_known: frozenset[str] = frozenset()
_installed = False


def install_redaction(secrets: Iterable[str] = ()) -> None:
    """Redact every log record made in this process from now on (message, arguments, traceback) and
    every uncaught traceback, with ``secrets`` known by value. Installed once; later calls add secrets."""
    global _known, _installed
    with _install_lock:
        _known = _known | {s for s in secrets if s}
        if _installed:
            return
        _installed = True
        base = logging.getLogRecordFactory()

        def make_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = base(*args, **kwargs)
            redact_record(record, _known)
            return record

        logging.setLogRecordFactory(make_record)
        sys.excepthook = _redacting_excepthook
        threading.excepthook = _redacting_thread_excepthook


def known_secrets() -> frozenset[str]:
    """The secrets given to install_redaction so far (for edges that redact text themselves)."""
    return _known


def redact_record(record: logging.LogRecord, secrets: Iterable[str] = ()) -> None:
    """Redact one log record in place: its message, its traceback and stack.

    The arguments are kept apart from the message (formatters such as uvicorn's access log read them)
    when redacting each argument that holds a secret leaves a clean message; otherwise (a secret split
    between the message and its arguments, or a message that does not format) the record carries the
    redacted message alone."""
    known = frozenset(secrets)
    if record.args:
        _redact_message_and_args(record, known)
    else:
        record.msg = redact_text(str(record.msg), known)
    if record.exc_info and record.exc_info[1] is not None and not record.exc_text:
        record.exc_text = redact_text(logging.Formatter().formatException(record.exc_info), known)
    if record.stack_info:
        record.stack_info = redact_text(record.stack_info, known)


def _redact_message_and_args(record: logging.LogRecord, known: frozenset[str]) -> None:
    args = record.args
    kept: tuple[object, ...] | dict[str, object]
    if isinstance(args, Mapping):
        kept = {k: _redact_arg(v, known) for k, v in args.items()}
    else:
        kept = tuple(_redact_arg(a, known) for a in args or ())
    try:
        message = str(record.msg) % kept
    except (TypeError, ValueError, KeyError):  # logging would report the bad format, quoting the arguments
        record.msg, record.args = redact_text(f"{record.msg} (arguments: {args!r})", known), None
        return
    shown = redact_text(message, known)
    if shown == message:
        record.msg, record.args = str(record.msg), kept
    else:
        record.msg, record.args = shown, None


def _redact_arg(arg: object, known: frozenset[str]) -> object:
    if arg is None or isinstance(arg, bool | int | float):
        return arg
    shown = str(arg)
    redacted = redact_text(shown, known)
    return arg if redacted == shown else redacted


def _redacting_excepthook(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
    sys.stderr.write(redact_text("".join(traceback.format_exception(kind, value, tb)), _known))


def _redacting_thread_excepthook(args: threading.ExceptHookArgs) -> None:
    if args.exc_value is None or args.exc_type is SystemExit:
        return
    name = args.thread.name if args.thread is not None else "?"
    lines = traceback.format_exception(args.exc_type, args.exc_value, args.exc_traceback)
    sys.stderr.write(redact_text(f"Exception in thread {name}:\n{''.join(lines)}", _known))
