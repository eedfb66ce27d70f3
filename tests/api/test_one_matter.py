"""One matter (有案必接) over HTTP, on SQLite and on PostgreSQL: complaints about an employer (credit code)
or a project that already has an open case are registered and joined to it; another employer's stays alone."""

from decimal import Decimal

from sqlmodel import Session

from db.outbox import case_messages
from domain.identity import credit_code_check_char, resident_id_check_char
from tests.api.test_cases import PROJECT, complaint
from tests.api.web_client import WebClient


def credit_code(first17: str) -> str:
    return first17 + credit_code_check_char(first17)


def resident_id(first17: str) -> str:
    return first17 + resident_id_check_char(first17)


EMPLOYER = {"name": "山西某劳务有限公司", "credit_code": credit_code("91140923MA0K0X0X0")}
OTHER = {"name": "代县某建筑劳务有限公司", "credit_code": credit_code("91140923MA0K1Y1Y1")}
THIRD = {"name": "忻州某装饰工程有限公司", "credit_code": credit_code("91140900MA0K2W2W2")}
ZHANG = resident_id("11010119900307663")
WANG = resident_id("14092319850612301")
ZHAO = resident_id("14092319881111402")


async def test_complaints_about_the_same_employer_or_project_are_one_matter(api):
    clerk = await api.user("clerk1", "clerk", "petition")
    office = await api.user("office1", "supervisor", "hrss")
    r = await api.http.post("/api/projects", headers=clerk, json=PROJECT)
    assert r.status_code == 201, r.text
    project_id = r.json()["id"]

    async def post(**over) -> dict:
        r = await api.http.post("/api/cases", headers=clerk, json=complaint(**over))
        assert r.status_code == 201, r.text
        return r.json()

    matter = await post(employer=EMPLOYER, project_id=project_id)  # 张三 12000 and 李四 24000
    no = matter["case_no"]
    assert matter["related_cases"] == [] and matter["stage"] == "referred"

    # the same employer, no project: 张三 again (a larger claim) and 王五
    second = await post(
        employer=EMPLOYER,
        workers=[
            {"name": "张三", "id_number": ZHANG, "amount_owed": "15000.00"},
            {"name": "王五", "id_number": WANG, "amount_owed": "8000.00"},
        ],
    )
    assert second["related_cases"] == [no] and second["joined_to"] == no
    assert second["stage"] == "closed" and second["outcome"] == "joined"
    assert [d["kind"] for d in second["documents"]][0] == "receipt"  # registered all the same

    # another employer on the same project
    third = await post(
        employer=OTHER,
        project_id=project_id,
        complainant={"name": "赵六", "phone": "13900139000", "id_number": ZHAO},
        workers=[{"name": "赵六", "id_number": ZHAO, "amount_owed": "6000.00"}],
    )
    assert third["related_cases"] == [no] and third["outcome"] == "joined"

    # a different employer and no project: a case of its own
    alone = await post(employer=THIRD, workers=[{"name": "孙七", "amount_owed": "5000.00"}])
    assert alone["related_cases"] == [] and alone["stage"] == "referred" and alone["joined_to"] is None

    detail = (await api.http.get(f"/api/cases/{no}", headers=office)).json()
    assert detail["related_cases"] == [second["case_no"], third["case_no"]]
    assert detail["stage"] == "referred"
    assert [w["name"] for w in detail["workers"]] == ["张三", "李四", "王五", "赵六"]  # 张三 counted once
    assert detail["workers"][0]["amount_owed"] == "15000.00"  # the larger claim
    assert detail["amount_claimed"] == "53000.00"  # 36000 + 3000 + 8000 + 6000
    assert {e["kind"] for e in detail["timeline"]} >= {"complaint_joined"}
    for joined in (second, third):
        again = (await api.http.get(f"/api/cases/{joined['case_no']}", headers=office)).json()
        assert again["related_cases"] == [no] and again["stage"] == "closed"

    stats = (await api.http.get("/api/stats", headers=office)).json()
    assert stats["total"] == 2 and stats["joined"] == 2  # the matter and the lone case; two joined
    assert stats["closed"] == 0 and stats["closure_rate"] == 0.0  # a joined complaint resolves nothing
    assert Decimal(stats["amount_claimed"]) == Decimal("58000.00")  # the matter's 53000 and 5000, once each

    # the joined complainant follows the matter
    r = await api.http.post("/api/public/progress", json={"case_no": third["case_no"], "phone": "13900139000"})
    assert r.status_code == 200, r.text
    view = r.json()
    assert view["matter"]["case_no"] == no and view["can_rate"] is False and no in view["stage_hint"]
    rating = {"case_no": third["case_no"], "phone": "13900139000", "rating": "satisfied"}
    r = await api.http.post("/api/public/ratings", json=rating)
    assert r.status_code == 409 and "并入" in r.text

    # and is told so by SMS (not that the case is done, nor asked to rate it)
    with Session(api.app.state.engine) as session:
        messages = case_messages(session=session, case_no=third["case_no"])
    assert [m.kind for m in messages] == ["registered", "closed"]
    assert no in messages[1].text and "并入该案" in messages[1].text and "评价" not in messages[1].text

    # the web case pages link the related cases both ways
    async with WebClient(api.app) as web:
        assert (await web.login("office1", "password-123")).status_code in (302, 303)
        page = (await web.get(f"/cases/{no}")).text
        assert "关联案件" in page and f'href="/cases/{second["case_no"]}"' in page
        assert f'href="/cases/{third["case_no"]}"' in page
        page = (await web.get(f"/cases/{second['case_no']}")).text
        assert "关联案件" in page and f'href="/cases/{no}"' in page and "并入该案办理" in page
