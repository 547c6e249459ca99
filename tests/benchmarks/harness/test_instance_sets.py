"""Instance sets: folders, files, patterns, bundles and generator specs; reference CSVs."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.harness.instance_sets import InstanceRef, SuiteError, folder_reference, read_reference, resolve
from instances import generate_alliance, generate_qkp, write_qkp, write_scenario


def test_generated_qkp_set_names_each_seed_and_loads_the_generator_instance():
    refs = resolve("qkp:n=30,density=25,seeds=2-4")
    assert [r.name for r in refs] == ["qkp_30_25_2", "qkp_30_25_3", "qkp_30_25_4"]
    loaded = refs[1].load()
    expected = generate_qkp(30, 25, seed=3)
    assert np.array_equal(loaded.c, expected.c) and np.array_equal(loaded.pair_q, expected.pair_q)


def test_alliance_set_loads_scenarios():
    refs = resolve("alliance:n=15,seeds=1|3,levels=true")
    assert [r.name for r in refs] == ["alliance_15_levels_1", "alliance_15_levels_3"]
    sc = refs[0].load()
    assert len(sc.candidates) == len(generate_alliance(15, seed=1, levels=True).candidates)


def test_folder_of_qkp_files_in_natural_order_with_its_optima(tmp_path):
    for seed in (10, 2, 1):
        write_qkp(generate_qkp(8, 50, seed=seed), tmp_path / f"jeu_8_50_{seed}.txt")
    (tmp_path / "optima.csv").write_text("instance,optimum\njeu_8_50_1,5\n")
    (tmp_path / "notes.md").write_text("not an instance")
    refs = resolve(str(tmp_path))
    assert [r.name for r in refs] == ["jeu_8_50_1", "jeu_8_50_2", "jeu_8_50_10"]
    assert refs[0].load().n == 8
    assert folder_reference(str(tmp_path)) == {"jeu_8_50_1": 5.0}
    pattern = resolve(str(tmp_path / "jeu_8_50_1*.txt"))
    assert [r.name for r in pattern] == ["jeu_8_50_1", "jeu_8_50_10"]
    assert folder_reference(str(tmp_path / "*.txt")) == {"jeu_8_50_1": 5.0}


def test_folder_of_bundles(tmp_path):
    for seed in (1, 2):
        write_scenario(generate_alliance(12, seed=seed), tmp_path / f"cluster{seed}")
    refs = resolve(str(tmp_path))
    assert [(r.kind, r.name) for r in refs] == [("bundle", "cluster1"), ("bundle", "cluster2")]
    assert resolve(str(tmp_path / "cluster2"))[0].kind == "bundle"
    # a pattern reads each match by its own format (once, every match was taken for a QKP file)
    matched = resolve(str(tmp_path / "cluster*"))
    assert [(r.kind, r.name) for r in matched] == [("bundle", "cluster1"), ("bundle", "cluster2")]
    assert matched[1].load().name == generate_alliance(12, seed=2).name


def test_instance_ref_round_trip():
    ref = resolve("collab:n=500,seeds=1,budget_share=0.1")[0]
    again = InstanceRef.from_dict(ref.to_dict())
    assert again == ref and again.args == ref.args


@pytest.mark.parametrize("spec, words", [
    ("no/such/folder", "no such file or folder"),
    ("qkp:n=10,dens=5", "unknown key 'dens'"),
    ("qkp:n=ten", "is not a whole number"),
    ("qkp:n=10,density=0", "percentage"),
    ("qkp:n=10,seeds=5-1", "backwards"),
    ("qkp:n=10,seeds=a-b", "seed list"),
    ("alliance:levels=maybe", "is not true or false"),
    ("qkp:n=0", "whole number >= 1"),
])
def test_bad_set_specs_say_what_would_be_accepted(spec, words):
    with pytest.raises(SuiteError, match=words):
        resolve(spec)


def test_empty_folder_and_unmatched_pattern(tmp_path):
    with pytest.raises(SuiteError, match="no QKP files"):
        resolve(str(tmp_path))
    with pytest.raises(SuiteError, match="matches no instance files or bundles"):
        resolve(str(tmp_path / "*.txt"))


def test_reference_csv_columns_and_errors(tmp_path):
    good = tmp_path / "ref.csv"
    good.write_text("instance,n,best_known\na,10,5.5\nb,10,7\n")
    assert read_reference(good) == {"a": 5.5, "b": 7.0}
    cases = {
        "name,value\na,1\n": "'instance' column",
        "instance,n\na,1\n": "value, optimum or best_known",
        "instance,value\na,x\n": "line 2",
        "instance,value\na,1\na,2\n": "twice",
        "instance,value\n,1\n": "empty instance name",
    }
    for text, words in cases.items():
        good.write_text(text)
        with pytest.raises(SuiteError, match=words):
            read_reference(good)
    with pytest.raises(SuiteError, match="cannot read"):
        read_reference(tmp_path / "absent.csv")
