"""Why the adjusted comparison or the target trial has no result, in the interface language.

The analysis refuses with a :class:`analysis.errors.DataError` (or ConvergenceError) worded by a template
(:data:`analysis.adjusted.ADJUSTED_TEMPLATES`, :data:`analysis.emulate.EMULATION_TEMPLATES`, marked here in
:data:`TEMPLATES` for extraction; a test keeps them equal); the panels nest it in their own line ("No adjusted
comparison: {reason}"). The English template shows a column or covariate as its code in quotes (``{column!r}``),
exactly as the CLI prints it; a translation names it by its label, a level of the treatment column by its label
and the therapy by its label.
"""

from __future__ import annotations

import re

from analysis.emulate import THERAPY_LABELS
from analysis.messages import Message
from analysis.schema import ENDPOINTS
from app.components.covariate_labels import COVARIATES, ESTIMAND_CHOICES, covariate_text, term_label
from app.components.palette import level_label, level_name
from app.i18n import N_, Lang, join_list, t, tr
from app.i18n.report import COLUMN_NAMES

TEMPLATES: tuple[str, ...] = (
    # analysis.weights.WEIGHTS_TEMPLATES
    N_("the estimand must be one of {choices}; got {estimand!r}"),
    N_("the trimming quantile must be at least 0.5 and below 1 (e.g. 0.99); got {trim}"),
    N_(
        "the treatment column {column!r} must have exactly two levels among the patients analysed; it has {count}: "
        "{levels}"
    ),
    N_("reference level {reference!r} is not a level of {column!r}: {first!r}, {second!r}"),
    N_("the propensity model needs at least one covariate"),
    N_("the treatment {column!r} cannot also be a covariate"),
    N_("categorical column(s) {covariates} are not among the covariates"),
    N_("no patients have {column!r} and all of {covariates} recorded"),
    N_("covariate {covariate!r} has a single value ({value}) among the patients analysed; leave it out"),
    N_("categorical covariate {covariate!r} has a single level ({level!r}) among the patients analysed; leave it out"),
    N_(
        "covariate {covariate!r} separates the groups perfectly ({detail}), so some propensities are 0 or 1 and no "
        "weights exist; leave it out or merge its levels"
    ),
    N_("every patient with {covariate} is in {group!r}"),
    N_("every patient without {covariate} is in {group!r}"),
    N_("every {low!r} patient has a value at or below every {high!r} patient's"),
    N_(
        "covariate term {covariate!r} is a linear combination of the other covariates among the patients analysed; "
        "leave one of them out"
    ),
    N_(
        "the covariates separate the groups of {column!r} (almost) perfectly: {n} patients have a propensity of 0 or "
        "1, mainly through {covariate!r}; leave it out or merge its levels"
    ),
    N_(
        "the weights of group {group!r} of {column!r} are all extreme: its effective sample size is {ess} of {n} "
        "patients, so the groups barely overlap on these covariates; choose overlap weights, trim the weights or use "
        "fewer covariates"
    ),
    N_("an E-value needs a finite positive hazard ratio and CI; got {hr} ({ci_low}, {ci_high})"),
    N_("this weighting keeps no per-patient weights (it was summarised for caching)"),
    N_(
        "{n} extreme weight(s) in {group!r} (more than {ratio} times the group's mean weight): a few patients carry "
        "much of the comparison; consider overlap weights or trimming."
    ),
    N_(
        "The effective sample size of {group!r} is {ess} of {n} patients (below {share}): the weighted estimate rests "
        "on few patients."
    ),
    N_("After weighting, {count} covariate(s) still differ by more than {threshold} SD: {terms}."),
    # analysis.adjusted.ADJUSTED_TEMPLATES (after the weights')
    N_("there are no events in {column!r} among the {n} patients analysed"),
    N_("the bootstrap needs 0 (none) or at least 2 resamples; got {n}"),
    N_("the confidence level must be between 0 and 1; got {level}"),
    N_("requested times must be numbers >= 0; got {times}"),
    N_("the RMST horizon tau must be a positive number; got {tau}"),
    N_("bootstrap cancelled"),
    N_(
        "In {n} of {total} resamples the propensity model separated the groups (propensities clipped to [{clip}, 1 - "
        "{clip}])."
    ),
    # analysis.bootstrap.BOOTSTRAP_TEMPLATES
    N_("{group} median"),
    N_("{group} survival at {time}"),
    N_("{group} RMST"),
    N_("{group} vs {reference} median difference"),
    N_("{group} vs {reference} survival difference at {time}"),
    N_("{group} vs {reference} RMST difference"),
    N_("RMST difference"),
    N_("beyond the resample's last follow-up"),
    N_("both medians not reached"),
    N_("{what}: undefined ({why}) in {n} of {total} resamples ({percent}%)."),
    N_("{what}: median not reached in {n} of {total} resamples ({percent}%); the CI bound beyond them is NR."),
    N_("{what}: median not reached in {n} of {total} resamples ({percent}%); counted, not dropped."),
    N_("{what}: too many undefined resamples for a confidence interval."),
    N_("Fewer than {minimum} patients in {groups}: the bootstrap is unreliable there."),
    N_("{group} (n = {n})"),
    N_("{first}, {rest}"),
    # analysis.emulate.EMULATION_TEMPLATES
    N_("the grace period must be more than 0 and at most {most} months; got {grace}"),
    N_("therapy must be one of {choices}; got {therapy!r}"),
    N_("tau (the RMST horizon) must be longer than the grace period ({grace} months); got {tau}"),
    N_("the number of bootstrap resamples must be from 0 to 10,000; got {n}"),
    N_("the weight truncation percentile must be from 50 to 100; got {percentile}"),
    N_("covariate column {covariate!r} is not in the cohort"),
    N_("the progression-time covariate(s) {columns} are empty for every patient who progressed"),
    N_("covariate {terms} has the same value for every eligible patient"),
    N_(
        "only {few} of {n} eligible patients started {therapy} within {grace} months of progression; the emulation "
        "needs at least {minimum} in each arm (try another grace period or therapy)"
    ),
    N_(
        "only {few} of {n} eligible patients did not start {therapy} within {grace} months of progression; the "
        "emulation needs at least {minimum} in each arm (try another grace period or therapy)"
    ),
    N_("survival times must be non-negative numbers of months"),
    N_("emulation cancelled"),
    # analysis.emulate_engine.ENGINE_TEMPLATES
    N_("the model of therapy start cannot be fitted: nobody, or everybody, started therapy"),
    N_("the model of therapy start cannot be fitted: a covariate is constant or collinear with others"),
    N_(
        "the model of therapy start cannot be fitted: a covariate separates treated from untreated patients "
        "completely (weights would explode); remove it or choose fewer covariates"
    ),
    N_("the model of therapy start did not converge in 30 iterations"),
    N_("one arm of the emulated trial has no deaths: its hazard ratio is not defined"),
    N_("the Cox model on the emulated trial did not converge (an arm has too few events)"),
    # analysis.emulate.NOTE_TEMPLATES
    N_(
        "Some weights exceeded {limit} (weights explode when few patients like them were treated, or left untreated): "
        "they were truncated at the {percentile}th percentile, which trades bias for precision."
    ),
    N_(
        "This file has no measurements at progression ({columns}): the emulation adjusts for baseline covariates "
        "only, so confounding by fitness at progression (who is well enough to be treated) is not removed and the "
        "treatment effect is probably overstated."
    ),
    N_(
        "The weights are extreme in the no-treat arm: effective sample size {ess} of {clones} clones; the estimate "
        "rests on few patients (try fewer covariates, a longer grace period or a lower truncation percentile)."
    ),
    N_(
        "The weights are extreme in the treat arm: effective sample size {ess} of {clones} clones; the estimate rests "
        "on few patients (try fewer covariates, a longer grace period or a lower truncation percentile)."
    ),
    N_("{n} clone weights above {value} were truncated to it."),
    N_("{failed} of {n} bootstrap resamples could not be fitted and were left out."),
    N_("The 'no ICI' arm includes patients given another therapy (only the main therapy is recorded)."),
)
"""Every template of the adjusted comparison's and the emulation's refusals (and of their warnings and notes), as
literal strings pybabel extracts."""


