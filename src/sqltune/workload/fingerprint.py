"""Fingerprints: one stable key per query *template*, computed from the text alone, without a parse.

A log holds millions of executions of a few thousand templates, so the cost of a workload must grow with the
templates, not with the log: each execution is normalised by a few passes of C-speed regular expressions, and
only the first execution of each template is ever parsed (:mod:`sqltune.workload.usage`). Normalising:

- comments are dropped, and runs of white space become one space;
- literals (strings, numbers, booleans are kept as keywords), bind parameters (``$1``, ``?``, ``%s``,
  ``%(name)s``) become ``?``;
- lists of literals collapse: ``IN (?, ?, ?)`` and ``VALUES (?, ?), (?, ?)`` become ``IN (...)`` and
  ``VALUES (...)``, so a list's length does not make a new template;
- keyword case is folded, by lower-casing everything outside quotes (unquoted identifiers are case-insensitive
  in SQL, so this keeps them apart exactly as the database does); quoted identifiers are kept as written.

>>> normalize("SELECT * FROM Orders WHERE id = 42 AND note = 'it''s' -- who\\n")
'select * from orders where id = ? and note = ?'
>>> normalize("select * from orders where id in (1, 2, 3)") == normalize("SELECT * FROM orders WHERE id IN (7)")
True
>>> display(normalize('INSERT INTO "Tab" (a, b) VALUES (1, $1), (2, $2)'))
'insert into "Tab"(a, b) values (...)'
>>> fingerprint("SELECT 1") == fingerprint("select   2 /* two */")
True
>>> literals("SELECT * FROM t WHERE a = 'x' AND b > 10.5")
('x', '10.5')
"""

from __future__ import annotations

import hashlib
import re

__all__ = ["display", "fingerprint", "fingerprint_normalized", "literals", "normalize"]

# Strings (standard, E'', N'', B'', X'' prefixes, '' escapes; backslash escapes for E'' and MySQL), dollar
# quotes, and comments: matched together so that a quote inside a comment (or "--" inside a string) never
# starts the wrong thing. Quoted identifiers are matched so that they are kept, not mistaken for strings.
_QUOTED_TEMPLATE = r"""
    (?P<comment>--[^\n]*|\#[^\n]*|/\*.*?(?:\*/|\Z))
  | (?P<string>(?<![\w$])STRING(?:'|\Z))
  | (?P<dollar>\$(?P<tag>[A-Za-z_]\w*)?\$.*?(?:\$(?P=tag)\$|\Z))
  | (?P<ident>"(?:[^"]|"")*"|`[^`]*`|\[[^\]\n]*\])
"""
_ESCAPED = r"'(?:[^'\\]|''|\\.)*"  # a string body where a backslash escapes the next character
_STANDARD = r"'(?:[^']|'')*"  # a standard SQL string body: only '' escapes a quote
_QUOTED_OR_COMMENT = re.compile(
    _QUOTED_TEMPLATE.replace("STRING", f"(?:[Ee]{_ESCAPED}|[NnBbXx]?{_STANDARD})"), re.VERBOSE | re.DOTALL
)
# MySQL, BigQuery, Snowflake and Spark read a backslash in any string as an escape; standard SQL (PostgreSQL,
# SQL Server, ...) only in E'' strings.
_QUOTED_OR_BACKSLASH = re.compile(_QUOTED_TEMPLATE.replace("STRING", f"[EeNnBbXx]?{_ESCAPED}"), re.VERBOSE | re.DOTALL)
#: Dialects whose strings take backslash escapes (see normalize()).
BACKSLASH_DIALECTS = frozenset(
    {"mysql", "bigquery", "snowflake", "spark", "spark2", "databricks", "hive", "doris", "starrocks", "clickhouse"}
)
# Numbers that are not part of a name (t1, col_2) or a parameter ($1), and bind parameters: one pass.
_NUMBER_OR_PARAMETER = re.compile(
    r"(?<![\w$.])(?:0x[0-9a-f]+|\d+\.?\d*(?:e[-+]?\d+)?|\.\d+(?:e[-+]?\d+)?)(?![\w$])"
    r"|\$\d+|%\(\w+\)s|%s|(?<![?\w])\?(?![?|&\w-])"
)
# After literals became "?" and spacing was made tight: a signed literal, a parenthesised list of literals
# and a run of such lists (VALUES, multi-row IN).
_SIGNED = re.compile(r"([=<>(,+*/%-] ?)[-+] ?\?")
_LIST = re.compile(r"\(\?(?:,\?)*\)(?:,\(\?(?:,\?)*\))*")
_KEYWORD_PAREN = re.compile(
    r"(?<![\w$.\"])(in|values|exists|as|on|using|from|join|and|or|not|any|all|over|where|into|select|when|then"
    r"|else|by|with|filter|group|is|set|returning|like|between|union|intersect|except|[=<>+*/-])\("
)
_HASH_BYTES = 8

