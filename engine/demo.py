"""`manyi demo`: the whole mission on the embedded default (SQLite), from a seed.

A fresh database with the shipped questionnaires and policy; two waves of the community
survey (last year's and this year's) simulated over 6 districts and 120 communities with
community effects, a sample whose age and gender mix differs from the population (so that
weighting changes the answers), speeders, straight-liners and 不了解 answers; a month of
good/bad ratings from several departments and channels whose cases are worked into every
state, some overdue and escalated. Then both waves are scored from the database and the
reports are written. Everything goes through the same services the API and the CLI use."""

from __future__ import annotations

import datetime as dt
import json
import secrets
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import msgspec
import numpy as np
from sqlalchemy import insert

from .analysis import evaluate
from .analysis.fromstore import wave_dataset
from .analysis.simulate import simulate
from .calendar import national_calendar
from .haocha.simulate import DEPARTMENTS, simulate_month
from .loader import load_plan, load_policy, load_questionnaire
from .schema import Plan, Questionnaire
from .storage import Store, upgrade
from .storage.models import Response

__all__ = ["DemoResult", "run_demo", "SHIPPED"]

SHIPPED = Path(__file__).resolve().parent.parent / "questionnaires"
Progress = Callable[[str], None]


@dataclass
class DemoResult:
    directory: Path
    database_url: str
    waves: dict[str, Path] = field(default_factory=dict)          # wave id -> results.json
    files: dict[str, Path] = field(default_factory=dict)          # what -> file written
    facts: dict[str, object] = field(default_factory=dict)        # figures printed at the end
    links: dict[str, str] = field(default_factory=dict)           # what -> path on the server


def _responses(store: Store, wave_id: str, version_id: int, header: list[str], rows: list[list[str]],
               q: Questionnaire, fieldwork: tuple[dt.date, dt.date], seed: int) -> int:
    """Store simulated completed responses in one transaction (as an import of interviews would)."""
    rng = np.random.default_rng(seed)
    attrs = {a.id for a in q.attributes if a.source == "frame"}
    days = (fieldwork[1] - fieldwork[0]).days + 1
    tz = dt.timezone(dt.timedelta(hours=8))
    modes = rng.choice(["web", "interviewer", "paper", "phone"], size=len(rows), p=[0.55, 0.3, 0.1, 0.05])
    out = []
    col = {h: k for k, h in enumerate(header)}
    for i, row in enumerate(rows):
        start = dt.datetime.combine(fieldwork[0] + dt.timedelta(days=int(rng.integers(days))), dt.time(8),
                                    tzinfo=tz) + dt.timedelta(minutes=int(rng.integers(12 * 60)))
        dur = float(row[col["duration_seconds"]])
        answers, attributes = {}, {}
        for h, k in col.items():
            if h in ("respondent_id", "duration_seconds") or row[k] == "":
                continue
            (attributes if h in attrs else answers)[h] = row[k].split(";") if ";" in row[k] else row[k]
        out.append({"wave_id": wave_id, "questionnaire_version_id": version_id, "status": "complete",
                    "mode": str(modes[i]), "attributes": attributes, "answers": answers,
                    "paradata": {"duration_seconds": dur}, "started_at": start,
                    "submitted_at": start + dt.timedelta(seconds=dur), "created_at": start,
                    "idempotency_key": f"demo:{wave_id}:{row[col['respondent_id']]}",
                    "entered_by": "interviewer-demo" if modes[i] == "interviewer" else None})
    with store.session() as s, s.begin():
        for i in range(0, len(out), 2000):
            s.execute(insert(Response), out[i:i + 2000])
    return len(out)


def _plan_for(plan: Plan, wave_id: str, start: dt.date, end: dt.date, previous: Path | None) -> Plan:
    wave = msgspec.structs.replace(plan.wave, id=wave_id, start=start, end=end)
    return msgspec.structs.replace(plan, wave=wave, previous_wave=str(previous) if previous else None)


