"""Community scorecards' context: one card per community at or above the plan's minimum n,
with its index and the interval from its own respondents, its dimensions against its
district and all respondents, and its weakest items (weighted item means of its respondents)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from reports.context import Score, Scorecard, ScorecardBatch, ScorecardDimension, ScorecardItem

from ..schema import Plan, Questionnaire
from ..units import unit_names
from .csvdata import Dataset
from .report import OVERALL, WeightedData, _estimates, _f, _Labels, _score, _stamp

__all__ = ["scorecards"]


def scorecards(results: dict, q: Questionnaire, plan: Plan, *, lang: str = "zh", data: WeightedData | None = None,
               unit_variable: str = "community", weakest: int = 3, min_item_n: int = 10,
               base_dir: Path = Path(".")) -> ScorecardBatch:
    """One scorecard per unit at or above the plan's minimum n (units below it get none).
    Units, districts and streets are shown by the names of the plan's units file (relative to
    `base_dir`, the plan's folder) where it has them."""
    lab = _Labels(q, lang, unit_names(plan.units, base_dir))
    whole, by = _estimates(results)
    min_n = int(plan.min_cell_size)
    lt = results["league_tables"].get(unit_variable)
    if lt is None:
        raise ValueError(f"results.json has no league table of '{unit_variable}' (plan report.league_tables: "
                         f"{', '.join(results['league_tables']) or 'none'})")
    dims = [d.id for d in q.indicators.dimensions]
    rows = sorted((r for r in lt["rows"] if not r["suppressed"] and (r["n"] or 0) >= min_n), key=lambda r: r["rank"])
    parents: dict[str, tuple[str, str]] = {}
    item_means: dict[str, list[tuple[float, int, str]]] = {}
    if data is not None:
        parents = _parents(data.data, unit_variable)
        item_means = _item_means(q, data, unit_variable, min_item_n)
    cards = []
    for k, r in enumerate(rows):
        unit = r["unit"]
        district, street = parents.get(unit, ("", ""))
        mine = by.get((unit_variable, unit), {})
        dist = by.get(("district", district), {}) if district else {}
        dvals = [ScorecardDimension(id=d, label=lab(d), value=_f(mine.get(d, {}).get("value")),
                                    district_value=_f(dist.get(d, {}).get("value")),
                                    overall_value=_f(whole.get((d, "index"), {}).get("value"))) for d in dims]
        weak = sorted(item_means.get(unit, []))[:weakest]
        cards.append(Scorecard(
            unit=unit, label=lab.value(unit_variable, unit), district=district, street=street,
            district_label=lab.value("district", district) if district else "",
            street_label=lab.value("street", street) if street else "",
            score=Score(value=_f(r["value"]), low=_f(r["ci_low"]), high=_f(r["ci_high"]),
                        std_error=_f(r["std_error"]), n=int(r["n"])),
            rank=k + 1, of=len(rows), district_value=_f(dist.get(OVERALL, {}).get("value")), dimensions=tuple(dvals),
            weakest=tuple(ScorecardItem(id=i, label=lab(i), value=v, n=n) for v, n, i in weak)))
    note = ("区间按社区内受访者的方差计算（社区为初级抽样单位，其设计方差为零）。" if lang == "zh" else
            "Intervals from the community's own respondents (communities are the primary sampling units, whose "
            "design-based variance is zero).") if "within" in lt["variance"] else ""
    title = plan.report.title.get(lang) if plan.report.title else lab(OVERALL)
    return ScorecardBatch(lang=lang, title=title, organisation=plan.report.organisation.get(lang)
                          if plan.report.organisation else "", wave_label=plan.wave.label.get(lang),
                          confidence_level=float(results["confidence_level"]), min_n=min_n,
                          overall=_score(whole.get((OVERALL, "index"))), variance_note=note,
                          scorecards=tuple(cards), suppressed=len(lt["rows"]) - len(rows), stamp=_stamp(results, q))


def _parents(data: Dataset, unit_variable: str) -> dict[str, tuple[str, str]]:
    out: dict[str, tuple[str, str]] = {}
    units = data.text.get(unit_variable)
    if units is None:
        return out
    dist = data.text.get("district")
    street = data.text.get("street")
    for k, u in enumerate(units.tolist()):
        if u is not None and u not in out:
            out[u] = (dist[k] if dist is not None else "", street[k] if street is not None else "")
    return out


def _item_means(q: Questionnaire, wd: WeightedData, unit_variable: str, min_n: int
                ) -> dict[str, list[tuple[float, int, str]]]:
    """Weighted item means by unit, items answered by at least `min_n` of the unit's respondents."""
    codes, labels = wd.data.codes(unit_variable)
    ok = wd.keep & (codes >= 0)
    g = np.where(ok, codes, 0)
    L = len(labels)
    out: dict[str, list[tuple[float, int, str]]] = {str(u): [] for u in labels}
    for d in q.indicators.dimensions:
        for ind in d.indicators:
            for i in ind.items:
                s = wd.data.scores.get(i)
                if s is None:
                    continue
                a = ok & ~np.isnan(s)
                wsum = np.bincount(g[a], weights=wd.sampling_weights[a], minlength=L)
                xsum = np.bincount(g[a], weights=(wd.sampling_weights * np.nan_to_num(s))[a], minlength=L)
                n = np.bincount(g[a], minlength=L)
                for k in np.flatnonzero((n >= min_n) & (wsum > 0)):
                    out[str(labels[k])].append((float(xsum[k] / wsum[k]), int(n[k]), i))
    return out
