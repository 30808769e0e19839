"""What a report needs from the responses themselves and results.json does not hold: the
weighted answer distributions and the sample structure before and after weighting, from the
rows and final weights the estimates used."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from reports.context import NAN, Distribution, StructureRow

from ..schema import MatrixQuestion, Plan, Questionnaire, ScaleQuestion
from .csvdata import Dataset

__all__ = ["WeightedData", "weighted_data", "distributions", "structure"]


@dataclass(frozen=True)
class WeightedData:
    """The responses as the estimates used them: rows kept and their final weights."""
    data: Dataset
    keep: np.ndarray
    sampling_weights: np.ndarray


def weighted_data(plan: Plan, q: Questionnaire, data: Dataset, *, base_dir: Path) -> WeightedData:
    """Quality exclusions and the weighted design exactly as evaluate() makes them."""
    from scoring.index import ItemMatrix

    from .evaluate import _design, _quality

    tree = q.indicators
    item_ids = [i for d in tree.dimensions for ind in d.indicators for i in ind.items]
    overall_ids = [i for i in tree.overall if i in data.scores and i not in item_ids]
    items = ItemMatrix.of({i: data.scores[i] for i in item_ids + overall_ids})
    _, keep = _quality(plan, q, data, item_ids, items)
    design = _design(plan, data, keep, base_dir)
    return WeightedData(data, keep, np.where(keep, design.sampling_weights, 0.0))


def distributions(q: Questionnaire, wd: WeightedData, lab: Any, lang: str) -> list[Distribution]:
    scales = {s.id: s for s in q.scales}
    out = []
    w = wd.sampling_weights
    item_ids = [i for d in q.indicators.dimensions for ind in d.indicators for i in ind.items]
    reverse = {}
    scale_of = {}
    for sec in q.sections:
        for qu in sec.questions:
            if isinstance(qu, MatrixQuestion):
                for it in qu.items:
                    scale_of[it.id], reverse[it.id] = qu.scale, it.reverse
            elif isinstance(qu, ScaleQuestion):
                scale_of[qu.id], reverse[qu.id] = qu.scale, qu.reverse
    mark = "（反向）" if lang == "zh" else " (reverse)"
    for i in item_ids:
        if i not in wd.data.text or i not in scale_of:
            continue
        sc = scales[scale_of[i]]
        col = wd.data.text[i]
        scored = [p for p in sc.points if not p.na]
        na = {p.code for p in sc.points if p.na}
        codes = {p.code: k for k, p in enumerate(scored)}
        idx = np.fromiter((codes.get(v, -1 if v not in na else -2) if v is not None else -3 for v in col.tolist()),
                          dtype=np.int64, count=col.shape[0])
        if sc.order == "worst_first":
            idx = np.where(idx >= 0, len(scored) - 1 - idx, idx)
            scored = scored[::-1]
        answered = idx >= -2
        wa = float(w[answered].sum())
        ws = np.bincount(idx[idx >= 0], weights=w[idx >= 0], minlength=len(scored))
        total = float(ws.sum())
        out.append(Distribution(id=i, label=lab(i) + (mark if reverse.get(i) else ""),
                                categories=tuple(p.label.get(lang) for p in scored),
                                shares=tuple(float(x / total) if total else NAN for x in ws),
                                na_share=float(w[idx == -2].sum() / wa) if wa else NAN,
                                n=int((answered & wd.keep).sum())))
    return out


def structure(plan: Plan, wd: WeightedData, lab: Any, base_dir: Path) -> list[StructureRow]:
    from .evaluate import _margins

    out = []
    keep = wd.keep
    w = wd.sampling_weights
    for var, pop in _margins(plan, base_dir):
        codes, labels = wd.data.codes(var)
        total = sum(pop.values())
        n_all = int(keep.sum())
        w_all = float(w[keep].sum())
        for cat, count in pop.items():
            k = labels.index(cat) if cat in labels else -99
            m = keep & (codes == k)
            out.append(StructureRow(variable=lab(var), category=lab.value(var, str(cat)), sample_n=int(m.sum()),
                                    sample_share=m.sum() / n_all if n_all else NAN,
                                    weighted_share=float(w[m].sum()) / w_all if w_all else NAN,
                                    population_share=count / total if total else NAN))
    return out
