"""UCD-SNMP-MIB (net-snmp agents on Linux and many appliances): memory and CPU from raw ticks."""

from vigil.collector.snmp.profiles import Derive, Metric, Profile, Table

UCD = "1.3.6.1.4.1.2021"

PROFILE = Profile(
    name="ucd_snmp",
    description="UCD-SNMP-MIB memory (memTotalReal, memAvailReal, buffers, cache) and ssCpuRaw* ticks",
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
            # ssCpuRaw* tick counters as per-second rates; busy share = 1 - idle / all. (ssCpuIdle
            # itself is a one-minute average that net-snmp leaves empty for the first minute.)
            metrics=(
                Metric(f"{UCD}.11.50.0", "user_rate", "ticks/s", "counter"),
                Metric(f"{UCD}.11.51.0", "nice_rate", "ticks/s", "counter"),
                Metric(f"{UCD}.11.52.0", "system_rate", "ticks/s", "counter"),
                Metric(f"{UCD}.11.53.0", "idle_rate", "ticks/s", "counter"),
                Metric(f"{UCD}.11.54.0", "wait_rate", "ticks/s", "counter"),
                Metric(f"{UCD}.11.56.0", "interrupt_rate", "ticks/s", "counter"),
                Metric(f"{UCD}.11.61.0", "softirq_rate", "ticks/s", "counter"),
            ),
            derive=(
                Derive("t1", "sum", "user_rate", "nice_rate"),
                Derive("t2", "sum", "t1", "system_rate"),
                Derive("t3", "sum", "t2", "wait_rate"),
                Derive("t4", "sum", "t3", "interrupt_rate"),
                Derive("t5", "sum", "t4", "softirq_rate"),
                Derive("all_rate", "sum", "t5", "idle_rate"),
                Derive("util_percent", "percent", "t5", "all_rate"),
            ),
            drop=("user_rate", "nice_rate", "system_rate", "idle_rate", "wait_rate", "interrupt_rate",
                  "softirq_rate", "t1", "t2", "t3", "t4", "t5", "all_rate"),
        ),
    ),
)
