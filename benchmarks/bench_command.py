"""`alliance bench run | report | export`: the benchmark harness on the command line.

    alliance bench run [SUITE.toml] [--instances SET ...] [--solvers a,b] [--formulations f,g]
                       [--time-limit T ...] [--threads N ...] [--mip-gap G] [--memory-limit MB]
                       [--repeat R] [--seed S] [--jobs J] [--grace S] [--results FILE]
                       [--reference FILE] [--rerun] [--keep-logs] [--dask ADDRESS] [--no-progress]
    alliance bench report [--results FILE] [--reference FILE] [--out DIR]
    alliance bench export [--results FILE] OUT.csv|OUT.parquet
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd


def _csv_list(text: str) -> list[str]:
    items = [t.strip() for t in text.split(",") if t.strip()]
    if not items:
        raise argparse.ArgumentTypeError(f"expected a comma-separated list, got {text!r}")
    return items


def add_parser(sub: argparse._SubParsersAction, number: type, whole: type, gap: type, seed: type) -> None:
    """Attach `bench` and its subcommands to the `alliance` parser."""
    bench = sub.add_parser("bench", help="benchmark suites: run, report, export")
    bsub = bench.add_subparsers(dest="bench_command", required=True, parser_class=type(bench))
    run = bsub.add_parser("run", help="run every cell of a suite (resumes: finished cells are skipped)")
    run.add_argument("suite", nargs="?", help="suite TOML file (lists expand to a grid); options override it")
    run.add_argument("--instances", nargs="+", metavar="SET",
                     help="folders of QKP files, QKP files, scenario bundles, or specs such as "
                          "qkp:n=300,density=50,seeds=1-5 and alliance:n=200,seeds=1-10")
    run.add_argument("--solvers", type=_csv_list, help="comma-separated, e.g. auto,highs,pyomo:scip_direct")
    run.add_argument("--formulations", type=_csv_list, help="comma-separated, e.g. auto,standard,glover")
    run.add_argument("--time-limit", type=number, nargs="+", help="seconds per run (several values: a grid)")
    run.add_argument("--threads", type=whole, nargs="+", help="solver threads (several values: a grid)")
    run.add_argument("--mip-gap", type=gap, nargs="+", help="relative gap to stop at (default 0: prove optimality)")
    run.add_argument("--memory-limit", type=number, help="MB of address space per run (default: none)")
    run.add_argument("--repeat", type=whole, help="repetitions; repetition r runs with seed + r")
    run.add_argument("--seed", type=seed, help="seed of the first repetition, a whole number >= 0 (0)")
    run.add_argument("--jobs", type=whole, help="runs at a time on this machine")
    run.add_argument("--grace", type=float, help="seconds past the time limit before a run is killed (15)")
    run.add_argument("--results", help="SQLite results file (default results.sqlite)")
    run.add_argument("--reference", help="CSV of instance,value: known optima or best-known values")
    run.add_argument("--rerun", action="store_true", help="run cells again even when the store has them")
    run.add_argument("--keep-logs", action="store_true",
                     help="keep each run's solver log in the store, compressed (bench export writes them out)")
    run.add_argument("--dask", metavar="ADDRESS", help="run on a dask.distributed cluster, e.g. tcp://127.0.0.1:8786; "
                                                       "'local' starts one on loopback with --jobs workers")
    run.add_argument("--no-progress", action="store_true", help="no progress bar")
    run.add_argument("--report", metavar="DIR", help="write the report to DIR when the suite ends")
    rep = bsub.add_parser("report", help="summary, per-instance table and performance profile of a results file")
    rep.add_argument("--results", default="results.sqlite")
    rep.add_argument("--reference", help="CSV of instance,value (default: optima.csv beside the instance files)")
    rep.add_argument("--out", default="bench-report", help="folder for report.md and the plots (bench-report)")
    exp = bsub.add_parser("export", help="write the runs as CSV (or Parquet with pyarrow)")
    exp.add_argument("out", help="OUT.csv or OUT.parquet")
    exp.add_argument("--results", default="results.sqlite")


def run(args: argparse.Namespace) -> int:
    """Dispatch `alliance bench ...`."""
    return {"run": _run, "report": _report, "export": _export}[args.bench_command](args)


def _references(reference: str | None, runs: pd.DataFrame) -> dict[str, float]:
    """The reference file if one is given, else the optima.csv beside each run's instance file (also
    for single files and patterns), found from the stored path; rows of older stores, which lack it,
    by their instance set as typed then."""
    import pandas as pd

    from benchmarks.harness.instance_sets import folder_reference, read_reference, references_beside

    if reference:
        return read_reference(reference)
    paths = runs["instance_path"] if "instance_path" in runs.columns else pd.Series([None] * len(runs), dtype=object)
    known = paths.notna().to_numpy()
    out: dict[str, float] = {}
    sets = runs["instance_set"] if "instance_set" in runs.columns else pd.Series([None] * len(runs), dtype=object)
    for spec in sorted(set(sets[~known].dropna())):
        out.update(folder_reference(spec))
    out.update(references_beside(paths[known]))
    return out


def _run(args: argparse.Namespace) -> int:
    from benchmarks.harness import report
    from benchmarks.harness.instance_sets import read_reference, references_beside
    from benchmarks.harness.runner import run_suite
    from benchmarks.harness.store import ResultsStore
    from benchmarks.harness.suite import build_suite

    suite = build_suite(args.suite, instances=args.instances, solvers=args.solvers,
                        formulations=args.formulations, time_limit=args.time_limit, threads=args.threads,
                        mip_gap=args.mip_gap, memory_limit=args.memory_limit, repeat=args.repeat, seed=args.seed,
                        jobs=args.jobs, grace=args.grace, results=args.results, reference=args.reference)
    cells, skipped = suite.cells()
    for note in skipped:
        print(f"note: {note}", file=sys.stderr)
    # read before any run, so that a bad reference file is refused before hours of work
    reference = (read_reference(suite.reference) if suite.reference else
                 references_beside(c.instance.path for c in cells if c.instance.path is not None))
    with ResultsStore(suite.results) as store:
        where = f"on {args.dask}" if args.dask else f"{suite.jobs} at a time"
        print(f"suite: {len(cells)} cells ({where}), results in {suite.results}", file=sys.stderr)
        summary = run_suite(cells, store, jobs=suite.jobs, rerun=args.rerun, progress=not args.no_progress,
                            dask=args.dask, keep_logs=args.keep_logs)
        keys = {c.key for c in cells}
        runs = store.runs()
    for note in summary.notes:
        print(f"note: {note}", file=sys.stderr)
    runs = runs[runs["key"].isin(keys)]
    taken = f"{summary.taken} run by another harness at the same time, " if summary.taken else ""
    print(f"{summary.finished} cells run, {summary.skipped} already in {suite.results}, {taken}"
          f"{summary.failures} failures", file=sys.stderr)
    print(report.format_terminal(runs, reference or None))
    if args.report:
        path = report.write_report(runs, args.report, reference or None)
        print(f"report written to {path}")
    if summary.interrupted:
        print(f"interrupted: the {summary.finished} finished cells are kept in {suite.results}; "
              f"run the same command again to resume", file=sys.stderr)
        return 130
    return 0


def _report(args: argparse.Namespace) -> int:
    from benchmarks.harness import report
    from benchmarks.harness.store import open_existing

    with open_existing(args.results) as store:
        runs = store.runs()
    if runs.empty:
        print(f"{args.results} holds no runs yet", file=sys.stderr)
        return 0
    reference = _references(args.reference, runs)
    print(report.format_terminal(runs, reference or None))
    path = report.write_report(runs, Path(args.out), reference or None)
    print(f"report written to {path}")
    return 0


def _export(args: argparse.Namespace) -> int:
    from benchmarks.harness.store import export, open_existing

    with open_existing(args.results) as store:
        runs = store.runs(logs=True)
    path = export(runs, args.out)
    print(f"{len(runs)} runs written to {path}")
    return 0
