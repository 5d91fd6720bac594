"""Huawei VRP switches and routers: per-board CPU, memory and temperature
(HUAWEI-ENTITY-EXTENT-MIB hwEntityStateTable), fans (hwFanStatusTable) and power supplies
(hwPwrStatusTable). Rows are named by ENTITY-MIB entPhysicalName."""

from vigil.collector.snmp.profiles import Derive, Metric, Profile, Table

STATE = "1.3.6.1.4.1.2011.5.25.31.1.1.1.1"  # hwEntityStateEntry
FAN = "1.3.6.1.4.1.2011.5.25.31.1.1.10.1"  # hwFanStatusEntry
PWR = "1.3.6.1.4.1.2011.5.25.31.1.1.18.1"  # hwPwrStatusEntry
ENT_NAME = "1.3.6.1.2.1.47.1.1.1.1.7"

PROFILE = Profile(
    name="huawei",
    vendor="Huawei",
    description="Huawei board CPU, memory, temperature, fans, power supplies",
    match=("1.3.6.1.4.1.2011",),
    tables=(
        Table(
            measurement="device_cpu",
            label_tag="unit",
            label_oids=(ENT_NAME,),
            metrics=(
                Metric(f"{STATE}.5", "util_percent", "percent"),  # hwEntityCpuUsage
                Metric(f"{STATE}.9", "mem_size_bytes", "bytes", "aux"),  # hwEntityMemSize
            ),
            # Only boards with their own memory carry a CPU; the rest report 0.
            require_nonzero="mem_size_bytes",
        ),
        Table(
            measurement="device_mem",
            label_tag="unit",
            label_oids=(ENT_NAME,),
            metrics=(
                Metric(f"{STATE}.7", "used_percent", "percent"),  # hwEntityMemUsage
                Metric(f"{STATE}.9", "total_bytes", "bytes"),
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
            metrics=(Metric(f"{STATE}.11", "temperature_celsius", "celsius"),),  # hwEntityTemperature
            require_nonzero="temperature_celsius",
        ),
        Table(
            measurement="device_sensor",
            label_tag="sensor",
            tags=(("kind", "fan"),),
            # hwEntityFanState: normal(1) abnormal(2)
            metrics=(Metric(f"{FAN}.7", "ok", "bool", "status", ok_values=(1,)),),
        ),
        Table(
            measurement="device_sensor",
            label_tag="sensor",
            tags=(("kind", "power"),),
            # hwEntityPwrState: supply(1) notSupply(2) sleep(3) unknown(4)
            metrics=(Metric(f"{PWR}.6", "ok", "bool", "status", ok_values=(1,)),),
        ),
    ),
)
