"""Batch execution of notebooks: the papermill engine, single runs, sweeps and ``reproduce``."""
