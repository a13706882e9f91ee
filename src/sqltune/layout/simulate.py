"""The pruning simulator: how many partitions (micro-partitions, block ranges) each template must scan when a
table's rows are laid out in a given order.

A :class:`Sample` holds some of the table's rows, one numpy array per column, in the table's current physical
order (``TABLESAMPLE SYSTEM`` keeps it: it reads whole pages in page order). A :class:`Layout` sorts the
sample by a key (or keeps the current order), cuts it into partitions of ``partition_rows`` rows and keeps each
column's min and max per partition -- what Snowflake keeps per micro-partition, BigQuery per block and a BRIN
index per block range. A :class:`Probe` is one template's filters on the table with each of its literal
samples put in (:mod:`sqltune.layout.predicates`), resolved once to intervals; :meth:`Layout.scanned` counts the
partitions whose [min, max] meets every interval of a read, the union over the template's reads of the table
(a self-join or a CTE read twice counts the table once per query), averaged over the samples.

Every column is a float64 array: numbers as they are, dates as days and timestamps as seconds since 1970,
texts as their rank among the sample's distinct texts (comparisons keep their meaning), NULL as NaN (never
inside an interval). Sorting is one stable integer sort (:func:`sort_order`), min/max one ``reduceat`` per
column, a probe a few vectorised comparisons per partition: millions of rows simulate in seconds.

>>> sample = Sample.from_columns({"d": [5, 1, 4, 2, 3, 6, 8, 7], "k": list("abababab")})
>>> probe = Probe("t1", 1.0, [[[Condition("d", np.array([[1.0, 3.0]]))]]])
>>> [Layout(sample, key, 2).scanned(probe) for key in ((), ("d",), ("k", "d"))]
[3.0, 2.0, 2.0]
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import numpy as np

__all__ = ["ColumnData", "Condition", "Layout", "Probe", "Sample", "apply_function", "sort_order"]

_DAY = 86400.0


@dataclass(slots=True)
class ColumnData:
    """One column of a sample as float64 (see the module documentation)."""

    values: np.ndarray
    kind: str  # "number", "date", "timestamp", "text"
    labels: np.ndarray | None = None  # the sorted distinct texts, for "text"

    @classmethod
    def from_values(cls, values: Sequence[Any]) -> ColumnData:
        first = next((v for v in values if v is not None), None)
        if isinstance(first, datetime):
            stamps = [v.timestamp() if v is not None and v.tzinfo else _naive(v) for v in values]
            return cls(np.array(stamps, dtype=np.float64), "timestamp")
        if isinstance(first, date):
            days = np.array([v.isoformat() if v is not None else "NaT" for v in values], dtype="datetime64[D]")
            return cls(_days(days), "date")
        if isinstance(first, str):
            texts = np.array(["" if v is None else v for v in values], dtype=object)
            labels, codes = np.unique(texts, return_inverse=True)
            numbers = codes.astype(np.float64)
            numbers[np.array([v is None for v in values], dtype=bool)] = np.nan
            return cls(numbers, "text", labels)
        return cls(np.array([np.nan if v is None else float(v) for v in values], dtype=np.float64), "number")

    @property
    def distinct(self) -> int:
        finite = self.values[~np.isnan(self.values)]
        return int(np.unique(finite).size)

    def coordinate(self, value: Any, side: str) -> float | None:
        """``value`` on this column's axis; for texts the rank boundary on ``side`` ("left" or "right")."""
        if value is None:
            return None
        if self.kind == "text":
            if self.labels is None:
                return None
            position = np.searchsorted(
                self.labels, np.array([str(value)], dtype=object), side="left" if side == "left" else "right"
            )[0]
            return float(position) - (0.5 if side == "right" else 0.0)
        if self.kind in ("date", "timestamp"):
            moment = _moment(value)
            if moment is None:
                return None
            if self.kind == "date":
                return float(
                    (np.datetime64(moment.date() if isinstance(moment, datetime) else moment, "D")).astype(int)
                )
            if not isinstance(moment, datetime):
                moment = datetime(moment.year, moment.month, moment.day)
            return moment.timestamp() if moment.tzinfo else _naive(moment)
        if isinstance(value, (int, float, Decimal)):
            return float(value)
        try:
            return float(str(value))
        except ValueError:
            return None

    def interval(self, op: str, values: Sequence[Any]) -> np.ndarray | None:
        """The closed intervals ``op values`` keeps, shape (k, 2); ``None`` when they cannot be told."""
        inf = np.inf
        if op == "in":
            rows = [self._point(v) for v in values]
            return None if any(r is None for r in rows) else np.array(rows, dtype=np.float64).reshape(-1, 2)
        if op == "prefix":
            text = str(values[0]) if values and values[0] is not None else ""
            stem = text.split("%", 1)[0].split("_", 1)[0]
            if self.kind != "text" or not stem:
                return None
            low, high = self.coordinate(stem, "left"), self.coordinate(stem + "\U0010ffff", "right")
            return None if low is None or high is None else np.array([[low, high]])
        if op == "between":
            low, high = self.coordinate(values[0], "left"), self.coordinate(values[1], "right")
            return None if low is None or high is None else np.array([[low, high]])
        if op == "=":
            point = self._point(values[0])
            return None if point is None else np.array([point])
        strict = op in ("<", ">")
        if op in ("<", "<="):
            bound = self.coordinate(values[0], "left" if strict else "right")
            if bound is None:
                return None
            return np.array(
                [
                    [
                        -inf,
                        np.nextafter(bound, -inf) if strict and self.kind != "text" else bound - (0.5 if strict else 0),
                    ]
                ]
            )
        if op in (">", ">="):
            bound = self.coordinate(values[0], "right" if strict else "left")
            if bound is None:
                return None
            return np.array(
                [[np.nextafter(bound, inf) if strict and self.kind != "text" else bound + (0.5 if strict else 0), inf]]
            )
        return None

    def _point(self, value: Any) -> tuple[float, float] | None:
        low, high = self.coordinate(value, "left"), self.coordinate(value, "right")
        return None if low is None or high is None else (low, high)


