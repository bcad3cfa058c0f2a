"""Redaction: every URL and text form a secret takes in binwatch, and the forms that must stay as they are."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from pydantic import SecretStr

from redact import (
    MASK,
    UNPARSEABLE,
    is_secret_name,
    redact_record,
    redact_text,
    redact_url,
    secrets_in,
    url_secrets,
)


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        # userinfo
        ("rtsp://admin:pw@10.0.0.5:554/ch1", "rtsp://***@10.0.0.5:554/ch1"),
        ("rtsp://admin@10.0.0.5/ch1", "rtsp://***@10.0.0.5/ch1"),
        ("rtsp://admin:p@ss@host/x", "rtsp://***@host/x"),  # an unescaped @ in the password
        ("rtsp://admin:p%40ss@[fe80::1]:554/x", "rtsp://***@[fe80::1]:554/x"),
        ("postgresql+psycopg://binwatch:s3cret@127.0.0.1:5432/db", "postgresql+psycopg://***@127.0.0.1:5432/db"),
        # password-like query parameters, in any case and spelling
        ("rtsp://host/path?user=a&password=b", "rtsp://host/path?user=a&password=***"),
        ("rtsp://host/live?user=admin&pwd=b&channel=1", "rtsp://host/live?user=admin&pwd=***&channel=1"),
        ("http://h/?passwd=x;channel=2", "http://h/?passwd=***;channel=2"),
        ("http://u:p@h/hook?token=abc#top", "http://***@h/hook?token=***#top"),
        ("https://h/api?key=k1&secret=s1&auth=a1", "https://h/api?key=***&secret=***&auth=***"),
        ("http://h/?access_token=x&api_key=y&apiKey=z&X-Amz-Signature=q", "http://h/?access_token=***&api_key=***&apiKey=***&X-Amz-Signature=***"),
        ("http://h/?Password=x&PWD=y", "http://h/?Password=***&PWD=***"),
        ("http://h/?pass%77ord=x", "http://h/?pass%77ord=***"),
        ("http://h/cb#access_token=x&state=1", "http://h/cb#access_token=***&state=1"),
        ("http://h/?token=a/b+c==&n=1", "http://h/?token=***&n=1"),
        # credentials in the path (Xiongmai-style RTSP)
        ("rtsp://10.0.0.9:554/user=admin&password=123456&channel=1&stream=0.sdp?",
         "rtsp://10.0.0.9:554/user=admin&password=***&channel=1&stream=0.sdp?"),
        ("rtsp://h/user=admin/password=x/ch1", "rtsp://h/user=admin/password=***"),  # to the next parameter
        # unchanged
        ("rtsp://10.0.0.5/ch1", "rtsp://10.0.0.5/ch1"),
        ("rtsp://10.0.0.5:554/cam/realmonitor?channel=1&subtype=0", "rtsp://10.0.0.5:554/cam/realmonitor?channel=1&subtype=0"),
        ("http://h/?keyframe=1&monkey=2&user=admin&token=", "http://h/?keyframe=1&monkey=2&user=admin&token="),
        ("clips/a.mp4", "clips/a.mp4"),
        ("/data/clips/camera 1.mp4", "/data/clips/camera 1.mp4"),
        ("file:///data/a.mp4", "file:///data/a.mp4"),
        ("sim:littering?seed=3", "sim:littering?seed=3"),
        ("/dev/video0", "/dev/video0"),
        ("sqlite:////data/binwatch.db", "sqlite:////data/binwatch.db"),
        ("http://[::1", UNPARSEABLE),
    ],
)  # fmt: skip
def test_redact_url(url: str, shown: str) -> None:
    assert redact_url(url) == shown
    assert redact_url(shown) == shown  # redacting twice changes nothing


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        # URLs inside error messages (what httpx, PyAV and SQLAlchemy say), with the punctuation around them
        ("SpeakerError: http_webhook http://hook:pw@127.0.0.1:5/hook?token=t1: HTTP 500: the device reported an error",
         "SpeakerError: http_webhook http://***@127.0.0.1:5/hook?token=***: HTTP 500: the device reported an error"),
        ("[Errno 111] Connection refused: 'rtsp://127.0.0.1:9/s?user=a&password=p1'",
         "[Errno 111] Connection refused: 'rtsp://127.0.0.1:9/s?user=a&password=***'"),
        ('open "rtsp://a:b@h/x" failed (see rtsp://u:v@h2/y).', 'open "rtsp://***@h/x" failed (see rtsp://***@h2/y).'),
        # password-like names in free text: kwargs, JSON, YAML, headers
        ("password='hunter2', user='x'", "password='***', user='x'"),
        ('{"password": "hunter2", "user": "x"}', '{"password": "***", "user": "x"}'),
        ("{'api_key': 'k-123', 'n': 1}", "{'api_key': '***', 'n': 1}"),
        ("    password: hunter2 with spaces", "    password: ***"),
        ("headers: {X-Token: t0k3n}", "headers: {X-Token: ***"),
        ("token=abc&next=/", "token=***&next=/"),
        ("user: admin, password: pw two", "user: admin, password: ***"),  # a harmless pair hides nothing
        ("Authorization: Bearer abcdefghijkl", "Authorization: ***"),
        ('Authorization: Digest username="admin", response="6629fae4"', "Authorization: ***"),
        ("sent with bearer eyJhbGciOiJIUzI1NiJ9.e30.x here", "sent with bearer *** here"),
        # unchanged: messages that talk about passwords without holding one
        ("wrong user name or password (digest auth refused)", "wrong user name or password (digest auth refused)"),
        ("HTTP 401: wrong user name or password", "HTTP 401: wrong user name or password"),
        ("password must be at least 12 characters; got 3", "password must be at least 12 characters; got 3"),
        ("rtsp://***@10.0.0.5:554/ch1 closed the stream", "rtsp://***@10.0.0.5:554/ch1 closed the stream"),
        ('connection to server at "127.0.0.1", port 1 failed', 'connection to server at "127.0.0.1", port 1 failed'),
        ("rules: {dwell_s: 10, owner_gone_s: 5}", "rules: {dwell_s: 10, owner_gone_s: 5}"),
        ("key frame at 3.0 s; host:554", "key frame at 3.0 s; host:554"),
        ("token=", "token="),
        ("", ""),
    ],
)  # fmt: skip
def test_redact_text(text: str, shown: str) -> None:
    assert redact_text(text) == shown
    assert redact_text(shown) == shown


def test_known_secrets_are_removed_wherever_they_appear() -> None:
    secret = "p@ss w/rd!"
    text = f"device said: bad login {secret}; url-encoded {quote(secret, safe='')}; form p%40ss+w%2Frd%21"
    shown = redact_text(text, [secret, "12", ""])
    assert secret not in shown and quote(secret, safe="") not in shown and "p%40ss+w%2Frd%21" not in shown
    assert shown.count(MASK) == 3
    assert redact_text("channel 12 of 12", ["12"]) == "channel 12 of 12"  # too short to find by value


@pytest.mark.parametrize(
    ("name", "secret"),
    [("password", True), ("PWD", True), ("passwd", True), ("token", True), ("key", True), ("secret", True),
     ("auth", True), ("api_key", True), ("X-Auth-Token", True), ("accessToken", True), ("client_secret", True),
     ("Authorization", True), ("pass%77ord", True), ('"password"', True),
     ("user", False), ("channel", False), ("subtype", False), ("keyframe", False), ("seed", False),
     ("author", False), ("passage", False), ("monkey", False)],
)  # fmt: skip
def test_secret_names(name: str, secret: bool) -> None:
    assert is_secret_name(name) is secret


def test_secrets_are_collected_from_a_config_tree() -> None:
    tree = {
        "source": "rtsp://admin:pw1@h/x?user=a&password=pw2",
        "speaker": {"password": SecretStr("pw3"), "url": "http://h/hook?token=pw4",
                    "headers": {"Authorization": "Bearer pw5", "X-Trace": "not-secret"}},
        "cameras": [{"sub_source": "rtsp://h/y?pwd=pw6"}, {"password": SecretStr("")}],
    }  # fmt: skip
    assert secrets_in(tree) == {"pw1", "pw2", "pw3", "pw4", "Bearer pw5", "pw5", "pw6"}
    assert url_secrets("rtsp://a:b%40c@h/x?password=q&channel=1") == {"b%40c", "b@c", "q"}
    assert url_secrets("sim:littering?seed=3") == frozenset()


def test_a_log_record_is_redacted_in_message_arguments_and_traceback() -> None:
    try:
        raise RuntimeError("cannot open rtsp://admin:pw-in-trace@h/x")
    except RuntimeError:
        args = ("http://h/?token=pw-in-arg", {"password": "pw-in-dict"}, 3)
        record = logging.LogRecord(
            "binwatch.test", logging.WARNING, __file__, 1, "%s failed: %r (%d)", args, sys.exc_info()
        )
    redact_record(record, ["known-secret"])
    text = logging.Formatter().format(record)
    assert "pw-in" not in text, text
    assert "http://h/?token=***" in text and "'password': '***'" in text and "(3)" in text
    assert "RuntimeError: cannot open rtsp://***@h/x" in text


@pytest.mark.parametrize(
    ("msg", "args", "shown", "kept_args"),
    [
        # an access log line: the formatter reads the arguments, so they stay apart (redacted)
        ('%s - "%s %s HTTP/%s" %d', ("127.0.0.1:5", "GET", "/login?token=pw-q&next=/", "1.1", 200),
         '127.0.0.1:5 - "GET /login?token=***&next=/ HTTP/1.1" 200', True),
        ("token=%s", ("pw-split",), "token=***", False),  # the secret's name in the message, its value an argument
        ("%(url)s is down", ({"url": "rtsp://u:pw-map@h/x"},), "rtsp://***@h/x is down", True),
        ("%d cameras", ("pw-bad-format rtsp://u:pw-bad@h/",), "%d cameras (arguments: ('pw-bad-format rtsp://***@h/',))",
         False),
    ],
)  # fmt: skip
def test_log_arguments_are_kept_apart_only_when_that_leaves_the_message_clean(
    msg: str, args: Any, shown: str, kept_args: bool
) -> None:
    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, msg, args, None)
    redact_record(record)
    assert record.getMessage() == shown
    assert bool(record.args) is kept_args


def test_installed_redaction_covers_every_logger_and_uncaught_tracebacks() -> None:
    program = """
import logging, threading
from redact import install_redaction
logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
install_redaction(["known-value-1"])
logging.getLogger("httpx").info("HTTP Request: POST %s", "http://u:pw-a@h/hook?token=pw-b")
logging.getLogger("uvicorn.error").warning("known-value-1 seen")
t = threading.Thread(target=lambda: (_ for _ in ()).throw(ValueError("rtsp://h/x?password=pw-c")))
t.start(); t.join()
raise RuntimeError("database postgresql://u:pw-d@h/db is down")
"""
    repo = Path(__file__).resolve().parent.parent
    run = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=60, cwd=repo)
    assert run.returncode == 1
    assert "httpx: HTTP Request: POST http://***@h/hook?token=***" in run.stderr
    assert "uvicorn.error: *** seen" in run.stderr
    assert "ValueError: rtsp://h/x?password=***" in run.stderr
    assert "RuntimeError: database postgresql://***@h/db is down" in run.stderr
    assert "pw-" not in run.stderr and "known-value-1" not in run.stderr, run.stderr
