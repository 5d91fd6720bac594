"""SNMPv2-MIB system group: identity strings and uptime (read on every poll, first)."""

from vigil.collector.snmp.profiles import Metric, Profile, Table

SYS = "1.3.6.1.2.1.1"

PROFILE = Profile(
    name="system",
    description="SNMPv2-MIB system group",
    standard=True,
    tables=(
        Table(
            measurement="device_info",
            scalar=True,
            metrics=(
                Metric(f"{SYS}.1.0", "sys_descr", "text", "text"),
                Metric(f"{SYS}.2.0", "sys_object_id", "oid", "text"),
                Metric(f"{SYS}.4.0", "sys_contact", "text", "text"),
                Metric(f"{SYS}.5.0", "sys_name", "text", "text"),
                Metric(f"{SYS}.6.0", "sys_location", "text", "text"),
            ),
        ),
        Table(
            measurement="snmp",
            scalar=True,
            metrics=(Metric(f"{SYS}.3.0", "uptime_seconds", "seconds", "gauge", scale=0.01),),
        ),
    ),
)
