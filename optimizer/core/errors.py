"""Error types of the engine.

Every error a user can cause derives from :class:`AllianceError`, so a caller
(and the command line) can catch one type and print one readable line.
"""

from __future__ import annotations


class AllianceError(Exception):
    """Base class of every documented error raised by the engine."""


class ProblemError(AllianceError, ValueError):
    """A `SelectionProblem` (or its input data) is malformed.

    The message names the field, the offending index and how to fix it.
    ``where`` says the same for programs: the path of the offending input in
    the terms of the object that refused it, e.g. ``("focal", "diffusion")``,
    ``("candidates", 3, "k_ai")`` (table, 0-based row or None, column) or
    ``("scoring", "redundancy")``; empty when no single input is at fault.
    File readers turn it into a file, line and key without reading the message.
    """

    def __init__(self, message: str, *, where: tuple[object, ...] = ()) -> None:
        super().__init__(message)
        self.where = tuple(where)


class SolverUnavailableError(AllianceError):
    """The requested solver is unknown or cannot run here; the message says why."""


class FormulationError(AllianceError, ValueError):
    """The requested formulation is unknown or cannot be used with this solver."""


class VerificationError(AllianceError):
    """A solver's answer failed the independent check (infeasible x or wrong objective)."""


class SolverError(AllianceError):
    """A solver failed in a way that left no usable answer."""


class ResourceError(AllianceError):
    """The model would need more memory than the limit allows; the message gives the estimate
    and what to use instead (the heuristic, a sparser formulation)."""
