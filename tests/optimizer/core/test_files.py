"""optimizer/core/files.py, the one writer: temporary file beside the target, then a rename over it."""

from __future__ import annotations

import os
import stat

import pytest

from optimizer.core.files import replace_files, replacing, write_bytes, write_text


def _leftovers(folder):
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_a_link_at_the_target_is_replaced_not_followed(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    (tmp_path / "out").mkdir()
    link = tmp_path / "out" / "report.md"
    link.symlink_to(victim)
    write_text(link, "new")
    assert victim.read_text() == "keep me"
    assert not link.is_symlink() and link.read_text() == "new"


def test_a_failure_while_writing_leaves_the_old_file_and_no_temporary(tmp_path):
    path = write_bytes(tmp_path / "figure.png", b"old")
    with pytest.raises(RuntimeError, match="drawing failed"):
        with replacing(path) as fh:
            fh.write(b"half a fig")
            raise RuntimeError("drawing failed")
    assert path.read_bytes() == b"old" and _leftovers(tmp_path) == []


def test_text_is_utf8_with_line_endings_as_given(tmp_path):
    path = write_text(tmp_path / "a.csv", "Dolan-Mor\u00e9\r\nb\n")
    assert path.read_bytes() == "Dolan-Mor\u00e9\r\nb\n".encode("utf-8")


def test_new_files_get_the_ordinary_permissions(tmp_path):
    old = os.umask(0o022)
    try:
        path = write_text(tmp_path / "report.html", "x")
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644      # not tempfile's 0600


def test_errors_name_the_file_asked_for(tmp_path):
    with pytest.raises(FileNotFoundError) as err:
        write_text(tmp_path / "missing" / "out.csv", "x")
    assert str(tmp_path / "missing" / "out.csv") in str(err.value) and ".tmp" not in str(err.value)
    (tmp_path / "folder").mkdir()
    with pytest.raises(IsADirectoryError) as err:
        write_text(tmp_path / "folder", "x")
    assert ".tmp" not in str(err.value) and _leftovers(tmp_path) == []


def test_a_very_long_name_still_gets_a_temporary_name(tmp_path):
    for name in ("n" * 250, "\u00e9" * 127):            # 250 and 254 bytes: the longest names allowed
        assert write_text(tmp_path / name, "x").read_text() == "x"


def test_replace_files_writes_all_or_nothing_then_removes(tmp_path):
    a, b, stale = (write_text(tmp_path / n, "old") for n in ("a.csv", "b.toml", "stale.csv"))
    with pytest.raises(TypeError):
        replace_files({a: "new", b: 3})            # the second cannot be written: nothing is replaced
    assert a.read_text() == "old" and b.read_text() == "old" and stale.exists()
    assert _leftovers(tmp_path) == []
    replace_files({a: "new a", b: b"new b"}, remove=[stale, tmp_path / "absent.csv"])
    assert a.read_text() == "new a" and b.read_text() == "new b" and not stale.exists()


def test_replace_files_renames_in_the_order_given(tmp_path, monkeypatch):
    renamed = []
    real = os.replace
    monkeypatch.setattr(os, "replace", lambda src, dst: (renamed.append(os.path.basename(dst)), real(src, dst)))
    replace_files({tmp_path / "candidates.csv": "c", tmp_path / "pairs.csv": "p", tmp_path / "scenario.toml": "s"})
    assert renamed == ["candidates.csv", "pairs.csv", "scenario.toml"]    # the last marks a complete set
