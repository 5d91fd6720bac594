"""vigil.collector: the site collector that polls devices by SNMP, SSH and ping.

It ships its results through vigil.agent's spool and sender.
"""
