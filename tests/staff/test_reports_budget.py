"""The reports page keeps to a budget of SQL statements, everything included (the signed-in
user, the caseloads one may report on, the audit write of the view), and spends the same on
a caseload of one client as on one of twenty-five, each with a row in every report: for a
case manager, a supervisor (their team) and an administrator (everyone), and on every CSV."""

from __future__ import annotations

import pytest

from portal.services import reports

from .support import sign_in
from .test_reports import Q1, URL, body_rows, populate, tables

BUDGET = 12


@pytest.mark.parametrize("who", ["cm", "supervisor", "admin"])
@pytest.mark.parametrize("args", [Q1, {}], ids=["first-quarter", "default-period"])
def test_the_reports_page_keeps_to_the_budget_whatever_the_caseload(
    client, agency, count_queries, who, args
):
    populate(agency.cm, 1)
    sign_in(client, getattr(agency, who))
    client.get(URL, query_string=args)  # warm up
    with count_queries() as one:
        assert client.get(URL, query_string=args).status_code == 200
    populate(agency.cm, 24)
    with count_queries() as many:
        response = client.get(URL, query_string=args)
    assert many.count == one.count, many.statements
    assert many.count <= BUDGET, many.statements
    if args == Q1:
        assert body_rows(tables(response)["home_visits"])[-1] == ["Total", "25", "75.0"]


def test_each_csv_keeps_to_the_budget_whatever_the_caseload(client, agency, count_queries):
    populate(agency.cm, 1)
    sign_in(client, agency.supervisor)
    one = {}
    for report in reports.REPORTS:
        with count_queries() as counted:
            assert client.get(f"{URL}/{report}.csv", query_string=Q1).status_code == 200
        one[report] = counted.count
    populate(agency.cm, 24)
    for report in reports.REPORTS:
        with count_queries() as many:
            assert client.get(f"{URL}/{report}.csv", query_string=Q1).status_code == 200
        assert many.count == one[report], (report, many.statements)
        assert many.count <= BUDGET, (report, many.statements)
