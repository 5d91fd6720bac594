"""Ruijie (Red-Giant) RGOS switches: CPU (RUIJIE-PROCESS-MIB) and memory pools (RUIJIE-MEMORY-MIB)."""

from vigil.collector.snmp.profiles import Metric, Profile, Table

SYSMIB = "1.3.6.1.4.1.4881.1.1.10.2"
MEM = f"{SYSMIB}.35.1.1.1"  # ruijieMemoryPoolEntry

PROFILE = Profile(
    name="ruijie",
    vendor="Ruijie",
    description="Ruijie CPU utilisation (1 min) and memory pools",
    match=("1.3.6.1.4.1.4881",),
    tables=(
        Table(
            measurement="device_cpu",
            scalar=True,
            tags=(("unit", "system"),),
            metrics=(Metric(f"{SYSMIB}.36.1.1.2.0", "util_percent", "percent"),),  # 1-minute average
        ),
        Table(
            measurement="device_mem",
            label_tag="unit",
            label_oids=(f"{MEM}.2",),  # pool name
            metrics=(
                Metric(f"{MEM}.3", "used_percent", "percent"),  # current utilisation
                Metric(f"{MEM}.6", "total_bytes", "bytes", scale=1024.0),  # pool size, KB
                Metric(f"{MEM}.7", "used_bytes", "bytes", scale=1024.0),  # used, KB
            ),
        ),
    ),
)
