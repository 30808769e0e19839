"""One wave's evaluation: quality flags, design, weighting, indices by domain, comparisons,
reliability, drivers, league tables. Returns a plain dict (the content of results.json)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
import os
from pathlib import Path
from typing import Any, Callable

import numpy as np
from threadpoolctl import threadpool_limits

import scoring as sc
from scoring import compare, drivers, quality, reliability
from scoring.design import collapse, factorize
from scoring.index import (
    ItemMatrix, ItemSums, index_contrasts, index_tree, index_tree_by, item_coefficients, respondent_scores,
)

from ..schema import MatrixQuestion, Plan, Questionnaire
from .csvdata import Dataset
from .weights import OVERALL, tree_nodes

__all__ = ["evaluate", "RESULTS_VERSION"]

RESULTS_VERSION = 1
#: A domain variable with more levels than this (communities) gets the overall index and the
#: dimensions per level; smaller ones (districts, groups) every node of the tree.
LARGE_DOMAIN = 200
Progress = Callable[[str], None]


_CRITICAL: dict[tuple[float, float], float] = {}


def _critical(level: float, df: float) -> float:
    """The intervals' critical value: the upper end of the interval of 0 with standard error 1."""
    key = (level, df)
    if key not in _CRITICAL:
        _CRITICAL[key] = sc.Estimate(value=0.0, std_error=1.0, df=df, n=0).confidence_interval(level).high
    return _CRITICAL[key]


def _est(target: str, kind: str, e: sc.Estimate, level: float, domain: tuple[str, str] | None = None) -> dict:
    if e.std_error != e.std_error:
        low = high = math.nan
    elif type(e) is sc.Estimate:  # value -/+ c se, as its confidence_interval (tens of thousands of domains)
        c = _critical(level, e.df)
        low, high = e.value - c * e.std_error, e.value + c * e.std_error
    else:
        ci = e.confidence_interval(level)
        low, high = ci.low, ci.high
    return {"target": target, "kind": kind,
            "domain": None if domain is None else {"variable": domain[0], "value": domain[1]},
            "value": e.value, "std_error": e.std_error, "ci_low": low,
            "ci_high": high, "confidence_level": level, "df": e.df, "n": e.n,
            "n_effective": e.n_effective, "deff": e.design_effect, "notes": list(e.notes)}


def _margins(plan: Plan, base: Path) -> list[tuple[str, dict[str, float]]]:
    out = []
    for m in plan.weighting.margins:
        if m.population is not None:
            out.append((m.variable, dict(m.population)))
        else:
            rows = list(csv.reader(io.StringIO((base / m.csv).read_text(encoding="utf-8-sig"))))  # type: ignore[operator]
            out.append((m.variable, {r[0].strip(): float(r[1]) for r in rows[1:] if r and r[0].strip()}))
    return out


def _codes(data: Dataset, name: str) -> tuple[np.ndarray, list]:
    """Integer codes (-1 where missing) and the labels they stand for (Dataset.codes)."""
    return data.codes(name)


def _groups(data: Dataset, name: str, keep: np.ndarray) -> tuple[np.ndarray, list]:
    """Float codes for scoring's grouping (NaN: missing or excluded) and their labels."""
    codes, labels = _codes(data, name)
    return np.where(keep & (codes >= 0), codes, np.nan), labels


