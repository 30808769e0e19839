"""The resident's rating page (issue 6), driven as a browser without JavaScript would: plain
GETs and form POSTs. On SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from litestar.testing import TestClient
from sqlalchemy import text

from engine.loader import load_policy
from engine.storage import Store, upgrade
from engine.storage.transactions import add_transactions
from engine.web import create_app
from engine.web.rating_pages import make_token, qr_svg, rating_url, read_token
from tests.conftest import QUESTIONNAIRES
from tests.engine.test_storage import url  # noqa: F401

POLICY = load_policy(QUESTIONNAIRES / "policies" / "guangdong.yaml")
SECRET = b"page-secret"


@pytest.fixture
def env(url):  # noqa: F811
    upgrade(url)
    store = Store(url)
    now = dt.datetime.now(dt.timezone.utc)
    add_transactions(store, [{"transaction_no": "GD-2026-0001", "region_code": "440106", "hall": "天河政务大厅",
                              "window": "3号窗口", "staff_id": "s7", "finished_at": now - dt.timedelta(hours=1)},
                             {"transaction_no": "GD-OLD", "region_code": "440106",
                              "finished_at": now - dt.timedelta(days=30)}])
    with TestClient(app=create_app(store, policy=POLICY, secret=SECRET)) as client:
        yield client, store
    store.engine.dispose()


def _csrf(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def _stored(store: Store) -> list[dict]:
    with store.engine.connect() as c:
        return [dict(r._mapping) for r in c.execute(text(
            "SELECT transaction_no, level, channel, reason_tags, text, is_default, hall, staff_id, device_key "
            "FROM rating"))]


def test_a_token_is_signed_and_cannot_be_altered():
    tok = make_token("GD-2026-0001", SECRET)
    assert read_token(tok, SECRET) == "GD-2026-0001"
    assert read_token(tok, b"other") is None
    assert read_token(make_token("GD-2026-0002", SECRET).split(".")[0] + "." + tok.split(".")[1], SECRET) is None
    assert read_token("garbage", SECRET) is None
    svg = qr_svg(rating_url("https://pj.example.gov.cn", "GD-2026-0001", SECRET))
    assert svg.startswith("<svg") and "<path" in svg


def test_two_taps_rate_a_transaction_and_the_thanks_come_after_the_commit(env):
    client, store = env
    tok = make_token("GD-2026-0001", SECRET)
    first = client.get(f"/r/{tok}")
    assert first.status_code == 200 and 'lang="zh-CN"' in first.text
    assert all(label in first.text for label in ("非常满意", "满意", "基本满意", "不满意", "非常不满意"))
    assert "3号窗口" in first.text and "<script" not in first.text
    # tap 1: the level (a link); the page shows the reason tags of that level only
    level_page = client.get(f"/r/{tok}?level=1")
    assert level_page.status_code == 200
    assert "服务态度差" in level_page.text and "服务热情周到" not in level_page.text
    # tap 2: submit (tags and comment optional)
    done = client.post(f"/r/{tok}", data={"csrf": _csrf(level_page.text), "level": "1",
                                          "tags": ["bad_attitude", "slow"], "text": "等了两个小时"})
    assert done.status_code == 200 and "感谢您的评价" in done.text
    (row,) = _stored(store)
    assert row["level"] == 1 and row["channel"] == "qr_code" and not row["is_default"]
    assert row["hall"] == "天河政务大厅" and row["staff_id"] == "s7" and row["text"] == "等了两个小时"
    tags = row["reason_tags"] if isinstance(row["reason_tags"], list) else json.loads(row["reason_tags"])
    assert sorted(tags) == ["bad_attitude", "slow"]
    assert row["device_key"] is not None  # the device cookie, as a keyed hash
    with store.engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM rating_case")).scalar() == 1  # a bad rating opens its case
    again = client.post(f"/r/{tok}", data={"csrf": _csrf(level_page.text), "level": "5"})
    assert again.status_code == 409 and "已评价" in again.text and len(_stored(store)) == 1


def test_a_good_rating_straight_from_its_level_page(env):
    client, store = env
    tok = make_token("GD-2026-0001", SECRET)
    page = client.get(f"/r/{tok}?level=5&lang=en")
    assert "Friendly and attentive" in page.text and "Poor attitude" not in page.text
    done = client.post(f"/r/{tok}?lang=en", data={"csrf": _csrf(page.text), "level": "5"})
    assert done.status_code == 200 and "Thank you" in done.text
    assert _stored(store)[0]["level"] == 5


def test_a_form_without_the_csrf_token_of_its_cookie_is_refused(env):
    client, store = env
    tok = make_token("GD-2026-0001", SECRET)
    page = client.get(f"/r/{tok}?level=2")
    forged = client.post(f"/r/{tok}", data={"csrf": "forged", "level": "1"})
    assert forged.status_code == 403
    other = TestClient(app=client.app)  # another browser: no cookie, a token copied from the page
    with other:
        assert other.post(f"/r/{tok}", data={"csrf": _csrf(page.text), "level": "1"}).status_code == 403
    assert _stored(store) == []


def test_unknown_tokens_late_ratings_and_bad_tags_change_nothing(env):
    client, store = env
    assert client.get("/r/" + make_token("GD-2026-0001", b"wrong")).status_code == 404
    assert client.get("/r/" + make_token("NO-SUCH", SECRET)).status_code == 404
    old = make_token("GD-OLD", SECRET)
    page = client.get(f"/r/{old}?level=4")
    late = client.post(f"/r/{old}", data={"csrf": _csrf(page.text), "level": "4"})
    assert late.status_code == 422 and "7 natural days" in late.text
    tok = make_token("GD-2026-0001", SECRET)
    page = client.get(f"/r/{tok}?level=5")
    wrong_tag = client.post(f"/r/{tok}", data={"csrf": _csrf(page.text), "level": "5", "tags": "bad_attitude"})
    assert wrong_tag.status_code == 422 and "bad_attitude" in wrong_tag.text
    assert _stored(store) == []


def test_large_text_and_english(env):
    client, _ = env
    tok = make_token("GD-2026-0001", SECRET)
    big = client.get(f"/r/{tok}?large=1&lang=en")
    assert 'class="large"' in big.text and 'lang="en"' in big.text and "Very satisfied" in big.text
    assert "large=1" in re.search(r'href="(/r/[^"]*level=3[^"]*)"', big.text).group(1)
    assert 'class=""' in client.get(f"/r/{tok}").text
