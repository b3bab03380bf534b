"""Which cohort a request works on.

The bundled synthetic cohort is loaded once per process (read-only). Uploaded
cohorts (a later feature) are looked up per browser session, never shared.
"""

from __future__ import annotations

from functools import lru_cache

from analysis.cohort import ValidatedCohort, load_bundled_cohort
from analysis.errors import DataError


@lru_cache(maxsize=1)
def bundled() -> ValidatedCohort:
    """The bundled SYNTHETIC cohort, loaded and validated once per process."""
    return load_bundled_cohort()


def active_cohort() -> ValidatedCohort:
    """The cohort the current request works on."""
    return bundled()


def cohort_by_fingerprint(fingerprint: str) -> ValidatedCohort:
    """The cohort with this fingerprint, if this request may see it."""
    cohort = active_cohort()
    if cohort.fingerprint != fingerprint:
        raise DataError("this dataset is no longer available; reload the page")
    return cohort
