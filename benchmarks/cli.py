"""The `alliance` command line.

    alliance solve FILE|BUNDLE|SPEC [--solver S] [--formulation F] [--time-limit T] [--mip-gap G]
                                    [--threads N] [--seed K] [--budget K] [--verbose]
                                    [--json] [--write-solution FILE]
    alliance solvers
    alliance bench run|report|export ...   (see benchmarks/bench_command.py)
    alliance compare FILE.toml [--out DIR] [--time-limit T] [--jobs N]
    alliance frontier BUNDLE [--vary budget] [--values 50,80,120 | --points 10] [--out DIR] [--time-limit T]
    alliance why-not BUNDLE PARTNER [PARTNER ...] [--time-limit T]
    alliance sensitivity BUNDLE [PARTNER ...] [--time-limit T] [--jobs N] [--csv FILE] [--resources] [--plot PNG]
    alliance robust BUNDLE [--samples 200] [--seed K] [--relative COL=SHARE,...] [--tail 0.1] [--jobs N]
                           [--dask local|ADDRESS] [--csv FILE] [--plot PNG]
    alliance app [BUNDLE] [--port 8050] [--host 127.0.0.1]     (the web page; the `app` extra)

FILE is a QKP file (Billionnet-Soutif or edge-list format; --budget picks
one budget of an edge-list file that lists several); BUNDLE a scenario folder
(scenario.toml, candidates.csv, pairs.csv), solved with its portfolio report;
SPEC generates an instance, e.g. `qkp:n=60,density=50,seed=1` or
`alliance:n=60,seed=1`. `compare` and `frontier` are described in
benchmarks/compare_command.py. Bad arguments and bad files print one line on
stderr and exit with status 2; a solver error exits with 1. Output cut short by
the reader (`alliance solve ... | head -1`) ends quietly with status 141, as a
program stopped by SIGPIPE does.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import sys
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

EXIT_ERROR = 1   # the solver failed
EXIT_USAGE = 2   # bad arguments or bad input
EXIT_BROKEN_PIPE = 141   # 128 + SIGPIPE: what the shell reports for a program whose reader went away


class _Parser(argparse.ArgumentParser):
    """argparse that reports errors in one line, without the usage block."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"alliance: error: {message} (see 'alliance --help')\n")


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return value


def _whole_number(low: int) -> Callable[[str], int]:
    """An argparse type: a whole number >= `low` (seeds >= 0: numpy's generators take no negative seeds)."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = low - 1
        if value < low:
            raise argparse.ArgumentTypeError(f"expected a whole number >= {low}, got {text!r}")
        return value

    return parse


_positive_int = _whole_number(1)
_seed = _whole_number(0)


def _solution_file(text: str) -> Path:
    """The --write-solution path, checked before the solve so a typo costs no solving time."""
    path = Path(text)
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{text!r} is a folder; give a file name such as solution.csv")
    folder = path.parent
    if not folder.is_dir():
        raise argparse.ArgumentTypeError(f"folder {str(folder)!r} of {text!r} does not exist; create it first")
    return path


def _gap(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a relative gap such as 0.001, got {text!r}") from None
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"expected a relative gap in [0, 1), got {text!r}")
    return value


def _solver_help() -> str:
    from optimizer.solvers import PIPELINE_DESCRIPTION, solver_names

    return (f"{', '.join(solver_names())}; default auto: {PIPELINE_DESCRIPTION}. "
            f"'alliance solvers' lists which run here")


def _formulation_help() -> str:
    import formulations

    return f"auto (default: chosen per problem), {', '.join(formulations.REGISTRY)}"


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of `alliance`."""
    ap = _Parser(prog="alliance", description="Alliance portfolio selection: solve, compare scenarios and benchmark.")
    sub = ap.add_subparsers(dest="command", required=True, parser_class=_Parser)
    s = sub.add_parser("solve", help="solve a QKP file or a generated instance and print the result")
    s.add_argument("instance", help="QKP file, scenario bundle folder, or a spec like qkp:n=60,density=50,seed=1 "
                                    "or alliance:n=60,seed=1")
    s.add_argument("--solver", default="auto", help=_solver_help())
    s.add_argument("--formulation", default="auto", help=_formulation_help())
    s.add_argument("--time-limit", type=_positive_float, default=None, help="seconds")
    s.add_argument("--mip-gap", type=_gap, default=None, help="stop at this relative gap (default: prove optimality)")
    s.add_argument("--threads", type=_positive_int, default=None)
    s.add_argument("--seed", type=_seed, default=0, help="random seed of the heuristic, a whole number >= 0 "
                                                          "(default 0)")
    s.add_argument("--budget", type=int, default=None, help="which budget of an edge-list QKP file (0-based)")
    s.add_argument("--memory-limit", type=_positive_float, default=None,
                   help="MB the model may take (default: 75%% of the physical memory); a larger model is refused")
    s.add_argument("--verbose", action="store_true", help="show the solver log (on stderr with --json)")
    s.add_argument("--json", action="store_true",
                   help="print one JSON object (termination, objective, bound, gap, times, selected items, "
                        "stages) on stdout and nothing else")
    s.add_argument("--write-solution", type=_solution_file, metavar="FILE",
                   help="write the portfolio to FILE as CSV: item,name,selected (one row per item, "
                        "selected 1 or 0); for a scenario item,id,level,name,selected, one row per partner "
                        "(and engagement level)")
    sub.add_parser("solvers", help="list solvers and whether they can run here")
    from benchmarks import app_command, bench_command, compare_command

    bench_command.add_parser(sub, _positive_float, _positive_int, _gap, _seed)
    compare_command.add_parsers(sub, _positive_float, _positive_int)
    app_command.add_parser(sub, _positive_int)
    return ap


