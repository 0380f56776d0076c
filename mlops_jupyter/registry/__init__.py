"""The model registry: registered models, immutable numbered versions, approvals, gates, aliases
with their full history, a hash-chained audit log, safe serialization and release bundles.

The public functions are gathered in :mod:`mlops_jupyter.registry.api`; this package itself
imports nothing, so the store can use the audit chain rules without loading the registry.
"""
