"""ENTITY-MIB entPhysicalTable: model, serial and firmware of the chassis and its modules."""

from vigil.collector.snmp.profiles import Metric, Profile, Table

ENT = "1.3.6.1.2.1.47.1.1.1.1"

PROFILE = Profile(
    name="entity",
    description="ENTITY-MIB inventory of chassis (class 3) and modules (class 9)",
    standard=True,
    tables=(
        Table(
            measurement="device_entity",
            label_tag="entity",
            label_oids=(f"{ENT}.7", f"{ENT}.2"),  # entPhysicalName, else entPhysicalDescr
            metrics=(
                Metric(f"{ENT}.5", "class_code", "enum", "gauge"),
                Metric(f"{ENT}.2", "description", "text", "text"),
                Metric(f"{ENT}.8", "hardware_rev", "text", "text"),
                Metric(f"{ENT}.9", "firmware", "text", "text"),
                Metric(f"{ENT}.10", "software", "text", "text"),
                Metric(f"{ENT}.11", "serial", "text", "text"),
                Metric(f"{ENT}.12", "vendor", "text", "text"),
                Metric(f"{ENT}.13", "model", "text", "text"),
            ),
            keep_field="class_code",
            keep_values=(3, 9),
            every_polls=60,
        ),
    ),
)
