"""Registering a model: from a run's logged model, a ``Run``, or a fitted estimator (logged into
the active run first) to a new immutable version with its hash, trusted types, signature, input
example, model card, metrics and params snapshot and training-data lineage.
"""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mlops_jupyter.registry.card import CardFacts, generate_card
from mlops_jupyter.registry.errors import RegistryError
from mlops_jupyter.registry.models import resolve_actor
from mlops_jupyter.registry.names import check_model_name, version_target
from mlops_jupyter.registry.policy import Policy
from mlops_jupyter.registry.serialization import (
    PICKLE,
    SKOPS,
    ModelFile,
    check_format,
    check_trusted,
    deserialize,
    format_of_file,
    inspect_file,
    serialize,
)
from mlops_jupyter.registry.signature import Signature
from mlops_jupyter.registry.versions import ModelVersion, finite_or_none, load_version
from mlops_jupyter.store import Store, get_store
from mlops_jupyter.store.ids import new_id, now
from mlops_jupyter.tracking import context
from mlops_jupyter.tracking.artifacts import store_artifact
from mlops_jupyter.tracking.capture import training_data
from mlops_jupyter.tracking.model_log import (
    INPUT_EXAMPLE_ARTIFACT,
    MODEL_ARTIFACT,
    TAG_MODEL_ARTIFACT,
    TAG_MODEL_CLASS,
    TAG_MODEL_INPUT_DATASET,
    example_json,
    model_class_name,
)
from mlops_jupyter.tracking.profile import find_training_profile
from mlops_jupyter.tracking.query import RunView, get_run
from mlops_jupyter.tracking.run import Run

if TYPE_CHECKING:
    from mlops_jupyter.store.registry import RegistryTransaction
    from mlops_jupyter.tracking.query import RunView

_MODEL_SUFFIXES = (".skops", ".pkl", ".pickle", ".joblib")


@dataclass(frozen=True)
class ModelSource:
    """The model being registered: the run it belongs to, its stored file and the live object."""

    run_id: str
    artifact_name: str
    digest: str
    file: ModelFile
    model: Any


def _flavor(model: Any) -> str:
    if not callable(getattr(model, "predict", None)):
        raise RegistryError(
            f"a {type(model).__name__} has no predict method; only predictive models can be registered"
        )
    return (
        "sklearn"
        if type(model).__module__.startswith("sklearn") or hasattr(model, "get_params")
        else "python"
    )


# -- where the model comes from ------------------------------------------------------------------
def _log_estimator(
    store: Store, model: Any, format: str, trusted: Iterable[Any] | None
) -> ModelSource:
    """Save a fitted estimator into the active run (the session run when none is active)."""
    _flavor(model)
    file = serialize(model, format)
    if file.format == SKOPS:  # its later loads must pass the same check
        check_trusted(file.data, trusted)
    run = context.current_run()
    name = store_artifact(store, run.run_id, file.data, f"model/{file.file_name}")
    run.set_tags({TAG_MODEL_CLASS: model_class_name(model), TAG_MODEL_ARTIFACT: name})
    seen = training_data(model)  # what capture saw it fitted on (types the signature)
    if seen is not None and seen.X is not None and seen.X.dataset_id is not None:
        run.set_tag(TAG_MODEL_INPUT_DATASET, seen.X.dataset_id)
    if seen is not None and seen.input_example:
        store_artifact(store, run.run_id, seen.input_example.encode(), INPUT_EXAMPLE_ARTIFACT)
    run.flush()
    digest = next(a["digest"] for a in store.runs.list_artifacts(run.run_id) if a["name"] == name)
    return ModelSource(run.run_id, name, digest, file, model)


def _model_artifact(run: RunView) -> dict[str, Any]:
    """The run's logged model file: the one its tag names, else the only model-like artifact."""
    artifacts = {a["name"]: a for a in run.artifacts}
    tagged = run.tags.get(TAG_MODEL_ARTIFACT)
    if tagged in artifacts:
        return artifacts[tagged]
    if MODEL_ARTIFACT in artifacts:
        return artifacts[MODEL_ARTIFACT]
    candidates = [name for name in artifacts if name.lower().endswith(_MODEL_SUFFIXES)]
    if len(candidates) == 1:
        return artifacts[candidates[0]]
    if not candidates:
        raise RegistryError(
            f"run {run.run_id} has no logged model: fit one in a %%track cell, log it with "
            "mj.log_artifact(model), or pass the fitted estimator to register_model"
        )
    raise RegistryError(
        f"run {run.run_id} has several model files ({', '.join(sorted(candidates))}); "
        f"tag the one to register with mj.set_tag({TAG_MODEL_ARTIFACT!r}, NAME)"
    )