def _cmd_solve(args: argparse.Namespace) -> int:
    from instances.readers import load
    from optimizer import Termination, solve

    quiet = _stdout_to_stderr() if args.json else contextlib.nullcontext()
    with quiet:     # with --json, stdout carries the JSON object alone, whatever a solver prints
        problem = load(args.instance, budget=args.budget)
        if not args.json:
            print(problem.summary())
        result = solve(problem, solver=args.solver, formulation=args.formulation, time_limit=args.time_limit,
                       mip_gap=args.mip_gap, threads=args.threads, seed=args.seed, verbose=args.verbose,
                       memory_limit=args.memory_limit)
    if args.write_solution is not None:
        _write_solution(args.write_solution, problem, result)
    if args.json:
        print(json.dumps(_result_json(args.instance, problem, result), allow_nan=False))
    elif result.report is not None:
        # a scenario speaks of partners and limits: the portfolio report first, the solver's account after
        print()
        print(result.report.to_text())
        print("\nSolver")
        print(f"  {result.solver} {result.solver_version} / formulation {result.formulation}, "
              f"{result.total_seconds:.2f} s" + (f", {result.nodes} nodes" if result.nodes is not None else ""))
        _print_stages(result)
    else:
        print(result.summary())
        _print_stages(result)
    return EXIT_ERROR if result.termination is Termination.ERROR else 0


def _print_stages(result: Any) -> None:
    for stage in result.stages:
        print("stage        " + ", ".join(f"{k}={_full(v)}" for k, v in stage.items()))


def _full(value: object) -> str:
    """A stage value for people: fractional numbers to ten significant digits, as the summary shows
    the objective (not 1.856e+04 for 18560), the rest as text."""
    if isinstance(value, float) or getattr(getattr(value, "dtype", None), "kind", "") == "f":
        return f"{float(value):.10g}"
    return str(value)


@contextlib.contextmanager
def _stdout_to_stderr() -> Iterator[None]:
    """Send everything written to stdout, by Python or by a solver's own code, to stderr."""
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    try:
        with contextlib.redirect_stdout(sys.stderr):
            yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 1)
        os.close(saved)


