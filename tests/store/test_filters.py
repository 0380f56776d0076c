"""The run filter language: parsing (never evaluating), error messages, and its SQL on both
back ends through ``mj.runs``."""

from __future__ import annotations

import pytest

import mlops_jupyter as mj
from mlops_jupyter.store.filters import (
    BoolOp,
    Compare,
    Field,
    FilterError,
    InList,
    IsNull,
    Like,
    Not,
    parse_filter,
    parse_order_by,
)


def test_parses_the_design_example() -> None:
    tree = parse_filter("metrics.acc > 0.9 and (params.model = 'rf' or tags.x = 'y')")
    assert tree == BoolOp(
        "and",
        (
            Compare(Field("metrics", "acc"), ">", 0.9),
            BoolOp(
                "or",
                (
                    Compare(Field("params", "model"), "=", "rf"),
                    Compare(Field("tags", "x"), "=", "y"),
                ),
            ),
        ),
    )


def test_parses_every_form() -> None:
    assert parse_filter("not status = 'failed'") == Not(
        Compare(Field("attribute", "status"), "=", "failed")
    )
    assert parse_filter("params.k in (1, 'a', true)") == InList(
        Field("params", "k"), (1, "a", True), False
    )
    assert parse_filter("name not like 'cv%'") == Like(
        Field("attribute", "name"), "cv%", True, False
    )
    assert parse_filter("tags.t ilike 'A%'") == Like(Field("tags", "t"), "A%", False, True)
    assert parse_filter("metrics.m is not null") == IsNull(Field("metrics", "m"), True)
    assert parse_filter('params.`odd key.with dots` = "x"') == Compare(
        Field("params", "odd key.with dots"), "=", "x"
    )
    assert parse_filter("metrics.loss <= 1e-3") == Compare(Field("metrics", "loss"), "<=", 0.001)
    assert parse_filter("  ") is None


def test_the_filter_is_never_evaluated() -> None:
    with pytest.raises(FilterError):
        parse_filter("__import__('os').system('echo pwned')")


@pytest.mark.parametrize(
    ("source", "position", "expected"),
    [
        ("metrics.acc >", 13, "expected a value"),
        ("metrics.acc > 0.9 and", 21, "expected a field"),
        ("(metrics.acc > 0.9", 18, "expected ')'"),
        ("metrics.acc 0.9", 12, "expected a comparison"),
        ("metrics.acc > 0.9 params.x = 1", 18, "expected 'and', 'or'"),
        ("bogus = 1", 0, "unknown field 'bogus'"),
        ("params.x in (1, 2", 17, "expected ',' or ')'"),
        ("name = 'unterminated", 7, "unexpected character"),
    ],
)
def test_errors_say_where_and_what_was_expected(source: str, position: int, expected: str) -> None:
    with pytest.raises(FilterError) as raised:
        parse_filter(source)
    message = str(raised.value)
    assert f"position {position}" in message and expected in message
    assert source in message and "^" in message


def test_order_by_parsing() -> None:
    keys = parse_order_by("metrics.acc desc, start_time")
    assert [(str(k.field), k.descending) for k in keys] == [
        ("metrics.acc", True),
        ("start_time", False),
    ]
    with pytest.raises(FilterError, match="expected asc or desc"):
        parse_order_by("metrics.acc downwards")


@pytest.fixture
def study(mj_store):  # type: ignore[no-untyped-def]
    """Five runs with mixed params, metrics, tags and outcomes."""
    specs = [
        ("rf-1", {"model": "rf", "lr": 0.1, "n": 10}, {"acc": 0.95, "loss": 0.2}, {"team": "a"}),
        ("rf-2", {"model": "rf", "lr": 0.02, "n": 100}, {"acc": 0.85}, {"team": "b"}),
        ("lr-1", {"model": "lr", "lr": 0.5, "n": 9}, {"acc": 0.91, "loss": 0.5}, {"team": "a"}),
        ("gb-1", {"model": "gb", "lr": 0.3}, {"acc": float("nan")}, {}),
    ]
    for name, params, metrics, tags in specs:
        with mj.start_run(name, experiment="study", params=params, tags=tags) as run:
            run.log_metrics(metrics)
    with pytest.raises(RuntimeError), mj.start_run("broken", experiment="other"):
        raise RuntimeError("boom")
    return mj_store