def _logged_model(
    store: Store, run: RunView, format: str | None, trusted: Iterable[Any] | None
) -> ModelSource:
    record = _model_artifact(run)
    data = store.blobs.get_bytes(record["digest"])
    if format_of_file(record["name"]) == PICKLE and format != PICKLE:
        raise RegistryError(
            f"run {run.run_id} logged its model as a pickle ({record['name']}); loading a pickle can run "
            "arbitrary code. Register it with format='pickle' to accept that, or log the model with skops."
        )
    file = inspect_file(data, record["name"], trusted)  # refuses untrusted types, builds nothing
    model = deserialize(file.data, file.format, trusted, record["name"])
    _flavor(model)
    return ModelSource(run.run_id, record["name"], record["digest"], file, model)


def _resolve_source(
    store: Store, run_or_model: Any, format: str | None, trusted: Iterable[Any] | None
) -> tuple[ModelSource, RunView]:
    if isinstance(run_or_model, Run):
        run_or_model.flush()  # the metrics snapshot must include what is still buffered
        run_or_model = run_or_model.run_id
    if isinstance(run_or_model, RunView):
        run_or_model = run_or_model.run_id
    if isinstance(run_or_model, (str, os.PathLike)):
        run = get_run(str(run_or_model), store=store)
        return _logged_model(store, run, format, trusted), run
    source = _log_estimator(store, run_or_model, format or SKOPS, trusted)
    return source, get_run(source.run_id, store=store)


# -- what the lineage says about it --------------------------------------------------------------
def _training_datasets(store: Store, run: RunView) -> list[dict[str, Any]]:
    """The run's input datasets, plus the one the model was fitted on if it was read elsewhere."""
    keys = ("name", "uri", "fingerprint", "format", "rows", "columns", "schema")
    fitted_on = run.tags.get(TAG_MODEL_INPUT_DATASET)
    datasets = [
        {
            "dataset_id": d["node_id"],
            "role": "input",
            **{k: d.get(k) for k in keys},
            "fitted_on": d["node_id"] == fitted_on,
        }
        for d in run.inputs
        if d["node_type"] == "dataset"
    ]
    if fitted_on and not any(d["fitted_on"] for d in datasets):
        found = store.lineage.datasets_by_id([fitted_on]).get(fitted_on)
        if found is not None:
            datasets.append(
                {
                    "dataset_id": fitted_on,
                    "role": "input",
                    **{k: found.get(k) for k in keys},
                    "fitted_on": True,
                }
            )
    return datasets


def _signature_from_lineage(model: Any, datasets: list[dict[str, Any]]) -> Signature | None:
    names = [str(n) for n in getattr(model, "feature_names_in_", [])]
    fitted = [d for d in datasets if d.get("fitted_on") and d.get("schema")]
    for dataset in fitted:
        schema = dataset["schema"]
        if names:
            return Signature.from_names(names, schema)
        if list(schema) == ["value"] and dataset.get(
            "columns"
        ):  # an array: one dtype for all columns
            return Signature(n_features=int(dataset["columns"]), dtype=schema["value"])
        return Signature.from_schema(schema)
    if names:
        containing = [
            d["schema"] for d in datasets if d.get("schema") and set(names) <= set(d["schema"])
        ]
        return Signature.from_names(names, containing[0] if containing else None)
    width = getattr(model, "n_features_in_", None)
    return Signature(n_features=int(width)) if width is not None else None


def _signature(
    explicit: Any,
    example: Any,
    model: Any,
    datasets: list[dict[str, Any]],
    logged_example: str | None = None,
) -> Signature | None:
    if explicit is not None:
        return Signature.coerce(explicit)
    if example is not None:
        return Signature.from_data(example)
    found = _signature_from_lineage(model, datasets)
    if found is None or not found.types_known:
        from_example = Signature.from_example_json(logged_example)
        if from_example is not None and (found is None or _same_layout(found, from_example)):
            return from_example
    return found


def _same_layout(known: Signature, typed: Signature) -> bool:
    if known.columns:
        return known.names == typed.names
    return known.n_features in (None, typed.n_features)


def _logged_example(store: Store, run: RunView) -> str | None:
    """The input example the run logged next to its model, if any."""
    record = next((a for a in run.artifacts if a["name"] == INPUT_EXAMPLE_ARTIFACT), None)
    if record is None:
        return None
    try:
        example = json.loads(store.blobs.get_bytes(record["digest"]))
    except ValueError:
        return None  # not JSON: not an example we can keep
    return json.dumps(example) if isinstance(example, dict) and "data" in example else None


