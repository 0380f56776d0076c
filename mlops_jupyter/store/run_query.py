"""SQL for run searches: compiles a parsed filter and order-by into one SELECT over runs.

Each metric, param or tag predicate is a semi-join on an indexed (key, value) table. Its SQL
form is chosen per predicate: a *selective* predicate (few matching rows, found by a bounded
probe) becomes ``run_id IN (subquery)`` so the database can start from those few rows; a broad
one becomes a correlated ``EXISTS`` checked on the primary key while walking the ORDER BY
index, so "top 50 by metrics.acc" stops after about 50 rows instead of sorting everything.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Float,
    and_,
    case,
    cast,
    exists,
    false,
    func,
    literal,
    not_,
    or_,
    select,
    true,
)
from sqlalchemy.sql import ColumnElement, Select

from mlops_jupyter.store.filters import (
    BoolOp,
    Compare,
    Field,
    FilterError,
    InList,
    IsNull,
    Like,
    Not,
    OrderKey,
    is_number,
    parse_time,
)
from mlops_jupyter.store.schema import (
    VALUE_INDEX_PREFIX,
    experiments,
    latest_metrics,
    params,
    runs,
    tags,
)

_OPS = {
    "=": lambda column, value: column == value,
    "!=": lambda column, value: column != value,
    "<": lambda column, value: column < value,
    "<=": lambda column, value: column <= value,
    ">": lambda column, value: column > value,
    ">=": lambda column, value: column >= value,
}
_TIME_ATTRIBUTES = {"start_time", "end_time"}
_NUMERIC_ATTRIBUTES = {"start_time", "end_time", "duration_s", "attempt"}
_NOT_NULL_ATTRIBUTES = {"run_id", "kind", "status", "start_time", "attempt", "experiment"}
_VALUE_TABLES = {"metrics": latest_metrics, "params": params, "tags": tags}
SELECTIVE_ROWS = 2_000  # a predicate matching fewer rows than this drives the query

Probe = Callable[[Any], bool]  # is this semi-join subquery selective?


def duration_column() -> ColumnElement[Any]:
    return runs.c.end_time - runs.c.start_time


def _attribute_column(name: str) -> ColumnElement[Any]:
    if name == "duration_s":
        return duration_column()
    if name == "experiment":
        return experiments.c.name
    return runs.c[name]


def _value_column(field: Field, value: Any) -> Any:
    table = _VALUE_TABLES[field.namespace]
    if field.namespace == "params":
        numeric = is_number(value) or isinstance(value, bool)
        return params.c.num if numeric else params.c.text
    return table.c.value


def _check_number(field: Field, value: Any) -> None:
    if not is_number(value):
        raise FilterError(f"{field} holds numbers; compare it with a number, not {value!r}")


def _glob_pattern(pattern: str) -> str:
    """A LIKE pattern (backslash escapes) as a SQLite GLOB pattern (case-sensitive)."""
    out: list[str] = []
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\" and index + 1 < len(pattern):
            char = pattern[index + 1]
            out.append(f"[{char}]" if char in "*?[" else char)
            index += 2
            continue
        if char == "%":
            out.append("*")
        elif char == "_":
            out.append("?")
        else:
            out.append(f"[{char}]" if char in "*?[" else char)
        index += 1
    return "".join(out)


def like_condition(
    column: Any, pattern: str, case_insensitive: bool, dialect: str
) -> ColumnElement[bool]:
    """``like`` (case-sensitive) or ``ilike`` (case-insensitive), the same on both back ends.

    SQLite's LIKE ignores ASCII case, so a case-sensitive match there is a GLOB of the same
    pattern; ``ilike`` is SQLite's ``lower() LIKE lower()`` and PostgreSQL's ``ILIKE``. Both use
    ``ESCAPE '\\'`` so ``\\%`` and ``\\_`` match literally.
    """
    if case_insensitive:
        return column.ilike(pattern, escape="\\")
    if dialect == "sqlite":
        return column.op("GLOB", is_comparison=True)(_glob_pattern(pattern))
    return column.like(pattern, escape="\\")


class _Compiler:
    """Turns a filter tree into a SQL condition on ``runs``."""

    def __init__(self, probe: Probe | None, dialect: str = "sqlite") -> None:
        self.probe = probe
        self.dialect = dialect

    def semi_join(self, field: Field, condition: ColumnElement[bool]) -> ColumnElement[bool]:
        """Runs having a row of the field's table with this key meeting ``condition``."""
        table = _VALUE_TABLES[field.namespace]
        matching = select(table.c.run_id).where(table.c.key == field.key, condition)
        if self.probe is not None and self.probe(matching):
            return runs.c.run_id.in_(matching)
        return exists(matching.where(table.c.run_id == runs.c.run_id))

    def compare(self, field: Field, op: str, value: Any) -> ColumnElement[bool]:
        if field.namespace == "attribute":
            if field.key in _TIME_ATTRIBUTES:
                value = parse_time(value)
            elif field.key in _NUMERIC_ATTRIBUTES:
                _check_number(field, value)
                # bound as a float: PostgreSQL would cast an int to the column's int4 and fail
                value = literal(float(value), Float)
            condition = _OPS[op](_attribute_column(field.key), value)
            return _experiment_condition(condition) if field.key == "experiment" else condition
        if field.namespace == "metrics":
            _check_number(field, value)
        if field.namespace == "tags":
            if is_number(value) and op not in ("=", "!="):
                return self.semi_join(field, _OPS[op](cast(tags.c.value, Float), value))
            value = str(value)
        if isinstance(value, bool):
            value = float(value)
        column = _value_column(field, value)
        condition = _OPS[op](column, value)
        if self.dialect == "postgresql" and op == "=" and isinstance(value, str):
            # PostgreSQL indexes (key, left(value, N)): state the prefix so the index serves it
            prefix = func.left(column, VALUE_INDEX_PREFIX) == value[:VALUE_INDEX_PREFIX]
            condition = and_(prefix, condition)
        return self.semi_join(field, condition)

    def in_list(self, node: InList) -> ColumnElement[bool]:
        items = [self.compare(node.field, "=", value) for value in node.values if value is not None]
        condition = or_(*items) if items else false()
        if any(value is None for value in node.values):
            condition = or_(condition, self.is_null(IsNull(node.field, negated=False)))
        return not_(condition) if node.negated else condition

    def like(self, node: Like) -> ColumnElement[bool]:
        def matcher(column: Any) -> ColumnElement[bool]:
            return like_condition(column, node.pattern, node.case_insensitive, self.dialect)

        field = node.field
        if field.namespace == "metrics":
            raise FilterError(f"{field} holds numbers; 'like' works on text fields")
        if field.namespace == "attribute":
            condition = matcher(_attribute_column(field.key))
            if field.key == "experiment":
                condition = _experiment_condition(condition)
        else:
            column = params.c.text if field.namespace == "params" else tags.c.value
            condition = self.semi_join(field, matcher(column))
        return not_(condition) if node.negated else condition

    def is_null(self, node: IsNull) -> ColumnElement[bool]:
        field = node.field
        condition: ColumnElement[bool]
        if field.namespace == "attribute":
            condition = _attribute_column(field.key).is_(None)
        else:
            condition = not_(self.semi_join(field, true()))
        return not_(condition) if node.negated else condition

    def compile(self, tree: Any) -> ColumnElement[bool]:
        if tree is None:
            return true()
        if isinstance(tree, BoolOp):
            parts = [self.compile(item) for item in tree.items]
            return and_(*parts) if tree.op == "and" else or_(*parts)
        if isinstance(tree, Not):
            return not_(self.compile(tree.item))
        if isinstance(tree, Compare):
            return self.compare(tree.field, tree.op, tree.value)
        if isinstance(tree, InList):
            return self.in_list(tree)
        if isinstance(tree, Like):
            return self.like(tree)
        if isinstance(tree, IsNull):
            return self.is_null(tree)
        raise TypeError(f"not a filter node: {tree!r}")


