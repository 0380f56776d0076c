"""Monitoring and lifecycle: drift and performance checks against a version's reference
profile, checks recorded as runs, retraining through the registry's gates, auto-rollback.

Profiles themselves (a dataset noun) live in ``tracking/profile.py``.
"""
