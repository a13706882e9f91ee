"""Truncated, garbled and foreign plan files through ``sqltune plan``: a diagnosis or one clear error naming
the file, never a traceback."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from robustness_support import PLAN_FILES, invoke

GOOD_PLANS = [path for path in PLAN_FILES if "malformed" not in path.parts and path.stat().st_size < 200_000]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    index=st.integers(0, len(GOOD_PLANS) - 1),
    cut=st.floats(0.0, 1.0),
    garble=st.lists(st.tuples(st.floats(0.0, 1.0), st.binary(min_size=1, max_size=4)), max_size=3),
)
def test_damaged_plans_answer_or_name_the_file(tmp_path: Path, index: int, cut: float, garble: list) -> None:
    original = GOOD_PLANS[index].read_bytes()
    data = bytearray(original[: int(len(original) * cut)])
    for where, junk in garble:
        at = int(len(data) * where)
        data[at : at + len(junk)] = junk
    path = tmp_path / f"damaged{GOOD_PLANS[index].suffix}"
    path.write_bytes(bytes(data))
    for output in ("text", "json"):
        result = invoke("plan", "--format", output, str(path))
        if result.exit_code == 2:
            assert path.name in result.stderr, f"the error does not name the file:\n{result.stderr}"


def test_a_sql_file_given_as_a_plan_is_named(tmp_path: Path) -> None:
    path = tmp_path / "query.sql"
    path.write_text("SELECT * FROM orders;\n", encoding="utf-8")
    result = invoke("plan", str(path))
    assert result.exit_code == 2 and "query.sql" in result.stderr
