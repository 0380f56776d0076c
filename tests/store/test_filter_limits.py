"""Filters: like/ilike mean the same on SQLite and PostgreSQL, escapes match literally, and
oversized or malformed filters are a FilterError that says which limit was hit (never a
RecursionError, an OverflowError from the driver or a database error)."""

from __future__ import annotations

import pytest

import mlops_jupyter as mj
from mlops_jupyter.store.filters import MAX_DEPTH, MAX_TERMS, FilterError, parse_filter


@pytest.fixture
def named_runs(mj_store):  # type: ignore[no-untyped-def]
    for name, tag in [
        ("Alpha", "50% off"),
        ("alpha", "50 off"),
        ("al_pha", "a_b"),
        ("alXpha", "aXb"),
        ("back\\slash", "c:\\x"),
    ]:
        with mj.start_run(name=name, tags={"t": tag}):
            pass
    return mj_store


def names(filter: str) -> list[str]:
    return sorted(mj.runs(filter=filter)["name"])


def test_like_is_case_sensitive_and_ilike_is_not(named_runs) -> None:  # type: ignore[no-untyped-def]
    assert names("name like 'al%'") == sorted(["al_pha", "alXpha", "alpha"])
    assert names("name like 'A%'") == ["Alpha"]
    assert names("name ilike 'ALPHA'") == sorted(["Alpha", "alpha"])
    assert names("name not like 'al%'") == sorted(["Alpha", "back\\slash"])
    assert names("tags.t like '%OFF'") == []
    assert names("tags.t ilike '%OFF'") == sorted(["Alpha", "alpha"])


def test_escaped_wildcards_match_literally(named_runs) -> None:  # type: ignore[no-untyped-def]
    assert names("name like 'al_pha'") == sorted(["al_pha", "alXpha"])
    assert names("name like 'al\\_pha'") == ["al_pha"]
    assert names("name ilike 'AL\\_PHA'") == ["al_pha"]
    assert names("tags.t like '50\\% off'") == ["Alpha"]
    assert names("tags.t like '%\\%%'") == ["Alpha"]
    assert names("tags.t ilike 'A\\_B'") == ["al_pha"]
    assert names("name like '%\\\\%'") == ["back\\slash"]
    assert names("name like '[a]%'") == []  # GLOB's brackets mean nothing in a like pattern


def test_numbers_beyond_64_bits_are_input_errors(named_runs) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(FilterError, match="does not fit in 64 bits"):
        mj.runs(filter="metrics.acc > 99999999999999999999999")
    with pytest.raises(FilterError, match="does not fit in 64 bits"):
        mj.runs(filter="params.n in (1, -9223372036854775809)")
    with pytest.raises(FilterError, match="not a finite"):
        mj.runs(filter="metrics.acc > 1e999")
    assert names("attempt < 9223372036854775807 and name = 'Alpha'") == ["Alpha"]


def test_depth_and_size_limits_say_so(named_runs) -> None:  # type: ignore[no-untyped-def]
    deep = "(" * 400 + "name = 'Alpha'" + ")" * 400
    with pytest.raises(FilterError, match="nested too deeply"):
        mj.runs(filter=deep)
    with pytest.raises(FilterError, match="nested too deeply"):
        mj.runs(filter="not " * 400 + "name = 'Alpha'")
    with pytest.raises(FilterError, match="filter too large"):
        mj.runs(filter=" or ".join(f"name = 'n{i}'" for i in range(1_501)))
    with pytest.raises(FilterError, match="filter too large"):
        mj.runs(filter="name in (" + ", ".join(f"'n{i}'" for i in range(1_500)) + ")")
    with pytest.raises(FilterError, match="filter too long"):
        parse_filter("name = '" + "x" * 100_000 + "'")
    # just inside the limits still runs, on both back ends
    ok = "(" * (MAX_DEPTH - 1) + "name = 'Alpha'" + ")" * (MAX_DEPTH - 1)
    assert names(ok) == ["Alpha"]
    wide = " or ".join(["name = 'alpha'"] + [f"params.p{i} = {i}" for i in range(MAX_TERMS - 1)])
    assert names(wide) == ["alpha"]
    listed = "name in (" + ", ".join(["'Alpha'"] + [f"'n{i}'" for i in range(MAX_TERMS - 1)]) + ")"
    assert names(listed) == ["Alpha"]
