"""Every control of the web page, without a browser: settings judged by the engine with the error at the
control it names, the candidate grid, solve / cancel / poll in worker processes, bundles in and out as
zips, variants, the comparison and its report."""

from __future__ import annotations

import base64
import io
import time
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from instances import generate_alliance, read_scenario
from optimizer import solve
from optimizer.analysis.sensitivity import what_it_takes
from optimizer.app.handlers import AppState, grid_columns, grid_rows
from optimizer.app.session import BUNDLE_FILES, bundle_zip, controls, parse_subsidies, read_bundle_zip
from optimizer.app.views import takes_view

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "alliance-60"


@pytest.fixture(scope="module")
def small():
    return generate_alliance(14, n_domains=4, seed=6).replace(name="small")


@pytest.fixture
def state(small):
    state = AppState(small)
    yield state
    state.jobs.shutdown()


def _values(scenario, **changes):
    values = {c.key: c.value for c in controls(scenario)}
    values.update(changes)
    return values


def _wait(state, job, seconds=60.0):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        out = state.poll(job)
        if out["state"] != "running":
            return out
        time.sleep(0.05)
    pytest.fail(f"job still running after {seconds} s")


def test_the_controls_show_the_scenario_and_valid_values_give_no_errors(state, small):
    keys = [c.key for c in controls(small)]
    assert keys[:len(small.limits)] == list(small.limits)
    assert {"reputation_weight", "breadth", "tech_change", "size_min", "subsidies"} <= set(keys)
    assert all(f"domain_weights.{d}" in keys for d in small.domains)
    sid = state.new_session()
    assert state.check(sid, _values(small), grid_rows(small)) == {}


@pytest.mark.parametrize(("change", "key", "words"), [
    ({"budget": -5}, "budget", "budget"),
    ({"breadth": 1.5}, "breadth", "breadth"),
    ({"reputation_weight": -1}, "reputation_weight", ">= 0"),
    ({"size_min": 9, "size_max": 3}, "size_max", "size_min"),
    ({"subsidies": "region:Atlantis=0.5"}, "subsidies", "Atlantis"),
    ({"subsidies": "no equals sign"}, "subsidies", "key=share"),
    ({"tech_change": ""}, "tech_change", "empty"),
])
def test_a_bad_setting_gets_the_engines_message_at_its_control(state, small, change, key, words):
    errors = state.check(state.new_session(), _values(small, **change), grid_rows(small))
    assert key in errors and words in errors[key], errors


def test_a_domain_weight_error_lands_on_that_domain(state, small):
    key = f"domain_weights.{small.domains[1]}"
    errors = state.check(state.new_session(), _values(small, **{key: -2.0}), grid_rows(small))
    assert list(errors) == [key]


def test_blank_bar_and_size_cap_and_subsidies_replace_the_base_settings(state, small):
    session = state.session(state.new_session())
    sc, errors = session.scenario(_values(small, reputation_bar=None, size_max=None,
                                          subsidies="region:Europe=0.5"), grid_rows(small))
    assert errors == {} and sc.strategy.reputation_bar is None and sc.peers.size_max is None
    assert dict(sc.policy.subsidies) == {"region:Europe": "0.5"} or dict(sc.policy.subsidies) == {"region:Europe": 0.5}
    assert parse_subsidies("C001=0.2; region:Latin America=0.8") == {"C001": "0.2", "region:Latin America": "0.8"}


def test_grid_edits_are_judged_with_row_and_column(state, small):
    rows = grid_rows(small)
    columns = {c["field"]: c for c in grid_columns(small)}
    assert columns["use_budget"]["editable"] and not columns["id"]["editable"] and columns["name"]["sortable"]
    rows[2]["use_budget"] = "abc"
    errors = state.check(state.new_session(), _values(small), rows)
    assert "'use_budget' row 2" in errors["table"] and "'abc'" in errors["table"]
    rows = grid_rows(small)
    rows[1][f"k_{small.domains[0]}"] = 1.7
    assert "expected a value in [0, 1]" in state.check(state.new_session(), _values(small), rows)["table"]
    rows = grid_rows(small)
    rows[0]["use_budget"] = "12.5"          # a number typed as text is a number
    sc, errors = state.session(state.new_session()).scenario(_values(small), rows)
    assert errors == {} and sc.candidates["use_budget"].iloc[0] == 12.5


