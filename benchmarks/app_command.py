"""`alliance app [BUNDLE] [--port 8050] [--host 127.0.0.1]`: the web page for cluster managers.

Serves optimizer.app on this machine only (127.0.0.1) unless --host names another interface,
which is warned about: the page can read and write bundles and start solves for anyone who
reaches it. Opens on the bundled example when no bundle is given.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "alliance-60"
LOOPBACK = ("127.0.0.1", "localhost", "::1")


def add_parser(sub: argparse._SubParsersAction, whole: type) -> None:
    """Attach `app` to the `alliance` parser."""
    a = sub.add_parser("app", help="a local web page: explore, compare and export portfolios without Python")
    a.add_argument("bundle", nargs="?", help="scenario bundle folder to open (default: the bundled example)")
    a.add_argument("--port", type=whole, default=8050, help="port (8050)")
    a.add_argument("--host", default="127.0.0.1", help="interface to listen on (127.0.0.1: this machine only)")


def run(args: argparse.Namespace) -> int:
    """Read the bundle, say where the page is, serve until Ctrl-C."""
    from instances import read_scenario

    scenario = read_scenario(args.bundle or EXAMPLE)     # a bad bundle: one line naming file, row and column
    try:                                                   # after the bundle: a missing extra is said plainly
        from optimizer.app.page import create_app, serve
    except ImportError as exc:
        print(f"alliance: error: {exc}", file=sys.stderr)
        return 2

    if args.host not in LOOPBACK:
        print(f"alliance app: warning: listening on {args.host}, not only on this machine; anyone who reaches it "
              f"can open bundles and start solves here", file=sys.stderr)
    app = create_app(scenario)
    shown = f"[{args.host}]" if ":" in args.host else args.host
    print(f"alliance app: {scenario.name} at http://{shown}:{args.port}/ (Ctrl-C to stop)", flush=True)
    serve(app, host=args.host, port=args.port)
    return 0
