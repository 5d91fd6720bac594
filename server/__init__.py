"""vigil.server: the FastAPI server, persistence, ingest, tickets, notifications and reports."""
