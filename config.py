"""binwatch configuration: one validated pydantic tree loaded from YAML.

city -> communities -> collection points -> cameras (source, zones, schedule, rule parameters).
Zones are normalised polygons (x, y in [0, 1] of the frame) so one config serves main and
sub-streams. A single camera can also live in its own file (what `binwatch sim` writes).
Errors name the YAML path and line; credentials are never printed (redact.py), not even from a line
that does not parse.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PositiveInt,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)  # fmt: skip

from redact import MASK, redact_text, secrets_in

_M = TypeVar("_M", bound=BaseModel)
Point = Annotated[list[Annotated[float, Field(ge=0.0, le=1.0)]], Field(min_length=2, max_length=2)]
Polygon = Annotated[list[Point], Field(min_length=3, description="Normalised (x, y) vertices, 0..1 of the frame.")]


class ConfigError(ValueError):
    """A configuration file is missing, unreadable or invalid; the message names the YAML path."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TimeWindow(_Model):
    start: dt.time = Field(description="Local time the drop-off window opens (HH:MM).")
    end: dt.time = Field(description="Local time the window closes (HH:MM), later than start.")

    @model_validator(mode="after")
    def _ordered(self) -> TimeWindow:
        if self.end <= self.start:
            raise ValueError(f"end {self.end} must be later than start {self.start}")
        return self

    def contains(self, t: dt.time) -> bool:
        return self.start <= t < self.end


class QuietWindow(_Model):
    """A daily span of local time; one whose end is before its start runs past midnight (22:00-07:00)."""

    start: dt.time
    end: dt.time

    def contains(self, t: dt.time) -> bool:
        if self.start <= self.end:
            return self.start <= t < self.end
        return t >= self.start or t < self.end


class ScheduleException(_Model):
    date: dt.date = Field(description="Local date the exception applies to.")
    windows: list[TimeWindow] = Field(default_factory=list, description="Windows that day; empty = no drop-off.")
    note: str = Field(default="", description="Why (holiday, collection cancelled, ...).")


class Schedule(_Model):
    """Fixed-time drop-off (定时定点): garbage may go into the bins only inside these windows."""

    timezone: str = Field(default="Asia/Shanghai", description="IANA time zone of the local clock.")
    windows: list[TimeWindow] = Field(min_length=1, description="Daily drop-off windows.")
    exceptions: list[ScheduleException] = Field(default_factory=list, description="Dates with other windows.")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError) as e:
            raise ValueError(f"unknown IANA time zone {v!r} (expected e.g. 'Asia/Shanghai')") from e
        return v

    def is_open(self, when: dt.datetime) -> bool:
        """Whether disposal is allowed at the aware datetime ``when``."""
        if when.tzinfo is None:
            raise ValueError("is_open needs an aware datetime (with a UTC offset)")
        local = when.astimezone(ZoneInfo(self.timezone))
        windows = next((e.windows for e in self.exceptions if e.date == local.date()), self.windows)
        return any(w.contains(local.time()) for w in windows)


class Zones(_Model):
    bins: list[Polygon] = Field(default_factory=list, description="Where disposal is allowed (the bins and apron).")
    no_dump: list[Polygon] = Field(
        default_factory=list,
        description="Where garbage must not be left; empty = the whole frame outside `bins`.",
    )
    ignore: list[Polygon] = Field(default_factory=list, description="Masked out entirely (roads, screens, trees).")


class RuleParams(_Model):
    dwell_s: float = Field(default=10.0, ge=1.0, le=600.0, description="Seconds garbage must rest before it counts.")
    owner_gone_s: float = Field(
        default=5.0, ge=0.0, le=600.0, description="Seconds the owner must have left the garbage's vicinity."
    )
    overflow_occupancy: float = Field(
        default=0.25,
        gt=0.0,
        le=1.0,
        description="Fraction of a bins zone covered by garbage that is overflow.",
    )
    warn_after_s: float | None = Field(
        default=1.0,
        ge=0.5,
        le=600.0,
        description="Warn on the spot (shout while the person is still in view) once garbage has rested this long "
        "outside the bins; null: never warn, only the confirmed littering is shouted.",
    )
    early_s: float | None = Field(
        default=None,
        ge=0.2,
        le=3.0,
        description="Garbage seen only by the background model (a model without a garbage class, e.g. a COCO one) "
        "may be warned about once it has stood still this long; it counts for an event only once still 3 s. "
        "null: not before 3 s (most people have left the view by then).",
    )


