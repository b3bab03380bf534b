"""Reading a user's table file for the CLI: CSV or TSV, UTF-8 with or without BOM.

Every failure (missing file, unreadable bytes, empty file, malformed rows)
becomes a :class:`~analysis.errors.DataError` naming the file, so the CLI
prints one line and never a traceback.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from analysis.errors import DataError

_TAB_SEPARATED = frozenset({".tsv", ".tab", ".tsv.gz", ".tab.gz"})


def _separator(path: Path) -> str:
    suffixes = "".join(path.suffixes[-2:]).lower()
    if path.suffix.lower() in _TAB_SEPARATED or suffixes in _TAB_SEPARATED:
        return "\t"
    return ","


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a CSV (or TSV, by the ``.tsv``/``.tab`` extension) into a DataFrame.

    - The encoding is UTF-8; a byte-order mark is removed (``utf-8-sig``).
    - Empty cells and ``NA`` become missing values.
    - The index is the default 0-based row position, so
      :func:`analysis.survdata.spreadsheet_row` gives the line number in the file.

    Raises DataError when the file is missing, is a directory, is not UTF-8
    text, is empty, has no data rows, or cannot be parsed.
    """
    file = Path(path)
    if not file.exists():
        raise DataError(f"file not found: {str(file)!r}")
    if file.is_dir():
        raise DataError(f"{str(file)!r} is a folder, not a data file")
    try:
        frame = pd.read_csv(file, sep=_separator(file), encoding="utf-8-sig")
    except pd.errors.EmptyDataError as exc:
        raise DataError(f"file {str(file)!r} is empty") from exc
    except UnicodeDecodeError as exc:
        raise DataError(f"file {str(file)!r} is not UTF-8 text (save it as CSV UTF-8): {exc.reason}") from exc
    except pd.errors.ParserError as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else "malformed rows"
        raise DataError(f"file {str(file)!r} could not be read as a table: {first_line}") from exc
    except OSError as exc:
        raise DataError(f"file {str(file)!r} could not be opened: {exc.strerror or exc}") from exc
    if frame.empty:
        raise DataError(f"file {str(file)!r} has a header but no data rows")
    frame.columns = [str(column).strip() for column in frame.columns]
    return frame
