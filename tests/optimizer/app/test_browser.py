"""The web page in a real headless Chromium (Debian's, driven by Playwright): load, solve the bundled
example, change the budget, save two variants, compare them, download the report, run the budget
frontier, and upload a broken bundle whose error names the file, row and column. Screenshots go to
$BROWSER_ARTIFACTS (default browser-artifacts/). Run with `make test-browser` (it installs Chromium);
skipped with the reason where Chromium or Playwright is missing."""

from __future__ import annotations

import io
import os
import shutil
import socket
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "examples" / "alliance-60"
ARTIFACTS = Path(os.environ.get("BROWSER_ARTIFACTS", ROOT / "browser-artifacts"))
CHROMIUM = os.environ.get("CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
#: flags for a headless Chromium as root on a machine without outside network
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server():
    pytest.importorskip("dash", reason="the page needs the app extra: pip install -e '.[app]'")
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "benchmarks.cli", "app", str(EXAMPLE), "--port", str(port)],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
        except OSError:
            if proc.poll() is not None:
                pytest.fail(f"alliance app exited: {proc.stdout.read()}")
            time.sleep(0.2)
    yield url
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="module")
def page(server):
    sync_api = pytest.importorskip("playwright.sync_api", reason="browser tests need Playwright: "
                                                                 "pip install -e '.[browser]'")
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM}: install Debian's chromium (make test-browser does) or set CHROMIUM")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
        tab = context.new_page()
        tab.set_default_timeout(60_000)
        yield tab
        browser.close()


def _setting(key: str) -> str:
    return f'input[id=\'{{"key":"{key}","type":"setting"}}\']'


def _shot(page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_a_manager_solves_compares_downloads_and_sees_upload_errors(page, server, tmp_path):
    t0 = time.monotonic()
    page.goto(server)
    page.wait_for_selector("#grid .ag-row")
    assert page.inner_text("#scenario-name") == "base case"
    _shot(page, "1-loaded")

    page.click("#solve")
    page.wait_for_selector("#proof")
    assert "Proven best" in page.inner_text("#proof")
    assert page.locator("#partners .ag-row").count() >= 2
    first = page.inner_text("#result-status")
    _shot(page, "2-solved")

    page.fill(_setting("budget"), "110")
    page.press(_setting("budget"), "Enter")
    page.click("#solve")
    page.wait_for_function("(old) => { const e = document.querySelector('#result-status'); "
                           "return e && e.innerText !== old; }", arg=first)
    second = page.inner_text("#result-status")
    assert float(second.split("objective ")[1].split(",")[0]) < float(first.split("objective ")[1].split(",")[0])

    page.fill("#variant-name", "lean")
    page.click("#save-variant")
    page.wait_for_selector("#variants input[value='lean']")
    page.fill(_setting("budget"), "200")
    page.press(_setting("budget"), "Enter")
    page.fill("#variant-name", "rich")
    page.click("#save-variant")
    page.wait_for_selector("#variants input[value='rich']")
    page.click("#compare")
    page.wait_for_selector("#comparison-text")
    text = page.inner_text("#comparison-text")
    assert "lean" in text and "rich" in text and "objective at lean's weights" in text
    _shot(page, "3-compared")

    with page.expect_download() as download:
        page.click("#download-report")
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert {"report.md", "report.html"} <= set(zipfile.ZipFile(saved).namelist())

    page.fill("#analysis-option", "budget")         # the frontier over the budget (the default analysis)
    page.click("#run-analysis")
    page.wait_for_selector("#analysis-title")
    assert "frontier" in page.inner_text("#analysis-title") and page.locator("#analysis-table .ag-row").count() >= 2
    _shot(page, "4-frontier")

    broken = tmp_path / "broken.zip"
    with zipfile.ZipFile(broken, "w") as zf:
        for name in ("scenario.toml", "pairs.csv"):
            zf.write(EXAMPLE / name, name)
        rows = (EXAMPLE / "candidates.csv").read_text(encoding="utf-8").splitlines()
        header = rows[0].split(",")
        cells = rows[5].split(",")
        cells[header.index("reputation")] = "high"
        rows[5] = ",".join(cells)
        zf.writestr("candidates.csv", "\n".join(rows) + "\n")
    page.set_input_files("#upload input[type=file]", str(broken))
    page.wait_for_function("() => document.querySelector('#upload-error').innerText.length > 0")
    error = page.inner_text("#upload-error")
    assert "broken.zip/candidates.csv" in error and "row 6" in error and "'reputation'" in error
    assert page.inner_text("#scenario-name") == "base case"      # the scenario the user had is kept
    _shot(page, "5-upload-error")
    print(f"browser flow: {time.monotonic() - t0:.1f} s")


def test_the_downloaded_scenario_is_a_bundle_with_the_pages_settings(page, server, tmp_path):
    page.goto(server)
    page.wait_for_selector("#grid .ag-row")
    page.fill(_setting("budget"), "150")
    page.press(_setting("budget"), "Enter")
    page.wait_for_timeout(300)
    with page.expect_download() as download:
        page.click("#download-bundle")
    data = Path(download.value.path()).read_bytes()
    from optimizer.app.session import read_bundle_zip

    assert read_bundle_zip(data).limits["budget"] == 150
    assert "candidates.csv" in zipfile.ZipFile(io.BytesIO(data)).namelist()
