"""The Data page's validation report in the interface language.

:mod:`analysis.messages` gives each report line an English template and parameters
(:attr:`analysis.cohort.Issue.text`, ``.why``); here the template is looked up as the message id, so the
English msgid *is* the template, and filled with the same parameters. :data:`TEMPLATES` marks every analysis
template for extraction (``tests/test_i18n_report.py`` keeps it equal to :data:`analysis.messages.TEMPLATES`).
A line without a template (not yet converted) is shown in English, as the CLI prints it.
"""

from __future__ import annotations

import re

from analysis.cohort import Issue, ValidationReport
from analysis.ingest import RawTable
from analysis.messages import Message
from app.i18n import N_, Lang, join_list, t, tn, tr

TEMPLATES: tuple[str, ...] = (
    N_("{column} is empty but required"),
    N_("missing {column}"),
    N_("{column} {value} is not an allowed value; allowed: {allowed}"),
    N_("{column} {value} is not an allowed value; allowed: {allowed} (did you mean {hint}?)"),
    N_("{column} not allowed"),
    N_("{column} {value} is not a valid date; write dates as YYYY-MM-DD (e.g. 2019-04-25)"),
    N_("unreadable {column}"),
    N_("{column} {value} is not a number"),
    N_("{column} {value} is not a number (use a point as the decimal separator)"),
    N_("{column} {value} is not a finite number"),
    N_("{column} {value} is not a whole number"),
    N_("{column} {value} is outside the allowed range {low} to {high}"),
    N_("{column} {value} is outside the allowed range {low}"),
    N_("{column} {value} is outside the allowed range up to {high}"),
    N_("{column} out of range"),
    N_("{column} {value} must be 0 or 1 (also accepted: true/false, yes/no)"),
    N_(
        "{column} {value} is before {earliest}, earlier than any first-line sorafenib or lenvatinib for HCC; check the "
        "year (or whether a birth date is in this column)"
    ),
    N_("date before {year}"),
    N_("{column} {value} is after today ({today}); check the year"),
    N_("date after today"),
    N_("follow-up of {years} years (first_line_start {start} to {end}) is longer than {limit} years; check the dates"),
    N_("follow-up over 20 years"),
    N_("patient_id {value} also appears in row {row}; the first row is kept and this one excluded"),
    N_("duplicate patient_id"),
    N_("{column} {value} is before {other} {other_value}"),
    N_("{column} {value} is after {other} {other_value}"),
    N_(
        "{column} {value} is after {other} {other_value}; last_contact_date is the last date known alive, or the "
        "date of death"
    ),
    N_("{column} {value} is after {other} {other_value}; death_date is used for survival"),
    N_("death before start"),
    N_("last contact before start"),
    N_("progression before start"),
    N_("death after last contact"),
    N_("progression after death"),
    N_("progression after last contact"),
    N_("pp_start before progression"),
    N_("pp_start after death"),
    N_("pp_start after last contact"),
    N_("last contact after death"),
    N_("pp_start {value} is set but progression_date is empty (therapy after progression needs one)"),
    N_("pp_start without progression"),
    N_("pp_therapy is {value} but progression_date is empty (use 'none' if no progression)"),
    N_("pp_therapy without progression"),
    N_("pp_start {value} is set but pp_therapy is 'none'"),
    N_("pp_start with pp_therapy none"),
    N_("pp_start is empty although pp_therapy is {value}; its start date is unknown"),
    N_("pp_start missing"),
    N_("column {column} appears {n} times"),
    N_("repeated column"),
    N_("the file has no data rows"),
    N_("no rows"),
    N_("required column 'patient_id' is missing: every row needs a unique patient identifier"),
    N_(
        "required column 'patient_id' is missing: every row needs a unique patient identifier (the file has {found}; "
        "rename it)"
    ),
    N_("required column '{column}' is missing"),
    N_("required column '{column}' is missing (the file has {found}; rename it)"),
    N_("missing required column"),
    N_("column {column} is not in the schema; it is kept but not analysed"),
    N_("extra column"),
    N_("no row can be used: every row has an error"),
    N_("no usable rows"),
    N_("{column} is {value} but progression_date is empty; the value is not used"),
    N_("{column} without progression"),
    N_(
        "first_line_start {value} is before {drug} was available for HCC ({available}); check first_line and "
        "first_line_start"
    ),
    N_("{drug} before {available}"),
    N_("lenvatinib"),
    N_("{column} in the file is {file_value} but the dates and inputs give {value}; {value} is used"),
    N_("{column} recomputed"),
    N_("empty"),
)
"""Every template of :data:`analysis.messages.TEMPLATES`, as literal strings pybabel extracts."""

