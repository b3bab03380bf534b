"""Cohort files: derived endpoints (and, later in this module, loading,
validation and fingerprinting).

``derive_endpoints`` is the one function that turns dates into the analysis
endpoints. The generator, the loader and uploads all go through it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.schema import (
    DAYS_PER_MONTH,
    DISEASE_CONTROL_RESPONSES,
    ICI_THERAPIES,
    OBJECTIVE_RESPONSES,
    PP_CLASS_OF,
    albi_grade,
    child_pugh_class,
)


def _months(later: pd.Series, earlier: pd.Series) -> pd.Series:
    return (later - earlier).dt.days.astype("float64") / DAYS_PER_MONTH


def derive_endpoints(frame: pd.DataFrame) -> pd.DataFrame:
    """Return a copy of ``frame`` with every derived column recomputed.

    ``frame`` holds the canonical input columns with date columns already
    parsed to ``datetime64``. Months are days / 30.4375.

    - OS: first_line_start to death (event) or last contact (censored).
    - PFS: to progression or death, whichever is first (event); else last contact.
    - PPS: progression to death or last contact; missing when no progression.
    """
    out = frame.copy()
    start = out["first_line_start"]
    death = out["death_date"]
    last = out["last_contact_date"]
    prog = out["progression_date"]

    died = death.notna()
    os_end = death.where(died, last)
    out["os_months"] = _months(os_end, start)
    out["os_event"] = died.astype("int64")

    progressed = prog.notna()
    pfs_end = prog.where(progressed, os_end)
    pfs_end = pfs_end.where(~(progressed & died & (death < prog)), death)
    out["pfs_months"] = _months(pfs_end, start)
    out["pfs_event"] = (progressed | died).astype("int64")

    out["pps_months"] = _months(os_end, prog).where(progressed)
    out["pps_event"] = pd.Series(np.where(progressed, died.astype("float64"), np.nan), index=out.index)

    therapy = out["pp_therapy"].astype("string")
    out["pp_received"] = (therapy.notna() & (therapy != "none")).astype("int64")
    out["pp_class"] = therapy.map(PP_CLASS_OF).astype("object")
    out["pp_ici"] = therapy.isin(ICI_THERAPIES).astype("int64")

    response = out["best_response"].astype("string")
    out["disease_control"] = response.isin(DISEASE_CONTROL_RESPONSES).astype("int64")
    out["objective_response"] = response.isin(OBJECTIVE_RESPONSES).astype("int64")

    out["child_pugh_class"] = out["child_pugh_score"].astype("float64").map(child_pugh_class)
    out["albi_grade"] = out["albi_score"].astype("float64").map(albi_grade)
    return out
