"""The submission lane (engine/web/lane.py) answers exactly as the litestar route does: the same
requests sent to an app with the lane and to one without it get the same status, headers and
body, and store the same rows; what the lane does not take reaches the route whole."""

from __future__ import annotations

import asyncio
import json

import pytest
from litestar.testing import TestClient
from sqlalchemy import text

from engine.storage import Store, upgrade
from engine.web import create_app
from tests.conftest import QUESTIONNAIRES, valid_answers
from tests.engine.test_web_api import POLICY, SOURCE, auth

PATH = "/api/v1/waves/w1/responses"


def _setup(store: Store) -> dict:
    vid = store.publish_questionnaire(SOURCE)
    store.create_wave("w1", vid, title="一")
    store.set_wave_status("w1", "open")
    store.create_wave("shut", vid, title="二")
    keys = {role: store.create_api_key(role) for role in ("integrator", "evaluator", "leader")}
    keys["tokens"] = store.create_invitations("w1", [{"stratum": "s1", "community": "330102001001"},
                                                     {"stratum": "s1", "community": "330102001002"}])
    return keys


def _requests(keys: dict) -> list[tuple[str, dict, bytes]]:
    """(path, headers, body) of ordinary and odd submissions."""
    ok = {"answers": valid_answers(1), "attributes": {"community": "330102001001"}, "mode": "web"}
    other = {**ok, "answers": valid_answers(1, a_health="4")}
    bad = {**ok, "answers": valid_answers(2, a_health="7", q_years_lived=0.2)}
    missing = {**ok, "answers": {k: v for k, v in valid_answers(3).items() if k != "q_gender"}}
    j = {"content-type": "application/json"}
    i, e, lead = auth(keys["integrator"]), auth(keys["evaluator"]), auth(keys["leader"])
    token, token2 = keys["tokens"]
    enc = lambda b: json.dumps(b, ensure_ascii=False).encode()  # noqa: E731
    return [
        (PATH, {**j, **i}, enc(ok)),                                         # the key looked up by the route
        (PATH, {**j, **i, "idempotency-key": "k-1"}, enc(ok)),
        (PATH, {**j, **i, "idempotency-key": "k-1"}, enc(ok)),               # the same again: the stored one
        (PATH, {**j, **i, "idempotency-key": "k-1"}, enc(other)),            # another payload: 409
        (PATH, {**j, **e, "idempotency-key": "k-2"}, enc(other)),
        (PATH, {**j, "x-api-key": keys["integrator"]}, enc(ok)),
        (PATH, {**j, **i}, enc(bad)),                                        # 422 naming the questions
        (PATH, {**j, **i}, enc(missing)),                                    # required answer: 422
        (PATH, {**j, **i}, enc({**missing, "complete": False})),             # partial: 201
        (PATH, {**j, **i}, enc({**ok, "token": token})),                     # an invitation
        (PATH, {**j, **i}, enc({**ok, "token": token})),                     # used: 409
        (PATH, {**j, **i}, enc({**ok, "token": "no-such-token"})),           # 404
        (PATH, {**j, **i}, enc({**ok, "token": token2, "complete": False})),
        ("/api/v1/waves/nope/responses", {**j, **i}, enc(ok)),              # no wave: 404
        ("/api/v1/waves/shut/responses", {**j, **i}, enc(ok)),              # wave not open: 409
        (PATH, {**j, **lead}, enc(ok)),                                     # role not admitted: 403
        (PATH, j, enc(ok)),                                                 # no key: 401
        (PATH, {**j, **auth("not-a-key")}, enc(ok)),                        # 401
        (PATH, {**j, **i}, b'{"answers": '),                                 # not JSON: 400
        (PATH, {**j, **i}, enc({**ok, "mode": "fax"})),                      # 400
        (PATH, {**j, **i}, enc({**ok, "extra": 1})),                         # unknown field: 400
        (PATH, {**i}, enc(ok)),                                              # no content type
        (PATH, {**j, **i, "idempotency-key": "has space"}, enc(ok)),         # the header's pattern: 400
        (PATH, {**j, **i, "idempotency-key": "k" * 129}, enc(ok)),
        (PATH + "/", {**j, **i}, enc(ok)),                                  # the router takes it: so does the lane
        ("/api/v1/waves/w%201/responses", {**j, **i}, enc(ok)),
        (PATH, {**j, **i, "host": "a<b>"}, enc(ok)),                          # the router refuses the host: 400
        (PATH, {**j, **i}, enc({**ok, "answers": {**ok["answers"], "q_suggestions": "好" * 400_000}})),  # > 1 MB
    ]


