"""Benchmark of exports against reading the same rows, in one run.

Stores N complete responses of the shipped community questionnaire in a fresh SQLite file
(Core executemany, not timed as part of an export), then in a fresh process per job:
  baseline: read every row page by page (engine.storage.paper.response_pages), nothing written;
  csv, sav, xlsx: export the wave to a file.
Prints rows/s, each export's rate as a ratio of the baseline rate, the file size, and the
resident memory (VmRSS) after the first 10,000 rows and at most during the job.

    .venv/bin/python bench/bench_export.py --n 1000000 --formats csv sav
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

JOB = textwrap.dedent("""
    import sys, time
    from engine.storage import Store
    from engine.storage.paper import response_pages
    from engine.io.exporter import export_wave
    rss = lambda: int(open("/proc/self/status").read().split("VmRSS:")[1].split()[0]) * 1024
    st = Store(sys.argv[1])
    samples = []
    t = time.perf_counter()
    if sys.argv[2] == "baseline":
        n = 0
        for page in response_pages(st, "bench", batch=1000):
            n += len(page)
            if n % 10000 == 0:
                samples.append(rss())
    else:
        n = export_wave(st, "bench", sys.argv[2], sys.argv[3],
                        progress=lambda k: samples.append(rss()) if k % 10000 == 0 else None)
    print(n, time.perf_counter() - t, samples[0], max(samples))
""")


def build(url: str, n: int) -> None:
    from sqlalchemy import insert

    from engine.io.importer import _check_row, _Layout
    from engine.loader import loads
    from engine.storage import Store, upgrade
    from engine.storage.models import Response
    from tests.engine.paper_data import valid_rows

    source = (ROOT / "questionnaires" / "community_satisfaction.yaml").read_text(encoding="utf-8")
    upgrade(url)
    st = Store(url)
    vid = st.publish_questionnaire(source)
    st.create_wave("bench", vid, title="bench")
    q = loads(source, expect="questionnaire")
    header, rows = valid_rows(1000, seed=1)
    layout = _Layout(q)
    mapping = [(j, h, h) for j, h in enumerate(header)]
    base = [_check_row(layout, mapping, row, k + 2)[1:3] for k, row in enumerate(rows)]
    with st.engine.begin() as c:
        for start in range(0, n, 5000):
            c.execute(insert(Response.__table__), [
                {"wave_id": "bench", "questionnaire_version_id": vid, "status": "complete", "mode": "paper",
                 "answers": base[i % 1000][0], "attributes": {**base[i % 1000][1], "respondent_id": f"R{i:07d}"},
                 "paradata": {}, "idempotency_key": f"k{i}"} for i in range(start, min(n, start + 5000))])
    st.engine.dispose()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=200_000)
    ap.add_argument("--formats", nargs="+", default=["csv", "sav", "xlsx"], choices=["csv", "sav", "xlsx"])
    ap.add_argument("--dir", help="where to put the database and files (default: a temporary folder)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        db = Path(tmp) / "bench.db"
        url = f"sqlite:///{db}"
        build(url, args.n)
        print(f"{args.n:,} responses stored: database {db.stat().st_size / 2**20:.0f} MiB")
        rate0 = None
        for job in ["baseline"] + args.formats:
            out = Path(tmp) / f"out.{job}"
            res = subprocess.run([sys.executable, "-c", JOB, url, job, str(out)], cwd=ROOT, capture_output=True,
                                 text=True, check=True).stdout.split()
            n, seconds, first, peak = int(res[0]), float(res[1]), int(res[2]), int(res[3])
            rate = n / seconds
            rate0 = rate0 or rate
            size = f", file {out.stat().st_size / 2**20:.0f} MiB" if out.exists() else ""
            print(f"{job:8s} {n:,} rows in {seconds:6.1f} s = {rate:8,.0f} rows/s, {rate / rate0:4.2f} x baseline"
                  f"{size}; RSS {first / 2**20:.0f} MiB after 10,000 rows, {peak / 2**20:.0f} MiB at most",
                  flush=True)


if __name__ == "__main__":
    main()
