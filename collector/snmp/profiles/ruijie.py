"""Ruijie (Red-Giant) RGOS switches: CPU (RUIJIE-PROCESS-MIB), memory pools (RUIJIE-MEMORY-MIB),
temperatures, fans and power supplies (RUIJIE-SYSTEM-MIB).

Sensor OIDs are taken from the MIB text as published in librenms/librenms mibs/ruijie/
(RUIJIE-SYSTEM-MIB: ruijieSystemMIBObjects = ruijieMgmt(1.3.6.1.4.1.4881.1.1.10.2).1.1).
RUIJIE-ENTITY-MIB's ruijieFanStateTable and ruijiePowerStateTable (ruijieMgmt.21.1.6 / .5) are
not read: a real N18010 (snmpsim-data) answers both MIBs for the same fans and power supplies,
and reading both would give every unit two series. Box switches of the RGOS 10.4 era (S5750)
answer neither table (ruijieSystemFanNUM 0) and report their one temperature as 0, which the
MIB defines as "not supported".
"""

from vigil.collector.snmp.profiles import Metric, Profile, Table

SYSMIB = "1.3.6.1.4.1.4881.1.1.10.2"
MEM = f"{SYSMIB}.35.1.1.1"  # ruijieMemoryPoolEntry
SYSTEM = f"{SYSMIB}.1.1"  # RUIJIE-SYSTEM-MIB ruijieSystemMIBObjects
TEMP = f"{SYSTEM}.23.1"  # ruijieSystemTemperatureEntry
FAN = f"{SYSTEM}.21.1"  # ruijieSystemFanIsNormalEntry
PSU = f"{SYSTEM}.18.1"  # ruijieSystemElectricalSourceIsNormalEntry
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
    ),
)
