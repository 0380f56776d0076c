"""Notebook parameters: what the cell tagged ``parameters`` declares, and values checked against it.

The cell is parsed with :mod:`ast`, never a regex: ``name = value`` and ``name: Annotation = value``
statements give each parameter its default, its annotation, a type (from the annotation, else
inferred from the default) and a help text (the comments on the statement's lines).
Annotations understood: ``int float str bool list dict tuple``, ``Any``, ``Optional[T]``,
``T | None``, ``Union[...]``, ``Literal[...]`` (choices) and their ``typing``/subscripted forms;
anything else is accepted as "any".
"""

from __future__ import annotations

import ast
import io
import json
import math
import tokenize
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlops_jupyter.tracking.display import html

if TYPE_CHECKING:
    import pandas as pd
    from nbformat import NotebookNode

PARAMETERS_TAG = "parameters"
KINDS = ("bool", "int", "float", "str", "list", "tuple", "dict", "NoneType")
_ANNOTATION_KINDS = {
    "int": "int",
    "float": "float",
    "str": "str",
    "bool": "bool",
    "list": "list",
    "List": "list",
    "Sequence": "list",
    "tuple": "tuple",
    "Tuple": "tuple",
    "dict": "dict",
    "Dict": "dict",
    "Mapping": "dict",
    "None": "NoneType",
    "NoneType": "NoneType",
    "Path": "str",
}
_TRUE_WORDS, _FALSE_WORDS = ("true", "yes", "on", "1"), ("false", "no", "off", "0")
_NONE_WORDS = ("none", "null", "~")


class ParameterError(ValueError):
    """A parameter value that the notebook does not declare or that does not fit its type."""

    def __init__(self, message: str, name: str | None = None) -> None:
        super().__init__(message)
        self.name = name


@dataclass(frozen=True)
class ParamType:
    """The values a parameter accepts: a set of kinds (empty = any value), or fixed choices."""

    kinds: frozenset[str] = frozenset()
    choices: tuple[Any, ...] | None = None

    @property
    def is_any(self) -> bool:
        return not self.kinds and self.choices is None

    def describe(self) -> str:
        if self.choices is not None:
            return "one of " + ", ".join(repr(choice) for choice in self.choices)
        if self.is_any:
            return "any"
        ordered = [kind for kind in KINDS if kind in self.kinds]
        return " | ".join("None" if kind == "NoneType" else kind for kind in ordered)


ANY = ParamType()


