"""MLflow interop: re-create this store's runs and registered models in an MLflow tracking
server through MLflow's own client, so MLflow's tools (``search_runs``, ``pyfunc.load_model``,
its UI) read them.

Runs keep their experiment, name, params, full metric history, tags, times, status and parent;
each carries the tag ``mlops_jupyter.run_id``, which also makes a second export skip what the
first one wrote. Each model version is re-saved as an MLflow sklearn model (skops, with the
trusted types the registry recorded; the file is hash-checked on the way out) inside its
source run, registered, tagged with ``mlops_jupyter.version``, and the aliases are set.
MLflow is an optional extra: ``pip install 'mlops-jupyter[mlflow]'``.
"""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from mlops_jupyter.registry.errors import RegistryError
from mlops_jupyter.registry.export import requirements_text
from mlops_jupyter.registry.loaded import load_model, read_model_bytes
from mlops_jupyter.registry.models import get_model, list_models
from mlops_jupyter.registry.serialization import SKOPS, check_trusted
from mlops_jupyter.registry.versions import list_versions
from mlops_jupyter.store import Store, get_store
from mlops_jupyter.tracking.query import get_run, search

if TYPE_CHECKING:
    from mlops_jupyter.registry.signature import Signature
    from mlops_jupyter.registry.versions import ModelVersion
    from mlops_jupyter.tracking.query import RunView

RUN_TAG = "mlops_jupyter.run_id"
VERSION_TAG = "mlops_jupyter.version"
_STATUS = {"finished": "FINISHED", "failed": "FAILED", "killed": "KILLED"}
_MLFLOW_TYPES = {
    "float64": "double",
    "float32": "float",
    "int64": "long",
    "int32": "integer",
    "int16": "integer",
    "int8": "integer",
    "bool": "boolean",
    "object": "string",
    "str": "string",
    "string": "string",
}
_BAD_KEY_CHARS = re.compile(r"[^\w\-. /]")
PARAMS_PER_BATCH, METRICS_PER_BATCH = 100, 1000


@dataclass
class MlflowExport:
    """What an export created and what it found already there."""

    tracking_uri: str
    runs_created: int = 0
    runs_existing: int = 0
    versions_created: list[str] = field(default_factory=list)
    versions_existing: list[str] = field(default_factory=list)
    aliases: dict[str, int] = field(default_factory=dict)  # "name@alias" -> MLflow version

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def mlflow_store_in(directory: str | Path) -> tuple[str, str]:
    """A self-contained MLflow store in ``directory``: (tracking URI, artifact root).

    MLflow 3 refuses new writes to its file-system backend, so a directory holds a SQLite
    tracking database (``mlflow.db``) and an ``artifacts/`` folder; open it with
    ``mlflow ui --backend-store-uri sqlite:///DIR/mlflow.db``.
    """
    folder = Path(directory).expanduser().resolve()
    return f"sqlite:///{folder / 'mlflow.db'}", str(folder / "artifacts")


def _client(tracking_uri: str) -> Any:
    try:
        from mlflow import MlflowClient  # noqa: PLC0415 - start-up: mlflow is imported on first use
    except ImportError:
        raise RegistryError(
            "MLflow export needs the mlflow package: pip install 'mlops-jupyter[mlflow]'"
        ) from None
    return MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)


