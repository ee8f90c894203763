"""One exception hierarchy; every message says what is wrong and what to do.

The CLI maps `BudgetoptError` subclasses to exit code 2 and one line on stderr;
anything else is a bug (exit 1).
"""

from __future__ import annotations


class BudgetoptError(Exception):
    """Base of every error the user can fix."""


class InputError(BudgetoptError):
    """A bad performance log, policy file or option: names the file, row, column or key."""

    def __init__(self, problems: str | list[str], *, source: str | None = None) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        self.source = source
        super().__init__(self._summary())

    def _summary(self) -> str:
        shown = "; ".join(self.problems[:3])
        more = len(self.problems) - 3
        if more > 0:
            shown += f" (and {more} more problem{'s' if more > 1 else ''})"
        return f"{self.source}: {shown}" if self.source else shown


class InfeasiblePolicyError(BudgetoptError):
    """The policy's constraints cannot all hold: names the smallest conflicting set found."""

    def __init__(self, message: str, conflicting: list[str] | None = None) -> None:
        self.conflicting = list(conflicting or [])
        super().__init__(message)


class SolverError(BudgetoptError):
    """The LP solver failed or stopped at a limit before proving optimality."""


class OutputError(BudgetoptError):
    """An output cannot be written where asked: one line naming the option, the path and what to do.

    Raised before anything is written (a bad path) or after every staged file was removed (a write
    that failed), so the user's files are as they were."""

    def __init__(self, message: str, *, path: str | None = None) -> None:
        self.path = path
        super().__init__(message)
