"""ZTE ZXR10 switches and routers: CPU and memory per unit (ZXR10-MIB zxr10SystemUnitTable) and
the system CPU scalar of the ZXR10 29xx/52xx access switches (a number carried as text).

zxr10SystemUnitEntry (ZXR10-MIB, as published in DanielleHuisman/observium-community-edition
mibs/zte/ZXR10-MIB): .2 zxr10SystemUnitRunStatus down(0)/up(1), .3 zxr10SystemMemSize ("the
physical memory size of the unit owned, the unit is byte"), .4 zxr10SystemMemUsed ("the used
memory described by Octets"), .5 zxr10SystemCpuUtility2m, .12 zxr10SystemCpuUtility5m.
Observium's poller reads zxr10SystemMemUsed as a percentage instead; we follow the MIB text, and
the recording that tests these rows is built from the MIB (no public capture was found).
"""

from vigil.collector.snmp.profiles import Derive, Metric, Profile, Table

UNIT = "1.3.6.1.4.1.3902.3.3.1.1"  # zxr10SystemUnitEntry

PROFILE = Profile(
    name="zte",
    vendor="ZTE",
    description="ZTE ZXR10 CPU utilisation and memory",
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
            measurement="device_mem",
            label_tag="unit",
            metrics=(
                Metric(f"{UNIT}.2", "run_status", "enum", "aux"),  # zxr10SystemUnitRunStatus
                Metric(f"{UNIT}.3", "total_bytes", "bytes"),  # zxr10SystemMemSize
                Metric(f"{UNIT}.4", "used_bytes", "bytes"),  # zxr10SystemMemUsed
            ),
            derive=(Derive("used_percent", "percent", "used_bytes", "total_bytes"),),
            keep_field="run_status",
            keep_values=(1,),  # units that are shut down report nothing worth keeping
            require_nonzero="total_bytes",
        ),
        Table(
            measurement="device_cpu",
            scalar=True,
            tags=(("unit", "system"),),
            metrics=(Metric("1.3.6.1.4.1.3902.15.2.30.1.3.0", "util_percent", "percent"),),
        ),
    ),
)
