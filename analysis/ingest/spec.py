"""The mapping of a file's columns and values to the canonical ones (:class:`MappingSpec`), saved as JSON."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from analysis.errors import DataError
from analysis.ingest import messages as M
from analysis.ingest.dates import DATE_ORDERS, DateOrder
from analysis.ingest.encodings import ENCODINGS
from analysis.schema import COLUMN_BY_NAME, COLUMNS

MAPPING_FORMAT = "ppx-mapping"
MAPPING_VERSION = 1


@dataclass(frozen=True)
class MappingSpec:
    """How a file's columns and values become the canonical ones. Frozen and hashable; saved as JSON.

    - ``columns``: (canonical column, file column) pairs;
    - ``values``: (canonical column, ((file value, canonical value), ...)) pairs;
    - ``date_order``: how ``03/04/2020`` is read: ``auto`` (inferred from
      unambiguous dates in the file), ``dmy`` or ``mdy``;
    - ``encoding`` and ``sheet``: the reader's choices (None: detect / first sheet with data);
    - ``keep_unmapped``: keep file columns that are not mapped (the CLI's
      identity mode); the Data page drops them, so nothing unneeded is stored.
    """

    columns: tuple[tuple[str, str], ...] = ()
    values: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = ()
    date_order: DateOrder = "auto"
    encoding: str | None = None
    sheet: str | None = None
    keep_unmapped: bool = False

    def column_map(self) -> dict[str, str]:
        return dict(self.columns)

    def value_map(self, column: str) -> dict[str, str]:
        return dict(dict(self.values).get(column, ()))

    @staticmethod
    def build(
        columns: Mapping[str, str | None],
        values: Mapping[str, Mapping[str, str | None]] | None = None,
        **options: Any,
    ) -> MappingSpec:
        """A spec from plain dicts (None entries are dropped), in canonical column order."""
        order = {c.name: i for i, c in enumerate(COLUMNS)}
        pairs = tuple(sorted(((c, s) for c, s in columns.items() if s), key=lambda p: order.get(p[0], 999)))
        value_pairs = tuple(
            sorted(
                (
                    (c, tuple(sorted((str(k), str(v)) for k, v in m.items() if v not in (None, ""))))
                    for c, m in (values or {}).items()
                ),
                key=lambda p: order.get(p[0], 999),
            )
        )
        return MappingSpec(pairs, tuple(p for p in value_pairs if p[1]), **options)

    @staticmethod
    def identity(file_columns: Iterable[str]) -> MappingSpec:
        """Canonical names map to themselves; every other column is kept (``ppx validate`` without --mapping)."""
        present = set(file_columns)
        return MappingSpec.build({c.name: c.name for c in COLUMNS if c.name in present}, keep_unmapped=True)

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": MAPPING_FORMAT,
            "version": MAPPING_VERSION,
            "columns": dict(self.columns),
            "values": {c: dict(pairs) for c, pairs in self.values},
            "date_order": self.date_order,
            "encoding": self.encoding,
            "sheet": self.sheet,
            "keep_unmapped": self.keep_unmapped,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2)

    @staticmethod
    def from_dict(data: object) -> MappingSpec:
        """Checks a loaded mapping strictly; raises DataError naming what is wrong."""
        if not isinstance(data, dict) or data.get("format") != MAPPING_FORMAT:
            raise DataError.of(M.NOT_A_MAPPING)
        if data.get("version") != MAPPING_VERSION:
            raise DataError.of(M.MAPPING_BAD_VERSION, version=repr(data.get("version")), expected=MAPPING_VERSION)
        columns = _str_dict(data.get("columns", {}), "columns")
        unknown = sorted(set(columns) - set(COLUMN_BY_NAME))
        if unknown:
            raise DataError.of(M.MAPPING_UNKNOWN_COLUMNS, columns=", ".join(unknown))
        raw_values = data.get("values", {})
        if not isinstance(raw_values, dict):
            raise DataError.of(M.MAPPING_VALUES_NOT_OBJECT)
        values = {str(c): _str_dict(m, f"values.{c}") for c, m in raw_values.items()}
        unknown = sorted(set(values) - set(COLUMN_BY_NAME))
        if unknown:
            raise DataError.of(M.MAPPING_UNKNOWN_VALUE_COLUMNS, columns=", ".join(unknown))
        order = data.get("date_order", "auto")
        if order not in DATE_ORDERS:
            raise DataError.of(M.MAPPING_DATE_ORDER, choices=", ".join(DATE_ORDERS), order=repr(order))
        encoding = data.get("encoding")
        if encoding is not None and encoding not in ENCODINGS:
            raise DataError.of(M.MAPPING_ENCODING, encoding=repr(encoding), choices=", ".join(ENCODINGS))
        sheet = data.get("sheet")
        return MappingSpec.build(
            columns,
            values,
            date_order=order,
            encoding=encoding,
            sheet=str(sheet) if sheet is not None else None,
            keep_unmapped=bool(data.get("keep_unmapped", False)),
        )

    @staticmethod
    def from_json(text: str | bytes) -> MappingSpec:
        try:
            data = json.loads(text)
        except (ValueError, UnicodeDecodeError) as exc:
            raise DataError.of(M.MAPPING_NOT_JSON, detail=str(exc), kind=type(exc).__name__) from exc
        return MappingSpec.from_dict(data)


def _str_dict(value: object, where: str) -> dict[str, str | None]:
    if not isinstance(value, dict):
        raise DataError.of(M.MAPPING_NOT_NAMES, where=repr(where))
    out: dict[str, str | None] = {}
    for key, item in value.items():
        if item is not None and not isinstance(item, (str, int, float)):
            raise DataError.of(M.MAPPING_NOT_TEXT, where=f"{where}.{key}")
        out[str(key)] = None if item is None else str(item)
    return out
