"""A realistic simulated wave for a questionnaire and plan: regions (district > street >
community), respondents with demographics skewed against the population margins (so that
weighting matters), answers with community and group effects, 不了解, skipped questions,
speeders and straight-liners. For demos, tests and benchmarks; deterministic by seed."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from ..schema import (
    DateQuestion, MatrixQuestion, MultiQuestion, NpsQuestion, NumberQuestion, Plan, Questionnaire, RegionQuestion,
    ScaleQuestion, SingleQuestion, TextQuestion,
)

__all__ = ["simulate", "write_csv", "region_names", "write_units", "answer_sets"]


def _regions(rng: np.random.Generator, districts: int, streets: int, communities: int) -> list[tuple[str, str, str]]:
    out = []
    for d in range(districts):
        dc = f"3301{d + 2:02d}"
        for s in range(streets):
            sc = f"{dc}{s + 1:03d}"
            for c in range(communities):
                out.append((dc, sc, f"{sc}{c + 1:03d}"))
    return out


#: Made-up place names (Chinese, pinyin) for the simulated regions: not real places.
_DISTRICT_WORDS = [("东湖", "Donghu"), ("西山", "Xishan"), ("南江", "Nanjiang"), ("北塘", "Beitang"),
                   ("中河", "Zhonghe"), ("新港", "Xingang"), ("青溪", "Qingxi"), ("云岭", "Yunling"),
                   ("白沙", "Baisha"), ("金桥", "Jinqiao"), ("松原", "Songyuan"), ("柳岸", "Liu'an")]
_PLACE_WORDS = [("和平", "Heping"), ("幸福", "Xingfu"), ("长青", "Changqing"), ("光明", "Guangming"),
                ("翠苑", "Cuiyuan"), ("文华", "Wenhua"), ("桂花", "Guihua"), ("望江", "Wangjiang"),
                ("星河", "Xinghe"), ("丰收", "Fengshou"), ("安居", "Anju"), ("锦绣", "Jinxiu"),
                ("清泉", "Qingquan"), ("枫林", "Fenglin"), ("荷塘", "Hetang"), ("朝阳", "Chaoyang"),
                ("紫荆", "Zijing"), ("梧桐", "Wutong"), ("春晖", "Chunhui"), ("嘉禾", "Jiahe")]
_COMMUNITY_SUFFIX = [("", ""), ("一区", " No. 1"), ("二区", " No. 2"), ("三区", " No. 3"), ("东", " East"),
                     ("西", " West"), ("南", " South"), ("北", " North"), ("新", " New"), ("花园", " Garden")]


def region_names(districts: int = 5, streets: int = 4, communities: int = 10) -> list[tuple[str, str, str, str]]:
    """(variable, code, Chinese name, English name) of every simulated district, street and
    community (the codes of simulate's regions); made-up names, unique at each level."""
    out = []
    nd, np_, ns = len(_DISTRICT_WORDS), len(_PLACE_WORDS), len(_COMMUNITY_SUFFIX)
    street_k = community_k = 0
    for d in range(districts):
        dc = f"3301{d + 2:02d}"
        zh, en = _DISTRICT_WORDS[d % nd]
        lap = f"{d // nd + 1}" if d >= nd else ""
        out.append(("district", dc, f"{zh}{lap}区", f"{en}{' ' + lap if lap else ''} District"))
        for s in range(streets):
            sc = f"{dc}{s + 1:03d}"
            zh, en = _PLACE_WORDS[street_k % np_]
            lap = f"{street_k // np_ + 1}" if street_k >= np_ else ""
            out.append(("street", sc, f"{zh}{lap}街道", f"{en}{' ' + lap if lap else ''} Subdistrict"))
            street_k += 1
            for c in range(communities):
                k = community_k
                wz, we = _PLACE_WORDS[(k // ns) % np_]
                sz, se = _COMMUNITY_SUFFIX[k % ns]
                lap = k // (ns * np_)
                tag_zh, tag_en = (f"{lap + 1}", f" {lap + 1}") if lap else ("", "")
                out.append(("community", f"{sc}{c + 1:03d}", f"{wz}{sz}{tag_zh}社区", f"{we}{se}{tag_en} Community"))
                community_k += 1
    return out


def write_units(path: str | Path, districts: int = 5, streets: int = 4, communities: int = 10) -> Path:
    """The units file (a plan's `units:`) naming simulate's regions."""
    path = Path(path)
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["variable", "code", "zh", "en"])
        w.writerows(region_names(districts, streets, communities))
    return path


def simulate(q: Questionnaire, plan: Plan | None = None, *, n: int = 5000, seed: int = 1,
             districts: int = 5, streets: int = 4, communities: int = 10, region_seed: int | None = None,
             shift: float = 0.0) -> tuple[list[str], list[list[str]]]:
    """Header and rows of a CSV a collection would export. `region_seed` fixes the regions'
    sizes and effects apart from the respondents (two waves of one area); `shift` moves every
    respondent's satisfaction (a change between waves)."""
    rng = np.random.default_rng(seed)
    area = rng if region_seed is None else np.random.default_rng(region_seed)
    regions = _regions(area, districts, streets, communities)
    size = area.gamma(3.0, 1.0, len(regions))
    where = rng.choice(len(regions), size=n, p=size / size.sum())
    community_effect = area.normal(0, 0.35, len(regions))
    district_effect = area.normal(0, 0.25, districts)[[int(r[0][-2:]) - 2 for r in regions]]
    attrs = {a.id: a for a in q.attributes}
    header: list[str] = ["respondent_id", "duration_seconds"]
    for a in q.attributes:
        if a.source == "frame":
            header.append(a.id)
    columns: dict[str, list[str]] = {"respondent_id": [f"r{k + 1:06d}" for k in range(n)]}
    dur = rng.lognormal(np.log(600), 0.4, n)
    speed = rng.random(n) < 0.03
    dur[speed] = rng.uniform(60, 200, speed.sum())
    columns["duration_seconds"] = [f"{d:.0f}" for d in dur]
    for a in q.attributes:
        if a.source != "frame":
            continue
        if a.kind == "region":
            lvl = {"district": 0, "street": 1, "community": 2}.get(a.level or "community", 2)
            columns[a.id] = [regions[w][lvl] for w in where]
        elif a.choices:
            columns[a.id] = [a.choices[k].code for k in rng.integers(0, len(a.choices), n)]
    mood = community_effect[where] + district_effect[where] + rng.normal(0, 0.5, n) + shift
    straight = rng.random(n) < 0.02
    scales = {s.id: s for s in q.scales}
    answers: dict[str, list[str]] = {}
    older = np.zeros(n)

    def scale_answer(scale_id: str, shift: np.ndarray, reverse: bool = False, na_rate: float = 0.05) -> list[str]:
        sc = scales[scale_id]
        scored = [p.code for p in sc.points if not p.na]
        na = [p.code for p in sc.points if p.na]
        k = len(scored)
        # position 0 = best when best_first
        latent = 0.8 + shift + rng.normal(0, 1.0, n)
        if reverse:
            latent = -latent
        pos = np.clip(np.rint((k - 1) / 2 - latent * (k - 1) / 4), 0, k - 1).astype(int)
        if sc.order == "worst_first":
            pos = k - 1 - pos
        out = [scored[p] for p in pos]
        if na:
            for i in np.flatnonzero(rng.random(n) < na_rate):
                out[i] = na[0]
        return out

    for sec in q.sections:
        for qu in sec.questions:
            if isinstance(qu, SingleQuestion):
                codes = [c.code for c in qu.choices]
                p = rng.dirichlet(np.full(len(codes), 3.0))
                if qu.id in {a.question for a in attrs.values() if a.source == "question"}:
                    # demographics skewed: older and female respondents are easier to reach
                    p = np.linspace(1.0, 2.0, len(codes))
                    p /= p.sum()
                picks = rng.choice(len(codes), size=n, p=p)
                answers[qu.id] = [codes[k] for k in picks]
                if "age" in qu.id:
                    older = picks / max(len(codes) - 1, 1)
                    mood = mood + 0.6 * older
            elif isinstance(qu, MultiQuestion):
                codes = [c.code for c in qu.choices]
                chosen = rng.random((n, len(codes))) < 0.3
                answers[qu.id] = [";".join(c for c, on in zip(codes, row) if on) for row in chosen]
            elif isinstance(qu, ScaleQuestion):
                answers[qu.id] = scale_answer(qu.scale, mood, qu.reverse)
            elif isinstance(qu, MatrixQuestion):
                item_shift = rng.normal(0, 0.3, len(qu.items))
                for k, it in enumerate(qu.items):
                    answers[it.id] = scale_answer(qu.scale, mood + item_shift[k], it.reverse)
                    if straight.any():
                        first = scales[qu.scale].points[0].code
                        for i in np.flatnonzero(straight):
                            answers[it.id][i] = first
            elif isinstance(qu, NpsQuestion):
                answers[qu.id] = [str(int(v)) for v in np.clip(np.rint(7 + 1.5 * mood + rng.normal(0, 1.5, n)), 0, 10)]
            elif isinstance(qu, NumberQuestion):
                lo = qu.min if qu.min is not None else 0
                hi = qu.max if qu.max is not None else 100
                v = rng.uniform(lo, min(hi, lo + 40), n)
                answers[qu.id] = [f"{x:.0f}" if qu.integer else f"{x:.1f}" for x in v]
            elif isinstance(qu, TextQuestion):
                answers[qu.id] = ["" if rng.random() < 0.8 else "希望增加停车位" for _ in range(n)]
            elif isinstance(qu, DateQuestion):
                answers[qu.id] = [""] * n
            elif isinstance(qu, RegionQuestion):
                answers[qu.id] = [regions[w][2] for w in where]
            else:
                continue
            if not qu.required and not isinstance(qu, MatrixQuestion):
                for i in np.flatnonzero(rng.random(n) < 0.2):
                    answers[qu.id][i] = ""
    header += list(answers)
    columns.update(answers)
    rows = [[columns[h][i] for h in header] for i in range(n)]
    _make_consistent(q, header, rows, rng)
    return header, rows


def _make_consistent(q: Questionnaire, header: list[str], rows: list[list[str]], rng: np.random.Generator) -> None:
    """Rows as a collection would accept them, checked the way paper data is checked: an answer
    to a question its show_if hides is removed, and a missing required answer or one that breaks
    a constraint or selection limit is drawn again (a single choice for a multiple-choice
    question), until the row passes or a few rounds have gone (in place)."""
    from ..io.importer import _check_row, layout_of

    layout = layout_of(q)
    mapping = [(j, h, h) for j, h in enumerate(header)]
    where = {h: j for j, h in enumerate(header)}

    def draw(col) -> str:
        if col.kind in ("single", "scale", "matrix_item", "nps", "multi") and col.choices:
            return col.choices[int(rng.integers(0, len(col.choices)))][0]
        if col.kind == "number":
            lo = col.low if col.low is not None else 0.0
            hi = col.high if col.high is not None else lo + 40.0
            x = rng.uniform(lo, min(hi, lo + 40.0))
            return f"{x:.0f}" if col.integer else f"{x:.1f}"
        return ""

    for row in rows:
        for _ in range(6):
            problems = _check_row(layout, mapping, row, 0)[0]
            if not problems:
                break
            for p in problems:
                j = where.get(p.question)
                if j is None:
                    continue
                row[j] = "" if p.code == "C007" else draw(layout.by_id[p.question])


def write_csv(path: str | Path, header: list[str], rows: list[list[str]]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)


def answer_sets(q: Questionnaire, *, n: int = 1, seed: int = 1) -> list[dict]:
    """Simulated respondents' answers as JSON an API client sends (codes, numbers, lists of
    codes), typed as they are stored; each one passes the questionnaire's checks."""
    from ..io.importer import check_answers, layout_of

    layout = layout_of(q)
    header, rows = simulate(q, n=n, seed=seed)
    out = []
    for row in rows:
        sent = {}
        for k, v in zip(header, row):
            col = layout.by_id.get(k)
            if col is not None and not col.is_attribute and v != "":
                sent[k] = v.split(";") if col.kind == "multi" else v
        problems, typed, _ = check_answers(q, sent, {})
        if problems:
            raise AssertionError(f"a simulated row fails the checks: {problems[:3]}")
        out.append(typed)
    return out

