"""Run schemathesis (``--checks all``) against a live ``uvicorn`` on a loopback port.

The service runs in its own process on a seeded sample book (:mod:`tierwise.api.sample`) and
is fuzzed with an admin's bearer token. Used by ``tests/api/test_schemathesis.py``; run by hand
with ``uv run python -m tests.api.fuzz [--examples N]`` to see the full report.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from tierwise.api.access import Principal, Role
from tierwise.api.auth import DEV_SECRET, issue_token, utcnow
from tierwise.api.repos.users import UserRepo
from tierwise.api.sample import seed
from tierwise.store.db import make_engine, sqlite_url


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def fuzz(
    home: Path, *, examples: int = 15, seed_value: int = 1
) -> subprocess.CompletedProcess[str]:
    """Seed ``home``, serve it, run schemathesis; the completed schemathesis process."""
    engine = make_engine(sqlite_url(home / "state.db"))
    seed(engine, home, 40)
    UserRepo(engine).add_user("fuzzer", Role.ADMIN, "a fuzzing password", now=utcnow())
    engine.dispose()
    token = issue_token(Principal("user:fuzzer", Role.ADMIN), DEV_SECRET, now=utcnow(), minutes=30)
    port = free_port()
    env = {**os.environ, "TIERWISE_HOME": str(home), "TIERWISE_ENV": "test"}
    env.pop("TIERWISE_SECRET_KEY", None)
    env.pop("TIERWISE_DATABASE_URL", None)
    log = open(home / "server.log", "w")  # noqa: SIM115 - closed below
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "tierwise.api.main:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        # a deadline, not a number of tries: on a loaded 2-core machine the server's imports
        # alone took over 20 s (a CI run at load 15)
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/health", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        else:
            raise RuntimeError("the service did not start: " + (home / "server.log").read_text())
        exe = Path(sys.executable).with_name("schemathesis")
        return subprocess.run(
            [
                str(exe),
                "--config-file",
                str(Path(__file__).with_name("schemathesis.toml")),
                "run",
                f"{base}/openapi.json",
                "--checks",
                "all",
                "-H",
                f"Authorization: Bearer {token}",
                "--max-examples",
                str(examples),
                "--seed",
                str(seed_value),
                "--no-color",
                # one worker: with two threads, hypothesis's ast.parse of filter lambdas hit
                # CPython 3.11's per-interpreter AST depth counter from both at once
                # ("SystemError: AST constructor recursion depth mismatch"), failing the run
                "--workers",
                "1",
            ],
            capture_output=True,
            text=True,
            timeout=300,
            env={**os.environ, "SCHEMATHESIS_HOOKS": ""},
        )
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--examples", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as d:
        result = fuzz(Path(d), examples=args.examples)
        print(result.stdout[-20000:], result.stderr[-2000:])
        sys.exit(result.returncode)


if __name__ == "__main__":
    main()
