"""What supervisors read in the Temporal Web UI carries no live Markdown or HTML from what people typed."""

import pytest

from tests.api.util import complaint
from tests.domain.test_lifecycle import new_case
from workflows.case import details_markdown

markdown_it = pytest.importorskip("markdown_it", reason="markdown-it-py renders the text as the UI would")

HOSTILE = "[x](javascript:alert(1))<img src=x>"


def rendered(md: str) -> str:
    """The HTML a Markdown renderer that allows raw HTML makes of the text (the worst case for the UI)."""
    return markdown_it.MarkdownIt("commonmark", {"html": True}).render(md)


def assert_inert(md: str, *, shows_hostile: bool = True) -> None:
    html = rendered(md)
    assert "<a " not in html and "<img" not in html, html
    if shows_hostile:
        assert "javascript:alert(1)" in html and "&lt;img src=x&gt;" in html  # still shown, as text


def test_the_renderer_would_make_the_unescaped_text_live():
    html = rendered(f"欠薪投诉：{HOSTILE}")
    assert '<a href="javascript' in html or "<img" in html  # the check below can fail


async def test_the_workflow_summary_and_details_escape_the_employer_and_project(api, dev_server):
    clerk = await api.user("clerk1", "clerk", "petition")
    r = await api.http.post(
        "/api/cases", headers=clerk, json=complaint(employer={"name": HOSTILE, "credit_code": None})
    )
    assert r.status_code == 201, r.text
    case_no = r.json()["case_no"]
    desc = await dev_server.client.get_workflow_handle(case_no).describe()
    summary, details = await desc.static_summary(), await desc.static_details()
    assert_inert(summary)
    assert_inert(details, shows_hostile=False)
    assert "walk_in" not in details and "hotline" not in details and "clerk1" not in details
    assert "12345/12333热线" in details


def test_the_current_details_escape_the_leader():
    state = new_case()
    state.leader = f"副县长{HOSTILE}\n# 假标题"
    details = details_markdown(state)
    assert_inert(details)
    assert "<h1>" not in rendered(details)
