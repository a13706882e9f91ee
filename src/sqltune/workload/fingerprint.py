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
from functools import lru_cache

__all__ = [
    "FINISHED_CACHE",
    "display",
    "fingerprint",
    "fingerprint_normalized",
    "literals",
    "mysql_quotes",
    "normalize",
    "normalize_many",
]

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
# Numbers that are not part of a name (t1, col_2) or a parameter ($1), and bind parameters: one pass. Every
# alternative starts with one of the characters of the leading class and checks what precedes it by a
# look-behind *after* that character, so the regular expression engine skips ahead to candidate characters
# in C instead of trying every alternative at every position (4x faster than the look-behind first). Digits
# are ASCII, as in every dialect's numeric literals: a class of ten characters scans faster than \d.
_NUMBER_OR_PARAMETER = re.compile(
    r"[0-9.$%?](?:"
    r"(?<=0)(?<![\w$.]0)x[0-9a-f]+(?![\w$])"  # 0x1f
    r"|(?<=[0-9])(?<![\w$.][0-9])[0-9]*\.?[0-9]*(?:e[-+]?[0-9]+)?(?![\w$])"  # 12, 1.5, 1e-3
    r"|(?<=\.)(?<![\w$.]\.)[0-9]+(?:e[-+]?[0-9]+)?(?![\w$])"  # .5
    r"|(?<=\$)[0-9]+"  # $1
    r"|(?<=%)(?:\(\w+\))?s"  # %s, %(name)s
    r"|(?<=\?)(?<![?\w]\?)(?![?|&\w-])"  # ? (not PostgreSQL's ?| ?& ?- operators)
    r")"
)
# A string literal exactly as _QUOTED_OR_COMMENT (_STRING) or _QUOTED_OR_BACKSLASH (_STRING_BACKSLASH) matches
# one, written to start with a character class and to check what precedes it after that character (see
# above). normalize() uses them when the text has no comment, quoted identifier or dollar quote.
_STRING = re.compile(
    r"[EeNnBbXx'](?:"
    rf"(?<=')(?<![\w$]'){_STANDARD[1:]}"  # 'standard'
    rf"|(?<=[Ee])(?<![\w$].){_ESCAPED}"  # E'escaped'
    rf"|(?<=[NnBbXx])(?<![\w$].){_STANDARD}"  # N'standard'
    r")(?:'|\Z)",
    re.DOTALL,
)
_STRING_BACKSLASH = re.compile(
    rf"[EeNnBbXx'](?:(?<=')(?<![\w$]'){_ESCAPED[1:]}|(?<![\w$].){_ESCAPED})(?:'|\Z)",
    re.DOTALL,
)
# Text that needs the full pass of _QUOTED_OR_COMMENT: a dollar quote opens ($$, $tag$).
_DOLLAR_QUOTE = re.compile(r"\$(?:[A-Za-z_]\w*)?\$")
# After literals became "?" and spacing was made tight: a signed literal, a parenthesised list of literals
# and a run of such lists (VALUES, multi-row IN).
_SIGNED = re.compile(r"([=<>(,+*/%-] ?)[-+] ?\?")
_LIST = re.compile(r"\(\?(?:,\?)*\)(?:,\(\?(?:,\?)*\))*")
_KEYWORD_PAREN = re.compile(
    r"(?<![\w$.\"])(in|values|exists|as|on|using|from|join|and|or|not|any|all|over|where|into|select|when|then"
    r"|else|by|with|filter|group|is|set|returning|like|between|union|intersect|except|[=<>+*/-])\("
)
#: Distinct texts whose spacing and lists :func:`normalize` remembers (see _finish); bounded, so memory stays
#: flat however long the log.
FINISHED_CACHE = 16384
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


def _needs_full_pass(sql: str) -> bool:
    """Whether ``sql`` may hold a comment, a quoted identifier, a dollar quote or a NUL (the markers of
    quoted identifiers): then only _QUOTED_OR_COMMENT reads it right; otherwise strings are all there is."""
    return "--" in sql or "/*" in sql or _needs_one_by_one(sql)


