"""HTML to plain text, safely: scripts, styles and embedded objects are dropped, never run."""

from __future__ import annotations

import re

import lxml.html
from lxml import etree

_DROP = "//script|//style|//noscript|//template|//head|//iframe|//object|//embed|//svg|//form"
_BLOCKS = frozenset(
    [
        "p",
        "div",
        "br",
        "li",
        "ul",
        "ol",
        "tr",
        "table",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "section",
        "article",
        "header",
        "footer",
        "blockquote",
        "pre",
        "dd",
        "dt",
    ]
)
_DECL = re.compile(r"^\s*<\?xml[^>]*\?>", re.I)
_TAGS = re.compile(r"<[^>]*>")
_SPACES = re.compile(r"[ \t\r\f\v\u00a0\u3000]+")


def _tidy(text: str) -> str:
    lines = (_SPACES.sub(" ", line).strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def html_to_text(html: str) -> str:
    """The readable text of an HTML fragment or page, one line per block.

    >>> html_to_text("<p>市民<b>来信</b></p><script>alert(1)</script><p>第二段</p>")
    '市民来信\\n第二段'
    """
    if not html or not html.strip():
        return ""
    if "<" not in html:
        return _tidy(html)
    try:
        doc = lxml.html.fromstring(_DECL.sub("", html))
    except (etree.ParserError, ValueError):
        return _tidy(_TAGS.sub(" ", html))
    for bad in doc.xpath(_DROP):
        if bad.getparent() is not None:
            bad.drop_tree()
    for el in doc.iter():
        if isinstance(el.tag, str) and el.tag.lower() in _BLOCKS:
            el.tail = "\n" + (el.tail or "")
    return _tidy(str(doc.text_content()))
