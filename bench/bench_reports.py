"""Benchmark of the reports against WeasyPrint alone, in one run (issue 7).

Data: the shipped community questionnaire with its indicator tree cut to 31 items (34 scored
items with the 3 overall items), simulated by engine.analysis.simulate and scored by
engine.analysis.evaluate (scoring is not timed: it is issue 4's benchmark).

  national: 6 districts x 4 streets x 5 communities (120), --n respondents.
    total    = context (design weights recomputed + NationalReport) + charts and HTML
               (render_html) + PDF (WeasyPrint with our fetcher)
    baseline = weasyprint.HTML(string=the same final HTML).write_pdf(), nothing else
    Runs alternate, --repeat times each; medians are compared (acceptance: total <= 1.5 x baseline).
  subsetting: the final HTML written with HarfBuzz subsetting (WeasyPrint's default when
    libharfbuzz-subset is present), with fontTools subsetting (HarfBuzz hidden from WeasyPrint),
    and with whole fonts embedded (full_fonts): time and file size.
  scorecards: 1,000 communities above the minimum n (10 x 10 x 12 simulated, the first 1,000
    cards), made as `manyi report --kind scorecards --out cards.pdf` makes them (its default
    form: one PDF, on --workers processes, default 2): reading the CSV + context (design
    weights, ScorecardBatch) + PDF; acceptance: under 60 s on 2 processes.
    --one-process also times the same PDF on one process; --other-forms the other forms of
    `--scorecards DIR`: one file per community and one per district.

    .venv/bin/python bench/bench_reports.py
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_evaluation import trim_to  # noqa: E402
from engine.analysis import evaluate, read_csv  # noqa: E402
from engine.analysis.report import national_report, weighted_data  # noqa: E402
from engine.analysis.scorecards import scorecards  # noqa: E402
from engine.analysis.simulate import simulate, write_csv  # noqa: E402
from engine.cli import _plain  # noqa: E402
from engine.loader import load_plan, load_questionnaire  # noqa: E402

PLAN = ROOT / "questionnaires" / "plans" / "community_2026.yaml"


def wave(tmp: Path, name: str, n: int, districts: int, streets: int, communities: int, seed: int):
    q = trim_to(load_questionnaire(ROOT / "questionnaires" / "community_satisfaction.yaml"), 31)
    plan = load_plan(PLAN)
    header, rows = simulate(q, n=n, seed=seed, districts=districts, streets=streets, communities=communities)
    path = tmp / f"{name}.csv"
    write_csv(path, header, rows)
    data = read_csv(str(path), q, plan)
    results = json.loads(json.dumps(_plain(evaluate(plan, q, data, base_dir=PLAN.parent, bootstrap_replicates=20)),
                                    allow_nan=False))
    return q, plan, path, results


def _median(xs):
    return statistics.median(xs)


def _cpu() -> float:
    """CPU seconds of this process and of its finished children (pool workers)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def bench_national(tmp: Path, n: int, repeat: int) -> dict:
    import weasyprint

    from reports.render import html_to_pdf, render_html

    q, plan, path, results = wave(tmp, "national", n, 6, 4, 5, seed=11)
    scored = sum(1 for e in results["estimates"] if e["kind"] in ("item", "overall_item") and e["domain"] is None)
    units = len(results["league_tables"]["community"]["rows"])
    totals, bases, parts, cpu_totals, cpu_bases = [], [], [], [], []
    html = ""
    for _ in range(repeat):
        t0 = time.perf_counter()
        data = read_csv(str(path), q, plan)
        t1 = time.perf_counter()
        c1 = _cpu()
        wd = weighted_data(plan, q, data, base_dir=PLAN.parent)
        ctx = national_report(results, q, plan, data=wd, base_dir=PLAN.parent)
        t2 = time.perf_counter()
        html = render_html(ctx)
        t3 = time.perf_counter()
        html_to_pdf(html, tmp / "national.pdf")
        t4 = time.perf_counter()
        c4 = _cpu()
        weasyprint.HTML(string=html).write_pdf(tmp / "baseline.pdf")
        t5 = time.perf_counter()
        cpu_totals.append(c4 - c1)
        cpu_bases.append(_cpu() - c4)
        parts.append((t1 - t0, t2 - t1, t3 - t2, t4 - t3))
        totals.append(t4 - t1)
        bases.append(t5 - t4)
    pages = len(weasyprint.HTML(string=html).render().pages)
    charts = html.count("<svg")
    med = [_median([p[k] for p in parts]) for k in range(4)]
    return {"respondents": n, "communities": units, "scored_items": scored, "pages": pages, "charts": charts,
            "read_csv_s": med[0], "context_s": med[1], "charts_html_s": med[2], "pdf_s": med[3],
            "total_s": _median(totals), "baseline_s": _median(bases),
            "ratio": _median(totals) / _median(bases),
            "ratio_with_csv": (_median(totals) + med[0]) / _median(bases), "html": html,
            "cpu_total_s": _median(cpu_totals), "cpu_baseline_s": _median(cpu_bases),
            "cpu_ratio": _median(cpu_totals) / _median(cpu_bases)}