def _network_address_checked(url: str) -> str:
    """An address must split into its parts (else it could not be shown with its credentials redacted); a
    network URL (``scheme://...``, not ``file://``) must name a host, and its port, when given, must be a
    number within 1..65535; anything else (a file path, a device, ``sim:``) passes unchanged. No message
    quotes the value: it may hold a password."""
    try:
        parts = urlsplit(url)
    except ValueError as e:
        raise ValueError(f"not a valid URL ({e}); expected e.g. rtsp://10.0.0.5/ch1 or rtsp://[fe80::1]/ch1") from e
    scheme, sep, _ = url.partition("://")
    if not sep or scheme.lower() == "file":
        return url
    hostport = parts.netloc.rpartition("@")[2]  # never the credentials
    try:
        port = parts.port
    except ValueError:
        port = -1
    if port is not None and not 1 <= port <= 65535:
        raise ValueError(f"the port in {scheme}://{hostport} must be a number within 1..65535")
    if not parts.hostname:
        raise ValueError(f"{scheme}:// names no host; expected e.g. {scheme}://10.0.3.12")
    return url


NetworkUrl = Annotated[str, AfterValidator(_network_address_checked)]


class _SpeakerBase(_Model):
    timeout_s: float = Field(default=5.0, gt=0.0, le=120.0, description="Give up one attempt after this long.")


class _HttpSpeaker(_SpeakerBase):
    url: NetworkUrl = Field(pattern=r"^https?://", description="Device base URL, e.g. http://10.0.3.12 (no path).")
    username: str = Field(default="admin", description="Digest-auth user.")
    password: SecretStr = Field(default=SecretStr(""), description="Digest-auth password (never printed).")
    channel: int = Field(default=1, ge=1, le=64, description="Audio / IO channel of the device.")


class HikvisionSpeakerConfig(_HttpSpeaker):
    """A Hikvision camera or IP speaker through ISAPI."""

    type: Literal["hikvision_isapi"]
    mode: Literal["audio_alarm", "two_way"] = Field(
        default="audio_alarm", description="Play a clip stored on the device, or stream G.711 over two-way audio."
    )
    audio_id: int = Field(default=1, ge=1, description="Stored clip (audioID) for audio_alarm.")
    audio_ids: dict[str, PositiveInt] = Field(
        default_factory=dict,
        description="audio_alarm: the stored clip per message (littering_warning, littering, off_hours, overflow); "
        "a message not listed plays audio_id.",
    )

    @field_validator("audio_ids")
    @classmethod
    def _clips_of_known_messages(cls, v: dict[str, int]) -> dict[str, int]:
        _only_known_messages(v)
        return v

    @model_validator(mode="after")
    def _clips_only_for_audio_alarm(self) -> HikvisionSpeakerConfig:
        given = sorted({"audio_id", "audio_ids"} & self.model_fields_set)
        if self.mode == "two_way" and given:
            raise ValueError(
                f"stored clips ({', '.join(given)}) are for mode audio_alarm; mode two_way speaks each "
                "message itself: remove them or set mode: audio_alarm"
            )
        return self


class DahuaSpeakerConfig(_HttpSpeaker):
    """A Dahua camera through its CGI."""

    type: Literal["dahua_cgi"]
    mode: Literal["siren", "audio"] = Field(default="audio", description="Sound the siren, or post G.711A audio.")
    siren_s: float = Field(default=3.0, gt=0.0, le=60.0, description="How long the siren sounds.")


class WebhookSpeakerConfig(_SpeakerBase):
    """POST the event and its message as JSON to a platform or speaker gateway."""

    type: Literal["http_webhook"]
    url: NetworkUrl = Field(pattern=r"^https?://", description="Where to POST.")
    headers: dict[str, str] = Field(default_factory=dict, description="Extra headers, e.g. an API token.")


