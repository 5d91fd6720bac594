"""Session fixtures for the devices the collector polls: net-snmp snmpd, snmpsim, OpenSSH sshd,
and paramiko-served SSH network devices with password authentication.

Shared by every test that needs them (collector, dashboards), so each starts once a session.

Under CI=true a missing service fails the run; elsewhere it skips with the reason.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.services import snmpd as snmpd_service
from tests.services import snmpsim as snmpsim_service
from tests.services import ssh_device as ssh_device_service
from tests.services import sshd as sshd_service


def missing(what: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what} is required under CI=true")
    pytest.skip(f"{what} is not available here")


@pytest.fixture(scope="session")
def snmpd() -> Iterator[snmpd_service.Snmpd]:
    if not snmpd_service.have_snmpd():
        missing("net-snmp snmpd and snmpwalk (Debian: snmpd, snmp)")
    agent = snmpd_service.start_snmpd()
    try:
        yield agent
    finally:
        snmpd_service.stop_snmpd(agent)


@pytest.fixture(scope="session")
def snmpsim() -> Iterator[snmpsim_service.Snmpsim]:
    try:
        snmpsim_service.responder()
        import snmpsim_data  # noqa: F401
    except (FileNotFoundError, ImportError):
        missing("snmpsim and snmpsim-data")
    sim = snmpsim_service.start_snmpsim()
    try:
        yield sim
    finally:
        snmpsim_service.stop_snmpsim(sim)


@pytest.fixture(scope="session")
def sshd() -> Iterator[sshd_service.Sshd]:
    if not sshd_service.have_sshd():
        missing("OpenSSH sshd and ssh-keygen (Debian: openssh-server, openssh-client)")
    daemon = sshd_service.start_sshd()
    try:
        yield daemon
    finally:
        sshd_service.stop_sshd(daemon)


@pytest.fixture(scope="session")
def ssh_devices() -> Iterator[dict[str, ssh_device_service.SshDevice]]:
    """Password-authenticated SSH devices (paramiko server side) answering captured outputs:
    ``huawei_vrp`` and ``h3c_comware``. Needs nothing outside the Python environment."""
    devices = ssh_device_service.start_ssh_devices()
    try:
        yield devices
    finally:
        ssh_device_service.stop_ssh_devices(devices)
