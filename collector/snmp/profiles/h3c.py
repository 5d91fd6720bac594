"""H3C and HPE Comware: per-entity CPU, memory, temperature and error status
(HH3C-ENTITY-EXT-MIB hh3cEntityExtStateTable), named by ENTITY-MIB entPhysicalName."""

from vigil.collector.snmp.profiles import Derive, Metric, Profile, Table

EXT = "1.3.6.1.4.1.25506.2.6.1.1.1.1"  # hh3cEntityExtStateEntry
ENT_NAME = "1.3.6.1.2.1.47.1.1.1.1.7"

PROFILE = Profile(
    name="h3c",
    vendor="H3C",
    description="H3C / HPE Comware entity CPU, memory, temperature, error status",
    # H3C enterprise, and HPE Comware switches that identify as HP (A-series, 5130 ...).
    match=("1.3.6.1.4.1.25506", "1.3.6.1.4.1.11.2.3.7.11"),
    tables=(
        Table(
            measurement="device_cpu",
            label_tag="unit",
            label_oids=(ENT_NAME,),
            metrics=(
                Metric(f"{EXT}.6", "util_percent", "percent"),  # hh3cEntityExtCpuUsage
                Metric(f"{EXT}.10", "mem_size_bytes", "bytes", "aux"),  # hh3cEntityExtMemSize
            ),
            require_nonzero="mem_size_bytes",
        ),
        Table(
            measurement="device_mem",
            label_tag="unit",
            label_oids=(ENT_NAME,),
            metrics=(
                Metric(f"{EXT}.8", "used_percent", "percent"),  # hh3cEntityExtMemUsage
                Metric(f"{EXT}.10", "total_bytes", "bytes"),
            ),
            derive=(Derive("used_share", "product", "used_percent", 0.01),
                    Derive("used_bytes", "product", "used_share", "total_bytes")),
            drop=("used_share",),
            require_nonzero="total_bytes",
        ),
        Table(
            measurement="device_sensor",
            label_tag="sensor",
            label_oids=(ENT_NAME,),
            tags=(("kind", "temperature"),),
            metrics=(
                # 65535 means the entity has no sensor.
                Metric(f"{EXT}.12", "temperature_celsius", "celsius", invalid_values=(65535,)),
            ),
            require_nonzero="temperature_celsius",
        ),
        Table(
            measurement="device_component",
            label_tag="component",
            label_oids=(ENT_NAME,),
            tags=(("source", "h3c_entity"),),
            # hh3cEntityExtErrorStatus: notSupported(1) normal(2) postFailure(3) entityAbsent(4) ...
            metrics=(
                Metric(f"{EXT}.19", "status_code", "enum", "gauge"),
                Metric(f"{EXT}.19", "ok", "bool", "status", ok_values=(1, 2)),
            ),
            keep_field="status_code",
            keep_values=tuple(range(2, 100)),
        ),
    ),
)