def _naive(moment: datetime | None) -> float:
    if moment is None:
        return float("nan")
    return float((np.datetime64(moment.replace(tzinfo=None), "us") - np.datetime64(0, "us")) / np.timedelta64(1, "s"))


def _days(values: np.ndarray) -> np.ndarray:
    days = values.astype("datetime64[D]")
    out = days.astype(np.int64).astype(np.float64)
    out[np.isnat(days)] = np.nan
    return out


def _moment(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    try:
        text = str(value).strip()
        return datetime.fromisoformat(text) if len(text) > 10 else date.fromisoformat(text)
    except ValueError:
        return None


def apply_function(values: np.ndarray, kind: str, function: tuple[str, str]) -> tuple[np.ndarray, str]:
    """A monotone function of a column (``("trunc_date", "month")``, ``("year", "")``,
    ``("trunc_number", "-3")``) on its float axis; returns the values and their kind.

    >>> days = np.array([float(np.datetime64("1994-03-17", "D").astype(int))])
    >>> str(np.datetime64(int(apply_function(days, "date", ("trunc_date", "month"))[0][0]), "D"))
    '1994-03-01'
    """
    name, argument = function
    if name == "bucket":  # RANGE_BUCKET: "start:interval"
        start, interval = (float(part) for part in argument.split(":"))
        return np.floor((values - start) / interval) * interval + start, kind
    if name == "trunc_number":
        scale = 10.0 ** int(float(argument or 0))
        return np.trunc(values * scale) / scale, kind
    if kind not in ("date", "timestamp"):
        return values, kind
    seconds = kind == "timestamp"
    finite = np.nan_to_num(values, nan=0.0)
    moments = (finite.astype(np.int64)).astype("datetime64[s]" if seconds else "datetime64[D]")
    if name == "year":
        years = moments.astype("datetime64[Y]").astype(np.int64) + 1970.0
        return np.where(np.isnan(values), np.nan, years), "number"
    unit = {"day": "D", "month": "M", "year": "Y", "hour": "h", "week": "W", "quarter": "M"}.get(argument, "D")
    if unit == "W":  # weeks start on Monday; 1970-01-01 was a Thursday
        day_numbers = np.floor(finite / (_DAY if seconds else 1.0))
        truncated = (day_numbers - (day_numbers + 3) % 7) * (_DAY if seconds else 1.0)
        return np.where(np.isnan(values), np.nan, truncated), kind
    coarse = moments.astype(f"datetime64[{unit}]")
    if argument == "quarter":
        months = coarse.astype(np.int64)
        coarse = (months - months % 3).astype("datetime64[M]")
    back = coarse.astype("datetime64[s]" if seconds else "datetime64[D]").astype(np.int64).astype(np.float64)
    return np.where(np.isnan(values), np.nan, back), kind


def sort_order(columns: Sequence[np.ndarray]) -> np.ndarray:
    """The stable order sorting by ``columns`` (first most significant), NaN (NULL) last; ties keep the current
    order. Each column becomes integer codes (an offset for integral values, ranks otherwise) and the codes one
    composite integer, sorted once -- a radix sort when it fits 16 bits; ``np.lexsort`` when it would overflow.

    >>> a, b = np.array([2.0, 1.0, np.nan, 1.0]), np.array([0.5, 0.7, 0.1, 0.2])
    >>> sort_order([a, b]).tolist(), np.lexsort([b, a]).tolist()
    ([3, 1, 0, 2], [3, 1, 0, 2])
    """
    codes, span = [], 1
    for values in columns:
        missing = np.isnan(values)
        finite = values[~missing]
        if finite.size and finite.max() - finite.min() < 2**31 and np.array_equal(finite, np.floor(finite)):
            low = finite.min()
            size = int(finite.max() - low) + 2  # the last code is NULL's
            code = np.where(missing, size - 1, values - low).astype(np.int64)
        else:
            uniques, code = np.unique(values, return_inverse=True)  # NaNs collapse into the last rank
            size = int(uniques.size)
        span *= max(size, 1)
        if span > 2**62:
            return np.lexsort(list(reversed(columns)))
        codes.append((code.reshape(-1).astype(np.int64), size))
    composite = np.zeros(columns[0].size if columns else 0, dtype=np.int64)
    for code, size in codes:
        composite = composite * size + code
    narrow = np.uint16 if span <= 2**16 else np.uint32 if span <= 2**32 else np.int64
    return np.argsort(composite.astype(narrow), kind="stable")


@dataclass(slots=True)
class Sample:
    """Rows of one table as :class:`ColumnData`, in the table's current order."""

    columns: dict[str, ColumnData]
    rows: int

    @classmethod
    def from_columns(cls, columns: Mapping[str, Sequence[Any] | ColumnData]) -> Sample:
        data = {
            name: values if isinstance(values, ColumnData) else ColumnData.from_values(list(values))
            for name, values in columns.items()
        }
        sizes = {column.values.size for column in data.values()}
        if len(sizes) > 1:
            raise ValueError(f"sample columns differ in length: {sorted(sizes)}")
        return cls(data, sizes.pop() if sizes else 0)

    def key_values(self, part: str | tuple[str, tuple[str, str]]) -> np.ndarray:
        """A key part's values: a column, or a monotone function of one (``("ts", ("trunc_date", "day"))``)."""
        if isinstance(part, str):
            return self.columns[part].values
        column = self.columns[part[0]]
        return apply_function(column.values, column.kind, part[1])[0]


KeyPart = str | tuple[str, tuple[str, str]]


@dataclass(slots=True)
class Condition:
    """One resolved bound: ``function(column)`` in one of ``intervals`` (shape (k, 2), closed)."""

    column: str
    intervals: np.ndarray
    function: tuple[str, str] | None = None


@dataclass(slots=True)
class Probe:
    """One template against one table: per literal sample, per read of the table, its conditions."""

    fingerprint: str
    weight: float
    samples: list[list[list[Condition]]]
    location: str = ""
    text: str = ""


@dataclass(slots=True)
class Layout:
    """The sample sorted by ``key`` (``()``: the current order) in partitions of ``partition_rows`` rows, or,
    with ``split_on``, one partition per value of that key part (declarative partitions by month, say; all
    NULLs make one); with ``split_on`` and ``blocks_in_splits``, each of those cut into blocks of at most
    ``partition_rows`` rows (BigQuery's storage blocks inside its partitions).

    >>> sample = Sample.from_columns({"m": [1, 1, 1, 2, 2, 3, None]})
    >>> Layout(sample, ("m",), 2, split_on="m", blocks_in_splits=True).sizes.tolist()
    [2, 1, 2, 1, 1]
    """

    sample: Sample
    key: tuple[KeyPart, ...]
    partition_rows: int
    split_on: KeyPart | None = None
    blocks_in_splits: bool = False
    _bounds: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict, repr=False)
    _order: np.ndarray | None = field(default=None, repr=False)
    _starts: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64), repr=False)

    def __post_init__(self) -> None:
        self.partition_rows = max(1, int(self.partition_rows))
        if self.key:
            self._order = sort_order([self.sample.key_values(part) for part in self.key])
        if self.split_on is not None and self.sample.rows:
            values = self.sample.key_values(self.split_on)
            if self._order is not None:
                values = values[self._order]
            differs = (values[1:] != values[:-1]) & ~(np.isnan(values[1:]) & np.isnan(values[:-1]))
            starts = np.concatenate(([0], np.flatnonzero(differs) + 1))
            if self.blocks_in_splits:
                ends = np.append(starts[1:], self.sample.rows)
                counts = -(-(ends - starts) // self.partition_rows)
                within = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
                starts = np.repeat(starts, counts) + within * self.partition_rows
            self._starts = starts.astype(np.int64)
        else:
            self._starts = np.arange(0, self.sample.rows, self.partition_rows)

    @property
    def partitions(self) -> int:
        return int(self._starts.size)

    @property
    def sizes(self) -> np.ndarray:
        """Rows per partition."""
        return np.diff(np.append(self._starts, self.sample.rows))

    def bounds(self, column: str) -> tuple[np.ndarray, np.ndarray]:
        """Min and max of ``column`` per partition (NaN where a partition holds only NULLs)."""
        found = self._bounds.get(column)
        if found is None:
            values = self.sample.columns[column].values
            if self._order is not None:
                values = values[self._order]
            if values.size:
                found = (np.fmin.reduceat(values, self._starts), np.fmax.reduceat(values, self._starts))
            else:
                found = (np.empty(0), np.empty(0))
            self._bounds[column] = found
        return found

    def mask(self, conditions: Sequence[Condition]) -> np.ndarray:
        """The partitions one read must scan: those meeting every condition."""
        keep = np.ones(self.partitions, dtype=bool)
        for condition in conditions:
            if condition.column not in self.sample.columns:
                continue
            low, high = self.bounds(condition.column)
            if condition.function is not None:
                kind = self.sample.columns[condition.column].kind
                low = apply_function(low, kind, condition.function)[0]
                high = apply_function(high, kind, condition.function)[0]
            meets = np.zeros(self.partitions, dtype=bool)
            for start, end in condition.intervals:
                meets |= (high >= start) & (low <= end)
            keep &= meets
        return keep

    def scanned(self, probe: Probe) -> float:
        """Partitions the template scans, its reads of the table united, averaged over its samples."""
        if not probe.samples:
            return float(self.partitions)
        return float(np.mean([int(union.sum()) for union in self._unions(probe)]))

    def scanned_rows(self, probe: Probe) -> float:
        """Rows in the partitions the template scans (what a warehouse bills by), averaged over its samples."""
        if not probe.samples:
            return float(self.sample.rows)
        sizes = self.sizes
        return float(np.mean([int(sizes[union].sum()) for union in self._unions(probe)]))

    def _unions(self, probe: Probe) -> Iterator[np.ndarray]:
        for reads in probe.samples:
            union = np.zeros(self.partitions, dtype=bool)
            for conditions in reads:
                union |= self.mask(conditions)
            yield union