def _plain(value: Any) -> Any:
    """`value` with numpy scalars and arrays made plain Python; NaN and infinities become None (null)."""
    if isinstance(value, Mapping):      # dicts and Result stages
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "tolist"):     # numpy scalars and arrays
        return _plain(value.tolist())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def _result_json(instance: str, problem: Any, result: Any) -> dict[str, Any]:
    """What `alliance solve --json` prints (documented in README.md, section Command line)."""
    items = [] if result.x is None else [int(i) for i in result.x.nonzero()[0]]
    out = {
        "instance": instance,
        "name": problem.name,
        "termination": result.termination.value,
        "message": result.message,
        "objective": result.objective,
        "bound": result.bound,
        "gap": result.gap,
        "selected": list(result.selected),
        "items": items,
        "solver": result.solver,
        "solver_version": result.solver_version,
        "formulation": result.formulation,
        "build_seconds": result.build_seconds,
        "solve_seconds": result.solve_seconds,
        "total_seconds": result.total_seconds,
        "nodes": result.nodes,
        "stages": result.stages,
    }
    if result.report is not None:
        out["metrics"] = dict(result.report.metrics())
    return _plain(out)


def _write_solution(path: Path, problem: Any, result: Any) -> None:
    """The portfolio as CSV: `item,name,selected` per item of a QKP; for a scenario
    `item,id,level,name,selected` per partner (and level), so it joins back to candidates.csv."""
    import csv
    import io

    from optimizer.core.files import write_text

    if result.x is None:
        print(f"alliance: no portfolio to write to {path} ({result.termination.value}); the file is left as it was",
              file=sys.stderr)
        return
    buf = io.StringIO()
    out = csv.writer(buf, lineterminator="\n")
    if result.report is None:
        out.writerow(["item", "name", "selected"])
        out.writerows([i, name, int(chosen)] for i, (name, chosen) in enumerate(zip(problem.names, result.x)))
    else:
        # a scenario is solved as its compiled problem: one item per partner (or partner and level); the
        # auxiliary items that count foreign partners are the model's, not a choice, and are left out
        compiled = result.report.compiled
        ids = compiled.scenario.ids
        out.writerow(["item", "id", "level", "name", "selected"])
        out.writerows([i, ids[compiled.item_candidate[i]], compiled.item_level[i], compiled.problem.names[i],
                       int(result.x[i])] for i in compiled.partner_items)
    write_text(path, buf.getvalue())


def _cmd_solvers(args: argparse.Namespace) -> int:
    from optimizer import available_solvers

    table = available_solvers()
    rows = [("solver", "runs here", "formulations", "detail")]
    rows += [(r.solver, "yes" if r.available else "no", r.formulations, r.detail) for r in table.itertuples()]
    widths = [max(len(str(row[k])) for row in rows) for k in range(3)]
    for row in rows:
        print("  ".join(f"{str(v):<{w}}" for v, w in zip(row[:3], widths)) + "  " + str(row[3]))
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `alliance` console script."""
    args = build_parser().parse_args(argv)
    from optimizer.core.errors import AllianceError, SolverError, VerificationError

    try:
        from benchmarks import app_command, bench_command, compare_command

        status = {"app": app_command.run, "solve": _cmd_solve, "solvers": _cmd_solvers, "bench": bench_command.run,
                  "compare": compare_command.run_compare,
                  "frontier": compare_command.run_frontier,
                  "why-not": compare_command.run_why_not,
                  "sensitivity": compare_command.run_sensitivity,
                  "robust": compare_command.run_robust}[args.command](args)
        sys.stdout.flush()      # a reader that went away shows here, not at the interpreter's exit
        return status
    except BrokenPipeError:
        # The reader closed the pipe (`| head -1`): not an error. Whatever is still buffered goes
        # to /dev/null, or the interpreter's last flush would fail again on the way out.
        with contextlib.suppress(OSError, ValueError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            os.close(devnull)
        return EXIT_BROKEN_PIPE
    except (SolverError, VerificationError) as exc:
        print(f"alliance: solver error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except (AllianceError, OSError, ValueError) as exc:
        print(f"alliance: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("alliance: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # never a traceback on the command line
        print(f"alliance: internal error: {type(exc).__name__}: {exc} (please report it)", file=sys.stderr)
        return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
