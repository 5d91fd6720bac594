"""Juniper Junos: CPU, memory, temperature and state per component (JUNIPER-MIB jnxOperatingTable)."""

from vigil.collector.snmp.profiles import Derive, Metric, Profile, Table

OP = "1.3.6.1.4.1.2636.3.1.13.1"  # jnxOperatingEntry

PROFILE = Profile(
    name="juniper",
    vendor="Juniper",
    description="Juniper jnxOperatingTable CPU, memory, temperature, component state",
    match=("1.3.6.1.4.1.2636",),
    tables=(
        Table(
            measurement="device_cpu",
            label_tag="unit",
            label_oids=(f"{OP}.5",),  # jnxOperatingDescr
            metrics=(
                Metric(f"{OP}.8", "util_percent", "percent"),  # jnxOperatingCPU
                Metric(f"{OP}.15", "memory_mb", "MB", "aux"),  # jnxOperatingMemory
            ),
            require_nonzero="memory_mb",
        ),
        Table(
            measurement="device_mem",
            label_tag="unit",
            label_oids=(f"{OP}.5",),
            metrics=(
                Metric(f"{OP}.11", "used_percent", "percent"),  # jnxOperatingBuffer
                Metric(f"{OP}.15", "total_bytes", "bytes", scale=1024.0 * 1024.0),
            ),
            derive=(Derive("used_share", "product", "used_percent", 0.01),
                    Derive("used_bytes", "product", "used_share", "total_bytes")),
            drop=("used_share",),
            require_nonzero="total_bytes",
        ),
        Table(
            measurement="device_sensor",
            label_tag="sensor",
            label_oids=(f"{OP}.5",),
            tags=(("kind", "temperature"),),
            metrics=(Metric(f"{OP}.7", "temperature_celsius", "celsius"),),  # jnxOperatingTemp
            require_nonzero="temperature_celsius",
        ),
        Table(
            measurement="device_component",
            label_tag="component",
            label_oids=(f"{OP}.5",),
            tags=(("source", "jnx_operating"),),
            # jnxOperatingState: unknown(1) running(2) ready(3) reset(4) runningAtFullSpeed(5)
            # down(6) standby(7)
            metrics=(
                Metric(f"{OP}.6", "status_code", "enum", "gauge"),
                Metric(f"{OP}.6", "ok", "bool", "status", ok_values=(2, 3, 5, 7)),
            ),
        ),
    ),
)
