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
from functools import cached_property
from typing import Any, Mapping, Sequence

import numpy as np
import scipy.sparse as sp

from scipy import stats

from ._results import Estimate, TestResult
from .design import Design, degrees_of_freedom, degrees_of_freedom_by, grouping, kish_effective_n

__all__ = ["TreeNode", "ItemMatrix", "ItemSums", "index_tree", "index_tree_by", "index_difference", "index_contrasts", "item_coefficients",
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
    """Item scores of respondents (rows) x items, held as the scores with 0 where missing
    (`filled`) and a boolean `answered`: the forms matrix products need, made once
    and shared by several calls."""

    names: tuple[str, ...]
    filled: np.ndarray
    answered: np.ndarray

    @classmethod
    def of(cls, items: Mapping[str, Any], *, mask: np.ndarray | None = None) -> "ItemMatrix":
        """Stack item columns; respondents outside `mask` count as not answering."""
        names = tuple(items)
        n = len(np.asarray(items[names[0]]))
        F = np.zeros((n, len(names)), order="F")  # columns are written one by one
        A = np.empty((n, len(names)), dtype=bool, order="F")
        for j, k in enumerate(names):
            y = np.asarray(items[k], dtype=float)
            a = A[:, j]
            np.isnan(y, out=a)
            np.logical_not(a, out=a)
            if mask is not None:
                np.logical_and(a, mask, out=a)
            np.copyto(F[:, j], y, where=a)
        return cls(names, F, A)

    def restrict(self, mask: np.ndarray) -> "ItemMatrix":
        """The same respondents with those outside `mask` as not answering (in place: the
        matrices are reused)."""
        np.multiply(self.filled, np.asarray(mask, dtype=float)[:, None], out=self.filled)
        np.logical_and(self.answered, np.asarray(mask, dtype=bool)[:, None], out=self.answered)
        self.__dict__.pop("values", None)
        return self

    @cached_property
    def values(self) -> np.ndarray:
        """Scores with NaN where missing."""
        return np.where(self.answered, self.filled, np.nan)

    def __iter__(self):
        return iter(self.names)

    def __getitem__(self, name: str) -> np.ndarray:
        return self.values[:, self.names.index(name)]

    def columns(self, names: Sequence[str]) -> np.ndarray:
        """Scores (NaN where missing) of some items."""
        idx = [self.names.index(k) for k in names]
        return np.where(self.answered[:, idx], self.filled[:, idx], np.nan)

    def block(self, names: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """(filled, answered) of some items: views when they are adjacent columns."""
        idx = [self.names.index(k) for k in names]
        if idx == list(range(idx[0], idx[0] + len(idx))):
            sl = slice(idx[0], idx[0] + len(idx))
            return self.filled[:, sl], self.answered[:, sl]
        return self.filled[:, idx], self.answered[:, idx]

    def complete(self, names: Sequence[str]) -> np.ndarray:
        """Scores of some items for the respondents who answered all of them."""
        idx = [self.names.index(k) for k in names]
        rows = np.flatnonzero(self.answered[:, idx].all(axis=1))
        return self.filled[np.ix_(rows, idx)]


@dataclass(frozen=True, eq=False)
class ItemSums:
    """Item scores summed by groups of respondents who share every design attribute (see
    scoring.design.collapse): per group and item, the weight of those who answered
    (`weights`) and their weighted score total (`totals`); `respondents` counts the group's
    respondents with at least one item answered. Estimates from it equal those from the rows."""

    names: tuple[str, ...]
    weights: np.ndarray
    totals: np.ndarray
    respondents: np.ndarray

    @classmethod
    def of(cls, items: ItemMatrix | Mapping[str, Any], sampling_weights: np.ndarray, groups: np.ndarray) -> "ItemSums":
        """Sums of respondents' item scores into their groups (codes 0..G-1), column by column."""
        m = items if isinstance(items, ItemMatrix) else ItemMatrix.of(items)
        g = np.asarray(groups, dtype=np.int64)
        G = int(g.max()) + 1 if g.size else 0
        w = np.asarray(sampling_weights, float)
        J = len(m.names)
        weights, totals = np.empty((G, J)), np.empty((G, J))
        any_answer = np.zeros(g.shape[0], dtype=bool)
        buf = np.empty(g.shape[0])  # one buffer for the weighted columns
        for j in range(J):  # column by column: the matrices are in column order
            a = m.answered[:, j]
            weights[:, j] = np.bincount(g, weights=np.multiply(w, a, out=buf), minlength=G)
            totals[:, j] = np.bincount(g, weights=np.multiply(w, m.filled[:, j], out=buf), minlength=G)
            np.logical_or(any_answer, a, out=any_answer)
        return cls(m.names, weights, totals, np.bincount(g, weights=any_answer, minlength=G))


def _item_matrix(items: Mapping[str, Any] | ItemMatrix, design: Design) -> tuple[list[str], np.ndarray]:
    if isinstance(items, ItemMatrix):
        names, Y = list(items.names), items.values
    else:
        names = list(items)
        Y = np.column_stack([np.asarray(items[k], dtype=float) for k in names])
    if Y.shape[0] != design.n:
        raise ValueError(f"items must have one value per respondent ({design.n}); got {Y.shape[0]}")
    return names, Y


def _sums(items: Any, design: Design, dom: np.ndarray | None) -> tuple[list[str], np.ndarray, np.ndarray,
                                                                       np.ndarray]:
    """(names, Wt, WY, respondents): per row the weight of each answered item, the weighted
    score, and how many respondents the row stands for with an answer; rows outside `dom`
    are zero."""
    pos = design.sampling_weights > 0
    keep = pos if dom is None else (pos & dom)
    if isinstance(items, ItemSums):
        if items.weights.shape[0] != design.n:
            raise ValueError(f"item sums must have one row per design row ({design.n})")
        Wt = np.where(keep[:, None], items.weights, 0.0)
        WY = np.where(keep[:, None], items.totals, 0.0)
        resp = np.where(keep & (Wt > 0).any(axis=1), items.respondents, 0.0)
        return list(items.names), Wt, WY, resp
    names, Y = _item_matrix(items, design)
    use = keep[:, None] & ~np.isnan(Y)
    Wt = np.where(use, design.sampling_weights[:, None], 0.0)
    WY = Wt * np.where(use, Y, 0.0)
    return names, Wt, WY, use.any(axis=1).astype(float)


def _kish(w: np.ndarray, r: np.ndarray) -> float:
    """Kish n_eff of r respondents per row, each with weight w."""
    s2 = float(np.sum(r * w * w))
    return float(np.sum(r * w)) ** 2 / s2 if s2 > 0 else math.nan


def _influence(Wt: np.ndarray, WY: np.ndarray, nodes: Sequence[TreeNode], names: list[str]
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """Node values, coefficients (nodes x items), influence values (rows x nodes), notes."""
    W = Wt.sum(axis=0)
    mu = np.divide(WY.sum(axis=0), W, out=np.full(W.shape, np.nan), where=W > 0)
    A, notes = item_coefficients(nodes, names, available=W > 0)
    Ac = np.nan_to_num(A)
    E = (WY - Wt * np.nan_to_num(mu)) / np.where(W > 0, W, 1.0)
    return Ac @ np.nan_to_num(mu), A, E @ Ac.T, notes


def index_tree(items: Any, design: Design, nodes: Sequence[TreeNode], *, domain: Any = None,
               extra_items: bool = False) -> dict[str, Estimate]:
    """Value and standard error of every node, in the population or a domain. `items` are
    item scores by respondent (mapping or ItemMatrix) or ItemSums of a collapsed design. With
    `extra_items`, every item is also returned as a node of its own (its mean)."""
    dom = None if domain is None else np.asarray(domain, dtype=bool)
    names, Wt, WY, resp = _sums(items, design, dom)
    if extra_items:
        nodes = list(nodes) + [TreeNode(f"item:{k}", (k,), (1.0,)) for k in names]
    values, A, X, notes = _influence(Wt, WY, nodes, names)
    V = design.variance(X)
    df = degrees_of_freedom(design, resp > 0)
    w = design.sampling_weights
    Ac = np.nan_to_num(A)
    grouped = isinstance(items, ItemSums)
    out = {}
    for k, node in enumerate(nodes):
        nid = node.id[5:] if node.id.startswith("item:") else node.id
        if np.isnan(A[k]).all():
            out[nid] = Estimate(value=math.nan, std_error=math.nan, df=df, n=0, notes=(f"{nid}: no scored answer",))
            continue
        involved = resp if grouped else (Wt[:, Ac[k] > 0] > 0).any(axis=1).astype(float)
        out[nid] = Estimate(value=float(values[k]), std_error=math.sqrt(max(float(V[k, k]), 0.0)), df=df,
                            n=int(round(float(involved.sum()))), n_effective=_kish(w, involved),
                            notes=tuple(n for n in notes if n.startswith(f"{nid}:")))
    return out


def index_difference(items: Any, design: Design, nodes: Sequence[TreeNode], node_id: str,
                     group_a: Any, group_b: Any | None = None) -> TestResult:
    """Node value in domain A minus in domain B (everyone else when omitted), with the
    design-based standard error of the difference and a t test on design df - 1."""
    a = np.asarray(group_a, dtype=bool)
    b = ~a if group_b is None else np.asarray(group_b, dtype=bool)
    k = [n.id for n in nodes].index(node_id)
    names, Wa, Ya, ra = _sums(items, design, a)
    _, Wb, Yb, rb = _sums(items, design, b)
    va, _, xa, _ = _influence(Wa, Ya, nodes, names)
    vb, _, xb, _ = _influence(Wb, Yb, nodes, names)
    diff = float(va[k] - vb[k])
    se = math.sqrt(max(float(design.variance(xa[:, k] - xb[:, k])[0, 0]), 0.0))
    df = degrees_of_freedom(design, (ra > 0) | (rb > 0)) - 1
    return _t_result(diff, se, df)


def _t_result(diff: float, se: float, df: float) -> TestResult:
    if not se > 0 or df <= 0 or math.isnan(diff):
        return TestResult(statistic=math.nan, p_value=math.nan, df=df, method="design-based t test",
                          estimate=diff, std_error=se)
    t = diff / se
    return TestResult(statistic=t, p_value=float(2 * stats.t.sf(abs(t), df)), df=df,
                      method="design-based t test of a difference of indices", estimate=diff, std_error=se)


def respondent_scores(items: Mapping[str, Any] | ItemMatrix, nodes: Sequence[TreeNode], *,
                      node_ids: Sequence[str] | None = None, block: int = 8192) -> dict[str, np.ndarray]:
    """Each respondent's score on every node: the node's weighted combination of the item scores
    the respondent gave (weights rescaled over the items answered); NaN with no item answered.
    For effect sizes, rank tests, entropy weights and drivers; indices use item means.
    Computed level by level as two matrix products (scores, and weights of answered items),
    in blocks of rows. With `node_ids`, only those nodes are returned (all are computed)."""
    m = items if isinstance(items, ItemMatrix) else ItemMatrix.of(items)
    col = {k: j for j, k in enumerate(m.names)}
    width = len(m.names)
    levels: list[tuple[list[TreeNode], np.ndarray]] = []
    pending = list(_order(nodes))
    while pending:
        ready = [nd for nd in pending if all(c in col for c in nd.children)]
        if not ready:
            raise ValueError("node children are neither items nor nodes")
        W = np.zeros((width, len(ready)))
        for k, nd in enumerate(ready):
            for c, wt in zip(nd.children, nd.weights):
                W[col[c], k] += wt
        for k, nd in enumerate(ready):
            col[nd.id] = width + k
        width += len(ready)
        levels.append((ready, W))
        pending = [nd for nd in pending if nd.id not in col]
    n = m.filled.shape[0]
    J = len(m.names)
    names = [nd.id for ready, _ in levels for nd in ready]
    wanted = set(names if node_ids is None else node_ids)
    if not wanted <= set(names):
        raise ValueError(f"node_ids not in the tree: {sorted(wanted - set(names))}")
    # one array per node, not one block of all: arrays of a single column's size are reused
    # from freed memory by the allocator, where a large fresh block costs page faults
    out = [np.empty(n) if k in wanted else None for k in names]
    # Items x respondents orientation, in blocks of rows: the column-ordered item matrices
    # transposed are contiguous rows. One buffer holds the items and then each level's scores
    # (0 where NaN) and another the 0/1 flags, so that a level is W' @ buffer, one product for
    # the scores and one for the weights of what was answered. A node with no weight answered
    # has a score total of 0 too (its children are 0 there), so num / den is NaN exactly there.
    FT, AT = m.filled.T, m.answered.T
    Fb, Ab = np.empty((width, block)), np.empty((width, block))
    Wts = [np.ascontiguousarray(W.T) for _, W in levels]
    for s0 in range(0, n, block):
        b = min(block, n - s0)
        F, A = Fb[:, :b], Ab[:, :b]
        F[:J] = FT[:, s0:s0 + b]
        A[:J] = AT[:, s0:s0 + b]
        r = J
        for Wt in Wts:
            L = Wt.shape[0]
            num = Wt @ F[:r]
            den = Wt @ A[:r]
            with np.errstate(invalid="ignore"):
                lev = np.divide(num, den, out=num)
            for i in range(L):
                if out[r - J + i] is not None:
                    out[r - J + i][s0:s0 + b] = lev[i]
            ok = np.greater(den, 0, out=A[r:r + L])
            np.copyto(F[r:r + L], lev)
            np.copyto(F[r:r + L], 0.0, where=ok == 0)
            r += L
    return {k: v for k, v in zip(names, out) if v is not None}


def _domain_codes(groups: Any, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return grouping(groups, n)


def index_tree_by(items: Any, design: Design, nodes: Sequence[TreeNode], groups: Any, *,
                  node_ids: Sequence[str] | None = None) -> dict[str, dict[Any, Estimate]]:
    """Every node (or those in `node_ids`) in every domain of `groups`, each estimated inside
    the full design; one sparse pass per node over all domains."""
    labels, d, present = _domain_codes(groups, design.n)
    names, Wt, WY, resp = _sums(items, design, present)
    D = labels.shape[0]
    J = len(names)
    dd = np.where(d >= 0, d, 0)
    op = sp.csr_matrix((present.astype(float), (dd, np.arange(design.n))), shape=(D, design.n))
    W = np.asarray(op @ Wt)
    S = np.asarray(op @ WY)
    mu = np.divide(S, W, out=np.full(W.shape, np.nan), where=W > 0)
    coef = np.empty((D, len(nodes), J))
    dom_notes: list[list[str]] = []
    cache: dict[bytes, tuple[np.ndarray, list[str]]] = {}
    for k in range(D):
        key = (W[k] > 0).tobytes()
        if key not in cache:
            cache[key] = item_coefficients(nodes, names, available=W[k] > 0)
        coef[k], notes = cache[key]
        dom_notes.append(notes)
    E = (WY - Wt * np.nan_to_num(mu)[dd]) / np.where(W > 0, W, 1.0)[dd]
    wanted = [i for i, n in enumerate(nodes) if node_ids is None or n.id in set(node_ids)]
    has = resp > 0
    dfs = degrees_of_freedom_by(design, d, has & present, D)
    w = design.sampling_weights
    nobs = np.asarray(op @ resp).ravel()
    sw = np.asarray(op @ (resp * w)).ravel()
    sw2 = np.asarray(op @ (resp * w * w)).ravel()
    neff = np.divide(sw ** 2, sw2, out=np.full(D, np.nan), where=sw2 > 0)
    # every wanted node's influence values in one sparse matrix (rows x nodes*domains, a
    # node's domains side by side): one variance pass for all of them
    n, K = design.n, len(wanted)
    xs = []
    coef_rows = np.empty((n, J))  # each row's domain coefficients of a node
    for k in wanted:
        np.take(np.nan_to_num(coef[:, k, :]), dd, axis=0, out=coef_rows, mode="clip")
        x = np.einsum("ij,ij->i", E, coef_rows)
        x[~present] = 0.0
        xs.append(x)
    X = sp.csr_matrix((np.concatenate(xs) if xs else np.zeros(0),
                       (np.tile(np.arange(n), K), (dd[None, :] + D * np.arange(K)[:, None]).ravel())),
                      shape=(n, K * D))
    var = design.variance(X, diagonal_only=True).reshape(K, D) if K else np.zeros((0, D))
    empty = np.isnan(coef).all(axis=2)  # D x nodes: no scored answer
    mu0 = np.nan_to_num(mu)
    lab_list = labels.tolist()
    df_list = dfs.astype(float).tolist()
    n_list = [int(v) for v in np.rint(nobs)]  # round half to even, as round()
    neff_list = neff.tolist()
    out: dict[str, dict[Any, Estimate]] = {}
    for i, k in enumerate(wanted):
        vals = np.einsum("dj,dj->d", np.nan_to_num(coef[:, k, :]), mu0).tolist()
        se = np.sqrt(np.maximum(var[i], 0.0)).tolist()
        nid = nodes[k].id
        prefix = f"{nid}:"
        res = {}
        for j, lab in enumerate(lab_list):
            if empty[j, k]:
                res[lab] = Estimate(value=math.nan, std_error=math.nan, df=df_list[j], n=n_list[j],
                                    notes=(f"{nid}: no scored answer",))
            else:
                res[lab] = Estimate(value=vals[j], std_error=se[j], df=df_list[j], n=n_list[j],
                                    n_effective=neff_list[j],
                                    notes=tuple(t for t in dom_notes[j] if t.startswith(prefix)))
        out[nid] = res
    return out


def index_contrasts(items: Any, design: Design, nodes: Sequence[TreeNode], node_id: str, groups: Any,
                    *, pairs: str = "each_vs_rest") -> list[tuple[Any, Any, TestResult]]:
    """Differences of a node between domains of `groups`, all in one variance pass: each level
    against the rest of the respondents with a group (`each_vs_rest`), or every pair of levels
    (`all_pairs`). Returns (a, b, result); b is None for "the rest"."""
    if pairs not in ("each_vs_rest", "all_pairs"):
        raise ValueError(f"pairs must be 'each_vs_rest' or 'all_pairs'; got {pairs!r}")
    labels, d, present = _domain_codes(groups, design.n)
    names, Wt, WY, resp = _sums(items, design, present)
    L = labels.shape[0]
    k = [n.id for n in nodes].index(node_id)
    dd = np.where(d >= 0, d, 0)
    op = sp.csr_matrix((present.astype(float), (dd, np.arange(design.n))), shape=(L, design.n))
    Wl = np.asarray(op @ Wt)
    Sl = np.asarray(op @ WY)

    cache: dict[bytes, np.ndarray] = {}  # the node's coefficients by the items available

    def coefficients(available: np.ndarray) -> np.ndarray:
        key = available.tobytes()
        if key not in cache:
            cache[key] = np.nan_to_num(item_coefficients(nodes, names, available=available)[0][k])
        return cache[key]

    def parts(W: np.ndarray, S: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        mu = np.divide(S, W, out=np.full(W.shape, np.nan), where=W > 0)
        A = np.vstack([coefficients(row > 0) for row in W])
        return mu, A, np.einsum("lj,lj->l", A, np.nan_to_num(mu))

    mu_l, A_l, val_l = parts(Wl, Sl)
    coef_own = np.divide(A_l, Wl, out=np.zeros_like(A_l), where=Wl > 0)
    own = np.einsum("ij,ij->i", WY - Wt * np.nan_to_num(mu_l)[dd], coef_own[dd])
    own[d < 0] = 0.0
    rows = np.arange(design.n)
    has = resp > 0
    if pairs == "each_vs_rest":
        Wr, Sr = Wl.sum(axis=0) - Wl, Sl.sum(axis=0) - Sl
        mu_r, A_r, val_r = parts(Wr, Sr)
        coef_r = np.divide(A_r, Wr, out=np.zeros_like(A_r), where=Wr > 0)  # L x J
        R = WY @ coef_r.T - Wt @ (coef_r * np.nan_to_num(mu_r)).T  # rows x L
        R[d < 0] = 0.0
        R[rows[d >= 0], d[d >= 0]] = 0.0  # a respondent is not in the rest of its own level
        X = -R
        X[rows[d >= 0], d[d >= 0]] = own[d >= 0]
        diffs = val_l - val_r
        out_pairs: list[tuple[int, int | None]] = [(a, None) for a in range(L)]
    else:
        out_pairs = [(a, b) for a in range(L) for b in range(a + 1, L)]
        data, ri, ci = [], [], []
        for c, (a, b) in enumerate(out_pairs):
            for lev, sign in ((a, 1.0), (b, -1.0)):
                m = np.flatnonzero(d == lev)
                ri.append(m)
                ci.append(np.full(m.shape[0], c))
                data.append(sign * own[m])
        X = sp.csr_matrix((np.concatenate(data), (np.concatenate(ri), np.concatenate(ci))),
                          shape=(design.n, len(out_pairs))) if out_pairs else np.zeros((design.n, 0))
        diffs = np.array([val_l[a] - val_l[b] for a, b in out_pairs])
    var = design.variance(X, diagonal_only=True) if out_pairs else np.zeros(0)
    df_all = degrees_of_freedom(design, present & has) - 1
    results = []
    for (a, b), diff, v in zip(out_pairs, diffs, var):
        df = df_all if b is None else degrees_of_freedom(design, has & ((d == a) | (d == b))) - 1
        r = _t_result(float(diff), math.sqrt(max(float(v), 0.0)), df)
        results.append((labels[a].item() if hasattr(labels[a], "item") else labels[a],
                        None if b is None else (labels[b].item() if hasattr(labels[b], "item") else labels[b]), r))
    return results
