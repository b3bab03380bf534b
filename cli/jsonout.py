"""The one JSON encoder of every ``ppx`` command: :mod:`analysis.jsonsafe` (shared with the reproduction bundles)."""

from __future__ import annotations

from analysis.jsonsafe import REASONS, dumps, jsonable

__all__ = ["REASONS", "dumps", "jsonable"]