def _key(name: str) -> str:
    return _BAD_KEY_CHARS.sub("_", name)


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# -- runs --------------------------------------------------------------------------------------
class RunExporter:
    """Creates MLflow runs for store runs, once each, remembering the id mapping."""

    def __init__(
        self, client: Any, store: Store, report: MlflowExport, artifact_root: str | None
    ) -> None:
        self.client = client
        self.store = store
        self.report = report
        self.artifact_root = artifact_root
        self.mapping: dict[str, str] = {}  # our run id -> MLflow run id
        self._seen: set[str] = set()  # runs this export has counted (created or found)
        self._experiments: dict[str, str] = {}

    def _experiment_id(self, name: str) -> str:
        if name not in self._experiments:
            found = self.client.get_experiment_by_name(name)
            experiment_id = (
                found.experiment_id if found is not None else self._create_experiment(name)
            )
            self._experiments[name] = experiment_id
            for existing in self._existing_runs(experiment_id):
                self.mapping[existing.data.tags[RUN_TAG]] = existing.info.run_id
        return self._experiments[name]

    def _create_experiment(self, name: str) -> str:
        location = f"{self.artifact_root.rstrip('/')}/{_key(name)}" if self.artifact_root else None
        return str(self.client.create_experiment(name, artifact_location=location))

    def _existing_runs(self, experiment_id: str) -> Iterator[Any]:
        token = None
        while True:
            page = self.client.search_runs(
                [experiment_id],
                filter_string=f"tags.`{RUN_TAG}` != ''",
                max_results=1000,
                page_token=token,
            )
            yield from page
            token = page.token
            if not token:
                return

    def export(self, run: RunView) -> str:
        experiment_id = self._experiment_id(run.experiment)
        if run.run_id in self.mapping:
            if run.run_id not in self._seen:
                self._seen.add(run.run_id)  # count each pre-existing run once
                self.report.runs_existing += 1
            return self.mapping[run.run_id]
        if run.parent_run_id and run.parent_run_id not in self.mapping:
            self.export(get_run(run.parent_run_id, store=self.store))
        created = self.client.create_run(
            experiment_id,
            start_time=int(run.start_time * 1000),
            tags=self._tags(run),
            run_name=run.name or run.run_id,
        )
        mlflow_id = created.info.run_id
        self._log_values(mlflow_id, run)
        if run.status in _STATUS:
            end = int((run.end_time or run.start_time) * 1000)
            self.client.set_terminated(mlflow_id, _STATUS[run.status], end_time=end)
        self.mapping[run.run_id] = mlflow_id
        self._seen.add(run.run_id)
        self.report.runs_created += 1
        return mlflow_id

    def _tags(self, run: RunView) -> dict[str, str]:
        tags = {_key(k): str(v) for k, v in run.tags.items()}
        tags[RUN_TAG] = run.run_id
        tags["mlops_jupyter.kind"] = run.kind
        if run.user:
            tags["mlflow.user"] = run.user
        if run.source.get("notebook_path"):
            tags["mlflow.source.name"] = str(run.source["notebook_path"])
        if run.parent_run_id in self.mapping:
            tags["mlflow.parentRunId"] = self.mapping[run.parent_run_id]
        return tags

    def _log_values(self, mlflow_id: str, run: RunView) -> None:
        from mlflow.entities import Metric, Param  # noqa: PLC0415 - start-up: mlflow is imported on first use

        params = [
            Param(_key(k), v if isinstance(v, str) else json.dumps(v, default=str))
            for k, v in run.params.items()
        ]
        for chunk in _chunks(params, PARAMS_PER_BATCH):
            self.client.log_batch(mlflow_id, params=list(chunk))
        metrics = [
            Metric(_key(key), float(value), int(stamp * 1000), int(step))
            for key, arrays in self.store.runs.metric_history(run.run_id).items()
            for step, value, stamp in zip(
                arrays["step"], arrays["value"], arrays["timestamp"], strict=True
            )
        ]
        for chunk in _chunks(metrics, METRICS_PER_BATCH):
            self.client.log_batch(mlflow_id, metrics=list(chunk))


# -- models ------------------------------------------------------------------------------------
def mlflow_signature(signature: Signature | None) -> Any:
    """Our signature as MLflow's (None when a column's dtype has no MLflow type)."""
    if signature is None:
        return None
    from mlflow.models import ModelSignature  # noqa: PLC0415 - start-up: mlflow is imported on first use
    from mlflow.types import ColSpec, Schema, TensorSpec  # noqa: PLC0415 - start-up: mlflow is imported on first use

    if not signature.columns:
        if signature.dtype is None or signature.n_features is None:
            return None
        return ModelSignature(
            inputs=Schema([TensorSpec(np.dtype(signature.dtype), (-1, signature.n_features))])
        )
    specs: list[Any] = []
    for column in signature.columns:
        mlflow_type = _MLFLOW_TYPES.get(str(column.dtype))
        if mlflow_type is None:
            return None
        specs.append(ColSpec(mlflow_type, column.name))
    return ModelSignature(inputs=Schema(specs))


def _pip_requirements(version: ModelVersion) -> list[str]:
    text = requirements_text({}, version.format)
    return [line for line in text.splitlines() if line and not line.startswith("#")]


