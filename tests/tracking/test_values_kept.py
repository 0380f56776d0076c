"""Nothing logged is lost: bad values are refused at the log call (a ValueError naming the key),
params and tags of any length and 64-bit steps are stored on both back ends, and a flush that
still fails writes every good row and names the rows it could not write."""

from __future__ import annotations

import warnings

import pytest

import mlops_jupyter as mj
from mlops_jupyter.tracking.values import InvalidValueError

LONG = "x" * 10_000 + "é" * 3_000  # far beyond PostgreSQL's ~2.7 KB btree row


def test_bad_values_fail_at_the_call_and_lose_nothing(mj_store) -> None:  # type: ignore[no-untyped-def]
    with mj.start_run(name="careless") as run:
        mj.log_param("good_before", 1)
        mj.log_metric("loss", 0.5, step=1)
        mj.set_tag("team", "a")
        bad_calls = [
            (
                lambda: mj.log_metric("loss", 0.1, step=2**70),
                "step 1180591620717411303424 does not fit in 64 bits",
            ),
            (lambda: mj.log_metric("loss", 0.1, step=-(2**63) - 1), "does not fit in 64 bits"),
            (lambda: mj.log_metric("lo\udcffss", 0.1), "not valid Unicode"),
            (lambda: mj.log_metric("m", 10**400), "too large for a float"),
            (lambda: mj.log_param("a\udcffb", 1), "param key 'a\\\\udcffb' is not valid Unicode"),
            (lambda: mj.log_param("p", "a\udcffb"), "param 'p': the value is not valid Unicode"),
            (lambda: mj.log_param("p", "a\x00b"), "param 'p': the value contains a NUL"),
            (
                lambda: mj.log_params({"ok": 1, "n\x00ul": 2}),
                "param key 'n\\\\x00ul' contains a NUL",
            ),
            (lambda: mj.set_tag("t", "a\udcffb"), "tag 't': the value is not valid Unicode"),
            (lambda: mj.set_tag("t\x00", "v"), "tag key 't\\\\x00' contains a NUL"),
            (lambda: mj.set_tag("k" * 256, "v"), "is 256 characters long"),
            (lambda: mj.log_param("", 1), "param key '' is empty"),
        ]
        for call, message in bad_calls:
            with pytest.raises(InvalidValueError, match=message):
                call()
        mj.log_param("good_after", [1, "a\udcffb", "n\x00l"])  # inside JSON: kept exactly
        mj.log_metric("loss", 0.25, step=2**62)
        mj.set_tag("long", LONG)
        mj.log_param("long", LONG)
        mj.log_param("huge_int", 10**30)
    view = mj.get_run(run.run_id)
    assert view.status == "finished"
    assert view.params == {
        "good_before": 1,
        "good_after": [1, "a\udcffb", "n\x00l"],
        "long": LONG,
        "huge_int": 10**30,
    }
    assert view.tags["team"] == "a" and view.tags["long"] == LONG
    assert view.metrics["loss"] == 0.25
    history = mj_store.runs.metric_history(run.run_id, "loss")["loss"]
    assert history["step"].tolist() == [1, 2**62]
    # long values are found by equality (PostgreSQL uses the prefix index for it)
    assert list(mj.runs(filter=f"params.long = '{LONG}'")["run_id"]) == [run.run_id]
    assert list(mj.runs(filter=f"tags.long = '{LONG}'")["run_id"]) == [run.run_id]
    assert mj.runs(filter=f"tags.long = '{LONG[:-1]}'").empty


def test_a_flush_that_fails_writes_the_good_rows_and_names_the_bad(mj_store) -> None:  # type: ignore[no-untyped-def]
    """Rows that slipped past the checks (put into the buffer directly, as a future bug
    might): the flush retries, then writes row by row and drops only the bad ones."""
    run = mj.start_run(name="poisoned")
    run.log_param("alpha", 0.1)
    run.log_metric("loss", 0.5)
    run.set_tag("team", "a")
    bad_key = "bad\x00key" if mj_store.db.dialect == "postgresql" else "bad\udcffkey"
    run._params.append((bad_key, '"v"', None, "v"))
    run._tags.append(("note", "x\x00y" if mj_store.db.dialect == "postgresql" else "x\udcffy"))
    with pytest.warns(UserWarning, match="2 value\\(s\\) could not be stored") as caught:
        run.flush()
    message = str(caught[0].message)
    assert repr(bad_key) in message and "tag 'note'" in message
    assert len(run.unwritten) == 2 and run.pending == 0
    run.log_param("beta", 2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        run.end()
    view = mj.get_run(run.run_id)
    assert view.status == "finished"
    assert view.params == {"alpha": 0.1, "beta": 2}
    assert view.tags.get("team") == "a" and "note" not in view.tags
    assert view.metrics == {"loss": 0.5}


def test_ending_with_a_bad_row_still_records_the_outcome(mj_store) -> None:  # type: ignore[no-untyped-def]
    run = mj.start_run(name="poisoned-end")
    run.log_param("alpha", 0.1)
    run._tags.append(("note", "x\x00y" if mj_store.db.dialect == "postgresql" else "x\udcffy"))
    with pytest.warns(UserWarning, match="tag 'note'"):
        run.end()
    view = mj.get_run(run.run_id)
    assert view.status == "finished" and view.params == {"alpha": 0.1}
