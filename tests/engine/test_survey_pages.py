"""Resident pages over HTTP form posts (no browser) on SQLite and PostgreSQL: CSRF refusal,
security headers, English pages, quotas, open-link limits, interviewer mode, save and resume,
one completion per invitation."""

from __future__ import annotations

import re

import pytest
from litestar.testing import TestClient

from engine.loader import load_policy
from engine.storage import Store, upgrade
from engine.storage.drafts import find_draft
from engine.storage.users import create_user, verify_password
from engine.web import create_app
from tests.conftest import QUESTIONNAIRES
from tests.engine.test_storage import url  # noqa: F401
from tests.engine.test_survey_browser import (
    ATMOSPHERE, ENVIRONMENT, GOVERNANCE, OVERALL, PROFILE, SAFETY, SERVICES_SAT, WORKERS,
)

SOURCE = (QUESTIONNAIRES / "community_satisfaction.yaml").read_text(encoding="utf-8")
POLICY = load_policy(QUESTIONNAIRES / "policies" / "national.yaml")
ALL = {**PROFILE, "q_years_lived": "12", "q_services_used": ["health"], **SERVICES_SAT, **ENVIRONMENT, **SAFETY,
       **GOVERNANCE, **WORKERS, **ATMOSPHERE, **OVERALL}


@pytest.fixture
def site(url):  # noqa: F811
    upgrade(url)
    store = Store(url)
    vid = store.publish_questionnaire(SOURCE)
    store.create_wave("w1", vid, title="第一轮", quotas={"community": {"c1": 1}})
    store.set_wave_status("w1", "open")
    store.create_wave("w2", vid, title="开放链接", limits={"open_link": True, "per_device": 1, "per_address": 2})
    store.set_wave_status("w2", "open")
    app = create_app(store, policy=POLICY, secret=b"pages-test")
    yield app, store
    store.engine.dispose()


def client(app) -> TestClient:
    return TestClient(app=app, base_url="http://testserver.local")


def fields(html: str) -> dict[str, str]:
    return dict(re.findall(r'<input type="hidden" name="(_\w+)" value="([^"]*)"', html))


def start(c: TestClient, key: str) -> str:
    r = c.get(f"/s/{key}")
    assert r.status_code == 200, r.text
    r = c.post(f"/s/{key}/start", data={"_csrf": fields(r.text)["_csrf"]}, follow_redirects=False)
    assert r.status_code == 303, r.text
    return r.headers["location"]


def fill_and_submit(c: TestClient, location: str, answers: dict) -> str:
    """Post every page with the answers whose fields it shows, then submit from the review."""
    for _ in range(20):
        r = c.get(location)
        if location.endswith("/review"):
            r = c.post(location.replace("/review", "/submit"), data={"_csrf": fields(r.text)["_csrf"]},
                       follow_redirects=False)
            assert r.status_code == 303, r.text
            return r.headers["location"]
        assert r.status_code == 200, r.text
        names = set(re.findall(r'name="([a-z]\w*)"', r.text))
        data = {**fields(r.text), "_action": "next", **{k: v for k, v in answers.items() if k in names}}
        r = c.post(location, data=data, follow_redirects=False)
        assert r.status_code == 303, (location, re.findall(r'class="error"[^>]*>([^<]*)', r.text))
        location = r.headers["location"]
    raise AssertionError("did not reach the review page")