def _design(plan: Plan, data: Dataset, keep: np.ndarray, base: Path) -> sc.Design:
    d = plan.design
    n = data.n
    weights = data.numbers[d.weights].copy() if d.weights else np.ones(n)
    weights[~keep] = 0.0
    if d.weights and np.isnan(weights[keep]).any():
        raise ValueError(f"design weights column '{d.weights}' has missing values")
    psu = [_codes(data, p)[0] for p in d.psu] or None
    fpc = [data.numbers[f] for f in d.fpc] or None
    design = sc.survey_design(psu=psu, strata=_codes(data, d.strata)[0] if d.strata else None,
                              sampling_weights=weights, fpc=fpc, nest=True,
                              lonely_psu=d.single_psu if d.single_psu != "fail" else "fail")
    w = plan.weighting
    if w.method == "none":
        return design
    margins = []
    for v, pop in _margins(plan, base):
        codes, labels = _codes(data, v)
        index = {str(lab): k for k, lab in enumerate(labels)}
        extra = len(labels)
        keyed = {}
        for lab, count in pop.items():
            if lab not in index:  # a category nobody in the sample has
                index[lab] = extra
                extra += 1
            keyed[str(index[lab])] = count
        margins.append((codes, keyed))
    if w.method == "poststratify":
        design = sc.poststratify(design, margins[0][0], margins[0][1])
    elif w.method == "rake":
        design = sc.rake(design, margins, max_iterations=w.max_iterations, epsilon=w.tolerance)
    else:
        cols, totals = [np.ones(n)], [w.population_total or sum(margins[0][1].values())]
        for labels, pop in margins:
            for code in list(pop)[1:]:
                cols.append((labels == int(code)).astype(float))
                totals.append(pop[code])
        bounds = w.bounds or (-math.inf, math.inf)
        design = sc.calibrate(design, np.column_stack(cols), totals, calfun=w.calibration, bounds=bounds,
                              max_iterations=w.max_iterations, force=True)
    if w.trimming is not None:
        record = design.weighting
        t = w.trimming
        mean_w = float(design.sampling_weights[keep].mean())
        scale = mean_w if t.relative else 1.0
        trimmed = sc.trim_weights(design, lower=(t.lower or 0) * scale if t.lower is not None else -math.inf,
                                  upper=t.upper * scale if t.upper is not None else math.inf, strict=True,
                                  mask=keep)  # excluded respondents keep their weight 0
        if record is not None:  # keep the weighting's record; add what trimming did
            tr = trimmed.weighting
            record = sc.WeightingRecord(method=f"{record.method}+trim", iterations=record.iterations,
                                        converged=record.converged and tr.converged,
                                        max_margin_error=record.max_margin_error, notes=record.notes + tr.notes)
            trimmed = trimmed.with_weights(trimmed.sampling_weights, weighting=record)
        design = trimmed
    return design


def _quality(plan: Plan, q: Questionnaire, data: Dataset, item_ids: list[str],
             items: ItemMatrix) -> tuple[dict, np.ndarray]:
    """Quality flags; `items` holds the item scores (item_ids first)."""
    J = len(item_ids)
    rules = plan.quality
    flags: dict[str, np.ndarray] = {}
    if rules.flag_duplicates:
        keys = data.text.get("respondent_id")
        flags["duplicate"] = quality.duplicates(items.filled[:, :J], keys=keys if keys is not None and all(
            k is not None for k in keys) else None, answered=items.answered[:, :J])
    if rules.min_duration_seconds is not None and "duration_seconds" in data.numbers:
        flags["speeder"] = quality.speeders(data.numbers["duration_seconds"], min_seconds=rules.min_duration_seconds)
    if rules.straightlining:
        flag = np.zeros(data.n, dtype=bool)
        for sec in q.sections:
            for qu in sec.questions:
                its = [it for it in qu.items if it.id in data.scores] if isinstance(qu, MatrixQuestion) else []
                if len(its) >= 5:
                    # the same answer code throughout the block (reverse-worded items included)
                    block = [_code_position(data, it.id, it.reverse) for it in its]
                    flag |= quality.straightliners(block, min_items=5)
        flags["straightlining"] = flag
    if (rules.max_missing_share is not None or rules.max_na_share is not None) and item_ids:
        # per respondent: items with an answer code, and of them those that do not score (不了解)
        small = np.int16 if J < 2 ** 15 else np.int64  # counts of at most J: small integers, fast sums
        coded = np.zeros(data.n, dtype=small)
        na = np.zeros(data.n, dtype=small)
        for j, i in enumerate(item_ids):
            a = data.answered(i)
            coded += a
            na += a & ~items.answered[:, j]
        if rules.max_missing_share is not None:
            flags["item_nonresponse"] = (J - coded) / J > rules.max_missing_share
        if rules.max_na_share is not None:
            flags["na_share"] = na / J > rules.max_na_share
    exclude = [r for r in rules.exclude if r in flags]
    rep = quality.quality_report(flags, exclude=exclude)
    keep = ~rep.exclusion_mask(exclude) if exclude else np.ones(data.n, dtype=bool)
    return {"n": rep.n, "counts": dict(rep.counts), "flagged_any": rep.flagged_any, "excluded": rep.excluded,
            "exclude_rules": exclude, "flagged_rows_first": {k: (np.flatnonzero(v)[:20] + 2).tolist()
                                                            for k, v in rep.flags.items()}}, keep


