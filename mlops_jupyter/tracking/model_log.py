"""A run's logged model: the names under which a run keeps its candidate model, and the function
that logs one. The registry reads exactly these names to find "the run's logged model".

- artifact ``model/model.skops``: the model saved with skops (never pickle);
- tag ``mlops.model_class``: its public class path, e.g. ``sklearn.ensemble.RandomForestClassifier``;
- tag ``mlops.model_artifact``: the artifact name above;
- tag ``mlops.model_input_dataset``: the dataset id of the X it was fitted on (for the signature
  and lineage), when known.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mlops_jupyter.tracking.run import Run

MODEL_ARTIFACT = "model/model.skops"
TAG_MODEL_CLASS = "mlops.model_class"
TAG_MODEL_ARTIFACT = "mlops.model_artifact"
TAG_MODEL_INPUT_DATASET = "mlops.model_input_dataset"
TAG_ESTIMATORS = "mlops.autolog.estimators"  # every estimator class autolog saw fitted in the run


def log_model(run: Run, model: Any, *, input_dataset_id: str | None = None) -> str:
    """Save ``model`` with skops as the run's model artifact and tag it; returns the artifact name."""
    from mlops_jupyter.tracking.autolog import model_class_name

    name = run.log_artifact(model, MODEL_ARTIFACT)
    run.set_tag(TAG_MODEL_CLASS, model_class_name(model))
    run.set_tag(TAG_MODEL_ARTIFACT, name)
    if input_dataset_id:
        run.set_tag(TAG_MODEL_INPUT_DATASET, input_dataset_id)
    return name