def test_security_headers_and_csrf_refusal(site):
    app, store = site
    token = store.create_invitations("w1", [{"community": "c2"}])[0]
    with client(app) as c:
        r = c.get(f"/s/{token}")
        for header in ("content-security-policy", "x-frame-options", "x-content-type-options", "referrer-policy"):
            assert header in r.headers
        assert r.headers["referrer-policy"] == "no-referrer"
        good = fields(r.text)["_csrf"]
        assert c.post(f"/s/{token}/start", data={}).status_code == 403
        altered = good[:-1] + ("1" if good[-1] == "0" else "0")  # one character changed
        assert c.post(f"/s/{token}/start", data={"_csrf": altered}).status_code == 403
        assert find_draft(store, token) is None
        with client(app) as other:  # a token taken from another session does not work with this cookie
            other.get(f"/s/{token}")
            r = other.post(f"/s/{token}/start", data={"_csrf": good})
            assert r.status_code == 403 and "页面已过期" in r.text
        location = start(c, token)
        page = c.get(location)
        data = {**fields(page.text), "_csrf": "forged", "_action": "next", **PROFILE}
        assert c.post(location, data=data).status_code == 403
        assert find_draft(store, token).answers == {}  # nothing stored from the refused post
        data["_csrf"] = fields(page.text)["_csrf"]
        assert c.post(location, data=data, follow_redirects=False).status_code == 422  # years missing


def test_pages_in_english_by_parameter_and_cookie(site):
    app, store = site
    token = store.create_invitations("w1", [{"community": "c2"}])[0]
    with client(app) as c:
        r = c.get(f"/s/{token}?lang=en")
        assert '<html lang="en"' in r.text and "Community Service Satisfaction Survey" in r.text
        location = start(c, token)
        page = c.get(location)  # no parameter: the cookie keeps English
        assert "1. About you" in page.text and "Your gender" in page.text
        data = {**fields(page.text), "_action": "next", **PROFILE, "q_years_lived": "0.2"}
        r = c.post(location, data=data)
        assert r.status_code == 422
        assert "enter 0.5 to 80 years" in r.text and "Please correct these" in r.text
        assert "请" not in re.sub(r"<header.*?</header>", "", r.text, flags=re.S)
        assert 'lang="zh-CN"' in c.get(location + "?lang=zh").text
        assert '<html lang="zh-CN" class="large">' in c.get(location + "?large=1").text  # 大字模式
        assert 'class="large"' in c.get(location).text and "标准字号" in c.get(location).text  # kept by cookie
        assert 'class="large"' not in c.get(location + "?large=0").text


def test_a_closed_wave_stops_a_response_in_progress(site):
    app, store = site
    token = store.create_invitations("w1", [{"community": "c2"}])[0]
    with client(app) as c:
        location = start(c, token)
        store.set_wave_status("w1", "closed")
        r = c.get(location)
        assert "本次调查已结束" in r.text and "<form" not in r.text
        assert "本次调查已结束" in c.get(f"/s/{token}/review").text
        assert "继续答题" not in c.get(f"/s/{token}").text


def test_show_if_and_required_errors_next_to_their_question(site):
    app, store = site
    token = store.create_invitations("w1", [{"community": "c2"}])[0]
    with client(app) as c:
        location = start(c, token)
        page = c.get(location)
        r = c.post(location, data={**fields(page.text), "_action": "next", **{**PROFILE, "q_age_band": "70p"},
                                   "q_years_lived": "８"}, follow_redirects=False)  # full-width digit
        assert r.status_code == 303
        assert find_draft(store, token).answers["q_years_lived"] == 8
        page = c.get(r.headers["location"])
        assert 'id="q-q_elderly_needs"' in page.text  # 70+: the elderly-needs question is shown
        assert 'id="q-q_elderly_service_eval"' not in page.text
        r = c.post(r.headers["location"], data={**fields(page.text), "_action": "next",
                                                "q_services_used": ["none", "health"]})
        assert r.status_code == 422
        block = re.search(r'id="q-q_services_used".*?</fieldset>', r.text, re.S).group(0)
        assert "“都没有使用过”不能与其他选项同时选择。" in block
        block = re.search(r'id="q-q_elderly_needs".*?</fieldset>', r.text, re.S).group(0)
        assert "请回答此题。" in block


