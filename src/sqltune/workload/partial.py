"""Partial aggregates: a workload folded in pieces elsewhere (Spark tasks, worker processes) and put together
again, equal to the workload one process gives when it reads the whole input in order.

Each piece (a slice of the input, in input order: piece 0 first) is folded by :meth:`Workload.add` as usual,
then written as plain rows, one per template (:func:`rows_of`, :data:`ROW_FIELDS`):

- additive parts any engine sums or bounds per template key: calls, time, the optional counters, first and
  last seen (epoch microseconds), the latency histogram, the time buckets (summed per bucket start);
- order-dependent parts with the piece's index, so an engine can keep the first ones in input order: the
  example and location (those of the lowest piece), and the first distinct samples and ids ("firsts": kind,
  value, position in the piece). The first *k* distinct values of the whole input are the *k* distinct values
  whose first position (piece, position) is lowest among the pieces' own first *k* -- so each piece keeps only
  its first *k*, and merging is associative.

:func:`merge_rows` merges the pieces' rows per key in Python (what an engine does in its group-by, for tests
and process pools); :func:`assemble` builds the :class:`Workload` from merged rows. Only plain Python values
cross this module's boundary: no engine is imported here (the Spark integration,
:mod:`sqltune.integrations.spark`, moves the rows in and out of Spark).

>>> from sqltune.workload.model import Execution
>>> pieces = [Workload(), Workload()]
>>> for index, aid in enumerate((1, 2, 3, 4)):
...     _ = pieces[index // 2].add(Execution(f"SELECT * FROM accounts WHERE aid = {aid}", duration_ms=1.0))
>>> rows = [row for piece, workload in enumerate(pieces) for row in rows_of(workload, piece)]
>>> merged = assemble(merge_rows(rows))
>>> [(t.text, t.calls, t.total_ms, t.samples[:3]) for t in merged]
[('select * from accounts where aid = ?', 4, 4.0, [('1',), ('2',), ('3',)])]
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from sqltune.workload.fingerprint import fingerprint_normalized
from sqltune.workload.model import (
    BUCKET_SECONDS,
    IDS_PER_KIND,
    SAMPLES,
    WORKLOAD_FORMAT,
    kind_of,
)
from sqltune.workload.workload import Workload

__all__ = ["COUNTERS", "ROW_FIELDS", "SAMPLE", "assemble", "merge_rows", "rows_of"]

#: Optional counters, summed (None when no execution had one).
COUNTERS = ("rows", "bytes_scanned", "partitions_scanned", "partitions_total")
#: The fields of a piece's row (see the module documentation), in order.
ROW_FIELDS = (
    "key", "piece", "example", "location", "calls", "total_ms", "timed_calls", "max_ms", *COUNTERS,
    "first_us", "last_us", "histogram", "buckets", "firsts",
)  # fmt: skip
#: The kind of the "firsts" entries that are literal samples (their value is a JSON list); ids are "id:KIND".
SAMPLE = "sample"
_ID = "id:"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def _micros(moment: datetime | None) -> int | None:
    return None if moment is None else (moment - _EPOCH) // _MICROSECOND


def rows_of(workload: Workload, piece: int) -> Iterator[dict[str, Any]]:
    """The rows of one piece: one per template of ``workload`` (what the piece's executions folded into)."""
    for template in workload._by_text.values():
        firsts = [{"kind": SAMPLE, "value": json.dumps(s), "position": i} for i, s in enumerate(template.samples)]
        for kind, values in template.ids.items():
            firsts.extend({"kind": _ID + kind, "value": v, "position": i} for i, v in enumerate(values))
        yield {
            "key": template.text,
            "piece": piece,
            "example": template.example,
            "location": template.location,
            "calls": template.calls,
            "total_ms": template.total_ms,
            "timed_calls": template.timed_calls,
            "max_ms": template.max_ms,
            **{name: getattr(template, name) for name in COUNTERS},
            "first_us": _micros(template.first_seen),
            "last_us": _micros(template.last_seen),
            "histogram": list(template.histogram),
            "buckets": [
                {"start": start, "calls": float(calls), "total_ms": total, "max_ms": slowest}
                for start, (calls, total, slowest) in template.buckets.items()
            ],
            "firsts": firsts,
        }


def _sum(values: Iterable[Any]) -> Any:
    present = [v for v in values if v is not None]
    return sum(present) if present else None


def merge_rows(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The pieces' rows merged per key, as an engine's group-by does it (the rows in any order)."""
    by_key: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_key.setdefault(row["key"], []).append(row)
    merged = []
    for key, group in by_key.items():
        group.sort(key=lambda r: r["piece"])
        histogram = [sum(counts) for counts in zip(*(r["histogram"] for r in group), strict=True)]
        buckets: dict[int, dict[str, Any]] = {}
        for row in group:
            for bucket in row["buckets"]:
                mine = buckets.get(bucket["start"])
                if mine is None:
                    buckets[bucket["start"]] = dict(bucket)
                else:
                    mine["calls"] += bucket["calls"]
                    mine["total_ms"] += bucket["total_ms"]
                    mine["max_ms"] = max(mine["max_ms"], bucket["max_ms"])
        firsts: dict[tuple[str, str], dict[str, Any]] = {}
        for row in group:  # in piece order: the first sight of a value is its first position
            for first in row["firsts"]:
                firsts.setdefault((first["kind"], first["value"]), {**first, "piece": row["piece"]})
        merged.append(
            {
                "key": key,
                "example": group[0]["example"],
                "location": group[0]["location"],
                "calls": sum(r["calls"] for r in group),
                "total_ms": sum(r["total_ms"] for r in group),
                "timed_calls": sum(r["timed_calls"] for r in group),
                "max_ms": max((r["max_ms"] for r in group if r["max_ms"] is not None), default=None),
                **{name: _sum(r[name] for r in group) for name in COUNTERS},
                "first_us": min((r["first_us"] for r in group if r["first_us"] is not None), default=None),
                "last_us": max((r["last_us"] for r in group if r["last_us"] is not None), default=None),
                "histogram": [{"index": i, "count": n} for i, n in enumerate(histogram) if n],
                "buckets": list(buckets.values()),
                "firsts": list(firsts.values()),
            }
        )
    return merged


def _template(row: dict[str, Any], sample_limit: int) -> dict[str, Any]:
    """The saved form of one template (:meth:`Template.to_dict`) from its merged row."""
    key = row["key"]
    samples: list[list[str]] = []
    ids: dict[str, list[str]] = {}
    for first in sorted(row["firsts"], key=lambda f: (f["piece"], f["position"])):
        kind = first["kind"]
        if kind == SAMPLE:
            if len(samples) < sample_limit:
                samples.append(json.loads(first["value"]))
        else:
            values = ids.setdefault(kind[len(_ID) :], [])
            if len(values) < IDS_PER_KIND:
                values.append(first["value"])
    first_us, last_us = row["first_us"], row["last_us"]
    return {
        "fingerprint": fingerprint_normalized(key),
        "text": key,
        "example": row["example"],
        "kind": kind_of(key),
        "calls": row["calls"],
        "total_ms": row["total_ms"],
        "max_ms": row["max_ms"],
        "timed_calls": row["timed_calls"],
        **{name: row[name] for name in COUNTERS},
        "first_seen": None if first_us is None else (_EPOCH + first_us * _MICROSECOND).isoformat(),
        "last_seen": None if last_us is None else (_EPOCH + last_us * _MICROSECOND).isoformat(),
        "samples": samples,
        "ids": ids,
        "location": row["location"],
        "histogram": {str(h["index"]): h["count"] for h in row["histogram"]},
        "buckets": {str(b["start"]): [b["calls"], b["total_ms"], b["max_ms"]] for b in row["buckets"]},
    }


def assemble(
    merged: Iterable[dict[str, Any]],
    *,
    dialect: str | None = None,
    sample_limit: int = SAMPLES,
    bucket_seconds: int = BUCKET_SECONDS,
    sources: Iterable[str] = (),
    notes: Iterable[str] = (),
) -> Workload:
    """The workload of rows merged per key (by :func:`merge_rows` or an engine): first seen and last seen are
    in UTC (pieces carry instants, not the source's time zone)."""
    workload = Workload.from_dict(
        {
            "format": WORKLOAD_FORMAT,
            "dialect": dialect,
            "bucket_seconds": bucket_seconds,
            "sources": list(sources),
            "notes": list(notes),
            "templates": [_template(row, sample_limit) for row in merged],
        }
    )
    workload.sample_limit = sample_limit
    return workload
