"""Notification channels: one module each, found by module name (see vigil.server.notify.registry)."""
