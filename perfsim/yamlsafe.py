"""Strict, safe YAML reading: YAML 1.2 scalars, no object tags, no duplicate keys, no traps.

PyYAML implements YAML 1.1, where ``NO`` (Norway), ``on`` and ``off`` silently become
booleans and ``1:30`` becomes the integer 90. In a policy file such a surprise changes
meaning without a word, so this loader refuses those plain scalars and asks for quotes
or ``true``/``false``. Everything else follows PyYAML's ``SafeLoader``: no Python tags,
no code execution.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from .errors import PerfsimError
from .inputs import read_text

MAX_YAML_BYTES = 2 * 1024 * 1024
"""Scheme and scenario files are hand-written policy documents; 2 MiB is far beyond any."""

MAX_YAML_VALUES = 200_000
"""Aliases can make a tiny file expand to a huge document ("billion laughs"); refuse that."""

_YAML11_BOOLEAN = re.compile(r"^(?:yes|Yes|YES|no|No|NO|on|On|ON|off|Off|OFF)$")
_SEXAGESIMAL = re.compile(r"^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$")
_LEADING_ZERO_INT = re.compile(r"^[-+]?0[0-9_]+$")


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 booleans and errors for YAML 1.1 traps."""


# Drop the YAML 1.1 bool resolver (yes/no/on/off) and re-add a YAML 1.2 one.
_StrictLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_StrictLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)


def _check_plain_scalar(loader: _StrictLoader, node: yaml.ScalarNode) -> None:
    if node.style is not None:  # quoted or block scalar: the author chose a string
        return
    value = node.value
    trap = None
    if _YAML11_BOOLEAN.match(value):
        trap = f"'{value}' is a boolean in YAML 1.1 but a string in YAML 1.2"
        fix = f'write true or false for a yes/no setting, or quote it ("{value}") for text'
    elif _SEXAGESIMAL.match(value):
        trap = f"'{value}' is read as a base-60 number by YAML 1.1"
        fix = f'quote it ("{value}") if it is text such as a time'
    elif _LEADING_ZERO_INT.match(value):
        trap = f"'{value}' has a leading zero and is read as an octal number by YAML 1.1"
        fix = f'quote it ("{value}") if it is an identifier, or drop the leading zero'
    if trap:
        raise PerfsimError(
            f"ambiguous YAML value: {trap}",
            field=f"line {node.start_mark.line + 1}",
            hint=fix,
        )


def _construct_scalar_checked(loader: _StrictLoader, node: yaml.ScalarNode) -> Any:
    _check_plain_scalar(loader, node)
    return loader.construct_scalar(node)


def _construct_mapping_checked(loader: _StrictLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    loader.flatten_mapping(node)
    result: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, (str, int, float, bool)):
            raise PerfsimError(
                "a mapping key must be a plain value",
                field=f"line {key_node.start_mark.line + 1}",
                hint="use a simple name as the key",
            )
        if key in result:
            raise PerfsimError(
                f"duplicate key '{key}'",
                field=f"line {key_node.start_mark.line + 1}",
                hint="each key may appear once in a mapping; remove or merge the repeat",
            )
        result[key] = loader.construct_object(value_node, deep=True)
    return result


def _construct_int_checked(loader: _StrictLoader, node: yaml.ScalarNode) -> Any:
    _check_plain_scalar(loader, node)
    return yaml.SafeLoader.construct_yaml_int(loader, node)


def _construct_float_checked(loader: _StrictLoader, node: yaml.ScalarNode) -> Any:
    _check_plain_scalar(loader, node)
    return yaml.SafeLoader.construct_yaml_float(loader, node)


_StrictLoader.add_constructor("tag:yaml.org,2002:map", _construct_mapping_checked)
_StrictLoader.add_constructor("tag:yaml.org,2002:str", _construct_scalar_checked)
_StrictLoader.add_constructor("tag:yaml.org,2002:int", _construct_int_checked)
_StrictLoader.add_constructor("tag:yaml.org,2002:float", _construct_float_checked)


class YamlDocument:
    """A parsed YAML file: its data plus the node tree, to find the line of a field."""

    def __init__(self, path: Path, data: Any, root: yaml.Node | None) -> None:
        self.path = path
        self.data = data
        self.root = root

    def line_of(self, loc: tuple[str | int, ...]) -> int | None:
        """1-based line where the field at ``loc`` (a location in the file) is written, if found.

        A mapping entry is found on the line of its key (a block list or mapping under a key starts on
        the next line, but the user wrote the field on the key's line); a list item on its own line. A
        location that goes past what the file has (a missing key) gives the line of the last part found.
        """
        node = self.root
        line = node.start_mark.line + 1 if node is not None else None
        for part in loc:
            if isinstance(node, yaml.MappingNode):
                entry = next(((k, v) for k, v in node.value if k.value == str(part)), None)
                nxt, at = (entry[1], entry[0]) if entry is not None else (None, None)
            elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
                nxt = at = node.value[part] if 0 <= part < len(node.value) else None
            else:
                nxt = at = None
            if nxt is None or at is None:
                break
            node = nxt
            line = at.start_mark.line + 1
        return line


