"""Columns the dashboard derives for its groupings, in one place (pages, exports and the CLI use the same).

- ``afp_high``: 1 when AFP >= 400 ng/mL (missing when AFP is missing).
- ``pp_group``: the study's three-way post-progression grouping (``ici``, ``other``, ``none``).
"""

from __future__ import annotations

import pandas as pd

from analysis.postprog import PP_GROUPS, pp_sequence_group
from analysis.schema import AFP_HIGH

DERIVED_GROUPINGS: dict[str, str] = {
    "afp_high": f"1 when AFP >= {AFP_HIGH:g} ng/mL",
    "pp_group": f"post-progression therapy: {', '.join(PP_GROUPS)}",
}
"""Derived column -> what it is (for help texts and error messages)."""

REQUIRED_FOR: dict[str, tuple[str, ...]] = {"afp_high": ("afp",), "pp_group": ("pp_ici", "pp_received")}


def with_derived_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with ``afp_high`` and ``pp_group`` added (each only when its source columns are present)."""
    added: dict[str, pd.Series] = {}
    if "afp" in frame.columns:
        afp = frame["afp"].astype("float64")
        added["afp_high"] = (afp >= AFP_HIGH).astype("float64").where(afp.notna())
    if {"pp_ici", "pp_received"} <= set(frame.columns):
        added["pp_group"] = pp_sequence_group(frame)
    return frame.assign(**added)
