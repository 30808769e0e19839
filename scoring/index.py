"""Satisfaction indices of an indicator tree, with design-based standard errors.

Items are scored 0-100 before they get here (NaN where not scored: 不了解, skipped, hidden).
Each node of the tree (indicator, dimension, overall index) is the weighted combination of its
children's values; a leaf is the weighted mean of an item over the respondents who scored it.
So every node is a linear combination sum_j a_j mean_j of item means, and its standard error
is that of the combination (R ``svycontrast`` of ``svymean``), with the influence values
combined the same way. A child with no scored answer (in a domain) is left out and its
siblings' weights are scaled up to sum to 1; the estimate's notes say so.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np
import scipy.sparse as sp

from scipy import stats

from ._results import Estimate, TestResult
from .design import Design, degrees_of_freedom, degrees_of_freedom_by, kish_effective_n

__all__ = ["TreeNode", "ItemMatrix", "index_tree", "index_tree_by", "index_difference", "index_contrasts", "item_coefficients",
           "respondent_scores"]


@dataclass(frozen=True, slots=True)
class TreeNode:
    """A node: its children (node or item ids) and their weights (normalised to sum 1)."""

    id: str
    children: tuple[str, ...]
    weights: tuple[float, ...]

    def __post_init__(self) -> None:
        if len(self.children) != len(self.weights) or not self.children:
            raise ValueError(f"node {self.id!r}: children and weights must be non-empty and of equal length")
        if any(not (w >= 0) for w in self.weights) or sum(self.weights) <= 0:
            raise ValueError(f"node {self.id!r}: weights must be non-negative with a positive sum")


def _order(nodes: Sequence[TreeNode]) -> list[TreeNode]:
    """Nodes children-first; a cycle is an error."""
    by_id = {n.id: n for n in nodes}
    if len(by_id) != len(nodes):
        raise ValueError("node ids must be unique")
    out: list[TreeNode] = []
    state: dict[str, int] = {}

    def visit(nid: str, path: tuple[str, ...]) -> None:
        if state.get(nid) == 2:
            return
        if state.get(nid) == 1:
            raise ValueError(f"the tree has a cycle: {' -> '.join(path + (nid,))}")
        state[nid] = 1
        for c in by_id[nid].children:
            if c in by_id:
                visit(c, path + (nid,))
        state[nid] = 2
        out.append(by_id[nid])

    for n in nodes:
        visit(n.id, ())
    return out


def item_coefficients(nodes: Sequence[TreeNode], items: Sequence[str],
                      available: np.ndarray | None = None) -> tuple[np.ndarray, list[str]]:
    """Matrix (len(nodes) x len(items)) of each node's coefficient on each item mean, and a
    note per node whose children were left out for lack of answers. `available` marks the
    items with a value (all by default)."""
    order = _order(nodes)
    col = {it: j for j, it in enumerate(items)}
    avail = np.ones(len(items), dtype=bool) if available is None else available
    coef: dict[str, np.ndarray | None] = {}
    notes: list[str] = []
    for node in order:
        parts, ws, missing = [], [], []
        for child, w in zip(node.children, node.weights):
            if child in coef:
                vec = coef[child]
            elif child in col:
                j = col[child]
                vec = None
                if avail[j]:
                    vec = np.zeros(len(items))
                    vec[j] = 1.0
            else:
                raise ValueError(f"node {node.id!r}: child {child!r} is neither a node nor an item")
            if vec is None:
                missing.append(child)
            else:
                parts.append(vec)
                ws.append(w)
        if not parts or sum(ws) <= 0:
            coef[node.id] = None
            continue
        total = sum(ws)
        coef[node.id] = sum((w / total) * v for w, v in zip(ws, parts))
        if missing:
            notes.append(f"{node.id}: {', '.join(missing)} had no scored answer; weights of the others rescaled")
    mat = np.vstack([coef[n.id] if coef[n.id] is not None else np.full(len(items), np.nan) for n in nodes])
    return mat, notes


@dataclass(frozen=True, eq=False)
class ItemMatrix:
    """Item scores already stacked (respondents x items), to pass to several calls."""

    names: tuple[str, ...]
    values: np.ndarray

    @classmethod
    def of(cls, items: Mapping[str, Any]) -> "ItemMatrix":
        names = tuple(items)
        Y = np.empty((len(np.asarray(items[names[0]])), len(names)))
        for j, k in enumerate(names):
            Y[:, j] = np.asarray(items[k], dtype=float)
        return cls(names, Y)

    def __iter__(self):
        return iter(self.names)

    def __getitem__(self, name: str) -> np.ndarray:
        return self.values[:, self.names.index(name)]


def _item_matrix(items: Mapping[str, Any] | ItemMatrix, design: Design) -> tuple[list[str], np.ndarray]:
    if isinstance(items, ItemMatrix):
        names, Y = list(items.names), items.values
    else:
        names = list(items)
        Y = np.column_stack([np.asarray(items[k], dtype=float) for k in names])
    if Y.shape[0] != design.n:
        raise ValueError(f"items must have one value per respondent ({design.n}); got {Y.shape[0]}")
    return names, Y


def _influence(Y: np.ndarray, design: Design, nodes: Sequence[TreeNode], names: list[str],
               dom: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """Node values, coefficients (nodes x items), influence values (n x nodes), use mask."""
    use = dom[:, None] & ~np.isnan(Y) & (design.sampling_weights > 0)[:, None]
    w = np.where(use, design.sampling_weights[:, None], 0.0)
    W = w.sum(axis=0)
    Yu = np.where(use, Y, 0.0)
    mu = np.divide((w * Yu).sum(axis=0), W, out=np.full(W.shape, np.nan), where=W > 0)
    A, notes = item_coefficients(nodes, names, available=W > 0)
    E = w * (Yu - np.nan_to_num(mu)) / np.where(W > 0, W, 1.0)
    Ac = np.nan_to_num(A)
    return Ac @ np.nan_to_num(mu), A, E @ Ac.T, use, notes


def index_tree(items: Mapping[str, Any], design: Design, nodes: Sequence[TreeNode], *,
               domain: Any = None) -> dict[str, Estimate]:
    """Value and standard error of every node, in the population or a domain."""
    names, Y = _item_matrix(items, design)
    dom = np.ones(design.n, dtype=bool) if domain is None else np.asarray(domain, dtype=bool)
    values, A, X, use, notes = _influence(Y, design, nodes, names, dom)
    V = design.variance(X)
    df = degrees_of_freedom(design, use.any(axis=1))
    w = design.sampling_weights
    Ac = np.nan_to_num(A)
    out = {}
    for k, node in enumerate(nodes):
        if np.isnan(A[k]).all():
            out[node.id] = Estimate(value=math.nan, std_error=math.nan, df=df, n=0,
                                    notes=(f"{node.id}: no scored answer",))
            continue
        involved = use[:, Ac[k] > 0].any(axis=1)
        out[node.id] = Estimate(value=float(values[k]), std_error=math.sqrt(max(float(V[k, k]), 0.0)), df=df,
                                n=int(involved.sum()), n_effective=kish_effective_n(np.where(involved, w, 0)),
                                notes=tuple(n for n in notes if n.startswith(f"{node.id}:")))
    return out


def index_difference(items: Mapping[str, Any], design: Design, nodes: Sequence[TreeNode], node_id: str,
                     group_a: Any, group_b: Any | None = None) -> TestResult:
    """Node value in domain A minus in domain B (everyone else when omitted), with the
    design-based standard error of the difference and a t test on design df - 1."""
    names, Y = _item_matrix(items, design)
    a = np.asarray(group_a, dtype=bool)
    b = ~a if group_b is None else np.asarray(group_b, dtype=bool)
    k = [n.id for n in nodes].index(node_id)
    va, _, xa, ua, _ = _influence(Y, design, nodes, names, a)
    vb, _, xb, ub, _ = _influence(Y, design, nodes, names, b)
    diff = float(va[k] - vb[k])
    se = math.sqrt(max(float(design.variance(xa[:, k] - xb[:, k])[0, 0]), 0.0))
    df = degrees_of_freedom(design, ua.any(axis=1) | ub.any(axis=1)) - 1
    if not se > 0 or df <= 0 or math.isnan(diff):
        return TestResult(statistic=math.nan, p_value=math.nan, df=df, method="design-based t test",
                          estimate=diff, std_error=se)
    t = diff / se
    return TestResult(statistic=t, p_value=float(2 * stats.t.sf(abs(t), df)), df=df,
                      method="design-based t test of a difference of indices", estimate=diff, std_error=se)


def respondent_scores(items: Mapping[str, Any] | ItemMatrix, nodes: Sequence[TreeNode]) -> dict[str, np.ndarray]:
    """Each respondent's score on every node: the node's weighted combination of the item scores
    the respondent gave (weights rescaled over the items answered); NaN with no item answered.
    For effect sizes, rank tests, entropy weights and drivers; indices use item means."""
    if isinstance(items, ItemMatrix):
        names, Y = list(items.names), items.values
    else:
        names = list(items)
        Y = np.column_stack([np.asarray(items[k], dtype=float) for k in names])
    col = {k: j for j, k in enumerate(names)}
    out: dict[str, np.ndarray] = {}
    for node in _order(nodes):
        num = np.zeros(Y.shape[0])
        den = np.zeros(Y.shape[0])
        for child, w in zip(node.children, node.weights):
            v = out[child] if child in out else Y[:, col[child]]
            ok = ~np.isnan(v)
            num += np.where(ok, w * v, 0.0)
            den += np.where(ok, w, 0.0)
        out[node.id] = np.divide(num, den, out=np.full(Y.shape[0], np.nan), where=den > 0)
    return out


def index_tree_by(items: Mapping[str, Any], design: Design, nodes: Sequence[TreeNode], groups: Any, *,
                  node_ids: Sequence[str] | None = None) -> dict[str, dict[Any, Estimate]]:
    """Every node (or those in `node_ids`) in every domain of `groups`, each estimated inside
    the full design; one sparse pass per node over all domains."""
    names, Y = _item_matrix(items, design)
    g = np.asarray(groups)
    present = ~np.isnan(g) if g.dtype.kind == "f" else np.array([v is not None for v in g.tolist()])
    labels, codes = np.unique(g[present], return_inverse=True)
    d = np.full(design.n, 0, dtype=np.int64)
    d[present] = codes.ravel()
    D = labels.shape[0]
    use = present[:, None] & ~np.isnan(Y) & (design.sampling_weights > 0)[:, None]
    w = np.where(use, design.sampling_weights[:, None], 0.0)
    Yu = np.where(use, Y, 0.0)
    J = len(names)
    op = sp.csr_matrix((np.ones(design.n), (d, np.arange(design.n))), shape=(D, design.n))
    W = op @ w
    S = op @ (w * Yu)
    mu = np.divide(S, W, out=np.full(W.shape, np.nan), where=W > 0)
    coef = np.empty((D, len(nodes), J))
    dom_notes: list[list[str]] = []
    for k in range(D):
        A, notes = item_coefficients(nodes, names, available=W[k] > 0)
        coef[k] = A
        dom_notes.append(notes)
    E = w * (Yu - np.nan_to_num(mu)[d]) / np.where(W > 0, W, 1.0)[d]
    del Yu
    wanted = [i for i, n in enumerate(nodes) if node_ids is None or n.id in set(node_ids)]
    any_use = use.any(axis=1)
    dfs = degrees_of_freedom_by(design, d, any_use, D)
    nobs = np.bincount(d, weights=any_use.astype(float), minlength=D)
    wrow = np.where(any_use, design.sampling_weights, 0.0)
    neff = np.bincount(d, weights=wrow, minlength=D) ** 2 / np.maximum(np.bincount(d, weights=wrow ** 2, minlength=D), 1e-300)
    out: dict[str, dict[Any, Estimate]] = {}
    rows = np.arange(design.n)
    for k in wanted:
        Ck = np.nan_to_num(coef[:, k, :])  # D x J
        x = np.einsum("ij,ij->i", E, Ck[d])
        x[~present] = 0.0
        X = sp.csr_matrix((x, (rows, d)), shape=(design.n, D))
        var = design.variance(X, diagonal_only=True)
        vals = np.einsum("dj,dj->d", Ck, np.nan_to_num(mu))
        res = {}
        for j, lab in enumerate(labels.tolist()):
            if np.isnan(coef[j, k]).all():
                res[lab] = Estimate(value=math.nan, std_error=math.nan, df=float(dfs[j]), n=int(nobs[j]),
                                    notes=(f"{nodes[k].id}: no scored answer",))
            else:
                res[lab] = Estimate(value=float(vals[j]), std_error=math.sqrt(max(float(var[j]), 0.0)), df=float(dfs[j]),
                                    n=int(nobs[j]), n_effective=float(neff[j]),
                                    notes=tuple(n for n in dom_notes[j] if n.startswith(f"{nodes[k].id}:")))
        out[nodes[k].id] = res
    return out


def index_contrasts(items: Mapping[str, Any], design: Design, nodes: Sequence[TreeNode], node_id: str, groups: Any,
                    *, pairs: str = "each_vs_rest") -> list[tuple[Any, Any, TestResult]]:
    """Differences of a node between domains of `groups`, all in one variance pass: each level
    against the rest of the respondents with a group (`each_vs_rest`), or every pair of levels
    (`all_pairs`). Returns (a, b, result); b is None for "the rest"."""
    if pairs not in ("each_vs_rest", "all_pairs"):
        raise ValueError(f"pairs must be 'each_vs_rest' or 'all_pairs'; got {pairs!r}")
    names, Y = _item_matrix(items, design)
    g = np.asarray(groups)
    present = ~np.isnan(g) if g.dtype.kind == "f" else np.array([v is not None for v in g.tolist()])
    labels, codes = np.unique(g[present], return_inverse=True)
    L = labels.shape[0]
    d = np.full(design.n, -1, dtype=np.int64)
    d[present] = codes.ravel()
    k = [n.id for n in nodes].index(node_id)
    use = present[:, None] & ~np.isnan(Y) & (design.sampling_weights > 0)[:, None]
    w = np.where(use, design.sampling_weights[:, None], 0.0)
    Yu = np.where(use, Y, 0.0)
    WY = w * Yu
    dd = np.where(d >= 0, d, 0)
    op = sp.csr_matrix((present.astype(float), (dd, np.arange(design.n))), shape=(L, design.n))
    Wl = op @ w
    Sl = op @ WY

    def parts(W: np.ndarray, S: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        mu = np.divide(S, W, out=np.full(W.shape, np.nan), where=W > 0)
        A = np.vstack([np.nan_to_num(item_coefficients(nodes, names, available=row > 0)[0][k]) for row in W])
        return mu, A, np.einsum("lj,lj->l", A, np.nan_to_num(mu))

    mu_l, A_l, val_l = parts(Wl, Sl)
    # each respondent's influence in its own level
    coef_own = np.divide(A_l, Wl, out=np.zeros_like(A_l), where=Wl > 0)
    own = np.einsum("ij,ij->i", WY - w * np.nan_to_num(mu_l)[dd], coef_own[dd])
    own[d < 0] = 0.0
    rows = np.arange(design.n)
    out_pairs: list[tuple[int, int | None]] = []
    if pairs == "each_vs_rest":
        Wr, Sr = Wl.sum(axis=0) - Wl, Sl.sum(axis=0) - Sl
        mu_r, A_r, val_r = parts(Wr, Sr)
        coef_r = np.divide(A_r, Wr, out=np.zeros_like(A_r), where=Wr > 0)  # L x J
        # rest influence for column l at row i (in another level): sum_j coef_r[l,j] (WY_ij - w_ij mu_r[l,j])
        R = WY @ coef_r.T - w @ (coef_r * np.nan_to_num(mu_r)).T  # n x L
        R[d < 0] = 0.0
        R[rows[d >= 0], d[d >= 0]] = 0.0  # a respondent is not in the rest of its own level
        X = -R
        X[rows[d >= 0], d[d >= 0]] = own[d >= 0]
        diffs = val_l - val_r
        out_pairs = [(a, None) for a in range(L)]
    else:
        cols = [(a, b) for a in range(L) for b in range(a + 1, L)]
        data, ri, ci = [], [], []
        for c, (a, b) in enumerate(cols):
            for lev, sign in ((a, 1.0), (b, -1.0)):
                m = np.flatnonzero(d == lev)
                ri.append(m)
                ci.append(np.full(m.shape[0], c))
                data.append(sign * own[m])
        X = sp.csr_matrix((np.concatenate(data), (np.concatenate(ri), np.concatenate(ci))),
                          shape=(design.n, len(cols))) if cols else np.zeros((design.n, 0))
        diffs = np.array([val_l[a] - val_l[b] for a, b in cols])
        out_pairs = cols
    var = design.variance(X, diagonal_only=True) if len(out_pairs) else np.zeros(0)
    df_all = degrees_of_freedom(design, present) - 1
    results = []
    for (a, b), diff, v in zip(out_pairs, diffs, var):
        df = df_all if b is None else degrees_of_freedom(design, (d == a) | (d == b)) - 1
        se = math.sqrt(max(float(v), 0.0))
        if not se > 0 or df <= 0 or math.isnan(diff):
            r = TestResult(statistic=math.nan, p_value=math.nan, df=df, method="design-based t test",
                           estimate=float(diff), std_error=se)
        else:
            t = float(diff) / se
            r = TestResult(statistic=t, p_value=float(2 * stats.t.sf(abs(t), df)), df=df,
                           method="design-based t test of a difference of indices", estimate=float(diff),
                           std_error=se)
        results.append((labels[a].item() if hasattr(labels[a], "item") else labels[a],
                        None if b is None else (labels[b].item() if hasattr(labels[b], "item") else labels[b]), r))
    return results
