"""Model cards: Markdown generated from a version's lineage — intended use, the data it was
trained on (with content fingerprints), params, metrics, environment and limitations.

The generated card is a starting point: the registrant can pass their own sections (or a whole
card) to ``register_model(card=...)``, and anyone can replace it later with ``update_card``.
Limitations are derived from facts the lineage shows (unrecorded data, uncommitted code, no
signature, pickle format), not boilerplate.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from mlops_jupyter.registry.signature import Signature

INTENDED_USE_PLACEHOLDER = (
    "_Not stated yet._ Say who should use this model, for which decisions, and where it must not "
    "be used — edit this card with `mj.update_card(name, version, markdown)`."
)
KEY_PACKAGES = ("scikit-learn", "numpy", "pandas", "scipy", "skops")


@dataclass
class CardFacts:
    """What the lineage says about a version, as the card needs it."""

    name: str
    version: int
    model_class: str | None
    format: str
    registered_by: str
    registered_at: float
    run: Mapping[str, Any]
    description: str | None = None
    environment: Mapping[str, Any] | None = None
    datasets: list[dict[str, Any]] = field(default_factory=list)
    params: Mapping[str, Any] = field(default_factory=dict)
    metrics: Mapping[str, Any] = field(default_factory=dict)
    signature: Signature | None = None


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return text.replace("|", "\\|").replace("\n", " ")


def _table(headers: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(_cell(value) for value in row) + " |" for row in rows]
    return "\n".join(lines)


def _number(value: Any) -> str:
    return f"{value:.6g}" if isinstance(value, float) else str(value)


def _data_section(datasets: list[dict[str, Any]]) -> str:
    if not datasets:
        return "No training data was recorded for the source run."
    rows = [
        [
            d.get("role", "input"),
            d.get("name") or "",
            d.get("uri") or "",
            f"`{(d.get('fingerprint') or '')[:16]}`",
            f"{d.get('rows')} × {d.get('columns')}" if d.get("rows") is not None else "",
        ]
        for d in datasets
    ]
    return _table(["role", "name", "uri", "fingerprint", "rows × columns"], rows)


def _inputs_section(signature: Signature) -> str:
    unknown = (
        ""
        if signature.types_known
        else "\n\nThe input types are unknown: no training data was seen at registration."
    )
    if not signature.columns:
        return f"A 2-D array of {signature}.{unknown}"
    rows = [[c.name, c.dtype or "unknown"] for c in signature.columns]
    return _table(["column", "dtype"], rows) + unknown


def _lineage_section(facts: CardFacts) -> str:
    run, env = facts.run, facts.environment or {}
    lines = [
        f"- Source run: `{run.get('run_id')}` ({run.get('name') or 'unnamed'}, experiment {run.get('experiment')})",
    ]
    if run.get("notebook_path"):
        cell = f", cell `{run['cell_id']}`" if run.get("cell_id") else ""
        count = f", execution {run['execution_count']}" if run.get("execution_count") else ""
        lines.append(f"- Notebook: `{run['notebook_path']}`{cell}{count}")
    if run.get("code_hash"):
        lines.append(f"- Code hash: `{run['code_hash'][:16]}`")
    if env.get("git_commit"):
        dirty = " (uncommitted changes)" if env.get("git_dirty_hash") else ""
        lines.append(f"- Git commit: `{env['git_commit'][:12]}`{dirty}")
    if env.get("python"):
        packages = env.get("packages") or {}
        pinned = ", ".join(f"{p} {packages[p]}" for p in KEY_PACKAGES if p in packages)
        lines.append(f"- Environment: Python {env['python']}" + (f"; {pinned}" if pinned else ""))
    return "\n".join(lines)


def derived_limitations(facts: CardFacts) -> list[str]:
    """Limitations the lineage itself reveals."""
    found = []
    inputs = [d for d in facts.datasets if d.get("role", "input") == "input"]
    if not inputs:
        found.append(
            "The training data was not recorded, so this version cannot be traced to its data."
        )
    for dataset in inputs:
        rows = f"{dataset['rows']} rows of " if dataset.get("rows") is not None else ""
        found.append(
            f"Trained on {rows}`{dataset.get('name') or dataset.get('uri')}`; behaviour on data unlike it "
            "(other ranges, categories or populations) was not measured."
        )
        if str(dataset.get("uri", "")).startswith("memory://"):
            found.append(
                f"`{dataset.get('name') or dataset['uri']}` was an in-memory object: its fingerprint identifies "
                "it, but the data itself is not stored with the run."
            )
    if (facts.environment or {}).get("git_dirty_hash"):
        found.append(
            "The training code had uncommitted changes; the git commit alone does not reproduce it."
        )
    if facts.signature is None:
        found.append("No input signature was recorded, so `predict` cannot check its inputs.")
    elif not facts.signature.types_known:
        found.append(
            "The input types are unknown (no training data was seen at registration): `predict` "
            "checks column names and counts, and names a column whose values the model cannot use."
        )
    if facts.format == "pickle":
        found.append(
            "Saved with pickle: load it only through this registry (which checks its hash)."
        )
    if facts.metrics:
        found.append(
            "Metrics are those the training run logged; they were not re-measured on later data."
        )
    return found


def generate_card(facts: CardFacts, sections: Mapping[str, Any] | None = None) -> str:
    """The Markdown card; ``sections`` may supply ``intended_use``, ``limitations`` (text or a
    list) and any other titled sections to append."""
    sections = dict(sections or {})
    intended = sections.pop("intended_use", None) or facts.description or INTENDED_USE_PLACEHOLDER
    stated = sections.pop("limitations", None) or []
    limitations = ([stated] if isinstance(stated, str) else list(stated)) + derived_limitations(
        facts
    )
    registered = datetime.fromtimestamp(facts.registered_at, timezone.utc).strftime(
        "%Y-%m-%d %H:%M UTC"
    )
    parts = [
        f"# Model card: {facts.name} v{facts.version}",
        f"`{facts.model_class or 'unknown class'}` · {facts.format} · registered by {facts.registered_by} on {registered}",
        "## Intended use\n\n" + str(intended),
        "## Data\n\n" + _data_section(facts.datasets),
    ]
    if facts.signature is not None:
        parts.append("## Inputs\n\n" + _inputs_section(facts.signature))
    if facts.params:
        parts.append(
            "## Parameters\n\n"
            + _table(["param", "value"], [[k, v] for k, v in sorted(facts.params.items())])
        )
    if facts.metrics:
        rows = [[k, _number(v)] for k, v in sorted(facts.metrics.items())]
        parts.append("## Metrics\n\n" + _table(["metric", "value"], rows))
    parts.append("## Limitations\n\n" + "\n".join(f"- {item}" for item in limitations))
    parts.append("## Lineage\n\n" + _lineage_section(facts))
    for title, text in sections.items():
        parts.append(f"## {str(title).replace('_', ' ').capitalize()}\n\n{text}")
    return "\n\n".join(parts) + "\n"
