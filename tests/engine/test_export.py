"""Exports: the .sav reads back with pyreadstat with variable labels, value labels and
user-missing codes; CSV and XLSX round-trip through the importer; personal data stays out;
memory stays flat while 200,000 responses are written. Storage tests run on SQLite and
PostgreSQL."""

from __future__ import annotations

import csv
import json
import math
import random
import subprocess
import sys
import textwrap

import pyreadstat
import pytest
from openpyxl import load_workbook

from engine.cli import main
from engine.io import import_valid
from engine.io.exporter import export_wave, write_codebook
from engine.io.sav import SavVariable, SavWriter
from engine.loader import loads
from engine.storage import Store, upgrade
from tests.conftest import ROOT
from tests.engine.paper_data import QUESTIONNAIRE as Q
from tests.engine.paper_data import valid_rows, write
from tests.engine.test_storage import store, url  # noqa: F401  (fixtures: SQLite and PostgreSQL)
from tests.engine.test_import import SOURCE, _wave

N = 400


@pytest.fixture
def wave(store, tmp_path):  # noqa: F811
    header, rows = valid_rows(N, seed=21)
    w = _wave(store, "exp")
    assert import_valid(store, w, write(tmp_path / "in.csv", header, rows), Q).inserted == N
    return store, w


def _stored(st: Store, w: str) -> list:
    return list(st.responses(w))


def test_sav_reads_back_with_labels_and_missing_codes(wave, tmp_path):
    st, w = wave
    path = tmp_path / "wave.sav"
    assert export_wave(st, w, "sav", path) == N
    data, meta = pyreadstat.read_sav(str(path), output_format="dict", user_missing=True)
    assert meta.number_rows == N and meta.file_encoding == "UTF-8"
    labels = dict(zip(meta.column_names, meta.column_labels))
    assert labels["a_health"] == "社区卫生和健康服务" and labels["q_gender"] == "您的性别"
    assert meta.variable_value_labels["a_health"] == {5.0: "非常满意", 4.0: "比较满意", 3.0: "一般", 2.0: "不太满意",
                                                      1.0: "很不满意", 9.0: "不了解"}
    assert meta.missing_ranges["a_health"] == [{"lo": 9.0, "hi": 9.0}]
    assert meta.missing_ranges["b_noise"] == [{"lo": 9.0, "hi": 9.0}]  # agree5: 说不清
    assert meta.variable_value_labels["b_noise"][9.0] == "说不清"
    assert meta.variable_measure["a_health"] == "ordinal" and meta.variable_measure["q_years_lived"] == "scale"
    # text codes are numbered in document order, labelled with the Chinese labels
    assert meta.variable_value_labels["q_gender"] == {1.0: "男", 2.0: "女"}
    # a multi-choice question is one 0/1 variable per choice
    assert labels["q_services_used_elderly"].endswith("养老服务（助餐、日间照料等）")
    rows = _stored(st, w)
    assert data["response_id"] == [float(r.id) for r in rows]
    assert data["a_health"] == [float(r.answers["a_health"]) for r in rows]
    assert data["q_gender"] == [{"male": 1.0, "female": 2.0}[r.answers["q_gender"]] for r in rows]
    assert data["q_services_used_elderly"] == [float("elderly" in r.answers["q_services_used"]) for r in rows]
    assert data["q_years_lived"] == [float(r.answers["q_years_lived"]) for r in rows]
    assert data["community"] == [r.attributes["community"] for r in rows]
    timely = [r.answers.get("d_timely") for r in rows]  # asked only of those who reported a problem
    assert [None if x is None or x != x else x for x in data["d_timely"]] == [
        None if t is None else float(t) for t in timely]
    # read as SPSS would use it: 不了解 (9) is missing
    plain, _ = pyreadstat.read_sav(str(path), output_format="dict")
    nines = [i for i, r in enumerate(rows) if r.answers["a_health"] == "9"]
    assert nines and all(plain["a_health"][i] is None or math.isnan(plain["a_health"][i]) for i in nines)


def _reimport(st: Store, path, wave_id: str) -> list:
    w2 = wave_id
    vid = st.wave("exp")["questionnaire_version_id"]
    st.create_wave(w2, vid, title="round trip")
    res = import_valid(st, w2, path, Q)
    assert (res.report.problems, res.report.file_problems) == ([], [])
    return _stored(st, w2)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_csv_and_xlsx_round_trip_through_the_importer(wave, tmp_path, fmt):
    st, w = wave
    path = tmp_path / f"wave.{fmt}"
    assert export_wave(st, w, fmt, path) == N
    back = _reimport(st, path, f"rt_{fmt}")
    orig = _stored(st, w)
    assert [(r.answers, r.attributes) for r in back] == [(r.answers, r.attributes) for r in orig]