POSTPROG_TEMPLATES: tuple[str, ...] = (
    N_("Naive Cox: {reason}"),
    N_("Time-varying Cox: {reason}"),
    N_("Landmark: {reason}"),
    N_("Simon–Makuch: {reason}"),
    N_("exposure must be one of {choices}; got {exposure!r}"),
    N_("the landmark must be a number of months >= 0; got {landmark}"),
    N_("no patient is alive and followed beyond the {landmark}-month landmark"),
)
"""Every template of :data:`analysis.postprog.POSTPROG_TEMPLATES` (the immortal-time guard's notes), marked for
extraction; the guard words them as the Cox page's warnings (:func:`app.i18n.cox.warnings`)."""


def notes(lang: Lang, texts: tuple[str, ...], wording: tuple[Message, ...], grouping: str | None = None) -> list[str]:
    """A result's warnings or notes in ``lang``: its messages worded (a group as a level of ``grouping`` where the
    message names no column), else its English texts looked up."""
    return [word(lang, m, grouping) for m in wording] if wording else [tr(lang, text) for text in texts]


_EVENTS: dict[str, str] = {event: label for _, event, label in ENDPOINTS.values()} | {"lm_event": ENDPOINTS["os"][2]}
"""An event column named by its endpoint (the landmark comparisons' event is death from the landmark)."""
_LEVELS = frozenset({"group", "low", "high", "reference", "first", "second"})
"""Parameters that hold a level of the treatment column (``column``)."""
_CHOICES: dict[str, str] = {**ESTIMAND_CHOICES, **THERAPY_LABELS}
"""An option's code named by its label (the estimands, the emulation's therapies)."""
_NUMBERS = frozenset({"hr", "ci_low", "ci_high"})
_NOT_FINITE: dict[str, str] = {"inf": "∞", "-inf": "−∞", "nan": ""}
"""A hazard ratio or CI limit that is not finite, as Python writes it, and how the page shows it (NaN: not
estimable)."""
_QUOTED = re.compile(r"'([^']*)'")


