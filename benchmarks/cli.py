"""The `alliance` command line.

    alliance solve FILE|BUNDLE|SPEC [--solver S] [--formulation F] [--time-limit T] [--mip-gap G]
                                    [--threads N] [--seed K] [--budget K] [--verbose]
    alliance solvers
    alliance bench run|report|export ...   (see benchmarks/bench_command.py)
    alliance compare FILE.toml [--out DIR] [--time-limit T] [--jobs N]
    alliance frontier BUNDLE [--vary budget] [--values 50,80,120 | --points 10] [--out DIR] [--time-limit T]

FILE is a QKP file (Billionnet-Soutif or edge-list format; --budget picks
one budget of an edge-list file that lists several); BUNDLE a scenario folder
(scenario.toml, candidates.csv, pairs.csv), solved with its portfolio report;
SPEC generates an instance, e.g. `qkp:n=60,density=50,seed=1` or
`alliance:n=60,seed=1`. `compare` and `frontier` are described in
benchmarks/compare_command.py. Bad arguments and bad files print one line on
stderr and exit with status 2; a solver error exits with 1.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

EXIT_ERROR = 1   # the solver failed
EXIT_USAGE = 2   # bad arguments or bad input


class _Parser(argparse.ArgumentParser):
    """argparse that reports errors in one line, without the usage block."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"alliance: error: {message} (see 'alliance --help')\n")


def parse_spec(spec: str, defaults: dict[str, object]) -> dict[str, object]:
    """'qkp:n=60,density=50' -> {'n': 60, 'density': 50.0, ...}: keys and types from `defaults`."""
    _, _, rest = spec.partition(":")
    out = dict(defaults)
    for part in filter(None, rest.split(",")):
        key, eq, value = (t.strip() for t in part.partition("="))
        if not eq or not key:
            raise ValueError(f"bad instance spec {spec!r}: expected key=value items, got {part!r}")
        if key not in defaults:
            raise ValueError(f"bad instance spec {spec!r}: unknown key {key!r}; use {', '.join(defaults)}")
        kind = type(defaults[key])
        try:
            out[key] = value.lower() in ("1", "true", "yes") if kind is bool else kind(value)
        except ValueError:
            raise ValueError(f"bad instance spec {spec!r}: {key}={value!r} is not a {kind.__name__}") from None
    return out


def load_problem(arg: str, budget: int | None = None):
    """A SelectionProblem (QKP file, qkp: spec) or a Scenario (bundle folder, alliance: spec)."""
    from instances import generate_alliance, generate_qkp, read_qkp, read_scenario

    if arg.startswith("alliance:"):
        spec = parse_spec(arg, {"n": 60, "seed": 0, "levels": False})
        return generate_alliance(spec["n"], seed=spec["seed"], levels=spec["levels"])
    if arg.startswith("qkp:"):
        spec = parse_spec(arg, {"n": 100, "density": 50.0, "seed": 0})
        return generate_qkp(spec["n"], spec["density"], spec["seed"])
    path = Path(arg)
    if not path.exists():
        raise FileNotFoundError(f"{arg}: no such file or folder (give a QKP file, a scenario bundle folder, "
                                f"or a spec like qkp:n=60,density=50,seed=1)")
    if budget is not None and path.is_dir():
        raise ValueError("--budget applies to edge-list QKP files, not to scenario bundles")
    return read_scenario(path) if path.is_dir() else read_qkp(path, budget=budget)


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return value


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}")
    return value


def _gap(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a relative gap such as 0.001, got {text!r}") from None
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"expected a relative gap in [0, 1), got {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of `alliance`."""
    ap = _Parser(prog="alliance", description="Alliance portfolio selection: solve, compare scenarios and benchmark.")
    sub = ap.add_subparsers(dest="command", required=True, parser_class=_Parser)
    s = sub.add_parser("solve", help="solve a QKP file or a generated instance and print the result")
    s.add_argument("instance", help="QKP file, scenario bundle folder, or a spec like qkp:n=60,density=50,seed=1 "
                                    "or alliance:n=60,seed=1")
    s.add_argument("--solver", default="auto",
                   help="auto (default: heuristic, bound and reduction, then HiGHS), highs, heuristic, "
                        "bruteforce, pyomo:<name>")
    s.add_argument("--formulation", default="auto", help="auto (default), standard, glover, miqp")
    s.add_argument("--time-limit", type=_positive_float, default=None, help="seconds")
    s.add_argument("--mip-gap", type=_gap, default=None, help="stop at this relative gap (default: prove optimality)")
    s.add_argument("--threads", type=_positive_int, default=None)
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--budget", type=int, default=None, help="which budget of an edge-list QKP file (0-based)")
    s.add_argument("--memory-limit", type=_positive_float, default=None,
                   help="MB the model may take (default: 75%% of the physical memory); a larger model is refused")
    s.add_argument("--verbose", action="store_true", help="show the solver log")
    sub.add_parser("solvers", help="list solvers and whether they can run here")
    from benchmarks import bench_command, compare_command

    bench_command.add_parser(sub, _positive_float, _positive_int, _gap)
    compare_command.add_parsers(sub, _positive_float, _positive_int)
    return ap


def _cmd_solve(args: argparse.Namespace) -> int:
    from optimizer import Termination, solve

    problem = load_problem(args.instance, args.budget)
    print(problem.summary())
    result = solve(problem, solver=args.solver, formulation=args.formulation, time_limit=args.time_limit,
                   mip_gap=args.mip_gap, threads=args.threads, seed=args.seed, verbose=args.verbose,
                   memory_limit=args.memory_limit)
    print(result.summary())
    for stage in result.stages:
        print("stage        " + ", ".join(f"{k}={_short(v)}" for k, v in stage.items()))
    if result.report is not None:
        print()
        print(result.report.to_text())
    return EXIT_ERROR if result.termination is Termination.ERROR else 0


def _short(value: object) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def _cmd_solvers(args: argparse.Namespace) -> int:
    from optimizer import available_solvers

    table = available_solvers()
    for row in table.itertuples():
        mark = "yes" if row.available else "no "
        print(f"{row.solver:<22} {mark}  {row.detail}  [{row.formulations}]")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `alliance` console script."""
    args = build_parser().parse_args(argv)
    from optimizer.errors import AllianceError, SolverError, VerificationError

    try:
        from benchmarks import bench_command, compare_command

        return {"solve": _cmd_solve, "solvers": _cmd_solvers, "bench": bench_command.run,
                "compare": compare_command.run_compare,
                "frontier": compare_command.run_frontier}[args.command](args)
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
