"""Any solver Pyomo knows, on the same array models: `solver="pyomo:<name>"`.

The Pyomo model is built from the formulation's CSR arrays one row at a time
(LinearExpression from array slices), never term by term. Solvers of Pyomo's
newer interface (highs, scip_direct, gurobi_direct, ...) are used through it;
older ones (cbc, glpk, cplex, ...) through the legacy SolverFactory.
"""

from __future__ import annotations

import io
import sys
import time
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np

from optimizer.core.result import Termination
from optimizer.solvers.base import Adapter as SolverBase
from optimizer.solvers.base import Capabilities, RawAnswer, SolveOptions

if TYPE_CHECKING:
    from formulations.model import MipModel
    from optimizer.core.problem import SelectionProblem

#: Pyomo solvers known to accept a quadratic objective over binaries.
#: (Pyomo's newer gurobi_direct compiles a linear standard form only: quadratic objectives go
#: through gurobi_persistent or gurobi_direct_minlp.)
QUADRATIC_SOLVERS = {"scip_direct", "scip_persistent", "gurobi_persistent", "gurobi_direct_minlp", "gurobi",
                     "cplex", "cplex_direct", "xpress", "xpress_direct", "scip"}

#: option names of legacy solvers: (time limit, relative gap, threads)
LEGACY_OPTION_NAMES = {
    "cbc": ("seconds", "ratioGap", "threads"),
    "glpk": ("tmlim", "mipgap", None),
    "cplex": ("timelimit", "mipgap", "threads"),
    "cplex_direct": ("timelimit", "mipgap", "threads"),
    "gurobi": ("TimeLimit", "MIPGap", "Threads"),
    "xpress": ("maxtime", "miprelstop", "threads"),
}


def _contrib_factory():
    from pyomo.contrib.solver.common.factory import SolverFactory

    return SolverFactory


_GUROBI_LIMIT: list = []


def gurobi_size_limit() -> tuple[int, int] | None:
    """Probe gurobipy once: the pip licence solves at most 2000 variables and 2000 constraints."""
    if not _GUROBI_LIMIT:
        limit = None
        try:
            import gurobipy as gp

            with gp.Env(params={"OutputFlag": 0}) as env, gp.Model(env=env) as m:
                m.addVars(2001, ub=1.0)
                try:
                    m.optimize()
                except gp.GurobiError as exc:
                    if getattr(exc, "errno", None) == 10010:  # "Model too large for size-limited license"
                        limit = (2000, 2000)
        except Exception:  # no gurobipy or no licence: availability() reports that
            pass
        _GUROBI_LIMIT.append(limit)
    return _GUROBI_LIMIT[0]


