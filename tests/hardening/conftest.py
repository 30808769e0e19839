from __future__ import annotations

import pytest

from tests.engine.test_storage import database


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def module_url(request, tmp_path_factory):
    """Like tests/engine/test_storage.py's `url`, shared by the tests of one module: an SQLite
    file, or a fresh PostgreSQL database (dropped afterwards) when MANYI_TEST_DATABASE_URL is set."""
    with database(request.param, tmp_path_factory.mktemp("db"), prefix="manyi_hardening") as u:
        yield u