def _expanded_size_ok(root: yaml.Node) -> bool:
    """Count values with aliases expanded, stopping as soon as the count passes the limit."""
    count, stack = 0, [root]
    while stack:
        node = stack.pop()
        count += 1
        if count > MAX_YAML_VALUES:
            return False
        if isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
        elif isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                stack.extend((key, value))
    return True


_SYNTAX = [
    (
        "mapping values are not allowed",
        "a ':' where no key can start",
        "indent the key like its neighbours, or quote a value that holds ': '",
    ),
    ("unexpected end of stream", "the file ends inside a quote", "close the quote ('…' or \"…\")"),
    ("cannot start any token", "a tab character", "indent with spaces, not tabs"),
    (
        "undefined alias",
        "an alias (*name) with no anchor (&name) before it",
        "define the anchor first, or write the value",
    ),
    ("expected ',' or ']'", "a list in [brackets] is not closed", "close it with ']' or separate items with ','"),
    ("expected ',' or '}'", "a mapping in {braces} is not closed", "close it with '}' or separate entries with ','"),
    (
        "expected <block end>",
        "an entry is indented differently from the ones around it",
        "line it up with its neighbours",
    ),
    ("expected the node content", "a value is missing or starts with a character YAML reserves", "quote the value"),
    (
        "could not find expected ':'",
        "a key without ':' (or a line that continues an unquoted value)",
        "add ':' or quote it",
    ),
    (
        "did not find expected key",
        "an entry is indented differently from the ones around it",
        "line it up with its neighbours",
    ),
    (
        "did not find expected '-'",
        "a list item is indented differently from the ones around it",
        "line up the '-' marks",
    ),
    ("found unknown escape character", 'an unknown escape (\\x) in a "double-quoted" value', "use 'single quotes'"),
]
"""PyYAML's problems in the user's words: (part of PyYAML's text, what is wrong, what to do)."""


def _syntax_words(problem: str) -> tuple[str, str]:
    """A YAML syntax problem in words a scheme author reads, and the fix."""
    char = re.search(r"found character '(.+?)' that cannot start any token", problem)
    if char is not None and char.group(1) != "\\t":
        return f"YAML syntax error: a value cannot start with '{char.group(1)}'", "quote the value"
    for key, message, hint in _SYNTAX:
        if key in problem:
            return f"YAML syntax error: {message}", hint
    return "YAML syntax error", "check indentation and quoting around that line"


def load_yaml(path: str | Path, *, what: str = "scheme file") -> YamlDocument:
    """Load one YAML document strictly and safely.

    The file is read through :mod:`perfsim.inputs` (regular files only, at most
    :data:`MAX_YAML_BYTES`, UTF-8).

    Parameters
    ----------
    path
        The YAML file.
    what
        What the file is, for messages (``"scheme file"``, ``"scenario file"``).

    Returns
    -------
    YamlDocument
        The data and the node tree (for the line of a field).

    Raises
    ------
    PerfsimError
        For a missing, special (folder, FIFO, device), oversize, empty or non-UTF-8 file, a
        syntax error, a Python object tag, a duplicate key, or a YAML 1.1 trap (``NO``,
        ``on``, ``1:30``, ``010``).
    """
    path = Path(path)
    text = read_text(path, limit=MAX_YAML_BYTES, what=what)
    loader = _StrictLoader(text)
    try:
        root = loader.get_single_node()
        if root is not None and not _expanded_size_ok(root):
            raise PerfsimError(
                f"{what} expands to more than {MAX_YAML_VALUES:,} values (through YAML aliases)",
                hint="write the scheme out plainly; aliases may share a small block, not multiply one",
            )
        data = loader.construct_document(root) if root is not None else None
    except PerfsimError as exc:
        raise exc.with_file(path) from None
    except RecursionError:
        raise PerfsimError(
            f"{what} is nested too deeply to read", file=path, hint="a scheme nests a few levels; check the brackets"
        ) from None
    except yaml.constructor.ConstructorError as exc:
        mark = exc.problem_mark
        tag = re.search(r"tag '(?:tag:yaml\.org,2002:)?([^']*)'", str(exc.problem))
        raise PerfsimError(
            f"unsupported YAML tag '!!{tag.group(1)}'" if tag else "unsupported YAML tag",
            file=path,
            field=f"line {mark.line + 1}" if mark else None,
            hint="scheme files hold plain data only; remove tags such as !!python/object",
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        message, hint = _syntax_words(str(getattr(exc, "problem", None) or ""))
        raise PerfsimError(
            message,
            file=path,
            field=f"line {mark.line + 1}, column {mark.column + 1}" if mark else None,
            hint=hint,
        ) from None
    finally:
        loader.dispose()
    if data is None:
        raise PerfsimError(f"{what} holds no data", file=path, hint=f"write the {what}")
    return YamlDocument(path, data, root)
