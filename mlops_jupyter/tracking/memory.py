"""In-memory data as lineage: the DataFrames, Series and ndarrays a cell reads and writes,
identified by variable name (``memory://NAME``) and content fingerprint.

Cell A writes ``df`` with fingerprint F and cell B reads ``df`` with fingerprint F: both link the
same dataset version, which is the edge A → B in the lineage graph. Objects we cannot
fingerprint, or bigger than the configured limit, are skipped with a debug message.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable, Mapping
from typing import Any

from mlops_jupyter.tracking.datasets import DatasetRef, dataset_from_object

log = logging.getLogger("mlops_jupyter.lineage")
# IPython's output history (_, __, _3, _i, _ii, _i3, ...) repeats other variables
_HISTORY_NAME = re.compile(r"^(_+|_\d+|_i+|_i\d+|_oh|_ih|_dh|In|Out)$")


def is_data(value: Any) -> bool:
    """True for a pandas DataFrame or Series, or a numpy ndarray (without importing either)."""
    module = type(value).__module__
    if module.startswith("pandas"):
        import pandas as pd  # noqa: PLC0415 - start-up: pandas on first use

        return isinstance(value, (pd.DataFrame, pd.Series))
    numpy = sys.modules.get("numpy")
    return numpy is not None and isinstance(value, numpy.ndarray)


def data_nbytes(value: Any) -> int:
    """Bytes of the object's own buffers (object columns count their pointers only)."""
    usage = getattr(value, "memory_usage", None)
    if usage is not None and not hasattr(value, "nbytes"):  # DataFrame
        return int(usage(index=True, deep=False).sum())
    return int(getattr(value, "nbytes", 0))


def object_dataset(value: Any, name: str, limit: int) -> DatasetRef | None:
    """The dataset version of an in-memory object, or None (logged at debug) when we cannot."""
    size = data_nbytes(value)
    if limit and size > limit:
        log.debug("%s not fingerprinted: %d bytes is over the %d-byte limit", name, size, limit)
        return None
    try:
        return dataset_from_object(value, name)
    except Exception as error:  # an object column holding something without a stable repr, ...
        log.debug("%s not fingerprinted: %s", name, error)
        return None


def fingerprint_variables(
    namespace: Mapping[str, Any], names: Iterable[str], limit: int
) -> dict[str, DatasetRef]:
    """Dataset versions of the data variables among ``names``, keyed by name."""
    refs = {}
    for name in sorted(names):
        if _HISTORY_NAME.match(name):
            continue
        value = namespace.get(name)
        if value is None or not is_data(value):
            continue
        ref = object_dataset(value, name, limit)
        if ref is not None:
            refs[name] = ref
    return refs


def changed_outputs(
    before: Mapping[str, DatasetRef], after: Mapping[str, DatasetRef], written: Iterable[str]
) -> dict[str, DatasetRef]:
    """What the cell produced: names it assigned, and names it read whose content changed."""
    assigned = set(written)
    return {
        name: ref
        for name, ref in after.items()
        if name in assigned or (name in before and before[name].fingerprint != ref.fingerprint)
    }
