"""Which optional part of the install brings which library: `pip install newsbench` is the core (loading,
validating, evaluating, building a release, publishing), and the extras add the rest.

The table is the one place that says so: `pyproject.toml` lists the same libraries under the same extra names
(`tests/test_extras.py` checks that they agree), and the command line turns a missing library into the extra to
install (`missing_extra`).
"""

from __future__ import annotations

# import name -> the extra that installs it
MODULES: dict[str, str] = {
    # prepare: ingest (encoding repair, HTML main text, language), near-duplicates
    "ftfy": "prepare", "trafilatura": "prepare", "lxml_html_clean": "prepare", "justext": "prepare",
    "datasketch": "prepare", "pycld2": "prepare",
    # baselines: the CRF, the TF-IDF models, saved models
    "sklearn": "baselines", "sklearn_crfsuite": "baselines", "pycrfsuite": "baselines", "joblib": "baselines",
    "scipy": "baselines",
    # charts: the card's PNG charts, drawn when a release is built
    "matplotlib": "charts", "PIL": "charts",
    "label_studio_sdk": "labelstudio",
    "distributed": "distributed", "dask": "distributed",
}
EXTRAS = ("prepare", "baselines", "charts", "labelstudio", "distributed", "all")
# the commands that always need an extra: checked before they start, so that none fails half-way (others, such
# as `build` drawing charts, need one only on some paths, and say so when they reach it)
COMMANDS: dict[str, tuple[str, ...]] = {
    "ingest": ("ftfy", "trafilatura"), "clean": ("ftfy", "pycld2"), "dedup": ("datasketch",),
    "prepare": ("ftfy", "pycld2", "datasketch"),
    "baseline": ("sklearn", "sklearn_crfsuite", "joblib"), "demo": ("ftfy", "pycld2", "datasketch", "sklearn", "matplotlib"),
}


def missing_for(command: str | None) -> tuple[str, str] | None:
    """(library, extra) of the first library `command` always needs that is not installed."""
    from importlib.util import find_spec

    for library in COMMANDS.get(command or "", ()):
        if find_spec(library) is None:
            return library, MODULES[library]
    return None


def missing_extra(exc: BaseException) -> tuple[str, str] | None:
    """(library, extra) when `exc` is an import of a library an extra brings, else None."""
    if not isinstance(exc, ModuleNotFoundError) or not exc.name:
        return None
    top = exc.name.split(".")[0]
    extra = MODULES.get(top)
    return (top, extra) if extra else None


def install_hint(extra: str) -> str:
    return f"pip install 'newsbench[{extra}]' (or 'newsbench[all]'; from a clone: pip install -e '.[{extra}]')"
