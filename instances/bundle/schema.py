"""scenario.toml: every key and value checked against the Scenario's rules, with file, line and key in errors.

The rules that need the candidate table too are the model's: the reader builds the
:class:`~optimizer.domain.scenario.Scenario` and maps the ``where`` of its
:class:`~optimizer.core.errors.ProblemError` to the file, line and key
(`fail_model_error`), so no rule is written twice and a bundle that reads also compiles.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NoReturn

from instances.bundle.files import CANDIDATES_FILE, PAIRS_FILE, UNCERTAINTY_FILE
from instances.errors import InstanceFormatError
from instances.toml_file import KeyPath, TomlFile, describe
from optimizer.core.errors import ProblemError
from optimizer.domain.scoring import Scoring
from optimizer.domain.settings import Focal, ForeignValue, Level, Peers, Policy, Strategy
from optimizer.domain.uncertainty import Uncertainty

#: accepted keys per TOML table (limits, profile, weights, caps and policy tables take free keys)
TOP_KEYS = ("name", "focal", "limits", "strategy", "peers", "policy", "constraints", "levels", "foreign_value",
            "scoring", "uncertainty")
FOCAL_KEYS = ("name", "region", "country", "diffusion", "tech_change", "endowment", "profile")
STRATEGY_KEYS = ("reputation_weight", "reputation_bar", "breadth", "domain_weights")
PEERS_KEYS = ("size_min", "size_max", "foreign_share_min", "foreign_share_max")
POLICY_KEYS = ("subsidies", "bonus")
CONSTRAINT_KEYS = ("mandatory", "excluded", "required_domains", "region_caps")
LEVEL_KEYS = ("name", "gain", "strong", "use")
FOREIGN_VALUE_KEYS = ("breakpoints", "values", "over")
SCORING_KEYS = tuple(f.name for f in dataclasses.fields(Scoring))



def toml_path(where: tuple[object, ...]) -> KeyPath:
    """The scenario.toml key of a Scenario field path: the constraint fields live in [constraints]."""
    return ("constraints", *where) if where and where[0] in CONSTRAINT_KEYS else tuple(where)


class ScenarioToml(TomlFile):
    """scenario.toml of a bundle: the schema on top of the shared TOML reader."""

    # ------------------------------------------------------------------ the schema
    def settings(self) -> dict[str, Any]:
        """Every Scenario field but the tables, checked as far as the TOML alone allows."""
        top = self.data
        self.check_keys(top, (), TOP_KEYS)
        out: dict[str, Any] = {"name": self.string(top, ("name",), "scenario")}

        f = self.section(top, ("focal",), FOCAL_KEYS)
        if "profile" not in f:
            self.fail(("focal", "profile"), "missing; [focal.profile] is required: one key per knowledge domain "
                                            "with the focal cluster's level in [0, 1], e.g. software = 0.4")
        profile = self.number_map(f, ("focal", "profile"), low=0, high=1)
        defaults = Focal()
        out["focal"] = Focal(
            name=self.string(f, ("focal", "name"), defaults.name),
            region=self.string(f, ("focal", "region"), defaults.region),
            country=self.string(f, ("focal", "country"), defaults.country),
            profile=profile,
            diffusion=self.number(f, ("focal", "diffusion"), defaults.diffusion, low=0, high=1, low_open=True),
            tech_change=self.number(f, ("focal", "tech_change"), defaults.tech_change, low=0),
            endowment=self.number(f, ("focal", "endowment"), None, low=0, low_open=True))
        domains = tuple(profile)

        limits = self.number_map(top, ("limits",), low=0)
        out["limits"] = limits

        s = self.section(top, ("strategy",), STRATEGY_KEYS)
        weights = self.number_map(s, ("strategy", "domain_weights"))
        for d in weights:
            if d not in domains:
                self.fail(("strategy", "domain_weights", d),
                          f"unknown domain {d!r}; the domains are the keys of [focal.profile]: {', '.join(domains)}")
        sd = Strategy()
        out["strategy"] = Strategy(
            domain_weights=weights,
            reputation_weight=self.number(s, ("strategy", "reputation_weight"), sd.reputation_weight),
            breadth=self.number(s, ("strategy", "breadth"), sd.breadth, low=0, high=1),
            reputation_bar=self.number(s, ("strategy", "reputation_bar"), None, low=0))

        p = self.section(top, ("peers",), PEERS_KEYS)
        pd_ = Peers()
        share_min = self.number(p, ("peers", "foreign_share_min"), pd_.foreign_share_min, low=0, high=1)
        share_max = self.number(p, ("peers", "foreign_share_max"), pd_.foreign_share_max, low=0, high=1)
        if share_min > share_max:
            self.fail(("peers", "foreign_share_max"), f"{share_max!r} is below foreign_share_min = {share_min!r}; "
                                                      f"expected foreign_share_min <= foreign_share_max")
        size_min = self.integer(p, ("peers", "size_min"), pd_.size_min)
        size_max = self.integer(p, ("peers", "size_max"), pd_.size_max)
        if size_max is not None and size_min > size_max:
            self.fail(("peers", "size_max"), f"{size_max!r} is below size_min = {size_min!r}; expected "
                                             f"size_min <= size_max")
        out["peers"] = Peers(size_min=size_min, size_max=size_max, foreign_share_min=share_min,
                             foreign_share_max=share_max)

        pol = self.section(top, ("policy",), POLICY_KEYS)
        out["policy"] = Policy(subsidies=self.number_map(pol, ("policy", "subsidies"), low=0, high=1),
                               bonus=self.number_map(pol, ("policy", "bonus")))
        if out["policy"].subsidies and "budget" not in limits:
            self.fail(("policy", "subsidies"), "subsidies pay a share of the 'budget' cost, but [limits] has no "
                                               "budget; add budget = <limit> to [limits]")

        c = self.section(top, ("constraints",), CONSTRAINT_KEYS)
        out["mandatory"] = self.strings(c, ("constraints", "mandatory"))
        out["excluded"] = self.strings(c, ("constraints", "excluded"))
        both = [cid for cid in out["excluded"] if cid in out["mandatory"]]
        if both:
            self.fail(("constraints", "excluded"), f"{both[0]!r} is also in mandatory; a candidate cannot be both")
        out["required_domains"] = self.strings(c, ("constraints", "required_domains"))
        for d in out["required_domains"]:
            if d not in domains:
                self.fail(("constraints", "required_domains"),
                          f"unknown domain {d!r}; the domains are the keys of [focal.profile]: {', '.join(domains)}")
        out["region_caps"] = self.integer_map(c, ("constraints", "region_caps"))

        out["levels"] = self._levels(top, limits)

        if "foreign_value" in top:
            out["foreign_value"] = self._foreign_value(top)

        if "uncertainty" in top:   # column (or k_*, use_*) -> relative error; the model checks the columns
            out["uncertainty"] = Uncertainty(relative=self.number_map(top, ("uncertainty",), low=0))

        sc = self.section(top, ("scoring",), SCORING_KEYS)
        sdef = Scoring()
        values = {k: self.number(sc, ("scoring", k), getattr(sdef, k), low=0) for k in SCORING_KEYS}
        try:
            out["scoring"] = Scoring(**values)
        except ProblemError as exc:          # a rule added to Scoring later still gets file, line and key
            self.fail(exc.where or ("scoring",), str(exc))
        return out

    def fail_model_error(self, folder: Path, exc: Exception) -> NoReturn:
        """Report a rule of the model where its ``where`` points (file, line, key or column).

        ``where`` is in the Scenario's terms (see ProblemError): tables go to their CSV file and
        column, the constraint fields to their [constraints] keys, everything else to the same key.
        """
        where = getattr(exc, "where", ())
        if not where:
            raise InstanceFormatError(folder, str(exc))
        head = where[0]
        if head == "uncertainty" and len(where) > 1 and where[1] == "ranges":
            row, column = (where[2], where[3]) if len(where) > 3 else (None, None)
            raise InstanceFormatError(folder / UNCERTAINTY_FILE, str(exc), row=None if row is None else int(row) + 2,
                                      column=None if column is None else str(column))
        if head == "uncertainty" and len(where) > 2:     # ("uncertainty", "relative", key): [uncertainty] key
            self.fail(("uncertainty", where[2]), str(exc))
        if head in ("candidates", "pairs"):
            column = where[2] if len(where) > 2 else None
            raise InstanceFormatError(folder / (CANDIDATES_FILE if head == "candidates" else PAIRS_FILE), str(exc),
                                      column=None if column is None else str(column))
        self.fail(toml_path(where), str(exc))

    def _foreign_value(self, top: Mapping[str, Any]) -> ForeignValue:
        """[foreign_value]: breakpoints from 0, strictly increasing, one value each, 0 at 0; over = "count"
        (the number of foreign partners, the default) or "share" (their share of the portfolio)."""
        fv = self.section(top, ("foreign_value",), FOREIGN_VALUE_KEYS)
        bp = self.numbers(fv, ("foreign_value", "breakpoints"))
        val = self.numbers(fv, ("foreign_value", "values"))
        if len(bp) < 2 or any(b2 <= b1 for b1, b2 in zip(bp, bp[1:])) or bp[0] != 0:
            self.fail(("foreign_value", "breakpoints"), "expected at least two numbers starting at 0 and "
                                                        f"increasing strictly, found {list(bp)}")
        if len(val) != len(bp):
            self.fail(("foreign_value", "values"), f"expected one value per breakpoint ({len(bp)}), "
                                                   f"found {len(val)}")
        if val[0] != 0:
            self.fail(("foreign_value", "values"), f"the first value is {val[0]!r}; the value with no foreign "
                                                   f"partner is the baseline and must be 0")
        over = self.string(fv, ("foreign_value", "over"), "count")
        if over not in ("count", "share"):
            self.fail(("foreign_value", "over"), f"{over!r}: expected \"count\" (the breakpoints are numbers of "
                                                 f"foreign partners) or \"share\" (foreign shares from 0 to 1)")
        try:
            return ForeignValue(bp, val, over=over)
        except ProblemError as exc:      # a rule added to the model later still gets file, line and key
            self.fail(exc.where or ("foreign_value",), str(exc))

    def _levels(self, top: Mapping[str, Any], limits: Mapping[str, float]) -> tuple[Level, ...]:
        raw = top.get("levels", [])
        if not isinstance(raw, list) or not all(isinstance(t, dict) for t in raw):
            self.fail(("levels",), "expected [[levels]] tables (an array of tables), found "
                                   f"{describe(raw)}" + (" holding other values" if isinstance(raw, list) else ""))
        levels: list[Level] = []
        for k, t in enumerate(raw):
            path = ("levels", k)
            self.check_keys(t, path, LEVEL_KEYS)
            if "name" not in t:
                self.fail(path, "missing key 'name'; every [[levels]] table needs a name, e.g. name = \"weak\"")
            name = self.string(t, path + ("name",), "")
            if not name.strip() or ";" in name:
                self.fail(path + ("name",), f"{name!r} is not a usable level name; expected a non-empty name "
                                            "without ';' (the levels column separates names by ';')")
            if any(lv.name == name for lv in levels):
                self.fail(path + ("name",), f"level {name!r} is defined twice; level names must be unique")
            use = self.number_map(t, path + ("use",), low=0)
            for r in use:
                if r not in limits:
                    self.fail(path + ("use", r), f"unknown resource {r!r}; resources are the keys of [limits]: "
                                                 f"{', '.join(limits) or '(none)'}")
            defaults = Level(name)
            levels.append(Level(name=name, gain=self.number(t, path + ("gain",), defaults.gain, low=0), use=use,
                                strong=self.boolean(t, path + ("strong",), defaults.strong)))
        return tuple(levels)
