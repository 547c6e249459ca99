"""The page: Dash components and the callbacks that wire them to the handlers (handlers.py).

    app = create_app(read_scenario("examples/alliance-60"))
    serve(app, host="127.0.0.1", port=8050)

Dash (the `app` extra) because it is made for data apps in pure Python: an editable, sortable,
filterable grid (dash-ag-grid), uploads and downloads, and callbacks that are plain functions,
so every control is tested without a browser; no hand-written JavaScript. Solves run in worker
processes (jobs.py) polled by an interval, so the page stays responsive and tabs never wait for
each other.
"""

from __future__ import annotations

from typing import Any

from optimizer.app.handlers import ANALYSES, DEFAULT_TIME_LIMIT, AppState, grid_columns, grid_rows
from optimizer.app.session import Control, controls
from optimizer.domain.scenario import Scenario

try:
    import dash_ag_grid as dag
    from dash import ALL, Dash, Input, Output, State, ctx, dcc, html, no_update
except ImportError as exc:       # the page is an optional extra: say how to get it
    raise ImportError("alliance app needs Dash: pip install 'alliance-portfolio[app]' (or -e '.[app]')") from exc

POLL_MS = 400

_STYLE = {"fontFamily": "system-ui, sans-serif", "margin": "0 1rem", "color": "#222"}
_ERROR = {"color": "#b22222", "fontSize": "0.85rem"}


def _control(c: Control) -> html.Div:
    kind = "text" if c.text else "number"
    field = dcc.Input(id={"type": "setting", "key": c.key}, type=kind, value=c.value, debounce=True,
                      min=c.low, max=c.high, step=c.step if c.step is not None else "any",
                      style={"width": "16rem" if c.text else "9rem"})
    return html.Div([html.Label(c.label, htmlFor=f"setting-{c.key}", style={"display": "block", "fontSize": "0.85rem"}),
                     field, html.Div(id={"type": "setting-error", "key": c.key}, style=_ERROR)],
                    style={"margin": "0.3rem 0"})


def control_panel(scenario: Scenario) -> list[Any]:
    """The settings of `scenario` grouped as on the page (limits, strategy, peers, policy)."""
    out: list[Any] = []
    groups: dict[str, list[Control]] = {}
    for c in controls(scenario):
        groups.setdefault(c.group, []).append(c)
    for group, items in groups.items():
        out.append(html.Details([html.Summary(group), *[_control(c) for c in items]], open=group == "limits"))
    return out


def _table(records: list[dict[str, Any]], grid_id: str) -> Any:
    columns = [{"field": k} for k in (records[0] if records else {})]
    return dag.AgGrid(id=grid_id, rowData=records, columnDefs=columns, columnSize="autoSize",
                      dashGridOptions={"domLayout": "autoHeight"}, style={"height": None})


def _plain_table(records: list[dict[str, Any]], table_id: str) -> html.Table:
    """A small two-column table (terms, metrics) as plain HTML."""
    keys = list(records[0]) if records else []
    cell = {"padding": "0.15rem 0.6rem", "borderBottom": "1px solid #eee", "fontSize": "0.85rem"}
    return html.Table(id=table_id, children=[
        html.Tr([html.Th(k, style=cell) for k in keys]),
        *[html.Tr([html.Td(f"{r[k]:.4g}" if isinstance(r[k], float) else str(r[k]), style=cell) for k in keys])
          for r in records]])


