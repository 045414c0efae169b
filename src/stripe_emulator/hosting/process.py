"""`python -m stripe_emulator` run as a child process, for tests and tools."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from .defaults import DEFAULT_PUBLISHABLE_KEY, DEFAULT_SECRET_KEY
from .ports import free_port, wait_for_port


class EmulatorProcess:
    """`python -m stripe_emulator` as a child process: `.url`, the keys it accepts, `.stop()`."""

    def __init__(
        self,
        db_path: str | Path,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        reset: bool = False,
    ) -> None:
        self.db_path = Path(db_path)
        self.db_path.parent.mkdir(parents=True, exist_ok=True)
        self.host = host
        self.port = port or free_port(host)
        self.reset = reset
        self.secret_key = DEFAULT_SECRET_KEY
        self.publishable_key = DEFAULT_PUBLISHABLE_KEY
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The API base, e.g. http://127.0.0.1:12111."""
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 30.0) -> EmulatorProcess:
        """Start the program and wait until it answers on its port."""
        command = [sys.executable, "-m", "stripe_emulator", "--host", self.host]
        command += ["--port", str(self.port), "--db", str(self.db_path)]
        if self.reset:
            command.append("--reset")
        # Its output goes beside the data file, to read when something goes wrong.
        with self.db_path.with_suffix(".log").open("ab") as log:
            # Its own process group, so that a stop that must force reaches granian's worker too.
            self._process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        try:
            self._wait_until_serving(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_until_serving(self, timeout: float) -> None:
        assert self._process is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"the emulator exited with code {self._process.returncode}")
            if wait_for_port(self.host, self.port, timeout=0.5) and self._serves_our_data():
                return
        raise RuntimeError(f"the emulator did not answer on {self.url} within {timeout}s")

    def _serves_our_data(self) -> bool:
        # The port was free when chosen; something else may have taken it since.
        try:
            with urllib.request.urlopen(f"{self.url}/_emulator/", timeout=5) as answer:
                data_file = json.load(answer).get("data_file", "")
        except (OSError, ValueError):
            return False
        return Path(data_file).resolve() == self.db_path.resolve()

    def stop(self, timeout: float = 10.0) -> int | None:
        """Stop it as a container runtime would (SIGTERM, then SIGKILL); its exit code."""
        process, self._process = self._process, None
        if process is None:
            return None
        process.terminate()
        try:
            return process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            return process.wait()

    def __enter__(self) -> EmulatorProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
