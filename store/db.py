"""Opening the database: SQLite by default (WAL), PostgreSQL by URL; the schema comes from Alembic migrations."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

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


def open_database(url: str) -> Engine:
    """An engine with the schema migrated to the newest revision."""
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    try:
        engine = create_engine(url, pool_pre_ping=True)
    except (SQLAlchemyError, ImportError, ValueError) as e:
        raise StoreError(f"cannot use database {redact_url(url)}: {redact_text(str(e), url_secrets(url))}") from e
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    migrate(engine)
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
    maker = sessionmaker(engine, expire_on_commit=False)
    with maker() as s, s.begin():
        yield s
