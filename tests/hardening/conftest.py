from __future__ import annotations

import uuid

import pytest
from sqlalchemy import create_engine, text

from tests.engine.test_storage import PG_URL


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def module_url(request, tmp_path_factory):
    """Like tests/engine/test_storage.py's `url`, shared by the tests of one module: an SQLite
    file, or a fresh PostgreSQL database (dropped afterwards) when MANYI_TEST_DATABASE_URL is set."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'manyi.db'}"
        return
    if not PG_URL:
        pytest.skip("MANYI_TEST_DATABASE_URL is not set (no PostgreSQL here); .ci/run sets it")
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    name = f"manyi_hardening_{uuid.uuid4().hex[:10]}"
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    yield f"{PG_URL.rsplit('/', 1)[0]}/{name}"
    with admin.connect() as c:
        c.execute(text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"))
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()
