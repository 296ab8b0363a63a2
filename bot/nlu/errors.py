"""The two failures callers handle: bad training data and an unusable model. Both carry one clear line."""

from __future__ import annotations


class NluError(Exception):
    """Base class; ``str(exc)`` is one line meant for a person (the CLI prints it and exits 2)."""


class DataError(NluError):
    """Training data that cannot be used: invalid YAML, unknown keys, contradictory labels, …

    The message names the file and line (``nlu_data/nlu/orders.yml:42: …``).
    """


class ModelError(NluError):
    """A model directory that cannot be loaded: missing, corrupt, or written by another format version."""
