"""UPS-MIB (RFC 1628): battery, input, output of any standard UPS (first input/output line)."""

from vigil.collector.snmp.profiles import Metric, Profile, Table

UPS = "1.3.6.1.2.1.33.1"

PROFILE = Profile(
    name="ups_mib",
    description="UPS-MIB battery status, charge, runtime, load, voltages",
    standard=True,
    tables=(
        Table(
            measurement="ups",
            scalar=True,
            tags=(("source", "ups_mib"),),
            metrics=(
                # upsBatteryStatus: unknown(1) normal(2) low(3) depleted(4)
                Metric(f"{UPS}.2.1.0", "battery_ok", "bool", "status", ok_values=(2,)),
                Metric(f"{UPS}.2.3.0", "battery_runtime_seconds", "seconds", "gauge", scale=60.0),
                Metric(f"{UPS}.2.4.0", "battery_charge_percent", "percent"),
                Metric(f"{UPS}.2.7.0", "battery_temperature_celsius", "celsius"),
                # upsOutputSource: other(1) none(2) normal(3) bypass(4) battery(5) booster(6) reducer(7)
                Metric(f"{UPS}.4.1.0", "on_battery", "bool", "status", ok_values=(5,)),
                Metric(f"{UPS}.3.3.1.3.1", "input_voltage_volts", "volts"),
                Metric(f"{UPS}.4.4.1.2.1", "output_voltage_volts", "volts"),
                Metric(f"{UPS}.4.4.1.5.1", "load_percent", "percent"),
            ),
        ),
    ),
)