def test_solve_runs_in_a_worker_and_gives_the_engines_answer(state, small):
    sid = state.new_session()
    out = state.solve(sid, _values(small, budget=small.limits["budget"] * 0.8), grid_rows(small), 60)
    done = _wait(state, out["job"])
    expected = solve(small.variant(small.name, budget=small.limits["budget"] * 0.8), time_limit=60)
    view = done["result"]
    assert done["state"] == "done" and view["status"] == "optimal"
    assert view["objective"] == pytest.approx(expected.objective)
    assert {p["id"] for p in view["partners"]} == set(expected.report.partners()["id"])
    assert {t["term"] for t in view["terms"]} >= {"diversity", "redundancy"}
    assert view["proof"].startswith("Proven best")
    assert state.solve(sid, _values(small, budget=-1), grid_rows(small), 60) == \
        {"errors": state.check(sid, _values(small, budget=-1), grid_rows(small))}
    assert "time_limit" in state.solve(sid, _values(small), grid_rows(small), "soon")["errors"]


def test_bundles_go_out_and_come_back_as_zips(state, small, tmp_path):
    sid = state.new_session()
    out = state.bundle(sid, _values(small, budget=123.0), grid_rows(small))
    assert out["filename"] == "small.zip"
    names = zipfile.ZipFile(io.BytesIO(out["content"])).namelist()
    assert set(names) <= set(BUNDLE_FILES) and {"scenario.toml", "candidates.csv"} <= set(names)
    back = read_bundle_zip(out["content"])
    assert back.limits["budget"] == 123.0 and back.ids == small.ids
    up = state.upload(sid, "data:application/zip;base64," + base64.b64encode(bundle_zip(read_scenario(EXAMPLE)))
                      .decode(), "alliance-60.zip")
    assert up["scenario"] == "base case" and len(up["rows"]) == 60 and state.session(sid).base.name == "base case"


def _zip(files: dict[str, str], folder: str = "") -> str:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, text in files.items():
            zf.writestr(folder + name, text)
    return "data:application/zip;base64," + base64.b64encode(buf.getvalue()).decode()


def test_a_broken_upload_names_the_file_row_and_column(state, small):
    files = {n: (EXAMPLE / n).read_text(encoding="utf-8") for n in ("scenario.toml", "candidates.csv", "pairs.csv")}
    lines = files["candidates.csv"].splitlines()
    header = lines[0].split(",")
    cells = lines[3].split(",")
    cells[header.index("use_budget")] = "lots"
    lines[3] = ",".join(cells)
    files["candidates.csv"] = "\n".join(lines) + "\n"
    sid = state.new_session()
    out = state.upload(sid, _zip(files, "alliance-60/"), "mine.zip")
    assert "mine.zip/candidates.csv" in out["error"] and "row 4" in out["error"] and "'use_budget'" in out["error"]
    assert state.session(sid).base.name == "small"          # nothing replaced
    assert "not a zip file" in state.upload(sid, "data:application/zip;base64," + base64.b64encode(b"hello")
                                            .decode(), "x.zip")["error"]
    assert "holds none of" in state.upload(sid, _zip({"notes.txt": "hi"}), "x.zip")["error"]
    assert "could not be read" in state.upload(sid, "data:;base64,@@@", "x.zip")["error"]


def test_variants_compare_cross_evaluated_and_the_report_downloads(state, small):
    sid = state.new_session()
    rows = grid_rows(small)
    assert state.save_variant(sid, "lean", _values(small, budget=small.limits["budget"] * 0.7), rows) == \
        {"variants": ["lean"]}
    assert state.save_variant(sid, "wide", _values(small, breadth=1.0), rows)["variants"] == ["lean", "wide"]
    assert "give the variant a name" in state.save_variant(sid, " ", _values(small), rows)["error"]
    assert "fix the settings first" in state.save_variant(sid, "bad", _values(small, budget=-3), rows)["error"]
    assert "compare some variants first" in state.report(sid)["error"]
    done = _wait(state, state.compare(sid, ["lean", "wide"], 60)["job"])
    view = done["comparison"]
    assert view["names"] == ["lean", "wide"] and "objective at lean's weights" in view["text"]
    assert view["explanations"][0].startswith("wide vs lean: ")
    scores = pd.DataFrame(view["scores"]).set_index("portfolio")
    assert scores.loc["lean", "lean"] == pytest.approx(state.session(sid).comparison.results["lean"].objective,
                                                       abs=1e-3)
    report = state.report(sid)
    names = zipfile.ZipFile(io.BytesIO(report["content"])).namelist()
    assert {"report.md", "report.html", "summary.csv"} <= set(names)
    assert "save at least one variant" in state.compare(state.new_session(), None, 60)["error"]


