"""`manyi import` and `manyi export`.

    manyi import --wave W [--database URL] FILE.csv|FILE.xlsx [--import-valid]
        check every cell and print each problem (file:row:column: error[Cxxx] question 'id': ...);
        with --import-valid, store the rows without problems (again: nothing changes)
    manyi export --wave W [--database URL] --format csv|xlsx|sav|codebook --out PATH
"""

from __future__ import annotations

import argparse
import sys
import time

__all__ = ["add_commands"]


def _progress(quiet: bool):
    start = time.perf_counter()
    last = [0.0]

    def show(done: int, fraction: float | None = None) -> None:
        now = time.perf_counter()
        if quiet or (now - last[0] < 0.5 and fraction != 1.0):
            return
        last[0] = now
        pct = f" {100 * fraction:5.1f}%" if fraction is not None else ""
        tty = sys.stderr.isatty()
        print(f"{chr(13) if tty else ''}[{now - start:6.1f}s]{pct} {done:,} rows",
              end="" if tty and fraction != 1.0 else "\n", file=sys.stderr, flush=True)
    return show


def _store(args):
    from ..storage import Store, database_url, upgrade

    url = database_url(args.database)
    upgrade(url)
    return Store(url)


def _import(args: argparse.Namespace) -> int:
    from ..storage import NotFound
    from .exporter import wave_questionnaire
    from .importer import check_file, import_valid

    store = _store(args)
    try:
        q = wave_questionnaire(store, args.wave)
    except NotFound as e:
        print(f"manyi import: {e}", file=sys.stderr)
        return 1
    quiet = args.quiet
    report = check_file(args.file, q, args.wave, progress=_progress(quiet))
    for p in sorted(report.file_problems + report.problems, key=lambda p: (p.row, p.column)):
        print(p.format(args.file))
    print(f"{args.file}: {report.rows:,} rows, {report.valid_rows:,} valid, {report.bad_rows:,} with problems "
          f"({len(report.problems):,} bad cells" + (f", {len(report.file_problems)} header problems)"
                                                    if report.file_problems else ")"), file=sys.stderr)
    if not report.importable:
        print("nothing imported: fix the header problems first", file=sys.stderr)
        return 1
    if not args.import_valid:
        if report.valid_rows:
            print(f"nothing imported yet; run again with --import-valid to store the {report.valid_rows:,} valid rows",
                  file=sys.stderr)
        return 1 if report.problems else 0
    res = import_valid(store, args.wave, args.file, q, actor="cli", progress=_progress(quiet), checked=report)
    print(f"imported {res.inserted:,} rows into wave '{args.wave}' (mode paper); {res.already:,} were stored "
          f"before; {res.conflicts:,} conflict with stored rows of the same respondent id; "
          f"{report.bad_rows:,} rows with problems left out")
    return 1 if res.conflicts else 0


def _export(args: argparse.Namespace) -> int:
    from ..storage import NotFound
    from .exporter import export_wave

    store = _store(args)
    quiet = args.quiet
    show = _progress(quiet)
    try:
        n = export_wave(store, args.wave, args.format, args.out, language=args.language,
                        include_personal=args.include_personal, codebook_format=args.codebook_format,
                        progress=lambda k: show(k))
    except NotFound as e:
        print(f"manyi export: {e}", file=sys.stderr)
        return 1
    from ..storage.paper import record_audit

    record_audit(store, "cli", "export", "wave", args.wave, format=args.format, rows=n,
                 include_personal=args.include_personal)
    what = "variables" if args.format == "codebook" else "responses"
    print(f"wrote {args.out}: {n:,} {what}")
    return 0


def add_commands(sub) -> None:
    p = sub.add_parser("import", help="check paper data (CSV or XLSX) against a wave; import the valid rows")
    p.add_argument("file", help="the data file: one row per respondent, columns by question id")
    p.add_argument("--wave", required=True)
    p.add_argument("--database", help="database URL (default: MANYI_DATABASE_URL or var/manyi.db)")
    p.add_argument("--import-valid", action="store_true", help="store the rows without problems")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress")
    p.set_defaults(func=_import)
    p = sub.add_parser("export", help="a wave's responses as CSV, XLSX, SPSS .sav, or its codebook")
    p.add_argument("--wave", required=True)
    p.add_argument("--format", choices=("csv", "xlsx", "sav", "codebook"), default="csv")
    p.add_argument("--codebook-format", choices=("csv", "md", "json"), default="csv")
    p.add_argument("--out", required=True)
    p.add_argument("--language", choices=("zh", "en"), default="zh", help="of labels")
    p.add_argument("--include-personal", action="store_true",
                   help="also export personal data (phone, ID number, name, address)")
    p.add_argument("--database", help="database URL (default: MANYI_DATABASE_URL or var/manyi.db)")
    p.add_argument("-q", "--quiet", action="store_true")
    p.set_defaults(func=_export)