def run_demo(directory: str | Path = "var/demo", *, seed: int = 2026, respondents: int = 20_000,
             ratings: int = 30_000, progress: Progress = lambda s: None) -> DemoResult:
    """Build the demo in `directory` (replaced if it exists) and return what was written."""
    t0 = time.perf_counter()
    say = lambda s: progress(f"[{time.perf_counter() - t0:5.1f}s] {s}")  # noqa: E731
    out = Path(directory).resolve()  # the plan resolves the previous wave against its own folder
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    db = out / "manyi.db"
    url = f"sqlite:///{db}"
    result = DemoResult(out, url)
    say(f"creating the database {db}")
    upgrade(url)
    store = Store(url)
    qpath = SHIPPED / "community_satisfaction.yaml"
    q = load_questionnaire(qpath)
    plan_path = SHIPPED / "plans" / "community_2026.yaml"
    plan = load_plan(plan_path)
    policy = load_policy(SHIPPED / "policies" / "guangdong.yaml")
    calendar = national_calendar()
    version = store.publish_questionnaire(qpath.read_text(encoding="utf-8"), actor="demo")
    store.publish_questionnaire((SHIPPED / "haocha_rating.yaml").read_text(encoding="utf-8"), actor="demo")

    waves = [("wave_2025", "2025年度社区服务满意度调查", (dt.date(2025, 4, 1), dt.date(2025, 5, 31)), -0.12, seed + 1),
             ("wave_2026", "2026年度社区服务满意度调查", (plan.wave.start, plan.wave.end), 0.0, seed)]
    previous: Path | None = None
    for wave_id, title, (start, end), shift, wave_seed in waves:
        say(f"simulating {wave_id}: {respondents:,} respondents in 6 districts, 120 communities")
        header, rows = simulate(q, plan, n=respondents, seed=wave_seed, region_seed=seed, districts=6, streets=4,
                                communities=5, shift=shift)
        store.create_wave(wave_id, version, title=title, plan_source=plan_path.read_text(encoding="utf-8"),
                          actor="demo")
        store.set_wave_status(wave_id, "open", actor="demo")
        _responses(store, wave_id, version, header, rows, q, (start, end), wave_seed)
        say(f"scoring {wave_id} from the database")
        wave_plan = _plan_for(plan, wave_id, start, end, previous)
        data = wave_dataset(store, wave_id, q, wave_plan)
        results = evaluate(wave_plan, q, data, base_dir=plan_path.parent, bootstrap_replicates=200)
        path = out / f"results_{wave_id}.json"
        path.write_text(json.dumps(_plain(results), ensure_ascii=False, indent=1, allow_nan=False) + "\n",
                        encoding="utf-8")
        result.waves[wave_id] = path
        if wave_id == "wave_2025":
            store.set_wave_status(wave_id, "closed", actor="demo")
        else:
            _survey_reports(result, results, q, wave_plan, data, plan_path.parent, previous, say)
        previous = path
    overall = next(e for e in results["estimates"] if e["target"] == "overall_index" and e["domain"] is None)
    result.facts.update(overall_index=overall["value"], ci_low=overall["ci_low"], ci_high=overall["ci_high"],
                        std_error=overall["std_error"], unweighted_index=results["unweighted_overall_index"],
                        respondents=results["data"]["rows"], used=results["data"]["used"])

    say(f"simulating a month of {ratings:,} good/bad ratings (2026-10) and working their cases")
    month = simulate_month(store, policy, calendar, year=2026, month=10, n=ratings, seed=seed)
    result.facts.update(ratings=month.ratings, bad_ratings=month.bad, cases=month.cases, case_states=month.states,
                        escalated=month.escalated)
    (out / "departments.json").write_text(json.dumps(month.departments, ensure_ascii=False, indent=1) + "\n",
                                          encoding="utf-8")
    # transactions finished today, not yet rated: the resident rating page opens for them;
    # and October's unrated ones, which the default-rating job rates as the policy says
    from .storage.transactions import add_transactions, default_ratings
    now = dt.datetime.now(dt.timezone(dt.timedelta(hours=8)))
    code, _, region, _ = DEPARTMENTS[0]
    fresh = [{"transaction_no": f"DEMO{now:%Y%m%d}{k:03d}", "region_code": region, "department_code": code,
              "finished_at": now - dt.timedelta(minutes=5 * k), "hall": f"{region}-大厅", "window": "03号窗口",
              "staff_id": f"{code[-4:-1]}-03", "item_code": f"{code[-4:-1]}-007"} for k in range(1, 6)]
    october = [{"transaction_no": f"DEMO202610{k:04d}", "region_code": region, "department_code": code,
                "finished_at": dt.datetime(2026, 10, 8 + k % 20, 15, tzinfo=now.tzinfo)} for k in range(200)]
    add_transactions(store, fresh + october, source="demo")
    run = default_ratings(store, policy, calendar, today=now.date())
    result.facts.update(default_ratings=run.rated, rating_transaction=fresh[0]["transaction_no"])
    say("writing the monthly good/bad-rating report")
    from reports.render import html_to_pdf, render_html

    from .analysis.rating_report import monthly_report
    ctx = monthly_report(store, policy, month=dt.date(2026, 10, 1), today=dt.date(2026, 11, 5),
                         department_names=month.departments)
    result.files["rating report"] = out / "ratings_2026-10.pdf"
    html_to_pdf(render_html(ctx), result.files["rating report"])
    tokens = store.create_invitations("wave_2026", [{"stratum": "330102", "community": "330102001001"}] * 3,
                                      actor="demo")
    result.links["survey"] = f"/s/{tokens[0]}"
    from .storage.users import create_user
    password = secrets.token_urlsafe(9)
    create_user(store, "leader", password, role="leader", display_name="演示领导")
    create_user(store, "evaluator", password, role="evaluator", display_name="演示评估员")
    result.facts["leader_login"] = f"leader / {password}"
    (out / "demo-accounts.txt").write_text(f"leader / {password}\nevaluator / {password}\n", encoding="utf-8")
    result.facts["invitations"] = tokens
    store.engine.dispose()
    say("done")
    return result


def _survey_reports(result: DemoResult, results: dict, q: Questionnaire, plan: Plan, data, base_dir: Path,
                    previous: Path | None, say: Progress) -> None:
    """The national report (PDF, and HTML for the leaders' page) and the community scorecards."""
    from reports.batch import render_scorecards
    from reports.render import html_to_pdf, render_html

    from .analysis.report import load_results, national_report, weighted_data
    from .analysis.scorecards import scorecards

    out = result.directory
    wd = weighted_data(plan, q, data, base_dir=base_dir)
    say("writing the national report")
    ctx = national_report(results, q, plan, lang="zh", data=wd, base_dir=base_dir,
                          previous=[load_results(previous)] if previous else [])
    html = render_html(ctx)
    (out / "national_report.html").write_text(html, encoding="utf-8")
    result.files["national report"] = out / "national_report.pdf"
    html_to_pdf(html, result.files["national report"])
    say("writing the community scorecards")
    batch = scorecards(results, q, plan, lang="zh", data=wd, base_dir=base_dir)
    result.files["scorecards"] = out / "scorecards.pdf"
    render_scorecards(batch, result.files["scorecards"], per="all")
    result.facts["scorecards"] = len(batch.scorecards)


def _plain(value):
    from .cli import _plain as plain
    return plain(value)
