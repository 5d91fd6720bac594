"""The server's own Prometheus metrics, in a registry of its own (not the process global)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)

REQUESTS = Counter(
    "vigil_http_requests_total", "HTTP requests by route and status", ("route", "status"), registry=REGISTRY
)
LATENCY = Histogram("vigil_http_request_seconds", "HTTP request time by route", ("route",), registry=REGISTRY)
INGEST_LINES = Counter("vigil_ingest_lines_total", "ingested lines by outcome", ("outcome",), registry=REGISTRY)
INGEST_BATCHES = Counter("vigil_ingest_batches_total", "ingest batches by outcome", ("outcome",), registry=REGISTRY)
