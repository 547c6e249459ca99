"""What each control of the page does, as plain functions of plain values: the page (page.py) only
wires them to components, and the tests call them directly (tests/optimizer/app/).

Every handler answers with data, never raises for bad input: errors come back as messages by
control (the engine's own words, with the field, row and column they name).
"""

from __future__ import annotations

import base64
import binascii
import io
import tempfile
import uuid
import zipfile
from pathlib import Path
from typing import Any

from instances.errors import InstanceFormatError
from optimizer.analysis.compare import Comparison
from optimizer.app.jobs import Jobs, compare_scenarios, frontier_of, robustness_of, solve_scenario, takes_of
from optimizer.app.session import Session, bundle_zip, controls, read_bundle_zip
from optimizer.app.views import comparison_view, frontier_view, result_view, robust_view, takes_view
from optimizer.core.errors import AllianceError, ProblemError
from optimizer.domain.scenario import Scenario

#: the time limit a solve gets unless the page says otherwise (seconds)
DEFAULT_TIME_LIMIT = 60.0
#: the analyses the page offers: kind -> (label, the view of its answer)
ANALYSES = {"frontier": ("efficient frontier over a limit", frontier_view),
            "takes": ("what it takes (every candidate)", takes_view),
            "robust": ("robustness to the estimates", robust_view)}


def grid_columns(scenario: Scenario) -> list[dict[str, Any]]:
    """Column definitions of the candidate grid: every column sortable and filterable; the numbers the
    model reads editable (the id, what joins the tables, is not)."""
    numeric = set(scenario.estimated_columns)
    out = []
    for col in scenario.candidates.columns:
        spec: dict[str, Any] = {"field": str(col), "sortable": True, "filter": True, "editable": col != "id"}
        if col in numeric:
            spec["filter"] = "agNumberColumnFilter"
        if col in ("id", "name"):
            spec["pinned"] = "left"
        out.append(spec)
    return out


def grid_rows(scenario: Scenario) -> list[dict[str, Any]]:
    """The candidate table as grid rows (JSON-ready)."""
    table = scenario.candidates
    return table.astype(object).where(table.notna(), None).to_dict("records")


