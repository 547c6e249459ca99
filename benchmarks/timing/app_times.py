"""The web page, measured in Debian's headless Chromium: page load, click-to-portfolio for the bundled
60-candidate example, and the server's memory (idle, and after the solves).

    python benchmarks/timing/app_times.py [--repeats 5] [--bundle examples/alliance-60]

Each repeat loads the page in a new tab (load = until the candidate grid shows rows) and clicks
Solve (click-to-portfolio = until the proof sentence shows), beside the same solve called in this
process (what the page adds: a worker process, polling, drawing the network figure). The server
is `alliance app`, one process; its resident memory (with its workers) is read from /proc. Needs
the app and browser extras and Chromium (`make test-browser` installs it).
"""

from __future__ import annotations

import argparse
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _rss_mb(pid: int) -> float:
    """Resident memory of a process and its children (the solve workers), in MB."""
    total = 0
    pids = [pid] + [int(p) for p in subprocess.run(["pgrep", "-P", str(pid)], capture_output=True,
                                                   text=True).stdout.split()]
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bundle", default=str(ROOT / "examples" / "alliance-60"))
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "benchmarks.cli", "app", args.bundle, "--port", str(port)],
                              cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(300):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        idle = _rss_mb(server.pid)
        loads, solves = [], []
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=args.chromium, args=FLAGS)
            for _ in range(args.repeats):
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                page.set_default_timeout(120_000)
                t0 = time.perf_counter()
                page.goto(f"http://127.0.0.1:{port}/")
                page.wait_for_selector("#grid .ag-row")
                loads.append(time.perf_counter() - t0)
                t0 = time.perf_counter()
                page.click("#solve")
                page.wait_for_selector("#proof")
                solves.append(time.perf_counter() - t0)
                page.close()
            browser.close()
        busy = _rss_mb(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=10)
    print(f"page load (grid shown): median {statistics.median(loads):.2f} s, max {max(loads):.2f} s "
          f"({args.repeats} loads)")
    print(f"click to portfolio shown: median {statistics.median(solves):.2f} s, max {max(solves):.2f} s")
    print(f"server memory: {idle:.0f} MB idle, {busy:.0f} MB after {args.repeats} solves")
    from instances import read_scenario
    from optimizer.engine.solve import solve

    scenario = read_scenario(args.bundle)
    direct = []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        solve(scenario, time_limit=60)
        direct.append(time.perf_counter() - t0)
    print(f"the same solve in this process: median {statistics.median(direct):.2f} s")


if __name__ == "__main__":
    main()
