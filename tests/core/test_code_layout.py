"""The code's shape, checked: the core has no import cycles, no module is over 400 lines and no
function over 80 (unless a comment says why), and every import inside a core function says why."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
GUIAPP = ROOT / "guiapp"
MAX_MODULE_LINES, MAX_FUNCTION_LINES = 400, 80
# A module or function may be longer when a comment says why, in these words.
LONG_MODULE, LONG_FUNCTION = "# longer than 400 lines:", "# longer than 80 lines:"


def python_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.py") if "__pycache__" not in p.parts)


def test_the_core_has_no_import_cycles():
    grimp = pytest.importorskip("grimp")  # installed with import-linter
    graph = grimp.build_graph("guiapp")
    core = {m for m in graph.modules if m.startswith("guiapp.core.")}
    cycles = []
    for module in sorted(core):
        for imported in graph.find_modules_directly_imported_by(module):
            if imported in core and graph.chain_exists(imported=module, importer=imported):
                cycles.append(f"{module} -> {imported}")
    assert cycles == [], "import cycles in guiapp/core (each edge lies on a cycle):\n" + "\n".join(cycles)


def test_no_module_is_over_400_lines():
    offenders = []
    for path in python_files(GUIAPP):
        lines = path.read_text(encoding="utf-8").splitlines()
        if len(lines) > MAX_MODULE_LINES and not any(line.startswith(LONG_MODULE) for line in lines[:20]):
            offenders.append(f"{path.relative_to(ROOT)}: {len(lines)} lines")
    assert offenders == []


def test_no_function_is_over_80_lines():
    offenders = []
    for path in python_files(GUIAPP):
        text = path.read_text(encoding="utf-8")
        lines = text.splitlines()
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = node.end_lineno - node.lineno + 1
                first = min([node.lineno] + [d.lineno for d in node.decorator_list])
                said = first >= 2 and lines[first - 2].strip().startswith(LONG_FUNCTION)
                if length > MAX_FUNCTION_LINES and not said:
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name}: {length} lines")
    assert offenders == []


def _explained(lines: list[str], lineno: int) -> bool:
    """A comment on the import's line, or on a line of the block of imports and comments above it."""
    i = lineno - 1
    while i >= 0:
        line = lines[i].strip()
        if "#" in line:
            return True
        if not line.startswith(("import ", "from ")) and i != lineno - 1:
            return False
        i -= 1
    return False


def test_every_import_inside_a_core_function_says_why():
    """Function-local imports are for lazy heavy libraries (and the few of Tenfold's own modules
    that would pull one in when the window opens); each says why in a comment. A standard-library
    module, or one of Tenfold's that needs no laziness, is imported at the top."""
    offenders = []
    for path in python_files(GUIAPP / "core"):
        text = path.read_text(encoding="utf-8")
        lines = text.splitlines()
        for node in ast.walk(ast.parse(text)):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for inner in ast.walk(node):
                if isinstance(inner, ast.Import | ast.ImportFrom) and not _explained(lines, inner.lineno):
                    offenders.append(f"{path.relative_to(ROOT)}:{inner.lineno} {lines[inner.lineno - 1].strip()}")
    assert offenders == []