def _strip(sql: str, backslash_escapes: bool = False) -> str:
    """Literals, parameters and comments of ``sql`` replaced, case folded outside quoted identifiers."""
    if _needs_full_pass(sql):
        return _strip_full(sql, backslash_escapes)
    # What _strip_full() does when strings are all there is (a property test holds the two equal).
    strings = _STRING_BACKSLASH if backslash_escapes else _STRING
    text = strings.sub(" ? ", sql).lower() if "'" in sql else sql.lower()
    return _NUMBER_OR_PARAMETER.sub("?", text)


def _strip_full(sql: str, backslash_escapes: bool = False) -> str:
    """:func:`_strip` for any text: comments, quoted identifiers, strings and dollar quotes in one pass."""
    text = (_QUOTED_OR_BACKSLASH if backslash_escapes else _QUOTED_OR_COMMENT).sub(_replace_quoted, sql)
    if "\0" in text:
        # Lower-case only what lies outside quoted identifiers (between the \0 markers at odd positions).
        parts = text.split("\0")
        text = "".join(part if index % 2 else part.lower() for index, part in enumerate(parts))
    else:
        text = text.lower()
    return _NUMBER_OR_PARAMETER.sub("?", text)


@lru_cache(maxsize=FINISHED_CACHE)
def _finish(text: str) -> str:
    """Spacing made tight, signed literals and literal lists collapsed: remembered per text, because the
    executions of a template mostly differ only in their literals, which _strip() already replaced."""
    text = " ".join(text.split())
    text = text.replace(" ,", ",").replace(", ", ",").replace("( ", "(").replace(" )", ")").replace(" (", "(")
    if " . " in text:  # a qualified name as digest tables write it: "c . c_custkey"
        text = text.replace(" . ", ".")
    text = text.rstrip("; ")
    if "?" in text:
        if "-?" in text or "+?" in text or "- ?" in text or "+ ?" in text:
            text = _SIGNED.sub(r"\1?", text)
        if "(?" in text:
            text = _LIST.sub("(...)", text)
    return text


def normalize(sql: str, backslash_escapes: bool = False, mysql_quotes: bool = False) -> str:
    """The template key of ``sql``: the same for every execution that differs only in literals, comments,
    white space, keyword case or the length of a literal list. Parentheses and commas are written tight
    (``f(a,b)``); :func:`display` spaces the text out for people. ``backslash_escapes``: a backslash escapes
    the next character in every string, as in MySQL (:func:`backslash_escapes`); otherwise only in E''.
    ``mysql_quotes``: ``"…"`` is a string and a backticked plain name is the name, as in MySQL's default
    ``sql_mode`` (:func:`mysql_quotes`), so that a digest table's ``SELECT `id` FROM `t``` and a slow log's
    ``SELECT id FROM t`` are one template.

    Cost: one pass of a regular expression over the text when it holds no comment or quoted identifier (two
    with strings), then a look-up; the rest is done once per distinct stripped text (:data:`FINISHED_CACHE`).

    >>> normalize('SELECT `id`, "x" FROM `Orders` WHERE `my col` = 1', True, True)
    'select id,? from orders where `my col` = ?'
    """
    if mysql_quotes and ('"' in sql or "`" in sql):
        sql = _MYSQL_QUOTED.sub(_mysql_unquote, sql)
    return _finish(_strip(sql, backslash_escapes))


#: Dialects where ``"…"`` is a string and ``\`name\``` an identifier (MySQL's default sql_mode, BigQuery, Spark).
MYSQL_QUOTING_DIALECTS = frozenset(
    {"mysql", "mariadb", "bigquery", "spark", "spark2", "databricks", "hive", "doris", "starrocks", "singlestore"}
)
# Strings, comments, double-quoted strings and backticked names of MySQL, in one pass (a quote inside a string
# or a comment is not one).
_MYSQL_QUOTED = re.compile(
    r"""'(?:[^'\\]|''|\\.)*(?:'|\Z)|--[^\n]*|/\*.*?(?:\*/|\Z)|#[^\n]*"""
    r"""|(?P<string>"(?:[^"\\]|""|\\.)*(?:"|\Z))|`(?P<name>[A-Za-z_][A-Za-z0-9_$]*)`""",
    re.DOTALL,
)


