"""The layers stay as DESIGN.md draws them.

import-linter (``make lint``, ``.ci/run``) checks the layers contract in pyproject.toml; it cannot
tell an import at module top from one tucked inside a function to dodge a cycle. This test can:
no module imports another app inside a function, except management commands and demo loaders
(which assemble many apps on purpose) and imports for type checking.
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("marketplace", "providers", "signing", "search")
MAX_LINES = 600


def _modules():
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT)
            if "migrations" in relative.parts:
                continue
            yield relative, path


def _app_of(dotted: str) -> str:
    """The app a dotted module belongs to: ``marketplace.hiring.services`` -> ``marketplace.hiring``."""
    parts = dotted.split(".")
    return ".".join(parts[:2]) if parts[0] == "marketplace" else parts[0]


def _module_name(relative: Path) -> str:
    return ".".join(relative.with_suffix("").parts).removesuffix(".__init__")


def _imported(node: ast.AST, module: str) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom):
        if node.level:  # relative: resolve against this module's package
            base = module.split(".")[: -node.level]
            return [".".join([*base, node.module] if node.module else base)]
        return [node.module or ""]
    return []


def _function_imports(tree: ast.AST, module: str):
    for function in ast.walk(tree):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for node in ast.walk(function):
            for name in _imported(node, module):
                if name.split(".")[0] in PACKAGES:
                    yield node.lineno, name


def test_no_module_imports_another_app_inside_a_function():
    offenders = []
    for relative, path in _modules():
        if "management" in relative.parts or relative.name == "demo.py":
            continue
        module = _module_name(relative)
        for lineno, name in _function_imports(ast.parse(path.read_text()), module):
            if _app_of(name) != _app_of(module):
                offenders.append(f"{relative}:{lineno} imports {name}")
    assert offenders == [], "import at module top (and respect the layers):\n" + "\n".join(offenders)


def test_no_module_outgrows_a_screenful_of_concepts():
    long = [
        f"{relative}: {n} lines"
        for relative, path in _modules()
        if (n := len(path.read_text().splitlines())) > MAX_LINES
    ]
    assert long == [], "split these by concern (STYLE.md):\n" + "\n".join(long)
