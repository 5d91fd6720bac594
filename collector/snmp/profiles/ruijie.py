"""Ruijie (Red-Giant) RGOS switches: CPU (RUIJIE-PROCESS-MIB), memory pools (RUIJIE-MEMORY-MIB),
temperatures, fans and power supplies (RUIJIE-SYSTEM-MIB tables of box switches, RUIJIE-ENTITY-MIB
fan and power state tables of chassis and stacked switches).

Sensor OIDs are taken from the MIB texts as published in librenms/librenms mibs/ruijie/
(RUIJIE-SYSTEM-MIB: ruijieSystemMIBObjects = ruijieMgmt(1.3.6.1.4.1.4881.1.1.10.2).1.1;
RUIJIE-ENTITY-MIB: ruijieDeviceMIBObjects = ruijieMgmt.21.1).
"""

from vigil.collector.snmp.profiles import Metric, Profile, Table

SYSMIB = "1.3.6.1.4.1.4881.1.1.10.2"
MEM = f"{SYSMIB}.35.1.1.1"  # ruijieMemoryPoolEntry
SYSTEM = f"{SYSMIB}.1.1"  # RUIJIE-SYSTEM-MIB ruijieSystemMIBObjects
TEMP = f"{SYSTEM}.23.1"  # ruijieSystemTemperatureEntry
FAN = f"{SYSTEM}.21.1"  # ruijieSystemFanIsNormalEntry
PSU = f"{SYSTEM}.18.1"  # ruijieSystemElectricalSourceIsNormalEntry
ENTITY = f"{SYSMIB}.21.1"  # RUIJIE-ENTITY-MIB ruijieDeviceMIBObjects
ENT_POWER = f"{ENTITY}.5.1"  # ruijiePowerStateEntry
ENT_FAN = f"{ENTITY}.6.1"  # ruijieFanStateEntry
# ruijieSystemFanIsNormal / ruijieSystemElectricalSourceIsNormal: noexist(1) existnopower(2)
# existreadypower(3) normal(4) powerbutabnormal(5) unknow(6) linefail(7); absent ones are left out.
PRESENT = (2, 3, 4, 5, 6, 7)

PROFILE = Profile(
    name="ruijie",
    vendor="Ruijie",
    description="Ruijie CPU utilisation (1 min), memory pools, temperatures, fans, power supplies",
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
        Table(
            measurement="device_sensor",
            label_tag="sensor",
            label_oids=(f"{TEMP}.2",),  # ruijieSystemTemperatureName
            tags=(("kind", "temperature"),),
            # ruijieSystemTemperatureCurrent, degrees C; "returns 0" when the display is not supported.
            metrics=(Metric(f"{TEMP}.3", "temperature_celsius", "celsius", invalid_values=(0,)),),
            require_nonzero="temperature_celsius",
        ),
        Table(
            measurement="device_sensor",
            label_tag="sensor",
            label_oids=(f"{FAN}.3",),  # ruijieSystemFanName
            tags=(("kind", "fan"),),
            metrics=(
                Metric(f"{FAN}.2", "state_code", "enum", "aux"),  # ruijieSystemFanIsNormal
                Metric(f"{FAN}.2", "ok", "bool", "status", ok_values=(4,)),
            ),
            keep_field="state_code",
            keep_values=PRESENT,
        ),
        Table(
            measurement="device_sensor",
            label_tag="sensor",
            label_oids=(f"{PSU}.3",),  # ruijieSystemElectricalSourceName
            tags=(("kind", "power"),),
            metrics=(
                Metric(f"{PSU}.2", "state_code", "enum", "aux"),  # ruijieSystemElectricalSourceIsNormal
                Metric(f"{PSU}.2", "ok", "bool", "status", ok_values=(4,)),
            ),
            keep_field="state_code",
            keep_values=PRESENT,
        ),
        Table(
            measurement="device_sensor",
            label_tag="sensor",
            label_oids=(f"{ENT_FAN}.4",),  # ruijieFanStateFanDescr
            tags=(("kind", "fan"),),
            # ruijieFanState: work(1) stop(2) ("fan stopping or no exist")
            metrics=(Metric(f"{ENT_FAN}.3", "ok", "bool", "status", ok_values=(1,)),),
        ),
        Table(
            measurement="device_sensor",
            label_tag="sensor",
            label_oids=(f"{ENT_POWER}.4",),  # ruijiePowerStatePowerDescr
            tags=(("kind", "power"),),
            # ruijiePowerState: noLink(1, absent) linkAndNoPower(2) linkAndReadyForPower(3)
            # linkAndPower(4) linkAndPowerAbnormal(5) linkAndUnknow(6) linkAndLineFail(7)
            metrics=(
                Metric(f"{ENT_POWER}.3", "state_code", "enum", "aux"),
                Metric(f"{ENT_POWER}.3", "ok", "bool", "status", ok_values=(4,)),
            ),
            keep_field="state_code",
            keep_values=PRESENT,
        ),
    ),
)
