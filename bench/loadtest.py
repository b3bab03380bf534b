"""`make loadtest`: Locust, headless and time-bounded, against gunicorn on loopback.

Starts ``gunicorn -c gunicorn.conf.py app.wsgi:server`` with 4 workers on a
free 127.0.0.1 port (cold cache and session directories of its own; Redis if
``REDIS_URL`` is set), waits for ``/readyz``, runs ``bench/locustfile.py``
(50 users changing filters on the Survival and Cox pages every 1-3 s, for
2 minutes), stops gunicorn and reports requests per second, p50/p95/p99
latency and errors. Exit status 1 if any request failed.

    python -m bench.loadtest [--users 50] [--duration 120] [--workers 4] [--out bench/loadtest.json]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_ready(url: str, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise TimeoutError(f"{url} not ready after {timeout_s:.0f} s")


def start_gunicorn(
    port: int, workers: int, scratch: Path, log: Path, extra_env: Mapping[str, str] | None = None
) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "PPX_BIND": f"127.0.0.1:{port}",
        "PPX_WORKERS": str(workers),
        "PPX_CACHE_DIR": str(scratch / "cache"),
        "PPX_SESSION_DIR": str(scratch / "sessions"),
        "PPX_JOBS_DIR": str(scratch / "jobs"),
        "PPX_EXPORT_DIR": str(scratch / "export"),
        **(extra_env or {}),
    }
    env.pop("PPX_CACHE_TYPE", None)
    with log.open("wb") as handle:
        return subprocess.Popen(
            [str(BIN / "gunicorn"), "--config", "gunicorn.conf.py", "app.wsgi:server"],
            cwd=ROOT,
            env=env,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _row(row: dict[str, str]) -> dict[str, Any]:
    return {
        "name": row["Name"],
        "requests": int(row["Request Count"]),
        "failures": int(row["Failure Count"]),
        "rps": round(float(row["Requests/s"]), 1),
        "p50_ms": float(row["50%"]),
        "p95_ms": float(row["95%"]),
        "p99_ms": float(row["99%"]),
        "max_ms": round(float(row["Max Response Time"]), 1),
    }


def read_stats(prefix: Path) -> dict[str, Any]:
    with open(f"{prefix}_stats.csv", newline="", encoding="utf-8") as handle:
        rows = [_row(r) for r in csv.DictReader(handle)]
    total = next(r for r in rows if r["name"] == "Aggregated")
    return {"total": total, "by_request": [r for r in rows if r["name"] != "Aggregated"]}


def machine() -> dict[str, Any]:
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    python = sys.version.split()[0]
    return {"platform": platform.platform(), "cpus": os.cpu_count(), "cpu_model": model, "python": python}


def run(args: argparse.Namespace) -> dict[str, Any]:
    scratch = Path(tempfile.mkdtemp(prefix="ppx-loadtest-"))
    port = free_port()
    host = f"http://127.0.0.1:{port}"
    server = start_gunicorn(port, args.workers, scratch, scratch / "gunicorn.log")
    try:
        wait_ready(f"{host}/readyz", timeout_s=90)
        locust = [
            sys.executable, "-W", "ignore::DeprecationWarning", "-m", "bench.locust_main",
            "-f", str(ROOT / "bench" / "locustfile.py"),
            "--headless", "--only-summary",
            "--host", host,
            "--users", str(args.users),
            "--spawn-rate", str(args.spawn_rate),
            "--run-time", f"{args.duration}s",
            "--stop-timeout", "10",
            "--csv", str(scratch / "locust"),
            "--loglevel", "WARNING",
        ]  # fmt: skip
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        subprocess.run(locust, cwd=ROOT, env=env, timeout=args.duration + 120, check=False)
        stats = read_stats(scratch / "locust")
    finally:
        stop(server)
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "setup": {
            "users": args.users,
            "spawn_rate": args.spawn_rate,
            "duration_s": args.duration,
            "gunicorn_workers": args.workers,
            "state": "redis" if os.environ.get("REDIS_URL") else "filesystem",
            "think_time_s": [1, 3],
            "pages": ["/survival", "/cox"],
        },
        **stats,
        "server_log": str(scratch / "gunicorn.log"),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--spawn-rate", type=float, default=10)
    parser.add_argument("--duration", type=int, default=120, help="seconds")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--out", default="bench/loadtest.json")
    args = parser.parse_args(argv)
    result = run(args)
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    total = result["total"]
    print(f"{'request':<34} {'n':>6} {'fail':>5} {'rps':>6} {'p50':>6} {'p95':>6} {'p99':>6}  ms")
    for row in [*result["by_request"], total]:
        print(
            f"{row['name']:<34} {row['requests']:>6} {row['failures']:>5} {row['rps']:>6} "
            f"{row['p50_ms']:>6.0f} {row['p95_ms']:>6.0f} {row['p99_ms']:>6.0f}"
        )
    print(f"JSON written to {args.out}; server log {result['server_log']}")
    if total["failures"]:
        print(f"FAILED: {total['failures']} of {total['requests']} requests failed", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
