"""Scorecards in batch: all communities in one PDF, one PDF per district (or street), or one
PDF per community; files are made on several processes.

Cards are laid out in small chunks (one HTML document each: WeasyPrint's layout time per page
grows with the document, and a chunk of about ten cards is cheapest), and the chunks' pages
are joined into each output file. Writing a file subsets each font face once, which costs
about as much as laying out a card: one file per community is therefore the slowest form.
Progress is reported as cards are laid out.
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import os
from pathlib import Path
from typing import Any, Callable, Literal

from .context import Scorecard, ScorecardBatch
from .render import render_document, render_html

__all__ = ["render_scorecards", "PER"]

Progress = Callable[[int, int], None]
PER = ("all", "district", "street", "unit")
CHUNK = 10


def _safe(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name) or "unit"


def _layout(batch: ScorecardBatch, cards: tuple[Scorecard, ...], options: dict, chunk: int,
            tick: Callable[[int], None] = lambda k: None) -> list:
    """The pages of `cards` (one each), laid out `chunk` at a time; returns (document, pages)."""
    docs = []
    for k in range(0, len(cards), chunk):
        part = cards[k:k + chunk]
        doc = render_document(render_html(dataclasses.replace(batch, scorecards=part)), **options)
        if len(doc.pages) != len(part):
            raise RuntimeError(f"{len(part)} scorecards laid out on {len(doc.pages)} pages: a card overflows its "
                               f"page (first: {part[0].unit})")
        docs.append(doc)
        tick(len(part))
    return docs


def _write_group(args: tuple[ScorecardBatch, tuple[tuple[str, tuple[Scorecard, ...]], ...], dict, int]) -> list[str]:
    """Files of one task: (path, cards) each; the cards of a task are laid out together."""
    batch, files, options, chunk = args
    cards = tuple(c for _, cs in files for c in cs)
    docs = _layout(batch, cards, options, chunk)
    pages = [p for d in docs for p in d.pages]
    written, k = [], 0
    for path, cs in files:
        docs[0].copy(pages[k:k + len(cs)]).write_pdf(path, **options)
        k += len(cs)
        written.append(path)
    return written


def render_scorecards(batch: ScorecardBatch, out: str | Path, *, per: Literal["all", "district", "street", "unit"]
                      = "all", workers: int = 2, chunk: int = CHUNK, progress: Progress | None = None,
                      **options: Any) -> list[Path]:
    """Write the scorecards. per="all": `out` is one PDF, made in this process. Otherwise
    `out` is a folder that gets `<district>.pdf`, `<street>.pdf` or `<unit>.pdf` files, made
    on `workers` processes. Returns the files written."""
    if per not in PER:
        raise ValueError(f"per must be one of {', '.join(PER)}; got {per!r}")
    progress = progress or (lambda done, total: None)
    total = len(batch.scorecards)
    if per == "all":
        done = [0]

        def tick(k: int) -> None:
            done[0] += k
            progress(done[0], total)

        docs = _layout(batch, batch.scorecards, options, chunk, tick) or [render_document(render_html(batch),
                                                                                         **options)]
        docs[0].copy([p for d in docs for p in d.pages]).write_pdf(str(out), **options)
        return [Path(out)]
    out_dir = Path(out)
    out_dir.mkdir(parents=True, exist_ok=True)
    key = {"district": lambda c: c.district or "unknown", "street": lambda c: c.street or "unknown",
           "unit": lambda c: c.unit}[per]
    groups: dict[str, list[Scorecard]] = {}
    for c in batch.scorecards:
        groups.setdefault(key(c), []).append(c)
    files = [(os.path.join(out_dir, f"{_safe(name)}.pdf"), tuple(cs)) for name, cs in groups.items()]
    shell = dataclasses.replace(batch, scorecards=())  # each task carries only its own cards
    # a task lays out about `chunk` cards (units) or one group (districts, streets)
    tasks, current = [], []
    for f in files:
        current.append(f)
        if per != "unit" or len(current) >= chunk:
            tasks.append((shell, tuple(current), options, chunk))
            current = []
    if current:
        tasks.append((shell, tuple(current), options, chunk))
    written: list[Path] = []
    count = {p: len(cs) for p, cs in files}
    done = 0
    if workers <= 1 or len(tasks) <= 1:
        results = map(_write_group, tasks)
        pool = None
    else:
        method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
        pool = multiprocessing.get_context(method).Pool(workers)
        results = pool.imap_unordered(_write_group, tasks)
    try:
        for paths in results:
            written += [Path(p) for p in paths]
            done += sum(count[p] for p in paths)
            progress(done, total)
    finally:
        if pool is not None:
            pool.close()
            pool.join()
    return written
