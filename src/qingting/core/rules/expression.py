"""The scheme expression language (监测方案表达式): lexer, recursive-descent parser and syntax tree.

Grammar (lowest precedence first)::

    query   := or EOF
    or      := and ("OR" and)*
    and     := near (["AND"] near)*          -- adjacent terms are joined by an implicit AND
    near    := unary ("NEAR/n" unary)*        -- n characters of folded text; "NEAR" alone is NEAR/10
    unary   := ("NOT" | "-") unary | primary  -- "-" only directly before a term, phrase or "("
    primary := "(" or ")" | '"phrase"' | field ":" value | term | "*"

Operators are upper case (``AND``/``OR``/``NOT``/``NEAR``); lower-case ``and`` is an ordinary word.
Full-width forms are accepted everywhere (``（`` ``）`` ``＂`` ``ＡＮＤ``), and Chinese quotation marks
“…” and 「…」 quote phrases. ``field`` is ``region`` or ``source``; any other ``x:y`` is a term.
Every error is a :class:`ParseError` with the position (0-based ``position``, shown 1-based).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from qingting.core.text import fold

__all__ = [
    "DEFAULT_NEAR",
    "FIELDS",
    "All",
    "And",
    "Field",
    "Near",
    "Node",
    "Not",
    "Or",
    "ParseError",
    "Term",
    "parse",
]

DEFAULT_NEAR = 10
MAX_NEAR = 10_000
MAX_EXPRESSION_CHARS = 10_000
MAX_DEPTH = 100  # parentheses nested deeper than this are refused (recursion stays bounded)
FIELDS = ("region", "source")
_EXAMPLE = {"region": "柳湾镇", "source": "weibo"}

_OPEN_QUOTES = {'"': '"', "“": "”", "「": "」", "『": "』"}
_SPECIAL = set('()"“”「」『』')


class ParseError(ValueError):
    """A malformed expression: where (``position``, 0-based) and what was expected.

    ``code`` is a stable key for translation; ``message_zh`` and ``message_en`` are ready to show.
    ``str(error)`` gives both languages.

    >>> try:
    ...     parse("(停水 OR 断水")
    ... except ParseError as e:
    ...     print(e.position, e.code, e.message_zh)
    9 missing_rparen 第 10 个字符处缺少右括号（左括号在第 1 个字符）
    """

    def __init__(self, code: str, position: int, message_zh: str, message_en: str) -> None:
        super().__init__(f"{message_en} — {message_zh}")
        self.code = code
        self.position = position
        self.message_zh = message_zh
        self.message_en = message_en


# -- syntax tree ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Term:
    """A word or a quoted phrase, stored in its folded (matching) form."""

    text: str
    position: int
    quoted: bool = False


@dataclass(frozen=True, slots=True)
class Field:
    """``region:柳湾镇`` or ``source:weibo``; ``value`` is folded."""

    name: str
    value: str
    position: int


@dataclass(frozen=True, slots=True)
class All:
    """``*``: every item."""

    position: int


@dataclass(frozen=True, slots=True)
class Not:
    child: Node
    position: int


@dataclass(frozen=True, slots=True)
class And:
    children: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Or:
    children: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Near:
    """Both sides occur with at most ``distance`` characters between them (either order)."""

    left: Node
    right: Node
    distance: int
    position: int


Node = Term | Field | All | Not | And | Or | Near


# -- lexer ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Tok:
    kind: str  # "(", ")", AND, OR, NOT, MINUS, NEAR, TERM, PHRASE, FIELD, EOF
    pos: int
    text: str = ""  # raw text of a term/phrase/field value
    name: str = ""  # field name
    n: int = 0  # NEAR distance
    end: int = 0


def _lex_char(ch: str) -> str:
    """One character in its half-width form when NFKC maps it to one character (keeps positions)."""
    if ch.isascii():
        return ch
    n = unicodedata.normalize("NFKC", ch)
    return n if len(n) == 1 else ch


def _err(code: str, pos: int, zh: str, en: str) -> ParseError:
    return ParseError(code, pos, f"第 {pos + 1} 个字符处{zh}", f"{en} at character {pos + 1}")


def _lex(expr: str) -> list[_Tok]:
    s = "".join(_lex_char(c) for c in expr)
    toks: list[_Tok] = []
    i, n = 0, len(s)
    while i < n:
        c = s[i]
        if c.isspace():
            i += 1
            continue
        if c in "()":
            toks.append(_Tok(c, i, end=i + 1))
            i += 1
            continue
        if c in _OPEN_QUOTES:
            text, j = _quoted(expr, s, i)
            toks.append(_Tok("PHRASE", i, text=text, end=j))
            i = j
            continue
        if c == "-" and i + 1 < n and (s[i + 1] in "(" or s[i + 1] in _OPEN_QUOTES or _is_term_char(s[i + 1])):
            toks.append(_Tok("MINUS", i, end=i + 1))
            i += 1
            continue
        j = i
        while j < n and _is_term_char(s[j]):
            j += 1
        word = s[i:j]
        if word in ("AND", "OR", "NOT"):
            toks.append(_Tok(word, i, end=j))
        elif word == "NEAR" or word.startswith("NEAR/"):
            toks.append(_Tok("NEAR", i, n=_near_distance(word, i), end=j))
        else:
            name, colon, value = word.partition(":")
            if colon and name.lower() in FIELDS:
                vstart = i + len(name) + 1
                if value:
                    value = expr[vstart:j]  # original characters; folded by the parser
                elif j < n and s[j] in _OPEN_QUOTES:
                    value, j = _quoted(expr, s, j)
                if not value:
                    raise _err(
                        "field_value",
                        vstart,
                        f"缺少 {name.lower()}: 的取值，例如 {name.lower()}:{_EXAMPLE[name.lower()]}",
                        f"expected a value after '{name.lower()}:'",
                    )
                toks.append(_Tok("FIELD", i, text=value, name=name.lower(), end=j))
            else:
                toks.append(_Tok("TERM", i, text=expr[i:j], end=j))
        i = j
    toks.append(_Tok("EOF", n, end=n))
    return toks


def _is_term_char(c: str) -> bool:
    return not c.isspace() and c not in _SPECIAL


def _quoted(expr: str, s: str, i: int) -> tuple[str, int]:
    close = _OPEN_QUOTES[s[i]]
    j = s.find(close, i + 1)
    if close != '"' and j < 0:  # “… closed by a straight quote, or the other way round
        j = s.find('"', i + 1)
    if j < 0:
        raise ParseError(
            "unclosed_quote",
            len(s),
            f"第 {len(s) + 1} 个字符处缺少右引号（引号从第 {i + 1} 个字符开始）",
            f"missing closing quote at character {len(s) + 1} (quote opened at character {i + 1})",
        )
    return expr[i + 1 : j], j + 1


def _near_distance(word: str, pos: int) -> int:
    if word == "NEAR":
        return DEFAULT_NEAR
    digits = word[5:]
    if not digits.isdigit() or not digits.isascii():
        raise _err(
            "near_distance",
            pos + 5,
            "NEAR/ 之后需要一个整数，例如 NEAR/10",
            "expected a whole number after 'NEAR/', e.g. NEAR/10",
        )
    value = int(digits)
    if value > MAX_NEAR:
        raise _err("near_distance", pos + 5, f"NEAR 距离不能超过 {MAX_NEAR}", f"NEAR distance above {MAX_NEAR}")
    return value


# -- parser ---------------------------------------------------------------------------------------


_STARTS = ("TERM", "PHRASE", "FIELD", "(", "NOT", "MINUS")
_NAMES = {"AND": "AND", "OR": "OR", "NOT": "NOT", "MINUS": "-", "NEAR": "NEAR", "(": "(", ")": ")"}


class _Parser:
    def __init__(self, toks: list[_Tok]) -> None:
        self.toks = toks
        self.i = 0
        self.depth = 0

    @property
    def tok(self) -> _Tok:
        return self.toks[self.i]

    def take(self) -> _Tok:
        t = self.toks[self.i]
        self.i += 1
        return t

    def query(self) -> Node:
        if self.tok.kind == "EOF":
            raise _err("empty", 0, "缺少检索词：表达式为空（* 表示全部）", "expected a term: the expression is empty")
        node = self.or_()
        t = self.tok
        if t.kind == ")":
            raise _err("unexpected_rparen", t.pos, "多了一个右括号", "unexpected ')'")
        if t.kind != "EOF":  # pragma: no cover - every other token starts an operand or an operator
            raise _err("unexpected", t.pos, "有多余的内容", "unexpected input")
        return node

    def or_(self) -> Node:
        parts = [self.and_()]
        while self.tok.kind == "OR":
            op = self.take()
            parts.append(self.operand_after(op, self.and_))
        return parts[0] if len(parts) == 1 else Or(tuple(parts))

    def and_(self) -> Node:
        parts = [self.near()]
        while True:
            if self.tok.kind == "AND":
                op = self.take()
                parts.append(self.operand_after(op, self.near))
            elif self.tok.kind in _STARTS:
                parts.append(self.near())
            else:
                break
        return parts[0] if len(parts) == 1 else And(tuple(parts))

    def near(self) -> Node:
        left = self.unary()
        while self.tok.kind == "NEAR":
            op = self.take()
            right = self.operand_after(op, self.unary)
            for side in (left, right):
                if not _spans_ok(side):
                    raise _err(
                        "near_operand",
                        _position(side),
                        "NEAR 两边只能是词、短语或用 OR 连接的词",
                        "NEAR joins terms, phrases or OR-groups of them only",
                    )
            left = Near(left, right, op.n, op.pos)
        return left

    def unary(self) -> Node:
        t = self.tok
        if t.kind in ("NOT", "MINUS"):
            self.take()
            return Not(self.operand_after(t, self.unary), t.pos)
        return self.primary()

    def primary(self) -> Node:
        t = self.tok
        if t.kind == "(":
            self.take()
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise _err(
                    "too_deep", t.pos, f"括号嵌套超过 {MAX_DEPTH} 层", f"parentheses nested over {MAX_DEPTH} deep"
                )
            if self.tok.kind == ")":
                raise _err("empty_parens", self.tok.pos, "括号里缺少检索词", "expected a term inside '()'")
            node = self.or_()
            if self.tok.kind != ")":
                p = self.tok.pos
                raise ParseError(
                    "missing_rparen",
                    p,
                    f"第 {p + 1} 个字符处缺少右括号（左括号在第 {t.pos + 1} 个字符）",
                    f"missing ')' at character {p + 1} (opened at character {t.pos + 1})",
                )
            self.take()
            self.depth -= 1
            return node
        if t.kind in ("TERM", "PHRASE"):
            self.take()
            if t.kind == "TERM" and t.text == "*":
                return All(t.pos)
            text = fold(t.text)
            if not text:
                raise _err("empty_term", t.pos, "引号里缺少内容", "expected text inside the quotes")
            return Term(text, t.pos, quoted=t.kind == "PHRASE")
        if t.kind == "FIELD":
            self.take()
            value = fold(t.text)
            if not value:
                raise _err("field_value", t.pos, f"缺少 {t.name}: 的取值", f"expected a value after '{t.name}:'")
            return Field(t.name, value, t.pos)
        if t.kind == "EOF":
            raise _err("missing_term", t.pos, "缺少检索词", "expected a term, a phrase or '('")
        if t.kind == ")":
            raise _err("unexpected_rparen", t.pos, "多了一个右括号", "unexpected ')'")
        name = _NAMES.get(t.kind, t.kind)
        raise _err(
            "misplaced_operator",
            t.pos,
            f"运算符 {name} 前面缺少检索词",
            f"expected a term, a phrase or '(' before '{name}'",
        )

    def operand_after(self, op: _Tok, rule: object) -> Node:
        t = self.tok
        if t.kind in _STARTS:
            return rule()  # type: ignore[operator,no-any-return]
        name = _NAMES.get(op.kind, op.kind)
        where = t.pos
        found = "表达式结尾" if t.kind == "EOF" else f"“{_NAMES.get(t.kind, t.kind)}”"
        found_en = "the end" if t.kind == "EOF" else f"'{_NAMES.get(t.kind, t.kind)}'"
        raise _err(
            "missing_operand",
            where,
            f"缺少检索词：{name} 之后需要一个词、短语或括号，却遇到{found}",
            f"expected a term, a phrase or '(' after '{name}' but found {found_en}",
        )


def _spans_ok(node: Node) -> bool:
    """Whether ``node`` yields positions in the text (what NEAR needs)."""
    if isinstance(node, Term):
        return True
    if isinstance(node, Or):
        return all(_spans_ok(c) for c in node.children)
    return isinstance(node, Near)


def _position(node: Node) -> int:
    if isinstance(node, Term | Field | All | Not | Near):
        return node.position
    return _position(node.children[0])


def parse(expression: str) -> Node:
    """Parse a scheme expression into its syntax tree; raise :class:`ParseError` when malformed.

    Terms are stored folded (:func:`qingting.core.text.fold`), so ``臺灣`` and ``台湾`` are one term.

    >>> tree = parse('柳湾镇 (停水 OR 斷水) -演习')
    >>> [type(c).__name__ for c in tree.children]
    ['Term', 'Or', 'Not']
    >>> tree.children[1].children[1]
    Term(text='断水', position=11, quoted=False)
    """
    if not isinstance(expression, str):
        raise TypeError(f"expression must be a string, got {type(expression).__name__}")
    if len(expression) > MAX_EXPRESSION_CHARS:
        raise _err(
            "too_long",
            MAX_EXPRESSION_CHARS,
            f"表达式超过 {MAX_EXPRESSION_CHARS} 个字符",
            f"expression longer than {MAX_EXPRESSION_CHARS} characters",
        )
    return _Parser(_lex(expression)).query()
