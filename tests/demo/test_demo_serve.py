"""The README's run command path: `manyi demo --serve` prints the addresses and the server
answers on each (small demo, real subprocess, real port)."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_demo_serve_prints_addresses_that_answer(tmp_path: Path):
    port = _free_port()
    manyi = Path(sys.executable).with_name("manyi")
    proc = subprocess.Popen([str(manyi), "demo", "--dir", "d", "--respondents", "3000",
                             "--ratings", "3000", "--serve", "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, stdin=subprocess.DEVNULL,
                            env={**os.environ, "MANYI_SECRET": "test-secret"}, cwd=tmp_path)  # a relative --dir
    lines: list[str] = []
    try:
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            if "leaders reports" in line:
                break
        out = "".join(lines)
        assert "leaders reports" in out, out
        links = dict(re.findall(r"^\s+(resident survey|rating page|API documentation)\s+(\S+)", out, re.M))
        login = re.search(r"sign in as leader / (\S+)\)", out).group(1)
        for _ in range(100):
            try:
                httpx.get(f"http://127.0.0.1:{port}/schema/openapi.json", timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.2)
        with httpx.Client(follow_redirects=True, timeout=30) as web:
            assert web.get(links["API documentation"]).status_code == 200
            page = web.get(links["resident survey"])
            assert page.status_code == 200 and "社区" in page.text
            rating = web.get(links["rating page"])
            assert rating.status_code == 200 and "满意" in rating.text
            form = web.get(f"http://127.0.0.1:{port}/staff/login?next=/leaders")
            token = re.search(r'name="csrf" value="([^"]+)"', form.text) or re.search(
                r'name="_csrf" value="([^"]+)"', form.text)
            assert token, form.text[:500]
            field = "csrf" if 'name="csrf"' in form.text else "_csrf"
            listing = web.post(f"http://127.0.0.1:{port}/staff/login",
                               data={field: token.group(1), "username": "leader", "password": login,
                                     "next": "/leaders"})
            assert listing.status_code == 200 and "national_report.html" in listing.text, listing.text[:500]
            report = web.get(f"http://127.0.0.1:{port}/leaders/national_report.html")
            assert report.status_code == 200 and "满意度" in report.text
        for pdf in ("national_report.pdf", "scorecards.pdf", "ratings_2026-10.pdf"):
            assert (tmp_path / "d" / pdf).stat().st_size > 0
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