class MqttSpeakerConfig(_SpeakerBase):
    """Publish a shout command and wait for the device's acknowledgement."""

    type: Literal["mqtt"]
    host: str = Field(default="127.0.0.1")
    port: int = Field(default=1883, ge=1, le=65535)
    topic: str = Field(min_length=1, description="Command topic, e.g. binwatch/speakers/c01-p1/shout.")
    ack_topic: str = Field(min_length=1, description="Topic the device acknowledges on (same request_id).")
    username: str | None = None
    password: SecretStr | None = None


class LocalSpeakerConfig(_SpeakerBase):
    """Play the message through a command on this host (a speaker in the monitoring room)."""

    type: Literal["local"]
    command: list[str] = Field(
        default_factory=lambda: ["aplay", "-q", "{wav}"], min_length=1, description="argv; {wav} = the audio file."
    )


SpeakerConfig = Annotated[
    HikvisionSpeakerConfig | DahuaSpeakerConfig | WebhookSpeakerConfig | MqttSpeakerConfig | LocalSpeakerConfig,
    Field(discriminator="type"),
]

DEFAULT_MESSAGES = {
    "littering_warning": "您好，垃圾不能放在地上，请您拾起投入垃圾桶内",  # said while the person is still there
    "littering": "您好，请不要乱扔垃圾，垃圾请投入桶内",
    "off_hours": "您好，现在不是投放时间，请在规定时间投放垃圾",
    "overflow": "垃圾桶已满，请勿堆放，工作人员马上处理",
}


class AlertPolicy(_Model):
    """How events turn into shouts: cooldowns, retries, escalation and the words spoken."""

    cooldown_s: float = Field(default=60.0, ge=0.0, description="No second shout per camera and message within this.")
    retries: int = Field(default=3, ge=1, le=10, description="Attempts per action before it is recorded as failed.")
    retry_backoff_s: float = Field(default=1.0, ge=0.0, le=60.0, description="Wait before the 2nd attempt; doubles.")
    escalate_after_s: float = Field(default=300.0, gt=0.0, description="Shout again if the garbage is still there.")
    escalate_max: int = Field(default=2, ge=0, le=10, description="At most this many extra shouts per event.")
    voice: str = Field(default="sit/cmn-latn-pinyin", description="espeak-ng voice for the spoken messages.")
    messages: dict[str, str] = Field(
        default_factory=lambda: dict(DEFAULT_MESSAGES),
        description=f"Words spoken per message ({', '.join(DEFAULT_MESSAGES)}); those not given keep their default.",
    )
    recordings: dict[str, Path] = Field(
        default_factory=dict, description="A recorded WAV per message (same names as messages), instead of TTS."
    )

    @field_validator("messages")
    @classmethod
    def _known_messages(cls, v: dict[str, str]) -> dict[str, str]:
        _only_known_messages(v)
        empty = sorted(k for k, text in v.items() if not text.strip())
        if empty:
            raise ValueError(f"empty message for {', '.join(empty)}: give the words to speak")
        return {**DEFAULT_MESSAGES, **v}

    @field_validator("recordings")
    @classmethod
    def _known_recordings(cls, v: dict[str, Path]) -> dict[str, Path]:
        _only_known_messages(v)
        return v


def message_key(kind: str, warning: bool) -> str:
    """The message said for an event of ``kind``: its on-the-spot warning, or the confirmed event's."""
    return f"{kind}_warning" if warning else kind


def _only_known_messages(v: dict[str, Any]) -> None:
    unknown = sorted(set(v) - set(DEFAULT_MESSAGES))
    if unknown:
        raise ValueError(f"unknown message {', '.join(unknown)}: expected one of {', '.join(DEFAULT_MESSAGES)}")


class RetentionPolicy(_Model):
    """How long evidence is kept, per event kind. Evidence of an open case or under legal hold is never deleted."""

    days: dict[str, int] = Field(
        default_factory=lambda: {"littering": 180, "off_hours": 90, "overflow": 30},
        description="Days to keep each kind's evidence after the event; a kind not listed is kept forever.",
    )

    @field_validator("days")
    @classmethod
    def _positive(cls, v: dict[str, int]) -> dict[str, int]:
        bad = {k: d for k, d in v.items() if d < 1}
        if bad:
            raise ValueError(f"retention must be at least 1 day; got {bad}")
        return v


