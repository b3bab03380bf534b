"""A Cox model's warnings, notes and design refusals as templates (:mod:`analysis.messages`).

The English template shows a term or covariate as its code in quotes (``{term!r}``), exactly as ``ppx cox`` prints
it; a term's message also carries its ``covariate``, ``level`` and ``reference``
(:func:`analysis.cox_design.term_params`) so that the app (``app/i18n/cox.py``, which marks :data:`COX_TEMPLATES` for
extraction) names it by its label.
"""

from __future__ import annotations

# The design's warnings and refusals, each a template (analysis.messages): a covariate or term by its code.
SINGLE_VALUE = "{covariate!r} has a single value ({value!r}) in these patients and was left out."
CONSTANT = "{covariate!r} is constant ({value}) in these patients and was left out."
COLLINEAR = (
    "{term!r} is constant within strata or a linear combination of other covariates in these patients and was left "
    "out."
)  # fmt: skip
NOTHING_VARIES = "no covariate varies among these patients ({covariates}), so there is nothing to fit"
NOTHING_VARIES_IN_STRATA = "no covariate varies within strata among these patients, so there is nothing to fit"
TOO_LARGE = (
    "{covariate!r} holds {value} at row {row}: a Cox model needs values below {limit} in magnitude (their squares "
    "overflow); rescale the column, for example to other units"
)  # fmt: skip
DESIGN_TEMPLATES: tuple[str, ...] = (
    SINGLE_VALUE, CONSTANT, COLLINEAR, NOTHING_VARIES, NOTHING_VARIES_IN_STRATA, TOO_LARGE,
)  # fmt: skip
"""Every template of the design's warnings (:attr:`Design.wording`) and refusals (``DataError.wording``)."""

ROBUST_NOTE = (
    "Robust (sandwich) standard errors: CIs, Wald z, p and the Wald test use them; the likelihood ratio "
    "and score tests assume independent observations, the Wald and robust score tests do not."
)

# A fit's warnings, each a template (analysis.messages): a term or covariate by its code, shown as its repr.
NOT_ESTIMABLE = (
    "{term!r} is not estimable in these patients (the information matrix is singular in its direction, as R's NA "
    "coefficient) and was left out."
)
NOT_CONVERGED = "The model did not converge in {iterations} iterations; estimates may be unreliable."
INFINITE = (
    "Loglik converged before {term!r}; its coefficient may be infinite (for example a group with no events or every "
    "patient with an event)."
)
FEW_EVENTS = "Only {epv} events per parameter (fewer than {minimum}): estimates may be unstable."
CLUSTER_IGNORED = "cluster {cluster!r} ignored because robust=False (as R)."
PH_SINGULAR = "the proportional-hazards test could not be computed (singular information)"
"""Why :func:`analysis.cox.cox_zph` refuses (a ConvergenceError)."""
COX_TEMPLATES: tuple[str, ...] = (
    *DESIGN_TEMPLATES, NOT_ESTIMABLE, NOT_CONVERGED, INFINITE, FEW_EVENTS, CLUSTER_IGNORED, ROBUST_NOTE, PH_SINGULAR,
)  # fmt: skip
"""Every template a Cox model's warnings, notes and design refusals are worded with."""