# -- the registration ----------------------------------------------------------------------------
def register_model(
    run_or_model: Any,
    name: str,
    *,
    signature: Any = None,
    input_example: Any = None,
    card: str | Mapping[str, Any] | None = None,
    format: str | None = None,
    description: str | None = None,
    trusted: Iterable[Any] | None = None,
    actor: str | None = None,
    store: Store | None = None,
) -> ModelVersion:
    """Register a new version of ``name`` from a run id, a Run/RunView, or a fitted estimator.

    ``signature``: a Signature, ``{column: dtype}`` or training data (default: inferred from the
    data the model was fitted on). ``card``: Markdown to use as the card, or sections
    (``intended_use``, ``limitations``, ...) to add to the generated one. ``format``: ``"skops"``
    (default) or ``"pickle"`` (warns; needed to register a run's pickled model). ``trusted``:
    type names a skops file may hold beyond skops' defaults and the scikit-learn allowlist
    (never taken from the file); any other type is refused before anything is built.
    """
    check_model_name(name)
    if format is not None:
        check_format(format)
    store = store or get_store()
    actor = resolve_actor(actor, store)
    source, run = _resolve_source(store, run_or_model, format, trusted)
    datasets = _training_datasets(store, run)
    logged_example = _logged_example(store, run)
    sig = _signature(signature, input_example, source.model, datasets, logged_example)
    if sig is None or not sig.types_known:
        warnings.warn(
            f"registering {name}: the input types are unknown (no training data was seen: fit "
            "the model inside a tracked run, or pass signature= or input_example=)",
            UserWarning,
            stacklevel=2,
        )
    example = example_json(input_example) or logged_example
    metrics, params = finite_or_none(run.metrics), run.params
    reference, reference_note = find_training_profile(datasets)
    reference_text = reference.to_json() if reference is not None else None

    def work(tx: RegistryTransaction) -> ModelVersion:
        at = now()
        created = tx.create_model(name, actor, Policy().to_json(), description, at)
        tx.model(name, lock=True)  # one registration of this model at a time: numbers stay dense
        number = tx.next_version(name)
        facts = CardFacts(
            name=name,
            version=number,
            model_class=model_class_name(source.model),
            format=source.file.format,
            registered_by=actor,
            registered_at=at,
            run={
                "run_id": run.run_id,
                "name": run.name,
                "experiment": run.experiment,
                **run.source,
            },
            description=description,
            environment=run.environment,
            datasets=datasets,
            params=params,
            metrics=metrics,
            signature=sig,
        )
        card_text = card if isinstance(card, str) else generate_card(facts, card)
        if not isinstance(card, str):
            card_text = f"{card_text.rstrip()}\n\n## Monitoring reference\n\n{reference_note}\n"
        row = {
            "name": name,
            "version": number,
            "version_id": new_id(),
            "run_id": run.run_id,
            "artifact_name": source.artifact_name,
            "artifact_digest": source.digest,
            "artifact_size": len(source.file.data),
            "flavor": _flavor(source.model),
            "format": source.file.format,
            "model_class": model_class_name(source.model),
            "trusted_types": json.dumps(list(source.file.trusted_types)),
            "signature": json.dumps(sig.to_dict()) if sig is not None else None,
            "input_example": example,
            "card": card_text,
            "metrics": json.dumps(metrics),
            "params": json.dumps(params, default=str),
            "datasets": json.dumps(datasets, default=str),
            "reference_profile": reference_text,
            "description": description,
            "status": "registered",
            "approval_round": 0,
            "registered_by": actor,
            "registered_at": at,
        }
        tx.insert_version(row)
        tx.update_model(name, updated_at=at)
        tx.append_audit(
            actor=actor,
            action="register",
            model=name,
            target=version_target(name, number),
            payload={
                "version": number,
                "version_id": row["version_id"],
                "run_id": run.run_id,
                "artifact_sha256": source.digest,
                "format": source.file.format,
                "trusted_types": list(source.file.trusted_types),
                "model_created": created,
            },
            at=at,
        )
        return load_version(tx, name, number)

    version = store.registry.write(work)
    store.lineage.add_edges(
        [
            {
                "run_id": run.run_id,
                "node_type": "model_version",
                "node_id": version.version_id,
                "role": "output",
                "name": version.uri,
            }
        ]
    )
    return version
