"""vigil.dashboards: Grafana dashboards as code and their provisioning.

Targets Grafana 11.6 (dashboard ``schemaVersion`` 41), built with ``grafana-foundation-sdk``
pinned to its 11.6 build; the SDK has no InfluxDB or PostgreSQL query types, so
:mod:`vigil.dashboards.queries` adds small typed ones on the SDK's ``Dataquery`` variant.

- :mod:`vigil.dashboards.boards`: one module per dashboard (fleet, customer, host, network,
  ups, collector, sla), found by module name; :func:`~vigil.dashboards.boards.render` gives the
  JSON Grafana stores.
- :mod:`vigil.dashboards.thresholds`: panel thresholds read from ``checks/defaults/*.yaml``.
- :mod:`vigil.dashboards.catalog`: the fleet folder and one folder per customer, with grants.
- :mod:`vigil.dashboards.provision` (HTTP API, idempotent) and :mod:`vigil.dashboards.export`
  (file provisioning), driven by :mod:`vigil.dashboards.cli` (``vigil dashboards ...``).

Of vigil it imports only the metric schema (:mod:`vigil.agent.schema`), against which every
query is checked when it is built.
"""
