"""Schemes (监测方案): the boolean keyword language users write, parsed and compiled for matching.

>>> from qingting.core.rules import compile_expression, ParseError
>>> compile_expression('"恢复供水" OR 停水 source:weibo').matches("全鎮停水", source="weibo")
True

See :mod:`qingting.core.rules.expression` for the grammar and :mod:`qingting.core.rules.matcher`
for the matching rules; ``docs/warnings.md`` describes both for users.
"""

from __future__ import annotations

from qingting.core.rules.expression import (
    DEFAULT_NEAR,
    FIELDS,
    All,
    And,
    Field,
    Near,
    Node,
    Not,
    Or,
    ParseError,
    Term,
    parse,
)
from qingting.core.rules.matcher import Matcher, Span, compile_expression

__all__ = [
    "DEFAULT_NEAR",
    "FIELDS",
    "All",
    "And",
    "Field",
    "Matcher",
    "Near",
    "Node",
    "Not",
    "Or",
    "ParseError",
    "Span",
    "Term",
    "compile_expression",
    "parse",
]