class Adapter(SolverBase):
    """Pyomo model from the array model, solved by the named Pyomo solver."""

    #: a Python object per term, then the solver's own copy: about 2,200 bytes per nonzero (measured,
    #: benchmarks/timing/memory_estimates.py)
    capabilities = Capabilities(model=True, suffix="required", bytes_per_nonzero=2200.0)
    suffix_hint = "a Pyomo solver name after ':', e.g. 'pyomo:highs' or 'pyomo:scip_direct'"

    def __init__(self, solver_name: str) -> None:
        self.solver_name = solver_name
        self.name = f"pyomo:{solver_name}"
        # Pyomo knows which of its solvers take a quadratic objective: this adapter declares it per solver
        self.capabilities = replace(Adapter.capabilities, quadratic=solver_name in QUADRATIC_SOLVERS)

    def _is_contrib(self) -> bool:
        return self.solver_name in _contrib_factory()     # the factory's own membership test

    def availability(self) -> tuple[bool, str]:
        """Ask Pyomo whether the solver (and its licence) is present."""
        try:
            import pyomo.environ  # noqa: F401
        except Exception as exc:
            return False, f"pyomo cannot be imported ({exc}); pip install pyomo"
        try:
            if self._is_contrib():
                avail = _contrib_factory()(self.solver_name).available()
                ok = bool(avail)
                detail = avail.name
                if ok:
                    detail += " " + ".".join(str(v) for v in (_contrib_factory()(self.solver_name).version() or ()))
                else:
                    detail = f"{avail.name}: the solver package or its licence is missing"
                return ok, detail.strip()
            from pyomo.opt import SolverFactory

            if self.solver_name not in SolverFactory:
                return False, f"Pyomo knows no solver named {self.solver_name!r}"
            opt = SolverFactory(self.solver_name)
            ok = bool(opt.available(exception_flag=False))
            return ok, ("available" if ok else f"Pyomo solver {self.solver_name!r} found no executable or package")
        except Exception as exc:
            return False, f"{type(exc).__name__}: {exc}"

    def size_limit(self) -> tuple[int, int] | None:
        """(max columns, max rows) of a size-limited licence, or None when the model size is free."""
        if self.solver_name.startswith("gurobi"):
            return gurobi_size_limit()
        return None

    # ------------------------------------------------------------------ build
    @staticmethod
    def build_pyomo(model: MipModel) -> Any:
        """A Pyomo ConcreteModel over columns v[0..num_col-1] from the array model."""
        import pyomo.environ as pe
        from pyomo.core.expr.numeric_expr import LinearExpression

        m = pe.ConcreteModel()
        cols = range(model.num_col)
        lo, up, integ = model.col_lower, model.col_upper, model.integrality
        m.v = pe.Var(cols, bounds=lambda _m, k: (lo[k], up[k]),
                     within=lambda _m, k: pe.Binary if integ[k] and lo[k] >= 0 and up[k] <= 1
                     else (pe.Integers if integ[k] else pe.Reals))
        v = m.v
        start, index, value = model.row_start, model.row_index.tolist(), model.row_value.tolist()
        rlo = [None if not np.isfinite(a) else float(a) for a in model.row_lower]
        rup = [None if not np.isfinite(a) else float(a) for a in model.row_upper]

        def row(_m, r):
            s, e = int(start[r]), int(start[r + 1])
            if s == e:  # an empty row is a constant: Pyomo rejects it as a constraint (diagnosis checks it)
                return pe.Constraint.Skip
            expr = LinearExpression(constant=0.0, linear_coefs=value[s:e], linear_vars=[v[k] for k in index[s:e]])
            return (rlo[r], expr, rup[r])

        m.rows = pe.Constraint(range(model.num_row), rule=row)
        nz = np.flatnonzero(model.col_cost)
        if nz.size == 0 and not model.is_quadratic and model.num_col:
            nz = np.arange(1)  # a constant objective makes some interfaces report "unknown"; keep one 0 * v[0]
        expr = LinearExpression(constant=0.0, linear_coefs=model.col_cost[nz].tolist(),
                                linear_vars=[v[k] for k in nz.tolist()])
        if model.offset:
            expr = expr + float(model.offset)
        if model.is_quadratic:
            expr = expr + pe.quicksum(float(q) * v[int(i)] * v[int(j)]
                                      for i, j, q in zip(model.quad_i, model.quad_j, model.quad_q))
        m.objective = pe.Objective(expr=expr, sense=pe.maximize)
        return m

    # ------------------------------------------------------------------ solve
    def solve(self, problem: SelectionProblem, model: MipModel | None, options: SolveOptions) -> RawAnswer:
        """Build the Pyomo model, solve it, read back status, x, objective and bound."""
        assert model is not None
        t0 = time.perf_counter()
        m = self.build_pyomo(model)
        if options.warm_start is not None:
            for k, val in enumerate(np.asarray(options.warm_start, dtype=float)):
                m.v[k].set_value(float(val), skip_validation=True)
        load_seconds = time.perf_counter() - t0
        log = io.StringIO()
        tee: list = [log] + ([sys.stdout] if options.verbose else [])
        t1 = time.perf_counter()
        if self._is_contrib():
            answer = self._solve_contrib(m, model, options, tee)
        else:
            answer = self._solve_legacy(m, model, options, tee)
        answer.solve_seconds = time.perf_counter() - t1
        answer.load_seconds = load_seconds
        answer.log = log.getvalue() + answer.log
        return answer

    def _solve_contrib(self, m: Any, model: MipModel, options: SolveOptions, tee: list) -> RawAnswer:
        from pyomo.contrib.solver.common.results import SolutionStatus
        from pyomo.contrib.solver.common.results import TerminationCondition as TC

        opt = _contrib_factory()(self.solver_name)
        kwargs: dict[str, Any] = {"load_solutions": False, "raise_exception_on_nonoptimal_result": False,
                                  "tee": tee}
        if options.time_limit is not None:
            kwargs["time_limit"] = float(options.time_limit)
        if options.threads is not None:
            kwargs["threads"] = int(options.threads)
            if self.solver_name == "highs":
                # HiGHS keeps one thread scheduler per process and refuses a new thread count
                # once it runs; reset it (no other HiGHS solve runs in this process meanwhile)
                import highspy

                highspy.Highs.resetGlobalScheduler(True)
        if "rel_gap" in opt.config:
            kwargs["rel_gap"] = 0.0 if options.mip_gap is None else float(options.mip_gap)
        if options.abs_gap is not None and "abs_gap" in opt.config:
            kwargs["abs_gap"] = float(options.abs_gap)
        if options.warm_start is not None and "warmstart_discrete_vars" in opt.config:
            kwargs["warmstart_discrete_vars"] = True
        results = opt.solve(m, **kwargs)
        tc = results.termination_condition
        termination = {
            TC.convergenceCriteriaSatisfied: Termination.OPTIMAL,
            TC.maxTimeLimit: Termination.TIME_LIMIT,
            TC.provenInfeasible: Termination.INFEASIBLE,
            TC.locallyInfeasible: Termination.INFEASIBLE,
            TC.infeasibleOrUnbounded: Termination.INFEASIBLE,
            TC.interrupted: Termination.INTERRUPTED,
            TC.iterationLimit: Termination.INTERRUPTED,
            TC.objectiveLimit: Termination.INTERRUPTED,
        }.get(tc, Termination.ERROR)
        x = objective = None
        columns = None
        if results.solution_status in (SolutionStatus.feasible, SolutionStatus.optimal):
            loader = results.solution_loader
            get = getattr(loader, "get_vars", None) or loader.get_primals  # renamed in Pyomo 6.10
            primals = get()
            columns = self._column_values(m, model, lambda var: primals.get(var))
            x = columns[: model.n_items]
            objective = None if results.incumbent_objective is None else float(results.incumbent_objective)
        bound = results.objective_bound
        bound = float(bound) if bound is not None and np.isfinite(bound) else None
        version = ".".join(str(p) for p in (opt.version() or ()))
        message = "" if termination is not Termination.ERROR else f"Pyomo reported {tc.name}"
        return RawAnswer(termination, x=x, columns=columns, objective=objective, bound=bound, version=version,
                         message=message)

    @staticmethod
    def _column_values(m: Any, model: MipModel, value_of: Any) -> np.ndarray:
        """All column values; a column the solver never saw (in no row, zero cost) sits at its lower bound."""
        out = np.empty(model.num_col)
        for k in range(model.num_col):
            v = value_of(m.v[k])
            out[k] = model.col_lower[k] if v is None else float(v)
        return out

    def _solve_legacy(self, m: Any, model: MipModel, options: SolveOptions, tee: list) -> RawAnswer:
        import pyomo.environ as pe
        from pyomo.opt import SolverFactory
        from pyomo.opt import TerminationCondition as TC

        opt = SolverFactory(self.solver_name)
        names = LEGACY_OPTION_NAMES.get(self.solver_name, (None, None, None))
        for value, key in ((options.time_limit, names[0]), (0.0 if options.mip_gap is None else options.mip_gap,
                                                            names[1]),
                           (options.threads, names[2])):
            if value is not None and key is not None:
                opt.options[key] = value
        kw: dict[str, Any] = {"load_solutions": False, "tee": options.verbose}
        if options.warm_start is not None and getattr(opt, "warm_start_capable", lambda: False)():
            kw["warmstart"] = True
        results = opt.solve(m, **kw)
        tc = results.solver.termination_condition
        termination = {
            TC.optimal: Termination.OPTIMAL, TC.globallyOptimal: Termination.OPTIMAL,
            TC.maxTimeLimit: Termination.TIME_LIMIT, TC.infeasible: Termination.INFEASIBLE,
            TC.infeasibleOrUnbounded: Termination.INFEASIBLE, TC.userInterrupt: Termination.INTERRUPTED,
            TC.maxIterations: Termination.INTERRUPTED, TC.maxEvaluations: Termination.INTERRUPTED,
        }.get(tc, Termination.ERROR)
        x = objective = columns = None
        if len(results.solution) > 0:
            m.solutions.load_from(results)
            columns = self._column_values(m, model, lambda var: var.value)
            x = columns[: model.n_items]
            objective = float(pe.value(m.objective))
        bound = results.problem.upper_bound
        bound = float(bound) if bound is not None and np.isfinite(bound) else None
        version = ".".join(str(p) for p in (opt.version() or ())) if hasattr(opt, "version") else ""
        return RawAnswer(termination, x=x, columns=columns, objective=objective, bound=bound, version=version,
                         message="" if termination is not Termination.ERROR else f"Pyomo reported {tc}")
