"""Errors of the routing package; app/ turns them into messages for people."""

from __future__ import annotations


class StreetDataError(ValueError):
    """The street data cannot be used (unreadable, empty, or no walkable network)."""


class SnappingError(ValueError):
    """Stops cannot be placed on the street graph (all of them too far from any street)."""
