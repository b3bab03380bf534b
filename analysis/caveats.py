"""The one rule for naive comparisons: which groupings and covariates are defined after time zero.

A variable known only after an endpoint's time zero cannot be treated as a baseline
grouping or covariate of that endpoint: patients must survive (and stay followed) until
it is known, so the time before is "immortal" for one of the groups. Grouping or
adjusting for it naively flatters that group (immortal-time or guarantee-time bias).

Decisions (documented on the Methods page and in the README):

- **Post-progression therapy** (``pp_received``, ``pp_class``, ``pp_ici``,
  ``pp_group``, ``pp_therapy``) starts after progression, so after the time zero
  of OS and PFS (first-line start) and of PPS (progression). Its corrected
  counterpart is the time-varying Cox model (the exposure switches on at
  ``pp_start``; :func:`analysis.postprog.time_varying_cox`), with landmark and
  Simon–Makuch analyses, for OS.
- **Response to the first line** (``best_response``, ``disease_control``,
  ``objective_response``) is known only at the response assessment, after the
  first-line start: a caveat for OS and PFS (not for PPS, whose time zero,
  progression, comes after it). The cohort has no date of response, so no
  time-varying counterpart can be built; the caveat says so and names the usual
  correction (a landmark at the assessment time).
- **Progression** (``progressed``) is an event after time zero; grouping OS by it
  conditions on the future.
- Everything in the schema's "Baseline" and "First line" groups is known at time
  zero: no caveat.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

CounterpartKind = Literal["time_varying", "os_only", "undated"]
"""Which corrected counterpart a caveat names: the time-varying Cox model (OS, a dated exposure); none for this
endpoint (read it beside the OS model); none at all (the data have no date for the variable)."""
ENDPOINT_TIME_ZERO: dict[str, str] = {"os": "first-line start", "pfs": "first-line start", "pps": "progression"}
"""Endpoint key -> its time zero, in words."""


@dataclass(frozen=True)
class PostBaseline:
    """A variable defined after time zero: when it becomes known, and its corrected counterpart."""

    variable: str
    known_at: str
    """When the variable becomes known, in words."""
    endpoints: tuple[str, ...]
    """Endpoints whose time zero comes before the variable is known (the naive comparison is biased)."""
    exposure: str | None
    """The exposure of the time-varying counterpart (switched on at ``pp_start``), or None if none can be built."""


_PP = ("os", "pfs", "pps")
POST_BASELINE: dict[str, PostBaseline] = {
    "pp_received": PostBaseline("pp_received", "post-progression therapy starts", _PP, "pp_received"),
    "pp_class": PostBaseline("pp_class", "post-progression therapy starts", _PP, "pp_received"),
    "pp_therapy": PostBaseline("pp_therapy", "post-progression therapy starts", _PP, "pp_received"),
    "pp_ici": PostBaseline("pp_ici", "an ICI starts after progression", _PP, "pp_ici"),
    "pp_group": PostBaseline("pp_group", "post-progression therapy (ICI or other) starts", _PP, "pp_ici"),
    "best_response": PostBaseline("best_response", "the first-line response is assessed", ("os", "pfs"), None),
    "disease_control": PostBaseline("disease_control", "the first-line response is assessed", ("os", "pfs"), None),
    "objective_response": PostBaseline(
        "objective_response", "the first-line response is assessed", ("os", "pfs"), None
    ),
    "progressed": PostBaseline("progressed", "the disease progresses", ("os",), None),
}
"""Every variable defined after time zero (the one list; pages, exports and the CLI read it)."""

TIME_VARYING_EXPOSURES: tuple[str, ...] = ("pp_received", "pp_ici")
"""Exposures the product can model as time-varying (they switch on at ``pp_start``)."""


@dataclass(frozen=True)
class Caveat:
    """The plain-language caveat for one variable in one analysis, and its corrected counterpart."""

    variable: str
    endpoint: str
    text: str
    counterpart: str
    exposure: str | None
    known_at: str = ""
    """When the variable becomes known, in words ("post-progression therapy starts")."""

    @property
    def kind(self) -> CounterpartKind:
        """The corrected counterpart's kind (:func:`counterpart_kind`); the app words it from this code."""
        return counterpart_kind(self.exposure, self.endpoint)

    def warning(self) -> str:
        """The caveat as one line of text (a JSON ``warnings`` entry, a stderr note)."""
        return f"{self.text} {self.counterpart[0].upper()}{self.counterpart[1:]}."

    def to_dict(self) -> dict[str, Any]:
        return {
            "variable": self.variable,
            "endpoint": self.endpoint,
            "kind": "immortal-time bias",
            "text": self.text,
            "counterpart": self.counterpart,
            "time_varying_exposure": self.exposure,
        }


