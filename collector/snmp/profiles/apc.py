"""APC (Schneider) PowerNet-MIB: Smart-UPS battery, input and output (upsBasic/upsAdv), and the
load of switched/metered rack PDUs (rPDULoadStatusTable)."""

from vigil.collector.snmp.profiles import Metric, Profile, Table

UPS = "1.3.6.1.4.1.318.1.1.1"
PDU_LOAD = "1.3.6.1.4.1.318.1.1.12.2.3.1.1"  # rPDULoadStatusEntry

PROFILE = Profile(
    name="apc",
    vendor="APC",
    description="APC Smart-UPS and rack PDU",
    match=("1.3.6.1.4.1.318",),
    tables=(
        Table(
            measurement="ups",
            scalar=True,
            tags=(("source", "apc"),),
            metrics=(
                # upsBasicOutputStatus: onLine(2) onBattery(3) ...
                Metric(f"{UPS}.4.1.1.0", "on_battery", "bool", "status", ok_values=(3,)),
                Metric(f"{UPS}.2.2.1.0", "battery_charge_percent", "percent"),  # upsAdvBatteryCapacity
                Metric(f"{UPS}.2.2.2.0", "battery_temperature_celsius", "celsius"),
                # upsAdvBatteryRunTimeRemaining is TimeTicks (hundredths of a second)
                Metric(f"{UPS}.2.2.3.0", "battery_runtime_seconds", "seconds", scale=0.01),
                # upsAdvBatteryReplaceIndicator: noBatteryNeedsReplacing(1) batteryNeedsReplacing(2)
                Metric(f"{UPS}.2.2.4.0", "battery_replace", "bool", "status", ok_values=(2,)),
                Metric(f"{UPS}.3.2.1.0", "input_voltage_volts", "volts"),
                Metric(f"{UPS}.4.2.1.0", "output_voltage_volts", "volts"),
                Metric(f"{UPS}.4.2.3.0", "load_percent", "percent"),
            ),
        ),
        Table(
            measurement="pdu",
            label_tag="bank",
            metrics=(
                Metric(f"{PDU_LOAD}.2", "load_amps", "amps", scale=0.1),  # tenths of amps
                # rPDULoadStatusLoadState: normal(1) lowLoad(2) nearOverload(3) overload(4)
                Metric(f"{PDU_LOAD}.3", "ok", "bool", "status", ok_values=(1, 2)),
            ),
        ),
    ),
)
