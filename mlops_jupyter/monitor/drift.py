"""Drift: per-column statistics between a reference and current data, the dataset-level
decision, and schema findings — the ``DriftReport``.

Method selection (``method="auto"``), per column: with a reference of at most 1000 rows, the
two-sample Kolmogorov–Smirnov test for numbers and chi² for categories (a two-proportion z-test
for binary ones); with more, the Wasserstein distance divided by the reference's standard
deviation (drift at >= 0.1) for numbers and scipy's Jensen–Shannon *distance* in base 2 (drift
at >= 0.1) for categories. PSI (bands 0.1 / 0.25) on request.

On two pandas frames the statistics are computed on the raw values and equal scipy's
(``ks_2samp``, ``wasserstein_distance``, ``chisquare`` — as the two-sample test of homogeneity
``chi2_contingency`` computes it — and ``jensenshannon``). When either side is
a profile (stored reference, Dask frame, files), both sides are compared as profiles and the
statistic is within the sketches' stated error (``DriftReport.error``).

A dataset drifts, by default, when any column drifts; p-value tests then use the
Bonferroni-corrected level alpha/m (m = columns tested) for that decision. ``rule`` may instead be
a share of columns (``0.5``) or the names of the columns that count. Schema findings — missing,
extra and retyped columns, empty or all-missing data, categories unseen in the reference — are
``.problems``, never exceptions.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from mlops_jupyter.tracking.display import html
from mlops_jupyter.tracking.profile import (
    ColumnProfile,
    Profile,
    ProfileError,
    category_label,
    column_kind,
    is_dask_frame,
    load_profile,
    map_columns,
    profile,
    sorted_values,
)

METHODS = ("auto", "ks", "psi", "wasserstein", "jensenshannon", "chi2", "ztest")
P_VALUE_METHODS = ("ks", "chi2", "ztest")
DEFAULT_THRESHOLDS = {
    "ks": 0.05,
    "chi2": 0.05,
    "ztest": 0.05,
    "wasserstein": 0.1,
    "jensenshannon": 0.1,
    "psi": 0.25,
}
PSI_BANDS = (0.1, 0.25)  # below: stable; between: moderate; above: drift
SMALL_REFERENCE = 1000  # reference rows at or below which auto picks the p-value tests
PSI_BINS = 10
HIST_BINS = 12
HIST_TOP = 8
PSI_FLOOR = 1e-4  # proportions are floored so empty bins do not make PSI infinite
# severity of each finding: "error" findings fail a check, "warning" ones are reported only
PROBLEM_SEVERITY = {
    "missing_column": "error",
    "retyped_column": "error",
    "empty_data": "error",
    "all_missing": "error",
    "extra_column": "warning",
    "unseen_categories": "warning",
}


class DriftInputError(ValueError):
    """Arguments check_drift cannot work with (unknown method, bad threshold): a usage error,
    unlike findings about the data, which are ``.problems``."""


@dataclass
class ColumnDrift:
    """One column's result (a row of ``to_frame()`` plus what the views draw)."""

    column: str
    kind: str
    method: str
    statistic: float | None
    p_value: float | None
    threshold: float
    drifted: bool
    reference_rows: int
    current_rows: int
    # from profiles: the sketches' rank error (numbers: quantiles/CDFs within ±error in rank;
    # categories: counts within ±error of the total); 0 on raw data or exact counts
    error: float = 0.0
    band: str | None = None  # PSI: stable | moderate | drift
    histogram: dict[str, Any] = field(default_factory=dict)
    stats: dict[str, Any] = field(default_factory=dict)  # reference/current mean, std, missing


