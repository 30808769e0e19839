"""Benchmark of the full evaluation against the core estimation, in one run (issue 4).

Data: N respondents answering the shipped community questionnaire with its indicator tree cut to
31 items (34 scored items with the 3 overall items, the issue's size), simulated; 31 strata,
3,000 communities as PSUs. Two jobs on the same data, in the same process:
  core: (1) bench_scoring.run_python on its own data of the same size, the baseline the issue names;
        (2) rake to three margins + the means of all scored items + the overall index by the
        3,000 communities (the design-based estimation benchmark's job);
  full: engine.analysis.evaluate with the shipped plan's analysis (index tree, domains
        district/street/community/gender/age band, comparisons, reliability, drivers with
        bootstrap, IPA, league tables, quality).
Reading the CSV is not timed (the data are built in memory). Prints both times, the ratio and
the peak memory of the process.

    .venv/bin/python bench/bench_evaluation.py --n 1000000
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import scoring as sc  # noqa: E402
from engine.analysis.codebook import codebook  # noqa: E402
from engine.analysis.csvdata import Dataset  # noqa: E402
from engine.analysis.evaluate import evaluate  # noqa: E402
from engine.loader import load_plan, load_questionnaire  # noqa: E402

N_STRATA, N_PSU = 31, 3000


def trim_to(q, tree_items: int):
    """The shipped questionnaire with its indicator tree cut to `tree_items` items (dropping
    the last item of the largest indicators; their weights become equal)."""
    import msgspec
    from engine.schema import EqualWeights
    dims = [list(d.indicators) for d in q.indicators.dimensions]
    total = sum(len(ind.items) for inds in dims for ind in inds)
    while total > tree_items:
        di, ii = max(((a, b) for a, inds in enumerate(dims) for b, _ in enumerate(inds)),
                     key=lambda ab: len(dims[ab[0]][ab[1]].items))
        ind = dims[di][ii]
        dims[di][ii] = msgspec.structs.replace(ind, items=ind.items[:-1], weights=EqualWeights())
        total -= 1
    new_dims = [msgspec.structs.replace(d, indicators=inds) for d, inds in zip(q.indicators.dimensions, dims)]
    return msgspec.structs.replace(q, indicators=msgspec.structs.replace(q.indicators, dimensions=new_dims))


def build(n: int, seed: int = 5, tree_items: int = 31) -> tuple[Dataset, object, object]:
    q = trim_to(load_questionnaire(ROOT / "questionnaires" / "community_satisfaction.yaml"), tree_items)
    used = {i for d in q.indicators.dimensions for ind in d.indicators for i in ind.items} | set(q.indicators.overall)
    plan = load_plan(ROOT / "questionnaires" / "plans" / "community_2026.yaml")
    book = codebook(q)
    rng = np.random.default_rng(seed)
    psu = np.sort(rng.integers(0, N_PSU, n))
    stratum = psu * N_STRATA // N_PSU
    street = psu // 10
    community_effect = rng.normal(0, 0.35, N_PSU)[psu]
    text: dict[str, np.ndarray] = {
        "district": np.array([f"3301{s:02d}" for s in range(N_STRATA)], dtype=object)[stratum],
        "street": np.array([f"s{k:05d}" for k in range(N_PSU // 10 + 1)], dtype=object)[street],
        "community": np.array([f"c{k:05d}" for k in range(N_PSU)], dtype=object)[psu],
    }
    g = book["q_gender"].codes
    a = book["q_age_band"].codes
    gi = rng.integers(0, len(g), n)
    ai = np.minimum(rng.geometric(0.3, n) - 1, len(a) - 1)
    text["gender"] = text["q_gender"] = np.array(g, dtype=object)[gi]
    text["age_band"] = text["q_age_band"] = np.array(a, dtype=object)[ai]
    mood = community_effect + 0.05 * ai + rng.normal(0, 0.5, n)
    scores: dict[str, np.ndarray] = {}
    for vid, var in book.items():
        if var.points is None or vid not in used:
            continue
        codes = [c for c, p in var.points.items() if p is not None]
        na = [c for c, p in var.points.items() if p is None]
        pts = np.array([var.points[c] for c in codes])
        pos = np.clip(np.rint(1.0 - mood - rng.normal(0, 0.9, n)), 0, len(codes) - 1).astype(np.int64)
        order = np.argsort(-pts)
        idx = order[pos]
        col = np.array(codes, dtype=object)[idx]
        sc_ = pts[idx].astype(float)
        if na:
            miss = rng.random(n) < 0.04
            col[miss] = na[0]
            sc_[miss] = np.nan
        text[vid] = col
        scores[vid] = sc_
    numbers = {"duration_seconds": rng.lognormal(np.log(600), 0.4, n)}
    data = Dataset("memory", "-", n, text, numbers, scores, book)
    data.cache.update({("answered", k): np.ones(n, dtype=bool) for k in scores})  # every item has a code
    for name in ("district", "street", "community", "gender", "age_band"):
        data.codes(name)  # grouping columns are coded when read (as read_csv does), not timed
    return data, q, plan


def core(data: Dataset, plan) -> float:
    t = time.perf_counter()
    design = sc.survey_design(psu=data.text["community"], strata=data.text["district"])
    margins = [(data.text[v], pop) for v, pop in _pops(data, plan)]
    raked = sc.rake(design, margins)
    items = {k: v for k, v in data.scores.items()}
    sc.means(items, raked)
    index = np.nanmean(np.column_stack(list(items.values())), axis=1)
    sc.mean_by(index, raked, data.text["community"])
    return time.perf_counter() - t


def _pops(data: Dataset, plan) -> list[tuple[str, dict[str, float]]]:
    out = []
    total = float(data.n) * 40
    for var in ("gender", "age_band"):
        labels, counts = np.unique(data.text[var], return_counts=True)
        share = np.linspace(1.2, 0.8, len(labels))
        share = share / share.sum()
        c = np.round(share * total)
        c[-1] = total - c[:-1].sum()
        out.append((var, {str(k): float(v) for k, v in zip(labels, c)}))
    labels = np.unique(data.text["district"])
    c = np.full(len(labels), total / len(labels))
    out.append(("district", {str(k): float(v) for k, v in zip(labels, c)}))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--bootstrap", type=int, default=50)
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT / "bench"))
    import bench_scoring
    baseline = bench_scoring.run_python(bench_scoring.make_data(args.n))["total_s"]
    data, q, plan = build(args.n)
    t_core = core(data, plan)
    import msgspec
    from engine.schema import Margin
    pops = _pops(data, plan)
    w = msgspec.structs.replace(plan.weighting, population_total=float(args.n * 40),
                                margins=[Margin(variable=v, population=p) for v, p in pops])
    plan = msgspec.structs.replace(plan, weighting=w, design=msgspec.structs.replace(plan.design, psu=["community"],
                                                                                     strata="district"))
    steps: list[tuple[str, float]] = []
    t0 = time.perf_counter()
    last = [t0, "start"]

    def progress(step: str) -> None:  # time of the step that just ended
        now = time.perf_counter()
        steps.append((last[1], now - last[0]))
        last[0], last[1] = now, step

    res = evaluate(plan, q, data, base_dir=ROOT / "questionnaires" / "plans", progress=progress,
                   bootstrap_replicates=args.bootstrap)
    progress("end")
    t_full = time.perf_counter() - t0
    # the baseline again, after: the ratio uses the faster of the two (the stricter test)
    baseline = min(baseline, bench_scoring.run_python(bench_scoring.make_data(args.n))["total_s"])
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    scored = len(data.scores)
    print(f"n={args.n:,} scored items={scored} strata={N_STRATA} psus={N_PSU} estimates={len(res['estimates'])}")
    print(f"design-based estimation benchmark (bench_scoring's job, same n; faster of a run before and "
          f"one after) {baseline:.2f} s | "
          f"its job on this data's text labels {t_core:.2f} s | full evaluation {t_full:.2f} s | "
          f"ratio to the benchmark {t_full / baseline:.2f} | peak {peak:.0f} MB")
    print("steps: " + ", ".join(f"{name} {sec:.2f}s" for name, sec in steps[1:]))


if __name__ == "__main__":
    main()
