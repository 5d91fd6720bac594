"""IF-MIB: ifTable and ifXTable; 64-bit HC counters preferred, 32-bit ones read only where absent."""

from vigil.collector.snmp.profiles import Derive, Metric, Profile, Table

IF = "1.3.6.1.2.1.2.2.1"  # ifEntry
IFX = "1.3.6.1.2.1.31.1.1.1"  # ifXEntry

PROFILE = Profile(
    name="if_mib",
    description="IF-MIB interfaces: traffic, errors, discards, speed, status, alias",
    standard=True,
    tables=(
        Table(
            measurement="interface",
            label_tag="interface",
            label_oids=(f"{IFX}.1", f"{IF}.2"),  # ifName, else ifDescr
            metrics=(
                Metric(f"{IFX}.18", "alias", "text", "tag"),
                # Same field twice: the first column present wins, the second is a fallback.
                Metric(f"{IFX}.6", "in_bytes_per_second", "bytes/s", "counter"),
                Metric(f"{IF}.10", "in_bytes_per_second", "bytes/s", "counter"),
                Metric(f"{IFX}.10", "out_bytes_per_second", "bytes/s", "counter"),
                Metric(f"{IF}.16", "out_bytes_per_second", "bytes/s", "counter"),
                Metric(f"{IF}.14", "in_errors_per_second", "1/s", "counter"),
                Metric(f"{IF}.20", "out_errors_per_second", "1/s", "counter"),
                Metric(f"{IF}.13", "in_discards_per_second", "1/s", "counter"),
                Metric(f"{IF}.19", "out_discards_per_second", "1/s", "counter"),
                Metric(f"{IFX}.15", "speed_bits_per_second", "bits/s", "gauge", scale=1e6),
                Metric(f"{IF}.5", "speed_bits_per_second", "bits/s", "gauge"),
                Metric(f"{IF}.8", "oper_up", "bool", "status", ok_values=(1,)),
                Metric(f"{IF}.7", "admin_up", "bool", "status", ok_values=(1,)),
            ),
            derive=(
                Derive("in_bits_per_second", "product", "in_bytes_per_second", 8.0),
                Derive("out_bits_per_second", "product", "out_bytes_per_second", 8.0),
                Derive("in_util_percent", "percent", "in_bits_per_second", "speed_bits_per_second"),
                Derive("out_util_percent", "percent", "out_bits_per_second", "speed_bits_per_second"),
            ),
        ),
    ),
)
