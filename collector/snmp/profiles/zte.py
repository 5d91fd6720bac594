"""ZTE ZXR10 switches and routers: CPU per unit (ZXR10 zxr10SystemUnitTable, 5-minute) and the
system CPU scalar of the ZXR10 29xx/52xx access switches (a number carried as text)."""

from vigil.collector.snmp.profiles import Metric, Profile, Table

UNIT = "1.3.6.1.4.1.3902.3.3.1.1"  # zxr10SystemUnitEntry

PROFILE = Profile(
    name="zte",
    vendor="ZTE",
    description="ZTE ZXR10 CPU utilisation",
    match=("1.3.6.1.4.1.3902",),
    tables=(
        Table(
            measurement="device_cpu",
            label_tag="unit",
            metrics=(
                Metric(f"{UNIT}.12", "util_percent", "percent"),  # zxr10SystemCpuUtility5m
                Metric(f"{UNIT}.5", "util_percent", "percent"),  # zxr10SystemCpuUtility2m
            ),
        ),
        Table(
            measurement="device_cpu",
            scalar=True,
            tags=(("unit", "system"),),
            metrics=(Metric("1.3.6.1.4.1.3902.15.2.30.1.3.0", "util_percent", "percent"),),
        ),
    ),
)
