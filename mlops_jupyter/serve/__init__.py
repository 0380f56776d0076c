"""The model server (``mlops-jupyter serve NAME@ALIAS``): a starlette app on uvicorn that follows
a registry alias, swaps versions in without dropping requests, exports Prometheus metrics,
registers itself in the store and can log sampled predictions for delayed-label checks.

Modules: ``settings`` (what a server is told), ``follower`` (the served version and the alias
watch), ``inputs`` (request bodies to frames), ``telemetry`` (metrics, latency window,
heartbeat), ``predictions`` (sampled prediction log, outcomes), ``app`` (routes), ``servers``
(the live-server listing), ``cli`` (``serve`` and ``serve ls``).
"""