@dataclass
class DriftReport:
    """The result of ``check_drift``."""

    columns: list[ColumnDrift]
    drifted: bool
    problems: list[dict[str, Any]]
    rule: str
    on: str  # "raw" | "profiles"
    reference_rows: int
    current_rows: int
    error: float = 0.0
    alpha: float = 0.05
    reference: str | None = None
    current: str | None = None
    model: dict[str, Any] | None = None
    check_id: str | None = None  # set when the check was recorded as a run

    @property
    def drifted_columns(self) -> list[str]:
        return [c.column for c in self.columns if c.drifted]

    @property
    def failed(self) -> bool:
        """Drift, or a finding that makes the comparison unsound (missing/retyped columns,
        empty or all-missing data)."""
        return self.drifted or any(p["severity"] == "error" for p in self.problems)

    @property
    def status(self) -> str:
        return "failed" if self.failed else "passed"

    def to_frame(self) -> pd.DataFrame:
        """column, method, statistic, p_value, threshold, drifted — one row per column tested."""
        return pd.DataFrame(
            [
                {
                    "column": c.column,
                    "method": c.method,
                    "statistic": c.statistic,
                    "p_value": c.p_value,
                    "threshold": c.threshold,
                    "drifted": c.drifted,
                }
                for c in self.columns
            ],
            columns=["column", "method", "statistic", "p_value", "threshold", "drifted"],
        )

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["status"] = self.status
        data["drifted_columns"] = self.drifted_columns
        return _json_safe(data)

    def to_json(self, indent: int | None = None) -> str:
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DriftReport:
        keys = set(cls.__dataclass_fields__)
        values = {k: v for k, v in data.items() if k in keys}
        column_keys = set(ColumnDrift.__dataclass_fields__)
        values["columns"] = [
            ColumnDrift(**{k: v for k, v in c.items() if k in column_keys})
            for c in data.get("columns", [])
        ]
        return cls(**values)

    def __repr__(self) -> str:
        state = "DRIFT" if self.drifted else "no drift"
        cols = ", ".join(self.drifted_columns) or "none"
        return (
            f"<DriftReport {state}: {len(self.drifted_columns)}/{len(self.columns)} columns "
            f"drifted ({cols}); {len(self.problems)} problem(s)>"
        )

    def _repr_html_(self) -> str:
        return html(self)  # drawn by the view widgets/ registers (tracking/display.py)


