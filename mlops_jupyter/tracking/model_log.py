"""A run's logged model: the names under which a run keeps its candidate model, and the function
that logs one. The registry reads exactly these names to find "the run's logged model".

- artifact ``model/model.skops``: the model saved with skops (never pickle);
- tag ``mlops.model_class``: its public class path, e.g. ``sklearn.ensemble.RandomForestClassifier``;
- tag ``mlops.model_artifact``: the artifact name above;
- tag ``mlops.model_input_dataset``: the dataset id of the X it was fitted on (for the signature
  and lineage), when known;
- artifact ``model/input_example.json``: the first rows of that X (``{"columns", "data", "dtypes"}``
  as :func:`example_json` writes), when known; registering from the run keeps it with the version.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from mlops_jupyter.tracking.run import Run

MODEL_ARTIFACT = "model/model.skops"
TAG_MODEL_CLASS = "mlops.model_class"
TAG_MODEL_ARTIFACT = "mlops.model_artifact"
TAG_MODEL_INPUT_DATASET = "mlops.model_input_dataset"
TAG_ESTIMATORS = "mlops.autolog.estimators"  # every estimator class autolog saw fitted in the run
INPUT_EXAMPLE_ARTIFACT = "model/input_example.json"
EXAMPLE_ROWS = 5


def model_class_name(model: Any) -> str:
    """``sklearn.ensemble.RandomForestClassifier``: the public import path when there is one.

    Only modules already imported are consulted (naming a model never imports anything); a
    class defined in the notebook is ``__main__.MySVC``, one from a local module or another
    package keeps its own module path.
    """
    cls = type(model)
    module = str(getattr(cls, "__module__", None) or "")
    public = ".".join(part for part in module.split(".") if not part.startswith("_"))
    if public and public != module:
        found = sys.modules.get(public)
        if found is not None and getattr(found, cls.__name__, None) is cls:
            return f"{public}.{cls.__qualname__}"
    return f"{module}.{cls.__qualname__}" if module else cls.__qualname__


def log_model(
    run: Run, model: Any, *, input_dataset_id: str | None = None, input_example: str | None = None
) -> str:
    """Save ``model`` with skops as the run's model artifact and tag it; returns the artifact name.

    ``input_example`` is JSON from :func:`example_json`."""
    name = run.log_artifact(model, MODEL_ARTIFACT)
    run.set_tag(TAG_MODEL_CLASS, model_class_name(model))
    run.set_tag(TAG_MODEL_ARTIFACT, name)
    if input_dataset_id:
        run.set_tag(TAG_MODEL_INPUT_DATASET, input_dataset_id)
    if input_example:
        run.log_artifact(input_example.encode(), INPUT_EXAMPLE_ARTIFACT)
    return name


def example_json(example: Any) -> str | None:
    """The first rows of an input example as JSON: ``{"columns", "data", "dtypes"}``."""
    if example is None:
        return None
    import pandas as pd  # noqa: PLC0415 - start-up: pandas on first use

    if isinstance(example, Mapping):
        example = pd.DataFrame(example)
    if isinstance(example, pd.DataFrame):
        head = example.head(EXAMPLE_ROWS)
        data = json.loads(head.to_json(orient="split", index=False, date_format="iso"))
        data["columns"] = [str(c) for c in data["columns"]]
        data["dtypes"] = {str(k): str(v) for k, v in head.dtypes.items()}
        return json.dumps(data)
    array = np.asarray(example)[:EXAMPLE_ROWS]
    return json.dumps({"data": array.tolist(), "dtype": str(array.dtype)})