class AppState:
    """The server's state: the scenario it opened on, one Session per browser tab, and the jobs."""

    def __init__(self, base: Scenario) -> None:
        self.base = base
        self.sessions: dict[str, Session] = {}
        self.jobs = Jobs()

    # ------------------------------------------------------------------ sessions
    def new_session(self) -> str:
        """A fresh tab: its id (the page keeps it)."""
        sid = uuid.uuid4().hex
        self.sessions[sid] = Session(self.base)
        return sid

    def session(self, sid: str | None) -> Session:
        """The tab's session; a tab the server does not know (it restarted) starts again from the base."""
        if not sid or sid not in self.sessions:
            sid = sid or uuid.uuid4().hex
            self.sessions[sid] = Session(self.base)
        return self.sessions[sid]

    # ------------------------------------------------------------------ settings
    def check(self, sid: str, values: dict[str, Any], rows: list[dict[str, Any]] | None) -> dict[str, str]:
        """The errors of the page's settings and table, by control key ('table' for the grid); {} when valid."""
        return self.session(sid).scenario(values, rows)[1]

    def upload(self, sid: str, contents: str | None, filename: str | None) -> dict[str, Any]:
        """A bundle zip from the upload control (a data URL): {'scenario': name, 'controls', 'rows', 'columns'},
        or {'error': the reader's message naming the file, row and column}."""
        name = filename or "upload.zip"
        try:
            data = base64.b64decode(str(contents or "").split(",", 1)[-1], validate=True)
        except (binascii.Error, ValueError):
            return {"error": f"{name}: the upload could not be read; upload a zip of a scenario bundle"}
        try:
            scenario = read_bundle_zip(data, name)
        except (InstanceFormatError, ProblemError) as exc:
            return {"error": str(exc)}
        return self._opened(sid, scenario)

    def _opened(self, sid: str, scenario: Scenario) -> dict[str, Any]:
        """The tab now works on `scenario` (its variants and comparison belonged to the old one)."""
        session = self.session(sid)
        session.base, session.variants, session.comparison = scenario, {}, None
        return {"scenario": scenario.name, "controls": controls(scenario), "rows": grid_rows(scenario),
                "columns": grid_columns(scenario)}

    def bundle(self, sid: str, values: dict[str, Any], rows: list[dict[str, Any]] | None) -> dict[str, Any]:
        """The current scenario as a bundle zip: {'content': bytes, 'filename'} or {'errors'}."""
        scenario, errors = self.session(sid).scenario(values, rows)
        if scenario is None:
            return {"errors": errors}
        return {"content": bundle_zip(scenario), "filename": f"{_file_name(scenario.name)}.zip"}

    # ------------------------------------------------------------------ solving
    def solve(self, sid: str, values: dict[str, Any], rows: list[dict[str, Any]] | None,
              time_limit: Any) -> dict[str, Any]:
        """Start solving the page's scenario: {'job': id} or {'errors': by control}."""
        ready = self._prepared(sid, values, rows, time_limit)
        if isinstance(ready, dict):
            return ready
        scenario, limit = ready
        return {"job": self.jobs.start("solve", solve_scenario, (scenario, limit), time_limit=limit, session=sid)}

    def _prepared(self, sid: str, values: dict[str, Any], rows: list[dict[str, Any]] | None,
                  time_limit: Any) -> tuple[Scenario, float | None] | dict[str, Any]:
        """The page's scenario and time limit, or {'errors': by control}."""
        limit, why = _time_limit(time_limit)
        if why:
            return {"errors": {"time_limit": why}}
        scenario, errors = self.session(sid).scenario(values, rows)
        if scenario is None:
            return {"errors": errors}
        return scenario, limit

    def analyse(self, sid: str, values: dict[str, Any], rows: list[dict[str, Any]] | None, kind: str,
                option: Any, time_limit: Any) -> dict[str, Any]:
        """Start an analysis of the page's scenario: 'frontier' over the limit `option` (default the first),
        'takes', or 'robust' with `option` samples (default 50): {'job': id} or {'errors'}."""
        if kind not in ANALYSES:
            return {"errors": {"analysis": f"unknown analysis {kind!r}; choose one of {', '.join(ANALYSES)}"}}
        ready = self._prepared(sid, values, rows, time_limit)
        if isinstance(ready, dict):
            return ready
        scenario, limit = ready
        if kind == "frontier":
            vary = str(option or next(iter(scenario.limits), ""))
            if vary not in scenario.limits:
                limits = ", ".join(scenario.limits)
                return {"errors": {"analysis": f"{vary!r} is not a limit of the scenario ({limits})"}}
            return {"job": self.jobs.start(kind, frontier_of, (scenario, vary, 6, limit), session=sid)}
        if kind == "takes":
            return {"job": self.jobs.start(kind, takes_of, (scenario, limit), session=sid)}
        samples = _whole(option, 50)
        if samples is None:
            return {"errors": {"analysis": f"samples: {option!r}; give a whole number >= 1"}}
        if scenario.uncertainty is None:
            return {"errors": {"analysis": "the scenario says nothing about how far its estimates may be off: give "
                                           "its bundle an [uncertainty] table (reputation = 0.2 for +-20%)"}}
        return {"job": self.jobs.start(kind, robustness_of, (scenario, samples, limit), session=sid)}

    def open_folder(self, sid: str, path: Any) -> dict[str, Any]:
        """A bundle folder on this machine (the page is local): as `upload`."""
        from instances.bundle import read_scenario

        try:
            scenario = read_scenario(str(path or "").strip() or ".")
        except (InstanceFormatError, ProblemError) as exc:
            return {"error": str(exc)}
        return self._opened(sid, scenario)

    def cancel(self, job_id: str | None) -> dict[str, Any]:
        """Ask a running job to stop; the engine returns the best portfolio found so far."""
        job = self.jobs.cancel(job_id) if job_id else None
        return {"state": job.state if job else "unknown"}

    def poll(self, job_id: str | None) -> dict[str, Any]:
        """Where a job stands: state, progress (0..1), a status line, and when finished its view
        ('result' for a solve, 'comparison' for a comparison) or its error."""
        job = self.jobs.poll(job_id) if job_id else None
        if job is None:
            return {"state": "unknown", "progress": 0.0, "status": "no such job (the server restarted?)"}
        out: dict[str, Any] = {"state": job.state, "progress": job.progress, "kind": job.kind}
        if job.state == "running":
            stop = " (stopping...)" if job.cancelled_at is not None else ""
            limit = f" of {job.time_limit:g} s" if job.time_limit else ""
            out["status"] = f"{job.kind}: {job.elapsed:.1f} s{limit}{stop}"
        elif job.state == "done" and job.kind in ANALYSES:
            out["analysis"] = ANALYSES[job.kind][1](job.result)
            out["status"] = f"{ANALYSES[job.kind][0]}: done in {job.elapsed:.1f} s"
        elif job.state == "done" and job.kind == "solve":
            out["result"] = result_view(job.result)
            out["status"] = f"solved in {job.elapsed:.1f} s: {job.result.termination.value}"
        elif job.state == "done":
            session = self.session(job.meta.get("session"))
            session.comparison = job.result
            out["comparison"] = comparison_view(job.result)
            out["status"] = f"compared {len(job.result.names)} variants in {job.elapsed:.1f} s"
        else:
            out["status"] = f"{job.kind} {job.state}" + (f": {job.error}" if job.error else "")
        return out

    # ------------------------------------------------------------------ variants
    def save_variant(self, sid: str, name: Any, values: dict[str, Any],
                     rows: list[dict[str, Any]] | None) -> dict[str, Any]:
        """Save the page's settings as a named variant: {'variants': names} or {'error'}."""
        session = self.session(sid)
        scenario, errors = session.scenario(values, rows)
        if scenario is None:
            return {"error": "fix the settings first: " + "; ".join(errors.values()),
                    "variants": list(session.variants)}
        try:
            session.save(str(name or ""), scenario)
        except ProblemError as exc:
            return {"error": str(exc), "variants": list(session.variants)}
        return {"variants": list(session.variants)}

    def compare(self, sid: str, names: list[str] | None, time_limit: Any) -> dict[str, Any]:
        """Start comparing saved variants (all when none are picked): {'job': id} or {'error'}."""
        session = self.session(sid)
        picked = [n for n in (names or list(session.variants)) if n in session.variants]
        if not picked:
            return {"error": "save at least one variant first (name it, then 'save variant')"}
        limit, why = _time_limit(time_limit)
        if why:
            return {"error": why}
        return {"job": self.jobs.start("compare", compare_scenarios, ([session.variants[n] for n in picked], limit),
                                       time_limit=None if limit is None else limit * len(picked), session=sid)}

    def report(self, sid: str) -> dict[str, Any]:
        """The last comparison's report folder as a zip (report.md, report.html, CSVs, figures):
        {'content', 'filename'} or {'error'}."""
        cmp: Comparison | None = self.session(sid).comparison
        if cmp is None:
            return {"error": "compare some variants first"}
        from optimizer.reports.comparison_report import write_comparison_report

        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp) / "report"
            try:
                write_comparison_report(cmp, folder, title=f"Comparison: {', '.join(cmp.names)}")
            except AllianceError as exc:
                return {"error": str(exc)}
            buf = io.BytesIO()
            with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
                for path in sorted(folder.iterdir()):
                    zf.write(path, path.name)
        return {"content": buf.getvalue(), "filename": "comparison-report.zip"}


def _time_limit(value: Any) -> tuple[float | None, str]:
    """(seconds, '') or (None, why not); blank is the default."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return DEFAULT_TIME_LIMIT, ""
    try:
        limit = float(value)
    except (TypeError, ValueError):
        return None, f"time limit: {value!r} is not a number of seconds"
    if not limit > 0 or limit == float("inf"):
        return None, f"time limit: {value!r}; give a number of seconds > 0"
    return limit, ""


def _whole(value: Any, default: int) -> int | None:
    """A whole number >= 1 from a control (blank: `default`), or None."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return default
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return int(number) if number >= 1 and number == int(number) else None


def _file_name(name: str) -> str:
    """A scenario name as a safe file name."""
    keep = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in str(name)).strip("-")
    return keep or "scenario"
