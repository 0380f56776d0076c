"""Tracking: runs and what they record (params, metrics, tags, artifacts, data, environment)."""
