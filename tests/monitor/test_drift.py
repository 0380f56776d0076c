"""check_drift on raw frames and profiles: the right columns, scipy's numbers, the p-value path,
Bonferroni, rules, and schema findings as problems."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.spatial.distance import jensenshannon

import mlops_jupyter as mj
from mlops_jupyter.monitor.drift import compare

NUMERIC = [f"n{i}" for i in range(8)]
CATEGORIES = ["a", "b", "c", "d"]
BASE_P = [0.4, 0.3, 0.2, 0.1]


def make(n: int, seed: int, shifted: tuple[str, ...] = ()) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    data = pd.DataFrame({c: rng.normal(i, 1 + i % 3, n) for i, c in enumerate(NUMERIC)})
    data["c0"] = rng.choice(CATEGORIES, n, p=BASE_P)
    data["c1"] = rng.choice(CATEGORIES, n, p=BASE_P)
    data["flag"] = rng.choice(["yes", "no"], n, p=[0.3, 0.7])
    for column in shifted:
        if column.startswith("n"):
            data[column] = data[column] + 0.5 * data[column].std()
        elif column == "flag":
            data[column] = rng.choice(["yes", "no"], n, p=[0.5, 0.5])
        else:
            data[column] = rng.choice(CATEGORIES, n, p=[0.1, 0.2, 0.3, 0.4])
    return data


SHIFTED = ("n1", "n5", "c1")


def test_large_frames_flag_exactly_the_shifted_columns() -> None:
    reference = make(100_000, 1)
    report = mj.check_drift(reference, make(100_000, 2, SHIFTED))
    assert report.drifted
    assert sorted(report.drifted_columns) == sorted(SHIFTED)
    frame = report.to_frame()
    assert list(frame.columns) == [
        "column",
        "method",
        "statistic",
        "p_value",
        "threshold",
        "drifted",
    ]
    methods = dict(zip(frame.column, frame.method, strict=True))
    assert {methods[c] for c in NUMERIC} == {"wasserstein"}
    assert methods["c0"] == methods["flag"] == "jensenshannon"
    assert report.problems == []
    clean = mj.check_drift(reference, make(100_000, 3))
    assert not clean.drifted and clean.drifted_columns == []


def test_small_reference_takes_the_p_value_path_with_bonferroni() -> None:
    reference = make(500, 4)
    current = make(500, 5, ("n1", "c1", "flag"))
    report = mj.check_drift(reference, current)
    frame = report.to_frame().set_index("column")
    assert frame.loc["n0", "method"] == "ks"
    assert frame.loc["c0", "method"] == "chi2"
    assert frame.loc["flag", "method"] == "ztest"
    m = len(frame)
    assert frame["threshold"].tolist() == pytest.approx([0.05 / m] * m)
    assert set(report.drifted_columns) == {"n1", "c1", "flag"}
    assert (frame.p_value < 0.05 / m).sum() == 3
    assert "Bonferroni" in report.rule
    clean = mj.check_drift(reference, make(500, 6))
    assert not clean.drifted


def test_statistics_equal_scipys_on_raw_data() -> None:
    small_ref, small_cur = make(400, 7), make(450, 8, SHIFTED)
    report = compare(small_ref, small_cur).to_frame().set_index("column")
    for column in NUMERIC:
        expected = stats.ks_2samp(small_ref[column], small_cur[column])
        assert report.loc[column, "statistic"] == pytest.approx(expected.statistic, rel=1e-12)
        assert report.loc[column, "p_value"] == pytest.approx(expected.pvalue, rel=1e-9)
    for column in ("c0", "c1"):
        labels = sorted(set(small_ref[column]) | set(small_cur[column]))
        table = np.array(
            [
                small_ref[column].value_counts().reindex(labels, fill_value=0),
                small_cur[column].value_counts().reindex(labels, fill_value=0),
            ]
        )
        contingency = stats.chi2_contingency(table, correction=False)
        expected = contingency.expected_freq
        chi = stats.chisquare(table.ravel(), expected.ravel(), ddof=table.size - len(labels))
        assert report.loc[column, "statistic"] == pytest.approx(chi.statistic, rel=1e-12)
        assert report.loc[column, "statistic"] == pytest.approx(contingency.statistic, rel=1e-12)
        assert report.loc[column, "p_value"] == pytest.approx(contingency.pvalue, rel=1e-9)
    flag = pd.crosstab(
        np.r_[np.zeros(len(small_ref)), np.ones(len(small_cur))],
        np.r_[small_ref.flag.to_numpy(), small_cur.flag.to_numpy()],
    )
    z = report.loc["flag", "statistic"]  # two-proportion z-test: z² is the 2×2 chi² statistic
    assert z**2 == pytest.approx(stats.chi2_contingency(flag, correction=False).statistic, rel=1e-9)

    big_ref, big_cur = make(3_000, 9), make(2_500, 10, SHIFTED)
    report = compare(big_ref, big_cur).to_frame().set_index("column")
    for column in NUMERIC:
        expected = stats.wasserstein_distance(big_ref[column], big_cur[column]) / np.std(
            big_ref[column]
        )
        assert report.loc[column, "statistic"] == pytest.approx(expected, rel=1e-10)
    for column in ("c0", "c1", "flag"):
        labels = sorted(set(big_ref[column]) | set(big_cur[column]))
        p = big_ref[column].value_counts().reindex(labels, fill_value=0).to_numpy(dtype=float)
        q = big_cur[column].value_counts().reindex(labels, fill_value=0).to_numpy(dtype=float)
        expected = jensenshannon(p / p.sum(), q / q.sum(), base=2)
        assert report.loc[column, "statistic"] == pytest.approx(expected, rel=1e-10)


def test_psi_bands_and_forced_methods() -> None:
    reference, current = make(20_000, 11), make(20_000, 12, SHIFTED)
    report = mj.check_drift(reference, current, method="psi")
    frame = report.to_frame().set_index("column")
    assert set(frame.method) == {"psi"}
    assert set(report.drifted_columns) <= set(SHIFTED)
    bands = {c.column: c.band for c in report.columns}
    assert bands["n0"] == "stable" and bands["n1"] in ("moderate", "drift")
    ks = mj.check_drift(reference, current, method="ks").to_frame().set_index("column")
    expected = stats.ks_2samp(reference.n1, current.n1)
    assert ks.loc["n1", "statistic"] == pytest.approx(expected.statistic)


def test_profiles_agree_with_raw_within_the_stated_error(tmp_path) -> None:  # type: ignore[no-untyped-def]
    reference, current = make(100_000, 13), make(100_000, 14, SHIFTED)
    raw = compare(reference, current)
    ref_profile = mj.profile(reference)
    current.to_parquet(tmp_path / "current.parquet")
    sketched = mj.check_drift(ref_profile, tmp_path / "current.parquet")
    assert sketched.on == "profiles" and raw.on == "raw"
    assert sorted(sketched.drifted_columns) == sorted(raw.drifted_columns) == sorted(SHIFTED)
    assert 0 < sketched.error < 0.02
    by_raw = {c.column: c for c in raw.columns}
    for c in sketched.columns:
        if c.kind == "categorical":  # exact counts on both sides
            assert c.statistic == pytest.approx(by_raw[c.column].statistic, rel=1e-9)
        else:
            # quantiles within eps rank: the normed distance moves by about eps/density
            assert c.statistic == pytest.approx(by_raw[c.column].statistic, abs=0.02)
    small = mj.check_drift(mj.profile(reference.head(800)), mj.profile(current.head(800)))
    assert {c.method for c in small.columns} >= {"ks", "chi2"}


def test_schema_findings_are_problems_not_exceptions() -> None:
    reference = make(2_000, 15)
    current = make(2_000, 16).drop(columns=["n2"])
    current["n3"] = current["n3"].astype(str)  # retyped
    current["extra"] = 1.0
    current["n4"] = np.nan  # all missing
    current.loc[current.index[:50], "c0"] = "zzz"  # unseen category
    report = mj.check_drift(reference, current)
    kinds = {(p["kind"], p["column"]) for p in report.problems}
    assert {
        ("missing_column", "n2"),
        ("retyped_column", "n3"),
        ("extra_column", "extra"),
        ("all_missing", "n4"),
        ("unseen_categories", "c0"),
    } <= kinds
    assert report.failed and report.status == "failed"
    empty = mj.check_drift(reference, reference.iloc[:0])
    assert [p["kind"] for p in empty.problems] == ["empty_data"]
    assert not empty.drifted and empty.failed
    with pytest.raises(mj.MonitorError, match="unknown method"):
        mj.check_drift(reference, reference, method="bogus")


def test_rules_share_and_named_columns() -> None:
    reference, current = make(5_000, 17), make(5_000, 18, ("n1",))
    assert mj.check_drift(reference, current).drifted
    assert not mj.check_drift(reference, current, rule=0.5).drifted
    assert not mj.check_drift(reference, current, rule=["n0", "c0"]).drifted
    assert mj.check_drift(reference, current, rule=["n1"]).drifted


def test_report_json_and_html() -> None:
    report = mj.check_drift(make(3_000, 19), make(3_000, 20, SHIFTED))
    data = json.loads(report.to_json())
    assert data["drifted"] is True and sorted(data["drifted_columns"]) == sorted(SHIFTED)
    assert data["columns"][0]["histogram"]["reference"]
    again = mj.DriftReport.from_dict(data)
    assert again.drifted_columns == report.drifted_columns
    html = report._repr_html_()
    assert html.count("<svg") == len(report.columns)
    assert "n1" in html and "drift" in html
