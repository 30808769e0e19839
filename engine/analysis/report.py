"""The national report's context from a wave's results (results.json), its questionnaire and plan, and,
when given, its responses (answer distributions, sample structure, items by community).

Only what the report shows is decided here: labels in the report's language, units under the
plan's minimum n left out, previous waves for the trend. Numbers are copied from the results,
never recomputed, except those results.json does not hold (distributions, weighted sample
structure, item means by community), which are computed from the same weighted design.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any, Iterable

from reports.context import (
    NAN, AhpMatrix, Change, ComparisonRow, Fieldwork, GroupComparison, Ipa, IpaPoint, LeagueRow,
    LeagueTable, NationalReport, Node, QuestionText, ReliabilityRow, ScalePoint, ScaleText, Score, Stamp,
    TrendPoint, Validity, WeightRow,
)

from ..schema import (
    AhpWeights, BlendWeights, MatrixQuestion, MultiQuestion, NpsQuestion, Plan, Questionnaire, ScaleQuestion,
    SingleQuestion,
)
from ..units import UnitNames, unit_names
from .report_data import WeightedData, distributions, structure, weighted_data
from .weights import OVERALL

__all__ = ["national_report", "weighted_data", "WeightedData", "software_version", "load_results", "leaders_page"]


def software_version() -> str:
    try:
        from importlib.metadata import version
        return version("manyi")
    except Exception:  # noqa: BLE001  (running from a checkout without metadata)
        return "0+unknown"


def load_results(path: str | Path) -> dict[str, Any]:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def _f(x: Any) -> float:
    """results.json writes NaN as null."""
    return NAN if x is None else float(x)


def _score(e: dict | None) -> Score:
    if e is None:
        return Score(value=NAN)
    return Score(value=_f(e["value"]), low=_f(e.get("ci_low")), high=_f(e.get("ci_high")),
                 std_error=_f(e.get("std_error")), n=int(e.get("n") or 0))


class _Labels:
    """Display labels of every id of a questionnaire in one language."""

    def __init__(self, q: Questionnaire, lang: str, units: UnitNames | None = None):
        self.lang = lang
        self.map: dict[str, str] = {}
        self.choices: dict[str, dict[str, str]] = {}
        tree = q.indicators
        if tree is not None:
            self.map[OVERALL] = tree.label.get(lang) if tree.label else ("满意度指数" if lang == "zh" else "Index")
            for d in tree.dimensions:
                self.map[d.id] = d.label.get(lang)
                for ind in d.indicators:
                    self.map[ind.id] = ind.label.get(lang)
        for sec in q.sections:
            for qu in sec.questions:
                self.map.setdefault(qu.id, qu.label.get(lang))
                if isinstance(qu, MatrixQuestion):
                    for it in qu.items:
                        self.map[it.id] = it.label.get(lang)
                if isinstance(qu, (SingleQuestion, MultiQuestion)):
                    self.choices[qu.id] = {c.code: c.label.get(lang) for c in qu.choices}
        for a in q.attributes:
            self.map.setdefault(a.id, a.label.get(lang))
            if a.question and a.question in self.choices:
                self.choices[a.id] = self.choices[a.question]
            elif a.choices:
                self.choices[a.id] = {c.code: c.label.get(lang) for c in a.choices}
        for var in (units.names if units is not None else {}):  # the plan's unit names
            self.choices[var] = {**self.choices.get(var, {}), **units.of(var, lang)}

    def __call__(self, key: str) -> str:
        return self.map.get(key, key)

    def value(self, variable: str, code: str) -> str:
        return self.choices.get(variable, {}).get(code, code)


def _stamp(results: dict, q: Questionnaire) -> Stamp:
    return Stamp(data_sha256=results["data"]["sha256"], questionnaire_id=q.id,
                 questionnaire_version=results["questionnaire"]["version"], plan_id=results["plan"]["id"],
                 plan_version=results["plan"]["version"], software_version=software_version(),
                 generated_at=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                 results_generated_at=results.get("generated_at", ""))


def _estimates(results: dict) -> tuple[dict, dict]:
    """(target, kind) -> estimate for the whole sample; (variable, value) -> {target: estimate}."""
    whole, by = {}, {}
    for e in results["estimates"]:
        if e["domain"] is None:
            whole[(e["target"], e["kind"])] = e
        else:
            by.setdefault((e["domain"]["variable"], e["domain"]["value"]), {})[e["target"]] = e
    return whole, by


def _nodes(q: Questionnaire, results: dict, lab: _Labels, whole: dict) -> list[Node]:
    der = results["weights"]
    top = dict(zip(der[OVERALL]["children"], der[OVERALL]["weights"]))
    out = []
    for d in q.indicators.dimensions:
        wd = top.get(d.id, NAN)
        out.append(Node(id=d.id, label=lab(d.id), level="dimension", parent=None, weight=wd, global_weight=wd,
                        score=_score(whole.get((d.id, "index")))))
        dw = dict(zip(der[d.id]["children"], der[d.id]["weights"]))
        for ind in d.indicators:
            wi = dw.get(ind.id, NAN)
            out.append(Node(id=ind.id, label=lab(ind.id), level="indicator", parent=d.id, weight=wi,
                            global_weight=wd * wi, score=_score(whole.get((ind.id, "index")))))
            iw = dict(zip(der[ind.id]["children"], der[ind.id]["weights"]))
            for it in ind.items:
                w = iw.get(it, NAN)
                out.append(Node(id=it, label=lab(it), level="item", parent=ind.id, weight=w,
                                global_weight=wd * wi * w, score=_score(whole.get((it, "item")))))
    return out


def _weights(q: Questionnaire, results: dict, lab: _Labels) -> tuple[list[WeightRow], list[AhpMatrix]]:
    tree = q.indicators
    specs = {OVERALL: tree.weights}
    for d in tree.dimensions:
        specs[d.id] = d.weights
        for ind in d.indicators:
            specs[ind.id] = ind.weights
    rows, mats = [], []
    for nid, info in results["weights"].items():
        cr = info.get("consistency_ratio", info.get("ahp", {}).get("consistency_ratio", NAN))
        rows.append(WeightRow(id=nid, label=lab(nid), method=info["method"], consistency_ratio=_f(cr),
                              children=tuple((lab(c), float(w)) for c, w in zip(info["children"], info["weights"]))))
        spec = specs.get(nid)
        ahp = spec.ahp if isinstance(spec, BlendWeights) else spec
        a_info = info.get("ahp", info) if isinstance(spec, BlendWeights) else info
        if isinstance(ahp, AhpWeights):
            order = ahp.order or info["children"]
            matrix = ahp.matrix if ahp.matrix is not None else (ahp.experts or [[]])[0]
            weights = info.get("ahp_weights", info["weights"])
            by = dict(zip(info["children"], weights))
            mats.append(AhpMatrix(id=nid, label=lab(nid), labels=tuple(lab(c) for c in order),
                                  cells=tuple(tuple(_judgement(x) for x in row) for row in matrix),
                                  weights=tuple(float(by[c]) for c in order), lambda_max=_f(a_info["lambda_max"]),
                                  consistency_index=_f(a_info["consistency_index"]),
                                  random_index=_f(a_info["random_index"]),
                                  consistency_ratio=_f(a_info["consistency_ratio"]),
                                  experts=int(a_info.get("experts", 1))))
    return rows, mats


def _judgement(x: Any) -> str:
    if isinstance(x, float) and x.is_integer():
        return str(int(x))
    return str(x)


def _questions(q: Questionnaire, lang: str) -> tuple[list[ScaleText], list[QuestionText]]:
    scales = [ScaleText(id=s.id, label=s.label.get(lang) if s.label else s.id, scoring=s.scoring,
                        points=tuple(ScalePoint(code=p.code, label=p.label.get(lang),
                                                points=NAN if p.na else _points(s, p)) for p in s.points))
              for s in q.scales]
    qs = []
    for sec in q.sections:
        title = sec.title.get(lang)
        for qu in sec.questions:
            choices = tuple(c.label.get(lang) for c in getattr(qu, "choices", None) or ())
            items = tuple((it.id, it.label.get(lang), it.reverse) for it in qu.items) \
                if isinstance(qu, MatrixQuestion) else ()
            scale = getattr(qu, "scale", "") if isinstance(qu, (ScaleQuestion, MatrixQuestion)) else ""
            if isinstance(qu, NpsQuestion):
                scale = "0-10"
            qs.append(QuestionText(id=qu.id, section=title, kind=str(type(qu).__struct_config__.tag),
                                   label=qu.label.get(lang), scale=scale, reverse=getattr(qu, "reverse", False),
                                   choices=choices, items=items))
    return scales, qs


def _points(scale: Any, point: Any) -> float:
    from .codebook import scale_points
    return _f(scale_points(scale).get(point.code))


def _trend(results: dict, previous: list[dict], lab_wave) -> list[TrendPoint]:
    pts = []
    for r in previous + [results]:
        e = next((x for x in r["estimates"] if x["domain"] is None and x["target"] == OVERALL), None)
        if e is not None:
            pts.append(TrendPoint(wave=lab_wave(r), value=_f(e["value"]), low=_f(e["ci_low"]), high=_f(e["ci_high"])))
    return pts


def national_report(results: dict, q: Questionnaire, plan: Plan, *, lang: str = "zh",
                    data: WeightedData | None = None, base_dir: Path = Path("."),
                    previous: Iterable[dict] = (), contacted: int | None = None) -> NationalReport:
    """The national report's context. `previous`: results of earlier waves, oldest first (the
    plan's previous_wave is the last of them when the comparison was made)."""
    lab = _Labels(q, lang, unit_names(plan.units, base_dir))
    whole, by = _estimates(results)
    min_n = int(plan.min_cell_size)
    level = float(results["confidence_level"])
    nodes = _nodes(q, results, lab, whole)
    previous = list(previous)
    wave_label = plan.wave.label.get(lang)

    def lab_wave(r: dict) -> str:
        return wave_label if r is results else str(r.get("plan", {}).get("wave", "?"))

    changes = []
    prev_cmp = next((c for c in results["comparisons"] if c["id"] == "previous_wave"), None)
    prev_label = ""
    if prev_cmp is not None:
        prev_label = next((lab_wave(r) for r in previous[-1:]), Path(prev_cmp.get("file", "")).stem)
        for row in prev_cmp["results"]:
            after = whole.get((row["target"], "index"))
            if after is None:
                continue
            d = _f(row["difference"])
            changes.append(Change(id=row["target"], label=lab(row["target"]), before=_f(after["value"]) - d,
                                  after=_f(after["value"]), difference=d, low=_f(row["ci_low"]),
                                  high=_f(row["ci_high"]), p_value=_f(row["p_value"]),
                                  p_adjusted=_f(row["p_adjusted"]), significant=_f(row["p_adjusted"]) < 0.05))
        order = {n.id: k for k, n in enumerate(nodes)}
        changes.sort(key=lambda ch: -1 if ch.id == OVERALL else order.get(ch.id, 10 ** 6))
    # league tables: only units at or above min n
    leagues = []
    for var, lt in results["league_tables"].items():
        rows = [r for r in lt["rows"] if not r["suppressed"] and (r["n"] or 0) >= min_n]
        shown = [LeagueRow(unit=r["unit"], label=lab.value(var, r["unit"]), rank=k + 1,
                           score=Score(value=_f(r["value"]), low=_f(r["ci_low"]), high=_f(r["ci_high"]),
                                       std_error=_f(r["std_error"]), n=int(r["n"])),
                           shrunk_value=_f(r["shrunk_value"]), shrinkage=_f(r["shrinkage"]),
                           tied_with_next=bool(r["tied_with_next"]))
                 for k, r in enumerate(sorted(rows, key=lambda r: r["rank"]))]
        leagues.append(LeagueTable(variable=var, label=lab(var), min_n=min_n, rows=tuple(shown),
                                   variance="within_unit" if "within" in lt["variance"] else "design",
                                   suppressed=len(lt["rows"]) - len(rows)))
    # group comparisons: groups under min n and their contrasts are left out
    comparisons = []
    for cmp in results["comparisons"]:
        if cmp["id"] == "previous_wave":
            continue
        var = cmp["by"]
        groups = [(v, _score(ests.get(OVERALL))) for (vv, v), ests in by.items() if vv == var]
        small = {v for v, s in groups if s.n < min_n}
        groups = sorted(((v, s) for v, s in groups if v not in small), key=lambda g: g[0])
        rows = [ComparisonRow(a=lab.value(var, r["a"]), b=("其他" if lang == "zh" else "rest") if r["b"] == "rest"
                              else lab.value(var, r["b"]), difference=_f(r["difference"]), low=_f(r["ci_low"]),
                              high=_f(r["ci_high"]), p_adjusted=_f(r["p_adjusted"]),
                              effect_size_d=_f(r["effect_size_d"]), significant=_f(r["p_adjusted"]) < 0.05)
                for r in cmp["results"] if r["a"] not in small and r["b"] not in small]
        method = cmp["results"][0]["method"] if cmp["results"] else ""
        comparisons.append(GroupComparison(id=cmp["id"], by=var, by_label=lab(var), method=method,
                                           adjust={"holm": "Holm", "bh": "Benjamini-Hochberg", "none": "—"}.get(
                                               cmp["adjust"], cmp["adjust"]),
                                           groups=tuple((lab.value(var, v), s) for v, s in groups), rows=tuple(rows)))
    # dimensions by the first domain that is a league table with few units (districts)
    dims = [d.id for d in q.indicators.dimensions]
    dim_groups = []
    for var in plan.domains:
        units = sorted({v for (vv, v) in by if vv == var})
        if not units or len(units) > 12:
            continue
        vals = []
        for u in units:
            ests = by[(var, u)]
            if ests.get(OVERALL, {}).get("n", 0) < min_n:
                continue
            vals.append((lab.value(var, u), tuple(_f(ests[d]["value"]) if d in ests else NAN for d in dims)))
        dim_groups.append((lab(var), tuple(vals)))
        break
    rel = results["reliability"]
    reliability = [ReliabilityRow(id=d, label=lab(d), items=len(e["items"]), alpha=_f(e.get("alpha")),
                                  alpha_low=_f((e.get("alpha_ci") or [None, None])[0]),
                                  alpha_high=_f((e.get("alpha_ci") or [None, None])[1]),
                                  standardized_alpha=_f(e.get("standardized_alpha")),
                                  omega_total=_f(e.get("omega_total")))
                   for d, e in rel["dimensions"].items()]
    validity = None
    if rel.get("kmo") and rel.get("bartlett"):
        validity = Validity(kmo=_f(rel["kmo"]["overall"]), bartlett_statistic=_f(rel["bartlett"]["statistic"]),
                            bartlett_df=_f(rel["bartlett"]["df"]), bartlett_p=_f(rel["bartlett"]["p_value"]))
    ipa = None
    if results.get("ipa") and results.get("drivers"):
        drv = {x["id"]: x for x in results["drivers"]["indicators"]}
        ipa = Ipa(target_label=lab(results["drivers"]["target"]), method=results["drivers"]["method"],
                  r_squared=_f(results["drivers"]["r_squared"]), importance_cut=_f(results["ipa"]["importance_cut"]),
                  performance_cut=_f(results["ipa"]["performance_cut"]),
                  cut_rule=("各指标的均值" if lang == "zh" and results["ipa"]["cut_rule"] == "means of the indicators"
                            else results["ipa"]["cut_rule"]),
                  points=tuple(IpaPoint(id=p["id"], label=lab(p["id"]), importance=_f(p["importance"]),
                                        importance_low=_f(drv.get(p["id"], {}).get("share_low")),
                                        importance_high=_f(drv.get(p["id"], {}).get("share_high")),
                                        performance=_f(p["performance"]), quadrant=p["quadrant"])
                               for p in results["ipa"]["indicators"]))
    weights, ahp = _weights(q, results, lab)
    scales, questions = _questions(q, lang)
    qual = results["quality"]
    w = results.get("weighting") or {}
    units = tuple((lt.label, len(lt.rows) + lt.suppressed) for lt in leagues)
    fieldwork = Fieldwork(
        start=plan.wave.start.isoformat(), end=plan.wave.end.isoformat(),
        strata=lab(plan.design.strata) if plan.design.strata else "",
        psu="、".join(lab(p) for p in plan.design.psu) if lang == "zh" else ", ".join(lab(p) for p in plan.design.psu),
        rows=int(results["data"]["rows"]), used=int(results["data"]["used"]), contacted=contacted,
        weighting_method=w.get("method", "none"), weighting_iterations=int(w.get("iterations") or 0),
        weighting_converged=bool(w.get("converged", True)), max_margin_error=_f(w.get("max_margin_error", 0.0)),
        weighting_notes=tuple(w.get("notes", ())), n_effective=_f(results["design"]["n_effective"]),
        weight_design_effect=_f(results["design"]["weight_design_effect"]), df=_f(results["design"]["df"]),
        quality_counts=tuple((_RULES.get(lang, {}).get(k, k), int(v)) for k, v in qual["counts"].items()),
        flagged_any=int(qual["flagged_any"]), excluded=int(qual["excluded"]),
        exclude_rules=tuple(_RULES.get(lang, {}).get(k, k) for k in qual["exclude_rules"]),
        unweighted_index=_f(results.get("unweighted_overall_index")), units=units)
    title = plan.report.title.get(lang) if plan.report.title else lab(OVERALL)
    org = plan.report.organisation.get(lang) if plan.report.organisation else ""
    return NationalReport(
        lang=lang, title=title, organisation=org, wave_label=wave_label, confidence_level=level, min_n=min_n,
        overall=_score(whole.get((OVERALL, "index"))), index_label=lab(OVERALL), nodes=tuple(nodes),
        changes=tuple(changes), previous_wave=prev_label, trend=tuple(_trend(results, previous, lab_wave)),
        distributions=tuple(distributions(q, data, lab, lang)) if data is not None else (),
        structure=tuple(structure(plan, data, lab, base_dir)) if data is not None else (),
        reliability=tuple(reliability), validity=validity, ipa=ipa, league_tables=tuple(leagues),
        comparisons=tuple(comparisons), dimension_by_group=tuple(dim_groups), weights=tuple(weights),
        ahp=tuple(ahp), scales=tuple(scales), questions=tuple(questions), fieldwork=fieldwork,
        stamp=_stamp(results, q), top_n=plan.report.top_n)


