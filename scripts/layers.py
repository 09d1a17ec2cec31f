"""Check that the app's modules import only the layers below their own.

    .venv/bin/python scripts/layers.py [--package uploads] [--doc docs/architecture.md]

The layers are read from the document's table (between the "layers:" and "end of layers" lines:
"layer N  name" lines, each followed by its modules, one an indented line). Every import of the
package's own modules counts: at module level, inside functions and classes, under
``if TYPE_CHECKING:``, relative ones, and ``import_module("…")`` / ``import_string("…")`` of a
literal name. It fails, naming the file, line and import, when a module imports one of its own
layer or a higher one, when a module is missing from the table (or the table names one that does
not exist), when the imports make a cycle, when a module takes another's private name (``_x``,
imported or read as ``module._x``), when a migration imports the package's code, or when a
package's ``__init__.py`` imports anything of it.
"""

import argparse
import ast
import re
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAYER = re.compile(r"^layer\s+(\d+)\s+(.+?)\s*$")
MODULE = re.compile(r"^\s+([\w.]+)(\s|$)")
DYNAMIC = {"import_module", "import_string", "__import__"}


@dataclass(frozen=True)
class Import:
    target: str  # the imported module, "uploads.services"
    path: Path
    line: int

    def where(self) -> str:
        return f"{self.path}:{self.line}"


def read_layers(doc: Path) -> dict[str, tuple[int, str]]:
    """``{module: (layer number, layer name)}`` from the document's table; module names as written
    (relative to the package, e.g. ``views``, ``management.commands.uploads_cleanup``)."""
    layers: dict[str, tuple[int, str]] = {}
    inside, current = False, None
    for number, text in enumerate(doc.read_text().splitlines(), start=1):
        if text.strip() == "layers:":
            inside = True
            continue
        if text.strip() == "end of layers":
            break
        if not inside or not text.strip():
            continue
        if match := LAYER.match(text):
            current = (int(match[1]), match[2].split("  ")[0].strip())
        elif (match := MODULE.match(text)) and current is not None:
            if match[1] in layers:
                raise SystemExit(f"{doc}:{number}: {match[1]} is in the table twice.")
            layers[match[1]] = current
        else:
            raise SystemExit(f"{doc}:{number}: not a 'layer N name' line nor an indented module: {text!r}")
    if not layers:
        raise SystemExit(f"{doc}: no layer table (a 'layers:' line, 'layer N name' lines, 'end of layers').")
    return layers