HEADERS: tuple[str, ...] = (N_("row"), N_("patient ID"), N_("column"), N_("severity"), N_("problem"))
"""The issue table's column headers (English: the CLI's JSON keys)."""


def headers(lang: Lang) -> list[str]:
    if lang == "en":
        return ["row", "patient_id", "column", "severity", "problem"]
    return [t(lang, h) for h in HEADERS]


SEVERITY: dict[str, str] = {"error": N_("error"), "warning": N_("warning")}

COLUMN_NAMES: dict[str, str] = {
    "patient_id": N_("Patient ID"),
    "center": N_("Centre"),
    "first_line": N_("First-line drug"),
    "first_line_start": N_("First-line start date"),
    "age": N_("Age (years)"),
    "sex": N_("Sex"),
    "etiology": N_("Etiology"),
    "bclc": N_("BCLC stage"),
    "child_pugh_score": N_("Child-Pugh score"),
    "albi_score": N_("ALBI score"),
    "fib4": N_("FIB-4 index"),
    "afp": N_("AFP"),
    "ecog": N_("ECOG PS"),
    "mvi": N_("Macrovascular invasion"),
    "ehs": N_("Extrahepatic spread"),
    "best_response": N_("Best response (first line)"),
    "response_criteria": N_("Response criteria"),
    "progression_date": N_("Progression date"),
    "pp_therapy": N_("Post-progression therapy"),
    "pp_start": N_("Post-progression therapy start date"),
    "last_contact_date": N_("Last contact date"),
    "death_date": N_("Date of death"),
    "child_pugh_score_pd": N_("Child-Pugh score at progression"),
    "albi_score_pd": N_("ALBI score at progression"),
    "ecog_pd": N_("ECOG PS at progression"),
    "afp_pd": N_("AFP at progression"),
}
"""The canonical columns named in a translated report (English keeps the file format's column names)."""


def column_name(name: str | None, lang: Lang) -> str:
    """A canonical column as a translated report names it; the name itself in English or for a file's own column."""
    if name is None:
        return ""
    return t(lang, COLUMN_NAMES[name]) if lang != "en" and name in COLUMN_NAMES else name


COLUMN_PARAMS: frozenset[str] = frozenset({"column", "other", "canonical", "first", "second"})
"""Parameters that hold one column's name: a canonical column is named by its label (a file's own name stays)."""
LIST_PARAMS: frozenset[str] = frozenset({"columns", "forms"})
"""Parameters that hold a comma-separated list of canonical columns or of message ids (date formats)."""


WORDED_AS: dict[str, str] = {
    "file {source} could not be read as a table: {detail}": N_("file {source} could not be read as a table ({kind})"),
    "the mapping file is not valid JSON: {detail}": N_("the mapping file is not valid JSON ({kind})"),
}
"""Templates whose ``detail`` is a library's own English text: a translation words them by these, which name the
library's exception class only."""


def word(lang: Lang, message: Message) -> str:
    """``message`` in ``lang`` (English: exactly its text): its template looked up as the message id, a parameter
    that is a message of its own worded in turn, column names and listed message ids translated."""
    if lang == "en":
        return message.text()
    params: dict[str, object] = {}
    for key, value in message.params:
        if isinstance(value, Message):
            params[key] = word(lang, value)
        elif key in COLUMN_PARAMS:
            params[key] = column_name(str(value), lang)
        elif key in LIST_PARAMS and isinstance(value, str):
            params[key] = join_list(lang, (tr(lang, column_name(item, lang)) for item in value.split(", ")))
        else:
            params[key] = value
    return t(lang, WORDED_AS.get(message.template, message.template), **params)


