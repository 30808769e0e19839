"""`manyi validate` and `manyi schema`, in process and as the installed command."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from engine.cli import main
from tests.conftest import QUESTIONNAIRES
from tests.engine.test_loader import PLANTED


def test_validate_shipped_folder_exits_0(capsys):
    assert main(["validate", str(QUESTIONNAIRES)]) == 0
    out = capsys.readouterr().out
    assert "all valid" in out and "error" not in out


def test_validate_planted_file_prints_five_lines_and_exits_1(tmp_path, capsys):
    f = tmp_path / "planted.yaml"
    f.write_text(PLANTED, encoding="utf-8")
    assert main(["validate", str(f)]) == 1
    out = capsys.readouterr().out.splitlines()
    diag_lines = [line for line in out if ": error[" in line]
    assert [line.split(":")[1] for line in diag_lines] == ["16", "21", "25", "31", "32"]
    assert f"5 errors in {f}" in out


def test_validate_json_format(tmp_path, capsys):
    f = tmp_path / "planted.yaml"
    f.write_text(PLANTED, encoding="utf-8")
    assert main(["validate", "--format", "json", str(f)]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["failed"] == 1
    assert sorted(d["code"] for d in report["files"][0]["diagnostics"]) == ["D001", "E002", "Q001", "S001", "Y002"]


def test_validate_missing_file_is_a_diagnostic_not_a_traceback(tmp_path, capsys):
    assert main(["validate", str(tmp_path / "none.yaml")]) == 1
    assert "error[F001]" in capsys.readouterr().out


def test_validate_several_files_reports_each(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text(PLANTED, encoding="utf-8")
    good = QUESTIONNAIRES / "haocha_rating.yaml"
    assert main(["validate", str(good), str(bad)]) == 1
    out = capsys.readouterr().out
    assert f"ok {good}" in out and "checked 2 files: 1 with errors" in out


def test_installed_command_never_prints_a_traceback(tmp_path):
    exe = shutil.which("manyi", path=str(Path(sys.executable).parent))
    assert exe, "the console script 'manyi' is installed with the package"
    cases = [PLANTED, "{{{", "kind: survey\nid: [", "\x00", "kind: rating_policy\nlevels: 5\n"]
    for k, text in enumerate(cases):
        f = tmp_path / f"c{k}.yaml"
        f.write_text(text, encoding="utf-8")
        run = subprocess.run([exe, "validate", str(f)], capture_output=True, text=True, timeout=60)
        assert run.returncode == 1, run.stdout + run.stderr
        assert "Traceback" not in run.stdout + run.stderr


@pytest.mark.parametrize("document", ["questionnaire", "policy", "plan"])
def test_schema_command_prints_json_schema(document, capsys):
    assert main(["schema", document]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema["$schema"].endswith("2020-12/schema")