def module_name(package: Path, path: Path) -> str:
    parts = [package.name, *path.relative_to(package).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules_of(package: Path) -> dict[str, Path]:
    return {module_name(package, path): path for path in sorted(package.rglob("*.py"))}


def imports_of(package: Path, path: Path, tree: ast.Module, known: dict[str, Path]) -> list[Import]:
    """Every import of the package's own modules in ``path``, wherever it stands in the file."""
    source = module_name(package, path)
    is_package = path.name == "__init__.py"
    found = []

    def add(target: str, line: int) -> None:
        if target == package.name or target.startswith(package.name + "."):
            found.append(Import(target, path, line))

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                add(alias.name, node.lineno)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = source.split(".")
                base = base[: len(base) - node.level + (1 if is_package else 0)]
                origin = ".".join(base + ([node.module] if node.module else []))
            else:
                origin = node.module or ""
            for alias in node.names:
                # "from uploads import conf" imports the module uploads.conf; "from uploads.errors
                # import NotFound" imports uploads.errors.
                submodule = f"{origin}.{alias.name}"
                add(submodule if submodule in known else origin, node.lineno)
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name in DYNAMIC and isinstance(node.args[0].value, str):
                target = node.args[0].value
                while target not in known and "." in target:  # import_string names an attribute
                    target = target.rsplit(".", 1)[0]
                add(target, node.lineno)
    return found


def private_uses(package: Path, path: Path, tree: ast.Module, known: dict[str, Path]) -> list[str]:
    """Where ``path`` takes a private name (``_x``, not ``__x__``) of another module of the package."""
    source = module_name(package, path)
    modules = {}  # local name -> module, for "from uploads import services" and "import uploads.s3 as s3"
    found = []

    def private(name: str) -> bool:
        return name.startswith("_") and not name.endswith("__")

    for node in ast.walk(tree):
        if (
            isinstance(node, ast.ImportFrom)
            and not node.level
            and (node.module or "").startswith(package.name)
        ):
            for alias in node.names:
                if f"{node.module}.{alias.name}" in known:
                    modules[alias.asname or alias.name] = f"{node.module}.{alias.name}"
                elif private(alias.name):
                    found.append(
                        f"{path}:{node.lineno}: {source} imports {node.module}.{alias.name}, a private name."
                    )
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname and alias.name in known:
                    modules[alias.asname] = alias.name
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in modules
            and private(node.attr)
            and modules[node.value.id] != source
        ):
            target = f"{modules[node.value.id]}.{node.attr}"
            found.append(f"{path}:{node.lineno}: {source} reads {target}, a private name of another module.")
    return found


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the import graph, as ``[a, b, …, a]``, or None."""
    state: dict[str, str] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = "open"
        stack.append(node)
        for target in sorted(edges.get(node, ())):
            if state.get(target) == "open":
                return [*stack[stack.index(target) :], target]
            if target not in state and (cycle := visit(target)):
                return cycle
        stack.pop()
        state[node] = "done"
        return None

    for node in sorted(edges):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def check(package: Path, doc: Path) -> tuple[list[str], str]:
    """The problems found, and a one-line summary."""
    table = read_layers(doc)
    known = modules_of(package)
    layered = {f"{package.name}.{name}": place for name, place in table.items()}
    problems = []
    for name in sorted(set(layered) - set(known)):
        problems.append(f"{doc}: the table names {name}, which is not a module of {package}.")

    edges: dict[str, set[str]] = {}
    count = 0
    for name, path in known.items():
        tree = ast.parse(path.read_text(), filename=str(path))
        found = imports_of(package, path, tree, known)
        count += len(found)
        exempt = "migrations" in path.relative_to(package).parts or path.name == "__init__.py"
        if exempt:
            # Migrations stay as Django wrote them, whatever the code becomes; packages are empty.
            problems.extend(
                f"{i.where()}: {name} imports {i.target}: a migration or a package's __init__.py "
                f"imports nothing of {package.name}."
                for i in found
            )
            continue
        if name not in layered:
            problems.append(f"{path}: {name} is in no layer; add it to the table in {doc}.")
            continue
        problems.extend(private_uses(package, path, tree, known))
        number, layer = layered[name]
        for i in found:
            edges.setdefault(name, set()).add(i.target)
            if i.target not in layered:
                continue  # a package, or a module reported above
            target_number, target_layer = layered[i.target]
            if target_number >= number:
                relation = "its own layer" if target_number == number else "a higher one"
                problems.append(
                    f"{i.where()}: {name} (layer {number}, {layer}) imports {i.target} "
                    f"(layer {target_number}, {target_layer}): {relation}, not a lower one."
                )
    if cycle := find_cycle(edges):
        problems.append("import cycle: " + " -> ".join(cycle))
    layer_count = len({number for number, _ in layered.values()})
    summary = (
        f"{package.name}: {len(layered)} modules in {layer_count} layers; {count} imports, all downward; "
        "no cycle; no private name shared."
    )
    return problems, summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--package", type=Path, default=ROOT / "uploads")
    parser.add_argument("--doc", type=Path, default=ROOT / "docs" / "architecture.md")
    args = parser.parse_args(argv)
    problems, summary = check(args.package, args.doc)
    if problems:
        print("\n".join(problems), file=sys.stderr)
        return 1
    print(summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
