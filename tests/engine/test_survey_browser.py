"""The shipped community survey filled in headless Chromium on a phone-sized viewport, with
JavaScript on and off: a show_if hides a question (and shows one once its condition is
answered), a constraint error is shown next to its question, the response is resumed from a
new browser context through the invitation link, submitted, and the stored answers equal
what was clicked. Runs on SQLite, and on PostgreSQL when MANYI_TEST_DATABASE_URL is set."""

from __future__ import annotations

import os
import socket
import threading
import time
from pathlib import Path

import pytest

from engine.loader import load_policy
from engine.storage import Store, upgrade
from engine.web import create_app
from tests.conftest import QUESTIONNAIRES
from tests.engine.test_storage import url  # noqa: F401

CHROMIUM = "/usr/bin/chromium"
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(),
                                reason=f"Debian's chromium is not installed at {CHROMIUM} (apt-get install chromium)")

PHONE = {"width": 390, "height": 844}
SOURCE = (QUESTIONNAIRES / "community_satisfaction.yaml").read_text(encoding="utf-8")
POLICY = load_policy(QUESTIONNAIRES / "policies" / "national.yaml")

# What the respondent clicks, page by page (radio: code; checkbox: list; text: str).
PROFILE = {"q_gender": "female", "q_age_band": "30_39", "q_education": "bachelor_plus", "q_hukou": "city_other"}
SERVICES_SAT = {"a_elderly_care": "4", "a_childcare": "9", "a_health": "5", "a_employment": "3", "a_vulnerable": "9",
                "a_amenities": "4", "a_affairs": "2", "a_online": "3", "a_culture": "5", "a_volunteer": "4"}
ENVIRONMENT = {"b_cleanliness": "4", "b_waste_sorting": "3", "b_greenery": "5", "b_public_facilities": "4",
               "b_barrier_free": "2", "b_roads": "4", "b_property": "3", "b_parking_chaos": "4", "b_noise": "2"}
SAFETY = {"c_public_order": "5", "c_mediation": "4", "c_fire_safety": "3", "c_emergency": "4", "c_anti_fraud": "5",
          "c_feel_safe": "4", "c_unsafe_night": "2"}
GOVERNANCE = {"q_reported_problem": "no", "d_deliberation": "3", "d_transparency": "4", "d_channels": "9"}
WORKERS = {"e_attitude": "5", "e_competence": "4", "e_home_visits": "3", "e_party_role": "4", "e_party_members": "4",
           "e_know_contact": "5", "e_hard_to_reach": "1"}
ATMOSPHERE = {"f_neighbours": "4", "f_mutual_help": "4", "f_civility": "3", "f_incivility": "2", "f_belonging": "5",
              "f_participate": "4"}
