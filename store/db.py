"""Opening the database: SQLite by default (WAL), PostgreSQL by URL; the schema comes from Alembic migrations."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from redact import redact_text, redact_url, url_secrets

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


class StoreError(RuntimeError):
    """The database cannot be opened or migrated; the message names the URL (without password)."""


def database_url(data_dir: Path) -> str:
    """BINWATCH_DB_URL if set, else an SQLite file in the data directory."""
    return os.environ.get("BINWATCH_DB_URL") or f"sqlite:///{(data_dir / 'binwatch.db').resolve()}"


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")  # readers (the API) never block the writer (the pipelines)
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=5000")
    cur.close()


@dataclass(frozen=True)
class Pool:
    """An engine's connections: `size` kept open, up to `overflow` more opened when all are in use, and
    how long a checkout waits for one before it fails (sqlalchemy.exc.TimeoutError)."""

    size: int = 5
    overflow: int = 10
    timeout_s: float = 30.0

    def __post_init__(self) -> None:
        if self.size < 1 or self.overflow < 0 or not self.timeout_s > 0:
            raise ValueError(f"a pool needs size >= 1, overflow >= 0 and timeout_s > 0; got {self}")


def open_database(url: str) -> Engine:
    """An engine (SQLAlchemy's default pool) with the schema migrated to the newest revision."""
    engine = connect(url)
    migrate(engine)
    return engine


def connect(url: str, pool: Pool = Pool()) -> Engine:
    """An engine on a database that open_database has migrated (a second pool on the same records)."""
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    try:  # pre-ping: a server may have dropped a pooled connection; an SQLite file cannot
        engine = create_engine(
            url, pool_pre_ping=not url.startswith("sqlite"), pool_size=pool.size, max_overflow=pool.overflow,
            pool_timeout=pool.timeout_s,
        )  # fmt: skip
    except (SQLAlchemyError, ImportError, ValueError) as e:
        raise StoreError(f"cannot use database {redact_url(url)}: {redact_text(str(e), url_secrets(url))}") from e
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def migrate(engine: Engine, revision: str = "head") -> None:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    try:
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)
    except SQLAlchemyError as e:
        url = engine.url.render_as_string(hide_password=False)
        raise StoreError(
            f"cannot open or migrate database {redact_url(url)}: "
            f"{e.__class__.__name__}: {redact_text(str(e), url_secrets(url))}"
        ) from e


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session committed on success and rolled back on error."""
    # Session, not sessionmaker(...)(): a sessionmaker makes a new Session class each time, which cost
    # 0.3 ms per session here, a tenth of an API request.
    with Session(engine, expire_on_commit=False) as s, s.begin():
        yield s
