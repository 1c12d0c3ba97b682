"""Errors that reach the user as one clear line (the CLI prints them and exits with code 2)."""

from __future__ import annotations


class DcsiteError(Exception):
    """Base class of every error that is the user's to fix: bad input, missing data, bad options."""


class DataError(DcsiteError):
    """A public data file is missing, corrupt, of another version, or lacks a column."""


class InputError(DcsiteError):
    """A user-written input (scenario, option, table) is invalid; the message names where."""


class ProblemsError(InputError):
    """Input with several problems at once; ``problems`` lists each one.

    The message is the problem itself when there is one, else a count and the first
    ``max_shown`` problems, one per line.
    """

    kind = "input"
    max_shown = 100
    more_hint = ""

    def __init__(self, source: str, problems: list[str] | tuple[str, ...]):
        self.source = source
        self.problems = list(problems)
        n = len(self.problems)
        if n == 1:
            message = f"{self.kind} {source}: {self.problems[0]}"
        else:
            shown = self.problems[: self.max_shown]
            lines = [f"{self.kind} {source} has {n} problems:", *(f"  {p}" for p in shown)]
            if n > len(shown):
                lines.append(f"  ... and {n - len(shown)} more{self.more_hint}")
            message = "\n".join(lines)
        super().__init__(message)


class ScenarioError(ProblemsError):
    """A scenario with problems; ``problems`` lists each as ``file: row N, column C: ...``."""

    kind = "scenario"
    more_hint = " (dcsite scenario check lists all)"
