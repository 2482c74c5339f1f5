"""The fonts GB/T 9704-2012 names, and the open fonts that stand in for them when rendering.

The DOCX always names the standard's fonts (方正小标宋简体, 仿宋_GB2312, 楷体_GB2312, 黑体, 宋体),
so an office with the licensed fonts installed sees the real thing. Those fonts cannot be
redistributed; on a Debian server we map each name to an open font at render time through a
fontconfig file we write (:func:`fontconfig_file`), and :func:`substitutions` says which names were
replaced so the PDF can be labelled 仅供预览 (preview only).
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

__all__ = [
    "FALLBACKS",
    "FONT_BODY",
    "FONT_HEI",
    "FONT_KAI",
    "FONT_PAGE",
    "FONT_TITLE",
    "FontSubstitution",
    "fontconfig_env",
    "fontconfig_file",
    "installed_families",
    "substitutions",
]

FONT_TITLE = "方正小标宋简体"  # 标题, 发文机关标志
FONT_BODY = "仿宋_GB2312"  # 正文, 版记
FONT_HEI = "黑体"  # 一级标题
FONT_KAI = "楷体_GB2312"  # 二级标题, 签发人姓名
FONT_PAGE = "宋体"  # 页码 (4号半角宋体)

# Open stand-ins from Debian packages, best first. 仿宋 has no good open equivalent in Debian
# (FandolFang ships only with texlive-lang-chinese); a light serif reads closest to it.
FALLBACKS: dict[str, tuple[str, ...]] = {
    FONT_TITLE: ("Noto Serif CJK SC Black", "Noto Serif CJK SC Bold", "Noto Serif CJK SC", "FandolSong"),
    FONT_BODY: ("FandolFang", "Noto Serif CJK SC Light", "Noto Serif CJK SC", "AR PL UMing CN"),
    FONT_HEI: ("Noto Sans CJK SC", "WenQuanYi Zen Hei", "FandolHei"),
    FONT_KAI: ("LXGW WenKai", "AR PL UKai CN", "FandolKai"),
    FONT_PAGE: ("Noto Serif CJK SC", "AR PL UMing CN", "FandolSong"),
}

# Other names offices use for the same faces; mapped the same way so imported templates render.
_ALIASES: dict[str, tuple[str, ...]] = {
    FONT_TITLE: ("方正小标宋_GBK", "FZXiaoBiaoSong-B05S", "小标宋"),
    FONT_BODY: ("仿宋", "FangSong", "FangSong_GB2312", "方正仿宋_GBK"),
    FONT_HEI: ("SimHei", "方正黑体_GBK"),
    FONT_KAI: ("楷体", "KaiTi", "KaiTi_GB2312", "方正楷体_GBK"),
    FONT_PAGE: ("SimSun", "Times New Roman"),
}


@dataclass(frozen=True, slots=True)
class FontSubstitution:
    """A standard font that is not installed, and the open font used instead ("" when none)."""

    standard: str
    substitute: str


@functools.cache
def installed_families() -> frozenset[str]:
    """Every family name fontconfig knows (all localised names), empty when fontconfig is absent."""
    fc_list = shutil.which("fc-list")
    if not fc_list:
        return frozenset()
    out = subprocess.run([fc_list, ":", "family"], capture_output=True, text=True, timeout=30, check=False).stdout
    return frozenset(name.strip() for line in out.splitlines() for name in line.split(",") if name.strip())


def substitutions() -> list[FontSubstitution]:
    """The standard fonts missing here, each with the open font that will stand in for it."""
    families = installed_families()
    result = []
    for standard, fallbacks in FALLBACKS.items():
        if standard in families:
            continue
        substitute = next((f for f in fallbacks if f in families), "")
        result.append(FontSubstitution(standard, substitute))
    return result


def _conf_text() -> str:
    lines = [
        '<?xml version="1.0"?>',
        '<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">',
        "<fontconfig>",
        "  <!-- Written by qingting.reports.fonts: map GB/T 9704 font names to open CJK fonts. -->",
        '  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>',
    ]
    for standard, fallbacks in FALLBACKS.items():
        for name in (standard, *_ALIASES.get(standard, ())):
            lines.append('  <alias binding="same">')
            lines.append(f"    <family>{escape(name)}</family>")
            lines.append("    <prefer>" + "".join(f"<family>{escape(f)}</family>" for f in fallbacks) + "</prefer>")
            lines.append("  </alias>")
    lines.append("</fontconfig>")
    return "\n".join(lines) + "\n"


def fontconfig_file(directory: Path | None = None) -> Path:
    """Write the mapping as a fontconfig file (in ``directory`` or a temp dir) and return its path.

    Point ``FONTCONFIG_FILE`` at it for a LibreOffice run; it includes the system configuration,
    so every other font resolves as usual.
    """
    directory = directory or Path(tempfile.mkdtemp(prefix="qingting-fc-"))
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "qingting-fonts.conf"
    path.write_text(_conf_text(), encoding="utf-8")
    return path


def fontconfig_env(conf: Path) -> dict[str, str]:
    """The process environment with ``FONTCONFIG_FILE`` set to ``conf``."""
    env = dict(os.environ)
    env["FONTCONFIG_FILE"] = str(conf)
    return env
