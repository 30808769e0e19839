"""The rating page in Debian's headless Chromium (Playwright, JavaScript disabled, a phone's
viewport): two taps and a comment store the rating that was clicked."""

from __future__ import annotations

import datetime as dt
import socket
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from engine.loader import load_policy
from engine.storage import Store, upgrade
from engine.storage.transactions import add_transactions
from engine.web import create_app
from engine.web.rating_pages import rating_url
from tests.conftest import QUESTIONNAIRES

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed")


@pytest.fixture
def served(tmp_path):
    import uvicorn

    db = f"sqlite:///{tmp_path / 'p.db'}"
    upgrade(db)
    store = Store(db)
    add_transactions(store, [{"transaction_no": "GD-77", "region_code": "440106", "window": "5号窗口",
                              "finished_at": dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=5)}])
    app = create_app(store, policy=load_policy(QUESTIONNAIRES / "policies" / "guangdong.yaml"), secret=b"b")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", store
    server.should_exit = True
    thread.join(timeout=10)
    store.engine.dispose()


def test_two_taps_in_a_browser_without_javascript(served):
    from playwright.sync_api import sync_playwright

    base, store = served
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        page = browser.new_context(java_script_enabled=False, viewport={"width": 375, "height": 740},
                                   is_mobile=True).new_page()
        page.goto(rating_url(base, "GD-77", b"b") + "?large=1")
        assert "5号窗口" in page.content()
        page.get_by_role("link", name="非常不满意").click()                     # tap 1
        page.get_by_label("办理效率低、等待时间长").check()
        page.get_by_label("其他意见（选填）").fill("排队一个多小时")
        page.get_by_role("button", name="提交评价").first.click()             # tap 2
        assert "感谢您的评价" in page.content()
        browser.close()
    with store.engine.connect() as c:
        level, tags, comment, channel = c.execute(text(
            "SELECT level, reason_tags, text, channel FROM rating WHERE transaction_no = 'GD-77'")).one()
    assert (level, comment, channel) == (1, "排队一个多小时", "qr_code") and "slow" in tags
