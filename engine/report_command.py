"""`manyi report`: the national report, community scorecards and the monthly rating report.

    manyi report --plan PLAN.yaml --data wave.csv --out report.pdf        score, then report
    manyi report --plan PLAN.yaml --results results.json [--data wave.csv] --out report.pdf
    manyi report --plan PLAN.yaml --results results.json --data wave.csv --kind scorecards --out cards.pdf
    manyi report --plan PLAN.yaml ... --scorecards DIR [--per district]   one PDF per community (district)
    manyi report --kind ratings --month 2026-10 --database URL --out ratings-2026-10.pdf
    (--html writes the HTML instead of the PDF; --lang en for English)
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from .diagnostics import format_report

__all__ = ["register", "run"]

_POLICY = Path(__file__).resolve().parent.parent / "questionnaires" / "policies" / "national.yaml"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("report", help="PDF reports: national report, community scorecards, monthly rating report",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--kind", choices=("national", "scorecards", "ratings"), default="national")
    p.add_argument("--plan", help="the evaluation plan (YAML); its previous_wave gives the trend")
    p.add_argument("--results", help="results.json of `manyi score` (otherwise computed from --data/--wave)")
    p.add_argument("--data", help="the wave's responses (CSV): answer distributions, sample structure, items "
                                  "by community; scored when --results is not given")
    p.add_argument("--wave", help="a wave id in the collection database instead of --data")
    p.add_argument("--previous", action="append", default=[], metavar="RESULTS.json",
                   help="results of earlier waves for the trend, oldest first (the plan's previous_wave is added)")
    p.add_argument("--contacted", type=int, help="people contacted in fieldwork (for the response rate)")
    p.add_argument("--out", help="the PDF (or HTML with --html) to write")
    p.add_argument("--html", action="store_true", help="write HTML instead of PDF")
    p.add_argument("--lang", choices=("zh", "en"), help="language (default: the plan's report.language, or zh)")
    p.add_argument("--scorecards", metavar="DIR", help="write scorecard PDFs into DIR (see --per)")
    p.add_argument("--per", choices=("unit", "district", "street"), default="unit",
                   help="with --scorecards: one PDF per community (unit, default), per district or per street")
    p.add_argument("--workers", type=int, default=2, help="processes for the scorecards (default 2)")
    p.add_argument("--month", help="the month of the rating report, YYYY-MM")
    p.add_argument("--trend-months", type=int, default=6, help="months shown in the rating trend (default 6)")
    p.add_argument("--today", help="judge rating deadlines as of this day (default today), YYYY-MM-DD")
    p.add_argument("--min-count", type=int, default=30, help="departments with fewer valid ratings are not ranked")
    p.add_argument("--database", help="database URL (default: MANYI_DATABASE_URL or var/manyi.db)")
    p.add_argument("--policy", default=str(_POLICY), help="the rating policy (ratings report)")
    p.add_argument("--bootstrap", type=int, default=50, help="bootstrap replicates when scoring (default 50)")
    p.add_argument("-q", "--quiet", action="store_true")
    p.set_defaults(func=run)


def _say(args: argparse.Namespace, start: float, text: str) -> None:
    if not args.quiet:
        print(f"[{time.perf_counter() - start:6.1f}s] {text}", file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> int:
    start = time.perf_counter()
    if args.kind == "ratings":
        return _ratings(args, start)
    if args.scorecards:
        args.kind = "scorecards"
    if not args.plan:
        print("manyi report: --plan is needed for the national report and the scorecards", file=sys.stderr)
        return 2
    if not (args.out or args.scorecards):
        print("manyi report: say where to write: --out FILE (or --scorecards DIR)", file=sys.stderr)
        return 2
    from .analysis import read_csv
    from .analysis.report import load_results, national_report, weighted_data
    from .analysis.scorecards import scorecards
    from .errors import LoadError
    from .cli import plan_and_questionnaire

    plan_path = Path(args.plan)
    loaded = plan_and_questionnaire(plan_path)
    if loaded is None:
        return 1
    plan, q = loaded
    lang = args.lang or plan.report.language
    data = None
    try:
        if args.data or args.wave:
            _say(args, start, "reading data")
            if args.wave:
                from .analysis.fromstore import wave_dataset
                from .storage import Store
                data = wave_dataset(Store(args.database), args.wave, q, plan)
            else:
                data = read_csv(args.data, q, plan)
    except LoadError as e:
        print(format_report(args.data or f"wave {args.wave}", e.diagnostics))
        return 1
    try:
        if args.results:
            results = load_results(args.results)
            if data is not None and results["data"]["sha256"] != data.sha256:
                print(f"manyi report: {args.results} was scored from other data (sha256 "
                      f"{results['data']['sha256'][:12]}…, {args.data or args.wave} is {data.sha256[:12]}…)",
                      file=sys.stderr)
                return 1
        elif data is not None:
            from .analysis import evaluate
            from .cli import _plain
            results = json.loads(json.dumps(_plain(evaluate(
                plan, q, data, base_dir=plan_path.parent, bootstrap_replicates=args.bootstrap,
                progress=lambda s: _say(args, start, s))), allow_nan=False))
        else:
            print("manyi report: give --results results.json, or --data/--wave to score the wave", file=sys.stderr)
            return 2
        previous = [load_results(p) for p in args.previous]
        if plan.previous_wave and plan.previous_wave.endswith(".json"):
            previous.append(load_results(plan_path.parent / plan.previous_wave))
        wd = weighted_data(plan, q, data, base_dir=plan_path.parent) if data is not None else None
        _say(args, start, "report context")
        if args.kind == "national":
            ctx = national_report(results, q, plan, lang=lang, data=wd, base_dir=plan_path.parent,
                                  previous=previous, contacted=args.contacted)
            return _write(args, ctx, start)
        batch = scorecards(results, q, plan, lang=lang, data=wd, base_dir=plan_path.parent)
    except (ValueError, KeyError) as e:
        print(f"manyi report: {e.__class__.__name__ if isinstance(e, KeyError) else ''}{e}", file=sys.stderr)
        return 1
    if args.html:
        from reports.render import render_html
        Path(args.out).write_text(render_html(batch), encoding="utf-8")
        _say(args, start, f"wrote {args.out}: {len(batch.scorecards)} scorecards (HTML)")
        return 0
    from reports.batch import render_scorecards

    total = len(batch.scorecards)
    _say(args, start, f"{total} scorecards ({batch.suppressed} communities under n={batch.min_n} get none)")

    def progress(done: int, total: int) -> None:
        _say(args, start, f"scorecards {done}/{total}")

    if args.scorecards:
        files = render_scorecards(batch, args.scorecards, per=args.per, workers=args.workers, progress=progress)
        _say(args, start, f"wrote {len(files)} files into {args.scorecards}")
    else:
        render_scorecards(batch, args.out, per="all", workers=args.workers, progress=progress)
        _say(args, start, f"wrote {args.out}: {total} scorecards")
    return 0


def _write(args: argparse.Namespace, ctx, start: float) -> int:
    from reports.render import html_to_pdf, render_html

    html = render_html(ctx)
    if args.html:
        Path(args.out).write_text(html, encoding="utf-8")
    else:
        _say(args, start, "laying out and writing the PDF")
        html_to_pdf(html, args.out)
    _say(args, start, f"wrote {args.out}")
    return 0


def _ratings(args: argparse.Namespace, start: float) -> int:
    import datetime as dt

    from .analysis.rating_report import monthly_report
    from .loader import load_policy
    from .storage import Store, database_url

    if not args.month or not args.out:
        print("manyi report --kind ratings needs --month YYYY-MM and --out FILE", file=sys.stderr)
        return 2
    try:
        month = dt.date.fromisoformat(args.month + "-01")
    except ValueError:
        print(f"manyi report: --month must be YYYY-MM; got {args.month!r}", file=sys.stderr)
        return 2
    try:
        today = dt.date.fromisoformat(args.today) if args.today else None
    except ValueError:
        print(f"manyi report: --today must be YYYY-MM-DD; got {args.today!r}", file=sys.stderr)
        return 2
    store = Store(database_url(args.database))
    policy = load_policy(args.policy)
    _say(args, start, f"rating metrics of {args.month}")
    ctx = monthly_report(store, policy, month=month, lang=args.lang or "zh", trend_months=args.trend_months,
                         min_count=args.min_count, today=today)
    return _write(args, ctx, start)