# "#" starts a comment in MySQL only when it is not an operator of other dialects (PostgreSQL's "#" is XOR
# and "#>" a JSON path); a '#' right after a word or an operator is not treated as a comment.
_MYSQL_HASH_COMMENT = re.compile(r"(?:^|(?<=\s))#")


def _replace_quoted(match: re.Match[str]) -> str:
    kind = match.lastgroup
    if kind == "comment":
        text = match.group()
        # A "#" comment only where MySQL would read one; otherwise keep it as an operator.
        if text[0] == "#" and not _MYSQL_HASH_COMMENT.match(match.string, match.start()):
            return text
        return " "
    if kind == "ident":
        return "\0" + match.group() + "\0"  # kept as written: see normalize()
    return " ? "


def _may_quote(sql: str) -> bool:
    return (
        "'" in sql or '"' in sql or "--" in sql or "/*" in sql or "$" in sql or "#" in sql or "`" in sql or "[" in sql
    )


def normalize(sql: str, backslash_escapes: bool = False) -> str:
    """The template key of ``sql``: the same for every execution that differs only in literals, comments,
    white space, keyword case or the length of a literal list. Parentheses and commas are written tight
    (``f(a,b)``); :func:`display` spaces the text out for people."""
    quoted = _QUOTED_OR_BACKSLASH if backslash_escapes else _QUOTED_OR_COMMENT
    text = quoted.sub(_replace_quoted, sql) if _may_quote(sql) else sql
    if "\0" in text:
        # Lower-case only what lies outside quoted identifiers (between the \0 markers at odd positions).
        parts = text.split("\0")
        text = "".join(part if index % 2 else part.lower() for index, part in enumerate(parts))
    else:
        text = text.lower()
    text = " ".join(_NUMBER_OR_PARAMETER.sub("?", text).split())
    text = text.replace(" ,", ",").replace(", ", ",").replace("( ", "(").replace(" )", ")").replace(" (", "(")
    text = text.rstrip("; ")
    if "?" in text:
        if "-?" in text or "+?" in text or "- ?" in text or "+ ?" in text:
            text = _SIGNED.sub(r"\1?", text)
        if "(?" in text:
            text = _LIST.sub("(...)", text)
    return text


def display(normalized: str) -> str:
    """A template key spaced out for reading: ``in (...)``, ``f(a, b)``, ``values (...)``.

    >>> display(normalize("SELECT count(*) FROM t WHERE a IN (1,2) AND b=(SELECT max(c) FROM u)"))
    'select count(*) from t where a in (...) and b=(select max(c) from u)'
    """
    text = normalized.replace(",", ", ")
    return _KEYWORD_PAREN.sub(r"\1 (", text) if "(" in text else text


def fingerprint(sql: str, dialect: str | None = None) -> str:
    """A short stable key (16 hex digits) of ``sql``'s template; equal for executions of one template."""
    return fingerprint_normalized(normalize(sql, backslash_escapes(dialect)))


def backslash_escapes(dialect: str | None) -> bool:
    """Whether strings of ``dialect`` take backslash escapes (``'it\\'s'``), as MySQL's do."""
    return (dialect or "").lower() in BACKSLASH_DIALECTS


def fingerprint_normalized(normalized: str) -> str:
    """The fingerprint of text that :func:`normalize` already produced."""
    return hashlib.blake2b(normalized.encode(), digest_size=_HASH_BYTES).hexdigest()


_LITERAL = re.compile(
    r"""(?P<string>(?<![\w$])[EeNnBbXx]?'((?:[^'\\]|''|\\.)*)')|(?P<comment>--[^\n]*|/\*.*?\*/)|(?P<ident>"(?:[^"]|"")*")"""
    r"""|(?<![\w$.])(?P<number>\d+\.?\d*(?:e[-+]?\d+)?)(?![\w$])""",
    re.VERBOSE | re.DOTALL | re.I,
)


def literals(sql: str) -> tuple[str, ...]:
    """The literal values of one execution, in order: a *sample* that shows a template's real shape."""
    found: list[str] = []
    for match in _LITERAL.finditer(sql):
        if match.group("string") is not None:
            found.append(match.group(2).replace("''", "'"))
        elif match.group("number") is not None:
            found.append(match.group("number"))
    return tuple(found)
