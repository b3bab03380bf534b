"""The Dockerfile (no Docker engine here) runs the same install and start commands as the Makefile and CI.

Read as text: multi-stage, slim base, non-root user, HEALTHCHECK on /healthz,
gunicorn with the repository's config as entry point, Chromium installed, and
pip commands identical to the Makefile's ``install`` recipe (which ``.ci/run``
reaches through ``make test``). The compose example wires the app, a Celery
worker and Redis.
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, with continuation lines joined and comments dropped."""
    joined = re.sub(r"\\\n", " ", text)
    out: list[tuple[str, str]] = []
    for line in joined.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        word, _, rest = line.partition(" ")
        out.append((word.upper(), rest.strip()))
    return out


def _pip_installs(commands: list[str]) -> list[list[str]]:
    """Each `pip install` as its argument list after 'install', interpreter path and -e/. normalised."""
    found: list[list[str]] = []
    for command in commands:
        for part in command.split("&&"):
            words = shlex.split(part.replace("$(BIN)", "BIN"))
            if "pip" in words and "install" in words:
                args = words[words.index("install") + 1 :]
                found.append([a for a in args if a not in ("-e", "--quiet")])
    return found


def _make_recipe(target: str) -> list[str]:
    lines = (ROOT / "Makefile").read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if re.match(rf"^{re.escape(target)}:", line))
    recipe = []
    for line in lines[start + 1 :]:
        if not line.startswith("\t"):
            break
        recipe.append(line.strip().lstrip("@"))
    return recipe


DOCKERFILE = _instructions((ROOT / "Dockerfile").read_text(encoding="utf-8"))


def test_multi_stage_slim_non_root_with_healthcheck() -> None:
    bases = [args for word, args in DOCKERFILE if word == "FROM"]
    assert len(bases) >= 2 and all("slim" in base for base in bases)
    users = [args for word, args in DOCKERFILE if word == "USER"]
    assert users and users[-1] not in ("root", "0")
    health = " ".join(args for word, args in DOCKERFILE if word == "HEALTHCHECK")
    assert "/healthz" in health and "--interval" in health
    runs = " ".join(args for word, args in DOCKERFILE if word == "RUN")
    assert "apt-get install" in runs and "chromium" in runs and "rm -rf /var/lib/apt/lists" in runs
    # the venv built in the first stage is what the runtime stage gets, not the compilers
    assert any(word == "COPY" and args.startswith("--from=build /opt/venv") for word, args in DOCKERFILE)


def test_install_steps_are_the_makefiles() -> None:
    docker = _pip_installs([args for word, args in DOCKERFILE if word == "RUN"])
    make = _pip_installs(_make_recipe("$(STAMP)"))
    assert docker == make
    assert docker[0][-2:] == ["-r", "requirements.lock"]
    assert docker[1][-1] == "."


def test_entry_point_is_the_makefiles_gunicorn_command() -> None:
    entry = next(json.loads(args) for word, args in DOCKERFILE if word == "ENTRYPOINT")
    run = shlex.split(_make_recipe("run")[0].replace("$(BIN)/", ""))
    assert entry == run == ["gunicorn", "--config", "gunicorn.conf.py", "app.wsgi:server"]
    copied = " ".join(args for word, args in DOCKERFILE if word == "COPY")
    for path in ("gunicorn.conf.py", "requirements.lock", "pyproject.toml", "analysis", "app", "data"):
        assert path in copied and (ROOT / path).exists()
    env = " ".join(args for word, args in DOCKERFILE if word == "ENV")
    assert 'PPX_BIND="0.0.0.0:8050"' in env and "PPX_COHORT_PATH" in env


def test_ci_runs_make_test_and_installs_the_system_packages() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert ci.strip().splitlines()[-1] == "make test"
    assert "scripts/system-deps.sh" in ci
    deps = (ROOT / "scripts" / "system-deps.sh").read_text(encoding="utf-8")
    assert "redis-server" in deps and "chromium-driver" in deps
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8").splitlines()
    assert any(line.startswith("test:") and "sysdeps" in line for line in makefile)
    assert any("hadolint Dockerfile" in line for line in _make_recipe("lint-docker"))


def test_compose_has_app_worker_and_redis() -> None:
    compose = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    for service in ("redis:", "app:", "worker:"):
        assert re.search(rf"^  {service}", compose, re.M), service
    assert compose.count("REDIS_URL: redis://redis:6379/0") == 2
    assert '"celery", "-A", "app.celery_app", "worker"' in compose
    assert '"--save", ""' in compose
