"""The `manyi` command line.

    manyi validate PATH...            check documents (files or folders); exit 1 on any error
    manyi schema {questionnaire,policy,plan}   print the JSON Schema of a document
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
            print(f"ok {path}: {document_name(doc)} '{doc.id}' version {doc.version}")
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
