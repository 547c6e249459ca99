"""Generator specs: `qkp:n=300,density=50,seed=1`, `alliance:n=60,seeds=1-5,levels=true`, `collab:n=10000`.

The one parser of specs, used by `alliance solve` (one instance) and by the benchmark
harness's instance sets (a seed range gives one instance per seed). `seed=K` and
`seeds=1-5` (also `seeds=1-3|8`) are both accepted everywhere.
"""

from __future__ import annotations

from typing import Any

from instances.errors import SpecError

#: generator -> its keys with their defaults (the type of a default is the type of the key)
GENERATORS: dict[str, dict[str, object]] = {
    "qkp": {"n": 100, "density": 50.0},
    "alliance": {"n": 60, "levels": False},
    "collab": {"n": 10_000, "budget_share": 0.05},
}
#: most seeds one spec may ask for (a typo such as seeds=1-1000000000 would exhaust the memory)
MAX_SEEDS = 100_000
_TRUE, _FALSE = ("true", "1", "yes"), ("false", "0", "no")


def is_spec(text: str) -> bool:
    """True when `text` names a generator (`kind:...`)."""
    return str(text).partition(":")[0] in GENERATORS


def parse_seeds(text: str, where: str) -> list[int]:
    """'1-5' -> [1, 2, 3, 4, 5]; '7' -> [7]; '1-3|8' -> [1, 2, 3, 8]."""
    seeds: list[int] = []
    for part in filter(None, str(text).split("|")):
        if part.strip().startswith("-"):
            raise SpecError(f"{where}: seeds={text!r}: a seed is a whole number >= 0")
        lo, dash, hi = part.partition("-")
        try:
            a, b = int(lo), int(hi) if dash else int(lo)
        except ValueError:
            raise SpecError(f"{where}: seeds={text!r} is not a seed list; write seed=3, seeds=1-5 or "
                            f"seeds=1-3|8") from None
        if b < a:
            raise SpecError(f"{where}: seeds={text!r} runs backwards; write the smaller seed first")
        if b - a + len(seeds) >= MAX_SEEDS:
            raise SpecError(f"{where}: seeds={text!r} asks for {b - a + 1 + len(seeds)} seeds; at most "
                            f"{MAX_SEEDS} per spec, e.g. seeds=1-10")
        seeds.extend(range(a, b + 1))
    if not seeds:
        raise SpecError(f"{where}: no seeds given; write seeds=1-5")
    return seeds


def parse_spec(spec: str, where: str | None = None) -> tuple[str, list[dict[str, Any]]]:
    """(generator, the arguments of each instance) of a spec: one dict per seed, keys typed as the
    defaults. SpecError names the spec (or `where`), the item and the keys the generator takes."""
    where = where or f"instance spec {spec!r}"
    kind, colon, rest = str(spec).partition(":")
    if not colon or kind not in GENERATORS:
        raise SpecError(f"{where}: unknown generator {kind!r}; use {', '.join(k + ':' for k in GENERATORS)}")
    defaults = GENERATORS[kind]
    keys = ", ".join([*(f"{k}=" for k in defaults), "seed= (or seeds=1-5)"])
    values: dict[str, object] = dict(defaults)
    seeds = "0"
    for part in filter(None, (p.strip() for p in rest.split(","))):
        key, eq, value = (t.strip() for t in part.partition("="))
        if not eq or not key:
            raise SpecError(f"{where}: bad item {part!r}; expected key=value items; keys for {kind}: {keys}")
        if key in ("seed", "seeds"):
            seeds = value
            continue
        if key not in defaults:
            raise SpecError(f"{where}: unknown key {key!r} in {part!r}; keys for {kind}: {keys}")
        values[key] = _typed(key, value, defaults[key], where)
    n = values["n"]
    if not isinstance(n, int) or n < 1:
        raise SpecError(f"{where}: n={n!r}: the number of items is a whole number >= 1")
    if kind == "qkp" and not 0 < float(values["density"]) <= 100:  # type: ignore[arg-type]
        raise SpecError(f"{where}: density={values['density']!r} is a percentage in (0, 100]")
    return kind, [{**values, "seed": seed} for seed in parse_seeds(seeds, where)]


def _typed(key: str, value: str, default: object, where: str) -> object:
    if isinstance(default, bool):
        if value.lower() not in _TRUE + _FALSE:
            raise SpecError(f"{where}: {key}={value!r} is not true or false")
        return value.lower() in _TRUE
    try:
        return type(default)(value)
    except ValueError:
        kind = "whole number" if isinstance(default, int) else "number"
        raise SpecError(f"{where}: {key}={value!r} is not a {kind}") from None


def instance_name(kind: str, args: dict[str, Any]) -> str:
    """The name results of a generated instance are stored under."""
    if kind == "qkp":
        return f"qkp_{args['n']}_{float(args['density']):g}_{args['seed']}"
    if kind == "alliance":
        return f"alliance_{args['n']}{'_levels' if args['levels'] else ''}_{args['seed']}"
    return f"collab_{args['n']}_{float(args['budget_share']):g}_{args['seed']}"


def generate(kind: str, args: dict[str, Any]):
    """The SelectionProblem or Scenario a parsed spec names."""
    if kind == "qkp":
        from instances.generate import generate_qkp

        return generate_qkp(args["n"], args["density"], seed=args["seed"])
    if kind == "alliance":
        from instances.alliance import generate_alliance

        return generate_alliance(args["n"], seed=args["seed"], levels=args.get("levels", False))
    from instances.generate import generate_collaboration_qkp

    return generate_collaboration_qkp(args["n"], seed=args["seed"], budget_share=args.get("budget_share", 0.05))
