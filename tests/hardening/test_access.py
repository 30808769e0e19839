"""Who gets in: every operation of the OpenAPI document x every role, plus no key, an expired
key and a revoked key. Requests are built from the document alone (path and query parameters
from their schemas, an empty JSON body), so routes added later are covered without editing
this file, and a route without a ROUTE_ROLES entry fails the test. Also: security headers on
every answer, the rate limit on requests without a key, no personal data in the logs."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from litestar.testing import TestClient

from engine.loader import load_policy
from engine.storage import Store, upgrade
from engine.storage.models import ROLES
from engine.web import create_app
from engine.web.app import ROUTE_ROLES
from engine.web.security import HEADERS
from tests.conftest import QUESTIONNAIRES
from tests.engine.test_storage import url  # noqa: F401  (SQLite file / fresh PostgreSQL database)
from tests.hardening._figures import record

POLICY = load_policy(QUESTIONNAIRES / "policies" / "national.yaml")
PRINCIPALS = (*ROLES, "no key", "expired", "revoked")


@pytest.fixture
def env(url):  # noqa: F811
    upgrade(url)
    store = Store(url)
    keys = {role: store.create_api_key(role) for role in ROLES}
    keys["expired"] = store.create_api_key("admin", expires_at=dt.datetime.now(dt.timezone.utc) - dt.timedelta(1))
    keys["revoked"] = store.create_api_key("admin")
    store.revoke_api_key(keys["revoked"])
    with TestClient(app=create_app(store, policy=POLICY, secret=b"access")) as client:
        yield client, store, keys
    store.engine.dispose()


def _value(schema: dict, name: str):
    """A value of the parameter's schema (the first enum value, a date, a number, a word)."""
    if "enum" in schema:
        return next(v for v in schema["enum"] if v is not None)
    for option in schema.get("oneOf", []) + schema.get("anyOf", []):
        if option.get("type") != "null":
            return _value(option, name)
    types = schema.get("type", "string")
    types = [t for t in (types if isinstance(types, list) else [types]) if t != "null"]
    if "integer" in types or "number" in types:
        return max(1, schema.get("minimum", 1))
    if schema.get("format") == "date":
        return "2026-09-01"
    if schema.get("format") == "date-time":
        return "2026-09-01T00:00:00Z"
    return "nothing-here"


def operations(client: TestClient) -> list[tuple[str, str, str, dict]]:
    """(route key, method, concrete path, query) of every operation in the OpenAPI document."""
    doc = client.get("/schema/openapi.json").json()
    out = []
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            concrete, query = path, {}
            for p in op.get("parameters", []):
                if p["in"] == "path":
                    concrete = concrete.replace("{" + p["name"] + "}", str(_value(p.get("schema", {}), p["name"])))
                elif p["in"] == "query" and p.get("required"):
                    query[p["name"]] = _value(p.get("schema", {}), p["name"])
            out.append((f"{method.upper()} {path}", method, concrete, query))
    return out


def test_every_route_x_every_role(env):
    client, store, keys = env
    ops = operations(client)
    assert ops, "the OpenAPI document lists no operation"
    missing = sorted(route for route, *_ in ops if route not in ROUTE_ROLES)
    assert not missing, f"routes without a ROUTE_ROLES entry: {missing}"
    assert set(ROUTE_ROLES) <= {route for route, *_ in ops}, "ROUTE_ROLES names routes that do not exist"
    checked = 0
    for route, method, path, query in ops:
        admitted = ROUTE_ROLES[route]
        for who in PRINCIPALS:
            headers = {"Authorization": f"Bearer {keys[who]}"} if who in keys else {}
            kw = {"json": {}} if method in ("post", "put", "patch") else {}
            r = client.request(method.upper(), path, params=query, headers=headers, **kw)
            if who in admitted:
                assert r.status_code not in (401, 403), (route, who, r.status_code, r.text)
                assert r.status_code < 500, (route, who, r.status_code, r.text)
            elif who in ROLES:
                assert r.status_code == 403, (route, who, r.status_code)
            else:
                assert r.status_code == 401, (route, who, r.status_code)
            if r.status_code >= 400:
                assert r.headers["content-type"].startswith("application/problem+json"), (route, who)
            for name in HEADERS:
                assert name.decode() in r.headers, (route, who, name)
            checked += 1
    record(f"access-{store.engine.dialect.name}", {"operations": len(ops), "principals": len(PRINCIPALS),
                                                   "checked": checked})
    assert checked == len(ops) * len(PRINCIPALS)


def test_security_headers_on_documents_and_unknown_paths(env):
    client, _, _ = env
    for path in ("/schema/openapi.json", "/no/such/page", "/api/v1/nothing"):
        r = client.get(path)
        for name, value in HEADERS.items():
            assert r.headers.get(name.decode()) == value.decode(), (path, name)
    assert "strict-transport-security" not in client.get("/no/such/page").headers  # plain HTTP: no HSTS


def test_requests_without_a_key_are_rate_limited(url, monkeypatch):  # noqa: F811
    monkeypatch.setenv("MANYI_PUBLIC_RATE_LIMIT", "5")
    upgrade(url)
    store = Store(url)
    key = store.create_api_key("leader")
    with TestClient(app=create_app(store, policy=POLICY, secret=b"x")) as client:
        codes = [client.get("/api/v1/cases/1").status_code for _ in range(7)]
        assert codes == [401] * 5 + [429] * 2
        r = client.get("/api/v1/cases/1")
        assert r.headers["content-type"].startswith("application/problem+json")
        # keyed traffic is not counted against the public limit
        assert client.get("/api/v1/cases/1", headers={"Authorization": f"Bearer {key}"}).status_code == 404
    store.engine.dispose()


def test_no_rater_phone_or_certificate_in_the_logs(env, caplog):
    client, _, keys = env
    h = {"Authorization": f"Bearer {keys['integrator']}"}
    phone, cert = "13912345678", "440106199001011234"
    base = {"transaction_no": "L1", "adapter": "gbt39046", "level_code": "5", "channel_code": "4",
            "region_code": "440106", "rater_phone": phone, "rater_certificate": cert,
            "finished_at": "2026-09-30T10:00:00+00:00", "rated_at": "2026-09-30T11:00:00+00:00"}
    with caplog.at_level(logging.DEBUG):
        assert client.post("/api/v1/ratings", json=base, headers=h).status_code == 201
        assert client.post("/api/v1/ratings", json=base, headers=h).status_code == 409             # duplicate
        assert client.post("/api/v1/ratings", json={**base, "transaction_no": "L2",
                                                    "rated_at": "2026-11-30T11:00:00+00:00"}, headers=h).status_code == 422
        assert client.post("/api/v1/ratings", json={**base, "level_code": "x"}, headers=h).status_code == 422
        assert client.post("/api/v1/ratings", json={**base, "unknown": 1}, headers=h).status_code == 400
        assert client.post("/api/v1/ratings/batch", json=[base, {**base, "transaction_no": "L3"}],
                           headers=h).status_code == 200
    logged = "\n".join(f"{r.getMessage()} {r.exc_text or ''}" for r in caplog.records)
    assert phone not in logged and cert not in logged