def _mysql_unquote(match: re.Match[str]) -> str:
    if match.group("name") is not None:
        return match.group("name")
    if match.group("string") is not None:
        return "''"
    return match.group()


def mysql_quotes(dialect: str | None) -> bool:
    """Whether ``dialect`` reads ``"…"`` as a string and backticks as identifier quotes, as MySQL does."""
    return (dialect or "").lower() in MYSQL_QUOTING_DIALECTS


# normalize_many(): statements joined by a separator no SQL text holds (checked), strings marked by one
# character no SQL text holds (checked) by patterns that start with their quote -- the regular expression
# engine scans for a literal first character in C, several times faster than for a character class.
_SEPARATOR = "\n\x01\n"
_MARK = "\x02"
_PLAIN_STRING = re.compile(r"'[^']*(?:''[^']*)*(?:'|\Z)")
_PLAIN_STRING_BACKSLASH = re.compile(r"'[^'\\]*(?:(?:''|\\.)[^'\\]*)*(?:'|\Z)", re.DOTALL)
# Comments after strings were marked: one that holds a mark (a quote inside a comment started a "string"), or
# is unterminated, is left in the text, and the texts are then normalised one by one.
_CLEAN_COMMENT = re.compile(r"--[^\n\x02]*(?=\n|\Z)|/\*[^\x02]*?\*/")
# A marked string right after a letter, digit, "_" or "$": a prefixed string (E'', N'', X'') or text such as
# a'b' that the per-statement pass reads differently: then the texts are normalised one by one.
_PREFIXED_MARK = re.compile(_MARK + r"(?<=[\w$]" + _MARK + ")")


def _needs_one_by_one(sql: str) -> bool:
    """Whether ``sql`` holds what only the per-statement full pass reads: a quoted identifier (kept as
    written), a MySQL ``#`` comment, a dollar quote, a NUL."""
    return (
        '"' in sql
        or "`" in sql
        or "[" in sql
        or "#" in sql
        or "\0" in sql
        or ("$" in sql and _DOLLAR_QUOTE.search(sql) is not None)
    )


def normalize_many(sqls: list[str], backslash_escapes: bool = False, mysql_quotes: bool = False) -> list[str]:
    """``[normalize(sql) for sql in sqls]``, in bulk: each regular expression runs once over all the texts
    joined, instead of once per text (the path of large logs: a few passes over megabytes instead of millions
    of calls). Texts with quoted identifiers, ``#`` comments or dollar quotes are normalised one by one; texts
    the joined passes cannot read exactly (an unterminated string or comment, a prefixed string) make the
    batch fall back to one by one, so the result is always exactly :func:`normalize`'s.

    >>> normalize_many(["SELECT * FROM t WHERE a = 'x' AND b IN (1, 2)", "select * from T where A = 'y' and b in (3)"])
    ['select * from t where a = ? and b in(...)', 'select * from t where a = ? and b in(...)']
    """
    joined = _SEPARATOR.join(sqls)
    if not _needs_one_by_one(joined):
        parts = _strip_joined(joined, backslash_escapes, len(sqls))
        if parts is None:
            return [normalize(sql, backslash_escapes, mysql_quotes) for sql in sqls]
        finish = _finish
        return [finish(part) for part in parts]
    keys: list[str] = []
    bulk: list[int] = []
    for index, sql in enumerate(sqls):
        if _needs_one_by_one(sql):
            keys.append(normalize(sql, backslash_escapes, mysql_quotes))
        else:
            keys.append("")
            bulk.append(index)
    if bulk:
        texts = [sqls[i] for i in bulk]
        for index, key in zip(bulk, normalize_many(texts, backslash_escapes, mysql_quotes), strict=True):
            keys[index] = key
    return keys


