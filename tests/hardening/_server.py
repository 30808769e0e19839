"""`manyi serve` as a real process on a free port, for tests that kill and restart it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """One `manyi serve` process at a time on a fixed port; its output is appended to `log`."""

    def __init__(self, url: str, log: Path, *, probe_key: str, secret: str = "crash-test-secret"):
        self.url, self.log, self.probe_key = url, log, probe_key
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "MANYI_SECRET": secret, "PYTHONUNBUFFERED": "1"}
        self.proc: subprocess.Popen | None = None
        self.starts = 0

    def start(self, timeout: float = 60.0) -> None:
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "engine.cli", "serve", "--database", self.url, "--port", str(self.port),
                 "--log-level", "info"],
                cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT)
        self.starts += 1
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"manyi serve exited with {self.proc.returncode}; see {self.log}")
            try:  # an authenticated call: the key was checked in the database, so it is ready
                r = httpx.get(f"{self.base}/api/v1/cases/1", headers={"Authorization": f"Bearer {self.probe_key}"},
                              timeout=2)
                if r.status_code < 500 and r.status_code != 401:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"manyi serve did not answer within {timeout} s; see {self.log}")

    def kill(self) -> None:
        """SIGKILL: no shutdown handlers, no flush; whatever was not committed is lost."""
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()