def _run(tmp_path, name: str, lanes: bool) -> tuple[list, list, int]:
    url = f"sqlite:///{tmp_path / name}.db"
    upgrade(url)
    store = Store(url)
    keys = _setup(store)
    app = create_app(store, policy=POLICY, secret=b"s")
    taken = []
    if lanes:
        (lane,) = app.lanes

        async def counted(*a):
            got = await lane(*a)
            taken.append(got is True)
            return got
        app.lanes = (counted,)
    else:
        app.lanes = ()
    answers = []
    with TestClient(app) as client:
        for path, headers, body in _requests(keys):
            r = client.post(path, content=body, headers=headers)
            answers.append((r.status_code, sorted(r.headers.items()), r.content))
    who = {keys[r][:10]: r for r in ("integrator", "evaluator", "leader")}  # the keys differ: their roles not
    with store.engine.connect() as c:
        rows = [(*r[:-1], who[r[-1]]) for r in c.execute(text(
            "SELECT id, wave_id, invitation_id, status, mode, answers, attributes, idempotency_key, entered_by "
            "FROM response ORDER BY id"))]
    store.engine.dispose()
    return answers, rows, sum(taken)


def test_the_lane_answers_as_the_route_does(tmp_path):
    with_lane, rows_lane, taken = _run(tmp_path, "lane", True)
    without, rows_route, _ = _run(tmp_path, "route", False)
    for k, (a, b) in enumerate(zip(with_lane, without)):
        assert a == b, f"request {k}: {a[0]} {a[2][:200]!r} != {b[0]} {b[2][:200]!r}"
    assert rows_lane == rows_route and len(rows_lane) >= 6
    assert [s for s, _, _ in with_lane][:4] == [201, 201, 201, 409]
    assert taken >= 8  # the lane answered the ordinary ones (and the refusals from the writer)


async def _asgi(app, path: str, headers: list, chunks: list[bytes], root_path: str = "") -> tuple[int, bytes]:
    messages = [{"type": "http.request", "body": c, "more_body": k < len(chunks) - 1} for k, c in enumerate(chunks)]
    out: list = []

    async def receive():
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(m):
        out.append(m)
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
             "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": root_path,
             "client": ("127.0.0.1", 1), "server": ("testserver", 80), "headers": headers}
    await app(scope, receive, send)
    return out[0]["status"], b"".join(m.get("body", b"") for m in out[1:])


def test_paths_under_a_root_path_are_read_as_the_router_reads_them(tmp_path):
    """Behind a proxy that mounts the service under a prefix (uvicorn --root-path), the lane
    takes what the route would get and nothing else."""
    got = {}
    for lanes in (True, False):
        url = f"sqlite:///{tmp_path / str(lanes)}.db"
        upgrade(url)
        store = Store(url)
        keys = _setup(store)
        app = create_app(store, policy=POLICY, secret=b"s")
        if not lanes:
            app.lanes = ()
        headers = [(b"content-type", b"application/json"), (b"authorization", f"Bearer {keys['integrator']}".encode())]
        body = json.dumps({"answers": valid_answers(7)}).encode()
        with TestClient(app) as client:
            client.get("/api/v1/waves/w1/responses", headers=auth(keys["evaluator"]))
            assert client.post(PATH, content=body, headers={**auth(keys["integrator"]),
                                                            "content-type": "application/json"}).status_code == 201

            async def sends():
                return [await _asgi(app, "/svc" + PATH, headers, [body], root_path="/svc"),
                        await _asgi(app, "/v1/waves/w1/responses", headers, [body], root_path="/api"),
                        await _asgi(app, PATH, headers, [body], root_path="/w1")]
            with client.portal() as portal:
                got[lanes] = [status for status, _ in portal.call(sends)]
        store.engine.dispose()
    assert got[True] == got[False] and got[True][0] == 201 and 404 in got[True]


def test_a_body_in_several_chunks_is_read_whole_and_given_back_whole(tmp_path):
    url = f"sqlite:///{tmp_path / 'c'}.db"
    upgrade(url)
    store = Store(url)
    keys = _setup(store)
    app = create_app(store, policy=POLICY, secret=b"s")
    with TestClient(app) as client:  # the route looks the key up once; later requests may take the lane
        assert client.post(PATH, json={"answers": valid_answers(5)}, headers=auth(keys["integrator"])).status_code == 201

        async def post(body: bytes, parts: int) -> tuple[int, bytes]:
            size = -(-len(body) // parts)
            return await _asgi(app, PATH, [(b"content-type", b"application/json"),
                                           (b"authorization", f"Bearer {keys['integrator']}".encode())],
                               [body[k:k + size] for k in range(0, len(body), size)])

        good = json.dumps({"answers": valid_answers(6)}).encode()
        broken = good[:-1]  # not JSON: the route must see every chunk to say so

        async def both():
            return await post(good, 3), await post(broken, 4)
        with client.portal() as portal:
            (s1, b1), (s2, b2) = portal.call(both)
        assert s1 == 201 and json.loads(b1)["status"] == "complete"
        assert s2 == 400 and json.loads(b2)["status"] == 400  # the route's problem+json about the body
    with store.engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM response")).scalar() == 2
    store.engine.dispose()
