"""The Survival page's view in its URL: the choices, their defaults, and when the immortal-time guard is shown.

One place for the page's layout and callbacks, the target-trial panel (computed only while the guard shows it)
and app/assets/urlstate.js (which mirrors :data:`DEFAULT_VIEW` and :func:`parse_landmark`).
"""

from __future__ import annotations

from analysis.schema import ENDPOINTS
from app import urlstate
from app.components.palette import GROUPINGS
from app.i18n import N_
from app.views import GUARD_EXPOSURE

TESTS: dict[str, str] = {
    "logrank": N_("Log-rank"),
    "wilcoxon": N_("Wilcoxon (Gehan–Breslow)"),
    "tarone-ware": N_("Tarone–Ware"),
    "peto": N_("Peto–Peto"),
    "fleming-harrington": N_("Fleming–Harrington (1, 0)"),
}
CONF_TYPES: dict[str, str] = {
    "log-log": N_("log-log (SAS, Stata, lifelines)"),
    "log": N_("log (R default)"),
    "plain": N_("plain"),
}
SHOW: dict[str, str] = {
    "ci": N_("CI bands"),
    "censor": N_("Censor ticks"),
    "events": N_("Events row"),
    "censored": N_("Censored row"),
    "pairwise": N_("Pairwise tests (Holm)"),
}
DEFAULT_SHOW = ("ci", "censor")
NO_GROUPING = "none"
DEFAULT_LANDMARK = 6.0


def _choice(value: str | None, allowed: dict[str, str] | tuple[str, ...], default: str) -> str:
    return value if value is not None and value in allowed else default


def view_options(
    endpoint: str | None, group: str | None, test: str | None, conf: str | None, show: str | None
) -> tuple[str, str, str, str, tuple[str, ...]]:
    """Normalise the page's URL parameters (unknown values fall back to defaults)."""
    shown = DEFAULT_SHOW if show is None else tuple(s for s in show.split(",") if s in SHOW)
    return (
        _choice(endpoint, tuple(ENDPOINTS), "os"),
        _choice(group, (*GROUPINGS, NO_GROUPING), "first_line"),
        _choice(test, TESTS, "logrank"),
        _choice(conf, CONF_TYPES, "log-log"),
        shown,
    )


DEFAULT_VIEW: dict[str, str] = {
    "endpoint": "os",
    "group": "first_line",
    "test": "logrank",
    "conf": "log-log",
    "show": ",".join(DEFAULT_SHOW),
    "landmark": f"{DEFAULT_LANDMARK:g}",
}
"""What an absent URL key means: the page writes a key into the URL only once the view departs from it."""


def parse_landmark(text: str | float | None) -> float:
    """The landmark in months from the URL or the input; 6 when missing or invalid."""
    try:
        value = float(text) if text is not None else DEFAULT_LANDMARK
    except ValueError:
        return DEFAULT_LANDMARK
    return value if 0 <= value < 1000 else DEFAULT_LANDMARK


def guarded(endpoint: str, group: str | None) -> bool:
    """OS grouped by something that happens after baseline: show the immortal-time guard."""
    return endpoint == "os" and group in GUARD_EXPOSURE


def view_of(search: str | None) -> tuple[str, str, str, str, tuple[str, ...], float]:
    """The page's view in the URL, normalised: endpoint, grouping, test, CI type, shown options, landmark."""
    query = urlstate.parse(search)
    keys = ("endpoint", "group", "test", "conf", "show")
    return (*view_options(*(query.get(k) for k in keys)), parse_landmark(query.get("landmark")))


def guard_shown(search: str | None) -> bool:
    """Whether the Survival page at this URL shows the immortal-time guard (and the target-trial panel in it)."""
    endpoint, group, *_ = view_of(search)
    return guarded(endpoint, group)
