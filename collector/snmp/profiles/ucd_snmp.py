"""UCD-SNMP-MIB (net-snmp agents on Linux and many appliances): memory and CPU idle."""

from vigil.collector.snmp.profiles import Derive, Metric, Profile, Table

UCD = "1.3.6.1.4.1.2021"

PROFILE = Profile(
    name="ucd_snmp",
    description="UCD-SNMP-MIB memory (memTotalReal, memAvailReal, buffers, cache) and ssCpuIdle",
    standard=True,
    tables=(
        Table(
            measurement="device_mem",
            scalar=True,
            tags=(("unit", "system"),),
            metrics=(
                Metric(f"{UCD}.4.5.0", "total_bytes", "bytes", "gauge", scale=1024.0),
                Metric(f"{UCD}.4.6.0", "avail_bytes", "bytes", "aux", scale=1024.0),
                Metric(f"{UCD}.4.14.0", "buffer_bytes", "bytes", "aux", scale=1024.0),
                Metric(f"{UCD}.4.15.0", "cached_bytes", "bytes", "aux", scale=1024.0),
            ),
            derive=(
                Derive("free_like_bytes", "sum", "avail_bytes", "buffer_bytes"),
                Derive("free_all_bytes", "sum", "free_like_bytes", "cached_bytes"),
                Derive("used_bytes", "difference", "total_bytes", "free_all_bytes"),
                Derive("used_percent", "percent", "used_bytes", "total_bytes"),
            ),
            drop=("free_like_bytes", "free_all_bytes"),
        ),
        Table(
            measurement="device_cpu",
            scalar=True,
            tags=(("unit", "system"),),
            metrics=(Metric(f"{UCD}.11.11.0", "idle_percent", "percent", "aux"),),
            derive=(Derive("util_percent", "difference", 100.0, "idle_percent"),),
        ),
    ),
)