OVERALL = {"q_overall_sat": "4", "q_vs_expectation": "3", "q_recommend": "8"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(url):  # noqa: F811
    import uvicorn

    upgrade(url)
    store = Store(url)
    vid = store.publish_questionnaire(SOURCE)
    store.create_wave("w1", vid, title="2026年社区满意度调查")
    store.set_wave_status("w1", "open")
    token = store.create_invitations("w1", [{"community": "110105001001", "stratum": "urban",
                                             "attributes": {"district": "110105"}}])[0]
    port = _free_port()
    srv = uvicorn.Server(uvicorn.Config(create_app(store, policy=POLICY, secret=b"browser-test"), host="127.0.0.1",
                                        port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.time() + 20
    while not srv.started:
        assert time.time() < deadline, "the server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", store, token
    srv.should_exit = True
    thread.join(10)
    store.engine.dispose()


def _answer(page, answers: dict) -> None:
    for name, value in answers.items():
        if isinstance(value, list):
            for v in value:
                page.check(f"input[name='{name}'][value='{v}']")
        elif page.locator(f"input[type=radio][name='{name}']").count():
            page.check(f"input[name='{name}'][value='{value}']")
        else:
            page.fill(f"[name='{name}']", value)


def _next(page) -> None:
    page.click("button[value=next]")


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_resident_fills_the_community_survey_on_a_phone(server, javascript):
    from playwright.sync_api import sync_playwright

    base, store, token = server
    shots = os.environ.get("MANYI_SCREENSHOTS")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            first = browser.new_context(viewport=PHONE, java_script_enabled=javascript, is_mobile=True,
                                        device_scale_factor=2)
            page = first.new_page()
            page.goto(f"{base}/s/{token}")
            assert page.locator("h1").inner_text() == "城乡社区服务满意度调查问卷"
            page.click("text=开始答题")

            # page 1: a constraint error next to its question, in Chinese
            assert page.locator("h1").inner_text() == "一、基本情况"
            _answer(page, {**PROFILE, "q_years_lived": "0.2"})
            _next(page)
            error = page.locator("#q-q_years_lived .error")
            assert "居住年限应在0.5至80年之间" in error.inner_text()
            assert page.locator(".error-summary").is_visible()
            if shots:
                page.screenshot(path=str(Path(shots) / f"error-{'js' if javascript else 'nojs'}.png"), full_page=True)
            assert page.locator("input[name=q_gender][value=female]").is_checked()  # nothing clicked is lost
            page.fill("[name=q_years_lived]", "3.5")
            _next(page)

            # page 2: q_elderly_needs is hidden (age 30-39); the follow-up on elderly care appears
            # only once 'elderly' is among the services used
            assert page.locator("h1").inner_text() == "二、社区服务"
            assert page.locator("#q-q_elderly_needs").count() == 0
            assert page.locator("#q-q_elderly_service_eval").count() == 0
            _answer(page, {"q_services_used": ["elderly", "health", "culture"], **SERVICES_SAT})
            _next(page)
            assert page.locator("#q-q_elderly_service_eval").count() == 1
            assert page.locator("#q-q_elderly_needs").count() == 0
            assert "新增了问题" in page.locator(".notice").inner_text()
            _answer(page, {"q_elderly_service_eval": "4"})
            _next(page)

            # page 3: answer, then save for later and leave
            assert page.locator("h1").inner_text() == "三、社区环境"
            _answer(page, ENVIRONMENT)
            if shots:
                page.evaluate("window.scrollTo(0, 0)") if javascript else None
                page.screenshot(path=str(Path(shots) / f"survey-{'js' if javascript else 'nojs'}.png"))
            page.click("button[value=save]")
            assert page.locator("h1").inner_text() == "已保存"
            assert f"/s/{token}" in page.locator(".resume").inner_text()
            first.close()

            # a new browser context (another phone): the invitation link resumes the response
            second = browser.new_context(viewport=PHONE, java_script_enabled=javascript, is_mobile=True)
            page = second.new_page()
            page.goto(f"{base}/s/{token}")
            page.click("text=继续答题")
            assert page.locator("h1").inner_text() == "三、社区环境"
            assert page.locator("input[name=b_greenery][value='5']").is_checked()
            _next(page)
            assert page.locator("h1").inner_text() == "四、平安社区"
            _answer(page, SAFETY)
            _next(page)
            assert page.locator("h1").inner_text() == "五、社区治理"
            assert page.locator("#q-d_timely").count() == 0  # shown only after reporting a problem
            _answer(page, GOVERNANCE)
            _next(page)
            _answer(page, WORKERS)
            _next(page)
            _answer(page, ATMOSPHERE)
            _next(page)
            _answer(page, OVERALL)
            _next(page)
            assert page.locator("h1").inner_text() == "九、意见建议"
            _answer(page, {"q_priorities": ["environment", "other"], "q_priorities_other": "停车难",
                           "q_suggestions": "希望增加停车位。"})
            _next(page)

            assert page.locator("h1").inner_text() == "请检查您的回答"
            assert "<script" not in page.content()  # the pages carry no script (and the CSP allows none)
            assert "3.5 年" in page.locator(".review").inner_text()
            page.click("button:has-text('提交问卷')")
            assert page.locator("h1").inner_text() == "提交成功"
            second.close()
        finally:
            browser.close()

    expected = {**PROFILE, "q_years_lived": 3.5, "q_services_used": ["elderly", "health", "culture"],
                **SERVICES_SAT, "q_elderly_service_eval": "4", **ENVIRONMENT, **SAFETY, **GOVERNANCE, **WORKERS,
                **ATMOSPHERE, **OVERALL, "q_priorities": ["environment", "other"], "q_priorities_other": "停车难",
                "q_suggestions": "希望增加停车位。"}
    stored = list(store.responses("w1"))
    assert len(stored) == 1
    assert stored[0].answers == expected
    assert stored[0].mode == "web"
    assert stored[0].attributes["community"] == "110105001001"
    assert store.invitation(token)["used"]
    from engine.storage.drafts import find_draft
    draft = find_draft(store, token)
    assert set(draft.paradata["pages"]) == {"sec_profile", "sec_services", "sec_environment", "sec_safety",
                                            "sec_governance", "sec_workers", "sec_atmosphere", "sec_overall",
                                            "sec_suggestions"}
    assert draft.paradata["pages"]["sec_profile"]["visits"] == 2
    assert len(draft.paradata["sessions"]) == 2  # worked on in two browser contexts
    assert draft.paradata["start"] < draft.paradata["end"]
