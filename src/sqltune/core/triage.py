"""Tell broken SQL from valid SQL that is beyond sqlglot's grammar, for a statement that failed to parse.

Broken SQL is an ``SQ000`` error; SQL beyond the parser (MySQL's ``ALTER TABLE ... MODIFY ... FIRST``, a
procedural block, a vendor ``COPY``/``GRANT``/``SET`` form) is reported once as "not analysed" (info) and must
not fail a lint step. A failed statement is *beyond the parser* when all of these hold:

1. it tokenized (the caller only gets here with tokens: unterminated quotes and comments never do);
2. its brackets balance (``()``, ``[]``, ``{}``, and ``BEGIN``/``CASE`` against ``END``);
3. it starts like a statement: a statement keyword of some dialect (:data:`STATEMENT_KEYWORDS`) or, for
   ``CREATE``/``ALTER``/``DROP``, one followed by an object kind (:data:`OBJECT_KINDS`) after its modifiers;
4. it is not a query or data change (``SELECT``, ``WITH``, ``INSERT``, ``UPDATE``, ``DELETE``, ``MERGE``,
   ``VALUES``) nor a ``CREATE TABLE``/``VIEW``/``INDEX``: sqlglot covers those grammars (and sqltune analyses
   them), so a failure there is taken as broken SQL;
5. it does not stop where more was needed: its last token is not a comma, an operator or a keyword that
   must be followed by something (``FROM``, ``WHERE``, ``AND``, ``SET``, ``TABLE``, ...), the mark of a
   truncated statement.

Keyword typos in a statement's first words fail 3; missing commas, stray tokens and typos inside queries
fail 4; truncations fail 2 or 5. What passes is a statement that reads as one of a known kind, complete and
balanced, which the parser could not follow: typos deep inside DDL or procedural code are the blind spot.
"""

from __future__ import annotations

from sqltune.core.sqlglot import Token, TokenType

__all__ = ["OBJECT_KINDS", "STATEMENT_KEYWORDS", "beyond_the_parser", "broken_command", "unknown_object_kind"]


def _words(text: str) -> list[str]:
    return text.split()


#: First words of statements in the dialects sqltune reads (PostgreSQL, MySQL, T-SQL, Oracle, Snowflake,
#: BigQuery, DuckDB, Spark), queries and data changes included.
STATEMENT_KEYWORDS = frozenset(
    _words(
        """
    ABORT ALTER ANALYZE ANALYSE ASSERT ATTACH AUDIT BACKUP BEGIN BREAK CACHE CALL CHECKPOINT CLOSE CLUSTER
    COMMENT COMMIT CONTINUE COPY CREATE DEALLOCATE DECLARE DELETE DENY DESC DESCRIBE DETACH DISCARD DO DROP
    DBCC ELSE ELSEIF ELSIF END EXEC EXECUTE EXCEPTION EXIT EXPLAIN EXPORT FETCH FLASHBACK FLUSH FOR FOREACH
    GET GO GOTO GRANT HANDLER IF IMPORT INSERT INSTALL ITERATE KILL LEAVE LIST LISTEN LOAD LOCK LOOP MERGE
    MOVE MSCK NOAUDIT NOTIFY NULL OPEN OPTIMIZE PRAGMA PREPARE PRINT PURGE PUT RAISE RAISERROR REASSIGN
    REFRESH REINDEX RELEASE REMOVE RENAME REPAIR REPEAT REPLACE RESET RESTORE RETURN REVOKE ROLLBACK
    SAVEPOINT SECURITY SELECT SET SHOW SHUTDOWN SIGNAL START STOP TABLE THROW TRUNCATE TRY UNCACHE UNDROP
    UNLISTEN UNLOAD UNLOCK UPDATE UPSERT USE VACUUM VALUES WAITFOR WHEN WHILE WITH XA
    """
    )
)

#: Queries and data changes: sqlglot's grammar for them is thorough, so their failures are syntax errors.
ANALYSED = frozenset({"SELECT", "WITH", "INSERT", "UPDATE", "DELETE", "MERGE", "VALUES", "UPSERT", "REPLACE"})

#: CREATE of these is read by the schema layer and sqlglot's grammar for it is thorough: failures are errors.
ANALYSED_KINDS = frozenset({"TABLE", "VIEW", "INDEX"})

#: What CREATE, ALTER and DROP may create, alter or drop (the first word of a multi-word kind).
OBJECT_KINDS = frozenset(
    _words(
        """
    ACCESS AGGREGATE ALERT API APPLICATION ASSEMBLY AUDIT CAST CATALOG CERTIFICATE COLLATION COLUMN
    CONNECTION CONTEXT CONVERSION CREDENTIAL DATABASE DEFAULT DICTIONARY DIRECTORY DOMAIN DYNAMIC EVENT
    EXTENSION EXTERNAL FILE FOREIGN FUNCTION GROUP HYBRID ICEBERG INDEX INTEGRATION JAVA LANGUAGE LIBRARY
    LOGIN MACRO MASKING MATERIALIZED MODEL NETWORK NOTIFICATION OPERATOR OUTLINE PACKAGE PARTITION PIPE
    POLICY PROCEDURE PROC PROFILE PUBLICATION RESOURCE ROLE ROUTINE ROW RULE SCHEMA SEARCH SECRET SECURITY
    SEQUENCE SERVER SESSION SHARE SNAPSHOT STAGE STATISTICS STORAGE STREAM STREAMLIT SUBSCRIPTION SYNONYM
    SYSTEM TABLE TABLESPACE TAG TASK TEXT TRANSFORM TRIGGER TYPE USER VIEW WAREHOUSE WORKLOAD
    """
    )
)

