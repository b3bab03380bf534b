"""Why the adjusted comparison, the target trial, the weighted SMD column or the Cox page's screen and PH check have
no result, in Japanese (:mod:`app.i18n.refusals`, :data:`analysis.adjusted.ADJUSTED_TEMPLATES`,
:data:`analysis.emulate.EMULATION_TEMPLATES`).

English stays exactly the text the CLI printed before the templates: every template is checked against the old
f-string, and the reachable refusals are raised for real (what ``ppx adjust`` / ``ppx emulate`` print). Japanese
has no English word outside the i18n sweep's allow-list and names columns, covariates, groups and the therapy by
their labels.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd
import pytest
from test_browser_i18n_sweep import english_words

from analysis import adjusted, emulate, emulate_engine, weights
from analysis.cox_messages import PH_SINGULAR
from analysis.errors import ConvergenceError, DataError, PPXError
from analysis.filters import FilterSpec
from analysis.messages import Message
from app import adjusted_views, datasets, emulation_views, views
from app.components import cox_tables
from app.i18n import catalog, refusals


def _catalog_ok(msgids: tuple[str, ...]) -> None:
    ja = catalog("ja")
    assert ja is not None
    for msgid in msgids:
        entry = ja.get(msgid)
        assert entry is not None and entry.string, msgid
        assert set(re.findall(r"\{(\w+)", msgid)) == set(re.findall(r"\{(\w+)", str(entry.string))), msgid
        prose = re.sub(r"\{\w+\}", " ", str(entry.string))
        assert not english_words(prose), (msgid, english_words(prose))


def test_every_template_is_marked_for_extraction_and_translated() -> None:
    assert (*adjusted.ADJUSTED_TEMPLATES, *emulate.EMULATION_TEMPLATES) == refusals.TEMPLATES
    wrappers = (
        adjusted_views.NO_COMPARISON, adjusted_views.NO_WEIGHTED_SMD, emulation_views.NO_EMULATION,
        views.SCREEN_NOT_COMPUTED, views.NO_PH_CHECK, PH_SINGULAR,
    )  # fmt: skip
    _catalog_ok((*refusals.TEMPLATES, *wrappers))


# Each template with parameters, beside the f-string the analysis raised before it was a template (same values).
_g, _n, _hr, _ci = 30.0, 7, float("inf"), (0.5, float("nan"))
OLD_TEXT: list[tuple[str, dict[str, Any], str]] = [
    (weights.BAD_ESTIMAND, {"choices": "ate, att, overlap", "estimand": "atc"},
     f"the estimand must be one of {', '.join(weights.ESTIMANDS)}; got {'atc'!r}"),
    (weights.BAD_TRIM, {"trim": str(0.3)},
     f"the trimming quantile must be at least 0.5 and below 1 (e.g. 0.99); got {0.3}"),
    (weights.NOT_A_LEVEL, {"reference": "x", "column": "first_line", "first": "a", "second": "b"},
     f"reference level {'x'!r} is not a level of {'first_line'!r}: {'a'!r}, {'b'!r}"),
    (weights.NO_COVARIATE, {}, "the propensity model needs at least one covariate"),
    (weights.TREATMENT_AS_COVARIATE, {"column": "first_line"},
     f"the treatment {'first_line'!r} cannot also be a covariate"),
    (weights.CATEGORICAL_NOT_COVARIATE, {"covariates": "'bclc', 'mvi'"},
     f"categorical column(s) {', '.join(map(repr, ['bclc', 'mvi']))} are not among the covariates"),
    (weights.ALL_EXTREME, {"group": "lenvatinib", "column": "first_line", "ess": f"{1.234:.1f}", "n": 40},
     f"the weights of group {'lenvatinib'!r} of {'first_line'!r} are all extreme: its effective sample size is "
     f"{1.234:.1f} of {40} patients, so the groups barely overlap on these covariates; "
     "choose overlap weights, trim the weights or use fewer covariates"),
    (weights.NO_E_VALUE, {"hr": str(_hr), "ci_low": str(_ci[0]), "ci_high": str(_ci[1])},
     f"an E-value needs a finite positive hazard ratio and CI; got {_hr} ({_ci[0]}, {_ci[1]})"),
    (weights.SEPARATES_WITHOUT, {"covariate": "mvi", "group": "lenvatinib", "column": "first_line"},
     f"every patient {'without mvi'} is in {'lenvatinib'!r}"),
    (weights.NO_ROW_WEIGHTS, {}, "this weighting keeps no per-patient weights (it was summarised for caching)"),
    (adjusted.BAD_RESAMPLES, {"n": str(1)}, f"the bootstrap needs 0 (none) or at least 2 resamples; got {1}"),
    (adjusted.BAD_LEVEL, {"level": str(1.5)}, f"the confidence level must be between 0 and 1; got {1.5}"),
    (adjusted.BAD_TIMES, {"times": str([-1.0])}, f"requested times must be numbers >= 0; got {[-1.0]}"),
    (adjusted.BAD_TAU, {"tau": str(0.0)}, f"the RMST horizon tau must be a positive number; got {0.0}"),
    (adjusted.CANCELLED, {}, "bootstrap cancelled"),
    (emulate.BAD_GRACE, {"most": f"{emulate.MAX_GRACE:g}", "grace": str(_g)},
     f"the grace period must be more than 0 and at most {emulate.MAX_GRACE:g} months; got {_g}"),
    (emulate.BAD_THERAPY, {"choices": "any, ici", "therapy": "tki"},
     f"therapy must be one of {', '.join(emulate.THERAPIES)}; got {'tki'!r}"),
    (emulate.BAD_TAU, {"grace": f"{3.0:g}", "tau": str(2.0)},
     f"tau (the RMST horizon) must be longer than the grace period ({3.0:g} months); got {2.0}"),
    (emulate.BAD_RESAMPLES, {"n": str(-1)}, f"the number of bootstrap resamples must be from 0 to 10,000; got {-1}"),
    (emulate.BAD_TRUNCATION, {"percentile": f"{40.0:g}"},
     f"the weight truncation percentile must be from 50 to 100; got {40.0:g}"),
    (emulate.NOT_IN_COHORT, {"covariate": "x9"}, f"covariate column {'x9'!r} is not in the cohort"),
    (emulate.PD_EMPTY, {"columns": "afp_pd, ecog_pd"},
     f"the progression-time covariate(s) {', '.join(['afp_pd', 'ecog_pd'])} are empty for every patient who "
     "progressed"),
    (emulate.FEW_NOT_STARTED,
     {"few": 3, "n": _n * 10, "therapy": emulate.THERAPY_LABELS["any"], "grace": "6", "minimum": 10},
     f"only {3} of {_n * 10} eligible patients {'did not start'} {emulate.THERAPY_LABELS['any']} within {6.0:g} months "
     f"of progression; the emulation needs at least {emulate.MIN_PER_ARM} in each arm (try another grace period or "
     "therapy)"),
    (emulate.BAD_TIMES, {}, "survival times must be non-negative numbers of months"),
    (emulate.CANCELLED, {}, "emulation cancelled"),
    (emulate_engine.NOBODY_STARTED, {},
     "the model of therapy start cannot be fitted: nobody, or everybody, started therapy"),
    (emulate_engine.COLLINEAR, {},
     "the model of therapy start cannot be fitted: a covariate is constant or collinear with others"),
    (emulate_engine.SEPARATES, {},
     "the model of therapy start cannot be fitted: a covariate separates treated from untreated "
     "patients completely (weights would explode); remove it or choose fewer covariates"),
    (emulate_engine.NOT_CONVERGED, {}, "the model of therapy start did not converge in 30 iterations"),
    (emulate_engine.NO_DEATHS, {}, "one arm of the emulated trial has no deaths: its hazard ratio is not defined"),
    (emulate_engine.COX_NOT_CONVERGED, {},
     "the Cox model on the emulated trial did not converge (an arm has too few events)"),
    (PH_SINGULAR, {}, "the proportional-hazards test could not be computed (singular information)"),
    # the notes of an emulation
    (emulate.EXPLODED, {"limit": f"{emulate.EXPLODING_WEIGHT:g}", "percentile": f"{emulate.AUTO_TRUNCATION:g}"},
     f"Some weights exceeded {emulate.EXPLODING_WEIGHT:g} (weights explode when few patients like them were treated, "
     f"or left untreated): they were truncated at the {emulate.AUTO_TRUNCATION:g}th percentile, which trades bias for "
     "precision."),
    (emulate.EXTREME_NO_TREAT, {"ess": f"{12.4:.0f}", "clones": 90},
     f"The weights are extreme in the {'no-treat'} arm: effective sample size {12.4:.0f} of {90} clones; "
     "the estimate rests on few patients (try fewer covariates, a longer grace period or a lower "
     "truncation percentile)."),
    (emulate.EXTREME_TREAT, {"ess": f"{12.4:.0f}", "clones": 90},
     f"The weights are extreme in the {'treat'} arm: effective sample size {12.4:.0f} of {90} clones; "
     "the estimate rests on few patients (try fewer covariates, a longer grace period or a lower "
     "truncation percentile)."),
    (emulate.TRUNCATED, {"n": 4, "value": f"{17.123:.2f}"},
     f"{4} clone weights above {17.123:.2f} were truncated to it."),
    (emulate.FAILED_RESAMPLES, {"failed": 2, "n": 200},
     f"{2} of {200} bootstrap resamples could not be fitted and were left out."),
]  # fmt: skip


@pytest.mark.parametrize(("template", "params", "old"), OLD_TEXT, ids=[t[:40] for t, _, _ in OLD_TEXT])
def test_english_is_the_old_text_and_japanese_has_no_english(template: str, params: dict[str, Any], old: str) -> None:
    message = Message.of(template, **params)
    assert refusals.word("en", message) == message.text() == old
    if template not in (weights.BAD_ESTIMAND, emulate.BAD_THERAPY):  # these echo the user's own unknown option
        assert english_words(refusals.word("ja", message)) == [], refusals.word("ja", message)


# ----------------------------------------------------------------------------- the weights, raised for real

_RNG_N = 80


def _frame(**change: Any) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    frame = pd.DataFrame(
        {
            "first_line": np.repeat(["sorafenib", "lenvatinib"], _RNG_N // 2),
            "age": rng.normal(70, 8, _RNG_N).round(),
            "albi_score": rng.normal(-2.3, 0.5, _RNG_N),
            "etiology": rng.choice(["HBV", "HCV", "alcohol"], _RNG_N),
            "mvi": rng.integers(0, 2, _RNG_N),
            "os_months": rng.exponential(12, _RNG_N) + 0.1,
            "os_event": np.zeros(_RNG_N, dtype=int),
        }
    )
    for column, values in change.items():
        frame[column] = values(frame) if callable(values) else values
    return frame


def _one_mvi(frame: pd.DataFrame) -> Any:
    return np.where(frame.index < 6, 1, 0)


def _lenvatinib_older(frame: pd.DataFrame) -> Any:
    return frame["age"] + 100 * (frame["first_line"] == "lenvatinib")


def _separating_pair(frame: pd.DataFrame) -> Any:
    """Lenvatinib exactly when age + 20 ALBI is above its median: neither covariate separates on its own."""
    score = frame["age"] + 20 * frame["albi_score"]
    return np.where(score > float(np.median(score)), "lenvatinib", "sorafenib")


CASES: list[tuple[dict[str, Any], list[str], dict[str, Any], str, tuple[str, ...]]] = [
    ({"age": 65.0}, ["age", "etiology"], {},
     f"covariate {'age'!r} has a single value ({65.0:g}) among the patients analysed; leave it out", ("年齢",)),
    ({"etiology": "HBV"}, ["age", "etiology"], {},
     f"categorical covariate {'etiology'!r} has a single level ({'HBV'!r}) among the patients analysed; leave it out",
     ("成因",)),
    ({"age": _lenvatinib_older}, ["age"], {},
     f"covariate {'age'!r} separates the groups perfectly (every {'sorafenib'!r} patient has a value at or below "
     f"every {'lenvatinib'!r} patient's), so some propensities are 0 or 1 and no weights exist; leave it out or "
     "merge its levels", ("年齢", "ソラフェニブ", "レンバチニブ")),
    ({"mvi": _one_mvi}, ["age", "mvi"], {},
     f"covariate {'mvi'!r} separates the groups perfectly (every patient {'with mvi'} is in {'sorafenib'!r}), so "
     "some propensities are 0 or 1 and no weights exist; leave it out or merge its levels",
     ("主要脈管侵襲", "ソラフェニブ")),
    ({"albi_score": lambda f: f["age"] * 2}, ["age", "albi_score"], {},
     f"covariate term {'albi_score'!r} is a linear combination of the other covariates among the patients analysed; "
     "leave one of them out", ("ALBI",)),
    ({"age": np.nan}, ["age"], {},
     f"no patients have {'first_line'!r} and all of {', '.join(map(repr, ['age']))} recorded", ("一次治療薬", "年齢")),
    ({"first_line": _separating_pair}, ["age", "albi_score"], {}, "", ("一次治療薬",)),
    ({}, ["age"], {"reference": "x1"},
     f"reference level {'x1'!r} is not a level of {'first_line'!r}: {'lenvatinib'!r}, {'sorafenib'!r}",
     ("一次治療薬", "レンバチニブ")),
    ({}, ["first_line"], {}, f"the treatment {'first_line'!r} cannot also be a covariate", ("一次治療薬",)),
    ({}, [], {}, "the propensity model needs at least one covariate", ("傾向スコア",)),
]  # fmt: skip


@pytest.mark.parametrize(("change", "covariates", "options", "old", "labels"), CASES)
def test_a_refused_weighting_reads_as_before_in_english_and_by_labels_in_japanese(
    change: dict[str, Any], covariates: list[str], options: dict[str, Any], old: str, labels: tuple[str, ...]
) -> None:
    frame = _frame(**change)
    with pytest.raises(PPXError) as raised:
        weights.weigh(frame, "first_line", covariates, **{"reference": "sorafenib", **options})
    exc = raised.value
    assert exc.wording is not None
    if old:
        assert str(exc) == old  # what ``ppx adjust`` prints
    else:  # the propensity model separates the groups through both covariates together (the IRLS check)
        assert re.fullmatch(
            r"the covariates separate the groups of 'first_line' \(almost\) perfectly: \d+ patients have a propensity "
            r"of 0 or 1, mainly through '(age|albi_score)'; leave it out or merge its levels",
            str(exc),
        ), str(exc)
    japanese = refusals.word("ja", exc.wording)
    assert english_words(japanese) == [], japanese
    assert all(label in japanese for label in labels), japanese


def test_no_events_and_a_bad_option_of_the_adjusted_comparison() -> None:
    frame = _frame()
    with pytest.raises(DataError) as raised:
        adjusted.adjusted_comparison(frame, "first_line", ["age"], "os_months", "os_event", reference="sorafenib")
    assert str(raised.value) == f"there are no events in {'os_event'!r} among the {_RNG_N} patients analysed"
    assert "全生存期間" in refusals.word("ja", raised.value.wording)  # type: ignore[arg-type]
    with pytest.raises(DataError, match=r"^the bootstrap needs 0 \(none\) or at least 2 resamples; got 1$"):
        adjusted.adjusted_comparison(frame, "first_line", ["age"], "os_months", "os_event", n_bootstrap=1)


def test_a_weightings_warnings_read_as_before_in_english_and_by_labels_in_japanese() -> None:
    """Treatment strongly predicted by age: extreme weights, a small effective sample (ATT) and covariates still
    unbalanced after weighting."""
    rng = np.random.default_rng(5)
    age = rng.normal(70, 8, 200)
    chance = 1 / (1 + np.exp(-(age - 70) / 2.5))
    frame = pd.DataFrame(
        {
            "first_line": np.where(rng.uniform(size=200) < chance, "lenvatinib", "sorafenib"),
            "age": age.round(),
            "bclc": rng.choice(["A", "B", "C"], 200),
        }
    )
    found = weights.weigh(frame, "first_line", ["age", "bclc"], reference="sorafenib", estimand="att")
    assert [m.template for m in found.wording] == [weights.EXTREME_WEIGHTS, weights.LOW_ESS, weights.UNBALANCED]
    extreme, low, unbalanced = found.summary.n_extreme[0][1], found.summary.ess[0][1], found.balance
    still = [b.covariate for b in unbalanced if abs(b.smd_weighted) > weights.BALANCE_THRESHOLD]
    assert found.warnings == (  # the f-strings the weights were worded with before the templates
        f"{extreme} extreme weight(s) in {'sorafenib'!r} (more than {weights.EXTREME_RATIO:g} times the group's mean "
        "weight): a few patients carry much of the comparison; consider overlap weights or trimming.",
        f"The effective sample size of {'sorafenib'!r} is {low:.1f} of {found.summary.n[0][1]} patients "
        f"(below {weights.LOW_ESS_SHARE:.0%}): the weighted estimate rests on few patients.",
        f"After weighting, {len(still)} covariate(s) still differ by more than "
        f"{weights.BALANCE_THRESHOLD:g} SD: {', '.join(still)}.",
    )
    japanese = refusals.notes("ja", found.warnings, found.wording)
    assert all(english_words(line) == [] for line in japanese), japanese
    assert "ソラフェニブ" in japanese[0] and "BCLC 病期 = A" in japanese[2], japanese


def test_an_emulations_notes_in_japanese() -> None:
    """The 'no ICI' arm note, and the baseline-only note naming the missing columns by their labels."""
    from analysis.emulate import PROGRESSION_COLUMNS, emulate_trial
    from app.datasets import load_bundled_cohort

    frame = load_bundled_cohort().frame
    ici = emulate_trial(frame, grace=3, therapy="ici")
    baseline = emulate_trial(frame.drop(columns=list(PROGRESSION_COLUMNS)), grace=3)
    assert ici.notes[-1] == (
        "The 'no ICI' arm includes patients given another therapy (only the main therapy is recorded)."
    )
    assert baseline.notes[0] == (
        "This file has no measurements at progression (" + ", ".join(PROGRESSION_COLUMNS) + "): the emulation "
        "adjusts for baseline covariates only, so confounding by fitness at progression (who is well enough to "
        "be treated) is not removed and the treatment effect is probably overstated."
    )
    for result in (ici, baseline):
        assert [m.text() for m in result.wording] == list(result.notes)
        japanese = refusals.notes("ja", result.notes, result.wording)
        assert japanese and all(english_words(line) == [] for line in japanese), japanese
    assert "増悪時の ALBI スコア" in refusals.notes("ja", baseline.notes, baseline.wording)[0]


# ----------------------------------------------------------------------------- the panels, through their seams


@pytest.fixture(scope="module")
def fingerprint(ppx_app: Any) -> Iterator[str]:
    with ppx_app.server.app_context():
        yield datasets.bundled().fingerprint


def test_the_target_trials_refusals_on_the_page(ppx_app: Any, fingerprint: str) -> None:
    """Sorafenib patients: too few start an ICI within a month; BCLC D: a covariate is the same for everyone; a
    filter that keeps nobody."""
    with ppx_app.server.app_context():
        one_month_ici = emulation_views.options_of(1, "ici")
        few = emulation_views.emulation_view(fingerprint, FilterSpec(first_line=("sorafenib",)), one_month_ici)
        same = emulation_views.emulation_view(fingerprint, FilterSpec(bclc=("D",)), one_month_ici)
        nobody = emulation_views.emulation_view(fingerprint, FilterSpec(age=(200.0, 300.0)), one_month_ici)
    assert isinstance(few, Message) and isinstance(same, Message) and isinstance(nobody, Message)
    assert refusals.word("en", few) == (
        f"No emulated trial: only {6} of {280} eligible patients started {'an immune checkpoint inhibitor'} within "
        f"{1.0:g} months of progression; the emulation needs at least {10} in each arm (try another grace period or "
        "therapy)"
    )
    assert refusals.word("en", same) == (
        f"No emulated trial: covariate {', '.join(['ecog_pd>=2', 'ecog>=2'])} has the same value for every eligible "
        "patient"
    )
    assert refusals.word("en", nobody) == "No patients match these filters."
    for message, labels in ((few, ("免疫チェックポイント阻害薬", "280")), (same, ("ECOG PS ≥ 2",)), (nobody, ())):
        japanese = refusals.word("ja", message)
        assert english_words(japanese) == [], japanese
        assert all(label in japanese for label in labels), japanese


def test_the_weighted_smd_columns_refusal_on_the_cohort_page(ppx_app: Any, fingerprint: str) -> None:
    with ppx_app.server.app_context():
        one_drug = adjusted_views.weighted_smd_view(fingerprint, FilterSpec(first_line=("lenvatinib",)))
        nobody = adjusted_views.weighted_smd_view(fingerprint, FilterSpec(age=(200.0, 300.0)))
    assert isinstance(one_drug, Message) and isinstance(nobody, Message)
    assert adjusted_views.refusal_text(one_drug, "en") == (
        "No weighted SMD: the treatment column 'first_line' must have exactly two levels among the patients "
        "analysed; it has 1: 'lenvatinib'"
    )
    for message in (one_drug, nobody):
        japanese = adjusted_views.refusal_text(message, "ja")
        assert english_words(japanese) == [], japanese
    assert "レンバチニブ" in adjusted_views.refusal_text(one_drug, "ja")


def test_the_cox_pages_screen_and_ph_check_notes(ppx_app: Any, fingerprint: str) -> None:
    """Both notes nest the analysis' refusal as the multivariable model's note does (the PH check's own reason is
    a template; a reason without one stays English, as the CLI prints it)."""
    with ppx_app.server.app_context():
        view = views.cox_view(fingerprint, FilterSpec(), "os", ("age",))
    singular = ConvergenceError.of(PH_SINGULAR)
    refused = DataError.of(weights.NO_COVARIATE)
    shown = replace(
        view,
        zph=None,
        zph_note=Message.of(views.NO_PH_CHECK, reason=views.worded_error(singular)),
        screen_note=Message.of(views.SCREEN_NOT_COMPUTED, reason=views.worded_error(refused)),
    )

    def text(node: Any) -> str:
        children = getattr(node, "children", node)
        if isinstance(children, (list, tuple)):
            return "".join(text(c) for c in children)
        return "" if children is None else str(children)

    assert text(cox_tables.ph_block(shown, "en")) == f"No proportional-hazards check: {singular}"
    assert text(cox_tables.screen_table(shown, "en")) == f"The univariate screen could not be computed: {refused}"
    for block in (cox_tables.ph_block(shown, "ja"), cox_tables.screen_table(shown, "ja")):
        assert english_words(text(block)) == [], text(block)


@pytest.mark.parametrize("endpoint", ["os", "pfs", "pps"])
def test_an_empty_subgroup_reads_as_before_and_is_translated(ppx_app: Any, fingerprint: str, endpoint: str) -> None:
    """A filter that keeps nobody, on the Survival, Cox and Parametric views: one whole sentence per endpoint."""
    from analysis.schema import ENDPOINTS
    from app.i18n import t
    from app.parametric_views import parametric_view

    nobody = FilterSpec(age=(200.0, 300.0))
    with ppx_app.server.app_context():
        survival = views.survival_view(fingerprint, nobody, endpoint, None, "logrank", "log-log", False)
        cox = views.cox_view(fingerprint, nobody, endpoint, ("age",))
        parametric = parametric_view(fingerprint, nobody, endpoint, None, None, None)
    label = ENDPOINTS[endpoint][2]
    old = f"No patients in this subgroup have {label.lower()} data."  # the f-string before
    why = " (only patients who progressed have PPS)" if endpoint == "pps" else ""
    assert survival.message == f"No patients in this subgroup have {label.lower()} data{why}."
    assert cox.message == parametric.message == old
    for message in (survival.message, cox.message):
        japanese = t("ja", message)
        assert japanese != message and english_words(japanese) == [], japanese


def test_a_refused_two_group_hazard_ratio_is_worded(ppx_app: Any, fingerprint: str) -> None:
    from app.components import survival_tables

    with ppx_app.server.app_context():
        view = views.survival_view(fingerprint, FilterSpec(), "os", "first_line", "logrank", "log-log", False)
    refused = DataError.of(weights.NO_COVARIATE)
    wording = Message.of(views.NO_HAZARD_RATIO, reason=views.worded_error(refused))
    shown = replace(view, cox=None, cox_note=wording.text(), cox_wording=wording)
    english = survival_tables.hr_block(shown, "en").children
    assert english == f"No hazard ratio: {refused}"  # the f-string before
    japanese = survival_tables.hr_block(shown, "ja").children
    assert "ハザード比はありません" in japanese and english_words(japanese) == [], japanese


def test_the_bootstraps_notes_read_as_before_and_name_groups_by_their_labels() -> None:
    """A small lenvatinib group with medians not reached and survival undefined beyond some resamples' follow-up:
    the Survival page's bootstrap and the adjusted panel's. English is the f-strings of before."""
    from analysis.bootstrap import SMALL_GROUP, bootstrap_survival

    rng = np.random.default_rng(2)
    frame = pd.DataFrame(
        {
            "time": rng.exponential(10, 40).round(1) + 0.1,
            "event": rng.integers(0, 2, 40),
            "first_line": np.where(np.arange(40) < 8, "lenvatinib", "sorafenib"),
            "age": rng.normal(70, 8, 40),
        }
    )
    boot = bootstrap_survival(frame, "time", "event", "first_line", n_resamples=50, seed=1, times=(6.0, 24.0))
    small = [f"{'lenvatinib'} (n = {8})"]
    name = f"{'sorafenib'} vs {'lenvatinib'}"
    assert boot.notes[:3] == (
        f"Fewer than {SMALL_GROUP} patients in {', '.join(small)}: the bootstrap is unreliable there.",
        f"{'lenvatinib median'}: median not reached in {5} of {50} resamples ({100 * 5 / 50:.1f}%)"
        + "; the CI bound beyond them is NR.",
        f"{'lenvatinib survival at 6'}: undefined ({'beyond the resample' + chr(39) + 's last follow-up'}) in {2} of "
        f"{50} resamples ({100 * 2 / 50:.1f}%).",
    )
    assert f"{'lenvatinib survival at 6'}: too many undefined resamples for a confidence interval." in boot.notes
    assert any(note.startswith(f"{name} survival difference at 24: undefined") for note in boot.notes)
    frame["event"] = np.where(frame["time"] > 8, 0, frame["event"])
    adjusted_result = adjusted.adjusted_comparison(
        frame, "first_line", ["age"], "time", "event", reference="sorafenib", n_bootstrap=20, times=(6.0, 24.0)
    )
    assert adjusted_result.notes[0] == (
        f"{'sorafenib median'}: median not reached in {20} of {20} resamples ({100.0:.1f}%); the CI bound beyond them "
        "is NR."
    )
    for texts, wording in ((boot.notes, boot.wording), (adjusted_result.notes, adjusted_result.note_wording)):
        assert tuple(m.text() for m in wording) == texts
        japanese = refusals.notes("ja", texts, wording, "first_line")
        assert all(english_words(line) == [] for line in japanese), japanese
        assert all("レンバチニブ" in line or "ソラフェニブ" in line for line in japanese), japanese


def test_refused_aft_models_are_worded(ppx_app: Any, fingerprint: str) -> None:
    """The Cox page's AFT check on a one-drug subgroup with the drug as covariate: nothing varies."""
    from app.components import aft_check
    from app.parametric_views import aft_view

    with ppx_app.server.app_context():
        view = aft_view(fingerprint, FilterSpec(first_line=("lenvatinib",)), "os", ("first_line",))
    assert view.result is None and view.wording is not None
    assert view.message == view.wording.text()
    assert view.message.startswith("The AFT models could not be fitted: no covariate varies among these patients")
    japanese = aft_check.result_block(view, "ja").children
    assert "AFT モデルを当てはめられませんでした" in japanese and english_words(japanese) == [], japanese