def worded(message: Message | None, english: str, lang: Lang) -> str:
    """``message`` in ``lang`` (``english`` when there is no template)."""
    if message is None:
        return english
    return word(lang, message)


def issue_text(issue: Issue, lang: Lang) -> str:
    return worded(issue.text, issue.message, lang)


def row_label(issue: Issue, lang: Lang) -> str:
    """``row 14`` (or ``file``) in ``lang``."""
    if issue.row is None:
        return t(lang, "file")
    found = re.fullmatch(r"row (\d+)", issue.row)
    return t(lang, "row {n}", n=int(found.group(1))) if found else issue.row


def _reason_counts(issues: tuple[Issue, ...], lang: Lang) -> str:
    """As :func:`analysis.cohort._reason_counts`, with each reason worded in ``lang``."""
    seen: dict[str, set[str | None]] = {}
    for issue in issues:
        key = worded(issue.why, issue.reason or issue.message, lang) if issue.reason else issue_text(issue, lang)
        seen.setdefault(key, set()).add(issue.row if issue.row is not None else f"file:{issue.column}")
    return t(lang, ", ").join(t(lang, "{reason} ({n})", reason=r, n=len(rows)) for r, rows in seen.items())


def summary(report: ValidationReport, lang: Lang) -> str:
    """:meth:`analysis.cohort.ValidationReport.summary` in ``lang`` (English: exactly that)."""
    if lang == "en":
        return report.summary()
    errors, warnings = report.errors(), report.warnings()
    if not report.usable:
        text = t(lang, "{n_read} rows read, none used: the file cannot be used, because: {reasons}.",
                 n_read=report.n_read, reasons=_reason_counts(errors, lang))  # fmt: skip
    elif errors:
        text = t(lang, "{n_read} rows read, {n_used} used, {n_excluded} excluded, because: {reasons}.",
                 n_read=report.n_read, n_used=report.n_used, n_excluded=report.n_excluded,
                 reasons=_reason_counts(errors, lang))  # fmt: skip
    else:
        text = t(lang, "{n_read} rows read, {n_used} used, {n_excluded} excluded.",
                 n_read=report.n_read, n_used=report.n_used, n_excluded=report.n_excluded)  # fmt: skip
    if warnings:
        text += " " + tn(lang, "{n} warning: {reasons}.", "{n} warnings: {reasons}.", len(warnings),
                         reasons=_reason_counts(warnings, lang))  # fmt: skip
    return text


DELIMITERS: dict[str, str] = {
    ",": N_("comma-separated"),
    "\t": N_("tab-separated"),
    ";": N_("semicolon-separated"),
    "|": N_("pipe-separated"),
}


def describe(raw: RawTable, lang: Lang) -> str:
    """:meth:`analysis.ingest.RawTable.describe` in ``lang`` (English: exactly that)."""
    if lang == "en":
        return raw.describe()
    parts = [raw.kind.upper()]
    if raw.encoding is not None:
        how = N_("{encoding} (detected)") if raw.encoding_detected else N_("{encoding} (chosen)")
        parts.append(t(lang, how, encoding=tr(lang, raw.encoding_label or "")))
    if raw.delimiter is not None:
        parts.append(t(lang, DELIMITERS[raw.delimiter]) if raw.delimiter in DELIMITERS else repr(raw.delimiter))
    if raw.sheet is not None:
        parts.append(t(lang, "sheet {sheet}", sheet=repr(raw.sheet)))
    parts.append(tn(lang, "{n} data row, {columns} columns", "{n} data rows, {columns} columns", raw.n_rows,
                    columns=raw.frame.shape[1]))  # fmt: skip
    return t(lang, "{source}: {parts}", source=raw.source, parts=t(lang, ", ").join(parts))
