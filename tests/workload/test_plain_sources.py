"""CSV, JSON lines and SQL files as workloads; sniffing; bad rows named by file and line."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from sqltune.workload import Workload
from sqltune.workload.sources import UnknownFormat, sniff

ROOT = Path(__file__).resolve().parents[2]


def test_csv_rows_with_calls_time_and_timestamps(tmp_path: Path) -> None:
    path = tmp_path / "history.csv"
    path.write_text(
        "query,calls,total_ms,ts\n"
        '"SELECT * FROM t WHERE id = 1",10,25.5,2026-12-01T08:00:00Z\n'
        '"select * from t where id = 2",5,4.5,1764576000\n'
        "SELECT 1,x,1,2026-12-01\n"
        ",3,1,2026-12-01\n",
        encoding="utf-8",
    )
    assert sniff(path) == "csv"
    workload = Workload.read(path)
    template = workload.template_of("SELECT * FROM t WHERE id = 9")
    assert template is not None and (template.calls, template.total_ms) == (15, 30.0)
    assert template.first_seen == datetime(2025, 12, 1, 8, 0, tzinfo=UTC)
    assert [(p.line, p.message) for p in workload.problems] == [
        (4, "calls is 'x'; expected a number; row skipped"),
        (5, "no statement (expected a field sql, query, query_text, statement, text); row skipped"),
    ]


def test_json_lines_with_a_broken_line(tmp_path: Path) -> None:
    path = tmp_path / "history.jsonl"
    path.write_text(
        '{"sql": "SELECT a FROM t WHERE b = 1", "total_ms": 3}\n'
        "{not json\n"
        '{"statement": "SELECT a FROM t WHERE b = 7", "duration_ms": 5, "time": "2026-12-01 08:00:00"}\n',
        encoding="utf-8",
    )
    assert sniff(path) == "jsonl"
    workload = Workload.read(path)
    assert [(t.calls, t.total_ms) for t in workload] == [(2, 8.0)]
    assert [(p.path, p.line) for p in workload.problems] == [(str(path), 2)]
    assert "line skipped" in workload.problems[0].message


def test_a_folder_of_sql_files_gives_each_statement_one_call() -> None:
    workload = Workload.read(ROOT / "fixtures/workloads/tpch", dialect="postgres")
    assert (len(workload), workload.calls, workload.total_ms) == (22, 22, 0.0)
    assert sorted(Path(t.location).name for t in workload) == [f"q{i:02d}.sql:1" for i in range(1, 23)]


def test_unknown_formats_name_the_known_ones(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("hello\n", encoding="utf-8")
    with pytest.raises(UnknownFormat, match=r"notes\.txt: not a workload format sqltune knows; expected one of: "):
        Workload.read(path)
    with pytest.raises(FileNotFoundError, match="workload source not found"):
        Workload.read(tmp_path / "missing.log")
