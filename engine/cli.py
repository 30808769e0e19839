"""The `manyi` command line.

    manyi validate PATH...            check documents (files or folders); exit 1 on any error
    manyi schema {questionnaire,policy,plan}   print the JSON Schema of a document
    manyi score --plan PLAN --data FILE.csv --out results.json   evaluate a wave
    manyi import --wave W FILE.csv|FILE.xlsx [--import-valid]     check, then import paper data
    manyi export --wave W --format csv|xlsx|sav|codebook --out PATH
    manyi report --plan PLAN --data FILE.csv --out report.pdf    PDF reports (see engine/report_command.py)
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Iterable, Sequence

from . import __doc__ as _engine_doc  # noqa: F401  (keeps the package importable first)
from .diagnostics import format_report
from .loader import check_file, document_name
from .schema import DOCUMENTS, json_schema

__all__ = ["main"]

_SUFFIXES = (".yaml", ".yml")


def _files(paths: Iterable[str]) -> list[tuple[str, bool]]:
    """(path, exists) for each file named or found under a folder."""
    out: list[tuple[str, bool]] = []
    for p in paths:
        path = Path(p)
        if path.is_dir():
            found = sorted(f for f in path.rglob("*") if f.suffix in _SUFFIXES and f.is_file())
            out.extend((str(f), True) for f in found)
        else:
            out.append((p, path.exists()))
    return out


def _validate(args: argparse.Namespace) -> int:
    files = _files(args.paths)
    if not files:
        print(f"manyi validate: no .yaml files in {' '.join(args.paths)}", file=sys.stderr)
        return 1
    failed = 0
    records = []
    for path, _ in files:
        result = check_file(path)
        has_errors = not result.ok
        failed += has_errors
        if args.format == "json":
            records.append({"path": path, "ok": not has_errors,
                            "document": document_name(result.document) if result.document is not None else None,
                            "diagnostics": [d.to_dict() for d in result.diagnostics]})
            continue
        if result.diagnostics:
            print(format_report(path, result.diagnostics))
        if not has_errors and not args.quiet:
            doc = result.document
            version = getattr(doc, "version", None)
            print(f"ok {path}: {document_name(doc)} '{doc.id}'" + (f" version {version}" if version else ""))
    if args.format == "json":
        print(json.dumps({"files": records, "failed": failed}, ensure_ascii=False, indent=2))
    elif not args.quiet or failed:
        print(f"checked {len(files)} file{'s' if len(files) != 1 else ''}: "
              f"{failed} with errors" if failed else f"checked {len(files)} file{'s' if len(files) != 1 else ''}: all valid")
    return 1 if failed else 0


def _schema(args: argparse.Namespace) -> int:
    text = json.dumps(json_schema(args.document), ensure_ascii=False, indent=2) + "\n"
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


def _plain(value):
    """JSON-ready: NaN and infinities as null, numpy scalars as Python numbers."""
    import math

    import numpy as np
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def plan_and_questionnaire(plan_path: Path):
    """(plan, questionnaire) of an evaluation plan file, or None after printing every
    diagnostic of whichever of the two does not load."""
    r = check_file(plan_path, expect="plan")
    if not r.ok:
        print(format_report(str(plan_path), r.diagnostics))
        return None
    qpath = plan_path.parent / r.document.questionnaire
    qr = check_file(qpath, expect="questionnaire")
    if not qr.ok:
        print(format_report(str(qpath), qr.diagnostics))
        return None
    return r.document, qr.document


def _score(args: argparse.Namespace) -> int:
    import time

    from .analysis import evaluate, read_csv
    from .errors import LoadError

    plan_path = Path(args.plan)
    loaded = plan_and_questionnaire(plan_path)
    if loaded is None:
        return 1
    plan, q = loaded
    show = sys.stderr.isatty() and not args.quiet
    start = time.perf_counter()

    def progress(step: str) -> None:
        if show:
            print(f"[{time.perf_counter() - start:6.1f}s] {step}", file=sys.stderr, flush=True)

    progress("reading data")
    try:
        if args.wave:
            from .analysis.fromstore import wave_dataset
            from .storage import NotFound, Store

            store = Store(args.database)
            try:
                store.wave(args.wave)
            except NotFound as e:
                print(f"manyi score: {e}", file=sys.stderr)
                return 1
            data = wave_dataset(store, args.wave, q, plan)
        else:
            data = read_csv(args.data, q, plan)
    except LoadError as e:
        print(format_report(args.data or f"wave {args.wave}", e.diagnostics))
        return 1
    try:
        results = evaluate(plan, q, data, base_dir=plan_path.parent, progress=progress,
                           bootstrap_replicates=args.bootstrap)
    except ValueError as e:
        print(f"manyi score: {e}", file=sys.stderr)
        return 1
    text = json.dumps(_plain(results), ensure_ascii=False, indent=1, allow_nan=False)
    if args.out == "-":
        sys.stdout.write(text + "\n")
    else:
        Path(args.out).write_text(text + "\n", encoding="utf-8")
        if not args.quiet:
            o = next(e for e in results["estimates"] if e["target"] == "overall_index" and e["domain"] is None)
            print(f"wrote {args.out}: overall index {o['value']:.2f} "
                  f"({o['ci_low']:.2f}-{o['ci_high']:.2f}), n={results['data']['used']}")
    return 0


def _simulate(args: argparse.Namespace) -> int:
    from .analysis.simulate import simulate, write_csv
    from .loader import check_file

    r = check_file(args.questionnaire, expect="questionnaire")
    if not r.ok:
        print(format_report(args.questionnaire, r.diagnostics))
        return 1
    header, rows = simulate(r.document, n=args.n, seed=args.seed)
    write_csv(args.out, header, rows)
    if not args.quiet:
        print(f"wrote {args.out}: {len(rows)} simulated respondents, {len(header)} columns")
    if args.units:
        from .analysis.simulate import write_units
        write_units(args.units)
        if not args.quiet:
            print(f"wrote {args.units}: made-up names of the simulated districts, streets and communities "
                  f"(a plan's units: file)")
    return 0


def _db(args: argparse.Namespace) -> int:
    from .storage import database_url, upgrade

    url = database_url(args.database)
    upgrade(url)
    print(f"database at head: {url.split('@')[-1]}")
    return 0


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from .loader import load_policy
    from .storage import Store, database_url, upgrade
    from .web import create_app

    url = database_url(args.database)
    upgrade(url)
    app = create_app(Store(url), policy=load_policy(args.policy))
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level)
    return 0


def _ratings(args: argparse.Namespace) -> int:
    import datetime as dt

    from .calendar import national_calendar
    from .loader import load_policy
    from .storage import Store, database_url, upgrade

    url = database_url(args.database)
    upgrade(url)
    store = Store(url)
    policy = load_policy(args.policy)
    if args.action == "defaults":
        from .storage.transactions import default_ratings

        today = dt.date.fromisoformat(args.today) if args.today else dt.date.today()
        run = default_ratings(store, policy, national_calendar(args.calendar or ()), today=today)
        print(run.note or f"{run.rated} default rating(s) given; {run.still_open} unrated transaction(s) "
                          "still inside their rating window")
        return 0
    if args.action == "escalate":
        from .storage.ratings import escalate_overdue

        today = dt.date.fromisoformat(args.today) if args.today else dt.date.today()
        done = escalate_overdue(store, policy, national_calendar(args.calendar or ()), today=today)
        print(f"escalated {len(done)} overdue case(s)")
        return 0
    from .analysis.ratings import rating_metrics
    from .web.app import _plain_metrics

    start = dt.datetime.combine(dt.date.fromisoformat(args.start), dt.time.min, tzinfo=dt.timezone.utc)
    end = dt.datetime.combine(dt.date.fromisoformat(args.end), dt.time.min, tzinfo=dt.timezone.utc)
    res = rating_metrics(store, policy, start=start, end=end, by=args.by, min_count=args.min_count)
    print(json.dumps(_plain(_plain_metrics(res)), ensure_ascii=False, indent=1))
    return 0


def _keys(args: argparse.Namespace) -> int:
    from .storage import Store, database_url, upgrade

    url = database_url(args.database)
    upgrade(url)
    store = Store(url)
    if args.action == "create":
        import datetime as dt
        expires = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=args.expires_days)
                   if args.expires_days else None)
        key = store.create_api_key(args.role, label=args.label, expires_at=expires, actor="cli")
        print(key)
        print(f"(a {args.role} key; it is shown once and stored only as a hash)", file=sys.stderr)
    elif args.action == "rotate":
        import datetime as dt

        from .storage import NotFound
        from .storage.keys import rotate_api_key
        try:
            if not args.key:
                print("manyi keys rotate: --key is required (the key to rotate)", file=sys.stderr)
                return 2
            print(rotate_api_key(store, args.key, grace=dt.timedelta(hours=args.grace_hours), actor="cli"))
        except (NotFound, ValueError) as e:
            print(f"manyi keys rotate: {e}", file=sys.stderr)
            return 1
        print("(the successor key, shown once; the old key "
              + (f"works {args.grace_hours} more hour(s))" if args.grace_hours else "no longer works)"), file=sys.stderr)
    else:
        from .storage import NotFound
        if not args.key:
            print("manyi keys revoke: --key is required (the key to revoke)", file=sys.stderr)
            return 2
        try:
            store.revoke_api_key(args.key, actor="cli")
        except NotFound as e:
            print(f"manyi keys revoke: {e}", file=sys.stderr)
            return 1
        print("revoked")
    return 0


def _demo(args: argparse.Namespace) -> int:
    from .demo import run_demo

    def progress(step: str) -> None:
        print(step, file=sys.stderr, flush=True)

    result = run_demo(args.dir, seed=args.seed, respondents=args.respondents, ratings=args.ratings,
                      progress=progress)
    f = result.facts
    print()
    print(f"满意 manyi demo written to {result.directory}/")
    print(f"  database           {result.database_url}")
    for wave, path in result.waves.items():
        print(f"  results {wave:<10} {path}")
    for what, path in result.files.items():
        print(f"  {what:<18} {path}")
    print(f"  overall index {f['overall_index']:.1f} (95% CI {f['ci_low']:.1f}-{f['ci_high']:.1f}, SE "
          f"{f['std_error']:.2f}); unweighted {f['unweighted_index']:.1f}: weighting moves it by "
          f"{abs(f['overall_index'] - f['unweighted_index']) / f['std_error']:.1f} standard errors")
    print(f"  ratings {f['ratings']:,}, bad {f['bad_ratings']:,} ({f['bad_ratings'] / f['ratings']:.1%}), "
          f"cases {f['cases']:,}, escalated as overdue {f['escalated']:,}")
    if args.serve:
        return _serve_demo(args, result)
    return 0


def _serve_demo(args: argparse.Namespace, result) -> int:
    import uvicorn

    from .loader import load_policy
    from .storage import Store
    from .web import create_app

    import os

    from .web.rating_pages import rating_url

    secret = os.environ.get("MANYI_SECRET", "").encode() or b"manyi-development-secret"
    base = f"http://{args.host}:{args.port}"
    print()
    print(f"serving on {base} (Ctrl-C stops)")
    print(f"  {'resident survey':<18} {base}{result.links['survey']}")
    print(f"  {'rating page':<18} {rating_url(base, result.facts['rating_transaction'], secret)}")
    print(f"  {'API documentation':<18} {base}/schema/swagger")
    print(f"  {'leaders reports':<18} {base}/leaders  (sign in as {result.facts['leader_login']})")
    sys.stdout.flush()
    app = create_app(Store(result.database_url), policy=load_policy(args.policy), secret=secret,
                     reports=result.directory)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="manyi", description="满意 manyi: survey and satisfaction-evaluation engine")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    p = sub.add_parser("validate", help="check questionnaires, rating policies and evaluation plans")
    p.add_argument("paths", nargs="+", metavar="PATH", help="a .yaml file or a folder of them")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument("-q", "--quiet", action="store_true", help="print only diagnostics")
    p.set_defaults(func=_validate)
    p = sub.add_parser("schema", help="print the JSON Schema of a document (for editors)")
    p.add_argument("document", choices=tuple(DOCUMENTS))
    p.add_argument("-o", "--output", help="write to this file instead of standard output")
    p.set_defaults(func=_schema)
    p = sub.add_parser("score", help="evaluate a wave: indices, tests, reliability, drivers -> results.json")
    p.add_argument("--plan", required=True, help="the evaluation plan (YAML)")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--data", help="the wave's responses as CSV (one row per respondent, columns by id)")
    src.add_argument("--wave", help="a wave id in the collection database")
    p.add_argument("--out", default="results.json", help="where to write the results (- for standard output)")
    p.add_argument("--bootstrap", type=int, default=50, help="bootstrap replicates for driver intervals (0: none)")
    p.add_argument("--database", help="database URL for --wave (default: MANYI_DATABASE_URL or var/manyi.db)")
    p.add_argument("-q", "--quiet", action="store_true")
    p.set_defaults(func=_score)
    p = sub.add_parser("db", help="database commands")
    p.add_argument("action", choices=("upgrade",), help="upgrade: migrate to the newest schema")
    p.add_argument("--database", help="database URL (default: MANYI_DATABASE_URL or var/manyi.db)")
    p.set_defaults(func=_db)
    p = sub.add_parser("serve", help="start the API service (migrates the database first)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--database", help="database URL (default: MANYI_DATABASE_URL or var/manyi.db)")
    p.add_argument("--policy", default=str(Path(__file__).resolve().parent.parent / "questionnaires" / "policies"
                                           / "national.yaml"), help="the rating policy in force")
    p.add_argument("--log-level", default="warning", choices=("debug", "info", "warning", "error"))
    p.set_defaults(func=_serve)
    p = sub.add_parser("keys", help="create, rotate or revoke API keys")
    p.add_argument("action", choices=("create", "revoke", "rotate"))
    p.add_argument("--role", choices=("admin", "evaluator", "handler", "leader", "integrator"), default="evaluator")
    p.add_argument("--label")
    p.add_argument("--key", help="the key to revoke or rotate")
    p.add_argument("--expires-days", type=float, help="create: the key stops working after this many days")
    p.add_argument("--grace-hours", type=float, default=0, help="rotate: the old key keeps working this long")
    p.add_argument("--database", help="database URL (default: MANYI_DATABASE_URL or var/manyi.db)")
    p.set_defaults(func=_keys)
    p = sub.add_parser("ratings", help="good/bad ratings: metrics, escalate overdue cases (督办), or give "
                                       "default ratings to transactions unrated after the window")
    p.add_argument("action", choices=("metrics", "escalate", "defaults"))
    p.add_argument("--policy", default=str(Path(__file__).resolve().parent.parent / "questionnaires" / "policies"
                                           / "national.yaml"))
    p.add_argument("--database", help="database URL (default: MANYI_DATABASE_URL or var/manyi.db)")
    p.add_argument("--start", help="first day (metrics)")
    p.add_argument("--end", help="day after the last (metrics)")
    p.add_argument("--by", help="group by department_code, item_code, region_code, hall, window, staff_id, channel")
    p.add_argument("--min-count", type=int, default=0, help="groups with fewer valid ratings are marked suppressed")
    p.add_argument("--today", help="the day to judge deadlines and windows by (escalate, defaults; default today)")
    p.add_argument("--calendar", action="append", help="working_calendar YAML files to add")
    p.set_defaults(func=_ratings)
    p = sub.add_parser("demo", help="the whole mission on SQLite: simulated waves and ratings, scores, reports")
    p.add_argument("--dir", default="var/demo", help="where to write the demo (replaced; default var/demo)")
    p.add_argument("--seed", type=int, default=2026)
    p.add_argument("--respondents", type=int, default=20_000, help="respondents per wave (default 20,000)")
    p.add_argument("--ratings", type=int, default=30_000, help="ratings in the month (default 30,000)")
    p.add_argument("--serve", action="store_true", help="then start the server on the demo database")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--policy", default=str(Path(__file__).resolve().parent.parent / "questionnaires" / "policies"
                                           / "guangdong.yaml"))
    p.set_defaults(func=_demo)
    p = sub.add_parser("simulate", help="write a simulated wave (CSV) for a questionnaire")
    p.add_argument("questionnaire")
    p.add_argument("--n", type=int, default=5000)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--out", default="wave.csv")
    p.add_argument("--units", metavar="UNITS.csv", help="also write the names of the simulated units (for a plan's units:)")
    p.add_argument("-q", "--quiet", action="store_true")
    p.set_defaults(func=_simulate)
    from .invitation_sheet import register_cli
    register_cli(sub)  # invitations sheet, users add
    from .io.commands import add_commands  # manyi import, manyi export
    add_commands(sub)
    from .ops import register as register_ops
    register_ops(sub)
    from .report_command import register as register_report
    register_report(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    except Exception as e:  # a bug of ours: say so in one line, never a traceback
        print(f"manyi: internal error ({e.__class__.__name__}: {e}); please report it", file=sys.stderr)
        return 70


if __name__ == "__main__":
    sys.exit(main())