def test_xlsx_has_numbers_codes_and_a_codebook_sheet(wave, tmp_path):
    st, w = wave
    path = tmp_path / "wave.xlsx"
    export_wave(st, w, "xlsx", path)
    wb = load_workbook(path, read_only=True)
    assert wb.sheetnames == ["data", "codebook"]
    rows = list(wb["data"].iter_rows(values_only=True))
    head = rows[0]
    assert len(rows) == N + 1 and head[:4] == ("response_id", "respondent_id", "mode", "submitted_at")
    first = dict(zip(head, rows[1]))
    assert isinstance(first["a_health"], int) and isinstance(first["community"], str)
    book = list(wb["codebook"].iter_rows(values_only=True))
    a_health = next(r for r in book if r[0] == "a_health")
    assert "9=不了解" in a_health[3] and a_health[4] == "9"


def test_personal_data_is_not_exported_by_default(store, tmp_path):  # noqa: F811
    source = SOURCE.replace("attributes:\n", "attributes:\n  - id: phone\n    label: {zh: 联系电话, en: Phone}\n"
                            "    kind: number\n    source: frame\n", 1)
    loads(source, expect="questionnaire")
    vid = store.publish_questionnaire(source)
    store.create_wave("pd", vid, title="personal")
    store.set_wave_status("pd", "open")
    header, rows = valid_rows(1, seed=3)
    answers = {h: v for h, v in zip(header, rows[0]) if v and h not in ("respondent_id", "district", "street",
                                                                           "community")}
    store.submit("pd", answers, attributes={"phone": 13912345678, "id_number": "330102199001011234",
                                            "community": "330102001001"})
    for fmt in ("csv", "xlsx", "sav"):
        path = tmp_path / f"pd.{fmt}"
        assert export_wave(store, "pd", fmt, path) == 1
        blob = path.read_bytes() if fmt != "xlsx" else b"".join(
            str(r).encode() for r in load_workbook(path, read_only=True)["data"].iter_rows(values_only=True))
        assert b"13912345678" not in blob and b"330102199001011234" not in blob and b"330102001001" in blob
    export_wave(store, "pd", "csv", tmp_path / "all.csv", include_personal=True)
    head, row = list(csv.reader(open(tmp_path / "all.csv", encoding="utf-8-sig")))
    assert dict(zip(head, row))["phone"] == "13912345678"
    assert "id_number" not in head  # never declared: never exported


def test_codebook_in_three_formats(tmp_path):
    n = write_codebook(Q, tmp_path / "cb.json", fmt="json")
    doc = json.loads((tmp_path / "cb.json").read_text(encoding="utf-8"))
    by = {v["variable"]: v for v in doc["variables"]}
    assert len(doc["variables"]) == n and by["a_health"]["missing"] == "9"
    assert by["q_gender"]["spss"] == "1=male; 2=female" and by["d_timely"]["asked_if"] == "(q_reported_problem == 'yes')"
    write_codebook(Q, tmp_path / "cb.md", fmt="md")
    assert "| a_health | 社区卫生和健康服务 | matrix_item |" in (tmp_path / "cb.md").read_text(encoding="utf-8")
    write_codebook(Q, tmp_path / "cb.csv", fmt="csv", language="en")
    rows = list(csv.DictReader(open(tmp_path / "cb.csv", encoding="utf-8-sig")))
    assert next(r for r in rows if r["variable"] == "a_health")["values"].endswith("9=Don't know")


def test_sav_writer_round_trips_random_values(tmp_path):
    rnd = random.Random(5)
    variables = [SavVariable("n", "数"), SavVariable("s", "文本", width=20), SavVariable("x", decimals=2),
                 SavVariable("long_text", width=255)]
    rows = [[rnd.choice([None, i, -99, 151, 152, -100, 1.5]), rnd.choice(["", None, "abc", "长" * 9, "x" * 20]),
             rnd.choice([None, float("nan"), 3.25, -1e9]), rnd.choice(["", "满意" * 60])] for i in range(3000)]
    path = tmp_path / "r.sav"
    with open(path, "wb") as f:
        w = SavWriter(f, variables)
        for r in rows:
            w.write_row(r)
        w.close()
    data, meta = pyreadstat.read_sav(str(path), output_format="dict")

    def num(v):
        return None if v is None or v != v else float(v)

    def text(v, width):
        b = (v or "").encode("utf-8")[:width].decode("utf-8", errors="ignore")
        return b

    assert meta.number_rows == 3000
    assert [num(v) for v in data["n"]] == [num(r[0]) for r in rows]
    assert [num(v) for v in data["x"]] == [num(r[2]) for r in rows]
    assert data["s"] == [text(r[1], 20) for r in rows]
    assert data["long_text"] == [text(r[3], 255) for r in rows]


