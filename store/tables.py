"""The tables of binwatch's records. Times are stored as aware UTC datetimes."""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Aware UTC datetimes on every backend (SQLite keeps no time zone: naive values read back as UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"times must be timezone-aware; got {value!r}")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dt.datetime: UTCDateTime(),
        dict[str, Any]: JSON,
        list[float]: JSON,
    }


class Community(Base):
    __tablename__ = "communities"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    district: Mapped[str] = mapped_column(String(200), default="")


class Point(Base):
    __tablename__ = "points"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    community_id: Mapped[str] = mapped_column(ForeignKey("communities.id"))
    name: Mapped[str] = mapped_column(String(200), default="")
    address: Mapped[str] = mapped_column(String(400), default="")


class Camera(Base):
    __tablename__ = "cameras"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    point_id: Mapped[str] = mapped_column(ForeignKey("points.id"))
    name: Mapped[str] = mapped_column(String(200), default="")
    source_redacted: Mapped[str] = mapped_column(String(1000), default="")


class EventRow(Base):
    __tablename__ = "events"
    event_id: Mapped[str] = mapped_column(String(160), primary_key=True)
    camera_id: Mapped[str] = mapped_column(String(64), index=True)
    community_id: Mapped[str] = mapped_column(String(64), default="", index=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    state: Mapped[str] = mapped_column(String(16))  # start / update / end (the lifecycle)
    status: Mapped[str] = mapped_column(String(32), default="new", index=True)  # the officers' workflow
    priority: Mapped[int] = mapped_column(Integer, default=0)
    t_s: Mapped[float] = mapped_column(Float)
    t_start_s: Mapped[float] = mapped_column(Float)
    wall: Mapped[dt.datetime] = mapped_column(index=True)
    updated: Mapped[dt.datetime] = mapped_column(default=utcnow)
    bbox: Mapped[list[float]]
    score: Mapped[float] = mapped_column(Float)
    zone: Mapped[str] = mapped_column(String(64), default="")
    owner_track: Mapped[int | None] = mapped_column(Integer, nullable=True)
    shouts: Mapped[int] = mapped_column(Integer, default=0)
    legal_hold: Mapped[bool] = mapped_column(Boolean, default=False)  # evidence never deleted while set


class WarningRow(Base):
    """An on-the-spot warning (现场喊话) said before any violation was confirmed; its id is the id of the
    littering event confirmed later for the same garbage, if one is."""

    __tablename__ = "warnings"
    event_id: Mapped[str] = mapped_column(String(160), primary_key=True)
    camera_id: Mapped[str] = mapped_column(String(64), index=True)
    community_id: Mapped[str] = mapped_column(String(64), default="", index=True)
    kind: Mapped[str] = mapped_column(String(32))
    t_s: Mapped[float] = mapped_column(Float)
    t_start_s: Mapped[float] = mapped_column(Float)
    wall: Mapped[dt.datetime] = mapped_column(index=True)
    bbox: Mapped[list[float]]
    score: Mapped[float] = mapped_column(Float)
    zone: Mapped[str] = mapped_column(String(64), default="")


class EvidenceFileRow(Base):
    __tablename__ = "evidence_files"
    __table_args__ = (UniqueConstraint("event_id", "name"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(ForeignKey("events.event_id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    sm3: Mapped[str] = mapped_column(String(64))


class ActionAttempt(Base):
    __tablename__ = "action_attempts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(160), index=True)
    action: Mapped[str] = mapped_column(String(32))  # shout / evidence / record / notify
    backend: Mapped[str] = mapped_column(String(64), default="")
    attempt: Mapped[int] = mapped_column(Integer)
    started: Mapped[dt.datetime]
    finished: Mapped[dt.datetime]
    outcome: Mapped[str] = mapped_column(String(16))  # ok / failed / skipped
    detail: Mapped[str] = mapped_column(Text, default="")  # the error, or what the device acknowledged


class Review(Base):
    __tablename__ = "reviews"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(ForeignKey("events.event_id"), index=True)
    username: Mapped[str] = mapped_column(String(64))
    verdict: Mapped[str] = mapped_column(String(16))  # confirmed / dismissed
    reason: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Case(Base):
    __tablename__ = "cases"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    status: Mapped[str] = mapped_column(String(32), default="handed_over")  # handed_over / rectified / closed
    notes: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(64))
    created: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated: Mapped[dt.datetime] = mapped_column(default=utcnow)


class CaseEvent(Base):
    __tablename__ = "case_events"
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    event_id: Mapped[str] = mapped_column(ForeignKey("events.event_id"), primary_key=True)


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))  # operator / officer / admin
    password_hash: Mapped[str] = mapped_column(String(200))
    created: Mapped[dt.datetime] = mapped_column(default=utcnow)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)  # no login, no token works while set


class AuditLog(Base):
    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_target", "target"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    username: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    target: Mapped[str] = mapped_column(String(200))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)


class AuthToken(Base):
    """A login session (cookie, with its CSRF token) or an API bearer token; only the SHA-256 is stored."""

    __tablename__ = "auth_tokens"
    token_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # session / api
    csrf: Mapped[str] = mapped_column(String(64), default="")
    created: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires: Mapped[dt.datetime]
    last_used: Mapped[dt.datetime | None] = mapped_column(nullable=True)  # to within repo.TOUCH_EVERY


class LoginFailure(Base):
    """A refused login (wrong password, unknown or disabled user): what login throttling counts, per
    user name and per client address, over a sliding window. Rows older than the window are deleted."""

    __tablename__ = "login_failures"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(index=True)
    username: Mapped[str] = mapped_column(String(64), index=True)  # as typed, even if no such user
    address: Mapped[str] = mapped_column(String(64), index=True)  # the client's IP address
