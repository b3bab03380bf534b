"""The canonical cohort schema: the single source for the data dictionary,
the validator, the synthetic generator and the upload mapper.

One row per patient. Column names are fixed: users' files, exports and every
later feature rely on them. ``data/README.md`` is generated from this module
(``ppx dictionary``) and a test keeps the two in step.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

DAYS_PER_MONTH = 30.4375
"""Months are days / 30.4375 (365.25 / 12) everywhere in the product."""

EARLIEST_PLAUSIBLE_DATE = date(2005, 1, 1)
"""No date of a cohort can be earlier: first-line sorafenib for HCC began with its phase III trial (SHARP, enrolling
from March 2005; approved for HCC in 2007, in Japan in 2009) and lenvatinib later (2018). An earlier date is an
error (a typo in the year, or a birth date in the wrong column)."""
MAX_PLAUSIBLE_FOLLOW_UP_YEARS = 20
"""Follow-up (first_line_start to last contact or death) longer than this is a warning: median OS in aHCC is about a
year, so 20 years is far outside what the disease allows and more likely a wrong date."""

Kind = Literal["id", "text", "category", "date", "int", "float", "bool"]

FIRST_LINE_DRUGS: tuple[str, ...] = ("sorafenib", "lenvatinib", "atezolizumab_bevacizumab")
"""First-line drugs the schema accepts. The KLC study used only the first two;
the set is open so that first-line atezolizumab + bevacizumab can be added."""

SEXES: tuple[str, ...] = ("M", "F")
ETIOLOGIES: tuple[str, ...] = ("HBV", "HCV", "alcohol", "MASLD", "other")
BCLC_STAGES: tuple[str, ...] = ("A", "B", "C", "D")
CHILD_PUGH_CLASSES: tuple[str, ...] = ("A", "B", "C")
ALBI_GRADES: tuple[str, ...] = ("1", "2a", "2b", "3")
RESPONSES: tuple[str, ...] = ("CR", "PR", "SD", "PD", "NE")
RESPONSE_CRITERIA: tuple[str, ...] = ("mRECIST", "RECIST1.1")
ECOG_VALUES: tuple[int, ...] = (0, 1, 2, 3, 4)

PP_THERAPIES: tuple[str, ...] = (
    "none",
    "regorafenib",
    "ramucirumab",
    "cabozantinib",
    "sorafenib",
    "lenvatinib",
    "atezolizumab_bevacizumab",
    "other_ici",
    "tace",
    "haic",
    "radiotherapy",
    "other",
)

PP_CLASSES: tuple[str, ...] = ("none", "tki", "ici", "locoregional", "other")
"""Post-progression therapy classes, in display order.

``tki`` holds the molecular-targeted agents: the TKIs and ramucirumab
(an anti-VEGFR2 antibody, grouped with them as in the Japanese guidelines)."""

PP_CLASS_OF: dict[str, str] = {
    "none": "none",
    "regorafenib": "tki",
    "ramucirumab": "tki",
    "cabozantinib": "tki",
    "sorafenib": "tki",
    "lenvatinib": "tki",
    "atezolizumab_bevacizumab": "ici",
    "other_ici": "ici",
    "tace": "locoregional",
    "haic": "locoregional",
    "radiotherapy": "locoregional",
    "other": "other",
}

ICI_THERAPIES: frozenset[str] = frozenset(t for t, c in PP_CLASS_OF.items() if c == "ici")
DISEASE_CONTROL_RESPONSES: frozenset[str] = frozenset({"CR", "PR", "SD"})
OBJECTIVE_RESPONSES: frozenset[str] = frozenset({"CR", "PR"})

AFP_HIGH = 400.0
"""AFP cut-off (ng/mL) used for the ``afp_high`` flag and by ramucirumab's label."""


