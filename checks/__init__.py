"""vigil.checks: rules as data and their pure evaluation (series and time in, transitions out).

No I/O and no other part of vigil is imported here.
"""