class CameraConfig(_Model):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$", description="Stable camera id (lower-case slug).")
    name: str = Field(default="", description="Human-readable name shown in the monitoring center.")
    source: NetworkUrl = Field(
        min_length=1,
        description="Video URL (rtsp://, http(s)://, file path, device, or sim:SCENARIO?seed=N for a demo).",
    )
    sub_source: NetworkUrl | None = Field(default=None, description="Lower-resolution sub-stream used for analysis.")
    analysis_fps: float = Field(default=5.0, gt=0.0, le=30.0, description="Frames per second sent to analysis.")
    decoder_threads: int = Field(
        default=1, ge=0, le=16, strict=True,
        description="FFmpeg decoding threads for this camera (0: FFmpeg chooses). One suits a process running many "
        "cameras; a single 4K or H.265 stream may need more to keep up.",
    )  # fmt: skip
    zones: Zones = Field(default_factory=Zones)
    schedule: Schedule | None = Field(default=None, description="Drop-off windows; None = no time restriction.")
    rules: RuleParams = Field(default_factory=RuleParams)
    speaker: SpeakerConfig | None = Field(default=None, description="How this camera's point is shouted at.")

    @field_validator("source")
    @classmethod
    def _known_source(cls, v: str) -> str:
        if v.startswith("sim:"):  # a generated demo camera: the scenario and its parameters must parse
            from sim.source import parse_sim_source

            parse_sim_source(v)
        return v


class PointConfig(_Model):
    """A collection point (投放点): one place with its bins, watched by one or more cameras."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$", description="Stable point id (lower-case slug).")
    name: str = Field(default="", description="Name shown to operators, e.g. '3号楼东侧投放点'.")
    address: str = Field(default="", description="Where officers find it.")
    cameras: list[CameraConfig] = Field(min_length=1, description="Cameras watching this point.")


class CommunityConfig(_Model):
    """A residential community (小区) with its own drop-off schedule."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$", description="Stable community id (lower-case slug).")
    name: str = Field(default="", description="Community name, e.g. '阳光花园'.")
    district: str = Field(default="", description="Street / district it belongs to.")
    schedule: Schedule | None = Field(default=None, description="Drop-off windows for every camera here.")
    quiet_hours: list[QuietWindow] = Field(
        default_factory=list, description="Local times the speakers stay silent, e.g. 22:00-07:00."
    )
    points: list[PointConfig] = Field(min_length=1, description="Collection points of the community.")


class CityConfig(_Model):
    """The whole deployment: every community, point and camera one monitoring center watches."""

    city: str = Field(default="", description="City name shown in reports.")
    timezone: str = Field(default="Asia/Shanghai", description="IANA time zone of reports and schedules.")
    alerts: AlertPolicy = Field(default_factory=AlertPolicy)
    retention: RetentionPolicy = Field(default_factory=RetentionPolicy)
    communities: list[CommunityConfig] = Field(min_length=1)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, v: str) -> str:
        return Schedule._known_zone(v)

    @model_validator(mode="after")
    def _unique_ids(self) -> CityConfig:
        for kind, ids in (
            ("community", [c.id for c in self.communities]),
            ("point", [p.id for c in self.communities for p in c.points]),
            ("camera", [cam.id for c in self.communities for p in c.points for cam in p.cameras]),
        ):
            dupes = sorted({i for i in ids if ids.count(i) > 1})
            if dupes:
                raise ValueError(f"{kind} ids must be unique; repeated: {', '.join(dupes)}")
        return self

    def cameras(self) -> list[tuple[CommunityConfig, PointConfig, CameraConfig]]:
        return [(c, p, cam) for c in self.communities for p in c.points for cam in p.cameras]

    def schedule_for(self, community: CommunityConfig, camera: CameraConfig) -> Schedule | None:
        """A camera's own schedule overrides its community's."""
        return camera.schedule or community.schedule


def _yaml_path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "<root>"


