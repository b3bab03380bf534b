"""Running a Dash background callback over HTTP as the renderer does: start it, then poll until it answers.

``post(body, params)`` sends one ``/_dash-update-component`` request and returns its JSON (None for 204).
The first request starts the job and returns ``cacheKey`` and ``job``; each poll sends the same body with
them as query parameters, and returns ``progress`` while the job runs and ``response`` once it is done.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

Post = Callable[[dict[str, Any], dict[str, str]], Any]


def dependency_with_input(dependencies: Sequence[Mapping[str, Any]], input_id: str) -> Mapping[str, Any]:
    """The callback that has ``input_id`` (``"data-read-request.data"``) among its inputs."""
    for dependency in dependencies:
        if any(f"{i['id']}.{i['property']}" == input_id for i in dependency["inputs"]):
            return dependency
    raise KeyError(f"no callback has the input {input_id!r}")


def run_job(post: Post, body: dict[str, Any], timeout_s: float = 60) -> tuple[dict[str, Any], list[Any]]:
    """The job's final answer and every progress update seen while it ran."""
    first = post(body, {})
    if first is None or "response" in first:
        return first or {}, []
    handles = {"cacheKey": str(first["cacheKey"]), "job": str(first["job"])}
    seen: list[Any] = []
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        answer = post(body, handles)
        if answer is not None and "progress" in answer:
            seen.append(answer["progress"])
        if answer is not None and "response" in answer:
            return dict(answer), seen
        time.sleep(0.2)
    raise TimeoutError(f"the background job did not answer within {timeout_s} s")
