"""Valid paper data for the shipped community questionnaire, written from its rules by hand
(not by the importer's checker): who is asked what (show_if), the constraints, required
questions. Deterministic by seed."""

from __future__ import annotations

import csv
import random
from pathlib import Path

from engine.loader import load
from engine.schema import MatrixQuestion, MultiQuestion, NpsQuestion, NumberQuestion, ScaleQuestion, SingleQuestion, \
    TextQuestion
from tests.conftest import QUESTIONNAIRES

QUESTIONNAIRE = load(QUESTIONNAIRES / "community_satisfaction.yaml")


def valid_rows(n: int, *, seed: int = 7, respondent_ids: bool = True) -> tuple[list[str], list[list[str]]]:
    q = QUESTIONNAIRE
    rnd = random.Random(seed)
    scales = {s.id: [p.code for p in s.points] for s in q.scales}
    header = (["respondent_id"] if respondent_ids else []) + ["district", "street", "community"]
    order: list[str] = []
    for sec in q.sections:
        for qu in sec.questions:
            if isinstance(qu, MatrixQuestion):
                order += [it.id for it in qu.items]
            elif qu.kind != "calculate":
                order.append(qu.id)
    header += order
    rows = []
    for i in range(n):
        d = f"3301{rnd.randint(2, 6):02d}"
        s = f"{d}{rnd.randint(1, 4):03d}"
        a: dict[str, str] = {"district": d, "street": s, "community": f"{s}{rnd.randint(1, 10):03d}"}
        if respondent_ids:
            a["respondent_id"] = f"P{i + 1:06d}"
        for sec in q.sections:
            for qu in sec.questions:
                if isinstance(qu, SingleQuestion):
                    a[qu.id] = rnd.choice([c.code for c in qu.choices])
                elif isinstance(qu, ScaleQuestion):
                    a[qu.id] = rnd.choice(scales[qu.scale])
                elif isinstance(qu, MatrixQuestion):
                    for it in qu.items:
                        a[it.id] = rnd.choice(scales[qu.scale])
                elif isinstance(qu, NpsQuestion):
                    a[qu.id] = str(rnd.randint(0, 10))
                elif isinstance(qu, NumberQuestion):
                    a[qu.id] = rnd.choice(["0.5", "3", "12", "40.5"])
                elif isinstance(qu, TextQuestion):
                    a[qu.id] = rnd.choice(["", "", "希望增加停车位", "楼道灯坏了，请尽快修"])
                elif isinstance(qu, MultiQuestion):
                    codes = [c.code for c in qu.choices if c.code != "none"]
                    k = rnd.randint(0 if not qu.required else 1, min(3, qu.max_selected or 3))
                    a[qu.id] = ";".join(rnd.sample(codes, k))
        # the rules of the questionnaire, by hand
        if rnd.random() < 0.1:
            a["q_services_used"] = "none"
        if a["q_age_band"] not in ("60_69", "70p"):
            a["q_elderly_needs"] = ""
        if "elderly" not in a["q_services_used"].split(";"):
            a["q_elderly_service_eval"] = ""
        if a["q_reported_problem"] != "yes":
            a["d_timely"] = a["d_solved"] = ""
        rows.append([a.get(h, "") for h in header])
    return header, rows


def write(path: Path, header: list[str], rows: list[list[str]], *, encoding: str = "utf-8") -> Path:
    with open(path, "w", encoding=encoding, newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return path