def test_the_guards_and_the_study_pages_notes(ppx_app: Any, fingerprint: str) -> None:
    """The immortal-time guard among patients who all died or left before the landmark (no landmark analysis); the
    Study page's Cox card for a filter that keeps nobody."""
    from analysis.postprog import POSTPROG_TEMPLATES, immortal_time_comparison
    from app.components import study_cards
    from app.i18n import cox as cox_i18n
    from app.views import analysis_frame

    assert refusals.POSTPROG_TEMPLATES == POSTPROG_TEMPLATES
    _catalog_ok((*POSTPROG_TEMPLATES, views.STUDY_COX_NOT_FITTED, views.STUDY_LENVATINIB_NOT_FITTED))
    frame = analysis_frame(datasets.load_bundled_cohort().frame)
    early = immortal_time_comparison(frame[frame["os_months"] < 5], "pp_received", landmark=6.0)
    assert f"Landmark: no patient is alive and followed beyond the {6.0:g}-month landmark" in early.notes
    assert tuple(m.text() for m in early.wording) == early.notes
    japanese = cox_i18n.warnings("ja", early.notes, early.wording)
    assert any("ランドマーク" in line for line in japanese) and all(english_words(x) == [] for x in japanese), japanese
    with ppx_app.server.app_context():
        nobody = views.study_view(fingerprint, FilterSpec(age=(200.0, 300.0)))
    assert nobody.cox is None and nobody.notes == ("No patients in this subgroup have overall survival data.",)
    cards = str(study_cards.study_cards(nobody, "ja"))
    assert "全生存期間 OS のデータがある患者がいません" in cards


def test_the_survival_bootstraps_refusal_on_the_page(ppx_app: Any, fingerprint: str) -> None:
    """The Survival page's bootstrap with a filter that keeps nobody (an f-string before, shown in English on a
    Japanese page); a failed bootstrap nests its reason the same way."""
    from app.pages import survival

    with ppx_app.server.app_context():
        nobody = survival.bootstrap_result(fingerprint, FilterSpec(age=(200.0, 300.0)), "os", "first_line")
    assert isinstance(nobody, Message)
    assert refusals.word("en", nobody) == "No patients in this subgroup have overall survival data."
    failed = Message.of(survival.NO_BOOTSTRAP, reason=views.worded_error(DataError.of(views.NO_DATA["pfs"])))
    pfs = "No patients in this subgroup have progression-free survival data."
    assert refusals.word("en", failed) == f"No bootstrap: {pfs}"
    for message in (nobody, failed):
        japanese = refusals.word("ja", message, "first_line")
        assert english_words(japanese) == [], japanese
