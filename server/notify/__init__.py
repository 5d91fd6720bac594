"""Notifications: the transactional outbox, its dispatcher, and one module per channel."""