_RULES = {"zh": {"duplicate": "重复作答", "speeder": "答题过快", "straightlining": "直线作答",
                 "item_nonresponse": "题项缺答过多", "na_share": "“不了解”过多"},
          "en": {"duplicate": "duplicates", "speeder": "speeding", "straightlining": "straight-lining",
                 "item_nonresponse": "item non-response", "na_share": "too many \"don't know\""}}


def leaders_page(plan_path: str | Path, results_path: str | Path, *, data_path: str | Path | None = None,
                 lang: str | None = None) -> str:
    """The national report as one HTML page for the web app's leaders (the same context and
    template as the PDF; print CSS inlined, charts inline). Raises LoadError or ValueError on
    a bad plan, questionnaire or data file."""
    from reports.render import render_html

    from ..errors import LoadError
    from ..loader import check_file
    from .csvdata import read_csv

    plan_path = Path(plan_path)
    r = check_file(plan_path, expect="plan")
    if not r.ok:
        raise LoadError(r.diagnostics)
    plan = r.document
    qr = check_file(plan_path.parent / plan.questionnaire, expect="questionnaire")
    if not qr.ok:
        raise LoadError(qr.diagnostics)
    q = qr.document
    results = load_results(results_path)
    wd = None
    if data_path is not None:
        wd = weighted_data(plan, q, read_csv(str(data_path), q, plan), base_dir=plan_path.parent)
    previous = []
    if plan.previous_wave and plan.previous_wave.endswith(".json"):
        previous.append(load_results(plan_path.parent / plan.previous_wave))
    ctx = national_report(results, q, plan, lang=lang or plan.report.language, data=wd, base_dir=plan_path.parent,
                          previous=previous)
    return render_html(ctx)
