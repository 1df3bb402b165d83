"""Rows read from MariaDB, by either read path, typed as the export reads them.

pymysql (`--no-bulk`) gives Python values, with timestamps and decimals as text
(database.BULK_CONVERSIONS); ConnectorX gives Arrow batches in the server's column types.
Both become the same Arrow: the contract's columns in read types, wide enough to show a
bad value (a negative count) to the validation instead of failing on it. A value that
fits no read type stops the export with one line naming the dataset, the table read, the
column and the key of the first row holding such a value, so it can be found in the
database.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from functools import partial

import pyarrow as pa
import pyarrow.compute as pc

from accounting.errors import SourceError
from accounting.source import contracts
from accounting.source.contracts import Dataset

# Read types: wide enough to see bad values before the contract's: a count or duration
# (uint64 in the contract) as contracts.COUNT_READ_TYPE, negative or above 2^63-1 (int64,
# read before, failed the whole export on APEL's unsigned values above it). MariaDB's
# BOOLEAN is a TINYINT.
READ_TYPES = {pa.uint64(): contracts.COUNT_READ_TYPE, contracts.UTC_TS: pa.timestamp("s"), pa.bool_(): pa.int8()}
# What pyarrow raises for a value it cannot convert (ArrowInvalid is a ValueError,
# ArrowTypeError a TypeError; a Python int too large an OverflowError).
_UNREADABLE = (pa.ArrowException, OverflowError, TypeError, ValueError)


def read_schema(schema: pa.Schema) -> pa.Schema:
    return pa.schema([pa.field(f.name, READ_TYPES.get(f.type, f.type)) for f in schema])


def from_rows(rows: list[tuple], dataset: Dataset, table: str) -> pa.Table:
    """Rows as pymysql's cursor returns them (the contract's columns, in its order)."""
    schema = dataset.schema
    cols = list(zip(*rows)) if rows else [[] for _ in schema]
    arrays = []
    for values, f in zip(cols, schema):
        typ = READ_TYPES.get(f.type, f.type)
        try:
            arr = _array(values, typ)
        except _UNREADABLE as e:
            at = _first_unreadable(values, partial(_array, typ=typ))
            row = None if at is None else dict(zip(schema.names, rows[at]))
            raise SourceError(cannot_read(dataset, table, f.name, typ, e, row)) from None
        if f.type in (contracts.UTC_TS, pa.bool_()):
            arr = arr.cast(f.type)  # timestamps: the session runs in UTC
        arrays.append(arr)
    return pa.Table.from_arrays(arrays, names=schema.names)


def from_batch(batch: pa.RecordBatch, dataset: Dataset, table: str) -> pa.Table:
    """A ConnectorX batch in the read types (timestamps without a zone, as it gives them)."""
    schema = read_schema(dataset.schema)
    columns = []
    for f in schema:
        column = batch.column(f.name)
        try:
            columns.append(_cast(column, f.type))
        except _UNREADABLE as e:
            at = _first_unreadable(column, partial(_cast, typ=f.type))
            row = None if at is None else {name: batch.column(name)[at].as_py() for name in batch.schema.names}
            raise SourceError(cannot_read(dataset, table, f.name, f.type, e, row)) from None
    return pa.Table.from_arrays(columns, schema=schema)


def cannot_read(dataset: Dataset, table: str, column: str, typ: pa.DataType, error: Exception,
                row: dict | None) -> str:
    """The one line for a value that does not fit: with the key of its row, and the value
    itself where it is not part of the key. The user's DN is left out (personal data, and
    error lines end up in logs and mails), so the key shown may match a few rows."""
    text = str(error).strip()
    line = (f"cannot read column {column} of {dataset.name} (table {table}) as {typ}: "
            f"{text.splitlines()[0] if text else type(error).__name__}")
    if row is None:
        return line
    personal = contracts.PERSONAL_COLUMNS.get(dataset.name, ())
    shown = [k for k in dataset.key if k not in personal]
    if column not in shown and column not in personal:
        shown.append(column)
    return line + "; first such row: " + ", ".join(f"{k}={_shown(dataset, k, row.get(k))}" for k in shown)


def _shown(dataset: Dataset, column: str, value) -> str:
    """A key value as the same text whichever path read it (pymysql gives decimals as text,
    ConnectorX as decimals of its own scale)."""
    typ = dataset.schema.field(column).type
    if value is None:
        return "NULL"
    if pa.types.is_string(typ):
        return repr(value)
    try:
        if pa.types.is_decimal(typ):
            return str(Decimal(value).quantize(Decimal(10) ** -typ.scale))
        if pa.types.is_floating(typ):
            return repr(float(value))
    except (ArithmeticError, ValueError, TypeError):  # a value of another kind: as it is
        pass
    return str(value)


def _array(values, typ: pa.DataType) -> pa.Array:
    if (typ in (pa.float64(), pa.timestamp("s")) or pa.types.is_decimal(typ)) and \
            any(isinstance(v, str) for v in values):
        return pa.array(values, pa.string()).cast(typ)  # Arrow's parsers round correctly
    return pa.array(values, typ)


def _cast(column: pa.Array, typ: pa.DataType) -> pa.Array:
    if pa.types.is_decimal(column.type) and pa.types.is_floating(typ):
        # Through text: Arrow's decimal-to-double division is not correctly rounded
        # (7.64 became 7.640000000000001); its text parser is.
        column = pc.cast(column, pa.string())
    return column if column.type == typ else pc.cast(column, typ)


def _first_unreadable(values: Sequence | pa.Array, convert: Callable) -> int | None:
    """The index of the first of `values` that `convert` cannot convert: halving the span
    that fails, so a column of thousands takes a few conversions. None when the failure
    belongs to no single value."""
    def fails(i: int, j: int) -> bool:
        try:
            convert(values[i:j])
        except _UNREADABLE:
            return True
        return False

    if not len(values) or not fails(0, len(values)):
        return None
    lo, hi = 0, len(values)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if fails(lo, mid):
            hi = mid
        else:
            lo = mid
    return lo
