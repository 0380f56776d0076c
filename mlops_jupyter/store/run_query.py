"""SQL for run searches: compiles a parsed filter and order-by into one SELECT over runs.

Metric, param and tag predicates become ``run_id IN (subquery)`` on indexed key/value columns;
ordering by a metric or param joins its row for that key, so "top 50 by metrics.acc" walks the
(key, value) index and stops after 50 rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Float, and_, case, cast, false, func, not_, or_, select, true
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
from mlops_jupyter.store.schema import experiments, latest_metrics, params, runs, tags

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


def duration_column() -> ColumnElement[Any]:
    return runs.c.end_time - runs.c.start_time


def _attribute_column(name: str) -> ColumnElement[Any]:
    if name == "duration_s":
        return duration_column()
    if name == "experiment":
        return experiments.c.name
    return runs.c[name]


def _param_value_column(value: Any) -> ColumnElement[Any]:
    return params.c.num if is_number(value) or isinstance(value, bool) else params.c.text


def _param_literal(value: Any) -> Any:
    if isinstance(value, bool):
        return float(value)
    return value


def _run_ids_where(field: Field, condition_for: Any) -> ColumnElement[bool]:
    """runs.run_id IN (rows of the field's table with this key meeting the condition)."""
    if field.namespace == "metrics":
        table, column = latest_metrics, latest_metrics.c.value
    elif field.namespace == "params":
        table, column = params, None
    else:
        table, column = tags, tags.c.value
    condition = condition_for(table if column is None else column)
    subquery = select(table.c.run_id).where(table.c.key == field.key, condition)
    return runs.c.run_id.in_(subquery)


def _check_metric_value(field: Field, value: Any) -> None:
    if field.namespace == "metrics" and not is_number(value):
        raise FilterError(f"{field} holds numbers; compare it with a number, not {value!r}")


def _value_condition(field: Field, op: str, value: Any) -> ColumnElement[bool]:
    if field.namespace == "attribute":
        column = _attribute_column(field.key)
        if field.key in _TIME_ATTRIBUTES:
            value = parse_time(value)
        elif field.key in _NUMERIC_ATTRIBUTES and not is_number(value):
            raise FilterError(f"{field} holds numbers; compare it with a number, not {value!r}")
        condition = _OPS[op](column, value)
        return condition if field.key != "experiment" else _experiment_condition(condition)
    _check_metric_value(field, value)
    if field.namespace == "params":
        return _run_ids_where(
            field, lambda table: _OPS[op](_param_value_column(value), _param_literal(value))
        )
    if field.namespace == "tags" and is_number(value) and op not in ("=", "!="):
        return _run_ids_where(field, lambda column: _OPS[op](cast(column, Float), value))
    literal_value = str(value) if field.namespace == "tags" else value
    return _run_ids_where(field, lambda column: _OPS[op](column, literal_value))


def _experiment_condition(condition: ColumnElement[bool]) -> ColumnElement[bool]:
    return runs.c.experiment_id.in_(select(experiments.c.experiment_id).where(condition))


def _in_condition(node: InList) -> ColumnElement[bool]:
    items = [_value_condition(node.field, "=", value) for value in node.values if value is not None]
    condition = or_(*items) if items else false()
    if any(value is None for value in node.values):
        condition = or_(condition, _null_condition(IsNull(node.field, negated=False)))
    return not_(condition) if node.negated else condition


def _like_condition(node: Like) -> ColumnElement[bool]:
    def matcher(column: Any) -> ColumnElement[bool]:
        return column.ilike(node.pattern) if node.case_insensitive else column.like(node.pattern)

    field = node.field
    if field.namespace == "attribute":
        condition = matcher(_attribute_column(field.key))
        if field.key == "experiment":
            condition = _experiment_condition(condition)
    elif field.namespace == "params":
        condition = _run_ids_where(field, lambda table: matcher(params.c.text))
    elif field.namespace == "tags":
        condition = _run_ids_where(field, matcher)
    else:
        raise FilterError(f"{field} holds numbers; 'like' works on text fields")
    return not_(condition) if node.negated else condition


def _null_condition(node: IsNull) -> ColumnElement[bool]:
    field = node.field
    if field.namespace == "attribute":
        column = _attribute_column(field.key)
        condition = column.is_(None)
    else:
        condition = not_(_run_ids_where(field, lambda _column: true()))
    return not_(condition) if node.negated else condition


def compile_filter(tree: Any) -> ColumnElement[bool]:
    """Translate a parsed filter tree into a SQL condition on ``runs``."""
    if tree is None:
        return true()
    if isinstance(tree, BoolOp):
        parts = [compile_filter(item) for item in tree.items]
        return and_(*parts) if tree.op == "and" else or_(*parts)
    if isinstance(tree, Not):
        return not_(compile_filter(tree.item))
    if isinstance(tree, Compare):
        return _value_condition(tree.field, tree.op, tree.value)
    if isinstance(tree, InList):
        return _in_condition(tree)
    if isinstance(tree, Like):
        return _like_condition(tree)
    if isinstance(tree, IsNull):
        return _null_condition(tree)
    raise TypeError(f"not a filter node: {tree!r}")


@dataclass
class RunSearch:
    """One page of a run search: run rows plus the total count when asked for."""

    rows: list[dict[str, Any]]
    total: int | None


def _directed(column: Any, descending: bool) -> Any:
    return column.desc() if descending else column.asc()


def _value_table(namespace: str) -> Any:
    return {"metrics": latest_metrics, "params": params, "tags": tags}[namespace]


def _order_terms(column_of: Any, namespace: str, descending: bool) -> list[Any]:
    if namespace == "params":
        # numbers in numeric order first, then other values in text order
        return [
            case((column_of.num.is_(None), 1), else_=0),
            _directed(column_of.num, descending),
            _directed(column_of.text, descending),
        ]
    return [_directed(column_of.value, descending)]


def _ordered(query: Select[Any], keys: list[OrderKey], inner_first: bool) -> Select[Any]:
    """Add ORDER BY terms; runs missing a value sort last in either direction.

    With ``inner_first`` the first key's table is inner-joined, so only runs that have the value
    are returned, in an order an index on (key, value) can produce without sorting everything.
    """
    order: list[Any] = []
    for index, key in enumerate(keys):
        field = key.field
        if field.namespace == "attribute":
            column = _attribute_column(field.key)
            order += [column.is_(None), _directed(column, key.descending)]
            continue
        alias = _value_table(field.namespace).alias(f"order_{index}")
        joined_on = and_(alias.c.run_id == runs.c.run_id, alias.c.key == field.key)
        if index == 0 and inner_first:
            query = query.join(alias, joined_on)
        else:
            query = query.outerjoin(alias, joined_on)
            order.append(alias.c.key.is_(None))
        order += _order_terms(alias.c, field.namespace, key.descending)
    return query.order_by(*order, runs.c.run_id.desc())


def _lacks(field: Field) -> ColumnElement[bool]:
    return _null_condition(IsNull(field, negated=False))


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


def _count(conn: Any, condition: ColumnElement[bool]) -> int:
    base = runs.join(experiments, experiments.c.experiment_id == runs.c.experiment_id)
    return int(conn.execute(select(func.count()).select_from(base).where(condition)).scalar() or 0)


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
    condition = compile_filter(tree)
    if experiment is not None:
        condition = and_(condition, experiments.c.name == experiment)
    if extra_condition is not None:
        condition = and_(condition, extra_condition)
    keys = order_keys or [OrderKey(Field("attribute", "start_time"), True)]
    base = runs.join(experiments, experiments.c.experiment_id == runs.c.experiment_id)
    select_runs = select(*_RUN_COLUMNS).select_from(base)
    total = _count(conn, condition) if count_total else None
    first = keys[0].field
    if first.namespace == "attribute":
        rows = _page(conn, _ordered(select_runs.where(condition), keys, False), limit, offset)
        return RunSearch(rows, total)
    # Two phases keep the index walk: runs holding the first key's value, then the rest.
    rows = _page(conn, _ordered(select_runs.where(condition), keys, True), limit, offset)
    if limit is not None and len(rows) >= limit:
        return RunSearch(rows, total)
    with_value = len(rows) + offset if rows or not offset else None
    if with_value is None:
        with_value = _count(conn, and_(condition, not_(_lacks(first))))
    rest_limit = None if limit is None else limit - len(rows)
    rest = select_runs.where(condition, _lacks(first))
    rows += _page(conn, _ordered(rest, keys[1:], False), rest_limit, max(0, offset - with_value))
    return RunSearch(rows, total)