def test_cli_export(wave, tmp_path, capsys):
    st, w = wave
    db = str(st.engine.url.render_as_string(hide_password=False))
    for fmt in ("csv", "sav", "codebook"):
        assert main(["export", "--wave", w, "--database", db, "--format", fmt, "--out", str(tmp_path / f"o.{fmt}"),
                     "-q"]) == 0
    assert f"{N:,} responses" in capsys.readouterr().out
    assert main(["export", "--wave", "nope", "--database", db, "--format", "csv", "--out", str(tmp_path / "x"),
                 "-q"]) == 1
    assert any(e["action"] == "export" for e in st.audit_entries("wave"))


_MEASURE = textwrap.dedent("""
    import sys, time
    from engine.io.exporter import export_wave
    from engine.storage import Store
    rss = lambda: int(open("/proc/self/status").read().split("VmRSS:")[1].split()[0]) * 1024
    st = Store(sys.argv[1])
    samples = []
    t = time.perf_counter()
    n = export_wave(st, sys.argv[2], sys.argv[3], sys.argv[4],
                    progress=lambda k: samples.append(rss()) if k % 10000 == 0 else None)
    print(n, round(time.perf_counter() - t, 1), *samples)
""")


@pytest.mark.slow
def test_export_of_200000_responses_runs_in_bounded_memory(tmp_path):
    """Resident memory of a fresh process exporting 200,000 stored responses stays flat after
    the first pages: exports stream pages, they never hold the wave."""
    from sqlalchemy import insert

    from engine.io.importer import _check_row, _Layout
    from engine.storage.models import Response

    db = tmp_path / "big.db"
    url = f"sqlite:///{db}"  # noqa: F811
    upgrade(url)
    st = Store(url)
    vid = st.publish_questionnaire(SOURCE)
    st.create_wave("big", vid, title="big")
    header, rows = valid_rows(500, seed=1)
    layout = _Layout(Q)
    mapping = [(j, h, h) for j, h in enumerate(header)]
    base = [_check_row(layout, mapping, row, k + 2)[1:3] for k, row in enumerate(rows)]
    n = 200_000
    with st.engine.begin() as c:
        for start in range(0, n, 5000):
            c.execute(insert(Response.__table__), [
                {"wave_id": "big", "questionnaire_version_id": vid, "status": "complete", "mode": "paper",
                 "answers": base[i % 500][0], "attributes": {**base[i % 500][1], "respondent_id": f"R{i:07d}"},
                 "paradata": {}, "idempotency_key": f"k{i}"} for i in range(start, start + 5000)])
    st.engine.dispose()
    stored_bytes = db.stat().st_size
    growth = {}
    for fmt in ("csv", "sav", "xlsx"):
        path = tmp_path / f"big.{fmt}"
        out = subprocess.run([sys.executable, "-c", _MEASURE, url, "big", fmt, str(path)], cwd=ROOT,
                             capture_output=True, text=True, check=True).stdout.split()
        count, seconds, samples = int(out[0]), out[1], [int(x) for x in out[2:]]
        assert count == n and len(samples) >= n // 10000
        # resident memory after the first 10,000 rows, then after every 10,000 more
        growth[fmt] = max(samples) - samples[0]
        print(f"{fmt}: {n:,} rows in {seconds} s, file {path.stat().st_size / 2**20:.0f} MiB, RSS "
              f"{samples[0] / 2**20:.0f} MiB at 10,000 rows, {max(samples) / 2**20:.0f} MiB at most "
              f"(database {stored_bytes / 2**20:.0f} MiB)")
    # holding the rows would add several hundred MiB of Python objects between the first
    # 10,000 rows and the last (the stored JSON alone is ~400 MiB)
    assert all(g < 0.05 * stored_bytes for g in growth.values()), (growth, stored_bytes)
