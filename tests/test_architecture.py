"""The layout rules of ARCHITECTURE.md, checked from the imports of every module (those inside functions too).

Each failure names the file and line of the import that breaks a rule.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from dataclasses import dataclass
from functools import cache
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "builder"
MAX_ROOT_MODULES = 12

# What each part may import besides itself. The kernel is the modules directly under builder/ (but the face
# and the demo); the face (cli.py, commands/) and the demo may import every part, and nothing imports them.
ALLOWED: dict[str, set[str]] = {
    "kernel": {"lang"},
    "lang": {"kernel"},
    "corpus": {"kernel", "lang"},
    "check": {"kernel", "lang", "corpus"},
    "release": {"kernel", "lang", "corpus", "check"},
    "bench": {"kernel", "lang", "corpus", "check", "release"},
    "annotate": {"kernel", "lang", "corpus", "check", "bench"},
    "face": {"kernel", "lang", "corpus", "annotate", "check", "release", "bench", "demo"},
    "demo": {"kernel", "lang", "corpus", "annotate", "check", "release", "bench"},
}
FACE = {"builder.cli", "builder.commands"}
SDK = "label_studio_sdk"
LABEL_STUDIO = "builder.annotate.labelstudio"


@dataclass(frozen=True)
class Import:
    source: str  # importing module
    target: str  # imported module (a builder module, or the top-level name of another package)
    file: Path
    line: int

    def where(self) -> str:
        return f"{self.file.relative_to(PACKAGE.parent)}:{self.line}"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def modules() -> dict[str, Path]:
    return {module_name(p): p for p in PACKAGE.rglob("*.py")}


def _resolve(base: str, names: list[str]) -> list[str]:
    """`from base import a, b`: the submodules a and b when they are modules, else base itself."""
    known = modules()
    out = [f"{base}.{n}" for n in names if f"{base}.{n}" in known]
    return out if len(out) == len(names) else [*out, base]


@cache
def imports() -> list[Import]:
    found = []
    for name, path in modules().items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(tree):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base_parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(base_parts + ([node.module] if node.module else []))
                else:
                    base = node.module or ""
                targets = _resolve(base, [a.name for a in node.names]) if base.startswith("builder") else [base]
            for target in targets:
                if not target.startswith("builder"):
                    target = target.split(".")[0]
                found.append(Import(name, target, path, node.lineno))
    return found


def part_of(module: str) -> str:
    parts = module.split(".")
    if module in FACE or module.startswith("builder.commands."):
        return "face"
    if module == "builder.project" or module.startswith("builder.project."):  # the outer layer: every part
        return "demo"
    if len(parts) == 2 or module == "builder":
        return "kernel"
    return parts[1]


def builder_imports() -> list[Import]:
    return [i for i in imports() if i.target.startswith("builder") and i.target != i.source]


def test_architecture_parts_import_only_what_they_may() -> None:
    bad = []
    for imp in builder_imports():
        src, dst = part_of(imp.source), part_of(imp.target)
        if src != dst and dst not in ALLOWED[src]:
            bad.append(f"{imp.where()}: {src} imports {dst} ({imp.target})")
    assert not bad, "imports across parts that ARCHITECTURE.md does not allow:\n" + "\n".join(bad)


def test_architecture_only_labelstudio_adapter_uses_the_sdk() -> None:
    bad = [f"{i.where()}: {i.source} imports {SDK}" for i in imports()
           if i.target == SDK and not i.source.startswith(LABEL_STUDIO)]
    assert not bad, "only builder/annotate/labelstudio/ may import the Label Studio SDK:\n" + "\n".join(bad)


def test_architecture_labelstudio_adapter_is_used_by_annotate_and_the_face_only() -> None:
    bad = [f"{i.where()}: {i.source} imports {i.target}" for i in builder_imports()
           if i.target.startswith(LABEL_STUDIO) and part_of(i.source) not in ("annotate", "face", "demo")]
    assert not bad, "Label Studio's formats stop at builder/annotate/labelstudio/:\n" + "\n".join(bad)


def test_architecture_nothing_imports_the_face() -> None:
    bad = [f"{i.where()}: {i.source} imports {i.target}" for i in builder_imports()
           if part_of(i.target) == "face" and part_of(i.source) != "face"]
    assert not bad, "only the face imports builder.cli or builder.commands:\n" + "\n".join(bad)


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one node (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return out


def test_architecture_no_import_cycle_between_modules() -> None:
    edges: dict[str, set[str]] = defaultdict(set)
    lines: dict[tuple[str, str], Import] = {}
    for imp in builder_imports():
        edges[imp.source].add(imp.target)
        lines.setdefault((imp.source, imp.target), imp)
    report = []
    for cycle in _cycles(edges):
        members = set(cycle)
        report.append(" <-> ".join(cycle) + ": " + "; ".join(
            lines[(a, b)].where() + f" imports {b}" for a in cycle for b in sorted(edges[a] & members)))
    assert not report, "import cycles:\n" + "\n".join(report)


def test_architecture_no_import_cycle_between_parts() -> None:
    edges: dict[str, set[str]] = defaultdict(set)
    for imp in builder_imports():
        src, dst = part_of(imp.source), part_of(imp.target)
        if src != dst:
            edges[src].add(dst)
    assert not _cycles(edges), f"parts import each other in a circle: {_cycles(edges)}"


def test_architecture_few_modules_at_the_root() -> None:
    root = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert len(root) <= MAX_ROOT_MODULES, f"{len(root)} modules directly under builder/ (at most " \
                                          f"{MAX_ROOT_MODULES}): {', '.join(root)}"


def test_architecture_rules_see_imports_inside_functions(tmp_path: Path) -> None:
    """The reader finds an import inside a function, with its line (the rules would miss hidden imports)."""
    found = [i for i in imports() if i.source == "builder.cli"]
    assert any(i.target == "builder.config" for i in found)
    sample = "def f():\n    from builder.config import load_config\n    import label_studio_sdk\n"
    tree = ast.parse(sample)
    nested = [n for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))]
    assert [n.lineno for n in nested] == [2, 3]
