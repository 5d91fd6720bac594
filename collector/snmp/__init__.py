"""SNMP polling: the client, data profiles, counter rates and the poller."""