def test_save_resume_in_a_new_session_and_one_completion_per_invitation(site):
    app, store = site
    token = store.create_invitations("w1", [{"community": "c2"}])[0]
    with client(app) as c:
        location = start(c, token)
        page = c.get(location)
        r = c.post(location, data={**fields(page.text), "_action": "save", "q_gender": "male"})
        assert r.status_code == 200 and f"http://testserver.local/s/{token}" in r.text
    with client(app) as c2:  # another device: the same link continues
        r = c2.get(f"/s/{token}")
        assert "继续答题" in r.text
        page = c2.get(location)
        assert 'value="male" checked' in page.text
        done = fill_and_submit(c2, location, ALL)
        assert c2.get(done).text.count("提交成功") >= 1
        assert "已完成" in c2.get(f"/s/{token}").text
    stored = list(store.responses("w1"))
    assert len(stored) == 1 and stored[0].answers["q_gender"] == "female"
    assert "q_elderly_needs" not in stored[0].answers


def test_api_completion_first_then_the_page_submit_is_refused(site):
    app, store = site
    token = store.create_invitations("w1", [{"community": "c2"}])[0]
    with client(app) as c:
        location = start(c, token)
        store.submit("w1", {"q_gender": "male"}, token=token)
        # the page flow notices the used invitation when it tries to complete
        r = c.get(location)
        answers_location = location
        for _ in range(12):
            names = set(re.findall(r'name="([a-z]\w*)"', r.text))
            r = c.post(answers_location, data={**fields(r.text), "_action": "next",
                                               **{k: v for k, v in ALL.items() if k in names}}, follow_redirects=False)
            answers_location = r.headers["location"]
            if answers_location.endswith("/review"):
                break
            r = c.get(answers_location)
        review = c.get(answers_location)
        r = c.post(f"/s/{token}/submit", data={"_csrf": fields(review.text)["_csrf"]})
        assert r.status_code == 409 and "已完成" in r.text
    assert len(list(store.responses("w1"))) == 1


def test_quota_closes_politely_when_the_community_is_full(site):
    app, store = site
    t1, t2, t3 = store.create_invitations("w1", [{"community": "c1"}, {"community": "c1"}, {"community": "c2"}])
    with client(app) as c:
        first = start(c, t1)
        second = start(c, t2)  # started before the quota filled
        fill_and_submit(c, first, ALL)
        r = c.get(f"/s/{t2}")
        assert "继续答题" in r.text  # its draft exists; the refusal comes at completion
        with pytest.raises(AssertionError):
            fill_and_submit(c, second, ALL)
        r = c.get(second.rsplit("/p/", 1)[0] + "/review")
        r = c.post(f"/s/{t2}/submit", data={"_csrf": fields(r.text)["_csrf"]})
        assert "名额已满" in r.text
        assert find_draft(store, t2).status == "partial"
        t4 = store.create_invitations("w1", [{"community": "c1"}])[0]
        r = c.get(f"/s/{t4}")
        assert "名额已满" in r.text and "开始答题" not in r.text
        assert "开始答题" in c.get(f"/s/{t3}").text  # another community is still open
    assert len(list(store.responses("w1"))) == 1


def test_open_link_limits_per_device_and_per_address(site):
    app, store = site
    with client(app) as c:
        assert c.get("/w/w1").status_code == 404  # no open link on an invitation-only wave
        r = c.get("/w/w2")
        assert "开始答题" in r.text
        csrf = fields(r.text)["_csrf"]
        r = c.post("/w/w2/start", data={"_csrf": csrf}, follow_redirects=False)
        assert r.status_code == 303
        first = r.headers["location"]
        r = c.get("/w/w2")  # the same device gets its response back, not a new one
        assert "继续答题" in r.text and first.rsplit("/p/", 1)[0] in r.text
        r = c.post("/w/w2/start", data={"_csrf": csrf}, follow_redirects=False)
        assert r.headers["location"] == first.rsplit("/p/", 1)[0]
        fill_and_submit(c, first, ALL)
        r = c.get("/w/w2")
        r = c.post("/w/w2/start", data={"_csrf": csrf})
        assert r.status_code == 429 and "已经参加过" in r.text
    with client(app) as c2:  # a second device at the same address: allowed (per_address 2)
        r = c2.get("/w/w2")
        assert c2.post("/w/w2/start", data={"_csrf": fields(r.text)["_csrf"]},
                       follow_redirects=False).status_code == 303
    with client(app) as c3:  # a third device at the same address: refused
        r = c3.get("/w/w2")
        r = c3.post("/w/w2/start", data={"_csrf": fields(r.text)["_csrf"]})
        assert r.status_code == 429 and "上限" in r.text
    assert len(list(store.responses("w2", complete_only=False))) == 2


