"""The analysis layer's English labels that the app shows, marked here for extraction (analysis stays free of
the translation layer). ``tests/test_i18n.py`` checks that every label of :data:`analysis.schema.ENDPOINTS` is here."""

from __future__ import annotations

from app.i18n import N_

BUNDLED_COHORT_NAME = N_("Synthetic KLC-like cohort (SYNTHETIC)")
""":data:`analysis.cohort.BUNDLED_NAME`, the bundled dataset's name (an upload keeps its file's name)."""

ENDPOINT_LABELS: tuple[str, ...] = (
    N_("Overall survival"),
    N_("Progression-free survival"),
    N_("Post-progression survival"),
)

PARAMETRIC_MODEL_LABELS: tuple[str, ...] = (
    N_("Exponential"),
    N_("Weibull"),
    N_("Gompertz"),
    N_("Log-normal"),
    N_("Log-logistic"),
    N_("Generalised gamma"),
)
""":data:`analysis.parametric.MODEL_LABELS` (the Parametric section, the Cox page's AFT check, their exports)."""
