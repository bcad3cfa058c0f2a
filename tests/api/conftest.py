"""The API on a real database (SQLite file, and a fresh database on the real PostgreSQL server)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from runtime.center import Center, Settings
from tests.store.conftest import PG_ADMIN

CITY = """
city: 测试市
communities:
- id: c01
  name: 阳光花园
  points:
  - id: c01-p1
    name: 1号投放点
    cameras:
    - id: cam-a
      name: 摄像机A
      source: rtsp://admin:secret@192.0.2.10:554/Streaming/Channels/102
"""


@pytest.fixture(params=["sqlite", "postgresql"])
def center(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Center]:
    cfg = tmp_path / "city.yaml"
    cfg.write_text(CITY, encoding="utf-8")
    db_url = None
    admin = None
    if request.param == "postgresql":
        import psycopg

        name = f"binwatch_api_{uuid.uuid4().hex[:12]}"
        admin = psycopg.connect(PG_ADMIN.replace("postgresql+psycopg://", "postgresql://"), autocommit=True)
        admin.execute(f'CREATE DATABASE "{name}"')
        db_url = PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    settings = Settings(config=cfg, data_dir=tmp_path / "data", db_url=db_url, start_cameras=False)
    yield Center(settings)
    if admin is not None:
        admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        admin.close()


@pytest.fixture
def client(center: Center) -> Iterator[TestClient]:
    with TestClient(create_app(center.settings, center)) as c:
        yield c