@dataclass(frozen=True)
class Column:
    """One canonical column of the cohort file."""

    name: str
    kind: Kind
    group: str
    description: str
    unit: str | None = None
    allowed: tuple[str, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None
    required: bool = True
    nullable: bool = False
    derived: bool = False


COLUMNS: tuple[Column, ...] = (
    # Identity
    Column(
        "patient_id",
        "id",
        "Identity",
        "Unique patient identifier (any text; no names).",
    ),
    Column("center", "text", "Identity", "Treating centre (any text)."),
    # First line
    Column("first_line", "category", "First line", "First-line systemic drug.", allowed=FIRST_LINE_DRUGS),
    Column("first_line_start", "date", "First line", "Date the first-line drug was started (time zero).", unit="date"),
    # Baseline
    Column("age", "float", "Baseline", "Age at first-line start.", unit="years", minimum=18, maximum=110),
    Column("sex", "category", "Baseline", "Sex.", allowed=SEXES),
    Column("etiology", "category", "Baseline", "Main aetiology of liver disease.", allowed=ETIOLOGIES),
    Column("bclc", "category", "Baseline", "BCLC stage at first-line start.", allowed=BCLC_STAGES),
    Column(
        "child_pugh_score",
        "int",
        "Baseline",
        "Child-Pugh score at first-line start.",
        unit="points",
        minimum=5,
        maximum=15,
    ),
    Column(
        "child_pugh_class",
        "category",
        "Baseline",
        "Child-Pugh class, derived from the score: 5-6 A, 7-9 B, 10-15 C.",
        allowed=CHILD_PUGH_CLASSES,
        derived=True,
    ),
    Column(
        "albi_score",
        "float",
        "Baseline",
        "ALBI score = 0.66 x log10(bilirubin umol/L) - 0.085 x albumin g/L.",
        minimum=-5,
        maximum=1,
    ),
    Column(
        "albi_grade",
        "category",
        "Baseline",
        "Modified ALBI grade, derived from the score: <= -2.60 grade 1; <= -2.27 2a; <= -1.39 2b; above 3.",
        allowed=ALBI_GRADES,
        derived=True,
    ),
    Column("fib4", "float", "Baseline", "FIB-4 index (age x AST / (platelets x sqrt(ALT))).", minimum=0, maximum=100),
    Column("afp", "float", "Baseline", "Serum alpha-fetoprotein.", unit="ng/mL", minimum=0, maximum=10_000_000),
    Column("ecog", "int", "Baseline", "ECOG performance status.", minimum=0, maximum=4),
    Column("mvi", "bool", "Baseline", "Macrovascular invasion (1 yes, 0 no)."),
    Column("ehs", "bool", "Baseline", "Extrahepatic spread (1 yes, 0 no)."),
    # Response
    Column("best_response", "category", "Response", "Best overall response to the first-line drug.", allowed=RESPONSES),
    Column("response_criteria", "category", "Response", "Criteria used for best_response.", allowed=RESPONSE_CRITERIA),
    # Course
    Column(
        "progression_date",
        "date",
        "Course",
        "Date of radiological or clinical progression; empty if none.",
        unit="date",
        nullable=True,
    ),
    Column(
        "pp_therapy",
        "category",
        "Course",
        "Main therapy after progression; 'none' if none was given.",
        allowed=PP_THERAPIES,
    ),
    Column(
        "pp_start",
        "date",
        "Course",
        "Start of the post-progression therapy; empty if none.",
        unit="date",
        nullable=True,
    ),
    Column(
        "last_contact_date", "date", "Course", "Last date the patient was known alive (or date of death).", unit="date"
    ),
    Column(
        "death_date", "date", "Course", "Date of death; empty if alive at last contact.", unit="date", nullable=True
    ),
    # At progression (optional: a file without them is valid; the target-trial emulation then adjusts for
    # baseline only)
    Column(
        "child_pugh_score_pd",
        "int",
        "At progression",
        "Child-Pugh score at first-line progression; empty unless progression_date is set.",
        unit="points",
        minimum=5,
        maximum=15,
        required=False,
        nullable=True,
    ),
    Column(
        "albi_score_pd",
        "float",
        "At progression",
        "ALBI score at first-line progression; empty unless progression_date is set.",
        minimum=-5,
        maximum=1,
        required=False,
        nullable=True,
    ),
    Column(
        "ecog_pd",
        "int",
        "At progression",
        "ECOG performance status at first-line progression; empty unless progression_date is set.",
        minimum=0,
        maximum=4,
        required=False,
        nullable=True,
    ),
    Column(
        "afp_pd",
        "float",
        "At progression",
        "Serum alpha-fetoprotein at first-line progression; empty unless progression_date is set.",
        unit="ng/mL",
        minimum=0,
        maximum=10_000_000,
        required=False,
        nullable=True,
    ),
    # Derived endpoints
    Column(
        "os_months",
        "float",
        "Derived",
        "Overall survival: first_line_start to death or last contact.",
        unit="months",
        minimum=0,
        derived=True,
    ),
    Column("os_event", "bool", "Derived", "1 if death_date is set, else 0 (censored).", derived=True),
    Column(
        "pfs_months",
        "float",
        "Derived",
        "Progression-free survival: first_line_start to progression or death, whichever comes first; "
        "else to last contact.",
        unit="months",
        minimum=0,
        derived=True,
    ),
    Column("pfs_event", "bool", "Derived", "1 if progression or death ended PFS, else 0.", derived=True),
    Column(
        "pps_months",
        "float",
        "Derived",
        "Post-progression survival: progression_date to death or last contact; empty if no progression.",
        unit="months",
        minimum=0,
        nullable=True,
        derived=True,
    ),
    Column(
        "pps_event",
        "bool",
        "Derived",
        "1 if died after progression, 0 if censored; empty if no progression.",
        nullable=True,
        derived=True,
    ),
    Column(
        "pp_received",
        "bool",
        "Derived",
        "1 if any post-progression therapy was given (pp_therapy != none).",
        derived=True,
    ),
    Column(
        "pp_class",
        "category",
        "Derived",
        "Class of pp_therapy: none, tki, ici, locoregional, other.",
        allowed=PP_CLASSES,
        derived=True,
    ),
    Column(
        "pp_ici",
        "bool",
        "Derived",
        "1 if the post-progression therapy was an immune checkpoint inhibitor.",
        derived=True,
    ),
    Column("disease_control", "bool", "Derived", "1 if best_response is CR, PR or SD.", derived=True),
    Column("objective_response", "bool", "Derived", "1 if best_response is CR or PR.", derived=True),
)

COLUMN_BY_NAME: dict[str, Column] = {c.name: c for c in COLUMNS}

LABELS: dict[str, str] = {
    "center": "Centre",
    "first_line": "First-line drug",
    "age": "Age (years)",
    "sex": "Sex",
    "etiology": "Etiology",
    "bclc": "BCLC stage",
    "child_pugh_score": "Child-Pugh score (points)",
    "child_pugh_class": "Child-Pugh class",
    "albi_score": "ALBI score",
    "albi_grade": "ALBI grade",
    "fib4": "FIB-4 index",
    "afp": "AFP (ng/mL)",
    "afp_high": f"AFP ≥ {AFP_HIGH:g} ng/mL",
    "ecog": "ECOG performance status",
    "mvi": "Macrovascular invasion",
    "ehs": "Extrahepatic spread",
    "best_response": "Best response (first line)",
    "disease_control": "Disease control (first line)",
    "objective_response": "Objective response (first line)",
    "pp_received": "Post-progression therapy",
    "pp_class": "Post-progression therapy class",
    "pp_ici": "ICI after progression",
    "pp_group": "Post-progression: ICI, other therapy, none",
    "child_pugh_score_pd": "Child-Pugh score at progression",
    "albi_score_pd": "ALBI score at progression",
    "ecog_pd": "ECOG performance status at progression",
    "afp_pd": "AFP at progression (ng/mL)",
}
"""Display labels of the data dictionary's columns (Table 1, exports); :func:`column_label` falls back to the name."""


def column_label(name: str) -> str:
    """The data dictionary's display label of a column; an unknown column keeps its name (with its unit)."""
    if name in LABELS:
        return LABELS[name]
    column = COLUMN_BY_NAME.get(name)
    return f"{name} ({column.unit})" if column is not None and column.unit else name


INPUT_COLUMNS: tuple[str, ...] = tuple(c.name for c in COLUMNS if not c.derived)
"""Every canonical input column, optional ones included (a validated cohort always has them all)."""
REQUIRED_COLUMNS: tuple[str, ...] = tuple(c.name for c in COLUMNS if not c.derived and c.required)
OPTIONAL_COLUMNS: tuple[str, ...] = tuple(c.name for c in COLUMNS if not c.derived and not c.required)
"""Input columns a file may leave out: they are then empty in the validated cohort."""
PROGRESSION_COLUMNS: tuple[str, ...] = ("child_pugh_score_pd", "albi_score_pd", "ecog_pd", "afp_pd")
"""Measurements at first-line progression (empty unless ``progression_date`` is set)."""
DERIVED_COLUMNS: tuple[str, ...] = tuple(c.name for c in COLUMNS if c.derived)
DATE_COLUMNS: tuple[str, ...] = tuple(c.name for c in COLUMNS if c.kind == "date")

ENDPOINTS: dict[str, tuple[str, str, str]] = {
    "os": ("os_months", "os_event", "Overall survival"),
    "pfs": ("pfs_months", "pfs_event", "Progression-free survival"),
    "pps": ("pps_months", "pps_event", "Post-progression survival"),
}
"""Endpoint key -> (time column, event column, label). Times are in months."""


def child_pugh_class(score: float) -> str | None:
    """Child-Pugh class from the score (5-6 A, 7-9 B, 10-15 C); None if out of range or missing."""
    if score != score or score < 5 or score > 15:  # NaN-safe
        return None
    if score <= 6:
        return "A"
    if score <= 9:
        return "B"
    return "C"


def albi_grade(score: float) -> str | None:
    """Modified ALBI grade (1, 2a, 2b, 3) from the ALBI score; None if missing."""
    if score != score:
        return None
    if score <= -2.60:
        return "1"
    if score <= -2.27:
        return "2a"
    if score <= -1.39:
        return "2b"
    return "3"


def data_dictionary_markdown() -> str:
    """The data dictionary as Markdown, generated from :data:`COLUMNS`."""
    lines = [
        "| column | type | unit | allowed values / range | required | meaning |",
        "|---|---|---|---|---|---|",
    ]
    for col in COLUMNS:
        if col.allowed is not None:
            allowed = ", ".join(f"`{v}`" for v in col.allowed)
        elif col.minimum is not None or col.maximum is not None:
            lo = "" if col.minimum is None else f"{col.minimum:g}"
            hi = "" if col.maximum is None else f"{col.maximum:g}"
            allowed = f"{lo} to {hi}".strip()
        elif col.kind == "bool":
            allowed = "`0`, `1`"
        elif col.kind == "date":
            allowed = f"ISO date `YYYY-MM-DD`, from {EARLIEST_PLAUSIBLE_DATE.isoformat()} to today"
        else:
            allowed = ""
        if col.derived:
            required = "derived"
        elif not col.required:
            required = "optional"
        elif col.nullable:
            required = "may be empty"
        else:
            required = "yes"
        lines.append(f"| `{col.name}` | {col.kind} | {col.unit or ''} | {allowed} | {required} | {col.description} |")
    lines += [
        "",
        f"Dates are checked for plausibility: a date before {EARLIEST_PLAUSIBLE_DATE.isoformat()} (before first-line "
        "sorafenib for HCC existed: its phase III trial began enrolling in 2005) or after today is an error naming the "
        f"row and column; follow-up (first_line_start to last contact or death) longer than "
        f"{MAX_PLAUSIBLE_FOLLOW_UP_YEARS} years is a warning.",
    ]
    return "\n".join(lines) + "\n"
