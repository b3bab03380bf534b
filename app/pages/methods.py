"""Methods page: how each statistic is computed, its conventions, software versions and data provenance."""

from __future__ import annotations

import sys
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import dash
from dash import dcc, html

from analysis import __version__
from app import datasets, i18n
from app.i18n import N_

dash.register_page(__name__, path="/methods", name=N_("Methods"), title="Methods · Post-Progression Explorer", order=5)

PACKAGES = ("dash", "plotly", "pandas", "numpy", "scipy", "lifelines", "flask-caching", "gunicorn")

METHODS_SECTIONS: tuple[str, ...] = (
    N_(
        """\
### Time and endpoints
- Analyses run in **months = days / 30.4375** (365.25 / 12).
- **OS**: first-line start to death (event) or last contact (censored).
- **PFS**: first-line start to progression or death, whichever comes first; otherwise censored at last contact.
- **PPS** (post-progression survival): progression date to death or last contact, among patients who progressed.
"""
    ),
    N_(
        """\
### Kaplan–Meier
- Product-limit estimator with Greenwood variance. **95% CI type** is selectable: *log-log* (default, as in SAS,
  Stata and lifelines), *log* (R's `survfit` default) or *plain*. The page names the type used under its table.
- **Median** survival is the first time the curve reaches 0.5 or below (R's convention, taking the midpoint where the
  curve is flat at exactly 0.5); its CI comes from where the CI curves cross 0.5. *NR* = not reached.
- **Number at risk** at time t is the number of patients under observation at t: still followed (time ≥ t) and,
  with delayed entry (Simon–Makuch curves, `ppx km --start`), entered before t. Without delayed entry this is R's
  `summary(survfit, times = t)`. With delayed entry R reports instead the risk set at the next observed time after t,
  which counts patients who enter later (R shows 72 treated "at month 0" on the Simon–Makuch curve, where nobody is
  treated yet); we show who is at risk at t itself. Event and censored rows are cumulative counts up to and including t.
- **RMST** (restricted mean survival time) is the area under the curve up to τ, with R's standard error.
- **Median follow-up** uses the reverse Kaplan–Meier method (censoring treated as the event).
- **Bootstrap CIs** (Survival page button, a background job): 2,000 stratified resamples (patients drawn with
  replacement within each group, seed 2022) give percentile 95% intervals and bootstrap SEs for each group's median,
  12-month survival and RMST (τ = the smallest of the groups' longest follow-ups, as R's `survRM2`) and for their
  differences from the first group. A median not reached in a resample counts as longer than any reached one; if
  more than 2.5% of resamples do not reach it, that bound is *NR*. Groups under 10 patients are flagged as unreliable.
"""
    ),
    N_(
        """\
### Parametric models (Survival page, *Parametric models* switch; `ppx parametric`)
- Per group, lifelines fits exponential, Weibull, Gompertz (our small lifelines fitter, h(t) = rate·e^(shape·t):
  lifelines has none), log-normal, log-logistic and generalised gamma models by maximum likelihood. The model with the
  lowest AIC is marked *chosen*; BIC (k log n) is shown beside it. An AIC difference under 2 is no real preference:
  look at the fitted curve against the Kaplan–Meier and at the log-cumulative-hazard plot (straight lines: Weibull;
  parallel lines between groups: proportional hazards). The four survreg distributions match R's `survreg` (intercept,
  scale, log-likelihood, median, survival) to 1e-4 on `survival::lung` and `survival::veteran`.
- The **hazard over time** is the Nelson–Aalen estimate smoothed with an Epanechnikov kernel; its bandwidth is
  adjustable (default: a tenth of the span of the event times) and it is drawn up to one bandwidth before the last
  event, beside each model's hazard.
- **RMST** to the chosen horizon and the **mean survival** (the area under the whole fitted curve) have 95% CIs from
  the delta method through the fit's variance matrix, on the log scale (lifelines' own RMST variance is not used: it
  is known to be wrong). A mean is infinite when the curve levels off (Gompertz with a negative shape) or its tail is
  too heavy (log-logistic with shape ≤ 1), and is then not shown.
- **Extrapolation beyond follow-up is an assumption**: the data say nothing about the shape of the curve after the
  last patient's follow-up, and models that fit equally well can give very different means (NICE DSU TSD 14).
- A model that cannot be fitted (no events in the group, all events at one time, no convergence) is listed as *not
  fitted* with the reason; the other models are still shown.
- `ppx parametric --covariates` adds Weibull, log-normal and log-logistic accelerated-failure-time regressions (time
  ratios: above 1 is longer survival) as a check of the Cox model's proportional-hazards story.
"""
    ),
    N_(
        """\
### Group comparisons
- **Log-rank** test (R `survdiff`, rho = 0) for two or more groups; weighted alternatives: Wilcoxon
  (Gehan–Breslow), Tarone–Ware, Peto–Peto, Fleming–Harrington (p, q); FH(1, 0) equals `survdiff(rho = 1)`.
- **Pairwise** tests are adjusted with Holm's method (or Benjamini–Hochberg in the CLI).
- No p-value is shown where a comparison is undefined (one group, no events, or zero variance, e.g. delayed entry
  in a tiny sample: it reads *undefined*, never χ² = 0, p = 1); an undefined pair is left out of the Holm / BH
  adjustment, as R's `p.adjust` leaves out NA. When the variance matrix is singular the degrees of freedom are its
  rank (as the score test of R's `coxph`). Groups with fewer than 10 patients are flagged.
"""
    ),
    N_(
        """\
### Cox proportional hazards
- Partial likelihood with **Efron** ties, as R's `coxph` default. Wald 95% CIs and p-values per term; the
  likelihood-ratio test for the model; Harrell's concordance as R reports it.
- Categorical covariates are coded against a stated reference level.
- Fewer than 10 events per parameter triggers a warning.
- A hazard ratio that is **not estimable** (a group with no events: an infinite bound) has no Wald p-value; the
  likelihood-ratio and score (log-rank) tests are shown instead, named.
- **Sparse levels** (fewer than 5 patients or 2 events) of a categorical covariate are flagged in the univariate
  screen and the model; *Merge sparse levels* merges each into the adjacent level of its order (stated on the page;
  `ppx cox --merge-sparse`).
- The **proportional-hazards check** reproduces R's `cox.zph` (Kaplan–Meier time transform): per-term and global
  chi-square tests. When it fails, read restricted mean survival time or fixed-time differences instead of one HR.
"""
    ),
    N_(
        """\
### Response
- **ORR** = CR + PR; **DCR** = CR + PR + SD; denominators include non-evaluable patients (NE).
- 95% CIs are exact (Clopper–Pearson). Groups are compared with Pearson's chi-square test without continuity
  correction when every expected count is at least 5, otherwise Fisher's exact test; the test used is stated.
  Fisher's test is exact (R `fisher.test`) for every table it can enumerate within a fixed work budget; beyond
  that its p-value is simulated from 20,000 random tables with the same margins (seeded, so reproducible), as R's
  `fisher.test(simulate.p.value = TRUE, B = 20000)`, and the note says so. Table 1 uses the same rule.
"""
    ),
    N_(
        """\
### Variables defined after time zero (immortal-time caveat)
- One rule (`analysis/caveats.py`) says which groupings and covariates are known only after an endpoint's time
  zero: post-progression therapy, its class, ICI and the ICI / other / none grouping (after progression: OS, PFS and
  PPS); best response, disease control and objective response (after the first response assessment: OS and PFS);
  progression (OS).
- Wherever such a variable groups or adjusts a survival comparison — the Survival page, the Cox page's model (the
  study's model included), slides, the footer of every export and the CLI (a note on stderr and a `warnings` list in
  the JSON) — the naive result carries the caveat and, where the data allow (post-progression therapy and ICI,
  which start at `pp_start`), the time-varying Cox model beside it. Response has no date in the cohort, so no
  time-varying counterpart can be built; the caveat says so.
"""
    ),
    N_(
        """\
### Baseline table
- Continuous variables: median (IQR), compared with the Wilcoxon rank-sum (two groups) or Kruskal–Wallis test.
- Categorical variables: n (%), compared with chi-square or Fisher's exact test; missing counts per group;
  standardised mean differences for two groups.
"""
    ),
    N_(
        """\
### Immortal-time bias
Post-progression therapy and ICI use happen after baseline. OS from the first-line start grouped by them favours the
treated group (a patient must survive to progress to be treated). The Survival page warns whenever it shows such a
comparison and, beside the naive analysis, three corrected ones:
- **Landmark analysis**: only patients alive and followed beyond the landmark (time > landmark) count; each is
  grouped by whether therapy had started on or before the landmark; time restarts at the landmark.
- **Time-varying Cox model**: therapy (and ICI) switch from 0 to 1 at `pp_start` in counting-process data
  (start, stop], as R's `coxph(Surv(start, stop, event) ~ ...)`.
- **Simon–Makuch curves**: Kaplan–Meier with delayed entry, patients moving to the treated curve when therapy
  starts; compared with the log-rank test on the same risk sets (Mantel–Byar).

On a simulated cohort in which therapy has no effect at all, the naive HR is about 0.53 while the time-varying
and landmark HRs include 1 (the project's test suite checks this on every change).
"""
    ),
    N_(
        """\
### Confounding: propensity-score weighting
Who gets which drug is not random (lenvatinib for fitter livers and only from 2018; an ICI for patients who
progressed well). The Survival page's **Adjusted comparison** panel weights the two groups to balance the chosen
baseline covariates:
- **Propensity model**: logistic regression of the treatment on the covariates, as R's `glm(family = binomial)`;
  a category is dummy-coded against its first level. Its AUC says how well the covariates predict the treatment.
- **Weights**: ATE (inverse probability of treatment), ATT (the treated population) or overlap weights (the
  population where both treatments are plausible); optional trimming at the 99th or 95th percentile. The effective
  sample size (Σw)²/Σw² per group and extreme weights (over 10 times the group's mean) are reported.
- **Balance**: standardised mean differences before and after weighting, each over the unweighted pooled SD
  (cobalt's convention), for every covariate and every level of a category; below 0.1 is the usual target.
- **Outcome**: weighted Kaplan–Meier (R's `survfit(weights = w)`), weighted Cox with the robust sandwich SE
  (`coxph(..., weights = w, robust = TRUE)`) and the RMST difference. The bootstrap (200 resamples within each group)
  re-fits the propensity model in every resample, so its intervals include the uncertainty of the weights.
- **E-value** (VanderWeele–Ding): how strongly an unmeasured confounder would have to be associated with both
  treatment and death to explain the weighted HR away (the HR converted to a risk ratio for a common outcome).
  Weighting balances only what was measured.
"""
    ),
    N_(
        """\
### Target-trial emulation of post-progression therapy (clone–censor–weight)
The landmark, time-varying and Simon–Makuch analyses remove immortal time but not **confounding by indication**:
patients fit at progression (Child-Pugh A, ECOG 0–1) are both treated more often, and sooner, and live longer.
The target-trial panel (Survival page, post-progression grouping; Study page) asks the question as a trial would:
- **Time zero** is progression; **eligible** are patients who progressed and were alive and followed after that day
  (the eligibility flow shows who is excluded and why).
- **Two strategies**: "start the therapy (any, or an ICI) within G months" and "do not start it within G months"
  (G, the grace period, is chosen on the panel). Every eligible patient is **cloned** into both arms.
- **Censoring on deviation**: a "no therapy" clone is censored the day therapy starts within G; a "therapy" clone
  still untreated and followed at G is censored at G. A patient who dies within G before any therapy fits both
  strategies and keeps the death in both arms.
- **Weights**: the clones that stay are weighted by the inverse of their probability of staying, from a pooled
  logistic regression of therapy start over weekly intervals of the grace period, given the measurements at
  progression (Child-Pugh score, ALBI, ECOG, log AFP; Child-Pugh B or worse and ECOG 2 or worse as terms of their
  own) and baseline covariates (age, Child-Pugh score, ALBI, ECOG, log AFP, disease control). Weights are not
  truncated unless one exceeds 30; then they are truncated at the 99th percentile and the panel says so. The
  effective sample size per arm is shown.
- **Estimates**: weighted Kaplan–Meier per arm from progression, the weighted Cox hazard ratio of the arms (Efron
  ties, as R's `coxph(Surv(start, stop, event) ~ arm, weights = w)` on the clone rows) and the RMST difference at
  12 months. **95% CIs** come from 200 bootstrap resamples of patients; each resample re-runs the whole procedure
  (model, weights, curves, Cox).
- Without the measurements at progression the emulation adjusts for baseline only and says so plainly: confounding
  by fitness at progression then remains. Nothing unrecorded (frailty the notes do not capture) can be adjusted.

On simulated cohorts with a known answer (fitter patients treated more often and sooner), the test suite checks
that with no effect the naive HR is far below 1 and the emulation's CI contains 1, and that a true HR of 0.7 is
recovered with a CI excluding 1.
"""
    ),
    N_(
        """\
### Treatment sequences
- Time from progression to post-progression therapy is an Aalen–Johansen cumulative incidence with death before
  therapy as a competing risk (as R's multi-state `survfit`).
"""
    ),
    N_(
        """\
### Baseline table: exact tests
- Categorical rows use the Response page's rule: chi-square when every expected count is at least 5, otherwise
  Fisher's test, exact within its work budget and otherwise with a Monte-Carlo p (20,000 seeded tables, as R's
  `fisher.test(simulate.p.value = TRUE, B = 20000)`); the test is named in the row and a Monte-Carlo p is noted
  under the table. Rows are labelled with the data dictionary's names; a yes/no variable is one row (n (%) of yes).
"""
    ),
)
"""The Methods text, one message per section (a change to one section leaves the others translated)."""


