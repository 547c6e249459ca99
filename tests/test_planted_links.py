"""A symbolic link planted where the tool writes a file is replaced, never followed.

A folder received from someone else may hold, say, ``report/comparison_metrics.png`` as a link
to a file outside it; writing that name must not overwrite the outside file. Every writer goes
through optimizer/core/files.py (a temporary file in the target folder, renamed over the name). Each
test below plants links at the names one kind of output uses (figures, CSV, Markdown, HTML,
bundle files, QKP files, the benchmark report and export, the timing scripts' CSV) and checks
that the outside files are unchanged and the names now hold regular files. The last test reads
the package's sources: no code outside optimizer/core/files.py opens a file for writing by itself.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pandas as pd
import pytest

from benchmarks.cli import main
from instances import (
    generate_alliance,
    generate_qkp,
    read_qkp,
    read_scenario,
    write_edge_list,
    write_qkp,
    write_scenario,
)

ROOT = Path(__file__).resolve().parents[1]
KEEP = b"outside file: keep me"


def plant(path: Path, outside: Path) -> Path:
    """A link at `path` to a new file in `outside`; returns that file."""
    outside.mkdir(exist_ok=True)
    victim = outside / f"victim-{path.parent.name}-{path.name}"
    victim.write_bytes(KEEP)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)        # an earlier version of the file, if any
    path.symlink_to(victim)
    return victim


def check(links: dict[Path, Path]) -> None:
    for path, victim in links.items():
        assert victim.read_bytes() == KEEP, f"writing {path.name} overwrote the file its link points to"
        assert path.is_file() and not path.is_symlink(), f"{path.name} is still a link"
    folders = {p.parent for p in links}
    leftovers = [p for f in folders for p in f.glob(".*.tmp")]
    assert not leftovers, f"temporary files left behind: {leftovers}"


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("data") / "small"
    write_scenario(generate_alliance(10, seed=1), folder)
    return folder


def test_comparison_report_from_the_command_line(bundle, tmp_path, capsys):
    """The reported case: `alliance compare cmp.toml` on a folder whose report holds links."""
    pytest.importorskip("matplotlib")
    work = tmp_path / "received"
    work.mkdir()
    (work / "small").symlink_to(bundle, target_is_directory=True)
    (work / "cmp.toml").write_text('base = "small"\noutput = "report"\n[solve]\ntime_limit = 20\n'
                                   '[[variant]]\nname = "lean"\nscale_limits = { budget = 0.7 }\n')
    names = ["comparison_metrics.png", "comparison_network.png", "summary.csv", "portfolios.csv", "diffs.csv",
             "report.md", "report.html"]
    links = {work / "report" / n: plant(work / "report" / n, tmp_path / "outside") for n in names}
    assert main(["compare", str(work / "cmp.toml")]) == 0
    check(links)
    assert (work / "report" / "comparison_metrics.png").read_bytes().startswith(b"\x89PNG")


def test_frontier_report_from_the_command_line(bundle, tmp_path, capsys):
    pytest.importorskip("matplotlib")
    out = tmp_path / "fr"
    links = {out / n: plant(out / n, tmp_path / "outside")
             for n in ("frontier.png", "frontier.csv", "report.md", "report.html")}
    assert main(["frontier", str(bundle), "--values", "20,40", "--out", str(out), "--time-limit", "20"]) == 0
    check(links)


def test_bundle_files(bundle, tmp_path):
    folder = tmp_path / "copy"
    write_scenario(read_scenario(bundle), folder)
    links = {folder / n: plant(folder / n, tmp_path / "outside") for n in ("candidates.csv", "scenario.toml")}
    scenario = read_scenario(bundle)
    write_scenario(scenario, folder)
    check(links)
    assert read_scenario(folder).candidates.equals(scenario.candidates)


def test_qkp_files_and_their_old_temporary_names(tmp_path):
    problem = generate_qkp(8, 50, seed=1)
    links = {}
    for name, write in (("a.txt", write_qkp), ("b.txt", write_edge_list)):
        path = tmp_path / "files" / name
        links[path] = plant(path, tmp_path / "outside")
        # the writers once wrote `<name>.tmp` first, a name anyone could plant a link at
        links[path.with_name(name + ".tmp")] = plant(path.with_name(name + ".tmp"), tmp_path / "outside")
        write(problem, path)
        assert read_qkp(path).c.tolist() == problem.c.tolist()
    check({p: v for p, v in links.items() if not p.name.endswith(".tmp")})
    assert all(v.read_bytes() == KEEP for v in links.values())


def test_benchmark_report_and_export(tmp_path):
    pytest.importorskip("matplotlib")
    from benchmarks.harness.report import write_report
    from benchmarks.harness.store import export
    from tests.benchmarks.harness.test_report import frame, run

    runs = frame(run("a", "highs", total_seconds=2.0), run("a", "auto", total_seconds=1.0),
                 run("b", "highs", total_seconds=3.0), run("b", "auto", total_seconds=5.0))
    out = tmp_path / "bench"
    links = {out / n: plant(out / n, tmp_path / "outside") for n in ("report.md", "performance_profile.png")}
    links[out / "runs.csv"] = plant(out / "runs.csv", tmp_path / "outside")
    write_report(runs, out)
    export(runs, out / "runs.csv")
    check(links)
    assert pd.read_csv(out / "runs.csv")["instance"].tolist() == ["a", "a", "b", "b"]


def test_timing_script_csv(tmp_path):
    from benchmarks.timing.speed_targets import _write_csv

    path = tmp_path / "times" / "speed.csv"
    links = {path: plant(path, tmp_path / "outside")}
    _write_csv([{"instance": "a", "seconds": 1.5}], path)
    check(links)


# ---------------------------------------------------------------------------------------------- sources
#: writes that do not go through optimizer/core/files.py, and why they may not
ALLOWED = {
    ("benchmarks/harness/runner.py", "open"): "cell and stderr files in the runner's own fresh temporary folder",
    ("benchmarks/harness/worker.py", "open"): "appends result lines to the runner's file in that folder",
    ("optimizer/solvers/highs.py", "open"): "the null device",
    ("optimizer/reports/figures/canvas.py", "savefig"): "png_bytes: into memory (io.BytesIO) for the web page; "
                                                        "save() writes through replacing",
}
_WRITE_METHODS = ("savefig", "to_csv", "to_parquet", "to_html", "to_json", "to_excel", "write_text", "write_bytes")


def _replacing_targets(tree: ast.AST) -> set[str]:
    """Names bound by `with replacing(...) as NAME`: files of optimizer.core.files, safe to write into."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.With):
            for item in node.items:
                call = item.context_expr
                if isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == "replacing" \
                        and isinstance(item.optional_vars, ast.Name):
                    names.add(item.optional_vars.id)
    return names