def _export_version(
    client: Any,
    version: ModelVersion,
    mlflow_run_id: str,
    store: Store,
    trusted: Iterable[Any] | None,
) -> Any:
    import mlflow.sklearn  # noqa: PLC0415 - start-up: mlflow is imported on first use

    loaded = load_model(version.uri, trusted=trusted, store=store)  # hash- and type-checked
    serialization = "skops" if version.format == "skops" else "pickle"
    artifact_path = f"registry/{version.name}/v{version.version}"
    with tempfile.TemporaryDirectory() as folder:
        local = Path(folder) / "model"
        mlflow.sklearn.save_model(
            loaded.model,
            str(local),
            serialization_format=serialization,
            skops_trusted_types=list(version.trusted_types) if serialization == "skops" else None,
            signature=mlflow_signature(version.signature),
            pip_requirements=_pip_requirements(version),
        )
        client.log_artifacts(mlflow_run_id, str(local), artifact_path)
    return client.create_model_version(
        version.name,
        source=f"runs:/{mlflow_run_id}/{artifact_path}",
        run_id=mlflow_run_id,
        tags={
            VERSION_TAG: str(version.version),
            "mlops_jupyter.status": version.status,
            "mlops_jupyter.sha256": version.artifact_digest,
        },
        description=version.description,
    )


def _export_model(
    client: Any,
    name: str,
    runs: RunExporter,
    store: Store,
    report: MlflowExport,
    trusted: Iterable[Any] | None,
) -> None:
    model = get_model(name, store=store)
    if client.search_registered_models(filter_string=f"name = '{name}'"):
        existing = {
            mv.tags.get(VERSION_TAG): mv.version
            for mv in client.search_model_versions(f"name = '{name}'")
        }
    else:
        client.create_registered_model(
            name, description=model.description, tags={"mlops_jupyter.owner": model.owner}
        )
        existing = {}
    numbers: dict[int, str] = {}
    for version in list_versions(name, store=store):
        label = f"{name}/{version.version}"
        if str(version.version) in existing:
            numbers[version.version] = existing[str(version.version)]
            report.versions_existing.append(label)
            continue
        mlflow_run_id = runs.export(get_run(version.run_id, store=store))
        numbers[version.version] = _export_version(
            client, version, mlflow_run_id, store, trusted
        ).version
        report.versions_created.append(label)
    for alias, version_number in model.aliases.items():
        client.set_registered_model_alias(name, alias, numbers[version_number])
        report.aliases[f"{name}@{alias}"] = int(numbers[version_number])


def export_to_mlflow(
    tracking_uri: str | None = None,
    *,
    directory: str | Path | None = None,
    models: Iterable[str] | None = None,
    experiments: Iterable[str] | None = None,
    artifact_root: str | None = None,
    trusted: Iterable[Any] | None = None,
    store: Store | None = None,
) -> MlflowExport:
    """Re-create runs (all, or those of ``experiments``) and registered models (all, or
    ``models``) in MLflow: the tracking server at ``tracking_uri``, or a new self-contained
    store in ``directory`` (see :func:`mlflow_store_in`). ``artifact_root``: where new MLflow
    experiments keep artifacts (default: MLflow's own, or ``directory/artifacts``). ``trusted``:
    types the model files may hold beyond skops' defaults and the scikit-learn allowlist; every
    file is checked before anything is written to MLflow."""
    if (tracking_uri is None) == (directory is None):
        raise RegistryError("give either a tracking URI or a directory to export to")
    store = store or get_store()
    names = list(models) if models is not None else [m.name for m in list_models(store=store)]
    for name in names:
        get_model(name, store=store)  # unknown names fail before anything is written
    check_exportable(names, trusted=trusted, store=store)  # so do untrusted model files
    if directory is not None:
        tracking_uri, default_root = mlflow_store_in(directory)
        artifact_root = artifact_root or default_root
        Path(directory).expanduser().mkdir(parents=True, exist_ok=True)
    assert tracking_uri is not None
    client = _client(tracking_uri)
    report = MlflowExport(tracking_uri)
    runs = RunExporter(client, store, report, artifact_root)
    wanted = list(experiments) if experiments is not None else [None]
    for experiment in wanted:
        rows, _ = search(experiment=experiment, order_by="start_time", store=store)
        for row in rows:
            runs.export(get_run(row["run_id"], store=store))
    for name in names:
        _export_model(client, name, runs, store, report, trusted)
    return report


def check_exportable(
    names: Iterable[str] | None = None,
    *,
    trusted: Iterable[Any] | None = None,
    store: Store | None = None,
) -> None:
    """Refuse (before MLflow is touched) when a version's file fails its hash or needs a type
    that is not trusted; reads each file's schema only, builds nothing."""
    store = store or get_store()
    names = list(names) if names is not None else [m.name for m in list_models(store=store)]
    for name in names:
        for version in list_versions(name, store=store):
            if version.format != SKOPS:
                continue
            record = {
                "name": version.name,
                "version": version.version,
                "artifact_digest": version.artifact_digest,
            }
            check_trusted(read_model_bytes(store, record), trusted)