def names(**kwargs) -> list[str]:  # type: ignore[no-untyped-def]
    return list(mj.runs(**kwargs)["name"])


def test_numbers_compare_as_numbers(study) -> None:  # type: ignore[no-untyped-def]
    # as text '100' < '9'; as numbers 100 > 9
    assert sorted(names(filter="params.n > 9")) == ["rf-1", "rf-2"]
    assert sorted(names(filter="params.lr < 0.1")) == ["rf-2"]


def test_design_example_filter(study) -> None:  # type: ignore[no-untyped-def]
    assert sorted(
        names(filter="metrics.acc > 0.9 and (params.model = 'rf' or tags.team = 'a')")
    ) == ["lr-1", "rf-1"]


def test_boolean_combinations(study) -> None:  # type: ignore[no-untyped-def]
    assert sorted(names(filter="not params.model = 'rf' and experiment = 'study'")) == [
        "gb-1",
        "lr-1",
    ]
    assert sorted(names(filter="params.model in ('gb', 'lr')")) == ["gb-1", "lr-1"]
    assert sorted(names(filter="params.model not in ('gb', 'lr') and experiment = 'study'")) == [
        "rf-1",
        "rf-2",
    ]
    assert sorted(names(filter="name like 'rf-%'")) == ["rf-1", "rf-2"]
    assert names(filter="tags.team is null and experiment = 'study'") == ["gb-1"]
    assert sorted(names(filter="metrics.loss is not null")) == ["lr-1", "rf-1"]


def test_attribute_filters(study) -> None:  # type: ignore[no-untyped-def]
    assert names(filter="status = 'failed'") == ["broken"]
    assert names(filter="experiment = 'other'") == ["broken"]
    assert len(names(filter="kind = 'script' and duration_s >= 0")) == 5
    assert len(names(filter="start_time > '2000-01-01T00:00'")) == 5
    with pytest.raises(FilterError, match="compare it with a number"):
        mj.runs(filter="metrics.acc > 'high'")


def test_order_by_several_keys_limit_offset(study) -> None:  # type: ignore[no-untyped-def]
    assert names(experiment="study", order_by="metrics.acc desc") == [
        "rf-1",
        "lr-1",
        "rf-2",
        "gb-1",
    ]
    assert names(experiment="study", order_by="metrics.acc") == [
        "rf-2",
        "lr-1",
        "rf-1",
        "gb-1",
    ]  # NaN last
    assert names(experiment="study", order_by="params.model, params.n desc") == [
        "gb-1",
        "lr-1",
        "rf-2",
        "rf-1",
    ]
    assert names(experiment="study", order_by="metrics.acc desc", limit=2, offset=1) == [
        "lr-1",
        "rf-2",
    ]
    # runs without the value come last, newest first
    assert names(experiment="study", order_by="metrics.loss") == ["rf-1", "lr-1", "gb-1", "rf-2"]
    assert names(experiment="study", order_by="metrics.loss", limit=2, offset=3) == ["rf-2"]
    assert names(experiment="study", order_by="metrics.loss", limit=1, offset=2) == ["gb-1"]
    assert names(experiment="study", order_by=["name desc"], limit=1) == ["rf-2"]


def test_dataframe_columns(study) -> None:  # type: ignore[no-untyped-def]
    frame = mj.runs(experiment="study")
    assert list(frame.columns[:8]) == [
        "run_id",
        "experiment",
        "name",
        "kind",
        "status",
        "start_time",
        "end_time",
        "duration_s",
    ]
    assert {"params.model", "params.lr", "metrics.acc", "tags.team"} <= set(frame.columns)
    assert str(frame["start_time"].dtype).startswith("datetime64")
    assert frame["duration_s"].dtype == "float64"
