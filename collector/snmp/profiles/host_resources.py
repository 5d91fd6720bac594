"""HOST-RESOURCES-MIB: storage (memory and file systems), processor load and devices."""

from vigil.collector.snmp.profiles import Derive, Metric, Profile, Table

HR = "1.3.6.1.2.1.25"

PROFILE = Profile(
    name="host_resources",
    description="HOST-RESOURCES-MIB hrStorage, hrProcessorLoad, hrDevice",
    standard=True,
    tables=(
        Table(
            measurement="device_storage",
            label_tag="storage",
            label_oids=(f"{HR}.2.3.1.3",),  # hrStorageDescr
            metrics=(
                Metric(f"{HR}.2.3.1.4", "allocation_units", "bytes", "aux"),
                Metric(f"{HR}.2.3.1.5", "size_units", "units", "aux"),
                Metric(f"{HR}.2.3.1.6", "used_units", "units", "aux"),
            ),
            derive=(
                Derive("total_bytes", "product", "size_units", "allocation_units"),
                Derive("used_bytes", "product", "used_units", "allocation_units"),
                Derive("used_percent", "percent", "used_bytes", "total_bytes"),
            ),
            require_nonzero="total_bytes",
        ),
        Table(
            measurement="device_cpu",
            label_tag="unit",
            metrics=(Metric(f"{HR}.3.3.1.2", "util_percent", "percent"),),  # hrProcessorLoad
        ),
        Table(
            measurement="device_component",
            label_tag="component",
            label_oids=(f"{HR}.3.2.1.3",),  # hrDeviceDescr
            tags=(("source", "hr_device"),),
            # hrDeviceStatus: unknown(1) running(2) warning(3) testing(4) down(5)
            metrics=(
                Metric(f"{HR}.3.2.1.5", "status_code", "enum", "gauge"),
                Metric(f"{HR}.3.2.1.5", "ok", "bool", "status", ok_values=(2,)),
            ),
            every_polls=5,
        ),
    ),
)
