"""A fresh database per test: SQLite in a temp dir, and a new database on the real PostgreSQL server."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from store.db import open_database

PG_ADMIN = os.environ.get("BINWATCH_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        e = open_database(f"sqlite:///{tmp_path / 'binwatch.db'}")
        yield e
        e.dispose()
        return
    import psycopg

    name = f"binwatch_test_{uuid.uuid4().hex[:12]}"
    dsn = PG_ADMIN.replace("postgresql+psycopg://", "postgresql://")
    try:
        admin = psycopg.connect(dsn, autocommit=True)
    except psycopg.OperationalError as err:
        pytest.fail(f"PostgreSQL at {dsn} is not reachable (the store tests need the real server): {err}")
    admin.execute(f'CREATE DATABASE "{name}"')
    e = open_database(PG_ADMIN.rsplit("/", 1)[0] + f"/{name}")
    try:
        yield e
    finally:
        e.dispose()
        admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        admin.close()
