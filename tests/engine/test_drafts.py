"""Drafts (responses in progress) in storage on SQLite and PostgreSQL: one draft per link,
completion with the rules of Store.submit, quotas exact under concurrent completions."""

from __future__ import annotations

import threading

import pytest

from engine.storage import Conflict
from engine.storage.drafts import (
    QuotaFull, complete_draft, find_draft, new_draft_key, quota_status, save_draft, start_draft, started_by,
)
from tests.engine.test_storage import SOURCE, store, url  # noqa: F401


@pytest.fixture
def wave(store):  # noqa: F811
    vid = store.publish_questionnaire(SOURCE)
    store.create_wave("w1", vid, title="t", quotas={"community": {"c1": 3}, "stratum": {"rural": 1}})
    store.set_wave_status("w1", "open")
    return store


def test_one_draft_per_link_and_its_completion(wave):
    token = wave.create_invitations("w1", [{"community": "c2", "stratum": "urban", "attributes": {"district": "d"}}])[0]
    d = start_draft(wave, token, wave_id="w1", invitation=True, device_key="dev", address_key="addr")
    assert start_draft(wave, token, wave_id="w1", invitation=True).id == d.id
    assert d.attributes == {"district": "d", "stratum": "urban", "community": "c2"} and d.status == "partial"
    save_draft(wave, d.id, answers={"q_gender": "male"}, paradata={"page": "sec_services"})
    assert find_draft(wave, token).answers == {"q_gender": "male"}
    assert list(wave.responses("w1")) == []  # a draft is not a response yet
    done = complete_draft(wave, d.id, answers={"q_gender": "female"}, paradata={"start": "x"})
    assert done.status == "complete" and done.paradata["end"] and wave.invitation(token)["used"]
    with pytest.raises(Conflict):
        save_draft(wave, d.id, answers={}, paradata={})
    with pytest.raises(Conflict):
        wave.submit("w1", {"q_gender": "male"}, token=token)
    assert [r.answers for r in wave.responses("w1")] == [{"q_gender": "female"}]
    assert started_by(wave, "w1", device_key="dev", address_key="addr")[:2] == (1, 1)


def test_used_invitation_and_closed_wave_refuse_a_draft(wave):
    token = wave.create_invitations("w1", [{"community": "c2"}])[0]
    wave.submit("w1", {}, token=token)
    with pytest.raises(Conflict):
        start_draft(wave, token, wave_id="w1", invitation=True)
    key = new_draft_key()
    d = start_draft(wave, key, wave_id="w1", invitation=False)
    wave.set_wave_status("w1", "closed")
    with pytest.raises(Conflict, match="closed"):
        complete_draft(wave, d.id, answers={}, paradata={})
    with pytest.raises(Conflict, match="closed"):
        start_draft(wave, new_draft_key(), wave_id="w1", invitation=False)


def test_quota_counts_page_and_api_completions(wave):
    tokens = wave.create_invitations("w1", [{"community": "c1", "stratum": "rural"}] + [{"community": "c1"}] * 3)
    wave.submit("w1", {}, token=tokens[0])  # through the API: counts under its invitation's groups
    assert quota_status(wave, "w1", community=None, stratum="rural") == ("stratum", "rural", 1, 1)
    assert quota_status(wave, "w1", community="c1", stratum=None) is None
    drafts = [start_draft(wave, t, wave_id="w1", invitation=True) for t in tokens[1:]]
    complete_draft(wave, drafts[0].id, answers={}, paradata={})
    complete_draft(wave, drafts[1].id, answers={}, paradata={})
    with pytest.raises(QuotaFull) as e:
        complete_draft(wave, drafts[2].id, answers={}, paradata={})
    assert (e.value.group, e.value.value) == ("community", "c1")
    assert find_draft(wave, tokens[3]).status == "partial" and not wave.invitation(tokens[3])["used"]
    with pytest.raises(QuotaFull):
        start_draft(wave, new_draft_key(), wave_id="w1", invitation=False, community="c1")


def test_quota_counts_responses_without_invitation_under_their_attributes(wave):
    """An integrator's submission (alone or group-committed) and a paper row count under the
    community and stratum of their attributes; a value the columns cannot hold counts nowhere."""
    from engine.storage.group import GroupCommitter
    from engine.storage.paper import PaperRow, insert_paper_rows
    from engine.storage.submissions import submission_item, submissions_kind

    wave.submit("w1", {}, attributes={"community": "c1", "stratum": "rural"})
    assert quota_status(wave, "w1", community=None, stratum="rural") == ("stratum", "rural", 1, 1)
    committer = GroupCommitter(wave.engine)
    try:
        committer.write_sync(submissions_kind(wave), submission_item("w1", {}, attributes={"community": "c1"}))
        committer.write_sync(submissions_kind(wave), submission_item("w1", {}, attributes={"community": 7}))
        committer.write_sync(submissions_kind(wave), submission_item("w1", {}, attributes={"community": "c" * 65}))
    finally:
        committer.stop()
    assert quota_status(wave, "w1", community="c1", stratum=None) is None  # 2 of 3
    insert_paper_rows(wave, "w1", [PaperRow("paper:1", {}, {"community": "c1"}, {}, None)])
    assert quota_status(wave, "w1", community="c1", stratum=None) == ("community", "c1", 3, 3)


def test_concurrent_completions_never_pass_the_quota(wave):
    keys = [new_draft_key() for _ in range(8)]
    drafts = [start_draft(wave, k, wave_id="w1", invitation=False, community="c1") for k in keys]
    results: list[str] = []
    barrier = threading.Barrier(len(drafts))

    def finish(d):
        barrier.wait()
        try:
            complete_draft(wave, d.id, answers={"q_gender": "male"}, paradata={})
            results.append("ok")
        except QuotaFull:
            results.append("full")

    threads = [threading.Thread(target=finish, args=(d,)) for d in drafts]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["full"] * 5 + ["ok"] * 3
    assert len(list(wave.responses("w1"))) == 3
