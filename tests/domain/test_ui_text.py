"""md_escape: user text placed in Markdown renders as that text and nothing more."""

import re

import pytest

from domain.ui_text import md_escape


def unescape(md: str) -> str:
    """What a CommonMark renderer shows for an escaped text: backslash escapes of punctuation removed."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", md)


@pytest.mark.parametrize(
    "text",
    [
        "[x](javascript:alert(1))",
        "<img src=x onerror=alert(1)>",
        "![图](http://evil.example/a.png)",
        "**粗体** _斜体_ `代码` ~~删除~~",
        "a | b | c",
        "&lt;script&gt;",
        "# 标题",
        "\\[已转义](x)",
    ],
)
def test_no_markdown_or_html_construct_survives(text):
    md = md_escape(text)
    # every metacharacter is preceded by a backslash that is not itself escaped
    for match in re.finditer(r"[\[\]()<>*_`~|&!#]", md):
        before = md[: match.start()]
        trailing = len(before) - len(before.rstrip("\\"))
        assert trailing % 2 == 1, f"{match.group()!r} at {match.start()} of {md!r} is live"
    assert unescape(md) == text  # it still reads as typed


def test_chinese_names_are_unchanged():
    for name in ("忻州市恒达建筑劳务有限公司", "阳明堡镇安置小区3号楼（二期）", "县政府分管副县长", "DX-2026-000123"):
        assert md_escape(name) == name


def test_line_breaks_collapse_into_one_line():
    assert (
        md_escape("某公司\n\n- 已结案\r\n# 假标题\u2028尾") == "某公司 - 已结案 \\# 假标题 尾"
    )  # mid-line, "-" is plain text
    assert "\n" not in md_escape("a\nb\rc")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("- 列表", "\\- 列表"),
        ("+ 列表", "\\+ 列表"),
        ("> 引用", "\\> 引用"),
        ("1. 有序", "1\\. 有序"),
        ("12) 有序", "12\\) 有序"),
        ("===", "\\==="),
        ("甲-乙", "甲-乙"),
        ("  前后空格  ", "前后空格"),
    ],
)
def test_a_value_cannot_start_a_block(text, expected):
    assert md_escape(text) == expected


def test_non_strings_are_formatted_first():
    assert md_escape(12) == "12"
    assert md_escape(None) == ""