def _strip_joined(joined: str, backslash_escapes: bool, count: int) -> list[str] | None:
    """:func:`_strip` of ``count`` texts joined by ``_SEPARATOR``, split again; None when the joined passes
    cannot read them exactly (see :func:`normalize_many`)."""
    if joined.count("\x01") != count - 1 or _MARK in joined:
        return None
    if "'" in joined:
        joined = (_PLAIN_STRING_BACKSLASH if backslash_escapes else _PLAIN_STRING).sub(_MARK, joined)
        if "'" in joined:  # a quote no string pattern took (a backslash at the very end of a text)
            return None
    if "--" in joined or "/*" in joined:
        joined = _CLEAN_COMMENT.sub(" ", joined)
        if "--" in joined or "/*" in joined:
            return None
    if _MARK in joined:
        if _PREFIXED_MARK.search(joined) is not None:
            return None
        joined = _NUMBER_OR_PARAMETER.sub("?", joined.lower()).replace(_MARK, " ? ")
    else:
        joined = _NUMBER_OR_PARAMETER.sub("?", joined.lower())
    parts = joined.split(_SEPARATOR)
    return parts if len(parts) == count else None


def display(normalized: str) -> str:
    """A template key spaced out for reading: ``in (...)``, ``f(a, b)``, ``values (...)``.

    >>> display(normalize("SELECT count(*) FROM t WHERE a IN (1,2) AND b=(SELECT max(c) FROM u)"))
    'select count(*) from t where a in (...) and b=(select max(c) from u)'
    """
    text = normalized.replace(",", ", ")
    return _KEYWORD_PAREN.sub(r"\1 (", text) if "(" in text else text


def fingerprint(sql: str, dialect: str | None = None) -> str:
    """A short stable key (16 hex digits) of ``sql``'s template; equal for executions of one template."""
    return fingerprint_normalized(normalize(sql, backslash_escapes(dialect), mysql_quotes(dialect)))


def backslash_escapes(dialect: str | None) -> bool:
    """Whether strings of ``dialect`` take backslash escapes (``'it\\'s'``), as MySQL's do."""
    return (dialect or "").lower() in BACKSLASH_DIALECTS


def fingerprint_normalized(normalized: str) -> str:
    """The fingerprint of text that :func:`normalize` already produced."""
    return hashlib.blake2b(normalized.encode(), digest_size=_HASH_BYTES).hexdigest()


# Literals for samples: strings (their body captured), numbers, and comments and quoted identifiers matched
# so that nothing inside them is taken for a literal. Character-class first, as _NUMBER_OR_PARAMETER.
_LITERAL = re.compile(
    r"""[EeNnBbXx'\-/"\d](?:"""
    r"""(?<=')(?<![\w$]')(?P<bare>(?:[^'\\]|''|\\.)*)'"""  # 'string'
    r"""|(?<=[EeNnBbXx])(?<![\w$].)'(?P<prefixed>(?:[^'\\]|''|\\.)*)'"""  # E'string'
    r"""|(?<=-)-[^\n]*|(?<=/)\*.*?\*/"""  # comments
    r'|(?<=")(?:[^"]|"")*"'  # "identifier"
    r"""|(?<=\d)(?<![\w$.]\d)(?P<number>\d*\.?\d*(?:e[-+]?\d+)?)(?![\w$])"""  # 12, 1.5e3 (the whole match)
    r""")""",
    re.DOTALL | re.I,
)


def literals(sql: str) -> tuple[str, ...]:
    """The literal values of one execution, in order: a *sample* that shows a template's real shape."""
    found: list[str] = []
    for match in _LITERAL.finditer(sql):
        kind = match.lastgroup
        if kind == "number":
            found.append(match.group())
        elif kind is not None:
            found.append(match.group(kind).replace("''", "'"))
    return tuple(found)
