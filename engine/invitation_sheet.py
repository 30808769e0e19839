"""Invitations to print: create a community's single-use invitations and lay their links out
as QR codes on A4 (reports.qrsheet renders the PDF). Tokens are stored only as hashes, so the
sheet is made when the invitations are made; it is the one place their links exist.

CLI: `manyi invitations sheet --wave W --community C --count N --base-url URL --out F.pdf`, and
`manyi users add NAME --role evaluator` for interviewer accounts (password from
MANYI_PASSWORD or a prompt)."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path

import segno

from reports.qrsheet import QrCard, QrSheetContext, render_pdf

from .loader import loads
from .storage import Store

__all__ = ["qr_svg", "sheet_context", "invitation_sheet", "register_cli"]

TEXT = {
    "zh": {"instruction": "请用手机扫描二维码填写问卷（每码限用一次）", "footer": "二维码对应的问卷链接只能提交一次；请妥善保管，勿转发他人。"},
    "en": {"instruction": "Scan the code with your phone to answer (one use only)",
           "footer": "Each code can be submitted once; please do not pass it on."},
}


def qr_svg(url: str) -> str:
    """An inline SVG QR code (error correction M, quiet zone of 2 modules)."""
    return segno.make(url, error="m", micro=False).svg_inline(scale=4, border=2, dark="#000", light="#fff")


def sheet_context(base_url: str, tokens: list[str], *, survey_title: str, wave_title: str, community: str,
                  lang: str = "zh") -> QrSheetContext:
    base = base_url.rstrip("/")
    cards = tuple(QrCard(url=f"{base}/s/{t}", svg=qr_svg(f"{base}/s/{t}"), code=t, number=k)
                  for k, t in enumerate(tokens, start=1))
    words = TEXT["en" if lang == "en" else "zh"]
    return QrSheetContext(survey_title=survey_title, wave_title=wave_title, community=community,
                          instruction=words["instruction"], footer=words["footer"], cards=cards, lang=lang)


def invitation_sheet(store: Store, wave_id: str, *, community: str, count: int, base_url: str,
                     stratum: str | None = None, lang: str = "zh", actor: str = "system") -> tuple[bytes, list[str]]:
    """Create `count` invitations of a community and return (PDF bytes, tokens)."""
    if count < 1 or count > 10000:
        raise ValueError(f"count must be 1 to 10000; got {count}")
    if not base_url.startswith(("http://", "https://")):
        raise ValueError(f"base_url must start with http:// or https://; got {base_url!r}")
    wave = store.wave(wave_id)
    q = loads(store.questionnaire_source(wave["questionnaire_version_id"]), expect="questionnaire")
    tokens = store.create_invitations(wave_id, [{"community": community, "stratum": stratum}] * count, actor=actor)
    ctx = sheet_context(base_url, tokens, survey_title=q.title.get(lang), wave_title=wave["title"],
                        community=community, lang=lang)
    return render_pdf(ctx), tokens


def _sheet(args: argparse.Namespace) -> int:
    from .storage import upgrade

    upgrade(args.database)
    store = Store(args.database)
    try:
        pdf, tokens = invitation_sheet(store, args.wave, community=args.community, count=args.count,
                                       base_url=args.base_url, stratum=args.stratum, lang=args.lang)
    except ValueError as e:
        print(f"manyi invitations sheet: {e}", file=sys.stderr)
        return 2
    Path(args.out).write_bytes(pdf)
    print(f"{len(tokens)} invitations of community {args.community} in wave {args.wave} -> {args.out}")
    return 0


def _users(args: argparse.Namespace) -> int:
    from .storage import upgrade
    from .storage.users import create_user

    upgrade(args.database)
    password = os.environ.get("MANYI_PASSWORD") or getpass.getpass(f"password for {args.username}: ")
    try:
        uid = create_user(Store(args.database), args.username, password, role=args.role, display_name=args.name)
    except ValueError as e:
        print(f"manyi users add: {e}", file=sys.stderr)
        return 2
    print(f"user {args.username} ({args.role}) created, id {uid}")
    return 0


def register_cli(sub) -> None:
    """Add `invitations sheet` and `users add` to the manyi command line."""
    p = sub.add_parser("invitations", help="print invitation QR codes of a community (PDF)")
    inner = p.add_subparsers(dest="invitations_command", required=True)
    s = inner.add_parser("sheet", help="create N invitations of a community and write their QR sheet (PDF)")
    s.add_argument("--wave", required=True)
    s.add_argument("--community", required=True)
    s.add_argument("--stratum")
    s.add_argument("--count", type=int, required=True)
    s.add_argument("--base-url", required=True, help="where residents open the survey, e.g. https://survey.example.cn")
    s.add_argument("--lang", choices=("zh", "en"), default="zh")
    s.add_argument("--out", default="invitations.pdf")
    s.add_argument("--database", help="database URL (default MANYI_DATABASE_URL or var/manyi.db)")
    s.set_defaults(func=_sheet)
    p = sub.add_parser("users", help="staff accounts for interviewer entry")
    inner = p.add_subparsers(dest="users_command", required=True)
    a = inner.add_parser("add", help="add a user (password from MANYI_PASSWORD or a prompt)")
    a.add_argument("username")
    a.add_argument("--role", default="evaluator", choices=("admin", "evaluator", "leader"))
    a.add_argument("--name", help="display name")
    a.add_argument("--database", help="database URL (default MANYI_DATABASE_URL or var/manyi.db)")
    a.set_defaults(func=_users)
