"""The names a cell's code reads, writes and imports, from its AST (nothing is executed).

A name loaded before the code assigns it is read (an input); a name the code assigns at top
level is written (an output); the modules it imports decide which library hooks it may need.
Used by the cell run (``cell.py``), capture and whole-notebook capture.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True)
class CellNames:
    """Names a cell's code reads before assigning them, assigns at top level, and loads at all."""

    read: frozenset[str] = frozenset()
    written: frozenset[str] = frozenset()
    loaded: frozenset[str] = frozenset()
    imported_modules: frozenset[str] = frozenset()


class _NameCollector(ast.NodeVisitor):
    """Visits in evaluation order (a right-hand side before its targets) and tracks scope depth:
    assignments inside functions, lambdas and comprehensions are local, loads anywhere count."""

    def __init__(self) -> None:
        self.read: set[str] = set()
        self.written: set[str] = set()
        self.loaded: set[str] = set()
        self.modules: set[str] = set()
        self.depth = 0

    def visit_Name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, ast.Load):
            self.loaded.add(node.id)
            if node.id not in self.written:
                self.read.add(node.id)
        elif isinstance(node.ctx, ast.Store) and self.depth == 0:
            self.written.add(node.id)

    def visit_Assign(self, node: ast.Assign) -> None:
        self.visit(node.value)
        for target in node.targets:
            self.visit(target)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self.visit(node.value)
        self.visit(node.target)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self.visit(node.value)
        if isinstance(node.target, ast.Name):  # x += 1 reads x first
            self.visit_Name(ast.Name(id=node.target.id, ctx=ast.Load()))
        self.visit(node.target)

    def visit_NamedExpr(self, node: ast.NamedExpr) -> None:
        self.visit(node.value)
        depth, self.depth = self.depth, 0  # the walrus binds in the enclosing (cell) scope
        self.visit(node.target)
        self.depth = depth

    def visit_For(self, node: ast.For | ast.AsyncFor) -> None:
        self.visit(node.iter)
        self.visit(node.target)
        for statement in [*node.body, *node.orelse]:
            self.visit(statement)

    visit_AsyncFor = visit_For

    def _visit_scope(self, outer: Sequence[ast.AST], inner: Sequence[ast.AST]) -> None:
        for child in outer:
            self.visit(child)
        self.depth += 1
        for child in inner:
            self.visit(child)
        self.depth -= 1

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        if self.depth == 0:
            self.written.add(node.name)
        outer = [
            *node.decorator_list,
            *node.args.defaults,
            *(d for d in node.args.kw_defaults if d),
        ]
        self._visit_scope(outer, node.body)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        if self.depth == 0:
            self.written.add(node.name)
        self._visit_scope([*node.decorator_list, *node.bases, *node.keywords], node.body)

    def visit_Lambda(self, node: ast.Lambda) -> None:
        self._visit_scope(list(node.args.defaults), [node.body])

    def _visit_comprehension(
        self, node: ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp
    ) -> None:
        # the first iterable is evaluated in the enclosing scope; the rest is the comprehension's own
        first, *others = node.generators
        self.visit(first.iter)
        self.depth += 1
        self.visit(first.target)
        for condition in first.ifs:
            self.visit(condition)
        for generator in others:
            self.visit(generator)
        elements = [node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt]
        for element in elements:
            self.visit(element)
        self.depth -= 1

    visit_ListComp = visit_SetComp = visit_GeneratorExp = visit_DictComp = _visit_comprehension

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self.modules.add(alias.name)
            if self.depth == 0:
                self.written.add((alias.asname or alias.name).partition(".")[0])

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.module and not node.level:
            self.modules.add(node.module)
        for alias in node.names:
            if self.depth == 0:
                self.written.add(alias.asname or alias.name)


@lru_cache(maxsize=256)
def cell_names(python_code: str) -> CellNames:
    """The names of a cell's (already IPython-transformed) Python code; empty if it won't parse."""
    try:
        tree = ast.parse(python_code)
    except (SyntaxError, ValueError):
        return CellNames()
    collector = _NameCollector()
    collector.visit(tree)
    return CellNames(
        read=frozenset(collector.read),
        written=frozenset(collector.written),
        loaded=frozenset(collector.loaded),
        imported_modules=frozenset(collector.modules),
    )


def imports_package(names: CellNames, package: str) -> bool:
    return any(
        module == package or module.startswith(package + ".") for module in names.imported_modules
    )
