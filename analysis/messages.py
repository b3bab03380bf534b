"""Report lines as a template and parameters, so the app can word them in the interface language.

The analysis layer stays English and pure: a :class:`Message` carries an English template with named
placeholders (``"{column} {value} is not a number"``) and its parameters as text; :meth:`Message.text` is the
English line (what ``ppx validate`` prints and :attr:`analysis.cohort.Issue.message` holds). The web app looks the
template up as a message id in its catalog and fills the same parameters (``app/i18n/report.py``, which lists
every template of :data:`TEMPLATES` for extraction; a test keeps the two lists equal).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Message:
    """An English template with ``{name}`` placeholders and its parameters (text, whole numbers, or a message of
    its own: a clause such as "while reading sheet 'x'" that the app words in turn)."""

    template: str
    params: tuple[tuple[str, Param], ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "params", tuple((str(k), v) for k, v in self.params))  # JSON gives lists back

    @classmethod
    def of(cls, template: str, **params: Param) -> Message:
        return cls(template, tuple(params.items()))

    @property
    def mapping(self) -> Mapping[str, Param]:
        return dict(self.params)

    def text(self) -> str:
        return self.template.format(**{k: v.text() if isinstance(v, Message) else v for k, v in self.params})


Param = str | int | Message
"""A parameter of a :class:`Message`."""


# Validation (analysis.cohort): one template per kind of line.
MISSING = "{column} is empty but required"
MISSING_REASON = "missing {column}"
NOT_ALLOWED = "{column} {value} is not an allowed value; allowed: {allowed}"
NOT_ALLOWED_HINT = "{column} {value} is not an allowed value; allowed: {allowed} (did you mean {hint}?)"
NOT_ALLOWED_REASON = "{column} not allowed"
NOT_A_DATE = "{column} {value} is not a valid date; write dates as YYYY-MM-DD (e.g. 2019-04-25)"
UNREADABLE_REASON = "unreadable {column}"
NOT_A_NUMBER = "{column} {value} is not a number"
NOT_A_NUMBER_COMMA = "{column} {value} is not a number (use a point as the decimal separator)"
NOT_FINITE = "{column} {value} is not a finite number"
NOT_WHOLE = "{column} {value} is not a whole number"
OUT_OF_RANGE = "{column} {value} is outside the allowed range {low} to {high}"
OUT_OF_RANGE_LOW = "{column} {value} is outside the allowed range {low}"
OUT_OF_RANGE_HIGH = "{column} {value} is outside the allowed range up to {high}"
OUT_OF_RANGE_REASON = "{column} out of range"
NOT_A_BOOL = "{column} {value} must be 0 or 1 (also accepted: true/false, yes/no)"
DATE_TOO_EARLY = (
    "{column} {value} is before {earliest}, earlier than any first-line sorafenib or lenvatinib for HCC; check the "
    "year (or whether a birth date is in this column)"
)
DATE_TOO_EARLY_REASON = "date before {year}"
DATE_AFTER_TODAY = "{column} {value} is after today ({today}); check the year"
DATE_AFTER_TODAY_REASON = "date after today"
LONG_FOLLOW_UP = (
    "follow-up of {years} years (first_line_start {start} to {end}) is longer than {limit} years; check the dates"
)
LONG_FOLLOW_UP_REASON = "follow-up over 20 years"
DATE_BEFORE = "{column} {value} is before {other} {other_value}"
DATE_AFTER = "{column} {value} is after {other} {other_value}"
DATE_ORDER_NOTED = (
    DATE_AFTER + "; last_contact_date is the last date known alive, or the date of death",
    DATE_AFTER + "; death_date is used for survival",
)
DATE_ORDER_REASONS = (
    "death before start",
    "last contact before start",
    "progression before start",
    "death after last contact",
    "progression after death",
    "progression after last contact",
    "pp_start before progression",
    "pp_start after death",
    "pp_start after last contact",
    "last contact after death",
)
"""The date-order checks' reasons (:data:`analysis.cohort._DATE_ORDER`), each a template without parameters."""
DUPLICATE_ID = "patient_id {value} also appears in row {row}; the first row is kept and this one excluded"
DUPLICATE_ID_REASON = "duplicate patient_id"
PP_START_WITHOUT_PROGRESSION = (
    "pp_start {value} is set but progression_date is empty (therapy after progression needs one)"
)
PP_START_WITHOUT_PROGRESSION_REASON = "pp_start without progression"
PP_THERAPY_WITHOUT_PROGRESSION = "pp_therapy is {value} but progression_date is empty (use 'none' if no progression)"
PP_THERAPY_WITHOUT_PROGRESSION_REASON = "pp_therapy without progression"
PP_START_WITH_NONE = "pp_start {value} is set but pp_therapy is 'none'"
PP_START_WITH_NONE_REASON = "pp_start with pp_therapy none"
PP_START_MISSING = "pp_start is empty although pp_therapy is {value}; its start date is unknown"
PP_START_MISSING_REASON = "pp_start missing"
REPEATED_COLUMN = "column {column} appears {n} times"
REPEATED_COLUMN_REASON = "repeated column"
NO_ROWS = "the file has no data rows"
NO_ROWS_REASON = "no rows"
MISSING_PATIENT_ID = "required column 'patient_id' is missing: every row needs a unique patient identifier"
MISSING_PATIENT_ID_RENAME = (
    "required column 'patient_id' is missing: every row needs a unique patient identifier (the file has {found}; "
    "rename it)"
)
MISSING_COLUMN = "required column '{column}' is missing"
MISSING_COLUMN_RENAME = "required column '{column}' is missing (the file has {found}; rename it)"
MISSING_COLUMN_REASON = "missing required column"
EXTRA_COLUMN = "column {column} is not in the schema; it is kept but not analysed"
EXTRA_COLUMN_REASON = "extra column"
NO_USABLE_ROWS = "no row can be used: every row has an error"
NO_USABLE_ROWS_REASON = "no usable rows"
MEASURE_WITHOUT_PROGRESSION = "{column} is {value} but progression_date is empty; the value is not used"
MEASURE_WITHOUT_PROGRESSION_REASON = "{column} without progression"
BEFORE_AVAILABLE = (
    "first_line_start {value} is before {drug} was available for HCC ({available}); check first_line and "
    "first_line_start"
)
BEFORE_AVAILABLE_REASON = "{drug} before {available}"
DRUGS: tuple[str, ...] = ("lenvatinib",)
"""The first-line drugs named in :data:`BEFORE_AVAILABLE` (those of :data:`analysis.cohort.FIRST_AVAILABLE`)."""
RECOMPUTED = "{column} in the file is {file_value} but the dates and inputs give {value}; {value} is used"
RECOMPUTED_REASON = "{column} recomputed"
EMPTY_VALUE = "empty"
"""A derived value that is empty, as :data:`RECOMPUTED` names it."""