def _direct_writes(tree: ast.AST) -> list[tuple[str, int]]:
    """(call, line) of each call that would write a file itself."""
    found = []
    safe_files = _replacing_targets(tree)
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id == "open":
            mode = node.args[1] if len(node.args) > 1 else next((k.value for k in node.keywords if k.arg == "mode"),
                                                                 None)
            if isinstance(mode, ast.Constant) and isinstance(mode.value, str) and set(mode.value) & set("wax+"):
                found.append(("open", node.lineno))
        elif isinstance(func, ast.Attribute) and func.attr in _WRITE_METHODS:
            # pandas' to_csv() and to_parquet(None) return the data; savefig into an open file object
            # (from optimizer.core.files.replacing) is fine: a path as first argument is not
            first = node.args[0] if node.args else None
            if func.attr in ("to_csv", "to_parquet", "to_html", "to_json") and (
                    first is None or (isinstance(first, ast.Constant) and first.value is None)):
                continue
            if func.attr == "savefig" and isinstance(first, ast.Name) and first.id in safe_files:
                continue
            found.append((func.attr, node.lineno))
        elif isinstance(func, ast.Attribute) and func.attr == "open" and node.args:
            mode = node.args[0]
            if isinstance(mode, ast.Constant) and isinstance(mode.value, str) and set(mode.value) & set("wax+"):
                found.append(("open", node.lineno))
    return found


def test_every_file_is_written_through_the_one_writer():
    offenders = []
    for package in ("optimizer", "formulations", "instances", "benchmarks"):
        for path in sorted((ROOT / package).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            if rel == "optimizer/core/files.py":
                continue
            for call, line in _direct_writes(ast.parse(path.read_text(encoding="utf-8"))):
                if (rel, call) not in ALLOWED:
                    offenders.append(f"{rel}:{line}: {call}(...)")
    assert not offenders, ("write through optimizer.core.files (write_text, write_bytes, replacing) instead:\n"
                           + "\n".join(offenders))
