"""Where a key path is in a policy's YAML text, and editing one value in place.

PyYAML's composer keeps every node's position (``start_mark``/``end_mark``), so a problem at
``tiers.levels[2].top`` is shown with its line, and the console's form fields change exactly
the characters of one value: the rest of the file — comments, flow style, key order — stays
as the author wrote it (a load/dump round trip would lose all three).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from tierwise.policy.keys import path_parts


@dataclass(frozen=True)
class Scalar:
    """One scalar value of the text: its key path, its text as written, where it is."""

    path: str
    value: str
    start: int  # character offsets into the text (end exclusive)
    end: int
    line: int  # 1-based


def compose(text: str) -> Node | None:
    """The YAML node tree of ``text``; None when it is empty or not valid YAML."""
    try:
        return yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return None


def locate(text: str, path: str) -> int | None:
    """The 1-based line of ``path`` in ``text``: the key's own line when it is there (an
    unknown key too), else the line of the deepest mapping or item on the way (where a
    missing key belongs); None when the text is not YAML or the path is the top."""
    node = compose(text)
    line: int | None = None
    for part in path_parts(path):
        if isinstance(node, MappingNode) and isinstance(part, str):
            hit = next(((k, v) for k, v in node.value if k.value == part), None)
            if hit is None:
                break
            line, node = hit[0].start_mark.line + 1, hit[1]
        elif isinstance(node, SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            break
    return line


def scalars(text: str) -> Iterator[Scalar]:
    """Every scalar value of ``text`` with its key path (none when it is not YAML)."""
    root = compose(text)
    if root is not None:
        yield from _walk(root, "")


def _walk(node: Node, path: str) -> Iterator[Scalar]:
    if isinstance(node, ScalarNode):
        start, end = node.start_mark.index, node.end_mark.index
        yield Scalar(path, str(node.value), start, end, node.start_mark.line + 1)
    elif isinstance(node, MappingNode):
        for key, value in node.value:
            yield from _walk(value, f"{path}.{key.value}" if path else str(key.value))
    elif isinstance(node, SequenceNode):
        for i, item in enumerate(node.value):
            yield from _walk(item, f"{path}[{i}]")


def splice(text: str, edits: list[tuple[int, int, str]]) -> str:
    """``text`` with each ``(start, end, new)`` span replaced (spans must not overlap)."""
    for start, end, new in sorted(edits, reverse=True):
        text = text[:start] + new + text[end:]
    return text
