"""The memoized seam of the target-trial panel: options in, an :class:`EmulationResult` (aggregates only) out."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from analysis.emulate import THERAPIES, EmulationResult, emulate_trial
from analysis.errors import PPXError
from analysis.filters import FilterSpec
from analysis.messages import Message
from app.cache import cache
from app.i18n import N_
from app.views import filtered, worded_error

GRACE_CHOICES: tuple[float, ...] = (1.0, 2.0, 3.0, 6.0)
DEFAULT_GRACE = 3.0
BOOTSTRAP_RESAMPLES = 200
BOOTSTRAP_SEED = 2022
TIMES: tuple[float, ...] = (6.0, 12.0)
TAU = 12.0
NO_EMULATION = N_("No emulated trial: {reason}")


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


@dataclass(frozen=True)
class EmulationView:
    """What the panel shows: its options, and whether its bootstrap has run (CIs and bands, :data:`BOOTSTRAP_RESAMPLES`
    resamples)."""

    options: EmulationOptions
    bootstrap: bool = False

    @property
    def n_bootstrap(self) -> int:
        return BOOTSTRAP_RESAMPLES if self.bootstrap else 0


def view_text(view: EmulationView) -> str:
    """The view as the tail of its token (``emulation.{tail}``, :class:`app.components.presenter.ViewRef`): ``any``,
    ``ici``, ``any.grace2``, ``ici.grace6.boot``. The default grace period is left out, so ``emulation.any`` stays
    the default view."""
    grace = "" if view.options.grace == DEFAULT_GRACE else f".grace{view.options.grace:g}"
    return view.options.therapy + grace + (".boot" if view.bootstrap else "")


def view_from_text(text: str) -> EmulationView | None:
    """The view a token's tail names (:func:`view_text`); None for anything the panel does not offer (a hand-edited
    URL never raises)."""
    found = re.fullmatch(r"([a-z]+)(?:\.grace([0-9]+))?(\.boot)?", text)
    if found is None or found[1] not in THERAPIES:
        return None
    grace = float(found[2]) if found[2] is not None else DEFAULT_GRACE
    return EmulationView(EmulationOptions(grace, found[1]), found[3] is not None) if grace in GRACE_CHOICES else None


@cache.memoize(args_to_ignore=["progress"])
def emulation_view(
    fingerprint: str,
    spec: FilterSpec,
    options: EmulationOptions,
    n_bootstrap: int = 0,
    progress: Callable[[int, int], None] | None = None,
) -> EmulationResult | Message:
    """The emulated trial for one key (memoized), or a message why there is none (:func:`app.i18n.refusals.word`
    words it)."""
    frame = filtered(fingerprint, spec).frame
    if frame.empty:
        return Message(N_("No patients match these filters."))
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
        return Message.of(NO_EMULATION, reason=worded_error(exc))
