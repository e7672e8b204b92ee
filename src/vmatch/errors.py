"""Exceptions raised by vmatch."""

from __future__ import annotations

__all__ = ["FormatError", "InfeasibleError", "ModelError"]


class ModelError(ValueError):
    """Invalid domain data; the message names the object id and the field.

    Examples
    --------
    >>> raise ModelError("task 't1': field 'headcount' must be in [1, 100000], got 0")
    Traceback (most recent call last):
    ...
    vmatch.errors.ModelError: task 't1': field 'headcount' must be in [1, 100000], got 0
    """


class FormatError(ModelError):
    """Input that cannot be read as a ``vmatch/1`` document (or another format)."""


class InfeasibleError(RuntimeError):
    """The hard requests (pinned pairs, minimum head-counts, composition rules) cannot all hold.

    Attributes
    ----------
    conflict : tuple of str
        A small set of requests that together cannot hold, named like
        ``"pinned v1->t1"`` or ``"min_headcount t3"``.
    """

    def __init__(self, message: str, conflict: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.conflict = conflict
