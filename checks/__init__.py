"""vigil.checks: rules as data and their pure evaluation (series and time in, transitions out).

No I/O and no other part of vigil is imported here.

- ``rules/<type>.py``: one module per rule type (threshold, rate_of_change, absence,
  availability, state_change, forecast, composite), found by the registry in ``rules/__init__``;
- ``defaults/*.yaml``: the rules a service provider expects out of the box;
- ``ruleset``: rule files, and overrides layered global > customer > site > device;
- ``source``: the :class:`~vigil.checks.source.SeriesSource` seam the engine queries through;
- ``state``: the alert state machine (pending, firing, hold-down, flapping), serialisable;
- ``engine``: evaluation rounds, incidents, maintenance windows and root causes as events;
- ``windows`` and ``dependencies``: maintenance windows and root-cause resolution, pure;
- ``scenario``: the scenario file format of tests/scenarios/ and its pure replay.
"""
