"""'Reproduce this view': the view's data, a README with its expected numbers, and R and Python scripts that
recompute every number, zipped in memory. One module per view; :mod:`analysis.reproduce.bundle` is what they share."""

VIEWS: tuple[str, ...] = (
    "survival",
    "cox",
    "response",
    "cohort",
    "adjusted",
    "emulation",
    "guard",
    "sequences",
    "study",
)
"""The views with a bundle (``ppx reproduce --view``, the pages' Reproduce buttons)."""
