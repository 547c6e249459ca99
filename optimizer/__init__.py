"""Alliance portfolio selection: canonical problem, solve(), verified results."""

from optimizer.errors import (
    AllianceError,
    FormulationError,
    ProblemError,
    ResourceError,
    SolverError,
    SolverUnavailableError,
    VerificationError,
)
from optimizer.problem import SelectionProblem
from optimizer.report import PortfolioReport, WhyNot
from optimizer.scenario import Focal, ForeignValue, Level, Peers, Policy, Scenario, Strategy
from optimizer.scoring import Scoring
from optimizer.result import Result, Termination
from optimizer.solve import solve
from optimizer.solvers import available_solvers
from optimizer.compare import Comparison, Frontier, compare, frontier

__all__ = [
    "AllianceError",
    "Comparison",
    "Frontier",
    "compare",
    "frontier",
    "Focal",
    "ForeignValue",
    "Level",
    "Peers",
    "Policy",
    "PortfolioReport",
    "Scenario",
    "Scoring",
    "Strategy",
    "WhyNot",
    "FormulationError",
    "ProblemError",
    "ResourceError",
    "Result",
    "SelectionProblem",
    "SolverError",
    "SolverUnavailableError",
    "Termination",
    "VerificationError",
    "available_solvers",
    "solve",
]

__version__ = "0.1.0"
