"""The analysis layer's English labels that the app shows, marked here for extraction (analysis stays free of
the translation layer). ``tests/test_i18n.py`` checks that every label of :data:`analysis.schema.ENDPOINTS` is here."""

from __future__ import annotations

from app.i18n import N_

BUNDLED_COHORT_NAME = N_("Synthetic KLC-like cohort (SYNTHETIC)")
""":data:`analysis.cohort.BUNDLED_NAME`, the bundled dataset's name (an upload keeps its file's name)."""

COLUMN_LABELS: tuple[str, ...] = (
    N_("Centre"),
    N_("First-line drug"),
    N_("Age (years)"),
    N_("Sex"),
    N_("Etiology"),
    N_("BCLC stage"),
    N_("Child-Pugh score (points)"),
    N_("Child-Pugh class"),
    N_("ALBI score"),
    N_("ALBI grade"),
    N_("FIB-4 index"),
    N_("AFP (ng/mL)"),
    N_("AFP ≥ 400 ng/mL"),
    N_("ECOG performance status"),
    N_("Macrovascular invasion"),
    N_("Extrahepatic spread"),
    N_("Best response (first line)"),
    N_("Disease control (first line)"),
    N_("Objective response (first line)"),
    N_("Post-progression therapy"),
    N_("Post-progression therapy class"),
    N_("ICI after progression"),
    N_("Post-progression: ICI, other therapy, none"),
    N_("Child-Pugh score at progression"),
    N_("ALBI score at progression"),
    N_("ECOG performance status at progression"),
    N_("AFP at progression (ng/mL)"),
)
""":data:`analysis.schema.LABELS`, the data dictionary's display labels (Table 1, Cox terms, caveats, filters)."""

DATA_VALUES: tuple[str, ...] = (N_("alcohol"), N_("other"))
"""Category values of the bundled data shown as they are in English (etiology); the other values are names or
abbreviations (HBV, HCV, MASLD) or have labels in :mod:`app.components.palette`."""

EXPOSURE_LEVEL_LABELS: tuple[str, ...] = (
    N_("No therapy yet"),
    N_("Post-progression therapy"),
    N_("No ICI yet"),
    N_("ICI"),
)
""":data:`analysis.postprog.EXPOSURE_LEVELS`, the corrected analyses' group names (landmark, Simon–Makuch)."""

FORMAT_WORDS: tuple[str, ...] = (N_("undefined"), N_("not estimable"))
""":data:`analysis.formatting.UNDEFINED` and ``NOT_ESTIMABLE``, the words a table cell shows instead of a number."""

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

PARAMETRIC_STATEMENTS: tuple[str, ...] = (
    N_(
        "Beyond the end of follow-up the curves, and the mean survival computed from them, are not data but "
        "the assumption that the chosen model's shape continues; different models that fit the observed data "
        "equally well can give very different means."
    ),
    N_(
        "The chosen model has the lowest AIC (AIC = 2k − 2 log L, k parameters); BIC = k log(n) − 2 log L "
        "with n patients is shown beside it. A difference in AIC under 2 is not a meaningful preference: "
        "check the curves against the Kaplan–Meier and the clinical plausibility of the tail (NICE DSU TSD "
        "14)."
    ),
    N_(
        "one tenth of the span of the event times, to two significant figures; the smoothed hazard is shown "
        "up to one bandwidth before the last event time, where the kernel runs out of data"
    ),
    N_(
        "delta method through the fit's variance matrix (numerical gradient), on the log scale; not "
        "lifelines' RMST variance, which is known to be wrong"
    ),
    N_("infinite under this model (its survival levels off or its tail is too heavy)"),
    N_("not estimable under this model"),
    N_("the fit's variance matrix is not available"),
    N_("the delta-method variance is not finite"),
    N_("fitted at lifelines' default tolerance (the tight one stopped short: precision loss)"),
)
""":mod:`analysis.parametric`'s statements and reasons shown by the Parametric section and its exports (the
extrapolation statement, the model choice, the bandwidth rule, the CI method, why an estimate is missing)."""
