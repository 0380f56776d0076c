"""Fuzz the filter language with hypothesis, on a real store of each back end: any string is
either a result or a FilterError (never a RecursionError, an OverflowError or a database
error), with the known bad inputs of issue 9 among the examples."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import mlops_jupyter as mj
from mlops_jupyter.store.filters import FilterError

WORDS = [
    "metrics.acc", "params.alpha", "params.model", "tags.team", "name", "status", "attempt",
    "start_time", "duration_s", "experiment", "run_id", "`a.b`", "params.`x y`",
    "=", "!=", "<", "<=", ">", ">=", "<>", "and", "or", "not", "in", "like", "ilike", "is",
    "null", "true", "false", "(", ")", ",", "0", "-1", "0.5", "1e308", "1e999",
    "9223372036854775807", "9223372036854775808", "-9223372036854775809",
    "99999999999999999999999", "'rf'", "'a%'", "'\\%'", "'\\_x'", "'%\\\\'", "'it''s'",
    '"x"', "'\x00'", "'\udcff'", "'2026-11-26T10:00'",
]  # fmt: skip

filters = st.one_of(
    st.lists(st.sampled_from(WORDS), max_size=25).map(" ".join),
    st.text(max_size=80),
)


@pytest.fixture
def searched(mj_store):  # type: ignore[no-untyped-def]
    for index in range(3):
        with mj.start_run(name=f"r{index}", tags={"team": "a%b"}) as run:
            run.log_params({"alpha": index / 2, "model": "rf" if index else "lr"})
            run.log_metric("acc", 0.5 + index / 10)
    return mj_store


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(source=filters)
@example(source="(" * 400 + "name = 'a'" + ")" * 400)
@example(source="not " * 400 + "name = 'a'")
@example(source=" or ".join(["params.model = 'rf'"] * 1_500))
@example(source="params.alpha in (" + ", ".join(["1"] * 1_500) + ")")
@example(source="metrics.acc > 99999999999999999999999")
@example(source="attempt < 9223372036854775807")
@example(source="tags.team like 'a\\%b' and name ilike 'R_'")
@example(source="params.model = '" + "x" * 5_000 + "'")
@example(source="name = 'a\x00b'")
@example(source="name = 'a\udcffb'")
def test_any_filter_is_a_result_or_a_filter_error(searched, source: str) -> None:  # type: ignore[no-untyped-def]
    try:
        frame = mj.runs(filter=source, order_by="metrics.acc desc")
    except FilterError as error:
        assert str(error)
        return
    assert len(frame) <= 3
