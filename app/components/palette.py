"""The only place that knows what colour (and what display name) each group has.

Colours come from the Okabe–Ito colour-blind-safe palette and are the same in
every figure, theme and export.
"""

from __future__ import annotations

from analysis.caveats import POST_BASELINE
from analysis.postprog import EXPOSURE_LEVELS
from app.i18n import N_, Lang, t, tr

OKABE_ITO: tuple[str, ...] = (
    "#0072B2",  # blue
    "#D55E00",  # vermillion
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#E69F00",  # orange
    "#56B4E9",  # sky blue
    "#000000",  # black
    "#F0E442",  # yellow (last: poor contrast on white)
)
NEUTRAL = "#7F7F7F"
INK = "#000000"
FONT_FAMILY = "Arial, Helvetica, 'Liberation Sans', 'DejaVu Sans', 'Noto Sans CJK JP', sans-serif"
"""Every figure and export names this family: Latin text in a common sans-serif, Japanese (and other CJK) text
in Noto Sans CJK (Debian's fonts-noto-cjk, installed by scripts/system-deps.sh and the Dockerfile)."""
PPTX_LATIN_FONT = "Arial"
PPTX_EAST_ASIAN_FONT = "Noto Sans CJK JP"

FIXED_COLOURS: dict[str, dict[str, str]] = {
    "first_line": {"sorafenib": "#0072B2", "lenvatinib": "#D55E00", "atezolizumab_bevacizumab": "#009E73"},
    "pp_class": {"none": NEUTRAL, "tki": "#E69F00", "ici": "#CC79A7", "locoregional": "#56B4E9", "other": "#000000"},
    "pp_received": {"0": NEUTRAL, "1": "#009E73"},
    "pp_ici": {"0": NEUTRAL, "1": "#CC79A7"},
    "pp_group": {"none": NEUTRAL, "other": "#E69F00", "ici": "#CC79A7"},
}

RESPONSE_COLOURS: dict[str, str] = {
    "CR": "#009E73",
    "PR": "#56B4E9",
    "SD": "#E69F00",
    "PD": "#D55E00",
    "NE": "#BBBBBB",
}
"""Best-response colours (Okabe–Ito), the same in every figure and export."""

GROUPINGS: dict[str, str] = {
    "first_line": N_("First-line drug"),
    "pp_received": N_("Post-progression therapy received"),
    "pp_class": N_("Post-progression therapy class"),
    "pp_ici": N_("ICI after progression"),
    "pp_group": N_("Post-progression: ICI, other therapy, none"),
    "disease_control": N_("Disease control (first line)"),
    "best_response": N_("Best response (first line)"),
    "bclc": N_("BCLC stage"),
    "child_pugh_class": N_("Child-Pugh class"),
    "albi_grade": N_("ALBI grade"),
    "etiology": N_("Etiology"),
    "ecog": N_("ECOG PS"),
    "sex": N_("Sex"),
    "mvi": N_("Macrovascular invasion"),
    "ehs": N_("Extrahepatic spread"),
    "center": N_("Centre"),
}
"""Grouping variable -> label, in menu order. ``none`` (all patients) is added by the pages."""

POST_BASELINE_GROUPINGS: frozenset[str] = frozenset(g for g in GROUPINGS if g in POST_BASELINE)
"""Groupings defined after time zero (the rule is :mod:`analysis.caveats`): exposed to immortal-time bias."""

_LEVEL_LABELS: dict[str, dict[str, str]] = {
    "first_line": {
        "sorafenib": N_("Sorafenib"),
        "lenvatinib": N_("Lenvatinib"),
        "atezolizumab_bevacizumab": N_("Atezolizumab + bevacizumab"),
    },
    "pp_class": {
        "none": N_("None"),
        "tki": N_("TKI / MTA"),
        "ici": N_("ICI"),
        "locoregional": N_("Locoregional"),
        "other": N_("Other"),
    },
    "pp_received": {"0": N_("No post-progression therapy"), "1": N_("Post-progression therapy")},
    "pp_ici": {"0": N_("No ICI"), "1": N_("ICI")},
    "pp_group": {"none": N_("No post-progression therapy"), "other": N_("Other therapy"), "ici": N_("ICI")},
    "disease_control": {"0": N_("No disease control"), "1": N_("Disease control")},
    "mvi": {"0": N_("No MVI"), "1": N_("MVI")},
    "ehs": {"0": N_("No EHS"), "1": N_("EHS")},
    "sex": {"M": N_("Male"), "F": N_("Female")},
}
_PREFIXES: dict[str, str] = {
    "bclc": "BCLC ",
    "child_pugh_class": "Child-Pugh ",
    "albi_grade": "ALBI ",
    "ecog": "ECOG ",
}


def level_name(grouping: str, level: str, lang: Lang = "en") -> str:
    """One level's own name in ``lang``, without the grouping's prefix (a filter's value: "BCLC stage: B, C")."""
    known = _LEVEL_LABELS.get(grouping, {}).get(level)
    return t(lang, known if known is not None else level)


def level_label(grouping: str | None, level: str, lang: Lang = "en") -> str:
    """Plain-words label of one group in ``lang``, ('first_line', 'lenvatinib') -> 'Lenvatinib' / 'レンバチニブ'."""
    if grouping is None:
        return t(lang, "All patients") if level == "all" else tr(lang, level)
    known = _LEVEL_LABELS.get(grouping, {}).get(level)
    return t(lang, known) if known is not None else _PREFIXES.get(grouping, "") + t(lang, level)


def grouping_label(grouping: str, lang: Lang = "en") -> str:
    """The grouping's menu label in ``lang`` ("First-line drug" / "一次治療薬")."""
    return t(lang, GROUPINGS.get(grouping, grouping))


def grouping_phrase(grouping: str, lang: Lang = "en") -> str:
    """The grouping's label inside a sentence ("OS by first-line drug", "by ICI after progression"):
    the first letter is lowered only for an ordinary word, never for an acronym or a name (ICI, ECOG, Child-Pugh).
    """
    if lang != "en":
        return grouping_label(grouping, lang)
    label = GROUPINGS.get(grouping, grouping)
    first = label.split(" ", 1)[0]
    if any(c.isupper() for c in first[1:]):
        return label
    return label[:1].lower() + label[1:]


def _canonical_level(grouping: str, level: str) -> str:
    """An exposure's analysis label ("No therapy yet", "ICI") as the grouping's own level ("0", "1")."""
    levels = EXPOSURE_LEVELS.get(grouping)
    if levels is not None and level in levels:
        return str(levels.index(level))
    return level


def group_colour(grouping: str | None, level: str, position: int) -> str:
    """Fixed colour for known groupings; otherwise the palette in order of position.

    The corrected analyses' groups ("No therapy yet", "Post-progression therapy" of ``pp_received``)
    get the colours of the same groups in the naive figure.
    """
    if grouping is not None:
        fixed = FIXED_COLOURS.get(grouping, {})
        canonical = _canonical_level(grouping, level)
        if canonical in fixed:
            return fixed[canonical]
    return OKABE_ITO[position % len(OKABE_ITO)]
