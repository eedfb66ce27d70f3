"""Recorded timeline text shown in Chinese: unit and channel names, China time, people by name and unit."""

from types import SimpleNamespace

from api.web.display import People, readable
from core.jurisdiction import DEFAULT_JURISDICTION, load_jurisdiction

J = load_jurisdiction(DEFAULT_JURISDICTION)


def test_unit_codes_become_unit_names():
    assert (
        readable("转办至 housing：房屋建筑和市政基础设施工程", J)
        == "转办至县住房和城乡建设管理局：房屋建筑和市政基础设施工程"
    )
    assert (
        readable("由 housing 转送 hrss：不属本单位", J)
        == "由县住房和城乡建设管理局转送县人力资源和社会保障局：不属本单位"
    )
    assert readable("签收受理期限已届满（shangguan）", J) == "签收受理期限已届满（上馆镇）"


def test_channel_codes_become_channel_names():
    assert readable("收到举报投诉（渠道：walk_in），涉及3名农民工", J) == "收到举报投诉（渠道：来访），涉及3名农民工"
    assert readable("收到举报投诉（渠道：union），涉及1名农民工", J) == "收到举报投诉（渠道：工会报告），涉及1名农民工"


def test_iso_instants_become_china_time_and_markers_go():
    text = "签收受理逾期未办（期限 2026-12-02T00:56:21.566254+00:00，依据：某规定第18条 (check)）"
    assert readable(text, J) == "签收受理逾期未办（期限 2026年12月2日8时56分，依据：某规定第18条）"
    assert readable("期限 2026-12-02T08:00:00+08:00", J) == "期限 2026年12月2日8时00分"


def test_other_words_stay_as_typed():
    assert readable("欠薪 PDF 文件 abc", J) == "欠薪 PDF 文件 abc"
    assert readable(None, J) == ""


def test_people_by_full_name_with_unit():
    users = {
        "zhang": SimpleNamespace(username="zhang", full_name="张伟", unit="housing"),
        "li": SimpleNamespace(username="li", full_name=None, unit="mars"),
    }
    who = People(users, J)
    assert who.name("zhang") == "张伟（县住房和城乡建设管理局）"
    assert who.name("li") == "li"
    assert who.name("gone") == "gone"
    assert who.name("system") == "系统（自动）"
