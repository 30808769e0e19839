"""Scorecards in batch: all communities in one PDF, one PDF per district (or street), or one
PDF per community; files are made on several processes.

Cards are laid out in small chunks (one HTML document each: WeasyPrint's layout time per page
grows with the document, and a chunk of about ten cards is cheapest), and the chunks' pages
are joined into each output file. Writing a file subsets each font face once, which costs
about as much as laying out a card: one file per community is therefore the slowest form.
One PDF of all cards is made in parts, one per process (each laid out and written by its
process: WeasyPrint's laid-out pages cannot cross processes), and the parts are joined in
order by pypdf. Progress is reported as cards are laid out.
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import os
import queue
import tempfile
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
    """The laid-out documents of `cards` (one page each), `chunk` cards per document. The
    documents share one font configuration and WeasyPrint's lean user-agent stylesheet (the
    cards have no lists or footnotes)."""
    from weasyprint.text.fonts import FontConfiguration  # noqa: PLC0415

    fonts = FontConfiguration()
    docs = []
    for k in range(0, len(cards), chunk):
        part = cards[k:k + chunk]
        doc = render_document(render_html(dataclasses.replace(batch, scorecards=part)), lean=True,
                              font_config=fonts, **options)
        if len(doc.pages) != len(part):
            raise RuntimeError(f"{len(part)} scorecards laid out on {len(doc.pages)} pages: a card overflows its "
                               f"page (first: {part[0].unit})")
        docs.append(doc)
        tick(len(part))
    return docs


def _write_all(batch: ScorecardBatch, cards: tuple[Scorecard, ...], path: str, options: dict, chunk: int,
               tick: Callable[[int], None] = lambda k: None) -> str:
    """`cards` as one PDF at `path`."""
    docs = _layout(batch, cards, options, chunk, tick) or [render_document(render_html(batch), lean=True,
                                                                           **options)]
    docs[0].copy([p for d in docs for p in d.pages]).write_pdf(path, **options)
    return path


_ticks: Any = None  # a worker's queue of cards laid out (set by _init_worker)


def _init_worker(ticks) -> None:
    global _ticks
    _ticks = ticks


def _write_part(args: tuple[ScorecardBatch, tuple[Scorecard, ...], str, dict, int]) -> str:
    batch, cards, path, options, chunk = args
    return _write_all(batch, cards, path, options, chunk, _ticks.put)


def _join(parts: list[str], out: str | Path) -> None:
    """The parts' pages, outlines and the first part's metadata, in order, as one PDF."""
    import pypdf  # noqa: PLC0415

    writer = pypdf.PdfWriter()
    readers = [pypdf.PdfReader(part) for part in parts]
    for reader in readers:
        writer.append(reader)
    if readers[0].metadata:
        writer.add_metadata(dict(readers[0].metadata))
    with open(out, "wb") as f:  # buffered: pypdf writes an object at a time
        writer.write(f)


def _one_pdf(batch: ScorecardBatch, out: str | Path, workers: int, chunk: int, progress: Progress,
             options: dict) -> None:
    """All cards in one PDF: one part per process (whole chunks each), joined in order."""
    cards, total = batch.scorecards, len(batch.scorecards)
    done = [0]

    def tick(k: int) -> None:
        done[0] += k
        progress(done[0], total)

    chunks = -(-total // chunk)
    parts = min(workers, chunks)
    if parts <= 1:
        _write_all(batch, cards, str(out), options, chunk, tick)
        return
    bounds = [chunk * (chunks * i // parts) for i in range(parts)] + [total]
    _warm()
    shell = dataclasses.replace(batch, scorecards=())  # each task carries only its own cards
    ctx = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")
    ticks = ctx.Queue()
    with tempfile.TemporaryDirectory(prefix="manyi-cards-") as tmp:
        tasks = [(shell, cards[bounds[i]:bounds[i + 1]], os.path.join(tmp, f"part{i}.pdf"), options, chunk)
                 for i in range(parts)]
        with ctx.Pool(parts, initializer=_init_worker, initargs=(ticks,)) as pool:
            result = pool.map_async(_write_part, tasks)
            while not result.ready():
                try:
                    tick(ticks.get(timeout=0.2))
                except queue.Empty:
                    pass
            paths = result.get()  # raises a worker's error
        if done[0] < total:  # ticks still in flight when the last part was written
            tick(total - done[0])
        _join(paths, out)


def _warm() -> None:
    """What every worker needs, loaded once before the workers are forked (WeasyPrint's
    import alone takes about half a second)."""
    from .render import _env, _lean_html_class  # noqa: PLC0415

    _lean_html_class()
    _env().get_template("scorecards.html")


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
    """Write the scorecards on `workers` processes. per="all": `out` is one PDF. Otherwise
    `out` is a folder that gets `<district>.pdf`, `<street>.pdf` or `<unit>.pdf` files.
    Returns the files written."""
    if per not in PER:
        raise ValueError(f"per must be one of {', '.join(PER)}; got {per!r}")
    progress = progress or (lambda done, total: None)
    total = len(batch.scorecards)
    if per == "all":
        _one_pdf(batch, out, workers, chunk, progress, options)
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
        _warm()
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
