"""Statements of the op log's hot path, compiled once per database dialect and run on the driver's own cursor.

Each op runs about five statements. Through `Connection.execute` each one builds its cache key, its parameters
and an execution context again, which the in-process profile of the group commit (bench/group_commit.py) put at
about a third of an op's CPU. A `Prepared` statement is compiled on first use for the connection's dialect into
its SQL text and the order of its parameters; running it applies the column types' own bind processors (SQLite's
text form of a timestamp, say) and hands the values to a cursor of the transaction's own connection in that order,
so what is stored is what `execute` would have stored, on SQLite and on PostgreSQL alike. `first` gives a row as a
plain tuple, without the types' result processing (the op log reads back only integers and strings); `row` gives
it by column name, each value through its type's result processing (SQLite's text timestamps parsed), as
`execute` would: for the statements of every sign-in and connect, which a restart's reconnect storm runs thousands
of times at once.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.expression import Executable


@dataclass(frozen=True, slots=True)
class _Compiled:
    sql: str
    names: tuple[str, ...]
    processors: tuple[Callable[[Any], Any] | None, ...]
    positional: bool
    constants: dict[str, Any]
    """Values the statement carries itself (the 1 of `last_seq + 1`), by their generated names."""
    row_type: Callable[..., Any] | None
    """A named tuple of the columns a SELECT (or a RETURNING) gives, by their keys; None when it gives none."""
    results: tuple[Callable[[Any], Any] | None, ...]


class Prepared:
    def __init__(self, statement: Executable) -> None:
        self.statement = statement
        self._compiled: dict[str, _Compiled] = {}
        self._rows_sql: dict[tuple[str, int], str] = {}

    def run(self, connection: Connection, params: Mapping[str, Any]) -> None:
        self._execute(connection, params, fetch=False)

    def first(self, connection: Connection, params: Mapping[str, Any]) -> tuple[Any, ...] | None:
        """The first row the statement returns (a SELECT's, or an UPDATE's RETURNING), or None."""
        return self._execute(connection, params, fetch=True)

    def row(self, connection: Connection, params: Mapping[str, Any]) -> Any:
        """The first row, its values by column name and through their types' result processing, or None."""
        compiled = self._for(connection.dialect)
        values = _on_cursor(connection, compiled.sql, _arguments(compiled, params), fetch=True)
        if values is None or compiled.row_type is None:
            return None
        return compiled.row_type(
            *(
                value if process is None else process(value)
                for value, process in zip(values, compiled.results, strict=True)
            )
        )

    def changed(self, connection: Connection, params: Mapping[str, Any]) -> int:
        """Run an UPDATE or a DELETE; the rows it matched."""
        compiled = self._for(connection.dialect)
        changed = _on_cursor(connection, compiled.sql, _arguments(compiled, params), count=True)
        return int(changed[0]) if changed else 0

    def run_rows(self, connection: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
        """A one-row INSERT (an upsert too) run for all of `rows` as one statement, its VALUES group repeated once a
        row: one statement where `run_many` steps the driver once a row, and no new compile for each number of
        rows (an INSERT of 64 rows took SQLAlchemy about 10 ms to compile). For a dialect of positional parameters
        (SQLite's)."""
        compiled = self._for(connection.dialect)
        if not compiled.positional:
            raise ValueError("run_rows is for a dialect of positional parameters")
        sql = self._rows_sql.get((connection.dialect.name, len(rows)))
        if sql is None:
            head, group, tail = _values_group(compiled.sql)
            sql = self._rows_sql[connection.dialect.name, len(rows)] = f"{head}{', '.join([group] * len(rows))}{tail}"
        arguments = tuple(value for row in rows for value in _arguments(compiled, row))
        _on_cursor(connection, sql, arguments)

    def run_many(self, connection: Connection, many: Sequence[Mapping[str, Any]]) -> None:
        compiled = self._for(connection.dialect)
        _on_cursor(connection, compiled.sql, [_arguments(compiled, params) for params in many], many=True)

    def _execute(self, connection: Connection, params: Mapping[str, Any], fetch: bool) -> tuple[Any, ...] | None:
        compiled = self._for(connection.dialect)
        return _on_cursor(connection, compiled.sql, _arguments(compiled, params), fetch=fetch)

    def _for(self, dialect: Dialect) -> _Compiled:
        compiled = self._compiled.get(dialect.name)
        if compiled is None:
            compiled = self._compiled[dialect.name] = _compile(self.statement, dialect)
        return compiled


def _on_cursor(
    connection: Connection, sql: str, arguments: Any, *, many: bool = False, fetch: bool = False, count: bool = False
) -> tuple[Any, ...] | None:
    """`sql` on a cursor of the connection's own transaction (every value of `arguments` with `many`), and its first
    row with `fetch`, or the rows it changed (as a row of one) with `count`; the driver's errors raised as
    SQLAlchemy's (IntegrityError, OperationalError...), as `execute` would raise them. Written out rather than as a
    context manager, which cost as much again as the cursor: a group's op runs seven statements."""
    cursor = connection.connection.cursor()
    try:
        if many:
            cursor.executemany(sql, arguments)
            return None
        cursor.execute(sql, arguments)
        if count:
            return (cursor.rowcount,)
        return tuple(cursor.fetchone() or ()) or None if fetch else None
    except connection.dialect.loaded_dbapi.Error as failure:
        raise DBAPIError.instance(sql, arguments, failure, connection.dialect.loaded_dbapi.Error) from failure
    finally:
        cursor.close()


def _values_group(sql: str) -> tuple[str, str, str]:
    """A one-row INSERT's SQL around its VALUES group, and the group: `(?, ?, ?)`, parameters only."""
    start = sql.index(" VALUES (") + len(" VALUES ")
    end = sql.index(")", start) + 1
    return sql[:start], sql[start:end], sql[end:]


def _compile(statement: Executable, dialect: Dialect) -> _Compiled:
    sql = statement.compile(dialect=dialect)  # type: ignore[attr-defined]
    names = tuple(sql.positiontup or ()) if sql.positional else tuple(sql.binds)
    # The dialect's own form of each type (SQLite's DATETIME, say): the generic type has no processor of its own.
    processors = tuple(sql.binds[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names)
    constants = {name: bind.effective_value for name, bind in sql.binds.items() if not bind.required}
    columns = list(getattr(statement, "exported_columns", ()))  # a SELECT's columns, or an UPDATE's RETURNING
    row_type = namedtuple("Row", [column.key for column in columns]) if columns else None
    results = tuple(column.type.dialect_impl(dialect).result_processor(dialect, None) for column in columns)
    return _Compiled(str(sql), names, processors, bool(sql.positional), constants, row_type, results)


def _arguments(compiled: _Compiled, params: Mapping[str, Any]) -> tuple[Any, ...] | dict[str, Any]:
    if compiled.constants:
        params = {**compiled.constants, **params}
    values = tuple(
        process(params[name]) if process is not None else params[name]
        for name, process in zip(compiled.names, compiled.processors, strict=True)
    )
    return values if compiled.positional else dict(zip(compiled.names, values, strict=True))