def bench_subsetting(tmp: Path, html: str) -> dict:
    import weasyprint.pdf.fonts as wf

    from reports.render import html_to_pdf

    out = {}
    saved = wf.harfbuzz_subset
    for name, options, hb in (("harfbuzz", {}, saved), ("fonttools", {}, None), ("full_fonts", {"full_fonts": True},
                                                                                 saved)):
        wf.harfbuzz_subset = hb
        try:
            target = tmp / f"subset_{name}.pdf"
            t = time.perf_counter()
            html_to_pdf(html, target, **options)
            out[name] = {"s": time.perf_counter() - t, "bytes": target.stat().st_size}
        finally:
            wf.harfbuzz_subset = saved
    return out


def bench_scorecards(tmp: Path, workers: int, one_process: bool, other_forms: bool) -> dict:
    from reports.batch import render_scorecards

    q, plan, path, results = wave(tmp, "cards", 84_000, 10, 10, 12, seed=13)

    def progress(per: str):
        return lambda d, n: print(f"  [{per}] {d}/{n}", file=sys.stderr, flush=True) if d % 250 < 10 else None

    def context():
        t0 = time.perf_counter()
        data = read_csv(str(path), q, plan)
        t1 = time.perf_counter()
        batch = scorecards(results, q, plan, data=weighted_data(plan, q, data, base_dir=PLAN.parent), base_dir=PLAN.parent)
        if len(batch.scorecards) < 1000:
            raise SystemExit(f"only {len(batch.scorecards)} communities above the minimum n; raise n")
        return dataclasses.replace(batch, scorecards=batch.scorecards[:1000]), t1 - t0, time.perf_counter() - t1

    out: dict = {"workers": workers}
    modes = [("all", workers)] + ([("all", 1)] if one_process else []) + (
        [("unit", workers), ("district", workers)] if other_forms else [])
    for per, w in modes:
        c = _cpu()
        batch, read_s, context_s = context()
        t = time.perf_counter()
        target = tmp / ("cards.pdf" if per == "all" else f"cards_{per}")
        files = render_scorecards(batch, target, per=per, workers=w, progress=progress(per))
        render_s = time.perf_counter() - t
        size = sum(f.stat().st_size for f in files)
        out[(per, w)] = {"cards": len(batch.scorecards), "files": len(files), "read_csv_s": read_s,
                         "context_s": context_s, "render_s": render_s, "total_s": read_s + context_s + render_s,
                         "cpu_s": _cpu() - c, "mb": size / 1e6, "load": os.getloadavg()[0]}
    return out
def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=12_000, help="respondents of the national wave")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--skip-cards", action="store_true")
    ap.add_argument("--cards-only", action="store_true")
    ap.add_argument("--one-process", action="store_true", help="also time the 1,000 cards' PDF on one process")
    ap.add_argument("--other-forms", action="store_true",
                    help="also time a PDF per community and a PDF per district (--scorecards DIR)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        if not args.cards_only:
            national(tmp, args)
        if not args.skip_cards:
            cards = bench_scorecards(tmp, args.workers, args.one_process, args.other_forms)
            for key, r in cards.items():
                if key == "workers":
                    continue
                per, w = key
                form = {"all": "one PDF", "unit": "a PDF per community", "district": "a PDF per district"}[per]
                print(f"scorecards, {form}: {r['cards']:,} cards, {r['files']} file(s), {r['mb']:.1f} MB, on {w} "
                      f"process(es): reading the CSV {r['read_csv_s']:.2f} s + context {r['context_s']:.2f} s + PDF "
                      f"{r['render_s']:.2f} s = {r['total_s']:.2f} s; CPU {r['cpu_s']:.1f} s; load average "
                      f"{r['load']:.2f}")
                if key == ("all", args.workers):
                    verdict = "yes" if r["total_s"] < 60 else "NO"
                    print(f"  as `manyi report --kind scorecards --out cards.pdf` makes them: {r['total_s']:.1f} s; "
                          f"under 60 s: {verdict}")
            if ("all", 1) in cards and args.workers > 1:
                print(f"  one PDF: {args.workers} processes take "
                      f"{cards[('all', args.workers)]['render_s'] / cards[('all', 1)]['render_s']:.2f} of one "
                      f"process's PDF time")
    print(f"load average {os.getloadavg()[0]:.2f} (2 cores; other jobs on the machine inflate wall times)")


def national(tmp: Path, args: argparse.Namespace) -> None:
    nat = bench_national(tmp, args.n, args.repeat)
    html = nat.pop("html")
    print(f"national report: {nat['respondents']:,} respondents, {nat['communities']} communities, "
          f"{nat['scored_items']} scored items -> {nat['pages']} pages, {nat['charts']} charts")
    print(f"  context {nat['context_s']:.2f} s + charts/HTML {nat['charts_html_s']:.2f} s + PDF "
          f"{nat['pdf_s']:.2f} s = total {nat['total_s']:.2f} s (median of {args.repeat}); "
          f"reading the CSV {nat['read_csv_s']:.2f} s")
    print(f"  baseline (WeasyPrint alone on the final HTML) {nat['baseline_s']:.2f} s")
    print(f"  ratio total/baseline {nat['ratio']:.2f} (acceptance <= 1.5); with the CSV read "
          f"{nat['ratio_with_csv']:.2f}")
    print(f"  CPU time: total {nat['cpu_total_s']:.2f} s, baseline {nat['cpu_baseline_s']:.2f} s, ratio "
          f"{nat['cpu_ratio']:.2f}")
    for name, r in bench_subsetting(tmp, html).items():
        print(f"  fonts {name:10s} {r['s']:6.2f} s  {r['bytes'] / 1e6:7.2f} MB")


if __name__ == "__main__":
    main()
