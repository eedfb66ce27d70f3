"""Text from people (employer, project, leader names) made safe to place in Markdown that a UI renders.

The Temporal Web UI renders a workflow's summary and details as Markdown. A name typed at intake such
as `[领取补贴](javascript:…)` or `<img src=…>` would otherwise become a live link or an HTML tag there.
`md_escape` turns such text into plain text that renders as typed: every Markdown or HTML
metacharacter is backslash-escaped (CommonMark: any ASCII punctuation may be), and line breaks are
collapsed so that a value cannot start a heading, list or quote of its own.
"""

import re

# How a complaint reached the county (Channel values), as the office names them.
CHANNEL_LABELS = {
    "hotline": "12345/12333热线",
    "online": "网上线索平台",
    "walk_in": "来访",
    "petition": "信访转办",
    "media": "媒体线索",
    "union": "工会报告",
    "township_warning": "乡镇预警",
    "self_report": "企业报告",
}

# Characters with a meaning anywhere in a line (emphasis, code, links, images, HTML, tables, entities).
_INLINE = set("\\`*_{}[]()<>!|~&#")
# Characters that only mean something at the start of a line (lists, headings, quotes, rules).
_LINE_START = set("-+=>")
_BREAKS = re.compile(r"[\r\n\u0085\u2028\u2029\t\v\f]+")
_ORDERED = re.compile(r"^(\d+)([.)])")  # "1. " starts an ordered list


def md_escape(text: object) -> str:
    """`text` as Markdown that renders exactly as the text itself, on one line."""
    flat = _BREAKS.sub(" ", "" if text is None else str(text)).strip()
    flat = re.sub(r" {2,}", " ", flat)
    out = []
    for i, char in enumerate(flat):
        if char in _INLINE or (i == 0 and char in _LINE_START):
            out.append("\\")
        out.append(char)
    escaped = "".join(out)
    return _ORDERED.sub(lambda m: f"{m.group(1)}\\{m.group(2)}", escaped)
