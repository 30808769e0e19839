"""Every command block of the README's "Five minutes for each kind of user" runs as written,
in order, from the repository's root (the newcomer's path). `./dev run` itself is
tests/demo/test_demo_serve.py; `./dev test` is CI."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _blocks(section: str) -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    body = text.split(f"## {section}", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.*?)```", body, re.S)


def test_the_walks_of_the_readme_run_as_written():
    blocks = _blocks("Five minutes for each kind of user")
    assert len(blocks) == 2
    walk = ROOT / "var" / "walk"
    shutil.rmtree(walk, ignore_errors=True)
    walk.mkdir(parents=True)
    outputs = []
    for block in blocks:
        r = subprocess.run(["bash", "-e", "-c", block], cwd=ROOT, capture_output=True, text=True, timeout=900,
                           stdin=subprocess.DEVNULL)
        assert r.returncode == 0, f"{block}\n--- stdout\n{r.stdout}\n--- stderr\n{r.stderr}"
        outputs.append(r.stdout)
    assert (walk / "report.pdf").read_bytes()[:5] == b"%PDF-"
    assert json.loads((walk / "results.json").read_text(encoding="utf-8"))["estimates"]
    # the handler's walk: a bad rating opened case 1, assigned and called back
    answers = [json.loads(line) for line in re.findall(r"^\{.*\}$", outputs[1].replace("}{", "}\n{"), re.M)]
    assert answers[0]["bucket"] == "bad" and answers[0]["case_id"] == 1
    assert answers[-1]["state"] == "called_back" and answers[-1]["handler"] == "wang"
