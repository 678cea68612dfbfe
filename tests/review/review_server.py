"""Start ``babelforge review serve`` for real, in its own process, on a free loopback port."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(output: Path, *args: str, env: dict[str, str] | None = None) -> tuple[subprocess.Popen, str]:
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "babelforge",
        "review",
        "serve",
        str(output),
        "--port",
        str(port),
        "--no-browser",
        *args,
    ]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env={**os.environ, **(env or {})}
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"review serve exited: {process.stdout.read()}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return process, url
        time.sleep(0.1)
    process.kill()
    raise RuntimeError("review serve did not listen within 30 s")


def kill(process: subprocess.Popen) -> None:
    os.kill(process.pid, signal.SIGKILL)
    process.wait()


@contextlib.contextmanager
def serving(output: Path, *args: str, env: dict[str, str] | None = None) -> Iterator[str]:
    process, url = start(output, *args, env=env)
    try:
        yield url
    finally:
        if process.poll() is None:
            kill(process)
