"""The collector tests use the shared device fixtures (tests/services/device_peers.py)."""
