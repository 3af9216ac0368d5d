"""Print the import graph's circles and the imports that run against the layers; exit 1 if any.

The application's packages stand in layers (docs/architecture.md): a package may import its own
modules and those of lower layers, never a higher one, and two packages on the same layer do not
import each other. Every import counts, also one inside a function, because a late import still
ties the two packages together. `make lint` runs this, so the rule stays kept.

    python scripts/check_layers.py          # the findings, and exit status 1 when there are any
    python scripts/check_layers.py --graph  # also each package's imports, lowest layer first
"""

import argparse
import ast
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: Lowest first. A name is a package (a folder) or a module of `shop/` or `products/`.
LAYERS: list[list[str]] = [
    ["shop.extensions", "shop.parsing"],
    [
        "shop.money",
        "shop.config",
        "shop.models_base",
        "shop.signals",
        "shop.errors",
        "shop.spreadsheets",
        "shop.jobs",
    ],
    ["products"],
    ["shop.templating", "shop.web"],
    ["shop.accounts"],
    ["shop.payments"],
    ["shop.orders"],
    ["shop.cart", "shop.messages", "shop.curation", "shop.api"],
    ["shop.checkout"],
    ["shop.sellers", "shop.openings"],
    ["shop.training"],
    ["shop.models", "shop.seed"],
    ["shop.cli"],
    ["shop"],
]
RANK = {name: rank for rank, names in enumerate(LAYERS) for name in names}
#: Modules that hold routes, besides those named views.py or *_views.py.
OTHER_VIEW_MODULES = {"shop.web", "shop.training.share", "shop.api.catalogue", "shop.api.search"}


def module_name(path: Path) -> str:
    """shop/orders/services.py -> shop.orders.services; a package's __init__ is the package."""
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def unit_of(module: str) -> str:
    """The layered unit a module belongs to: its longest prefix named in LAYERS."""
    parts = module.split(".")
    for end in range(len(parts), 0, -1):
        name = ".".join(parts[:end])
        if name in RANK:
            return name
    raise SystemExit(f"{module} is in no layer: add it to LAYERS in {Path(__file__).name}")


def is_view_module(module: str) -> bool:
    """True for a module of routes: views are entry points, so none imports another."""
    last = module.rpartition(".")[2]
    return last == "views" or last.endswith("_views") or module in OTHER_VIEW_MODULES


def imports_of(path: Path, module: str, modules: set[str]) -> list[tuple[str, int]]:
    """The project modules a file imports, with the line of each import."""
    found = []
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            # `from shop import signals` imports shop.signals, not shop/__init__.py's names.
            submodules = [f"{base}.{alias.name}" for alias in node.names]
            names = [name for name in submodules if name in modules] or [base]
        else:
            continue
        for name in names:
            while name and name not in modules:
                name = name.rpartition(".")[0]
            if name and name != module:
                found.append((name, node.lineno))
    return found


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one node (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--graph", action="store_true", help="print each package's imports")
    arguments = parser.parse_args()
    sys.setrecursionlimit(10_000)

    paths = {
        module_name(path): path
        for top in ("shop", "products")
        for path in (ROOT / top).rglob("*.py")
    }
    modules = set(paths)
    module_graph: dict[str, set[str]] = defaultdict(set)
    unit_graph: dict[str, set[str]] = defaultdict(set)
    against_layers = []
    views_importing_views = []
    for module, path in sorted(paths.items()):
        source = unit_of(module)
        for target, line in imports_of(path, module, modules):
            module_graph[module].add(target)
            if is_view_module(module) and is_view_module(target):
                views_importing_views.append(
                    f"  {path.relative_to(ROOT)}:{line} {module} -> {target}"
                )
            destination = unit_of(target)
            if destination == source:
                continue
            unit_graph[source].add(destination)
            if RANK[destination] >= RANK[source]:
                way = "up" if RANK[destination] > RANK[source] else "sideways"
                against_layers.append(
                    f"  {way}: {path.relative_to(ROOT)}:{line} {module} -> {target}"
                )

    module_circles = circles(module_graph)
    package_circles = circles(unit_graph)
    if arguments.graph:
        print("Imports between packages, lowest layer first:")
        for unit in sorted(unit_graph, key=lambda name: (RANK[name], name)):
            print(f"  [{RANK[unit]}] {unit} -> {', '.join(sorted(unit_graph[unit]))}")
    print(f"Circles between modules: {len(module_circles)}")
    for circle in module_circles:
        print("  " + " ⇄ ".join(circle))
    print(f"Circles between packages: {len(package_circles)}")
    for circle in package_circles:
        print("  " + " ⇄ ".join(circle))
    print(f"Imports against the layers: {len(against_layers)}")
    for finding in against_layers:
        print(finding)
    print(f"View modules importing view modules: {len(views_importing_views)}")
    for finding in views_importing_views:
        print(finding)
    findings = module_circles or package_circles or against_layers or views_importing_views
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