def _experiment_condition(condition: ColumnElement[bool]) -> ColumnElement[bool]:
    return runs.c.experiment_id.in_(select(experiments.c.experiment_id).where(condition))


def compile_filter(
    tree: Any, probe: Probe | None = None, dialect: str = "sqlite"
) -> ColumnElement[bool]:
    """Translate a parsed filter tree into a SQL condition on ``runs`` for ``dialect``."""
    return _Compiler(probe, dialect).compile(tree)


def selectivity_probe(conn: Any) -> Probe | None:
    """A probe counting up to SELECTIVE_ROWS matches (SQLite only; PostgreSQL plans semi-joins itself)."""
    if conn.dialect.name != "sqlite":
        return None

    def probe(matching: Select[Any]) -> bool:
        bounded = select(literal(1)).select_from(matching.limit(SELECTIVE_ROWS).subquery())
        return (
            int(conn.execute(select(func.count()).select_from(bounded.subquery())).scalar() or 0)
            < SELECTIVE_ROWS
        )

    return probe


# -- ordering ----------------------------------------------------------------------------------
def _directed(column: Any, descending: bool) -> Any:
    return column.desc() if descending else column.asc()


def _attribute_order(key: OrderKey) -> list[Any]:
    column = _attribute_column(key.field.key)
    if key.field.key in _NOT_NULL_ATTRIBUTES:
        return [_directed(column, key.descending)]  # plain, so an index can serve it
    return [column.is_(None), _directed(column, key.descending)]


def _value_order(alias: Any, namespace: str, descending: bool) -> list[Any]:
    if namespace == "params":
        # numbers in numeric order first, then other values in text order
        return [
            case((alias.c.num.is_(None), 1), else_=0),
            _directed(alias.c.num, descending),
            _directed(alias.c.text, descending),
        ]
    return [_directed(alias.c.value, descending)]


