"""Scorecards in batch: all communities in one PDF, or one PDF each on several processes.

Cards are laid out in chunks (one HTML document per chunk: the CSS and fonts are set up once
per chunk, not once per card). One PDF: the chunks' pages are joined in this process. One
file each: chunks go to a pool of worker processes, and each laid-out page is written to its
own file. Progress is reported per chunk.
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import os
from pathlib import Path
from typing import Any, Callable

from .context import ScorecardBatch
from .render import render_document, render_html

__all__ = ["render_scorecards"]

Progress = Callable[[int, int], None]


def _chunks(batch: ScorecardBatch, size: int) -> list[ScorecardBatch]:
    cards = batch.scorecards
    return [dataclasses.replace(batch, scorecards=cards[k:k + size]) for k in range(0, len(cards), size)]


def _safe(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name) or "unit"


def _write_each(args: tuple[ScorecardBatch, str, dict]) -> list[str]:
    part, out_dir, options = args
    doc = render_document(render_html(part), **options)
    paths = []
    for card, page in zip(part.scorecards, doc.pages):
        path = os.path.join(out_dir, f"{_safe(card.unit)}.pdf")
        doc.copy([page]).write_pdf(path, **options)
        paths.append(path)
    if len(doc.pages) != len(part.scorecards):
        raise RuntimeError(f"{len(part.scorecards)} scorecards laid out on {len(doc.pages)} pages: a card "
                           "overflows its page")
    return paths


def render_scorecards(batch: ScorecardBatch, out: str | Path, *, split: bool = False, workers: int = 2,
                      chunk: int = 25, progress: Progress | None = None, **options: Any) -> list[Path]:
    """Write the scorecards: `out` is a PDF file (split=False) or a folder (split=True, one
    `<unit>.pdf` each). Returns the files written."""
    progress = progress or (lambda done, total: None)
    total = len(batch.scorecards)
    parts = _chunks(batch, chunk)
    if not split:
        docs = []
        done = 0
        for part in parts:
            docs.append(render_document(render_html(part), **options))
            done += len(part.scorecards)
            progress(done, total)
        if not docs:
            docs.append(render_document(render_html(batch), **options))
        pages = [p for d in docs for p in d.pages]
        docs[0].copy(pages).write_pdf(str(out), **options)
        return [Path(out)]
    out_dir = Path(out)
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    tasks = [(part, str(out_dir), options) for part in parts]
    if workers <= 1 or len(tasks) <= 1:
        for t in tasks:
            written += [Path(p) for p in _write_each(t)]
            progress(len(written), total)
        return written
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    with multiprocessing.get_context(method).Pool(workers) as pool:
        for paths in pool.imap_unordered(_write_each, tasks):
            written += [Path(p) for p in paths]
            progress(len(written), total)
    return written