#: Words between CREATE/ALTER/DROP and the object kind.
_MODIFIERS = frozenset(
    _words(
        """
    OR REPLACE ALTER TEMPORARY TEMP GLOBAL LOCAL UNLOGGED UNIQUE CLUSTERED NONCLUSTERED COLUMNSTORE RECURSIVE
    SECURE TRANSIENT VOLATILE EXTERNAL EDITIONABLE NONEDITIONABLE EDITIONING FORCE NO PUBLIC PRIVATE
    BITMAP MULTISET SQL SECURITY DEFINER INVOKER ALGORITHM UNDEFINED TEMPTABLE AGGREGATE IF NOT EXISTS
    TRUSTED PROCEDURAL CONSTRAINT SHARED SPATIAL FULLTEXT ONLINE OFFLINE
    """
    )
)

_OPENERS = {TokenType.L_PAREN: TokenType.R_PAREN, TokenType.L_BRACKET: TokenType.R_BRACKET}
_OPENERS[TokenType.L_BRACE] = TokenType.R_BRACE

#: Tokens a complete statement cannot end with.
_DANGLING = frozenset(
    _words(
        """
    SELECT FROM WHERE AND OR NOT JOIN ON USING BY SET VALUES INTO TABLE AS IN IS LIKE ILIKE BETWEEN THEN ELSE
    WHEN CASE HAVING GROUP ORDER LIMIT OFFSET UNION INTERSECT EXCEPT ADD ALTER DROP MODIFY COLUMN RENAME TO
    CREATE WITH DEFAULT REFERENCES GRANT REVOKE FOR OVER PARTITION WINDOW DISTINCT ALL ANY SOME EXISTS
    """
    )
)


def _word(token: Token) -> str:
    return token.text.upper() if token.token_type not in (TokenType.STRING, TokenType.IDENTIFIER) else ""


def _balanced(tokens: list[Token]) -> bool:
    stack: list[TokenType] = []
    blocks = 0
    for position, token in enumerate(tokens):
        kind = token.token_type
        if kind in _OPENERS:
            stack.append(_OPENERS[kind])
        elif kind in (TokenType.R_PAREN, TokenType.R_BRACKET, TokenType.R_BRACE) and (not stack or stack.pop() != kind):
            return False
        word = _word(token)
        if word == "CASE" or (word == "BEGIN" and position + 1 < len(tokens)):
            blocks += 1
        elif word == "END":
            following = _word(tokens[position + 1]) if position + 1 < len(tokens) else ""
            if following not in ("IF", "LOOP", "WHILE", "REPEAT", "FOR"):
                blocks -= 1
    return not stack and blocks >= 0


def _kind_after(tokens: list[Token]) -> str:
    """The first word after CREATE/ALTER/DROP and its modifiers (``ALGORITHM = MERGE`` included)."""
    position = 1
    while position < len(tokens):
        word = _word(tokens[position])
        if word in OBJECT_KINDS:
            return word
        if word in _MODIFIERS or tokens[position].token_type == TokenType.EQ:
            position += 1
        elif position > 1 and tokens[position - 1].token_type == TokenType.EQ:
            position += 1  # the value of DEFINER = ... / ALGORITHM = ...
        elif tokens[position].token_type == TokenType.PARAMETER or word.startswith("@"):
            position += 1  # MySQL's DEFINER = user@host
        else:
            return word
    return ""


def unknown_object_kind(tokens: list[Token]) -> str | None:
    """For CREATE/ALTER/DROP followed by a word that is no object kind, that word (a typo: ``CREATE TABEL``)."""
    if not tokens or _word(tokens[0]) not in ("CREATE", "ALTER", "DROP"):
        return None
    kind = _kind_after(tokens)
    return None if kind in OBJECT_KINDS else kind or tokens[-1].text


def broken_command(tokens: list[Token]) -> str | None:
    """For a statement sqlglot kept as an opaque command, what marks it as broken SQL (unbalanced brackets, an
    end where more was needed, a misspelt object kind), else ``None``."""
    if not _balanced(tokens):
        return "unbalanced brackets; expected each (, [ or { closed, and each BEGIN or CASE ended"
    last = tokens[-1]
    if len(tokens) > 1 and (_word(last) in _DANGLING or last.token_type in _ENDS_NEEDING_MORE):
        return f"the statement ends after {last.text!r}; expected more"
    return None


def beyond_the_parser(tokens: list[Token], dialect: str | None = None) -> bool:
    """Whether a statement that failed to parse reads as valid SQL the parser does not know (see above)."""
    if not tokens or not _balanced(tokens):
        return False
    first = _word(tokens[0])
    if first not in STATEMENT_KEYWORDS or first in ANALYSED:
        return False
    if unknown_object_kind(tokens) is not None:
        return False
    if first == "CREATE" and _kind_after(tokens) in ANALYSED_KINDS:
        return False
    last = tokens[-1]
    return not (_word(last) in _DANGLING or last.token_type in _ENDS_NEEDING_MORE)


_ENDS_NEEDING_MORE = frozenset(
    {
        TokenType.COMMA,
        TokenType.DOT,
        TokenType.EQ,
        TokenType.PLUS,
        TokenType.DASH,
        TokenType.STAR,
        TokenType.SLASH,
        TokenType.LT,
        TokenType.GT,
        TokenType.LTE,
        TokenType.GTE,
        TokenType.NEQ,
        TokenType.DPIPE,
        TokenType.COLON,
    }
)