def _line_of(node: yaml.Node | None, loc: tuple[int | str, ...]) -> int | None:
    """1-based line of the YAML node at ``loc`` (or of its nearest existing parent)."""
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            node = next((v for k, v in node.value if k.value == part), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
        else:
            node = None
        if node is None:
            break
        line = node.start_mark.line + 1
    return line


def format_validation_error(
    err: ValidationError, root: yaml.Node | None = None, secrets: frozenset[str] = frozenset()
) -> str:
    """One line per error: its YAML path, line and message (with ``secrets`` and anything secret-shaped
    redacted: a message may quote the value it refused)."""
    lines = []
    for e in err.errors():
        loc = tuple(p for p in e["loc"] if not (isinstance(p, str) and "[" in p))  # drop union-branch tags
        where = _yaml_path(loc)
        line = _line_of(root, loc) if root is not None else None
        lines.append(f"{where}{f' (line {line})' if line else ''}: {redact_text(e['msg'], secrets)}")
    return "\n".join(lines)


# libyaml's parser where PyYAML was built with it (the wheels are): a 1 MB city config parses in well under a
# second, against tens of seconds in pure Python.
_YAML_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as e:
        raise ConfigError(f"{path}: cannot read config file ({e.strerror})") from e
    except UnicodeDecodeError as e:
        raise ConfigError(f"{path}: not UTF-8 text (byte {e.start}); save the config as UTF-8") from e


def _parse_yaml(path: Path, text: str) -> Any:
    try:
        return yaml.load(text, Loader=_YAML_LOADER)
    except yaml.YAMLError as e:
        raise ConfigError(f"{path}: not valid YAML: {yaml_problem(e)}") from e


# A token PyYAML quotes from the text ("found undefined alias 'x'": an unquoted password that starts
# with *); its placeholders ('<stream end>') and single characters ('\\t', '@') say what is wrong.
_YAML_TOKEN = re.compile(r"(?<![^\s(])'(?![<\\])[^'\n]{2,}'(?=[\s,;:)]|$)")


def yaml_problem(err: yaml.YAMLError) -> str:
    """What is wrong with a YAML text and where (line, column), without quoting the text: the offending
    line may hold a password, and a file that does not parse cannot say which of its values are secret."""
    if not isinstance(err, yaml.MarkedYAMLError):
        return redact_text(str(err))
    parts = []
    if err.context:
        at = f" (line {err.context_mark.line + 1}, column {err.context_mark.column + 1})" if err.context_mark else ""
        parts.append(f"{err.context}{at}")
    if err.problem:
        at = f" at line {err.problem_mark.line + 1}, column {err.problem_mark.column + 1}" if err.problem_mark else ""
        parts.append(f"{err.problem}{at}")
    return redact_text(_YAML_TOKEN.sub(f"'{MASK}'", "; ".join(parts) or type(err).__name__))


def read_yaml(path: Path) -> Any:
    """The parsed YAML of ``path``; ConfigError when it cannot be read or is not YAML."""
    return _parse_yaml(path, _read_text(path))


def _validate(path: Path, text: str, data: Any, model: type[_M], what: str) -> _M:
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of {what} fields, found {type(data).__name__}")
    try:
        return model.model_validate(data)
    except ValidationError as e:
        n = e.error_count()
        root = yaml.compose(text, Loader=_YAML_LOADER)  # the node tree, for line numbers: only when needed
        listing = format_validation_error(e, root, secrets_in(data))
        raise ConfigError(f"{path}: {n} error{'s' if n > 1 else ''} in {what} config:\n{listing}") from e


def _load(path: Path, model: type[_M], what: str) -> _M:
    text = _read_text(path)
    return _validate(path, text, _parse_yaml(path, text), model, what)


def load_config(path: Path) -> CityConfig | CameraConfig:
    """A city config (a mapping with ``communities``) or a single camera's, read and parsed once."""
    text = _read_text(path)
    data = _parse_yaml(path, text)
    if isinstance(data, dict) and "communities" in data:
        return _validate(path, text, data, CityConfig, "city")
    return _validate(path, text, data, CameraConfig, "camera")


def load_camera_config(path: Path) -> CameraConfig:
    """Load one camera's YAML file; raises ConfigError naming each invalid field."""
    return _load(path, CameraConfig, "camera")


def load_city_config(path: Path) -> CityConfig:
    """Load a deployment's YAML file; raises ConfigError naming each invalid field with its path and line."""
    return _load(path, CityConfig, "city")
