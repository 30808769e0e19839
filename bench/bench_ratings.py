"""Ratings per second through the HTTP API, one per request and in batches of 1,000, into
SQLite and PostgreSQL (issue 6), each against, in the same run:
  - the bare endpoint: litestar decoding the same body into the same struct, no storage;
  - the raw SQLAlchemy Core insert rate of the same database: the same rating rows inserted
    with insert(table) executemany in pages of 1,000, one commit per page.
Same server settings for every app: uvicorn, one worker, uvloop + httptools; wrk in its own
process (64 connections for single ratings, 4 for batches). Every rating has its own
transaction number and its own rater phone (the keyed hash and the velocity limits run for
each, in batches too); 2 of 5 are bad ratings and open a case. The raw rows are the same
rating rows (each with its own rater key). Every manyi answer is sent after its commit; after
each run the stored rows are counted and must cover the 2xx answers.

    .venv/bin/python bench/bench_ratings.py [--seconds 8] [--repeat 3] [--databases sqlite,postgresql]
        [--pg postgresql+psycopg://postgres@127.0.0.1:5432]   (uses its own database manyi_bench)

Prints medians and the ratios (goal: batches of 1,000 reach at least half the raw Core rate)."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, insert, text  # noqa: E402

from bench._wrk import lua_string, median, serve, wrk  # noqa: E402
from engine.calendar import national_calendar  # noqa: E402
from engine.haocha.intake import RatingIn, accept_rating, keyed_hash  # noqa: E402
from engine.loader import load_policy  # noqa: E402
from engine.storage import Store, upgrade  # noqa: E402
from engine.storage.db import sqlite_synchronous  # noqa: E402
from engine.storage.models import RatingRow  # noqa: E402
from engine.storage.ratings import _rating_row  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
POLICY_PATH = ROOT / "questionnaires" / "policies" / "national.yaml"
BATCH = 1000

HEAD = '{"transaction_no":"'
MID = ('","adapter":"gbt39046","channel_code":"4","region_code":"440106","hall":"h1","window":"w3",'
       '"staff_id":"s9","department_code":"11440100MB2C12345X","item_code":"440100-001",'
       '"finished_at":"2026-09-30T10:00:00+08:00","rated_at":"2026-09-30T11:00:00+08:00","level_code":"')


def _tag() -> str:
    """Digits that start the phones of one run (a phone is rated in few runs: under the
    national policy's 20 a day)."""
    return f"{uuid.uuid4().int % 10**5:05d}"


def single_script(key: str, prefix: str) -> str:
    return f"""
local n = 0
local headers = {{["Content-Type"] = "application/json", ["Authorization"] = "Bearer {key}"}}
request = function()
  n = n + 1
  local body = {lua_string(HEAD)} .. "{prefix}-" .. n .. {lua_string(MID)} .. (n % 5 + 1) ..
    '","rater_phone":"1{_tag()}' .. string.format("%08d", n) .. '"}}'
  return wrk.format("POST", "/api/v1/ratings", headers, body)
end
"""


def batch_script(key: str, prefix: str) -> str:
    return f"""
local n = 0
local parts = {{}}
local headers = {{["Content-Type"] = "application/json", ["Authorization"] = "Bearer {key}"}}
request = function()
  n = n + 1
  for k = 1, {BATCH} do
    parts[k] = {lua_string(HEAD)} .. "{prefix}-" .. n .. "-" .. k .. {lua_string(MID)} .. (k % 5 + 1) ..
      '","rater_phone":"1{_tag()}' .. string.format("%06d%04d", n, k) .. '"}}'
  end
  return wrk.format("POST", "/api/v1/ratings/batch", headers, "[" .. table.concat(parts, ",") .. "]")
end
"""


def raw_core_rate(url: str, policy, n: int = 50_000) -> float:
    """Rows per second of SQLAlchemy Core insert(table) executemany, 1,000 rows per commit."""
    cal = national_calendar()
    r = accept_rating(RatingIn(transaction_no="x", adapter="gbt39046", level_code="1", channel_code="4",
                               region_code="440106", hall="h1", window="w3", staff_id="s9",
                               department_code="11440100MB2C12345X", item_code="440100-001",
                               rater_phone="13800000000",
                               finished_at=dt.datetime(2026, 9, 30, 10, tzinfo=dt.timezone.utc),
                               rated_at=dt.datetime(2026, 9, 30, 11, tzinfo=dt.timezone.utc)),
                      policy, cal, secret=b"bench")
    prefix, tag = "raw" + uuid.uuid4().hex[:8], _tag()
    now = dt.datetime.now(dt.timezone.utc)
    template = _rating_row(r, policy.id, False, now)
    rows = [{**template, "transaction_no": f"{prefix}-{k}", "rater_key": keyed_hash(f"1{tag}{k:010d}", b"bench")}
            for k in range(n)]
    engine = Store(url).engine
    stmt = insert(RatingRow.__table__)
    t = time.perf_counter()
    for i in range(0, n, BATCH):
        with engine.begin() as conn:
            conn.execute(stmt, rows[i:i + BATCH])
    rate = n / (time.perf_counter() - t)
    if engine.dialect.name == "postgresql":  # as autovacuum would, so that plans see the table's size
        with engine.begin() as conn:
            conn.execute(text("ANALYZE rating"))
    engine.dispose()
    return rate


def stored(url: str) -> int:
    engine = create_engine(url)
    with engine.connect() as c:
        n = c.execute(text("SELECT count(*) FROM rating")).scalar()
    engine.dispose()
    return n


def fresh_pg(base: str) -> str:
    admin = create_engine(f"{base}/test", isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'manyi_bench'"))
        c.execute(text("DROP DATABASE IF EXISTS manyi_bench"))
        c.execute(text("CREATE DATABASE manyi_bench"))
    admin.dispose()
    return f"{base}/manyi_bench"


def run_database(name: str, url: str, args) -> dict[str, float]:
    upgrade(url)
    policy = load_policy(POLICY_PATH)
    store = Store(url)
    key = store.create_api_key("integrator")
    store.engine.dispose()
    res: dict[str, list[float]] = {k: [] for k in ("raw", "bare1", "manyi1", "bareN", "manyiN")}
    with serve("bare_rating") as bare1, serve("bare_rating_batch") as bareN, \
            serve("manyi", MANYI_BENCH_URL=url, MANYI_BENCH_POLICY=str(POLICY_PATH)) as app:
        for base, sc, c in ((bare1, single_script, 64), (app, single_script, 64), (bareN, batch_script, 4),
                            (app, batch_script, 4)):  # warm up
            wrk(base, sc(key, uuid.uuid4().hex[:8]), connections=c, seconds=1)
        for rep in range(args.repeat):
            res["raw"].append(raw_core_rate(url, policy))
            print(f"  {name} run {rep + 1} raw Core insert {res['raw'][-1]:11,.0f} rows/s", flush=True)
            for label, base, sc, c, per in (("bare1", bare1, single_script, 64, 1),
                                            ("manyi1", app, single_script, 64, 1),
                                            ("bareN", bareN, batch_script, 4, BATCH),
                                            ("manyiN", app, batch_script, 4, BATCH)):
                before = stored(url) if label.startswith("manyi") else 0
                load = wrk(base, sc(key, uuid.uuid4().hex[:8]), connections=c, seconds=args.seconds)
                ok = (load.requests - load.failed) * per
                if label.startswith("manyi"):
                    rows = stored(url) - before
                    if rows < ok:
                        raise SystemExit(f"{name} {label}: {rows} rows stored for {ok} ratings answered")
                res[label].append(ok / load.seconds)
                print(f"  {name} run {rep + 1} {label:7s} {res[label][-1]:11,.0f} ratings/s  "
                      f"p99 {load.p99_ms:7.1f} ms  failed requests {load.failed}", flush=True)
    out = {k: median(v) for k, v in res.items()}
    out["pairN_raw"] = median([m / r for m, r in zip(res["manyiN"], res["raw"])])
    out["pair1_bare"] = median([m / b for m, b in zip(res["manyi1"], res["bare1"])])
    out["pairN_bare"] = median([m / b for m, b in zip(res["manyiN"], res["bareN"])])
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=8)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--databases", default="sqlite,postgresql")
    ap.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432",
                    help="PostgreSQL server (the benchmark creates and uses the database manyi_bench)")
    args = ap.parse_args(argv)
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.databases.split(","):
            url = f"sqlite:///{Path(tmp) / 'bench.db'}" if name == "sqlite" else fresh_pg(args.pg)
            results[name] = run_database(name, url, args)
    print(f"\nmedians of {args.repeat} runs of {args.seconds:g} s (SQLite synchronous={sqlite_synchronous()}, WAL):")
    print(f"  {'database':11s} {'raw Core rows/s':>16s} {'bare 1/req':>11s} {'manyi 1/req':>12s} {'ratio':>6s} "
          f"{'bare 1000/req':>14s} {'manyi 1000/req':>15s} {'/bare':>6s} {'/raw Core':>10s}")
    for name, r in results.items():
        print(f"  {name:11s} {r['raw']:16,.0f} {r['bare1']:11,.0f} {r['manyi1']:12,.0f} {r['manyi1'] / r['bare1']:6.2f} "
              f"{r['bareN']:14,.0f} {r['manyiN']:15,.0f} {r['manyiN'] / r['bareN']:6.2f} "
              f"{r['manyiN'] / r['raw']:10.2f}")
    print("  ratios above are of the medians; medians of each run's own ratios (same run, back to back):")
    for name, r in results.items():
        print(f"  {name:11s} manyi 1/req / bare {r['pair1_bare']:.2f}   manyi 1000/req / bare {r['pairN_bare']:.2f}   "
              f"manyi 1000/req / raw Core {r['pairN_raw']:.2f}")
    print("  goal: manyi 1000/req / raw Core >= 0.50")
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