def _json_safe(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    return value


def _problem(kind: str, message: str, column: str | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "kind": kind,
        "severity": PROBLEM_SEVERITY[kind],
        "column": column,
        "message": message,
        **extra,
    }


# -- one numeric column, raw values ------------------------------------------------------------
def _sorted_quantile(values: np.ndarray, q: float) -> float:
    """numpy's default (linear) quantile of an already sorted array, without re-sorting it."""
    position = q * (len(values) - 1)
    below = int(position)
    above = min(below + 1, len(values) - 1)
    return float(values[below] + (values[above] - values[below]) * (position - below))


def wasserstein_sorted(u: np.ndarray, v: np.ndarray) -> float:
    """The 1-Wasserstein distance of two sorted samples (equal weights): the area between their
    quantile functions, summed over the merged breakpoints (linear after sorting; equals
    ``scipy.stats.wasserstein_distance`` up to float rounding)."""
    n, m = len(u), len(v)
    if n == m:
        return float(np.abs(u - v).mean())
    # breakpoints of both step quantile functions on (0, 1]
    steps = np.concatenate([np.arange(1, n + 1) / n, np.arange(1, m + 1) / m])
    steps.sort(kind="stable")  # two sorted runs: a merge
    widths = np.diff(steps, prepend=0.0)
    keep = widths > 0
    steps, widths = steps[keep], widths[keep]
    mid = steps - widths / 2
    iu = np.minimum((mid * n).astype(np.int64), n - 1)
    iv = np.minimum((mid * m).astype(np.int64), m - 1)
    return float((widths * np.abs(u[iu] - v[iv])).sum())


def _mean_std(values: np.ndarray) -> tuple[float, float]:
    """Mean and population standard deviation (numpy's ``std``) in one centring pass."""
    mean = float(values.mean())
    centred = values - mean
    return mean, math.sqrt(float(centred @ centred) / len(values))


def _psi(ref_share: np.ndarray, cur_share: np.ndarray) -> float:
    r = np.clip(ref_share, PSI_FLOOR, None)
    c = np.clip(cur_share, PSI_FLOOR, None)
    return float(((c - r) * np.log(c / r)).sum())


def _psi_band(value: float) -> str:
    if value < PSI_BANDS[0]:
        return "stable"
    return "moderate" if value < PSI_BANDS[1] else "drift"


def _shares_between(sorted_values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Share of values in (-inf, e1], (e1, e2], ..., (ek, inf) for interior edges e."""
    if len(sorted_values) == 0:
        return np.zeros(len(edges) + 1)
    cum = np.searchsorted(sorted_values, edges, side="right")
    counts = np.diff(np.concatenate([[0], cum, [len(sorted_values)]]))
    return counts / len(sorted_values)


def _hist_edges(low: float, high: float) -> np.ndarray:
    if not (math.isfinite(low) and math.isfinite(high)) or high <= low:
        high = low + 1.0
    return np.linspace(low, high, HIST_BINS + 1)


def _numeric_raw(
    column: str, ref: np.ndarray, cur: np.ndarray, method: str, ref_std: float
) -> tuple[float | None, float | None, dict[str, Any]]:
    from scipy import stats  # noqa: PLC0415 - start-up: scipy is imported on first use

    extra: dict[str, Any] = {}
    if method == "ks":
        result = stats.ks_2samp(ref, cur)
        return float(result.statistic), float(result.pvalue), extra
    if method == "wasserstein":
        distance = wasserstein_sorted(ref, cur)
        extra["raw_distance"] = distance
        if ref_std > 0:
            return distance / ref_std, None, extra
        return (0.0 if distance == 0 else math.inf), None, extra
    if method == "psi":
        edges = np.unique(np.quantile(ref, np.linspace(0, 1, PSI_BINS + 1)[1:-1]))
        return _psi(_shares_between(ref, edges), _shares_between(cur, edges)), None, extra
    raise DriftInputError(f"method {method!r} does not apply to numeric column {column!r}")


def _numeric_profile(
    column: str, ref: ColumnProfile, cur: ColumnProfile, method: str
) -> tuple[float | None, float | None, float]:
    """Statistic, p-value and error bound from two KLL sketches."""
    eps = ref.rank_error() + cur.rank_error()
    if method == "ks":
        from scipy import stats  # noqa: PLC0415 - start-up: scipy is imported on first use

        ranks = np.linspace(0, 1, 401)
        points = np.unique(np.concatenate([ref.quantiles(ranks), cur.quantiles(ranks)]))
        d = float(np.abs(ref.cdf(points) - cur.cdf(points)).max()) if len(points) else 0.0
        n, m = ref.n, cur.n
        p = float(stats.kstwobign.sf(d * math.sqrt(n * m / (n + m)))) if n and m else None
        return d, p, eps
    if method == "wasserstein":
        ranks = (np.arange(2000) + 0.5) / 2000
        distance = float(np.abs(ref.quantiles(ranks) - cur.quantiles(ranks)).mean())
        std = math.sqrt(ref.m2 / ref.n) if ref.n else 0.0
        if std <= 0:
            return (0.0 if distance == 0 else math.inf), None, eps
        return distance / std, None, eps
    if method == "psi":
        edges = np.unique(ref.quantiles(np.linspace(0, 1, PSI_BINS + 1)[1:-1]))
        rc, cc = ref.cdf(edges), cur.cdf(edges)
        r = np.diff(np.concatenate([[0.0], rc, [1.0]]))
        c = np.diff(np.concatenate([[0.0], cc, [1.0]]))
        return _psi(r, c), None, eps
    raise DriftInputError(f"method {method!r} does not apply to numeric column {column!r}")


# -- one categorical column (counts, raw or from profiles) -------------------------------------
def _categorical(
    column: str,
    ref_counts: dict[str, int],
    cur_counts: dict[str, int],
    method: str,
    ref_total: int,
    cur_total: int,
) -> tuple[float | None, float | None]:
    from scipy import stats  # noqa: PLC0415 - start-up: scipy is imported on first use
    from scipy.spatial.distance import (  # noqa: PLC0415 - start-up: scipy is imported on first use
        jensenshannon,
    )

    ref_other = max(ref_total - sum(ref_counts.values()), 0)  # sketch tail (0 when exact)
    cur_other = max(cur_total - sum(cur_counts.values()), 0)
    if method == "jensenshannon" or method == "psi":
        labels = list(dict.fromkeys([*ref_counts, *cur_counts]))
        p = np.array([ref_counts.get(k, 0) for k in labels] + [ref_other], dtype=float)
        q = np.array([cur_counts.get(k, 0) for k in labels] + [cur_other], dtype=float)
        if p.sum() == 0 or q.sum() == 0:
            return None, None
        if method == "psi":
            return _psi(p / p.sum(), q / q.sum()), None
        return float(jensenshannon(p / p.sum(), q / q.sum(), base=2)), None
    labels = list(ref_counts)
    seen = float(sum(cur_counts.get(k, 0) for k in labels))
    if method == "ztest" and (seen == 0 or len(labels) < 2):
        return 0.0, 1.0
    if method == "ztest":
        a = labels[0]
        x1, n1 = ref_counts[a], sum(ref_counts.values())
        x2, n2 = cur_counts.get(a, 0), int(seen)
        pooled = (x1 + x2) / (n1 + n2)
        se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
        if se == 0:
            return 0.0, 1.0
        z = (x1 / n1 - x2 / n2) / se
        return float(z), float(2 * stats.norm.sf(abs(z)))
    if method == "chi2":
        # two samples: chi² test of homogeneity on the 2 × k table (scipy's chisquare on the
        # table's cells with ddof set so the degrees of freedom are k - 1, as chi2_contingency)
        labels = list(dict.fromkeys([*ref_counts, *cur_counts]))
        table = np.array(
            [[ref_counts.get(k, 0) for k in labels], [cur_counts.get(k, 0) for k in labels]],
            dtype=float,
        )
        table = table[:, table.sum(axis=0) > 0]
        if table.shape[1] < 2:
            return 0.0, 1.0
        expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / table.sum()
        dof = table.shape[1] - 1
        result = stats.chisquare(table.ravel(), expected.ravel(), ddof=table.size - 1 - dof)
        return float(result.statistic), float(result.pvalue)
    raise DriftInputError(f"method {method!r} does not apply to categorical column {column!r}")


def _value_counts(series: pd.Series) -> dict[str, int]:
    counts = series.value_counts(sort=False, dropna=True)
    merged: dict[str, int] = {}
    for key, value in counts.items():
        label = category_label(key)
        merged[label] = merged.get(label, 0) + int(value)
    return merged


def _category_histogram(ref: dict[str, int], cur: dict[str, int]) -> dict[str, Any]:
    ref_total = sum(ref.values()) or 1
    cur_total = sum(cur.values()) or 1
    top = sorted(ref, key=lambda k: -ref[k])[:HIST_TOP]
    top += [k for k in sorted(cur, key=lambda k: -cur[k]) if k not in ref][: max(0, 2)]
    r = [ref.get(k, 0) / ref_total for k in top]
    c = [cur.get(k, 0) / cur_total for k in top]
    rest_r, rest_c = 1 - sum(r), 1 - sum(c)
    if rest_r > 1e-9 or rest_c > 1e-9:
        top, r, c = [*top, "(other)"], [*r, max(rest_r, 0)], [*c, max(rest_c, 0)]
    return {"labels": top, "reference": r, "current": c}


# -- the check ----------------------------------------------------------------------------------
@dataclass
class _Side:
    """One side of the comparison: raw frame or profile."""

    frame: pd.DataFrame | None
    profile: Profile | None
    label: str

    @property
    def rows(self) -> int:
        return (
            len(self.frame)
            if self.frame is not None
            else (self.profile.rows if self.profile else 0)
        )

    def kinds(self) -> dict[str, str]:
        if self.frame is not None:
            return {str(c): column_kind(self.frame[c]) for c in self.frame.columns}
        assert self.profile is not None
        return {n: c.kind for n, c in self.profile.columns.items()}

    def as_profile(self) -> Profile:
        if self.profile is None:
            assert self.frame is not None
            self.profile = Profile.of_frame(self.frame, source=self.label)
        return self.profile


def _side(data: Any, what: str) -> _Side:
    if isinstance(data, pd.DataFrame):
        if not all(isinstance(c, str) for c in data.columns):
            data = data.rename(columns=str)
        return _Side(data, None, f"DataFrame {len(data)}×{data.shape[1]}")
    if isinstance(data, Profile):
        return _Side(None, data, data.source or "profile")
    if isinstance(data, dict):
        return _Side(None, load_profile(data), "profile")
    if is_dask_frame(data):
        return _Side(None, profile(data), "Dask DataFrame")
    if isinstance(data, (str, os.PathLike)):
        text = os.fspath(data)
        if text.endswith(".json") and os.path.isfile(text):
            return _Side(None, load_profile(text), text)
        return _Side(None, profile(text), text)
    raise ProfileError(
        f"{what} must be a pandas or Dask DataFrame, a Profile, or a path of CSV/parquet files; "
        f"got {type(data).__name__}"
    )


def _threshold_for(
    column: str, method: str, threshold: float | Mapping[str, float] | None
) -> float:
    if threshold is None:
        return DEFAULT_THRESHOLDS[method]
    if isinstance(threshold, Mapping):
        return float(threshold.get(column, DEFAULT_THRESHOLDS[method]))
    return float(threshold)


def _choose(kind: str, method: str, reference_rows: int, binary: bool) -> str:
    if method != "auto":
        if kind == "numeric" and method in ("chi2", "ztest", "jensenshannon"):
            return "psi" if method == "jensenshannon" else "ks"
        if kind == "categorical" and method in ("ks", "wasserstein"):
            return "chi2" if method == "ks" else "jensenshannon"
        return method
    if reference_rows <= SMALL_REFERENCE:
        if kind == "numeric":
            return "ks"
        return "ztest" if binary else "chi2"
    return "wasserstein" if kind == "numeric" else "jensenshannon"


def _check_arguments(method: str, threshold: Any, rule: Any) -> None:
    if method not in METHODS:
        raise DriftInputError(f"unknown method {method!r}: use one of {', '.join(METHODS)}")
    if threshold is not None and not isinstance(threshold, Mapping):
        try:
            value = float(threshold)
        except (TypeError, ValueError):
            raise DriftInputError(f"threshold must be a number, got {threshold!r}") from None
        if not math.isfinite(value) or value < 0:
            raise DriftInputError(f"threshold must be a finite number >= 0, got {threshold!r}")
    if isinstance(rule, float) and not 0 < rule <= 1:
        raise DriftInputError(f"a share-of-columns rule must be in (0, 1], got {rule}")
    if isinstance(rule, str) and rule != "any":
        raise DriftInputError(
            f"rule must be 'any', a share of columns (0-1) or a list of column names, got {rule!r}"
        )


def compare(
    reference: Any,
    current: Any,
    *,
    method: str = "auto",
    threshold: float | Mapping[str, float] | None = None,
    rule: str | float | Sequence[str] = "any",
    columns: Sequence[str] | None = None,
    alpha: float = 0.05,
    reference_label: str | None = None,
    required: Sequence[str] | None = None,
) -> DriftReport:
    """The drift computation behind ``mj.check_drift`` (no model lookup, nothing recorded)."""
    _check_arguments(method, threshold, rule)
    ref, cur = _side(reference, "reference"), _side(current, "current")
    if reference_label:
        ref.label = reference_label
    raw = ref.frame is not None and cur.frame is not None
    problems: list[dict[str, Any]] = []
    ref_kinds, cur_kinds = ref.kinds(), cur.kinds()
    wanted = list(columns) if columns is not None else list(ref_kinds)
    if required is not None:  # e.g. a model's inputs: other reference columns are optional
        wanted = list(dict.fromkeys([*required, *wanted]))
    for name in wanted:
        if name not in ref_kinds:
            problems.append(_problem("missing_column", f"{name!r} is not in the reference", name))
    for name in ref_kinds:
        if required is not None and name not in required:
            continue
        if name in wanted and name not in cur_kinds:
            problems.append(
                _problem(
                    "missing_column",
                    f"{name!r} is in the reference but not in the current data",
                    name,
                )
            )
    for name in cur_kinds:
        if name not in ref_kinds:
            problems.append(
                _problem(
                    "extra_column",
                    f"{name!r} is in the current data but not in the reference",
                    name,
                )
            )
    if cur.rows == 0:
        problems.append(_problem("empty_data", "the current data has no rows"))
    if ref.rows == 0:
        problems.append(_problem("empty_data", "the reference has no rows"))
    tested: list[str] = []
    for name in wanted:
        if name not in ref_kinds or name not in cur_kinds:
            continue
        if ref_kinds[name] != cur_kinds[name]:
            problems.append(
                _problem(
                    "retyped_column",
                    f"{name!r} is {ref_kinds[name]} in the reference but {cur_kinds[name]} now",
                    name,
                    reference_kind=ref_kinds[name],
                    current_kind=cur_kinds[name],
                )
            )
            continue
        tested.append(name)
    if ref.rows == 0 or cur.rows == 0:
        tested = []

    ref_profile = None if raw else ref.as_profile()
    cur_profile = None if raw else cur.as_profile()

    def one(name: str) -> tuple[ColumnDrift | None, list[dict[str, Any]]]:
        return _column(
            name, ref_kinds[name], ref, cur, ref_profile, cur_profile, method, threshold, raw
        )

    # raw columns are sorted in parallel threads; sketches are compared in a few microseconds
    outcomes = map_columns(one, tested, max(ref.rows, cur.rows) if raw else 0)
    results: list[ColumnDrift] = []
    for result, found in outcomes:
        problems.extend(found)
        if result is not None:
            results.append(result)

    # the dataset decision
    counted = [r for r in results if r.statistic is not None]
    if isinstance(rule, (list, tuple)):
        named = set(rule)
        counted = [r for r in counted if r.column in named]
        rule_text = f"any of {', '.join(rule)} (p-value tests at alpha/{max(len(counted), 1)})"
        m = max(len(counted), 1)
    elif isinstance(rule, float):
        rule_text = f"at least {rule:.0%} of the columns drift (p-value tests at alpha)"
        m = 1
    else:
        m = max(len(counted), 1)
        rule_text = "any column drifts"
        if any(r.method in P_VALUE_METHODS for r in counted):
            rule_text += f" (p-value tests at alpha/{m} = {alpha / m:.3g}, Bonferroni)"
    for r in results:
        if r.method in P_VALUE_METHODS:
            r.threshold = (r.threshold if threshold is not None else alpha) / m
            r.drifted = r.p_value is not None and r.p_value < r.threshold
    if isinstance(rule, float):
        drifted = bool(results) and sum(r.drifted for r in results) / len(results) >= rule
    else:
        drifted = any(r.drifted for r in counted)
    return DriftReport(
        columns=results,
        drifted=drifted,
        problems=problems,
        rule=rule_text,
        on="raw" if raw else "profiles",
        reference_rows=ref.rows,
        current_rows=cur.rows,
        error=max((r.error for r in results), default=0.0),
        alpha=alpha,
        reference=ref.label,
        current=cur.label,
    )


def _column(
    name: str,
    kind: str,
    ref: _Side,
    cur: _Side,
    ref_profile: Profile | None,
    cur_profile: Profile | None,
    method: str,
    threshold: Any,
    raw: bool,
) -> tuple[ColumnDrift | None, list[dict[str, Any]]]:
    problems: list[dict[str, Any]] = []
    error = 0.0
    band = None
    stats_out: dict[str, Any] = {}
    if raw:
        assert ref.frame is not None and cur.frame is not None
        rs, cs = ref.frame[name], cur.frame[name]
        ref_n, cur_n = int(rs.notna().sum()), int(cs.notna().sum())
        stats_out.update(
            reference_missing=int(len(rs) - ref_n), current_missing=int(len(cs) - cur_n)
        )
    else:
        assert ref_profile is not None and cur_profile is not None
        rp, cp = ref_profile.columns[name], cur_profile.columns[name]
        ref_n, cur_n = rp.present, cp.present
        stats_out.update(reference_missing=rp.missing, current_missing=cp.missing)
    if cur_n == 0 or ref_n == 0:
        side = "current data" if cur_n == 0 else "reference"
        problems.append(_problem("all_missing", f"{name!r} has no values in the {side}", name))
        return None, problems

    if kind == "numeric":
        chosen = _choose(kind, method, ref.rows, False)
        if raw:
            r_sorted, c_sorted = sorted_values(rs).finite, sorted_values(cs).finite
            if len(r_sorted) == 0 or len(c_sorted) == 0:
                problems.append(_problem("all_missing", f"{name!r} has no finite values", name))
                return None, problems
            (ref_mean, ref_std), (cur_mean, cur_std) = _mean_std(r_sorted), _mean_std(c_sorted)
            statistic, p_value, _ = _numeric_raw(name, r_sorted, c_sorted, chosen, ref_std)
            low, high = _sorted_quantile(r_sorted, 0.01), _sorted_quantile(r_sorted, 0.99)
            edges = _hist_edges(
                min(low, _sorted_quantile(c_sorted, 0.01)),
                max(high, _sorted_quantile(c_sorted, 0.99)),
            )
            hist = {
                "edges": edges.tolist(),
                "reference": _shares_between(r_sorted, edges[1:-1]).tolist(),
                "current": _shares_between(c_sorted, edges[1:-1]).tolist(),
            }
            stats_out.update(
                reference_mean=ref_mean,
                current_mean=cur_mean,
                reference_std=ref_std,
                current_std=cur_std,
            )
        else:
            statistic, p_value, error = _numeric_profile(name, rp, cp, chosen)
            lq = rp.quantiles([0.01, 0.99])
            cq = cp.quantiles([0.01, 0.99])
            edges = _hist_edges(float(min(lq[0], cq[0])), float(max(lq[1], cq[1])))
            inner = edges[1:-1]
            rc, cc = rp.cdf(inner), cp.cdf(inner)
            hist = {
                "edges": edges.tolist(),
                "reference": np.diff(np.concatenate([[0.0], rc, [1.0]])).tolist(),
                "current": np.diff(np.concatenate([[0.0], cc, [1.0]])).tolist(),
            }
            stats_out.update(
                reference_mean=rp.mean,
                current_mean=cp.mean,
                reference_std=math.sqrt(rp.m2 / rp.n) if rp.n else None,
                current_std=math.sqrt(cp.m2 / cp.n) if cp.n else None,
            )
    else:
        if raw:
            ref_counts, cur_counts = _value_counts(rs), _value_counts(cs)
            ref_total, cur_total = sum(ref_counts.values()), sum(cur_counts.values())
        else:
            ref_counts, cur_counts = rp.category_counts(), cp.category_counts()
            ref_total, cur_total = rp.present, cp.present
            error = rp.frequency_error() + cp.frequency_error()
        unseen = [k for k in cur_counts if k not in ref_counts]
        if unseen and (raw or rp.exact):
            rows = sum(cur_counts[k] for k in unseen)
            problems.append(
                _problem(
                    "unseen_categories",
                    f"{name!r} has {len(unseen)} categor{'y' if len(unseen) == 1 else 'ies'} "
                    f"not seen in the reference ({rows} rows): {', '.join(unseen[:10])}",
                    name,
                    values=unseen[:50],
                    rows=rows,
                )
            )
        binary = len(ref_counts) == 2 and set(cur_counts) <= set(ref_counts)
        chosen = _choose(kind, method, ref.rows, binary)
        if chosen == "ztest" and len(ref_counts) != 2:
            chosen = "chi2"
        statistic, p_value = _categorical(
            name, ref_counts, cur_counts, chosen, ref_total, cur_total
        )
        hist = _category_histogram(ref_counts, cur_counts)
    limit = _threshold_for(name, chosen, threshold)
    if chosen in P_VALUE_METHODS:
        drifted = p_value is not None and p_value < limit
    else:
        drifted = statistic is not None and statistic >= limit
    if chosen == "psi" and statistic is not None:
        band = _psi_band(statistic)
    return (
        ColumnDrift(
            column=name,
            kind=kind,
            method=chosen,
            statistic=statistic,
            p_value=p_value,
            threshold=limit,
            drifted=bool(drifted),
            reference_rows=ref_n,
            current_rows=cur_n,
            error=error,
            band=band,
            histogram=hist,
            stats=stats_out,
        ),
        problems,
    )
