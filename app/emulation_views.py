"""The memoized seam of the target-trial panel: options in, an :class:`EmulationResult` (aggregates only) out."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from analysis.emulate import THERAPIES, EmulationResult, emulate_trial
from analysis.errors import PPXError
from analysis.filters import FilterSpec
from app.cache import cache
from app.i18n import N_
from app.views import filtered

GRACE_CHOICES: tuple[float, ...] = (1.0, 2.0, 3.0, 6.0)
DEFAULT_GRACE = 3.0
BOOTSTRAP_RESAMPLES = 200
BOOTSTRAP_SEED = 2022
TIMES: tuple[float, ...] = (6.0, 12.0)
TAU = 12.0


@dataclass(frozen=True)
class EmulationOptions:
    """The panel's normalised options (hashable: part of the cache key)."""

    grace: float
    therapy: str


def options_of(grace: str | float | None, therapy: str | None) -> EmulationOptions:
    """Unknown values fall back to the defaults (3 months, any therapy)."""
    try:
        months = float(grace) if grace is not None else DEFAULT_GRACE
    except ValueError:
        months = DEFAULT_GRACE
    return EmulationOptions(
        grace=months if months in GRACE_CHOICES else DEFAULT_GRACE,
        therapy=therapy if therapy in THERAPIES else "any",
    )


@cache.memoize(args_to_ignore=["progress"])
def emulation_view(
    fingerprint: str,
    spec: FilterSpec,
    options: EmulationOptions,
    n_bootstrap: int = 0,
    progress: Callable[[int, int], None] | None = None,
) -> EmulationResult | str:
    """The emulated trial for one key (memoized), or a message why there is none."""
    frame = filtered(fingerprint, spec).frame
    if frame.empty:
        return N_("No patients match these filters.")
    try:
        return emulate_trial(
            frame,
            grace=options.grace,
            therapy=options.therapy,
            times=TIMES,
            tau=TAU,
            n_bootstrap=n_bootstrap,
            seed=BOOTSTRAP_SEED,
            progress=progress,
        )
    except PPXError as exc:
        return f"No emulated trial: {exc}"
