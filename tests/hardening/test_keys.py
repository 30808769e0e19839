"""API keys: stored only as hashes, rotated (at once or after a grace period), expiring."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text

from engine.cli import main
from engine.storage import NotFound, Store, upgrade
from engine.storage.keys import rotate_api_key
from tests.engine.test_storage import url  # noqa: F401


@pytest.fixture
def store(url):  # noqa: F811
    upgrade(url)
    st = Store(url)
    yield st
    st.engine.dispose()


def _dump(store: Store) -> str:
    with store.engine.connect() as c:
        return " ".join(str(v) for row in c.execute(text("SELECT * FROM api_key")) for v in row)


def test_rotation_revokes_the_old_key_and_keeps_the_role(store):
    old = store.create_api_key("handler", label="窗口系统")
    new = rotate_api_key(store, old, actor="ops")
    assert new != old and store.api_key_role(new) == "handler" and store.api_key_role(old) is None
    assert old not in _dump(store) and new not in _dump(store)
    (entry,) = [e for e in store.audit_entries("api_key") if e["action"] == "rotate_key"]
    assert entry["target_id"] == old[:10] and entry["detail"]["successor"] == new[:10]
    with pytest.raises(NotFound):
        rotate_api_key(store, old)  # a revoked key has no successor


def test_rotation_with_a_grace_period(store):
    old = store.create_api_key("integrator")
    new = rotate_api_key(store, old, grace=dt.timedelta(hours=2))
    assert store.api_key_role(old) == store.api_key_role(new) == "integrator"
    with store.engine.begin() as c:  # two hours later
        c.execute(text("UPDATE api_key SET expires_at = :t WHERE prefix = :p"),
                  {"t": dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=1), "p": old[:10]})
    assert store.api_key_role(old) is None and store.api_key_role(new) == "integrator"
    with pytest.raises(ValueError, match="grace"):
        rotate_api_key(store, new, grace=dt.timedelta(hours=-1))


def test_cli_creates_expiring_keys_and_rotates(url, capsys):  # noqa: F811
    assert main(["keys", "create", "--role", "leader", "--expires-days", "30", "--database", url]) == 0
    key = capsys.readouterr().out.strip()
    store = Store(url)
    assert store.api_key_role(key) == "leader"
    with store.engine.connect() as c:
        (exp,) = c.execute(text("SELECT expires_at FROM api_key")).one()
    exp = exp if not isinstance(exp, str) else dt.datetime.fromisoformat(exp)
    exp = exp if exp.tzinfo else exp.replace(tzinfo=dt.timezone.utc)
    assert dt.timedelta(days=29.9) < exp - dt.datetime.now(dt.timezone.utc) <= dt.timedelta(days=30)
    assert main(["keys", "rotate", "--key", key, "--database", url]) == 0
    new = capsys.readouterr().out.strip()
    assert store.api_key_role(new) == "leader" and store.api_key_role(key) is None
    assert main(["keys", "rotate", "--key", key, "--database", url]) == 1
    assert "no such valid key" in capsys.readouterr().err
    store.engine.dispose()


def test_cli_revoke_and_rotate_of_an_unknown_or_missing_key_say_so(store, url, capsys):  # noqa: F811
    kept = store.create_api_key("evaluator")
    before = _dump(store)
    assert main(["keys", "revoke", "--key", "no-such-key", "--database", url]) == 1
    assert "no such key" in capsys.readouterr().err
    assert main(["keys", "revoke", "--database", url]) == 2
    assert "--key is required" in capsys.readouterr().err
    assert main(["keys", "rotate", "--database", url]) == 2
    assert "--key is required" in capsys.readouterr().err
    assert _dump(store) == before and store.api_key_role(kept) == "evaluator"
    assert main(["keys", "revoke", "--key", kept, "--database", url]) == 0
    assert store.api_key_role(kept) is None
