"""binwatch configuration: one validated pydantic tree loaded from YAML.

This module holds the per-camera part (zones, drop-off schedule, rule parameters). Zones are
normalised polygons (x, y in [0, 1] of the frame) so one config serves main and sub-streams.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

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


class CameraConfig(_Model):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$", description="Stable camera id (lower-case slug).")
    name: str = Field(default="", description="Human-readable name shown in the monitoring center.")
    source: str = Field(min_length=1, description="Video URL (rtsp://, http(s)://, file path or device).")
    analysis_fps: float = Field(default=5.0, gt=0.0, le=30.0, description="Frames per second sent to analysis.")
    zones: Zones = Field(default_factory=Zones)
    schedule: Schedule | None = Field(default=None, description="Drop-off windows; None = no time restriction.")
    rules: RuleParams = Field(default_factory=RuleParams)


def format_validation_error(err: ValidationError) -> str:
    lines = []
    for e in err.errors():
        path = ".".join(str(p) for p in e["loc"]) or "<root>"
        lines.append(f"{path}: {e['msg']}")
    return "\n".join(lines)


def read_yaml(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise ConfigError(f"{path}: cannot read config file ({e.strerror})") from e
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise ConfigError(f"{path}: not valid YAML: {e}") from e


def load_camera_config(path: Path) -> CameraConfig:
    """Load one camera's YAML file; raises ConfigError naming each invalid field."""
    data = read_yaml(path)
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of camera fields, found {type(data).__name__}")
    try:
        return CameraConfig.model_validate(data)
    except ValidationError as e:
        raise ConfigError(f"{path}: invalid camera config:\n{format_validation_error(e)}") from e
