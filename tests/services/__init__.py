"""Real services started by the tests on loopback (snmpd, snmpsim, sshd)."""
