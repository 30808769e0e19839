"""Benchmark of design-based estimation against R `survey`, in one run.

The job (issue 3): N respondents x 30 five-point items, 31 strata, 3,000 PSUs (communities):
  1. rake to three margins (district = stratum, gender, age band);
  2. the means of all 30 items with calibration-aware standard errors;
  3. one index (the mean item score on 0-100) by all 3,000 PSU communities on the raked design.
Prints time per step and peak memory (ru_maxrss of this process, including the data). When
Rscript with the survey package is installed (and not --no-r), R does the same work in the same
run on the same data: steps 1 and 2 in full, step 3 on --r-domains domains, extrapolated to all
3,000 (said so in the output); numbers are compared and the ratio printed.

    .venv/bin/python bench/bench_scoring.py --n 1000000
    .venv/bin/python bench/bench_scoring.py --n 10000000 --no-r
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import scoring as sc  # noqa: E402

N_STRATA, N_PSU, N_ITEMS = 31, 3000, 30
POINTS = np.array([0, 30, 60, 80, 100], dtype=float)  # codes 1..5 -> points


def make_data(n: int, seed: int = 20261122) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    psu = np.sort(rng.integers(0, N_PSU, n)).astype(np.int32)
    stratum = (psu * N_STRATA // N_PSU).astype(np.int32)
    gender = rng.integers(0, 2, n).astype(np.int8)
    age = np.minimum(rng.geometric(0.3, n) - 1, 5).astype(np.int8)
    weights = (200.0 + 40 * stratum + 30 * age + rng.gamma(4, 10, n)).astype(float)
    community_effect = rng.normal(0, 0.4, N_PSU)[psu]
    base = 3.6 + community_effect + 0.08 * age - 0.1 * gender
    items = np.empty((n, N_ITEMS), dtype=np.int8)
    for j in range(N_ITEMS):
        items[:, j] = np.clip(np.rint(base + rng.normal(0, 1.0, n) + 0.02 * j), 1, 5)
    return {"psu": psu, "stratum": stratum, "gender": gender, "age": age, "weights": weights, "items": items}


def margins(data: dict[str, np.ndarray]) -> list[tuple[np.ndarray, dict[int, float]]]:
    n = data["weights"].shape[0]
    total = 1.25 * data["weights"].sum()
    rng = np.random.default_rng(7)
    out = []
    for key, k in (("stratum", N_STRATA), ("gender", 2), ("age", 6)):
        shares = rng.dirichlet(np.full(k, 20.0))
        counts = np.round(shares * total)
        counts[-1] = round(total) - counts[:-1].sum()
        out.append((data[key], {i: float(counts[i]) for i in range(k)}))
    del n
    return out


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_python(data: dict[str, np.ndarray], chunk: int = 10) -> dict:
    t0 = time.perf_counter()
    design = sc.survey_design(psu=data["psu"], strata=data["stratum"], sampling_weights=data["weights"])
    raked = sc.rake(design, margins(data))
    t1 = time.perf_counter()
    means, ses = [], []
    for j0 in range(0, N_ITEMS, chunk):
        cols = {f"q{j + 1}": POINTS[data["items"][:, j] - 1] for j in range(j0, min(j0 + chunk, N_ITEMS))}
        est = sc.means(cols, raked)
        means.extend(est.values)
        ses.extend(est.std_errors)
        del cols
    t2 = time.perf_counter()
    index = np.zeros(data["weights"].shape[0])
    for j in range(N_ITEMS):
        index += POINTS[data["items"][:, j] - 1]
    index /= N_ITEMS
    by = sc.mean_by(index, raked, data["psu"])
    t3 = time.perf_counter()
    return {"rake_s": t1 - t0, "means_s": t2 - t1, "domains_s": t3 - t2, "total_s": t3 - t0,
            "weighting": raked.weighting, "means": means, "ses": ses,
            "domain_values": {int(k): v.value for k, v in by.items()},
            "domain_ses": {int(k): v.std_error for k, v in by.items()}, "peak_mb": peak_mb()}


R_SCRIPT = r"""
suppressMessages(library(survey))
args <- commandArgs(TRUE)
d <- read.csv(args[1]); pops <- jsonlite::fromJSON(args[2]); ndom <- as.integer(args[3])
items <- paste0("q", 1:30)
pts <- c(0, 30, 60, 80, 100)
for (v in items) d[[v]] <- pts[d[[v]]]
d$index <- rowMeans(d[, items])
t0 <- proc.time()[["elapsed"]]
des <- svydesign(id=~psu, strata=~stratum, weights=~dweight, data=d)  # a column named "weights" would shadow svytable's own
pm <- lapply(c("stratum", "gender", "age"), function(v) {
  x <- data.frame(as.integer(names(pops[[v]])), unlist(pops[[v]])); names(x) <- c(v, "Freq"); x })
