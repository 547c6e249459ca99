"""Alliance portfolio selection: canonical problem, solve(), verified results.

The public API, re-exported lazily: `import optimizer.core` (the canonical problem
and the result types) loads numpy and nothing else, and `from optimizer import
solve` loads the engine only then. The layers and what each may import are in
docs/architecture.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from optimizer.core.exports import lazy_exports
from optimizer.core.version import __version__  # noqa: F401 - the public version, written in optimizer/core

#: public name -> the module that defines it
_EXPORTS: dict[str, str] = {
    **dict.fromkeys(("AllianceError", "FormulationError", "ProblemError", "ResourceError", "SolverError",
                     "SolverUnavailableError", "VerificationError"), "optimizer.core.errors"),
    "SelectionProblem": "optimizer.core.problem",
    "ConcavePart": "optimizer.core.problem",
    "Result": "optimizer.core.result",
    "Termination": "optimizer.core.result",
    **dict.fromkeys(("Focal", "ForeignValue", "Level", "Peers", "Policy", "Strategy"), "optimizer.domain.settings"),
    "Scenario": "optimizer.domain.scenario",
    "Uncertainty": "optimizer.domain.uncertainty",
    "Scoring": "optimizer.domain.scoring",
    "PortfolioReport": "optimizer.domain.report",
    "WhyNot": "optimizer.domain.report",
    "solve": "optimizer.engine.solve",
    "available_solvers": "optimizer.solvers",
    "Comparison": "optimizer.analysis.compare",
    "compare": "optimizer.analysis.compare",
    "Frontier": "optimizer.analysis.frontier",
    "frontier": "optimizer.analysis.frontier",
    "what_it_takes": "optimizer.analysis.sensitivity",
    "Robustness": "optimizer.analysis.robust",
    "robustness": "optimizer.analysis.robust",
    "plot_robustness": "optimizer.reports.figures",
    "plot_what_it_takes": "optimizer.reports.figures",
    "write_robustness_report": "optimizer.reports.decision_report",
    "write_takes_report": "optimizer.reports.decision_report",
    "plot_comparison": "optimizer.reports.figures",
    "plot_frontier": "optimizer.reports.figures",
    "write_comparison_report": "optimizer.reports.comparison_report",
    "write_frontier_report": "optimizer.reports.comparison_report",
}

__all__ = sorted(_EXPORTS)


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())


if TYPE_CHECKING:  # what static checkers and editors see
    from optimizer.analysis.compare import Comparison, compare
    from optimizer.analysis.frontier import Frontier, frontier
    from optimizer.analysis.robust import Robustness, robustness
    from optimizer.analysis.sensitivity import what_it_takes
    from optimizer.core.errors import (
        AllianceError,
        FormulationError,
        ProblemError,
        ResourceError,
        SolverError,
        SolverUnavailableError,
        VerificationError,
    )
    from optimizer.core.problem import ConcavePart, SelectionProblem
    from optimizer.core.result import Result, Termination
    from optimizer.domain.report import PortfolioReport, WhyNot
    from optimizer.domain.scenario import Scenario
    from optimizer.domain.scoring import Scoring
    from optimizer.domain.settings import Focal, ForeignValue, Level, Peers, Policy, Strategy
    from optimizer.domain.uncertainty import Uncertainty
    from optimizer.engine.solve import solve
    from optimizer.reports.comparison_report import write_comparison_report, write_frontier_report
    from optimizer.reports.decision_report import write_robustness_report, write_takes_report
    from optimizer.reports.figures import plot_comparison, plot_frontier, plot_robustness, plot_what_it_takes
    from optimizer.solvers import available_solvers