def _versions() -> list[Any]:
    """Software and versions, as code (package names are the same in every language)."""
    items = [
        html.Li(html.Code(f"Post-Progression Explorer {__version__}")),
        html.Li(html.Code(f"Python {sys.version.split()[0]}")),
    ]
    for name in PACKAGES:
        try:
            items.append(html.Li(html.Code(f"{name} {version(name)}")))
        except PackageNotFoundError:  # pragma: no cover - every package is a dependency
            items.append(html.Li([html.Code(name), " ", N_("(not installed)")]))
    return items


def layout(**_: Any) -> html.Div:
    cohort = datasets.active_cohort()
    lang = i18n.request_lang()
    provenance = (
        N_(
            "The bundled cohort is SYNTHETIC: generated by “ppx synth --n 513 --seed 2022” from a disease-process "
            "model "
            "tuned so that its summary figures resemble the published figures of Yano et al., Kobe Liver Conference, "
            "JGH Open 2022;6(6):427–433 (doi:10.1002/jgh3.12772). It contains no real patient and is not the study's "
            "data."
        )
        if cohort.synthetic
        else N_("Data uploaded by the current user for this browser session only.")
    )
    return html.Div(
        [
            html.H2(N_("Methods"), className="h4"),
            dcc.Markdown(list(METHODS_SECTIONS), id="methods-text"),
            html.H3(N_("Data"), className="h5"),
            html.P(provenance),
            html.P(
                i18n.t(
                    lang,
                    "Dataset: {name}; n = {n}; fingerprint {fingerprint}.",
                    name=i18n.tr(lang, cohort.name),
                    n=len(cohort.frame),
                    fingerprint=cohort.short_fingerprint,
                )
            ),
            html.H3(N_("Software"), className="h5"),
            html.Ul(_versions(), id="software-versions"),
        ]
    )
