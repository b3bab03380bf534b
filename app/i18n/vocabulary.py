"""The analysis layer's English labels that the app shows, marked here for extraction (analysis stays free of
the translation layer). ``tests/test_i18n.py`` checks that every label of :data:`analysis.schema.ENDPOINTS` is here."""

from __future__ import annotations

from app.i18n import N_

ENDPOINT_LABELS: tuple[str, ...] = (
    N_("Overall survival"),
    N_("Progression-free survival"),
    N_("Post-progression survival"),
)