def test_a_tab_the_server_does_not_know_starts_again_from_the_base(state, small):
    assert state.session("gone-after-restart").base is small
    assert state.poll("no-such-job")["state"] == "unknown"


def test_analyses_run_as_jobs_and_come_back_as_tables_and_figures(state, small):
    from optimizer.domain.uncertainty import Uncertainty

    sid = state.new_session()
    rows = grid_rows(small)
    frontier = _wait(state, state.analyse(sid, _values(small), rows, "frontier", "budget", 60)["job"])
    view = frontier["analysis"]
    starts = [r["start"] for r in view["records"]]
    assert view["kind"] == "frontier" and len(starts) >= 2 and starts == sorted(starts)
    takes_job = state.analyse(sid, _values(small), rows, "takes", None, 60)["job"]    # runs like the frontier
    state.jobs.get(takes_job).process.terminate()                                     # its answer: below
    takes = takes_view(what_it_takes(small, candidates=small.ids[:3], time_limit=60))
    assert [r["id"] for r in takes["records"]] and takes["figure"].startswith("data:image/png;base64,")
    state.session(sid).base = small.replace(uncertainty=Uncertainty(relative={"reputation": 0.3}))
    robust = _wait(state, state.analyse(sid, _values(small), rows, "robust", "3", 60)["job"])["analysis"]
    assert "3 samples" in robust["text"] and robust["records"]
    assert all(r["frequency"] > 0 for r in robust["records"])


@pytest.mark.parametrize(("kind", "option", "words"), [
    ("pareto", None, "unknown analysis 'pareto'"),
    ("frontier", "money", "'money' is not a limit"),
    ("robust", "many", "samples: 'many'"),
    ("robust", "5", "says nothing about how far its estimates"),
])
def test_a_bad_analysis_request_says_what_is_wrong(state, small, kind, option, words):
    out = state.analyse(state.new_session(), _values(small), grid_rows(small), kind, option, 60)
    assert words in out["errors"]["analysis"]


def test_a_bundle_folder_on_this_machine_opens_like_an_upload(state, tmp_path):
    sid = state.new_session()
    out = state.open_folder(sid, str(EXAMPLE))
    assert out["scenario"] == "base case" and len(out["rows"]) == 60
    assert "no such folder" in state.open_folder(sid, str(tmp_path / "nowhere"))["error"]
    assert state.session(sid).base.name == "base case"


def test_tabs_never_wait_for_each_other_the_time_limit_holds_and_cancel_keeps_the_incumbent(small):
    big = generate_alliance(150, seed=3)
    local = AppState(big)
    try:
        timed = local.solve(local.new_session(), _values(big), None, 3)["job"]      # the time limit set on the page
        stopped = local.solve(local.new_session(), _values(big), None, 120)["job"]
        other = local.new_session()
        local.session(other).base = small                                        # another tab, another scenario
        quick = _wait(local, local.solve(other, _values(small), None, 60)["job"], 30)
        assert quick["state"] == "done" and local.poll(timed)["state"] == "running"
        time.sleep(max(0.0, 2.0 - local.jobs.get(stopped).elapsed))             # into the search, then Cancel
        local.cancel(stopped)
        cancelled = _wait(local, stopped, 30)
        assert cancelled["state"] == "done", cancelled
        view = cancelled["result"]
        assert view["status"] == "interrupted" and view["partners"] and view["bound"] >= view["objective"]
        done = _wait(local, timed, 30)
        assert done["result"]["status"] == "time_limit" and done["result"]["partners"]
        assert local.jobs.get(timed).elapsed < 10
    finally:
        local.jobs.shutdown()


def test_the_page_has_a_component_for_every_control_and_a_callback_for_each():
    pytest.importorskip("dash", reason="the page needs the app extra")
    from optimizer.app.page import create_app

    app = create_app(read_scenario(EXAMPLE))
    text = str(app.layout())
    for component in ("grid", "solve", "cancel", "progress", "upload", "folder", "download-bundle", "save-variant",
                      "compare", "download-report", "run-analysis", "time-limit"):
        assert f"id='{component}'" in text, component
    assert all(f"'key': '{key}'" in text for key in ("budget", "breadth", "size_min", "subsidies"))
    triggers = " ".join(str(cb.get("inputs")) for cb in app.callback_map.values())
    for component in ("solve", "cancel", "upload", "open-folder", "download-bundle", "save-variant", "compare",
                      "download-report", "run-analysis", "tick", "grid"):
        assert f"'id': '{component}'" in triggers, component