def layout(state: AppState, sid: str) -> html.Div:
    """The page for a new tab (its own session id)."""
    scenario = state.session(sid).base
    return html.Div(style=_STYLE, children=[
        dcc.Store(id="session", data=sid), dcc.Store(id="job"), dcc.Download(id="download"),
        dcc.Interval(id="tick", interval=POLL_MS, disabled=True),
        html.H2(["Alliance portfolio: ", html.Span(scenario.name, id="scenario-name")]),
        html.Div([dcc.Upload(id="upload", children=html.Button("Open a bundle (zip)"), accept=".zip", multiple=False),
                  dcc.Input(id="folder", type="text", placeholder="or a bundle folder on this machine",
                            style={"width": "18rem"}),
                  html.Button("Open folder", id="open-folder"),
                  html.Button("Download scenario (zip)", id="download-bundle"),
                  html.Span(id="upload-error", style=_ERROR)], style={"display": "flex", "gap": "0.6rem"}),
        html.Div(style={"display": "flex", "gap": "1.5rem", "alignItems": "flex-start"}, children=[
            html.Div(id="controls", children=control_panel(scenario), style={"minWidth": "18rem"}),
            html.Div(style={"flex": "1", "minWidth": "0"}, children=[
                html.Div([html.Label("time limit (s) ", htmlFor="time-limit"),
                          dcc.Input(id="time-limit", type="number", value=DEFAULT_TIME_LIMIT, min=0.1, debounce=True,
                                    style={"width": "5rem"}),
                          html.Button("Solve", id="solve"), html.Button("Cancel", id="cancel"),
                          html.Progress(id="progress", max=1, value=0, style={"width": "12rem"}),
                          html.Span(id="status")], style={"display": "flex", "gap": "0.6rem", "alignItems": "center"}),
                html.Div(id="time-limit-error", style=_ERROR),
                html.H3("Candidates"), html.Div(id="table-error", style=_ERROR),
                dag.AgGrid(id="grid", rowData=grid_rows(scenario), columnDefs=grid_columns(scenario),
                           dashGridOptions={"undoRedoCellEditing": True}, style={"height": "22rem"}),
                html.H3("Portfolio"), html.Div(id="result"),
                html.H3("Variants"),
                html.Div([dcc.Input(id="variant-name", type="text", placeholder="variant name"),
                          html.Button("Save variant", id="save-variant"),
                          html.Button("Compare", id="compare"),
                          html.Button("Download report (zip)", id="download-report"),
                          html.Span(id="variant-error", style=_ERROR)], style={"display": "flex", "gap": "0.6rem"}),
                dcc.Checklist(id="variants", options=[], value=[], inline=True),
                html.Div(id="comparison"),
                html.H3("Analyses"),
                html.Div([dcc.Dropdown(id="analysis-kind", options=[{"label": label, "value": kind}
                                                                    for kind, (label, _) in ANALYSES.items()],
                                       value="frontier", clearable=False, style={"width": "18rem"}),
                          dcc.Input(id="analysis-option", type="text",
                                    placeholder="limit (frontier) or samples (robustness)"),
                          html.Button("Run analysis", id="run-analysis"),
                          html.Span(id="analysis-error", style=_ERROR)],
                         style={"display": "flex", "gap": "0.6rem", "alignItems": "center"}),
                html.Div(id="analysis"),
            ]),
        ]),
    ])


def _values(ids: list[dict[str, str]], values: list[Any]) -> dict[str, Any]:
    return {i["key"]: v for i, v in zip(ids, values)}


def result_children(view: dict[str, Any]) -> list[Any]:
    """A solve's view (views.result_view) as components."""
    numbers = ", ".join(f"{label} {view[key]:.6g}" for label, key in (("objective", "objective"), ("bound", "bound"))
                        if view.get(key) is not None)
    gap = f", gap {view['gap']:.2%}" if view.get("gap") is not None else ""
    head = [html.P(f"{view['status']}: {numbers}{gap}", id="result-status"),
            html.P(view["proof"] or view["status"], id="proof")]
    if view.get("message"):
        head.append(html.P(view["message"], style=_ERROR))
    if not view["partners"]:
        return head
    head += [html.H4("Chosen partners"), _table(view["partners"], "partners"),
             html.Div(style={"display": "flex", "gap": "2rem"}, children=[
                 html.Div([html.H4("Objective terms"), _plain_table(view["terms"], "terms")]),
                 html.Div([html.H4("Metrics"), _plain_table(view["metrics"], "metrics")])])]
    if view["figure"]:
        head.append(html.Img(src=view["figure"], alt="network of the portfolio", style={"maxWidth": "100%"}))
    return head


def analysis_children(view: dict[str, Any]) -> list[Any]:
    """An analysis's view (views.frontier_view, takes_view, robust_view) as components."""
    out: list[Any] = [html.H4(view["title"], id="analysis-title")]
    if view["text"]:
        out.append(html.Pre(view["text"], id="analysis-text", style={"fontSize": "0.8rem", "whiteSpace": "pre-wrap"}))
    if view["figure"]:
        out.append(html.Img(src=view["figure"], alt=view["title"], style={"maxWidth": "100%"}))
    out.append(_table(view["records"], "analysis-table"))
    return out


def comparison_children(view: dict[str, Any]) -> list[Any]:
    """A comparison's view (views.comparison_view) as components."""
    return [html.H4("Every portfolio scored with every variant's weights"), _table(view["scores"], "scores"),
            html.H4("Why the portfolios differ"),
            html.Ul([html.Li(text) for text in view["explanations"]], id="explanations"),
            html.Pre(view["text"], id="comparison-text", style={"fontSize": "0.8rem", "whiteSpace": "pre-wrap"})]


def _started(out: dict[str, Any]) -> tuple[Any, bool, str]:
    """(job store, interval disabled, error text) for a handler's answer to Solve, Compare or Run."""
    if "job" in out:
        return {"id": out["job"]}, False, ""
    return no_update, True, out.get("error") or "; ".join(out.get("errors", {}).values())


