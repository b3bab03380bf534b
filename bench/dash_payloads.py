"""Real ``/_dash-update-component`` request bodies, built from the server's own ``/_dash-dependencies``.

The browser's Dash renderer posts, for each callback it fires, the callback's
``output`` key, the ``outputs`` it expects, every ``inputs``/``state`` value and
the ``changedPropIds`` that triggered it. This module builds the same bodies
from the dependency list the renderer downloads, so the load test and the ops
tests exercise the exact request shape a browser sends.

What a browser does for one filter change on a page (``FilterAction``):

1. ``sync_filters``: the control's new value -> the new URL query;
2. Dash Pages re-renders the page for the new URL (``_pages_content``);
3. the shell's patient count (``n-badge``) for the new URL;
4. the page's own callbacks (Survival: figure and tables, immortal-time guard;
   Cox: the model tables).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from analysis.filters import FilterSpec
from app.components.filter_panel import FILTER_CONTROLS, controls_from_spec
from app.ids import Ids
from app.urlstate import with_filters
from app.views import STUDY_COVARIATES

CALLBACK_PATH = "/_dash-update-component"


def _split_outputs(output: str) -> list[dict[str, str]]:
    parts = output[2:-2].split("...") if output.startswith("..") else [output]
    pairs = [part.rsplit(".", 1) for part in parts]
    return [{"id": component, "property": prop} for component, prop in pairs]


class Dependencies:
    """The app's callbacks as the renderer sees them (the JSON of ``GET /_dash-dependencies``)."""

    def __init__(self, dependencies: Sequence[Mapping[str, Any]]) -> None:
        self.by_output = {str(d["output"]): d for d in dependencies}

    def find(self, first_output: str) -> Mapping[str, Any]:
        """The callback whose first output is ``first_output`` (``"surv-figure.figure"``, or an input
        ``"cox-compute.n_clicks"`` for a callback whose outputs are duplicates)."""
        for key, dependency in self.by_output.items():
            outputs = _split_outputs(key)
            if f"{outputs[0]['id']}.{outputs[0]['property']}" == first_output:
                return dependency
        for dependency in self.by_output.values():
            if [f"{i['id']}.{i['property']}" for i in dependency["inputs"]] == [first_output]:
                return dependency
        raise KeyError(f"no callback has the first output (or sole input) {first_output!r}")

    def body(
        self, first_output: str, values: Mapping[str, Any], changed: Sequence[str] | None = None
    ) -> dict[str, Any]:
        """The request body for that callback; ``values`` maps ``"id.property"`` to the current value."""
        dependency = self.find(first_output)
        output = str(dependency["output"])
        outputs = _split_outputs(output)

        def props(items: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
            return [
                {"id": i["id"], "property": i["property"], "value": values.get(f"{i['id']}.{i['property']}")}
                for i in items
            ]

        inputs = props(dependency["inputs"])
        return {
            "output": output,
            "outputs": outputs if output.startswith("..") else outputs[0],
            "inputs": inputs,
            "changedPropIds": list(changed) if changed is not None else [f"{i['id']}.{i['property']}" for i in inputs],
            "state": props(dependency.get("state", [])),
        }


SURVIVAL_VIEW: dict[str, Any] = {
    f"{Ids.SURV_ENDPOINT}.value": "os",
    f"{Ids.SURV_GROUP}.value": "first_line",
    f"{Ids.SURV_TEST}.value": "logrank",
    f"{Ids.SURV_CONF}.value": "log-log",
    f"{Ids.SURV_OPTIONS}.value": ["ci", "censor"],
    f"{Ids.SURV_LANDMARK}.value": 6.0,
}
COX_VIEW: dict[str, Any] = {
    f"{Ids.COX_ENDPOINT}.value": "os",
    f"{Ids.COX_COVARIATES}.value": list(STUDY_COVARIATES),
}
PAGE_CALLBACKS: dict[str, tuple[tuple[str, dict[str, Any]], ...]] = {
    "/survival": (("surv-figure.figure", SURVIVAL_VIEW), ("surv-guard.children", SURVIVAL_VIEW)),
    "/cox": (("cox-model.children", COX_VIEW),),
}
"""Per page: the callbacks a page (re)load fires, by first output, with the page's default view values."""

FILTER_CHOICES: tuple[FilterSpec, ...] = (
    FilterSpec(),
    FilterSpec.create(first_line=["sorafenib"]),
    FilterSpec.create(first_line=["lenvatinib"]),
    FilterSpec.create(bclc=["C"]),
    FilterSpec.create(child_pugh=["A"]),
    FilterSpec.create(first_line=["lenvatinib"], bclc=["B", "C"]),
    FilterSpec.create(etiology=["HCV", "HBV"]),
    FilterSpec.create(first_line=["sorafenib"], child_pugh=["A"]),
)
"""Filters the simulated users switch between (a department looking at the usual subgroups)."""


@dataclass(frozen=True)
class Step:
    name: str
    body: dict[str, Any]
    expect: str
    """A string the response must contain (proves the callback did its work)."""


def control_values(spec: FilterSpec) -> dict[str, Any]:
    return {f"{c}.value": v for c, v in zip(FILTER_CONTROLS, controls_from_spec(spec), strict=True)}


def search_of(spec: FilterSpec) -> str:
    """The URL query string (with its ``?``) the shell writes for ``spec``."""
    query = with_filters("", spec).lstrip("?")
    return f"?{query}" if query else ""


def filter_change(deps: Dependencies, page: str, old: FilterSpec, new: FilterSpec) -> list[Step]:
    """The requests a browser on ``page`` sends when the user changes the filters from ``old`` to ``new``."""
    old_search, new_search = search_of(old), search_of(new)
    old_values, new_values = control_values(old), control_values(new)
    differing = [c for c in FILTER_CONTROLS if old_values[f"{c}.value"] != new_values[f"{c}.value"]]
    changed = differing[0] if differing else FILTER_CONTROLS[0]
    sync_values = {f"{Ids.URL}.search": old_search, **new_values, f"{Ids.RESET}.n_clicks": None}
    after = {f"{Ids.URL}.search": new_search, "_pages_location.pathname": page, "_pages_location.search": new_search}
    steps = [
        Step("sync_filters", deps.body("url.search", sync_values, [f"{changed}.value"]), '"response"'),
        Step("page_layout", deps.body("_pages_content.children", after), '"_pages_content"'),
        Step("n_badge", deps.body("n-badge.children", after), "n = "),
    ]
    for output, view in PAGE_CALLBACKS[page]:
        steps.append(Step(output.split(".")[0], deps.body(output, {**view, **after}), '"response"'))
    return steps
