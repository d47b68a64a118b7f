"""Natural Resources supervises new sink projects (R-DEPT-NR, R-TIME-2): page, filters, XLSX, access."""

from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal

from openpyxl import load_workbook

from tests.lifecycle import complete, register, to_offsetting


def _registered_project():
    event = register(600, name="泗水造林碳汇活动")
    to_offsetting(event, units=False, sink=True)
    from tests.lifecycle import after_event

    complete(event, "register_sink_project", "organizer", {
        "name": "泗水县新造林碳汇项目", "sink_type": "forestry", "location": "泗水县", "area_ha": Decimal("120"),
        "expected_tco2e": Decimal("20"), "crediting_period_years": 20,
        "applied_on": event.ends_on + timedelta(days=20)}, now=after_event(event, 21))
    return event


def test_natural_resources_sees_projects_with_deadlines_and_exports_xlsx(client, auth, demo):
    event = _registered_project()
    auth.login("nr")
    html = client.get("/supervision/sink-projects").get_data(as_text=True)
    assert "泗水县新造林碳汇项目" in html and event.name in html
    assert (event.ends_on.replace(year=event.ends_on.year + 1)).isoformat() in html  # application due (1 year)
    assert "泗水县新造林碳汇项目" not in client.get("/supervision/sink-projects?county=微山县").get_data(as_text=True)
    response = client.get("/supervision/sink-projects.xlsx")
    sheet = load_workbook(io.BytesIO(response.data)).active
    assert sheet.cell(row=2, column=2).value == "泗水县新造林碳汇项目"


def test_other_departments_and_organizers_may_not_supervise(client, auth, demo):
    auth.login("commerce")
    assert client.get("/supervision/sink-projects").status_code == 403
    auth.logout()
    auth.login("organizer")
    assert client.get("/supervision/sink-projects").status_code == 403
