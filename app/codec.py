"""Uploaded data on the server without pickles: JSON for the structure, Parquet for the tables.

A stored value (an uploaded cohort with its validation report, a received
file) is encoded as one blob::

    b"PPXD1" | 8-byte length | JSON | (8-byte length | part)*

The JSON describes the value with tags: a frozen dataclass by its registered
name and fields, tuples, and references to the parts (a DataFrame as Parquet
through pyarrow, with its index; raw bytes as they are). Decoding builds only
the registered dataclasses, pandas frames and plain values: unlike a pickle, a
blob cannot make the server run code, whoever wrote it.
"""

from __future__ import annotations

import dataclasses
import io
import json
import struct
from collections.abc import Sequence
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

MAGIC = b"PPXD1"
_LEN = struct.Struct(">Q")


class CodecError(ValueError):
    """A stored blob is not one this codec wrote (or names a type it may not build)."""


def _registry(types: Sequence[type[Any]]) -> dict[str, type[Any]]:
    """The analysis results a blob may hold, plus the caller's own dataclasses (``types``: the codec sits below
    the modules that store values, so they name their types rather than the codec importing them)."""
    from analysis.cohort import Issue, ValidatedCohort, ValidationReport
    from analysis.ingest import RawTable
    from analysis.messages import Message

    return {cls.__name__: cls for cls in (ValidatedCohort, ValidationReport, Issue, Message, RawTable, *types)}


def _frame_bytes(frame: pd.DataFrame) -> bytes:
    table = pa.Table.from_pandas(frame, preserve_index=True)
    sink = io.BytesIO()
    pq.write_table(table, sink)
    return sink.getvalue()


def _encode(value: Any, parts: list[bytes], names: dict[type[Any], str]) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, tuple):
        return {"$tuple": [_encode(v, parts, names) for v in value]}
    if isinstance(value, list):
        return [_encode(v, parts, names) for v in value]
    if isinstance(value, dict):
        return {"$dict": [[_encode(k, parts, names), _encode(v, parts, names)] for k, v in value.items()]}
    if isinstance(value, (bytes, bytearray)):
        parts.append(bytes(value))
        return {"$bytes": len(parts) - 1}
    if isinstance(value, pd.DataFrame):
        parts.append(_frame_bytes(value))
        return {"$frame": len(parts) - 1}
    if dataclasses.is_dataclass(value) and not isinstance(value, type) and type(value) in names:
        fields = {f.name: _encode(getattr(value, f.name), parts, names) for f in dataclasses.fields(value)}
        return {"$dc": names[type(value)], "fields": fields}
    raise CodecError(f"cannot store a {type(value).__name__} value")


def encode(value: Any, types: Sequence[type[Any]] = ()) -> bytes:
    """One blob for ``value`` (a registered dataclass, possibly nested, with DataFrames and bytes inside)."""
    parts: list[bytes] = []
    names = {cls: name for name, cls in _registry(types).items()}
    header = json.dumps(_encode(value, parts, names), ensure_ascii=False, allow_nan=True).encode("utf-8")
    chunks = [MAGIC, _LEN.pack(len(header)), header]
    for part in parts:
        chunks += [_LEN.pack(len(part)), part]
    return b"".join(chunks)


def _decode(node: Any, parts: list[bytes], registry: dict[str, type[Any]]) -> Any:
    if isinstance(node, list):
        return [_decode(v, parts, registry) for v in node]
    if not isinstance(node, dict):
        return node
    if "$tuple" in node:
        return tuple(_decode(v, parts, registry) for v in node["$tuple"])
    if "$dict" in node:
        return {_decode(k, parts, registry): _decode(v, parts, registry) for k, v in node["$dict"]}
    if "$bytes" in node:
        return parts[int(node["$bytes"])]
    if "$frame" in node:
        return pq.read_table(pa.BufferReader(parts[int(node["$frame"])])).to_pandas()
    if "$dc" in node:
        cls = registry.get(str(node["$dc"]))
        if cls is None:
            raise CodecError(f"a stored value names an unknown type {node['$dc']!r}")
        return cls(**{k: _decode(v, parts, registry) for k, v in node["fields"].items()})
    raise CodecError("a stored value has an unknown tag")


def decode(blob: bytes, types: Sequence[type[Any]] = ()) -> Any:
    """The value :func:`encode` stored; CodecError for anything else."""
    if not blob.startswith(MAGIC):
        raise CodecError("not a stored value of this app")
    view = memoryview(blob)
    offset = len(MAGIC)
    chunks: list[bytes] = []
    while offset < len(blob):
        if offset + _LEN.size > len(blob):
            raise CodecError("a stored value is truncated")
        (size,) = _LEN.unpack_from(view, offset)
        offset += _LEN.size
        if offset + size > len(blob):
            raise CodecError("a stored value is truncated")
        chunks.append(bytes(view[offset : offset + size]))
        offset += size
    if not chunks:
        raise CodecError("a stored value is empty")
    try:
        header = json.loads(chunks[0].decode("utf-8"))
        return _decode(header, chunks[1:], _registry(types))
    except (ValueError, TypeError, KeyError, IndexError, pa.ArrowException) as exc:
        raise CodecError(f"a stored value cannot be read: {type(exc).__name__}") from exc
