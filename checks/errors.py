"""The errors vigil.checks raises, all under one root.

    ChecksError (ValueError)
    ├── RuleConfigError      a rule, override or rule file is invalid (says which rule and key)
    ├── WindowConfigError    a maintenance window is invalid
    ├── SourceError          a SeriesSource could not answer (raised by its adapter)
    └── ScenarioError        a scenario file is invalid

The server translates these into its own ``VigilError`` tree at its boundary; vigil.checks
imports nothing of vigil, so it cannot raise those itself.
"""

from __future__ import annotations


class ChecksError(ValueError):
    """Root of every error raised by vigil.checks."""


class RuleConfigError(ChecksError):
    """A rule definition or an override is invalid; the message names the rule and the key."""


class WindowConfigError(ChecksError):
    """A maintenance window is invalid."""


class ScenarioError(ChecksError):
    """A scenario file is invalid."""


class SourceError(ChecksError):
    """A :class:`~vigil.checks.source.SeriesSource` could not answer a query.

    Adapters translate their backend's failures into this; the engine then skips the rule for
    that device this round (an unanswered query is not missing data, so nothing changes state).
    """