def column_text(code: str, lang: Lang) -> str:
    """A column, covariate or model term by its label in ``lang`` ("bclc=C" -> "BCLC stage = C")."""
    if code in _EVENTS:
        return t(lang, _EVENTS[code])
    if code in COLUMN_NAMES and "=" not in code:
        return t(lang, COLUMN_NAMES[code])
    if code.partition("=")[0] in COVARIATES:
        return term_label(code, lang)
    return covariate_text(code, lang)


def _codes(value: str) -> list[str]:
    """The codes of a listed parameter: quoted ("'a', 'b'") or plain ("a, b")."""
    quoted = _QUOTED.findall(value)
    return quoted if quoted else [part for part in value.split(", ") if part]


def _param(lang: Lang, message: Message, key: str, value: str, grouping: str | None) -> str:
    """One parameter of ``message`` in ``lang``: a column, covariate, level, option or therapy by its label."""
    column = str(message.mapping.get("column", "")) or grouping
    if key in ("column", "covariate"):
        return column_text(value, lang)
    if key in _LEVELS:
        return level_label(column, value, lang)
    if key == "levels":
        codes = _QUOTED.findall(value)
        return join_list(lang, (level_label(column, c, lang) for c in codes)) if codes else t(lang, "none")
    if key == "level":  # a level of the covariate
        return level_name(str(message.mapping.get("covariate", "")), value, lang)
    if key in ("covariates", "columns", "terms"):
        return join_list(lang, (column_text(c, lang) for c in _codes(value)))
    if key == "choices":
        return join_list(lang, (tr(lang, _CHOICES.get(c, c)) for c in _codes(value)))
    if key in _NUMBERS and value in _NOT_FINITE:
        return _NOT_FINITE[value] or t(lang, "not estimable")
    if key == "therapy":
        return tr(lang, value)
    return value


def word(lang: Lang, message: Message, grouping: str | None = None) -> str:
    """``message`` in ``lang`` (English: exactly its text), a nested reason worded in turn; a group is a level of the
    message's ``column``, else of ``grouping``."""
    if lang == "en":
        return message.text()
    column = str(message.mapping.get("column", "")) or grouping
    params: dict[str, object] = {
        key: word(lang, value, column) if isinstance(value, Message) else _param(lang, message, key, str(value), column)
        for key, value in message.params
    }
    return t(lang, message.template, **params)
