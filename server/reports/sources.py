"""Where each figure of the report comes from: rows of (measurement, field, identity tag, filter
tags, instance tag), for hosts with an agent (``host`` tag) and for polled devices (``device``).

A figure is read for a whole customer with one aggregate query per source, grouped by the
identity tag (and the instance tag), never per device and never from raw points.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Source:
    measurement: str
    field: str
    identity: str  # "host" (agents) or "device" (collectors)
    tags: tuple[tuple[str, str], ...] = ()  # filter tags as pairs (hashable: a cache key)
    instance: str | None = None


CPU = (Source("cpu", "util_percent", "host", (("cpu", "total"),)), Source("device_cpu", "util_percent", "device"))
MEMORY = (Source("mem", "used_percent", "host"), Source("device_mem", "used_percent", "device"))
DISK = (
    Source("disk", "used_percent", "host", instance="path"),
    Source("device_storage", "used_percent", "device", instance="storage"),
)
IF_IN_UTIL = (Source("interface", "in_util_percent", "device", instance="interface"),)
IF_OUT_UTIL = (Source("interface", "out_util_percent", "device", instance="interface"),)
TRAFFIC_IN = (
    Source("net", "recv_bytes_per_second", "host", instance="interface"),
    Source("interface", "in_bytes_per_second", "device", instance="interface"),
)
TRAFFIC_OUT = (
    Source("net", "sent_bytes_per_second", "host", instance="interface"),
    Source("interface", "out_bytes_per_second", "device", instance="interface"),
)
TEMPERATURE = (
    Source("sensors", "temperature_celsius", "host"),
    Source("device_sensor", "temperature_celsius", "device"),
)
ERRORS = (
    Source("net", "recv_errors_per_second", "host", instance="interface"),
    Source("net", "sent_errors_per_second", "host", instance="interface"),
    Source("interface", "in_errors_per_second", "device", instance="interface"),
    Source("interface", "out_errors_per_second", "device", instance="interface"),
)
UPTIME = (Source("system", "uptime_seconds", "host"), Source("snmp", "uptime_seconds", "device"))
# Liveness: an agent's regular system sample; a device's ping answer, else its SNMP answer.
LIVENESS_HOST = Source("system", "uptime_seconds", "host")
LIVENESS_DEVICE = (Source("ping", "up", "device"), Source("snmp", "up", "device"))
UPS_BATTERY_REPLACE = (Source("ups", "battery_replace", "device"),)
# Interfaces that carry no customer traffic.
IGNORED_INTERFACES = frozenset({"lo", "lo0"})
