"""vigil.server.alerting: runs the rules of vigil.checks against stored metrics, keeps the alert
state in the database and turns alerts into tickets.

- ``source``: the metric stores seen as a :class:`vigil.checks.source.SeriesSource`;
- ``targets``: devices, their effective rules (overrides) and their parents, from the database;
- ``driver``: one evaluation round: load states, run the engine, save states, act on events;
- ``ticketing``: alert events to ticket changes through vigil.server.tickets.service;
- ``service``: overrides and maintenance windows (used by the API router server/api/rules.py);
- ``install``: the ingest hook (threshold and state rules as data arrives) and the scheduler
  (absence and forecast rules).
"""