#: Threads the BLAS library may use during an evaluation (MANYI_BLAS_THREADS overrides). The
#: evaluation's matrix products are tall and thin (respondents x a few dozen items): a second
#: thread gains little on them, and where the cores are busy with other work (a shared server,
#: the web app's workers) OpenBLAS's spinning threads made the same products ten times slower
#: (measured: 0.6 s on one thread, 7-10 s on two, under a load average of 5).
BLAS_THREADS = 1


def evaluate(plan: Plan, q: Questionnaire, data: Dataset, *, base_dir: Path, progress: Progress = lambda s: None,
             bootstrap_replicates: int = 50, seed: int = 20261122, collapse_rows: bool = True) -> dict[str, Any]:
    """The wave's results (the content of results.json); see the module's docstring."""
    threads = int(os.environ.get("MANYI_BLAS_THREADS") or BLAS_THREADS)
    with threadpool_limits(limits=threads, user_api="blas"):
        return _evaluate(plan, q, data, base_dir=base_dir, progress=progress,
                         bootstrap_replicates=bootstrap_replicates, seed=seed, collapse_rows=collapse_rows)


def _evaluate(plan: Plan, q: Questionnaire, data: Dataset, *, base_dir: Path, progress: Progress,
              bootstrap_replicates: int, seed: int, collapse_rows: bool) -> dict[str, Any]:
    level = plan.confidence_level
    tree = q.indicators
    if tree is None:
        raise ValueError(f"questionnaire '{q.id}' has no indicator tree to score")
    item_ids = [i for d in tree.dimensions for ind in d.indicators for i in ind.items]
    progress("quality checks")
    overall_ids = [i for i in tree.overall if i in data.scores and i not in item_ids]
    items = ItemMatrix.of({i: data.scores[i] for i in item_ids + overall_ids})
    qrep, keep = _quality(plan, q, data, item_ids, items)
    progress("design and weighting")
    design = _design(plan, data, keep, base_dir)
    weighting = design.weighting
    w = design.sampling_weights
    if not keep.all():
        items.restrict(keep)
    progress("indicator weights")
    nodes, derivation = tree_nodes(q, items, w)
    node_ids = [n.id for n in nodes]
    estimates: list[dict] = []
    progress("indices")
    # Respondents who share every design attribute and every grouping variable are summed into
    # one row of a collapsed design (exactly the same estimates, far fewer rows).
    group_vars = sorted(set(plan.domains) | {c.by for c in plan.comparisons if c.by}
                        | set(plan.report.league_tables))
    est_items, est_design, to_group = _collapsed(data, design, items, group_vars, keep, collapse_rows)
    overall = index_tree(est_items, est_design, nodes, extra_items=True)
    for nid in node_ids:
        estimates.append(_est(nid, "index", overall[nid], level))
    for i in item_ids:
        estimates.append(_est(i, "item", overall[i], level))
    for i in overall_ids:
        estimates.append(_est(i, "overall_item", overall[i], level))
    # unweighted index, to show what weighting changes
    A, _ = item_coefficients(nodes, list(items.names))
    answered_n = items.answered.sum(axis=0)
    plain = np.divide(items.filled.sum(axis=0), answered_n, out=np.zeros(answered_n.shape), where=answered_n > 0)
    unweighted_value = float(np.nan_to_num(A[[n.id for n in nodes].index(OVERALL)]) @ plain)
    overall_by: dict[str, dict] = {}  # the overall index by each domain variable, for the league tables
    for var in plan.domains:
        progress(f"indices by {var}")
        grp, labels = _groups(data, var, keep)
        wanted = None if len(labels) <= LARGE_DOMAIN else [OVERALL] + [dm.id for dm in tree.dimensions]
        by = index_tree_by(est_items, est_design, nodes, to_group(grp), node_ids=wanted)
        overall_by[var] = by[OVERALL]
        for nid, res in by.items():
            for code, e in res.items():
                estimates.append(_est(nid, "index", e, level, (var, str(labels[int(code)]))))
    progress("comparisons")
    comparisons = []
    resp = respondent_scores(items, nodes, node_ids=[OVERALL] + [ind.id for d in tree.dimensions
                                                             for ind in d.indicators])
    for c in plan.comparisons:
        if c.kind != "domains" or c.by is None:
            continue
        grp, names = _groups(data, c.by, keep)
        present = ~np.isnan(grp)
        if c.test == "rank":
            tested = []
            for a in range(len(names)):
                for b in ([None] if c.pairs == "each_vs_rest" else range(a + 1, len(names))):
                    mb = present & ((grp != a) if b is None else (grp == b))
                    tested.append((a, b, compare.mann_whitney(resp[OVERALL], grp == a, mb)))
        else:
            tested = [(int(a), None if b is None else int(b), r)
                      for a, b, r in index_contrasts(est_items, est_design, nodes, OVERALL, to_group(grp),
                                                     pairs=c.pairs)]
        effects = compare.cohens_d_by(resp[OVERALL], np.where(present, grp, -1).astype(np.int64),
                                      sampling_weights=w, pairs=[(a, b) for a, b, _ in tested])
        results = [(str(names[a]), "rest" if b is None else str(names[b]), r, d)
                   for (a, b, r), d in zip(tested, effects)]
        padj = sc.adjust_p([r.p_value for _, _, r, _ in results], method=c.adjust)
        rows = []
        for (a, b, r, d), p in zip(results, padj):
            ci = r.confidence_interval(level) if r.std_error == r.std_error else None
            rows.append({"a": a, "b": b, "difference": r.estimate, "std_error": r.std_error,
                         "ci_low": ci.low if ci else math.nan, "ci_high": ci.high if ci else math.nan,
                         "statistic": r.statistic, "df": r.df, "p_value": r.p_value, "p_adjusted": p,
                         "effect_size_d": d, "method": r.method})
        if c.test == "rank":
            kw = compare.kruskal_wallis(resp[OVERALL][present], grp[present])
            omnibus = {"method": kw.method, "statistic": kw.statistic, "df": kw.df, "p_value": kw.p_value}
        else:
            omnibus = None
        comparisons.append({"id": c.id, "by": c.by, "target": OVERALL, "pairs": c.pairs, "adjust": c.adjust,
                            "test": c.test, "omnibus": omnibus, "results": rows})
    if plan.previous_wave and plan.previous_wave.endswith(".json"):
        prev = json.loads((base_dir / plan.previous_wave).read_text(encoding="utf-8"))
        prev_est = {(e["target"], e["kind"]): e for e in prev.get("estimates", []) if e.get("domain") is None}
        rows = []
        for nid in node_ids:
            pe = prev_est.get((nid, "index"))
            if pe is None:
                continue
            before = sc.Estimate(value=pe["value"], std_error=pe["std_error"], df=pe["df"], n=pe["n"])
            diff = compare.compare_waves(overall[nid], before)
            ci = diff.confidence_interval(level)
            rows.append({"target": nid, "difference": diff.estimate, "std_error": diff.std_error, "ci_low": ci.low,
                         "ci_high": ci.high, "statistic": diff.statistic, "df": diff.df, "p_value": diff.p_value})
        padj = sc.adjust_p([r["p_value"] for r in rows], method="holm")
        for r, p in zip(rows, padj):
            r["p_adjusted"] = p
        comparisons.append({"id": "previous_wave", "by": "wave", "file": plan.previous_wave, "results": rows})
    progress("reliability and validity")
    rel: dict[str, Any] = {"dimensions": {}}
    # one pairwise covariance of every item (as psych, from the answers each pair shares);
    # each dimension's figures use its block
    n_rows = int(keep.sum())
    cov_all, cor_all = reliability.pairwise(*items.block(item_ids))
    for dim in tree.dimensions:
        its = [i for ind in dim.indicators for i in ind.items]
        sub = [item_ids.index(i) for i in its]
        cov, cor = cov_all[np.ix_(sub, sub)], cor_all[np.ix_(sub, sub)]
        entry: dict[str, Any] = {"items": its, "respondents": n_rows}
        if len(its) >= 2 and np.all(np.isfinite(cov)) and np.all(np.diag(cov) > 0):
            a = reliability.cronbach_alpha(cov=cov, n=n_rows)
            ci = a.confidence_interval(level)
            entry.update({"alpha": a.alpha, "standardized_alpha": a.standardized_alpha, "alpha_ci": [ci.low, ci.high],
                          "alpha_if_deleted": list(a.alpha_if_deleted),
                          "item_rest_correlation": list(a.item_rest_correlation)})
            try:
                entry["omega_total"] = reliability.omega_total(corr=cor, n=n_rows).omega_total
            except (np.linalg.LinAlgError, ValueError):
                entry["omega_total"] = math.nan
        rel["dimensions"][dim.id] = entry
    if np.all(np.isfinite(cor_all)) and n_rows > len(item_ids) + 1:
        try:
            k = reliability.kmo(corr=cor_all)
            b = reliability.bartlett_sphericity(corr=cor_all, n=n_rows)
            rel["kmo"] = {"overall": k.overall, "per_item": dict(zip(item_ids, k.per_item))}
            rel["bartlett"] = {"statistic": b.statistic, "df": b.df, "p_value": b.p_value}
        except np.linalg.LinAlgError:
            rel["kmo"] = rel["bartlett"] = None
    progress("drivers")
    indicator_ids = [ind.id for d in tree.dimensions for ind in d.indicators]
    drv = None
    ipa = None
    if tree.overall and tree.overall[0] in data.scores:
        target = np.where(keep, data.scores[tree.overall[0]], np.nan)
        boot = sc.bootstrap(design, replicates=bootstrap_replicates, seed=seed) if bootstrap_replicates else None
        r = drivers.drivers([resp[i] for i in indicator_ids], target, names=indicator_ids, sampling_weights=w,
                            replicates=boot, confidence_level=level)
        drv = {"target": tree.overall[0], "method": r.method, "r_squared": r.r_squared, "n": r.n,
               "bootstrap_replicates": r.replicates,
               "indicators": [{"id": i, "correlation": c, "importance": m, "share": s, "share_low": lo,
                               "share_high": hi} for i, c, m, s, lo, hi in
                              zip(r.names, r.correlation, r.importance, r.importance_share, r.low, r.high)]}
        perf = [overall[i].value for i in indicator_ids]
        res = drivers.ipa_quadrants(indicator_ids, r.importance_share, perf)
        ipa = {"importance_cut": res.importance_cut, "performance_cut": res.performance_cut, "cut_rule": res.cut_rule,
               "indicators": [{"id": i, "importance": a, "performance": p, "quadrant": qd} for i, a, p, qd in
                              zip(res.names, res.importance, res.performance, res.quadrant)]}
    progress("league tables")
    leagues = {}
    psu_vars = set(plan.design.psu)
    for var in plan.report.league_tables:
        grp, names = _groups(data, var, keep)
        nested_in_psu = var in psu_vars or (plan.design.psu and _nested(_codes(data, var)[0],
                                                                        _codes(data, plan.design.psu[0])[0]))
        if nested_in_psu:
            ok = ~np.isnan(grp)
            ests = compare.within_unit_estimates(np.where(ok, resp[OVERALL], np.nan),
                                                 np.where(ok, _codes(data, var)[0], -1),
                                                 sampling_weights=np.where(ok, w, 0.0))
            ests = {k: v for k, v in ests.items() if k >= 0}
            source = "within-unit variance (the units are sampling units, whose design-based SE is zero)"
        else:
            ests = overall_by[var] if var in overall_by else \
                index_tree_by(est_items, est_design, nodes, to_group(grp), node_ids=[OVERALL])[OVERALL]
            source = "design-based"
        ests = {str(names[int(k)]): e for k, e in ests.items()}
        rows = compare.league_table(ests, min_n=plan.min_cell_size, confidence_level=level,
                                    parent=overall[OVERALL].value)
        leagues[var] = {"target": OVERALL, "variance": source, "min_n": plan.min_cell_size,
                        "rows": [{"unit": r.unit, "rank": r.rank, "value": r.value, "std_error": r.std_error,
                                  "shrunk_value": r.shrunk_value, "shrinkage": r.shrinkage, "n": r.n,
                                  "ci_low": r.low, "ci_high": r.high, "suppressed": r.suppressed,
                                  "tied_with_next": r.tied_with_next, "notes": list(r.notes)} for r in rows]}
    return {
        "results_version": RESULTS_VERSION,
        "generated_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "plan": {"id": plan.id, "version": plan.version, "wave": plan.wave.id},
        "questionnaire": {"id": q.id, "version": q.version},
        "data": {"path": data.path, "sha256": data.sha256, "rows": data.n, "used": int(keep.sum())},
        "confidence_level": level,
        "weighting": None if weighting is None else {
            "method": weighting.method, "iterations": weighting.iterations, "converged": weighting.converged,
            "max_margin_error": weighting.max_margin_error, "notes": list(weighting.notes)},
        "design": {"df": sc.degrees_of_freedom(design), "n_effective": sc.kish_effective_n(w),
                   "weight_design_effect": float(data.n and keep.sum() / sc.kish_effective_n(w))},
        "unweighted_overall_index": unweighted_value,
        "weights": derivation,
        "estimates": estimates,
        "comparisons": comparisons,
        "reliability": rel,
        "drivers": drv,
        "ipa": ipa,
        "league_tables": leagues,
        "quality": qrep,
    }