def _ordered(query: Select[Any], keys: list[OrderKey], primary_inner: bool) -> Select[Any]:
    """Add ORDER BY terms; runs missing a value sort last in either direction.

    With ``primary_inner`` the first key's table is inner-joined on rows holding a value, so
    an index on (key, value) yields runs in order without sorting everything.
    """
    order: list[Any] = []
    for index, key in enumerate(keys):
        field = key.field
        if field.namespace == "attribute":
            order += _attribute_order(key)
            continue
        alias = _VALUE_TABLES[field.namespace].alias(f"order_{index}")
        joined_on = and_(alias.c.run_id == runs.c.run_id, alias.c.key == field.key)
        if index == 0 and primary_inner:
            value = alias.c.num if field.namespace == "params" else alias.c.value
            query = (
                query.join(alias, joined_on)
                if field.namespace == "params"
                else query.join(alias, and_(joined_on, value.is_not(None)))
            )
        else:
            query = query.outerjoin(alias, joined_on)
            order.append(alias.c.key.is_(None))
        order += _value_order(alias, field.namespace, key.descending)
    return query.order_by(*order, runs.c.run_id.desc())


def _lacks_value(field: Field) -> ColumnElement[bool]:
    """Runs the primary phase skipped: no row for the key (or, for metrics, a NaN value)."""
    table = _VALUE_TABLES[field.namespace]
    held = select(table.c.run_id).where(table.c.run_id == runs.c.run_id, table.c.key == field.key)
    if field.namespace != "params":
        held = held.where(table.c.value.is_not(None))
    return not_(exists(held))


_RUN_COLUMNS = (
    runs.c.run_id,
    experiments.c.name.label("experiment"),
    runs.c.name,
    runs.c.kind,
    runs.c.status,
    runs.c.start_time,
    runs.c.end_time,
    runs.c.parent_run_id,
    runs.c.attempt,
    runs.c.user,
    runs.c.notebook_path,
    runs.c.cell_id,
)


@dataclass
class RunSearch:
    """One page of a run search: run rows plus the total count when asked for."""

    rows: list[dict[str, Any]]
    total: int | None


def _page(conn: Any, query: Select[Any], limit: int | None, offset: int) -> list[dict[str, Any]]:
    if limit is not None:
        query = query.limit(limit)
    if offset:
        query = query.offset(offset)
    return [dict(row) for row in conn.execute(query).mappings()]


_BASE = runs.join(experiments, experiments.c.experiment_id == runs.c.experiment_id)


def _count(conn: Any, condition: ColumnElement[bool]) -> int:
    return int(conn.execute(select(func.count()).select_from(_BASE).where(condition)).scalar() or 0)


def count_runs(
    conn: Any,
    tree: Any,
    *,
    experiment: str | None = None,
    extra_condition: ColumnElement[bool] | None = None,
) -> int:
    """How many runs match (every match is visited: hundreds of ms at 100k broad matches)."""
    condition = compile_filter(tree, selectivity_probe(conn), conn.dialect.name)
    if experiment is not None:
        condition = and_(condition, experiments.c.name == experiment)
    if extra_condition is not None:
        condition = and_(condition, extra_condition)
    return _count(conn, condition)


def search_runs(
    conn: Any,
    tree: Any,
    order_keys: list[OrderKey],
    *,
    experiment: str | None = None,
    limit: int | None = None,
    offset: int = 0,
    count_total: bool = False,
    extra_condition: ColumnElement[bool] | None = None,
) -> RunSearch:
    """One page of runs matching ``tree``, in ``order_keys`` order (default: newest first)."""
    condition = compile_filter(tree, selectivity_probe(conn), conn.dialect.name)
    if experiment is not None:
        condition = and_(condition, experiments.c.name == experiment)
    if extra_condition is not None:
        condition = and_(condition, extra_condition)
    keys = order_keys or [OrderKey(Field("attribute", "start_time"), True)]
    select_runs = select(*_RUN_COLUMNS).select_from(_BASE).where(condition)
    total = _count(conn, condition) if count_total else None
    first = keys[0].field
    if first.namespace == "attribute":
        return RunSearch(_page(conn, _ordered(select_runs, keys, False), limit, offset), total)
    # Two phases keep the index walk: runs holding the first key's value, then the rest.
    rows = _page(conn, _ordered(select_runs, keys, True), limit, offset)
    if limit is not None and len(rows) >= limit:
        return RunSearch(rows, total)
    lacking = _lacks_value(first)
    if rows or not offset:
        with_value = len(rows) + offset  # phase one ran out, so this many runs hold a value
    else:
        with_value = _count(conn, and_(condition, not_(lacking)))
    rest_limit = None if limit is None else limit - len(rows)
    rest = _ordered(select_runs.where(lacking), keys[1:], False)
    rows += _page(conn, rest, rest_limit, max(0, offset - with_value))
    return RunSearch(rows, total)
