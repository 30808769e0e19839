"""The indicator tree of a questionnaire as scoring nodes, with each node's weights resolved
(fixed, equal, AHP, entropy from the wave's data, or a blend) and their derivation recorded."""

from __future__ import annotations

from typing import Any

import numpy as np

import scoring as sc
from scoring.index import TreeNode, respondent_scores
from scoring.weights import blend_weights, entropy_weights

from ..schema import AhpWeights, BlendWeights, EntropyWeights, FixedWeights, Questionnaire
from ..semantics.questionnaire import judgement_value

__all__ = ["tree_nodes", "OVERALL"]

OVERALL = "overall_index"


def _ahp(w: AhpWeights, children: list[str]) -> tuple[list[float], dict]:
    order = w.order or children
    mats = [w.matrix] if w.matrix is not None else list(w.experts or [])
    numeric = [[[judgement_value(x) for x in row] for row in m] for m in mats]
    a = sc.combine_judgements(numeric) if len(numeric) > 1 else np.array(numeric[0])
    r = sc.ahp_weights(a)
    by = dict(zip(order, r.weights))
    return [by[c] for c in children], {
        "method": "ahp", "experts": len(numeric), "lambda_max": r.lambda_max,
        "consistency_index": r.consistency_index, "random_index": r.random_index,
        "consistency_ratio": r.consistency_ratio}


def _resolve(w: Any, children: list[str], child_scores: Any,
             sampling_weights: np.ndarray) -> tuple[list[float], dict]:
    if isinstance(w, FixedWeights):
        return [w.values[c] for c in children], {"method": "fixed"}
    if isinstance(w, AhpWeights):
        return _ahp(w, children)
    if isinstance(w, (EntropyWeights, BlendWeights)):
        scores = child_scores() if callable(child_scores) else child_scores
        X = np.column_stack([scores[c] for c in children])
        e = entropy_weights(X, sampling_weights=sampling_weights)
        info = {"method": "entropy", "entropy": list(e.entropy), "divergence": list(e.divergence), "n": e.n}
        if isinstance(w, EntropyWeights):
            return list(e.weights), info
        aw, ainfo = _ahp(w.ahp, children)
        return list(blend_weights(aw, e.weights, ahp_share=w.ahp_share)), {
            "method": "blend", "ahp_share": w.ahp_share, "ahp": ainfo, "ahp_weights": aw,
            "entropy": info, "entropy_weights": list(e.weights)}
    return [1.0 / len(children)] * len(children), {"method": "equal"}


def tree_nodes(q: Questionnaire, item_scores: Any,
               sampling_weights: np.ndarray) -> tuple[list[TreeNode], dict[str, dict]]:
    """Nodes children first (indicators, dimensions, the overall index) and, per node, the
    weights with how they were derived."""
    tree = q.indicators
    if tree is None:
        raise ValueError(f"questionnaire '{q.id}' has no indicator tree to score")
    nodes: list[TreeNode] = []
    derivation: dict[str, dict] = {}
    for dim in tree.dimensions:
        for ind in dim.indicators:
            ws, info = _resolve(ind.weights, list(ind.items), item_scores, sampling_weights)
            nodes.append(TreeNode(ind.id, tuple(ind.items), tuple(ws)))
            derivation[ind.id] = {"children": list(ind.items), "weights": ws, **info}
        kids = [i.id for i in dim.indicators]
        ws, info = _resolve(dim.weights, kids, lambda: respondent_scores(item_scores, nodes), sampling_weights)
        nodes.append(TreeNode(dim.id, tuple(kids), tuple(ws)))
        derivation[dim.id] = {"children": kids, "weights": ws, **info}
    dims = [d.id for d in tree.dimensions]
    ws, info = _resolve(tree.weights, dims, lambda: respondent_scores(item_scores, nodes), sampling_weights)
    nodes.append(TreeNode(OVERALL, tuple(dims), tuple(ws)))
    derivation[OVERALL] = {"children": dims, "weights": ws, **info}
    return nodes, derivation