@dataclass(frozen=True)
class NotebookParameter:
    """One parameter of the ``parameters`` cell."""

    name: str
    type: ParamType
    default: Any  # the literal default; None when the default is not a literal
    default_source: str  # the default as written in the cell
    annotation: str | None = None
    help: str | None = None
    line: int = 0
    literal_default: bool = True

    @property
    def type_name(self) -> str:
        return self.type.describe()

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able description (the batch dialog and ``params --format json`` show it)."""
        return {
            "name": self.name,
            "type": self.type_name,
            "kinds": sorted(self.type.kinds),
            "choices": _json_safe(list(self.type.choices))
            if self.type.choices is not None
            else None,
            "default": _json_safe(self.default) if self.literal_default else None,
            "default_source": self.default_source,
            "annotation": self.annotation,
            "help": self.help,
            "line": self.line,
        }


class ParameterList(list[NotebookParameter]):
    """The parameters of a notebook, in cell order; ``to_frame()`` and ``_repr_html_`` for people."""

    def __init__(self, items: Iterable[NotebookParameter] = (), *, has_cell: bool = True) -> None:
        super().__init__(items)
        self.has_cell = has_cell

    def names(self) -> list[str]:
        return [parameter.name for parameter in self]

    def get(self, name: str) -> NotebookParameter | None:
        return next((parameter for parameter in self if parameter.name == name), None)

    def to_dicts(self) -> list[dict[str, Any]]:
        return [parameter.to_dict() for parameter in self]

    def to_frame(self) -> pd.DataFrame:
        import pandas as pd  # noqa: PLC0415 - start-up: pandas is imported on first use

        columns = ["name", "type", "default_source", "help"]
        return pd.DataFrame([{c: p.to_dict()[c] for c in columns} for p in self], columns=columns)

    def _repr_html_(self) -> str:
        return html(self)  # drawn by the view widgets/ registers (tracking/display.py)


# -- reading the parameters cell -------------------------------------------------------------
def parameters_cell(nb: NotebookNode) -> NotebookNode | None:
    """The first cell tagged ``parameters`` (papermill's rule), or None."""
    for cell in nb.cells:
        if PARAMETERS_TAG in cell.get("metadata", {}).get("tags", []):
            return cell
    return None


def read_notebook(path: str | Path) -> NotebookNode:
    """Read a notebook file, with a clear error when it is missing or not a notebook."""
    import nbformat  # noqa: PLC0415 - start-up: nbformat is imported on first use

    location = Path(path)
    if not location.is_file():
        raise FileNotFoundError(f"no notebook at {location}")
    try:
        return nbformat.read(str(location), as_version=4)
    except Exception as error:  # nbformat raises several unrelated types for bad JSON
        raise ParameterError(f"{location} is not a readable notebook: {error}") from error


def notebook_params(notebook: str | Path | NotebookNode) -> ParameterList:
    """The parameters a notebook declares (``mlops-jupyter params NB``)."""
    nb = notebook if hasattr(notebook, "cells") else read_notebook(notebook)  # type: ignore[arg-type]
    cell = parameters_cell(nb)  # type: ignore[arg-type]
    if cell is None:
        return ParameterList(has_cell=False)
    return ParameterList(parse_parameters(cell.source))


def parse_parameters(source: str) -> list[NotebookParameter]:
    """Parameters declared by the source of a parameters cell."""
    tree = _parse_cell(source)
    comments = _comments_by_line(source)
    found: dict[str, NotebookParameter] = {}
    for statement in tree.body:
        for parameter in _parameters_of(statement, source, comments):
            found.pop(parameter.name, None)  # a later assignment wins, as when the cell runs
            found[parameter.name] = parameter
    return list(found.values())


def _parse_cell(source: str) -> ast.Module:
    try:
        return ast.parse(source)
    except SyntaxError:
        pass
    # IPython syntax (%magics, !shell) is valid in a cell: translate it line for line, then parse
    from IPython.core.inputtransformer2 import TransformerManager  # noqa: PLC0415 - start-up: IPython's input transformer loads on first use, not on --help

    try:
        return ast.parse(TransformerManager().transform_cell(source))
    except SyntaxError as error:
        raise ParameterError(
            f"the parameters cell does not parse: line {error.lineno}: {error.msg}"
        ) from error


def _comments_by_line(source: str) -> dict[int, str]:
    comments: dict[int, str] = {}
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type == tokenize.COMMENT:
                comments[token.start[0]] = token.string.lstrip("#").strip()
    except (tokenize.TokenError, IndentationError, SyntaxError):
        pass  # IPython syntax; the help texts that did tokenize are kept
    return comments


def _parameters_of(
    statement: ast.stmt, source: str, comments: dict[int, str]
) -> list[NotebookParameter]:
    targets: list[ast.Name]
    if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
        targets, annotation = [statement.target], statement.annotation
    elif isinstance(statement, ast.Assign) and all(
        isinstance(t, ast.Name) for t in statement.targets
    ):
        targets, annotation = [t for t in statement.targets if isinstance(t, ast.Name)], None
    else:
        return []
    value = statement.value
    default_source = ast.get_source_segment(source, value) if value is not None else ""
    default, literal = _literal(value)
    annotation_text = ast.get_source_segment(source, annotation) if annotation is not None else None
    param_type = (
        annotation_type(annotation) if annotation is not None else _inferred_type(default, literal)
    )
    end = statement.end_lineno or statement.lineno
    help_text = (
        " ".join(comments[line] for line in range(statement.lineno, end + 1) if line in comments)
        or None
    )
    return [
        NotebookParameter(
            name=target.id,
            type=param_type,
            default=default,
            default_source=default_source or "",
            annotation=annotation_text,
            help=help_text,
            line=statement.lineno,
            literal_default=literal,
        )
        for target in targets
    ]


def _literal(node: ast.expr | None) -> tuple[Any, bool]:
    if node is None:
        return None, False
    try:
        return ast.literal_eval(node), True
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None, False


def _inferred_type(default: Any, literal: bool) -> ParamType:
    if not literal or default is None:
        return (
            ANY  # `x = None` or `x = f()`: papermill convention for "no default"; accept anything
        )
    kind = type(default).__name__
    return ParamType(frozenset({kind})) if kind in KINDS else ANY


def annotation_type(node: ast.expr) -> ParamType:
    """The values an annotation allows (unknown annotations allow anything)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):  # "int", a string annotation
        try:
            return annotation_type(ast.parse(node.value, mode="eval").body)
        except SyntaxError:
            return ANY
    if isinstance(node, ast.Constant) and node.value is None:
        return ParamType(frozenset({"NoneType"}))
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return _union([annotation_type(node.left), annotation_type(node.right)])
    if isinstance(node, ast.Subscript):
        return _subscripted_type(_annotation_name(node.value), node.slice)
    name = _annotation_name(node)
    kind = _ANNOTATION_KINDS.get(name)
    return ParamType(frozenset({kind})) if kind else ANY


def _annotation_name(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):  # typing.Optional, pathlib.Path
        return node.attr
    return ""


def _subscripted_type(name: str, index: ast.expr) -> ParamType:
    members = list(index.elts) if isinstance(index, ast.Tuple) else [index]
    if name == "Literal":
        choices = []
        for member in members:
            value, literal = _literal(member)
            if not literal:
                return ANY
            choices.append(value)
        return ParamType(choices=tuple(choices))
    if name == "Optional":
        return _union([annotation_type(members[0]), ParamType(frozenset({"NoneType"}))])
    if name == "Union":
        return _union([annotation_type(member) for member in members])
    if name == "Annotated":
        return annotation_type(members[0])
    kind = _ANNOTATION_KINDS.get(name)
    return ParamType(frozenset({kind})) if kind else ANY


def _union(types: list[ParamType]) -> ParamType:
    if any(t.is_any for t in types):
        return ANY
    choices = [c for t in types if t.choices is not None for c in t.choices]
    kinds = frozenset().union(*(t.kinds for t in types))
    if choices and kinds:
        # Literal[...] | None: keep the choices and let None through
        return ParamType(choices=tuple(choices) + ((None,) if kinds == {"NoneType"} else ()))
    if choices:
        return ParamType(choices=tuple(choices))
    return ParamType(kinds)


# -- checking values -------------------------------------------------------------------------
def fits(param_type: ParamType, value: Any) -> tuple[bool, Any]:
    """Whether a typed value fits, and the value to inject (ints widen to floats, tuples to lists)."""
    if param_type.choices is not None:
        return _is_choice(param_type, value), value
    if param_type.is_any:
        return True, value
    kind = _kind_of(value)
    if kind in param_type.kinds:
        return True, list(value) if kind == "tuple" else value
    if kind == "int" and "float" in param_type.kinds:
        return True, float(value)
    if kind in ("list", "tuple") and param_type.kinds & {"list", "tuple"}:
        return True, list(value)  # papermill writes tuples as strings; a list keeps the items
    return False, value


def _is_choice(param_type: ParamType, value: Any) -> bool:
    """True == 1 in Python; a Literal[1, 2] parameter must still refuse True."""
    return any(value == c and type(value) is type(c) for c in param_type.choices or ())


def _kind_of(value: Any) -> str:
    kind = type(value).__name__
    if kind in KINDS:
        return kind
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "str"
    if isinstance(value, Mapping):
        return "dict"
    return kind


def parse_text(param_type: ParamType, text: str) -> Any:
    """Turn a command-line word into a value of the parameter's type; ValueError when it cannot."""
    if param_type.choices is not None:
        for choice in param_type.choices:
            if text == str(choice) or (choice is None and text.lower() in _NONE_WORDS):
                return choice
            if isinstance(choice, (int, float)) and not isinstance(choice, bool):
                try:
                    if type(choice)(text) == choice:
                        return choice
                except ValueError:
                    pass
        raise ValueError(f"expected {param_type.describe()}")
    if param_type.is_any:
        return guess_value(text)
    for kind in ("NoneType", "bool", "int", "float", "list", "tuple", "dict", "str"):
        if kind in param_type.kinds:
            try:
                return _parse_kind(kind, text)
            except ValueError:
                continue
    raise ValueError(f"expected {param_type.describe()}")


def _parse_kind(kind: str, text: str) -> Any:
    word = text.strip().lower()
    if kind == "str":
        return text
    if kind == "NoneType":
        if word in _NONE_WORDS:
            return None
    elif kind == "bool":
        if word in _TRUE_WORDS:
            return True
        if word in _FALSE_WORDS:
            return False
    elif kind == "int":
        return int(text)
    elif kind == "float":
        return float(text)
    else:
        value = _structured(text)
        expected: dict[str, type | tuple[type, ...]] = {
            "list": list,
            "tuple": (list, tuple),
            "dict": dict,
        }
        if isinstance(value, expected[kind]):
            return list(value) if isinstance(value, tuple) else value
    raise ValueError(f"not a {kind}")


def _structured(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        pass
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError) as error:
        raise ValueError("not a literal") from error


def guess_value(text: str) -> Any:
    """A word with no declared type: papermill's rule (True/False/None, int, float) plus JSON lists/dicts."""
    if text in ("True", "False"):
        return text == "True"
    if text == "None":
        return None
    for convert in (int, float):
        try:
            return convert(text)
        except ValueError:
            pass
    if text[:1] in "[{":
        try:
            return _structured(text)
        except ValueError:
            pass
    return text


def resolve_parameters(
    declared: ParameterList,
    values: Mapping[str, Any] | None = None,
    words: Iterable[tuple[str, str]] = (),
    *,
    strict: bool = False,
) -> dict[str, Any]:
    """Typed values (``values``, e.g. from YAML or Python) and command-line words, checked.

    ``words`` are ``-p NAME TEXT`` pairs, parsed with the declared type of NAME. Under
    ``strict`` any unknown name or value that does not fit raises one :class:`ParameterError`
    naming every such parameter; otherwise they pass with a warning (papermill's behaviour).
    """
    resolved: dict[str, Any] = {}
    problems: list[tuple[str, str]] = []
    checks = [(name, value, False) for name, value in (values or {}).items()]
    checks += [(name, text, True) for name, text in words]
    for name, given, is_word in checks:
        resolved[name], problem = _check(declared, name, given, is_word)
        if problem:
            problems.append((name, problem))
    if problems and strict:
        raise ParameterError("; ".join(problem for _, problem in problems), problems[0][0])
    for _, problem in problems:
        warnings.warn(problem, stacklevel=2)
    return resolved


def _check(declared: ParameterList, name: str, given: Any, is_word: bool) -> tuple[Any, str | None]:
    """(value to inject, problem or None) for one given value or command-line word."""
    parameter = declared.get(name)
    if parameter is None:
        value = guess_value(given) if is_word else given
        if not declared.has_cell:
            return (
                value,
                f"parameter {name!r} cannot be checked: the notebook has no cell tagged 'parameters'",
            )
        return (
            value,
            f"unknown parameter {name!r}: the notebook declares {', '.join(declared.names()) or 'none'}",
        )
    if is_word:
        try:
            return parse_text(parameter.type, given), None
        except ValueError:
            return guess_value(
                given
            ), f"parameter {name!r} expects {parameter.type_name}, got {given!r}"
    ok, converted = fits(parameter.type, given)
    if ok:
        return converted, None
    return (
        given,
        f"parameter {name!r} expects {parameter.type_name}, got {type(given).__name__} {given!r}",
    )


def _json_safe(value: Any) -> Any:
    """Literal defaults are JSON-able except non-finite floats, tuples, sets and bytes."""
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    if isinstance(value, (tuple, list)):
        return [_json_safe(item) for item in value]
    if isinstance(value, (set, frozenset)):
        return sorted((_json_safe(item) for item in value), key=repr)
    if isinstance(value, dict):
        return {str(key): _json_safe(item) for key, item in value.items()}
    if isinstance(value, bytes):
        return repr(value)
    return value
