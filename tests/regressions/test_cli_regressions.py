"""``sqltune snapshot`` and ``sqltune regressions`` end to end on the suite's PostgreSQL, every output format,
and a password that must show up nowhere: not in the snapshot files, the reports, stdout, stderr or the logs.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote
from xml.etree import ElementTree as ET

import jsonschema
import pytest
from click.testing import CliRunner, Result
from psycopg.conninfo import conninfo_to_dict

from sqltune.cli import main

pytestmark = pytest.mark.postgres

SARIF_SCHEMA = Path(__file__).resolve().parents[1] / "fixtures" / "sarif-schema-2.1.0.json"
# The suite's server trusts local connections, so any password logs in: it only has to travel, and hide.
PASSWORD = "Pa55:w0rd@sn4p/sh0t?"
BY_CUSTOMER = "SELECT id, total FROM orders WHERE customer_id = %s"


def cli(*args: str | Path) -> Result:
    return CliRunner().invoke(main, [str(arg) for arg in args])


def url_with_password(dsn: str) -> str:
    """The DSN as a postgresql:// URL with :data:`PASSWORD` in it (percent-encoded, as URLs carry it)."""
    params = conninfo_to_dict(dsn)
    return (
        f"postgresql://{params.get('user', 'postgres')}:{quote(PASSWORD, safe='')}@{params['host']}:{params['port']}"
        f"/{params['dbname']}"
    )


@pytest.fixture
def logged(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)
    return caplog


def assert_hidden(text: str) -> None:
    for form in (PASSWORD, quote(PASSWORD, safe=""), "Pa55"):
        assert form not in text


def test_snapshot_drop_an_index_snapshot_and_the_regressions_in_every_format(
    shop: str, run_sql: Callable[..., None], tmp_path: Path, logged: pytest.LogCaptureFixture
) -> None:
    url = url_with_password(shop)
    run_sql(shop, BY_CUSTOMER, *[(n,) for n in range(1, 30)])
    first = cli("snapshot", "--dsn", url, "--out", tmp_path / "day1", "--top", "5")
    assert first.exit_code == 0, first.output
    assert first.stdout.startswith("snapshot of 127.0.0.1:") and "-> " in first.stdout

    run_sql(shop, "DROP INDEX orders_customer_idx")
    run_sql(shop, BY_CUSTOMER, *[(n,) for n in range(1, 30)])
    second = cli("snapshot", "--dsn", url, "--out", tmp_path / "day2", "--top", "5", "--timeout", "10s")
    assert second.exit_code == 0, second.output

    text = cli("regressions", tmp_path / "day1", tmp_path / "day2")
    assert text.exit_code == 1
    assert "RG001 plan-changed [error]" in text.stdout and "RG004 index-dropped [error]" in text.stdout
    assert "SQ301 seq-scan-filters-most-rows" in text.stdout and text.stdout.endswith("FAILED: regressions found\n")

    as_json = cli("regressions", tmp_path / "day1", tmp_path / "day2", "--format", "json")
    report = json.loads(as_json.stdout)
    assert as_json.exit_code == 1 and report["failed"] is True
    assert {"RG001", "RG004"} <= set(report["summary"]["by_code"])
    changed = next(item for item in report["findings"] if item["code"] == "RG001")
    assert changed["new_shape"][0].startswith("Seq Scan on orders") and changed["diagnosis"][0]["code"] == "SQ301"

    sarif = cli("regressions", tmp_path / "day1", tmp_path / "day2", "--format", "sarif")
    log = json.loads(sarif.stdout)
    jsonschema.validate(log, json.loads(SARIF_SCHEMA.read_text(encoding="utf-8")))
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [rule["id"] for rule in rules] == ["RG001", "RG002", "RG003", "RG004", "RG005", "RG006"]
    assert {result["ruleId"] for result in run["results"]} >= {"RG001", "RG004"}
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"] and result["level"] == "error"

    junit = cli("regressions", tmp_path / "day1", tmp_path / "day2", "--format", "junit", "-o", tmp_path / "j.xml")
    assert junit.exit_code == 1 and junit.stdout == ""
    suites = ET.fromstring((tmp_path / "j.xml").read_text(encoding="utf-8"))
    assert suites.tag == "testsuites" and int(suites.get("failures") or 0) >= 2
    names = [case.get("name") for case in suites.iter("testcase")]
    assert any(name.startswith("RG001 plan-changed") for name in names)
    assert "<index/public.orders_customer_idx>" in {suite.get("name") for suite in suites}

    assert cli("regressions", tmp_path / "day1", tmp_path / "day2", "--exit-zero").exit_code == 0
    same = cli("regressions", tmp_path / "day2", tmp_path / "day2")
    assert same.exit_code == 0 and same.stdout.endswith("OK: no regressions\n")

    # The password is nowhere: snapshot files, what was printed, what was logged.
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert_hidden(path.read_text(encoding="utf-8"))
    for result in (first, second, text, as_json, sarif, junit):
        assert_hidden(result.stdout + result.stderr)
    assert_hidden("\n".join(record.getMessage() for record in logged.records))


def test_errors_are_one_line_without_the_password(shop: str, tmp_path: Path) -> None:
    url = url_with_password(shop)
    wrong = url.rsplit("/", 1)[0] + "/no_such_database"
    result = cli("snapshot", "--dsn", wrong, "--out", tmp_path / "x")
    assert result.exit_code == 2 and result.stderr.startswith("sqltune: error: cannot connect to")
    assert len(result.stderr.strip().splitlines()) == 1 and not (tmp_path / "x").exists()
    assert_hidden(result.stderr + result.stdout)

    mysql = cli("snapshot", "--dsn", f"mysql://me:{PASSWORD}@db/shop", "--out", tmp_path / "x")
    assert mysql.exit_code == 2 and "MySQL/MariaDB connections are not supported" in mysql.stderr
    assert_hidden(mysql.stderr)

    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "snapshot.json").write_text('{"format": "something else"}')
    unreadable = cli("regressions", tmp_path / "bad", tmp_path / "bad")
    assert unreadable.exit_code == 2 and "not a sqltune snapshot" in unreadable.stderr
    bad_factor = cli("regressions", tmp_path / "bad", tmp_path / "bad", "--time-factor", "0.5")
    assert bad_factor.exit_code == 2