def test_interviewer_signs_in_and_enters_answers(site):
    app, store = site
    create_user(store, "li_na", "correct horse", role="evaluator", display_name="李娜")
    create_user(store, "handler1", "correct horse", role="handler")
    token = store.create_invitations("w1", [{"community": "c2"}])[0]
    with client(app) as c:
        r = c.get("/staff", follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/staff/login")
        login = c.get("/staff/login")
        csrf = fields(login.text)["_csrf"]
        r = c.post("/staff/login", data={"_csrf": csrf, "username": "li_na", "password": "wrong password"})
        assert r.status_code == 401 and "不正确" in r.text
        r = c.post("/staff/login", data={"_csrf": csrf, "username": "handler1", "password": "correct horse"})
        assert r.status_code == 401 and "没有录入问卷的权限" in r.text
        r = c.post("/staff/login", data={"_csrf": csrf, "username": "li_na", "password": "correct horse"},
                   follow_redirects=False)
        assert r.status_code == 303
        home = c.get("/staff")
        assert "已登录：李娜" in home.text and 'value="w1"' in home.text
        r = c.post("/staff/interviews", data={"_csrf": fields(home.text)["_csrf"], "wave_id": "w1", "token": token},
                   follow_redirects=False)
        location = r.headers["location"]
        assert "访员录入模式" in c.get(location).text
        with client(app) as stranger:  # without a staff session the interview is not reachable
            r = stranger.get(location, follow_redirects=False)
            assert r.status_code == 303 and r.headers["location"].startswith("/staff/login")
        fill_and_submit(c, location, ALL)
        r = c.post("/staff/interviews", data={"_csrf": fields(home.text)["_csrf"], "wave_id": "w1", "token": "",
                                              "community": "c9"}, follow_redirects=False)
        fill_and_submit(c, r.headers["location"], ALL)
    stored = list(store.responses("w1"))
    assert [(r.mode, r.attributes.get("community")) for r in stored] == [("interviewer", "c2"), ("interviewer", "c9")]
    from engine.storage.models import Response
    with store.session() as s:
        assert {r.entered_by for r in s.query(Response).filter(Response.status == "complete")} == {"li_na"}
        hashed = s.execute(__import__("sqlalchemy").text("SELECT password_hash FROM app_user WHERE username='li_na'"))\
            .scalar()
    assert hashed.startswith("scrypt$") and "correct horse" not in hashed
    assert verify_password("correct horse", hashed) and not verify_password("correct horsE", hashed)


def test_wave_settings_through_the_api(site):
    app, store = site
    key = store.create_api_key("evaluator")
    with client(app) as c:
        vid = store.wave("w1")["questionnaire_version_id"]
        r = c.post("/api/v1/waves", headers={"Authorization": f"Bearer {key}"},
                   json={"id": "w3", "questionnaire_version_id": vid, "title": "x",
                         "quotas": {"community": {"c1": 50}}, "limits": {"open_link": True, "per_device": 1}})
        assert r.status_code == 201, r.text
        assert r.json()["quotas"] == {"community": {"c1": 50}, "stratum": {}}
        r = c.post("/api/v1/waves", headers={"Authorization": f"Bearer {key}"},
                   json={"id": "w4", "questionnaire_version_id": vid, "title": "x", "limits": {"per_devcie": 1}})
        assert r.status_code in (400, 422) and "per_devcie" in r.text
