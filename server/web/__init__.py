"""The web desk: server-rendered pages (Jinja2) in Chinese and English, session-cookie login."""