TEMPLATES: tuple[str, ...] = (
    MISSING, MISSING_REASON, NOT_ALLOWED, NOT_ALLOWED_HINT, NOT_ALLOWED_REASON, NOT_A_DATE, UNREADABLE_REASON,
    NOT_A_NUMBER, NOT_A_NUMBER_COMMA, NOT_FINITE, NOT_WHOLE, OUT_OF_RANGE, OUT_OF_RANGE_LOW, OUT_OF_RANGE_HIGH,
    OUT_OF_RANGE_REASON, NOT_A_BOOL, DATE_TOO_EARLY, DATE_TOO_EARLY_REASON, DATE_AFTER_TODAY,
    DATE_AFTER_TODAY_REASON, LONG_FOLLOW_UP, LONG_FOLLOW_UP_REASON, DUPLICATE_ID, DUPLICATE_ID_REASON,
    DATE_BEFORE, DATE_AFTER, *DATE_ORDER_NOTED, *DATE_ORDER_REASONS, PP_START_WITHOUT_PROGRESSION,
    PP_START_WITHOUT_PROGRESSION_REASON, PP_THERAPY_WITHOUT_PROGRESSION, PP_THERAPY_WITHOUT_PROGRESSION_REASON,
    PP_START_WITH_NONE, PP_START_WITH_NONE_REASON, PP_START_MISSING, PP_START_MISSING_REASON, REPEATED_COLUMN,
    REPEATED_COLUMN_REASON, NO_ROWS, NO_ROWS_REASON, MISSING_PATIENT_ID, MISSING_PATIENT_ID_RENAME, MISSING_COLUMN,
    MISSING_COLUMN_RENAME, MISSING_COLUMN_REASON, EXTRA_COLUMN, EXTRA_COLUMN_REASON, NO_USABLE_ROWS,
    NO_USABLE_ROWS_REASON, MEASURE_WITHOUT_PROGRESSION, MEASURE_WITHOUT_PROGRESSION_REASON, BEFORE_AVAILABLE,
    BEFORE_AVAILABLE_REASON, *DRUGS, RECOMPUTED, RECOMPUTED_REASON, EMPTY_VALUE,
)  # fmt: skip
"""Every template the analysis layer words report lines with."""
