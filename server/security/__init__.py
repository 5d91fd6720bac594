"""Passwords, tokens and encryption of secrets at rest."""