def register(app: Dash, state: AppState) -> None:  # noqa: C901 - one short callback per control
    """Wire every control to its handler."""
    setting = {"type": "setting", "key": ALL}

    @app.callback(Output({"type": "setting-error", "key": ALL}, "children"), Output("table-error", "children"),
                  Input(setting, "value"), Input("grid", "cellValueChanged"),
                  State(setting, "id"), State("grid", "rowData"), State("session", "data"))
    def check(values, _changed, ids, rows, sid):
        errors = state.check(sid, _values(ids, values), rows)
        return [errors.get(i["key"], "") for i in ids], errors.get("table", "")

    started = (Output("job", "data", allow_duplicate=True), Output("tick", "disabled", allow_duplicate=True),
               Output("time-limit-error", "children", allow_duplicate=True))
    page = (State(setting, "value"), State(setting, "id"), State("grid", "rowData"), State("time-limit", "value"),
            State("session", "data"))

    @app.callback(*started, Input("solve", "n_clicks"), *page, prevent_initial_call=True)
    def solve(_n, values, ids, rows, limit, sid):
        return _started(state.solve(sid, _values(ids, values), rows, limit))

    @app.callback(*started, Input("run-analysis", "n_clicks"), *page, State("analysis-kind", "value"),
                  State("analysis-option", "value"), prevent_initial_call=True)
    def analyse(_n, values, ids, rows, limit, sid, kind, option):
        return _started(state.analyse(sid, _values(ids, values), rows, kind, option, limit))

    @app.callback(*started, Input("compare", "n_clicks"), State("variants", "value"), State("time-limit", "value"),
                  State("session", "data"), prevent_initial_call=True)
    def compare(_n, picked, limit, sid):
        return _started(state.compare(sid, picked, limit))

    @app.callback(Output("status", "children", allow_duplicate=True), Input("cancel", "n_clicks"),
                  State("job", "data"), prevent_initial_call=True)
    def cancel(_n, job):
        state.cancel((job or {}).get("id"))
        return "stopping: the best portfolio found so far comes next"

    @app.callback(Output("progress", "value"), Output("status", "children"), Output("result", "children"),
                  Output("comparison", "children"), Output("analysis", "children"),
                  Output("tick", "disabled", allow_duplicate=True),
                  Input("tick", "n_intervals"), State("job", "data"), prevent_initial_call=True)
    def tick(_n, job):
        out = state.poll((job or {}).get("id"))
        running = out["state"] == "running"
        result = result_children(out["result"]) if "result" in out else no_update
        comparison = comparison_children(out["comparison"]) if "comparison" in out else no_update
        analysis = analysis_children(out["analysis"]) if "analysis" in out else no_update
        return out["progress"], out["status"], result, comparison, analysis, not running

    @app.callback(Output("controls", "children"), Output("grid", "rowData"), Output("grid", "columnDefs"),
                  Output("scenario-name", "children"), Output("upload-error", "children"),
                  Output("variants", "options"), Input("upload", "contents"), Input("open-folder", "n_clicks"),
                  State("upload", "filename"), State("folder", "value"), State("session", "data"),
                  prevent_initial_call=True)
    def upload(contents, _open, filename, folder, sid):
        if ctx.triggered_id == "open-folder":
            out = state.open_folder(sid, folder)
        else:
            out = state.upload(sid, contents, filename)
        if "error" in out:
            return no_update, no_update, no_update, no_update, out["error"], no_update
        scenario = state.session(sid).base
        return control_panel(scenario), out["rows"], out["columns"], out["scenario"], "", []

    @app.callback(Output("download", "data"), Output("upload-error", "children", allow_duplicate=True),
                  Input("download-bundle", "n_clicks"), Input("download-report", "n_clicks"),
                  State(setting, "value"), State(setting, "id"), State("grid", "rowData"), State("session", "data"),
                  prevent_initial_call=True)
    def download(_bundle, _report, values, ids, rows, sid):
        if ctx.triggered_id == "download-report":
            out = state.report(sid)
        else:
            out = state.bundle(sid, _values(ids, values), rows)
        if "content" not in out:
            return no_update, out.get("error") or "; ".join(out.get("errors", {}).values())
        return dcc.send_bytes(out["content"], out["filename"]), ""

    @app.callback(Output("variants", "options", allow_duplicate=True), Output("variants", "value"),
                  Output("variant-error", "children"), Input("save-variant", "n_clicks"),
                  State("variant-name", "value"), State(setting, "value"), State(setting, "id"),
                  State("grid", "rowData"), State("variants", "value"), State("session", "data"),
                  prevent_initial_call=True)
    def save(_n, name, values, ids, rows, picked, sid):
        out = state.save_variant(sid, name, _values(ids, values), rows)
        names = out["variants"]
        chosen = [n for n in (picked or []) if n in names] + ([str(name).strip()] if "error" not in out else [])
        return names, list(dict.fromkeys(chosen)), out.get("error", "")


def create_app(base: Scenario) -> Dash:
    """The Dash app on `base`: each page load is a new session (its own settings and variants)."""
    state = AppState(base)
    app = Dash(__name__, title="Alliance portfolio", suppress_callback_exceptions=True)
    app.layout = lambda: layout(state, state.new_session())
    register(app, state)
    app.alliance_state = state           # tests and `serve` reach the jobs through it
    return app


def serve(app: Dash, host: str = "127.0.0.1", port: int = 8050) -> None:
    """Run the server until Ctrl-C (threaded: requests never wait for a solve), then stop the workers."""
    try:
        app.run(host=host, port=port, debug=False, threaded=True)
    finally:
        app.alliance_state.jobs.shutdown()