def post_baseline(variable: str | None) -> PostBaseline | None:
    """The rule's entry for a variable, or None when it is known at time zero (or unknown to the rule)."""
    return None if variable is None else POST_BASELINE.get(variable)


def counterpart_kind(exposure: str | None, endpoint: str) -> CounterpartKind:
    """The corrected counterpart available for a variable with time-varying ``exposure`` (or None) in ``endpoint``."""
    if exposure is not None and endpoint == "os":
        return "time_varying"
    return "os_only" if exposure is not None else "undated"


def _counterpart(entry: PostBaseline, endpoint: str) -> str:
    kind = counterpart_kind(entry.exposure, endpoint)
    if kind == "time_varying":
        return (
            f"corrected counterpart: a Cox model with {entry.exposure} as a time-varying covariate "
            "(switched on at pp_start), and landmark and Simon–Makuch analyses"
        )
    if kind == "os_only":
        return (
            "no time-varying counterpart for this endpoint here; read it beside the time-varying Cox model for OS "
            "and do not read the difference as an effect of the therapy"
        )
    return (
        "no time-varying counterpart can be built (the data have no date for it); the usual correction is a "
        "landmark analysis at the time it becomes known"
    )


def caveat(variable: str | None, endpoint: str | None) -> Caveat | None:
    """The caveat for grouping (or adjusting) ``endpoint`` by ``variable``, or None when none applies."""
    entry = post_baseline(variable)
    if entry is None or endpoint is None or endpoint not in entry.endpoints:
        return None
    zero = ENDPOINT_TIME_ZERO.get(endpoint, "time zero")
    text = (
        f"Immortal-time bias: {entry.variable} is known only when {entry.known_at}, after this endpoint's time "
        f"zero ({zero}). Patients must survive until then to be counted in one group, so the naive comparison "
        "credits that waiting time to it and flatters it even when it does nothing."
    )
    return Caveat(entry.variable, endpoint, text, _counterpart(entry, endpoint), entry.exposure, entry.known_at)


def caveats(variables: Iterable[str | None], endpoint: str | None) -> tuple[Caveat, ...]:
    """The caveats for several groupings or covariates of one endpoint (in order, once each)."""
    out: list[Caveat] = []
    for variable in dict.fromkeys(variables):
        found = caveat(variable, endpoint)
        if found is not None:
            out.append(found)
    return tuple(out)


def time_varying_exposures(found: Iterable[Caveat]) -> tuple[str, ...]:
    """The exposures of a time-varying counterpart that the caveats call for (in the product's order)."""
    wanted = {c.exposure for c in found if c.exposure is not None and c.endpoint == "os"}
    if "pp_ici" in wanted:
        wanted.add("pp_received")  # ICI vs other therapy vs none needs both switches
    return tuple(e for e in TIME_VARYING_EXPOSURES if e in wanted)


def footer_text(found: Iterable[Caveat]) -> str | None:
    """One short line for an export's footer or a slide's note, or None when nothing applies."""
    names = [c.variable for c in found]
    if not names:
        return None
    return (
        f"Caveat: {', '.join(names)} defined after time zero (immortal-time bias); the naive comparison flatters "
        "the exposed group. See the time-varying / landmark analyses."
    )
