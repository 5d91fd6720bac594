"""vigil.agent: the host agent, the wire format, and the durable spool and sender.

It runs on customer hosts, so at run time it needs only psutil and the standard library,
and it imports nothing else of vigil.
"""

__version__ = "0.1.0"
