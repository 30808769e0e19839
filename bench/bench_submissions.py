"""Completed survey submissions per second through the HTTP API, durable on SQLite, against a
bare litestar endpoint decoding the same body, on the same server settings in the same run
(issue 5): uvicorn, one worker, uvloop + httptools; wrk in its own process, one connection
pool of 64; every request a complete response of the shipped questionnaire's size with its
own Idempotency-Key (the integrator path: key lookup, wave check, insert, commit).

Each manyi answer is sent after the commit that holds it (group commit, engine.storage.group);
after each run the rows in the database are counted and must be at least the 2xx answers.

    .venv/bin/python bench/bench_submissions.py [--seconds 8] [--repeat 3] [--connections 64]

Prints the medians of the repetitions and the ratio manyi / bare (goal: at least 0.5)."""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text  # noqa: E402

from bench._wrk import lua_string, median, serve, wrk  # noqa: E402
from engine.storage import Store, upgrade  # noqa: E402
from engine.storage.db import sqlite_synchronous  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
POLICY = ROOT / "questionnaires" / "policies" / "national.yaml"



def answers() -> dict:
    """A complete answer set of the shipped questionnaire that its checks accept (a simulated
    respondent, with a comment): every request is checked as a real one is."""
    from engine.analysis.simulate import answer_sets
    from engine.io.importer import check_answers
    from engine.loader import load_questionnaire

    q = load_questionnaire(ROOT / "questionnaires" / "community_satisfaction.yaml")
    sent = {**answer_sets(q, seed=11)[0], "q_suggestions": "希望增加老年食堂的供餐时段，小区停车再规范一些。"}
    problems, typed, _ = check_answers(q, sent, {"community": "330102001001"})
    if problems:
        raise SystemExit(f"the bench's answers are not accepted: {problems[:3]}")
    return typed


ANSWERS = answers()


def script(key: str, prefix: str) -> str:
    body = json.dumps({"answers": ANSWERS, "attributes": {"community": "330102001001"}, "mode": "web"},
                      ensure_ascii=False)
    return f"""
local n = 0
local body = {lua_string(body)}
local headers = {{["Content-Type"] = "application/json", ["Authorization"] = "Bearer {key}"}}
request = function()
  n = n + 1
  headers["Idempotency-Key"] = "{prefix}-" .. n
  return wrk.format("POST", "/api/v1/waves/w1/responses", headers, body)
end
"""


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=8)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--connections", type=int, default=64)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        upgrade(url)
        store = Store(url)
        vid = store.publish_questionnaire((ROOT / "questionnaires" / "community_satisfaction.yaml").read_text("utf-8"))
        store.create_wave("w1", vid, title="bench")
        store.set_wave_status("w1", "open")
        key = store.create_api_key("integrator")

        def stored() -> int:
            with store.engine.connect() as c:
                return c.execute(text("SELECT count(*) FROM response")).scalar()

        rates: dict[str, list[float]] = {"bare": [], "manyi": []}
        lat: dict[str, list[float]] = {"bare": [], "manyi": []}
        with serve("bare_submission") as bare, serve("manyi", MANYI_BENCH_URL=url,
                                                     MANYI_BENCH_POLICY=str(POLICY)) as app:
            for base in (bare, app):  # warm up
                wrk(base, script(key, uuid.uuid4().hex), connections=args.connections, seconds=1)
            for rep in range(args.repeat):
                for name, base in (("bare", bare), ("manyi", app)):
                    before = stored()
                    load = wrk(base, script(key, uuid.uuid4().hex), connections=args.connections,
                               seconds=args.seconds)
                    if load.requests == 0 or load.failed > 0.01 * load.requests:  # e.g. answers refused (422)
                        raise SystemExit(f"{name}: {load.failed} of {load.requests} requests failed (not 2xx)")
                    if name == "manyi":
                        rows = stored() - before
                        if rows < load.requests - load.failed:
                            raise SystemExit(f"only {rows} rows stored for {load.requests - load.failed} 2xx answers")
                    rates[name].append(load.ok_per_second)
                    lat[name].append(load.p99_ms)
                    print(f"  run {rep + 1} {name:5s} {load.ok_per_second:9,.0f} /s  p50 {load.p50_ms:6.1f} ms  "
                          f"p99 {load.p99_ms:6.1f} ms  failed {load.failed}", flush=True)
        store.engine.dispose()
    b, m = median(rates["bare"]), median(rates["manyi"])
    print(f"\nSQLite synchronous={sqlite_synchronous()} (WAL), {args.connections} connections, "
          f"{args.repeat} x {args.seconds:g} s, medians:")
    print(f"  {'endpoint':34s} {'submissions/s':>14s} {'p99 ms':>8s}")
    print(f"  {'bare litestar (decode only)':34s} {b:14,.0f} {median(lat['bare']):8.1f}")
    print(f"  {'manyi, durable (group commit)':34s} {m:14,.0f} {median(lat['manyi']):8.1f}")
    pairs = sorted(x / y for x, y in zip(rates["manyi"], rates["bare"]))
    print(f"  ratio manyi / bare: {m / b:.2f} of the medians; {median(pairs):.2f} median of the runs' ratios "
          f"(each run's pair back to back; range {pairs[0]:.2f}-{pairs[-1]:.2f}) (goal >= 0.50)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
