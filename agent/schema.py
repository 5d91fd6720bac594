"""The measurement schema: every measurement vigil stores, its tags and its fields.

This table is the single source for the server's ingest (unknown measurements and tags are
rejected, which bounds tag cardinality), for docs/metrics.md and for the dashboards. Field
names carry their unit (`used_bytes`, `util_percent`, `rtt_seconds`).

Identity tags (`customer`, `site`, and `host` or `device`, and `collector`) are stamped by the
server from the sender's credential, never taken from the payload; they are allowed on every
measurement and listed in IDENTITY_TAGS.
"""

from __future__ import annotations

from dataclasses import dataclass

IDENTITY_TAGS = frozenset({"customer", "site", "host", "device", "collector"})


@dataclass(frozen=True, slots=True)
class Measurement:
    name: str
    description: str
    tags: frozenset[str]
    # field name -> short description; the unit is in the name.
    fields: dict[str, str]


def _m(name: str, description: str, tags: tuple[str, ...], fields: dict[str, str]) -> Measurement:
    return Measurement(name, description, frozenset(tags), fields)


# ---- host agent (agent/collectors/*) ----
HOST_MEASUREMENTS: tuple[Measurement, ...] = (
    _m(
        "cpu",
        "CPU utilisation; cpu=total or a core number",
        ("cpu",),
        {
            "util_percent": "busy share",
            "user_percent": "user time share",
            "system_percent": "system time share",
            "iowait_percent": "I/O wait share",
            "steal_percent": "stolen by the hypervisor",
            "idle_percent": "idle share",
        },
    ),
    _m(
        "system",
        "load, uptime, processes, users",
        (),
        {
            "load1": "1-minute load average",
            "load5": "5-minute load average",
            "load15": "15-minute load average",
            "load1_per_core": "1-minute load divided by logical cores",
            "uptime_seconds": "seconds since boot",
            "boot_time_seconds": "boot time, Unix seconds",
            "users_count": "logged-in users",
            "processes_count": "processes",
            "zombies_count": "zombie processes",
            "open_fds_count": "open file descriptors",
            "context_switches_per_second": "context switches",
        },
    ),
    _m(
        "mem",
        "memory and swap",
        (),
        {
            "total_bytes": "physical memory",
            "used_bytes": "used memory",
            "available_bytes": "available memory",
            "cached_bytes": "page cache",
            "used_percent": "used share",
            "swap_total_bytes": "swap size",
            "swap_used_bytes": "swap used",
            "swap_used_percent": "swap used share",
            "swap_in_bytes_per_second": "swapped in",
            "swap_out_bytes_per_second": "swapped out",
        },
    ),
    _m(
        "disk",
        "file system space per mount",
        ("path", "fstype", "device_name"),
        {
            "total_bytes": "size",
            "used_bytes": "used",
            "free_bytes": "free",
            "used_percent": "used share",
            "inodes_total_count": "inodes",
            "inodes_used_count": "inodes used",
            "inodes_used_percent": "inodes used share",
            "readonly": "1 when mounted read-only",
        },
    ),
    _m(
        "diskio",
        "block device I/O",
        ("name",),
        {
            "read_bytes_per_second": "read",
            "write_bytes_per_second": "written",
            "read_ops_per_second": "read operations",
            "write_ops_per_second": "write operations",
            "busy_percent": "time busy",
            "await_seconds": "average wait per operation",
        },
    ),
    _m(
        "net",
        "network interface counters (host agent)",
        ("interface",),
        {
            "recv_bytes_per_second": "received",
            "sent_bytes_per_second": "sent",
            "recv_packets_per_second": "packets received",
            "sent_packets_per_second": "packets sent",
            "recv_errors_per_second": "receive errors",
            "sent_errors_per_second": "send errors",
            "recv_drops_per_second": "receive drops",
            "sent_drops_per_second": "send drops",
            "up": "1 when the link is up",
            "speed_bits_per_second": "link speed",
        },
    ),
    _m(
        "procstat",
        "heaviest processes (bounded top N)",
        ("process", "rank_by", "rank"),
        {"cpu_percent": "CPU share", "rss_bytes": "resident memory", "pid": "process id"},
    ),
    _m(
        "services",
        "failed service units",
        ("unit",),
        {"failed": "1 when failed", "failed_count": "failed units (unit=_all)"},
    ),
    _m(
        "sensors",
        "hardware sensors",
        ("sensor", "kind"),
        {"temperature_celsius": "temperature", "fan_rpm": "fan speed", "battery_percent": "charge"},
    ),
    _m(
        "agent",
        "the agent's own health",
        ("collector_name",),
        {
            "spool_bytes": "bytes waiting in the spool",
            "oldest_unsent_age_seconds": "age of the oldest unsent data",
            "dropped_points_count": "points dropped by a full or unwritable spool, total",
            "pending_points_count": "points waiting in the spool",
            "corrupt_segments_count": "spool segments set aside as corrupt, total",
            "refused_points_count": "points in batches the server refused with a 4xx, total",
            "rejected_lines_count": "lines the server rejected, total",
            "send_latency_seconds": "last send round trip",
            "collect_duration_seconds": "collection time",
            "collector_errors_count": "collector failures, total",
            "version": "agent version",
        },
    ),
)

