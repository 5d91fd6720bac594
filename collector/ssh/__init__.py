"""SSH polling: pinned host keys, one connection per device per cycle, pure parsers."""
