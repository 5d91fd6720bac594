"""Cisco IOS / IOS-XE / NX-OS: CPU (CISCO-PROCESS-MIB), memory pools (CISCO-MEMORY-POOL-MIB),
temperature, fans and power supplies (CISCO-ENVMON-MIB)."""

from vigil.collector.snmp.profiles import Derive, Metric, Profile, Table

CPU = "1.3.6.1.4.1.9.9.109.1.1.1.1"  # cpmCPUTotalEntry
MEM = "1.3.6.1.4.1.9.9.48.1.1.1"  # ciscoMemoryPoolEntry
ENV = "1.3.6.1.4.1.9.9.13.1"  # ciscoEnvMonObjects
ENV_OK = (1,)  # normal(1) warning(2) critical(3) shutdown(4) notPresent(5) notFunctioning(6)

PROFILE = Profile(
    name="cisco",
    vendor="Cisco",
    description="Cisco CPU, memory pools, environment monitor",
    match=("1.3.6.1.4.1.9",),
    tables=(
        Table(
            measurement="device_cpu",
            label_tag="unit",
            metrics=(
                Metric(f"{CPU}.7", "util_percent", "percent"),  # cpmCPUTotal1minRev
                Metric(f"{CPU}.4", "util_percent", "percent"),  # cpmCPUTotal1min (old IOS)
            ),
        ),
        Table(
            measurement="device_mem",
            label_tag="unit",
            label_oids=(f"{MEM}.2",),  # ciscoMemoryPoolName
            metrics=(
                Metric(f"{MEM}.5", "used_bytes", "bytes"),
                Metric(f"{MEM}.6", "free_bytes", "bytes", "aux"),
            ),
            derive=(
                Derive("total_bytes", "sum", "used_bytes", "free_bytes"),
                Derive("used_percent", "percent", "used_bytes", "total_bytes"),
            ),
        ),
        Table(
            measurement="device_sensor",
            label_tag="sensor",
            label_oids=(f"{ENV}.3.1.2",),
            tags=(("kind", "temperature"),),
            metrics=(
                Metric(f"{ENV}.3.1.3", "temperature_celsius", "celsius"),
                Metric(f"{ENV}.3.1.6", "ok", "bool", "status", ok_values=ENV_OK),
            ),
        ),
        Table(
            measurement="device_sensor",
            label_tag="sensor",
            label_oids=(f"{ENV}.4.1.2",),
            tags=(("kind", "fan"),),
            metrics=(Metric(f"{ENV}.4.1.3", "ok", "bool", "status", ok_values=ENV_OK),),
        ),
        Table(
            measurement="device_sensor",
            label_tag="sensor",
            label_oids=(f"{ENV}.5.1.2",),
            tags=(("kind", "power"),),
            metrics=(Metric(f"{ENV}.5.1.3", "ok", "bool", "status", ok_values=ENV_OK),),
        ),
    ),
)
