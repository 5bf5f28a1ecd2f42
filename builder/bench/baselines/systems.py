"""The baseline systems by name, the options each takes, and how a system is tuned when validation cannot tune it.

`newsbench baseline --system NAME` runs only the named systems; `--set NAME.OPTION=VALUE` (or
`[baselines] options = { "ner-crf" = { iterations = 50 } }`) sets an option. A system whose validation split is
missing, holds fewer than MIN_TUNING units, or cannot be scored (one class only, no entity) is tuned by
cross-validation on the training split instead, with folds by document so that no document is on both sides;
`systems.json` says which (`tuning.method`).
"""

from __future__ import annotations

import difflib
import random
from collections.abc import Mapping, Sequence
from typing import Any

from builder.errors import InputError

MIN_TUNING = 10  # validation units below which a grid is chosen by cross-validation on train
FOLDS = 3


# system -> option -> kind: int, float, floats (a grid of numbers), pairs (a grid of pairs). What each system is
# and which config it serves is said where it runs (builder/bench/baselines/run.py).
SYSTEMS: dict[str, Mapping[str, str]] = {
    "ner-dictionary": {"min_share": "float"},
    "ner-crf": {"iterations": "int", "min_freq": "int", "grid": "pairs"},
    "claims-majority": {},
    "checkworthy-tfidf-lr": {"C": "floats"},
    "checkworthy-context-lr": {"C": "floats"},
    "claims-rules": {},
    "documents-majority": {},
    "documents-tfidf-lr": {"C": "floats"},
}


def _closest(name: str, known: Sequence[str]) -> str:
    near = difflib.get_close_matches(name, known, n=1)
    return f"did you mean '{near[0]}'? " if near else ""


def check_systems(names: Sequence[str]) -> tuple[str, ...]:
    for name in names:
        if name not in SYSTEMS:
            raise InputError(f"unknown baseline system '{name}'",
                             fix=f"{_closest(name, list(SYSTEMS))}use one of {', '.join(SYSTEMS)}")
    return tuple(dict.fromkeys(names))


def _number(value: Any, kind: type, where: str) -> Any:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise InputError(f"{where} = {value!r} is not a number", fix="write a number")
    try:
        number = kind(value)
    except ValueError:
        raise InputError(f"{where} = {value!r} is not a number", fix="write a number") from None
    if number < 0:
        raise InputError(f"{where} = {value!r} is negative", fix="write a number >= 0")
    return number


def _items(value: Any) -> list[Any]:
    return [v for v in value.replace(";", ",").split(",") if v.strip()] if isinstance(value, str) else list(value) \
        if isinstance(value, (list, tuple)) else [value]


def system_settings(raw: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """{system: {option: value}} checked against each system's options; grids as tuples."""
    out: dict[str, dict[str, Any]] = {}
    for system, options in raw.items():
        check_systems([system])
        spec = SYSTEMS[system]
        if not isinstance(options, Mapping):
            raise InputError(f"the options of '{system}' are {options!r}, not a table",
                             fix=f"write {system}.OPTION=VALUE")
        for option, value in options.items():
            where = f"{system}.{option}"
            kind = spec.get(option)
            if kind is None:
                raise InputError(f"'{system}' has no option '{option}'", fix=(
                    f"{_closest(option, list(spec))}use one of {', '.join(spec)}" if spec
                    else f"'{system}' takes no option"))
            if kind == "int":
                parsed: Any = int(_number(value, float, where))
            elif kind == "float":
                parsed = _number(value, float, where)
            elif kind == "floats":
                parsed = tuple(_number(v, float, where) for v in _items(value))
            else:  # pairs: "0.05:0.01,0.2:0.1" or [[0.05, 0.01], ...]
                pairs = [p.split(":") if isinstance(p, str) else p for p in _items(value)]
                if not pairs or any(not isinstance(p, (list, tuple)) or len(p) != 2 for p in pairs):
                    raise InputError(f"{where} = {value!r} is not a grid of pairs", fix="write e.g. 0.05:0.01,0.2:0.1")
                parsed = tuple((_number(a, float, where), _number(b, float, where)) for a, b in pairs)
            if kind in ("floats", "pairs") and not parsed:
                raise InputError(f"{where} is an empty grid", fix="give at least one value")
            out.setdefault(system, {})[option] = parsed
    return out


def folds(groups: Sequence[str], k: int = FOLDS, seed: int = 13) -> list[tuple[list[int], list[int]]]:
    """k (train, held-out) index lists, each group (document) wholly on one side; [] when there are fewer groups
    than folds."""
    names = sorted(set(groups))
    if len(names) < k:
        return []
    random.Random(seed).shuffle(names)
    fold_of = {g: i % k for i, g in enumerate(names)}
    return [([i for i, g in enumerate(groups) if fold_of[g] != f], [i for i, g in enumerate(groups) if fold_of[g] == f])
            for f in range(k)]
