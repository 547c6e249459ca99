"""Scenario variants: what changes if the budget shrinks, the cluster seeks reputation,
a policy subsidizes some partners... Each variant is a new, validated Scenario.

The changes a variant accepts (all optional, named by what they are):

    <limit name>=v        a resource limit, e.g. budget=80 or management=30 (any key of limits)
    limits={...}          several limits at once (merged into the base's)
    scale_limits={...}    multiply limits, e.g. {"budget": 0.8}
    reputation_weight=    strategy: weight of the partners' reputation (rho >= 0)
    reputation_bar=       strategy: the reputation the goal aims above (partners below it cost points)
    breadth=              strategy: 0 = depth (few strong ties) .. 1 = breadth (many weak ties)
    domain_weights={...}  strategy: weight per knowledge domain (merged)
    tech_change=          focal: rate of technological change of the industry (tau >= 0)
    diffusion_factor=     focal: share of alliance outcomes the cluster can spread (delta in (0, 1])
    force_in=[ids]        partners that must be in (added to mandatory)
    exclude=[ids]         partners that must stay out (added to excluded)
    release=[ids]         partners no longer forced in or out
    subsidies={...}       policy: share of the budget cost paid, by id, region:, country:, industry: (merged)
    bonus={...}           policy: gain added per chosen partner (merged)
    size_min=, size_max=, foreign_share_min=, foreign_share_max=   the peer benchmark
    region_caps={...}     at most this many partners per region (merged)
    required_domains=[...]  domains at least one partner must cover (replaces)
    cost_weight=          multiply every cost term of the terms table (redundancy, conflict, coordination,
                          complexity, ties, and any cost term added there) by this factor: the weight
                          of costs against knowledge diversity (scoring.cost_weight)
    theta=                the endowment elasticity (P6, scoring.theta >= 0): gains scale with
                          (endowment / focal endowment) ** theta
    foreign_value=        Lavie & Miller's value of internationalization (the number or the share of foreign
                          partners): a ForeignValue, a table
                          {"breakpoints": [...], "values": [...]}, or None / False to leave it out
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from optimizer.core.errors import ProblemError
from optimizer.domain.settings import ForeignValue

if TYPE_CHECKING:
    from optimizer.domain.scenario import Scenario

_STRATEGY = ("reputation_weight", "breadth", "reputation_bar")
_FOCAL = {"tech_change": "tech_change", "diffusion_factor": "diffusion"}
_PEERS = ("size_min", "size_max", "foreign_share_min", "foreign_share_max")
_DICTS = ("limits", "scale_limits", "domain_weights", "subsidies", "bonus", "region_caps")
_LISTS = ("force_in", "exclude", "release", "required_domains")
KNOWN = (*_DICTS, *_LISTS, *_STRATEGY, *_FOCAL, *_PEERS, "cost_weight", "theta", "foreign_value")


def apply_changes(base: Scenario, name: str, changes: dict[str, Any]) -> Scenario:
    """A new scenario: `base` with `changes` (see the module docstring), named `name`."""
    limits = dict(base.limits)
    accepted = ", ".join([*(f"{k}=" for k in limits), *(f"{k}=" for k in KNOWN)])
    clash = sorted(set(limits) & set(KNOWN))
    if clash:  # a resource named like a change would make `variant(...)` ambiguous
        raise ProblemError(f"limit {clash[0]!r} has the name of a variant setting; change it with limits={{...}}",
                           where=("limits", clash[0]))
    for key, value in changes.items():
        if key not in limits and key not in KNOWN:
            raise ProblemError(f"variant {name!r}: unknown change {key!r}; accepted: {accepted}", where=(key,))
        if key in _DICTS and not isinstance(value, dict):
            raise ProblemError(f"variant {name!r}: {key} takes a table such as {{'budget': 0.8}}, got {value!r}",
                               where=(key,))
        if key in _LISTS and (isinstance(value, (str, bytes)) or not hasattr(value, "__iter__")):
            raise ProblemError(f"variant {name!r}: {key} takes a list of ids, e.g. {key}=['C1', 'C7'], got {value!r}",
                               where=(key,))

    for key, value in changes.items():
        if key in base.limits:
            limits[key] = _number(name, key, value, (key,))
    for key, value in changes.get("limits", {}).items():
        if key not in base.limits:
            raise ProblemError(f"variant {name!r}: limits[{key!r}] is not a resource of the base scenario "
                               f"({', '.join(base.limits) or 'none'}); a new resource also needs a use_{key} column",
                               where=("limits", key))
        limits[key] = _number(name, f"limits[{key!r}]", value, ("limits", key))
    for key, factor in changes.get("scale_limits", {}).items():
        if key not in limits:
            raise ProblemError(f"variant {name!r}: scale_limits[{key!r}]: no such limit ({', '.join(limits)})",
                               where=("scale_limits", key))
        limits[key] = limits[key] * _number(name, f"scale_limits[{key!r}]", factor, ("scale_limits", key))

    for key in ("domain_weights", "subsidies", "bonus"):   # values the scenario would only meet in float()
        for k, v in changes.get(key, {}).items():
            _number(name, f"{key}[{k!r}]", v, (key, k))
    strategy = base.strategy
    s_changes = {k: _number(name, k, changes[k], (k,)) for k in _STRATEGY if k in changes}
    if "domain_weights" in changes:
        s_changes["domain_weights"] = {**strategy.domain_weights, **changes["domain_weights"]}
    if s_changes:
        strategy = replace(strategy, **s_changes)
    focal = base.focal
    f_changes = {field: _number(name, key, changes[key], (key,)) for key, field in _FOCAL.items() if key in changes}
    if f_changes:
        focal = replace(focal, **f_changes)
    peers = base.peers
    p_changes = {k: changes[k] for k in _PEERS if k in changes}
    if p_changes:
        peers = replace(peers, **p_changes)
    policy = base.policy
    if "subsidies" in changes or "bonus" in changes:
        policy = replace(policy, subsidies={**policy.subsidies, **changes.get("subsidies", {})},
                         bonus={**policy.bonus, **changes.get("bonus", {})})

    ids = set(base.candidates["id"].astype(str))
    for key in ("force_in", "exclude", "release"):
        unknown = [str(c) for c in changes.get(key, ()) if str(c) not in ids]
        if unknown:
            example = f", e.g. {min(ids)!r}" if ids else " (the table is empty)"
            raise ProblemError(f"variant {name!r}: {key} names unknown candidate id {unknown[0]!r}; ids are the "
                               f"candidates' id column{example}", where=(key,))
    release = {str(c) for c in changes.get("release", ())}
    forced = [str(c) for c in changes.get("force_in", ())]
    excluded = [str(c) for c in changes.get("exclude", ())]
    mandatory = [str(c) for c in base.mandatory if str(c) not in release and str(c) not in excluded] + \
        [c for c in forced if c not in set(map(str, base.mandatory))]
    out = [str(c) for c in base.excluded if str(c) not in release and str(c) not in forced] + \
        [c for c in excluded if c not in set(map(str, base.excluded))]

    fields: dict[str, Any] = dict(name=name, limits=limits, strategy=strategy, focal=focal, peers=peers,
                                  policy=policy, mandatory=tuple(mandatory), excluded=tuple(out))
    scoring = base.scoring
    if "cost_weight" in changes:
        factor = _number(name, "cost_weight", changes["cost_weight"], ("cost_weight",))
        if factor < 0:
            raise ProblemError(f"variant {name!r}: cost_weight = {factor!r}; a weight is >= 0", where=("cost_weight",))
        scoring = replace(scoring, cost_weight=scoring.cost_weight * factor)
    if "theta" in changes:
        theta = _number(name, "theta", changes["theta"], ("theta",))
        if theta < 0:
            raise ProblemError(f"variant {name!r}: theta = {theta!r}; the endowment elasticity is >= 0 (0 leaves "
                               f"endowments out)", where=("theta",))
        scoring = replace(scoring, theta=theta)
    if scoring is not base.scoring:
        fields["scoring"] = scoring
    if "foreign_value" in changes:
        fields["foreign_value"] = _foreign_value(name, changes["foreign_value"])
    if "region_caps" in changes:
        fields["region_caps"] = {**base.region_caps, **changes["region_caps"]}
    if "required_domains" in changes:
        fields["required_domains"] = tuple(str(d) for d in changes["required_domains"])
    try:
        return base.replace(**fields)
    except ProblemError as exc:
        raise ProblemError(f"variant {name!r}: {exc}", where=_change_of(exc.where, changes)) from None


def _foreign_value(name: str, value: Any) -> ForeignValue | None:
    """A foreign-partner value from a variant: a ForeignValue, a {breakpoints, values[, over]} table, or None/False."""
    if value is None or value is False:
        return None
    if isinstance(value, ForeignValue):
        return value
    if isinstance(value, dict) and {"breakpoints", "values"} <= set(value) <= {"breakpoints", "values", "over"}:
        try:
            return ForeignValue(tuple(float(v) for v in value["breakpoints"]), tuple(float(v) for v in value["values"]),
                                over=str(value.get("over", "count")))
        except (TypeError, ValueError) as exc:
            raise ProblemError(f"variant {name!r}: foreign_value: {exc}", where=("foreign_value",)) from None
    raise ProblemError(f"variant {name!r}: foreign_value takes a table {{breakpoints = [0, 2, 4], values = [0, 1, "
                       f"0.5]}} (the value at each number of foreign partners, 0 at 0; over = 'share' for foreign "
                       f"shares from 0 to 1), a ForeignValue, or false to leave it out; got {value!r}",
                       where=("foreign_value",))


def _change_of(where: tuple[object, ...], changes: dict[str, Any]) -> tuple[object, ...]:
    """The change a Scenario field path (ProblemError.where) comes from: ("peers", "size_min") -> ("size_min",)."""
    if not where:
        return ()
    head, rest = where[0], tuple(where[1:])
    if head == "limits" and rest:
        resource = rest[0]
        for key in (resource, "limits", "scale_limits"):
            if key == resource and key in changes:
                return (key,)
            if key != resource and resource in changes.get(key, {}):
                return (key, resource)
        return ()
    if head in ("peers", "policy", "strategy"):     # their fields are changes of the same name
        if head == "peers" and rest and rest[0] not in changes:
            # an empty size or share range points at one end; the variant changed the other
            changed = [key for key in changes if key.startswith(str(rest[0])[:-3])]
            return (changed[0],) if changed else rest
        return rest
    if head == "focal":
        by_field = {field: key for key, field in _FOCAL.items()}
        return (by_field[rest[0]],) if rest and rest[0] in by_field else ()
    if head in ("mandatory", "excluded"):
        return tuple(k for k in ("force_in", "exclude", "release") if k in changes)[:1]
    if head == "scoring":
        return ("cost_weight",) if "cost_weight" in changes else ()
    if head in ("region_caps", "required_domains"):
        return tuple(where)
    return ()


def _number(name: str, key: str, value: Any, where: tuple[object, ...]) -> float:
    try:
        if isinstance(value, bool):
            raise TypeError
        return float(value)
    except (TypeError, ValueError):
        raise ProblemError(f"variant {name!r}: {key} = {value!r} is not a number; expected a number "
                           f"such as 0.8", where=where) from None
    except OverflowError:
        raise ProblemError(f"variant {name!r}: {key} is a whole number too large to compute with; expected a "
                           f"number of ordinary size", where=where) from None