def _code_position(data: Dataset, item: str, reverse: bool) -> np.ndarray:
    """A value per answer that is equal for equal codes across a block (NaN: unanswered or
    not scored): the score itself, or for a reverse-worded item the position of its code."""
    s = data.scores[item]
    if not reverse:
        return s
    var = data.codebook[item]
    pts = var.points or {}
    codes = [c for c in (var.codes or ()) if pts.get(c) is not None]
    values = np.array([pts[c] for c in codes], dtype=float)
    forward = values[::-1]  # a reverse-worded item mirrors by position: undo it
    order = np.argsort(values)
    idx = np.clip(np.searchsorted(values[order], s), 0, len(values) - 1)
    out = forward[order[idx]]
    out[np.isnan(s)] = np.nan
    return out


def _collapsed(data: Dataset, design: sc.Design, items: ItemMatrix, group_vars: list[str], keep: np.ndarray,
               collapse_rows: bool = True):
    """Items and design for the estimates: collapsed to groups of respondents who share their
    PSUs, strata, weight, calibration cells and grouping variables when that makes at least
    halves the rows; otherwise the respondents themselves. Returns also a function mapping a
    respondent-level grouping (float codes, NaN missing) to the estimation rows."""
    key = np.zeros(design.n, dtype=np.int64)
    parts = [st.clusters for st in design.stages] + [st.strata for st in design.stages]
    for cal in design.calibrations:
        for codes, _ in getattr(cal, "margins", ()):
            parts.append(codes)
        if hasattr(cal, "cells"):
            parts.append(cal.cells)
    parts.append(factorize(np.asarray(design.sampling_weights))[1])
    for var in group_vars:
        codes, _ = _codes(data, var)
        parts.append(np.where(keep, codes + 1, 0))
    size = 1  # key < size; codes are combined in mixed radix and renumbered only near overflow
    for p in parts:
        base = int(p.max()) + 1 if p.size else 1
        if size * base >= 2 ** 62:
            key = factorize(key)[1]
            size = int(key.max()) + 1 if key.size else 1
        key = key * base + p
        size *= base
    key = factorize(key)[1]
    n_groups = int(key.max()) + 1 if key.size else 0
    if not collapse_rows or n_groups > design.n // 2:
        return items, design, lambda g: g
    try:
        small, mult, op = collapse(design, key)
    except ValueError:
        return items, design, lambda g: g
    first = np.zeros(n_groups, dtype=np.int64)
    first[key[::-1]] = np.arange(design.n)[::-1]
    sums = ItemSums.of(items, design.sampling_weights, key)
    return sums, small, lambda g: np.asarray(g)[first]


def _nested(units: np.ndarray, psu: np.ndarray) -> bool:
    """True when every unit (code >= 0) lies inside one PSU."""
    ok = units >= 0
    pairs = factorize(units[ok] * (int(psu.max()) + 1) + psu[ok])[0]  # distinct (unit, PSU) pairs
    return np.unique(pairs // (int(psu.max()) + 1)).shape[0] == pairs.shape[0]
