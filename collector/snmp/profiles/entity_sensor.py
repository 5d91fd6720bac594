"""ENTITY-SENSOR-MIB entPhySensorTable: temperatures, fans, voltages, currents, power."""

from vigil.collector.snmp.profiles import Derive, Metric, Profile, Table

SENS = "1.3.6.1.2.1.99.1.1.1"
ENT_NAME = "1.3.6.1.2.1.47.1.1.1.1.7"

PROFILE = Profile(
    name="entity_sensor",
    description="ENTITY-SENSOR-MIB sensors, scaled by type, scale and precision",
    standard=True,
    tables=(
        Table(
            measurement="device_sensor",
            label_tag="sensor",
            label_oids=(ENT_NAME,),
            metrics=(
                Metric(f"{SENS}.1", "sensor_type", "enum", "aux"),
                Metric(f"{SENS}.2", "sensor_scale", "enum", "aux"),
                Metric(f"{SENS}.3", "sensor_precision", "digits", "aux"),
                Metric(f"{SENS}.4", "sensor_value", "raw", "aux"),
                # entPhySensorOperStatus: ok(1) unavailable(2) nonoperational(3)
                Metric(f"{SENS}.5", "ok", "bool", "status", ok_values=(1,)),
            ),
            derive=(Derive("value", "entity_sensor", "sensor_value"),),
        ),
    ),
)