# ---- site collector (collector/*) ----
DEVICE_MEASUREMENTS: tuple[Measurement, ...] = (
    _m(
        "ping",
        "reachability by ICMP or TCP",
        ("target", "method"),
        {
            "up": "1 when reachable",
            "loss_percent": "packet loss",
            "rtt_seconds": "average round trip",
            "rtt_max_seconds": "worst round trip",
        },
    ),
    _m(
        "snmp",
        "SNMP system group and poll status",
        (),
        {
            "up": "1 when the agent answered",
            "uptime_seconds": "sysUpTime",
            "poll_duration_seconds": "time to poll the device",
            "varbinds_count": "varbinds read",
        },
    ),
    _m(
        "interface",
        "interface counters of a network device (IF-MIB)",
        ("interface", "alias"),
        {
            "in_bytes_per_second": "received",
            "out_bytes_per_second": "sent",
            "in_bits_per_second": "received",
            "out_bits_per_second": "sent",
            "in_errors_per_second": "receive errors",
            "out_errors_per_second": "send errors",
            "in_discards_per_second": "receive discards",
            "out_discards_per_second": "send discards",
            "in_util_percent": "receive utilisation",
            "out_util_percent": "send utilisation",
            "speed_bits_per_second": "speed",
            "in_packets_per_second": "packets received",
            "out_packets_per_second": "packets sent",
            "oper_up": "1 when operationally up",
            "admin_up": "1 when administratively up",
        },
    ),
    _m(
        "device_cpu",
        "device CPU",
        ("unit",),
        {"util_percent": "busy share"},
    ),
    _m(
        "device_mem",
        "device memory",
        ("unit",),
        {"total_bytes": "size", "used_bytes": "used", "used_percent": "used share"},
    ),
    _m(
        "device_storage",
        "device storage (HOST-RESOURCES hrStorage)",
        ("storage",),
        {"total_bytes": "size", "used_bytes": "used", "used_percent": "used share"},
    ),
    _m(
        "device_sensor",
        "temperatures, fans and power supplies",
        ("sensor", "kind"),
        {
            "temperature_celsius": "temperature",
            "fan_rpm": "fan speed",
            "voltage_volts": "voltage (ENTITY-SENSOR-MIB)",
            "current_amps": "current (ENTITY-SENSOR-MIB)",
            "power_watts": "power (ENTITY-SENSOR-MIB)",
            "humidity_percent": "relative humidity (ENTITY-SENSOR-MIB)",
            "ok": "1 when the sensor reports normal",
        },
    ),
    _m(
        "ups",
        "UPS (UPS-MIB and vendor)",
        ("source",),
        {
            "on_battery": "1 when on battery",
            "battery_charge_percent": "charge",
            "battery_runtime_seconds": "runtime left",
            "load_percent": "output load",
            "input_voltage_volts": "input voltage",
            "output_voltage_volts": "output voltage",
            "battery_temperature_celsius": "battery temperature",
            "battery_replace": "1 when the battery needs replacing",
            "battery_ok": "1 when the battery status is normal (UPS-MIB)",
        },
    ),
    # -- added by the collector (issue 4) --
    _m(
        "device_info",
        "SNMPv2-MIB system strings (untrusted device text, bounded)",
        (),
        {
            "sys_descr": "sysDescr",
            "sys_object_id": "sysObjectID, dotted",
            "sys_contact": "sysContact",
            "sys_name": "sysName",
            "sys_location": "sysLocation",
        },
    ),
    _m(
        "device_entity",
        "ENTITY-MIB inventory of the chassis and modules",
        ("entity",),
        {
            "class_code": "entPhysicalClass (3 chassis, 9 module)",
            "description": "entPhysicalDescr",
            "hardware_rev": "hardware revision",
            "firmware": "firmware revision",
            "software": "software revision",
            "serial": "serial number",
            "vendor": "manufacturer",
            "model": "model name",
        },
    ),
    _m(
        "device_component",
        "state of boards, modules and host devices (hrDevice, Juniper, H3C)",
        ("component", "source"),
        {"ok": "1 when the component reports normal", "status_code": "the vendor's status value"},
    ),
    _m(
        "pdu",
        "rack PDU load per bank or phase",
        ("bank",),
        {"load_amps": "current drawn", "ok": "1 when the load state is normal or low"},
    ),
    _m(
        "ssh",
        "SSH poll status",
        ("platform",),
        {
            "up": "1 when the device answered and the host key matched",
            "poll_duration_seconds": "time to poll the device",
            "hostkey_ok": "0 when the host key was unknown or changed",
        },
    ),
    _m(
        "device_alarm",
        "active alarms read by SSH (display alarm)",
        ("severity",),
        {"active_count": "active alarms of that severity"},
    ),
    _m(
        "collector",
        "the site collector's own health",
        (),
        {
            "cycle_duration_seconds": "last cycle",
            "devices_count": "devices polled",
            "devices_late_count": "devices not polled in time",
            "errors_count": "errors in the last cycle",
            "heartbeat": "1 on every cycle",
            "errors_snmp_timeout_count": "SNMP timeouts in the last cycle",
            "errors_snmp_auth_count": "SNMP credential failures in the last cycle",
            "errors_ssh_count": "SSH failures in the last cycle",
            "errors_hostkey_count": "SSH host key refusals in the last cycle",
            "varbinds_count": "varbinds read in the last cycle",
        },
    ),
)

MEASUREMENTS: dict[str, Measurement] = {m.name: m for m in HOST_MEASUREMENTS + DEVICE_MEASUREMENTS}
