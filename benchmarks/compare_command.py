"""`alliance compare` and `alliance frontier`: scenario comparison on the command line.

    alliance compare FILE.toml [--out DIR] [--time-limit T] [--jobs N]
    alliance frontier BUNDLE [--vary budget|<limit>|cost_weight] [--values 50,80,120 | --points 10]
                             [--out DIR] [--time-limit T] [--jobs N]
    alliance why-not BUNDLE PARTNER [PARTNER ...] [--time-limit T]
    alliance sensitivity BUNDLE [PARTNER ...] [--time-limit T] [--jobs N] [--csv FILE] [--resources] [--plot PNG]
                                [--out DIR]
    alliance robust BUNDLE [--samples 200] [--seed K] [--relative COL=SHARE,...] [--tail 0.1] [--no-robust]
                           [--time-limit T] [--jobs N] [--dask local|ADDRESS] [--csv FILE] [--plot PNG] [--out DIR]

`compare` reads a comparison file (instances/comparison.py: a base bundle,
[solve] options, [[variant]] tables, and optionally [what_it_takes] and [robust]
for the base), solves every scenario, writes the report folder (the file's
`output`, or --out) and prints the table. A variant the model refuses is
shown as invalid beside the others, and the command then exits with status 3 (0 when every variant was valid).
`frontier` solves the bundle at each value of one limit (or of the cost
weight), prints the frontier and writes frontier.csv, frontier.png and
report.md to --out (default: <bundle name>-frontier in the current folder).
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

#: `alliance compare` ran and wrote its report, but some variants were invalid (shown as such in it)
EXIT_INVALID_VARIANT = 3


def _number_list(text: str) -> list[float]:
    values = []
    for item in (t.strip() for t in text.split(",")):
        if not item:
            continue
        try:
            value = float(item)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected comma-separated numbers such as 50,80,120, "
                                             f"got {item!r}") from None
        if not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"expected finite numbers, got {item!r}")
        values.append(value)
    if not values:
        raise argparse.ArgumentTypeError(f"expected comma-separated numbers such as 50,80,120, got {text!r}")
    return values


def _shares(text: str) -> dict[str, float]:
    """`reputation=0.2,k_*=0.1` -> {"reputation": 0.2, "k_*": 0.1} (the model checks names and sizes)."""
    out = {}
    for item in (t.strip() for t in text.split(",")):
        if not item:
            continue
        column, sep, value = item.partition("=")
        try:
            out[column.strip()] = float(value) if sep else math.nan
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected COLUMN=SHARE pairs such as reputation=0.2,k_*=0.1, got "
                                             f"{item!r}") from None
        if not sep:
            raise argparse.ArgumentTypeError(f"expected COLUMN=SHARE pairs such as reputation=0.2,k_*=0.1, got "
                                             f"{item!r}")
    return out


def add_parsers(sub: argparse._SubParsersAction, number: type, whole: type) -> None:
    """Attach `compare` and `frontier` to the `alliance` parser."""
    c = sub.add_parser("compare", help="solve the scenarios of a comparison file side by side and write a report")
    c.add_argument("file", help="comparison file (TOML): base = \"<bundle>\", [solve] options, [[variant]] tables")
    c.add_argument("--out", help="report folder (default: the file's output = ..., or <file stem>-report beside it)")
    c.add_argument("--time-limit", type=number, help="seconds per scenario (overrides [solve] time_limit)")
    c.add_argument("--jobs", type=whole, default=1, help="scenarios solved at a time, one process each (1)")

    f = sub.add_parser("frontier", help="efficient frontier of a scenario bundle as one limit varies")
    f.add_argument("bundle", help="scenario bundle folder (scenario.toml, candidates.csv, pairs.csv)")
    f.add_argument("--vary", default="budget", help="a limit of the scenario (budget, management, ...) or "
                                                    "cost_weight (default: budget)")
    pick = f.add_mutually_exclusive_group()
    pick.add_argument("--values", type=_number_list, help="comma-separated values, e.g. 50,80,120")
    pick.add_argument("--points", type=whole, default=10, help="values spread from 40%% to 120%% of the limit "
                                                               "(0 to 2 for cost_weight); default 10")
    f.add_argument("--out", help="report folder (default: <bundle name>-frontier)")
    f.add_argument("--time-limit", type=number, help="seconds per point")
    f.add_argument("--jobs", type=whole, default=1, help="points solved at a time, one process each (1)")

    w = sub.add_parser("why-not", help="what including a partner would cost: the best portfolio with it")
    w.add_argument("bundle", help="scenario bundle folder (scenario.toml, candidates.csv, pairs.csv)")
    w.add_argument("partners", nargs="+", metavar="PARTNER", help="candidate ids or names (e.g. C017)")
    w.add_argument("--time-limit", type=number, help="seconds per solve")

    s = sub.add_parser("sensitivity", help="what it takes: the gain each partner left out needs to enter, and "
                                           "how far each chosen one's can fall before it leaves")
    s.add_argument("bundle", help="scenario bundle folder (scenario.toml, candidates.csv, pairs.csv)")
    s.add_argument("partners", nargs="*", metavar="PARTNER", help="candidate ids or names (default: all)")
    s.add_argument("--time-limit", type=number, help="seconds per solve")
    s.add_argument("--jobs", type=whole, default=1, help="solves at a time, one process each (1)")
    s.add_argument("--csv", help="also write the table to this CSV file")
    s.add_argument("--resources", action="store_true", help="also what one more unit of each limit is worth")
    s.add_argument("--plot", help="also draw the ranked chart to this PNG file (or folder)")
    s.add_argument("--out", help="also write a report folder: what_it_takes.csv, the chart, report.md and .html")
    s.add_argument("--entry", action="store_true", help="also, for each partner named (or the 3 left out closest to "
                                                        "entering), the smallest subsidy share and budget that bring "
                                                        "it in")

    r = sub.add_parser("robust", help="robustness to estimates: re-solve samples of the candidate table, "
                                      "inclusion frequencies, the portfolio's value, a robust portfolio")
    r.add_argument("bundle", help="scenario bundle folder ([uncertainty] in scenario.toml, uncertainty.csv)")
    r.add_argument("--samples", type=int, default=200, help="samples of the estimates (200)")
    r.add_argument("--seed", type=int, default=0, help="seed of the samples (0): a seed gives the same samples")
    r.add_argument("--relative", type=_shares, help="relative errors, e.g. reputation=0.2,k_*=0.1 (replaces the "
                                                    "bundle's [uncertainty] shares; its uncertainty.csv ranges stay)")
    r.add_argument("--tail", type=number, default=0.1, help="the robust portfolio maximizes the mean of this "
                                                            "share of worst samples (0.1; 0.005 with 200 samples: "
                                                            "the worst case)")
    r.add_argument("--no-robust", action="store_true", help="skip the robust portfolio (one model over all samples)")
    r.add_argument("--time-limit", type=number, help="seconds per solve (each sample, and the robust model)")
    r.add_argument("--jobs", type=whole, default=1, help="samples solved at a time, one process each (1)")
    r.add_argument("--dask", metavar="ADDRESS", help="solve the samples on dask.distributed: 'local' (a cluster "
                                                     "of --jobs workers on loopback) or a scheduler address")
    r.add_argument("--csv", help="also write the per-sample table to this CSV file (the inclusion table beside it)")
    r.add_argument("--plot", help="also draw inclusion frequencies and the value distribution to this PNG (or "
                                  "folder)")
    r.add_argument("--out", help="also write a report folder: the tables, the chart, report.md and report.html")


def run_compare(args: argparse.Namespace) -> int:
    """`alliance compare FILE`."""
    from instances.comparison import read_comparison
    from optimizer.analysis.compare import compare
    from optimizer.reports.comparison_report import format_comparison, write_comparison_report

    spec = read_comparison(args.file)
    options = dict(spec.solve)
    if args.time_limit is not None:
        options["time_limit"] = args.time_limit
    out = Path(args.out) if args.out else spec.output
    cmp = compare(spec.variants, jobs=args.jobs, invalid=spec.invalid, **options)
    takes = rob = None
    if spec.what_it_takes is not None:
        from optimizer.analysis.sensitivity import what_it_takes

        takes = what_it_takes(spec.base, jobs=args.jobs, **spec.what_it_takes, **options)
    if spec.robust is not None:
        from optimizer.analysis.robust import robustness

        rob = robustness(spec.base, jobs=args.jobs, **spec.robust, **options)
    # the files first: a reader that stops early (`| head`) must not cost the report
    path = write_comparison_report(cmp, out, title=spec.title, takes=takes, robust=rob)
    print(format_comparison(cmp))
    if takes is not None:
        print(f"\n{_takes_text(takes)}")
    if rob is not None:
        print(f"\n{rob.summary()}")
    print(f"report written to {path}")
    for name, why in spec.invalid.items():
        print(f"alliance: invalid variant {name!r}: {why}", file=sys.stderr)
    return EXIT_INVALID_VARIANT if spec.invalid else 0


def _takes_text(table: pd.DataFrame) -> str:
    """what_it_takes's table ranked for a terminal: the left-out candidates closest to entering first,
    then the chosen ones closest to leaving."""
    from optimizer.domain.report import POINTS

    table = table.sort_values(["status", "threshold"], ascending=[False, True], na_position="last")
    shown = table[["id", "name", "status", "threshold", "proven", "portfolio at threshold"]]
    return (f"{table.attrs.get('scenario', 'scenario')}: what it takes, in {POINTS}\n"
            + shown.to_string(index=False, float_format=lambda v: f"{v:.4f}"))


def _entries(scenario, table: pd.DataFrame, ids: list[str], options: dict) -> list:
    """subsidy_to_enter and limit_to_enter (budget) for the named partners left out, or the 3 closest."""
    from optimizer.analysis.sensitivity import limit_to_enter, subsidy_to_enter

    left = table[table["status"] == "left out"].dropna(subset=["threshold"]).sort_values("threshold")
    wanted = [c for c in ids if c in set(left["id"])] if ids else list(left["id"].head(3))
    out = []
    for cid in wanted:
        out.append(subsidy_to_enter(scenario, cid, **options))
        if "budget" in scenario.limits:
            out.append(limit_to_enter(scenario, cid, "budget", **options))
    return out


def run_frontier(args: argparse.Namespace) -> int:
    """`alliance frontier BUNDLE`."""
    from instances import read_scenario
    from optimizer.analysis.frontier import frontier
    from optimizer.reports.comparison_report import format_frontier, write_frontier_report

    scenario = read_scenario(args.bundle)
    options = {} if args.time_limit is None else {"time_limit": args.time_limit}
    fr = frontier(scenario, vary=args.vary, values=args.values, points=args.points, jobs=args.jobs, **options)
    folder = Path(args.bundle).resolve()
    if folder.is_file():            # scenario.toml given instead of its folder
        folder = folder.parent
    out = Path(args.out) if args.out else Path(f"{folder.name}-frontier")
    path = write_frontier_report(fr, out, title=f"Efficient frontier of {scenario.name}: {args.vary}")
    print(format_frontier(fr))      # after the files: a reader that stops early must not cost the report
    print(f"report written to {path}")
    return 0


def run_why_not(args: argparse.Namespace) -> int:
    """`alliance why-not BUNDLE PARTNER...`: the recommended portfolio, then for each partner the best
    portfolio that includes it and how many points that costs."""
    from instances import read_scenario
    from optimizer.domain.report import find_candidate, proof_sentence
    from optimizer.engine.solve import solve

    scenario = read_scenario(args.bundle)
    for partner in args.partners:          # every name checked before any solving time is spent
        find_candidate(scenario.candidates, partner)
    options = {} if args.time_limit is None else {"time_limit": args.time_limit}
    result = solve(scenario, **options)
    if not result.has_solution:
        print(f"{scenario.name}: no portfolio ({result.termination.value}): {result.message}")
        return 1
    report = result.report
    print(f"{scenario.name}: recommended portfolio {', '.join(report.partners()['name'])} "
          f"({result.objective:.6g} points). {proof_sentence(result)}")
    for partner in args.partners:
        print(report.why_not(partner))
    return 0


def run_sensitivity(args: argparse.Namespace) -> int:
    """`alliance sensitivity BUNDLE [PARTNER...]`: optimizer.analysis.sensitivity.what_it_takes as a table,
    ranked: the partners left out closest to entering first, then the chosen ones closest to leaving."""
    from instances import read_scenario
    from optimizer.analysis.sensitivity import resource_values, what_it_takes
    from optimizer.core.files import write_text
    from optimizer.domain.report import find_candidate

    scenario = read_scenario(args.bundle)
    ids = [str(scenario.candidates["id"].iloc[find_candidate(scenario.candidates, p)]) for p in args.partners]
    options = {} if args.time_limit is None else {"time_limit": args.time_limit}
    table = what_it_takes(scenario, candidates=ids or None, jobs=args.jobs, **options)
    entries = _entries(scenario, table, ids, options) if args.entry else []
    if args.out:
        from optimizer.reports.decision_report import write_takes_report

        path = write_takes_report(table, args.out, title=f"What it takes: {scenario.name}", entries=entries)
        print(f"report written to {path}")
    print(_takes_text(table))
    if entries:
        print("\nWhat would bring them in")
        print("\n".join(f"  {entry}" for entry in entries))
    elif args.entry:
        print("\nWhat would bring them in: no partner left out has a feasible portfolio that holds it")
    if args.csv:
        write_text(args.csv, table.to_csv(index=False))
        print(f"table written to {args.csv}")
    if args.plot:
        from optimizer.reports.figures import plot_what_it_takes

        print(f"chart written to {plot_what_it_takes(table, args.plot)}")
    if args.resources:
        values = resource_values(scenario, **options)
        print("\nWhat one more unit of each limit is worth (an exact re-solve)")
        print(values.to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    return 0


def run_robust(args: argparse.Namespace) -> int:
    """`alliance robust BUNDLE`: optimizer.analysis.robust.robustness, summarized for a manager."""
    from tqdm import tqdm

    from instances import read_scenario
    from optimizer.analysis.robust import robustness
    from optimizer.core.files import write_text
    from optimizer.domain.uncertainty import Uncertainty

    scenario = read_scenario(args.bundle)
    uncertainty = scenario.uncertainty
    if args.relative is not None:
        uncertainty = Uncertainty(relative=args.relative, ranges=None if uncertainty is None else uncertainty.ranges)
    options = {} if args.time_limit is None else {"time_limit": args.time_limit}
    with tqdm(total=max(args.samples, 0), unit="sample", desc="samples", file=sys.stderr, dynamic_ncols=True,
              disable=not sys.stderr.isatty()) as bar:
        rob = robustness(scenario, uncertainty, samples=args.samples, seed=args.seed, tail=args.tail,
                         robust=not args.no_robust, jobs=args.jobs, dask=args.dask,
                         progress=lambda done, total: bar.update(done - bar.n), **options)
    if args.csv:
        path = Path(args.csv)
        write_text(path, rob.samples.drop(columns=["portfolio"]).to_csv(index=False))
        inclusion = path.with_name(path.stem + "_inclusion.csv")
        write_text(inclusion, rob.inclusion.to_csv(index=False))
        print(f"tables written to {path} and {inclusion}")
    if args.plot:
        from optimizer.reports.figures import plot_robustness

        print(f"chart written to {plot_robustness(rob, args.plot)}")
    if args.out:
        from optimizer.reports.decision_report import write_robustness_report

        print(f"report written to {write_robustness_report(rob, args.out)}")
    print(rob.summary())
    return 0
