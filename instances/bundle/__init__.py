"""Scenario bundles: a folder with ``scenario.toml``, ``candidates.csv``, optional ``pairs.csv`` and
``uncertainty.csv``.

People fill a bundle in with a spreadsheet and a text editor, so every complaint
names the file, the line or spreadsheet row, the column or TOML key, and what was
expected. The reader checks what only the files know (TOML types and keys, CSV
cells and rows); the rules that need the settings and the tables together (ids,
regions, policy keys, required domains) are the
:class:`~optimizer.domain.scenario.Scenario`'s own, and its error's ``where`` is
mapped to the file and key. The layout is documented in ``docs/scenario-format.md``.

Typing of table columns, so that :func:`write_scenario` then
:func:`read_scenario` gives back equal DataFrames:

* text columns (id, name, region, country, industry, levels, pair a/b) are
  strings, kept verbatim (a blank cell is the empty string);
* flags (foreign, pair conflict) are booleans, written ``true``/``false`` and
  read from true/false/1/0/yes/no in any case;
* number columns are int64 when every cell is a whole number written without
  a decimal point, float64 otherwise; floats are written with ``repr`` so they
  read back bit for bit;
* any other column is typed by its content: all true/false -> bool, all whole
  numbers -> int64, all numbers (blanks = NaN) -> float64, otherwise text.

Nothing is read with pickle or eval: TOML goes through :mod:`tomllib`, CSV
through :mod:`csv`, numbers through a regular expression and ``float``/``int``.
"""

from __future__ import annotations

import os
import secrets
import shutil
from pathlib import Path

from instances.bundle.files import CANDIDATES_FILE, PAIRS_FILE, SCENARIO_FILE, UNCERTAINTY_FILE
from instances.bundle.schema import ScenarioToml
from instances.bundle.tables import read_candidates, read_pairs, read_ranges
from instances.bundle.writer import settings_text, table_text
from instances.errors import BundleWriteError, InstanceFormatError, require_existing
from optimizer.core.errors import ProblemError
from optimizer.core.files import replace_files, write_text
from optimizer.domain.scenario import Scenario
from optimizer.domain.uncertainty import Uncertainty


def read_scenario(path: str | os.PathLike) -> Scenario:
    """Read a scenario bundle folder (``scenario.toml``, ``candidates.csv``, optional ``pairs.csv``).

    Raises :class:`InstanceFormatError` naming the file, the line or row, the
    column or key and what was expected, for any file that does not follow
    ``docs/scenario-format.md``.
    """
    folder = Path(path)
    require_existing(folder, "folder", "a scenario bundle folder",
                     missing=f"a scenario bundle: a folder holding {SCENARIO_FILE} and {CANDIDATES_FILE} "
                             f"(and optionally {PAIRS_FILE})")
    if folder.is_file() and folder.name == SCENARIO_FILE:   # people pass the toml file too; take its folder
        folder = folder.parent
    if not folder.is_dir():
        raise InstanceFormatError(folder, f"is a file; expected a scenario bundle folder holding {SCENARIO_FILE} "
                                          f"and {CANDIDATES_FILE}")
    for name in (SCENARIO_FILE, CANDIDATES_FILE):
        if not (folder / name).is_file():
            raise InstanceFormatError(folder / name, f"missing; a scenario bundle needs {SCENARIO_FILE} and "
                                                     f"{CANDIDATES_FILE} (pairs.csv is optional)")
    toml = ScenarioToml(folder / SCENARIO_FILE)
    settings = toml.settings()
    candidates = read_candidates(folder / CANDIDATES_FILE, settings)
    ids = candidates["id"].tolist()
    pairs = read_pairs(folder / PAIRS_FILE, ids) if (folder / PAIRS_FILE).exists() else None
    if (folder / UNCERTAINTY_FILE).exists():   # per-candidate ranges, on top of [uncertainty]'s shares
        relative = settings["uncertainty"].relative if "uncertainty" in settings else {}
        settings["uncertainty"] = Uncertainty(relative=relative, ranges=read_ranges(folder / UNCERTAINTY_FILE))
    try:
        return Scenario(candidates=candidates, pairs=pairs, **settings)
    except (ProblemError, ValueError) as exc:
        # the rules that need the tables and the settings together (ids, regions, policy keys, required
        # domains) are the model's own: its error's `where` gives the file and the TOML key or CSV column
        toml.fail_model_error(folder, exc)


def read_file(path: Path, *, budget: int | None = None) -> Scenario:
    """The format table's entry (instances/readers.py): a bundle folder; `budget` is for QKP edge lists."""
    if budget is not None:
        raise ValueError("--budget applies to edge-list QKP files, not to scenario bundles")
    return read_scenario(path)


def write_scenario(scenario: Scenario, path: str | os.PathLike, *, overwrite: bool = False) -> None:
    """Write a scenario as a bundle folder that :func:`read_scenario` reads back equal.

    Every file is written under a temporary name first and renamed into place
    only when all are written, so a failure while writing leaves the previous
    bundle untouched; a new bundle appears with a single folder rename. An
    existing bundle (a folder with ``scenario.toml``) is
    replaced; a non-empty folder that is not a bundle is refused with
    :class:`BundleWriteError` unless ``overwrite=True``. A stale ``pairs.csv`` or
    ``uncertainty.csv`` is removed when the scenario has no pair table or ranges.
    """
    folder = Path(path)
    # Serialize everything first: a bad value fails here, before any file is touched.
    files = {CANDIDATES_FILE: table_text(scenario.candidates)}
    if scenario.pairs is not None:
        files[PAIRS_FILE] = table_text(scenario.pairs)
    ranges = None if scenario.uncertainty is None else scenario.uncertainty.ranges
    if ranges is not None and len(ranges):
        files[UNCERTAINTY_FILE] = table_text(ranges)
    files[SCENARIO_FILE] = settings_text(scenario)    # last: renamed last, so it marks a complete bundle
    if folder.exists():
        if not folder.is_dir():
            raise BundleWriteError(f"{folder}: is a file; write_scenario writes a bundle folder")
        is_bundle = (folder / SCENARIO_FILE).is_file()
        if not is_bundle and not overwrite and any(folder.iterdir()):
            raise BundleWriteError(
                f"{folder}: folder is not empty and is not a scenario bundle (no {SCENARIO_FILE}); "
                f"pass overwrite=True to write the bundle files into it anyway")
        replace_files({folder / name: text for name, text in files.items()},
                      remove=tuple(folder / name for name in (PAIRS_FILE, UNCERTAINTY_FILE) if name not in files))
        return
    folder.parent.mkdir(parents=True, exist_ok=True)
    # A new bundle is built in a hidden sibling folder and renamed in one step.
    tmp = folder.parent / f".{folder.name}.{secrets.token_hex(4)}.tmp"
    os.mkdir(tmp)
    try:
        for name, text in files.items():
            write_text(tmp / name, text)
        os.rename(tmp, folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


__all__ = ["CANDIDATES_FILE", "PAIRS_FILE", "SCENARIO_FILE", "UNCERTAINTY_FILE", "read_scenario", "write_scenario"]