raked <- rake(des, list(~stratum, ~gender, ~age), pm)
t1 <- proc.time()[["elapsed"]]
m <- svymean(as.formula(paste("~", paste(items, collapse="+"))), raked)
t2 <- proc.time()[["elapsed"]]
doms <- sort(unique(d$psu))[seq_len(ndom)]
sub <- subset(raked, psu %in% doms)
b <- svyby(~index, ~psu, sub, svymean)
t3 <- proc.time()[["elapsed"]]
cat(jsonlite::toJSON(list(rake_s=t1-t0, means_s=t2-t1, domains_s=t3-t2, ndom=ndom,
  means=unname(coef(m)), ses=unname(SE(m)), dom=unname(b$psu), dom_values=unname(coef(b)),
  dom_ses=unname(SE(b))), digits=NA, auto_unbox=TRUE))
"""


def r_available() -> bool:
    if not shutil.which("Rscript"):
        return False
    ok = subprocess.run(["Rscript", "-e", "suppressMessages(library(survey)); library(jsonlite)"],
                        capture_output=True)
    return ok.returncode == 0


def run_r(data: dict[str, np.ndarray], ndom: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "data.csv"
        cols = ["psu", "stratum", "gender", "age", "dweight"] + [f"q{j + 1}" for j in range(N_ITEMS)]
        table = np.column_stack([data["psu"], data["stratum"], data["gender"], data["age"], data["weights"],
                                 data["items"]])
        fmt = ["%d"] * 4 + ["%.17g"] + ["%d"] * N_ITEMS
        np.savetxt(csv, table, delimiter=",", header=",".join(cols), comments="", fmt=fmt)
        pops = {k: {str(c): v for c, v in pop.items()} for k, (_, pop) in zip(("stratum", "gender", "age"),
                                                                            margins(data))}
        pj = Path(tmp) / "pops.json"
        pj.write_text(json.dumps(pops))
        script = Path(tmp) / "bench.R"
        script.write_text(R_SCRIPT)
        t = time.perf_counter()
        out = subprocess.run(["/usr/bin/time", "-v", "Rscript", str(script), str(csv), str(pj), str(ndom)],
                             capture_output=True, text=True)
        wall = time.perf_counter() - t
        if out.returncode != 0:
            raise RuntimeError(out.stderr[-2000:])
        res = json.loads(out.stdout)
        peak = next((int(line.split(":")[1]) / 1024 for line in out.stderr.splitlines()
                     if "Maximum resident set size" in line), float("nan"))
        res["peak_mb"] = peak
        res["wall_s"] = wall
        return res


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--no-r", action="store_true")
    ap.add_argument("--r-domains", type=int, default=5, help="domains R does in step 3 (then extrapolated)")
    args = ap.parse_args()
    data = make_data(args.n)
    py = run_python(data)
    w = py["weighting"]
    print(f"n={args.n:,} items={N_ITEMS} strata={N_STRATA} psus={N_PSU}")
    print(f"python  rake {py['rake_s']:.2f} s ({w.iterations} sweeps, converged={w.converged}, "
          f"max margin error {w.max_margin_error:.3g}) | 30 means {py['means_s']:.2f} s | "
          f"index by {len(py['domain_values'])} communities {py['domains_s']:.2f} s | "
          f"total {py['total_s']:.2f} s | peak {py['peak_mb']:.0f} MB")
    if args.no_r or not r_available():
        print("R: not run" + (" (--no-r)" if args.no_r else " (Rscript with survey and jsonlite not installed)"))
        return
    r = run_r(data, args.r_domains)
    per_dom = r["domains_s"] / r["ndom"]
    r_dom_all = per_dom * N_PSU
    r_total = r["rake_s"] + r["means_s"] + r_dom_all
    print(f"R       rake {r['rake_s']:.2f} s | 30 means {r['means_s']:.2f} s | index by {r['ndom']} communities "
          f"{r['domains_s']:.2f} s, extrapolated to {N_PSU}: {r_dom_all:.0f} s | total (extrapolated) "
          f"{r_total:.0f} s | peak {r['peak_mb']:.0f} MB")
    dm = max(abs(a - b) / abs(b) for a, b in zip(py["means"], r["means"]))
    ds = max(abs(a - b) / abs(b) for a, b in zip(py["ses"], r["ses"]))
    dd = max(abs(py["domain_values"][int(k)] - v) / abs(v) for k, v in zip(r["dom"], r["dom_values"]))
    dds = max(abs(py["domain_ses"][int(k)] - v) / abs(v) for k, v in zip(r["dom"], r["dom_ses"]))
    print(f"equal numbers: max relative difference means {dm:.1e}, SEs {ds:.1e}; "
          f"domains ({r['ndom']} compared) values {dd:.1e}, SEs {dds:.1e}")
    print(f"ratio R / python: rake {r['rake_s'] / py['rake_s']:.1f}x, means {r['means_s'] / py['means_s']:.1f}x, "
          f"domains {r_dom_all / py['domains_s']:.0f}x (extrapolated), whole job {r_total / py['total_s']:.0f}x")


if __name__ == "__main__":
    main()
