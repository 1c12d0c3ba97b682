"""Errors that reach the user as one clear line (the CLI prints them and exits with code 2)."""

from __future__ import annotations


class DcsiteError(Exception):
    """Base class of every error that is the user's to fix: bad input, missing data, bad options."""


class DataError(DcsiteError):
    """A public data file is missing, corrupt, of another version, or lacks a column."""


class InputError(DcsiteError):
    """A user-written input (scenario, option, table) is invalid; the message names where."""
