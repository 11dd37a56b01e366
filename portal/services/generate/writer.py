"""Bulk inserts for the generator: ids assigned in Python, rows buffered per table and written
in large batches (PostgreSQL: COPY; SQLite: the driver's executemany), parents first."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, Table, func, select, text

from ...extensions import db

# Rows held in memory before every buffer is written out (parents before children).
FLUSH_ROWS = 50_000


@dataclass
class _TableBuffer:
    table: Table
    columns: tuple[str, ...]
    constants: dict[str, Any]
    processors: tuple[Callable[[Any], Any] | None, ...]
    rows: list[dict[str, Any]] = field(default_factory=list)
    written: int = 0
    seconds: float = 0.0


class BulkWriter:
    """Buffers rows as dicts and writes them table by table, in foreign-key order."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.dialect = connection.dialect
        self.on_postgres = self.dialect.name == "postgresql"
        self._buffers: dict[str, _TableBuffer] = {}
        self._next_ids: dict[str, int] = {}
        self._pending = 0
        self._order = {t.name: n for n, t in enumerate(db.metadata.sorted_tables)}

    # --- ids --------------------------------------------------------------------------------

    def next_id(self, table: Table) -> int:
        """The next free primary key of the table (read once, then counted here)."""
        name = table.name
        if name not in self._next_ids:
            highest = self.connection.scalar(select(func.max(table.c.id)))
            self._next_ids[name] = int(highest or 0) + 1
        value = self._next_ids[name]
        self._next_ids[name] = value + 1
        return value

    # --- rows -------------------------------------------------------------------------------

    def add(self, table: Table, row: dict[str, Any]) -> None:
        """Queue one row; columns left out take their model default (or the server's)."""
        buffer = self._buffers.get(table.name)
        if buffer is None:
            buffer = self._buffers[table.name] = self._prepare(table, row)
        buffer.rows.append(row)
        self._pending += 1

    def _prepare(self, table: Table, sample: dict[str, Any]) -> _TableBuffer:
        constants: dict[str, Any] = {}
        for column in table.columns:
            if column.name in sample:
                continue
            default = column.default
            if default is not None and getattr(default, "is_scalar", False):
                constants[column.name] = default.arg  # type: ignore[attr-defined]
            elif column.server_default is None and not column.nullable:
                raise ValueError(f"{table.name}.{column.name} needs a value")
        unknown = set(sample) - set(table.columns.keys())
        if unknown:
            raise ValueError(f"{table.name} has no column(s) {sorted(unknown)}")
        columns = tuple(sample) + tuple(constants)
        processors = tuple(
            table.columns[name].type.dialect_impl(self.dialect).bind_processor(self.dialect)
            for name in columns
        )
        return _TableBuffer(table, columns, constants, processors)

    def maybe_flush(self) -> None:
        """Write everything out once enough rows wait (call between whole records only)."""
        if self._pending >= FLUSH_ROWS:
            self.flush()

    def flush(self) -> None:
        """Write every buffered row, parents before children."""
        for buffer in sorted(self._buffers.values(), key=lambda b: self._order[b.table.name]):
            if buffer.rows:
                self._write(buffer)
        self._pending = 0

    def _write(self, buffer: _TableBuffer) -> None:
        started = time.perf_counter()
        own = buffer.columns[: len(buffer.columns) - len(buffer.constants)]
        getter = itemgetter(*own)
        extra = tuple(buffer.constants.values())
        # Only the columns whose type converts values (dates, JSON, ...) are touched per row.
        convert = [(n, p) for n, p in enumerate(buffer.processors) if p is not None]
        rows: list[Any] = []
        for row in buffer.rows:
            values = [getter(row)] if len(own) == 1 else list(getter(row))
            values.extend(extra)
            for n, process in convert:
                value = values[n]
                if value is not None:
                    values[n] = process(value)
            rows.append(values)
        if self.on_postgres:
            self._copy(buffer, rows)
        else:
            self._executemany(buffer, rows)
        buffer.written += len(buffer.rows)
        buffer.rows = []
        buffer.seconds += time.perf_counter() - started

    def _quoted(self, buffer: _TableBuffer) -> tuple[str, str]:
        preparer = self.dialect.identifier_preparer
        table = preparer.format_table(buffer.table)
        columns = ", ".join(preparer.quote(c) for c in buffer.columns)
        return table, columns

    def _copy(self, buffer: _TableBuffer, rows: Iterable[Sequence[Any]]) -> None:
        table, columns = self._quoted(buffer)
        cursor = self.connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)

    def _executemany(self, buffer: _TableBuffer, rows: list[Any]) -> None:
        table, columns = self._quoted(buffer)
        marks = ", ".join("?" for _ in buffer.columns)
        cursor = self.connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)  # noqa: S608
        cursor.close()

    # --- the end ----------------------------------------------------------------------------

    def counts(self) -> dict[str, tuple[int, float]]:
        """Rows written and seconds spent, per table, in foreign-key order."""
        return {
            b.table.name: (b.written, b.seconds)
            for b in sorted(self._buffers.values(), key=lambda b: self._order[b.table.name])
        }

    def bump_sequences(self) -> None:
        """PostgreSQL: move each serial past the ids given here, so the app can insert next."""
        if not self.on_postgres:
            return
        for buffer in self._buffers.values():
            column = buffer.table.c.get("id")
            if column is None or column.autoincrement is False:
                continue
            table = self.dialect.identifier_preparer.format_table(buffer.table)
            self.connection.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence(:table, 'id'), "  # noqa: S608
                    f"(SELECT max(id) FROM {table}))"
                ),
                {"table": table},
            )
