"""Keep passwords out of everything sqltune prints, logs or raises.

Connection strings travel far: into ``repr()``, into error messages (libpq echoes pieces of a malformed
connection string back, and psycopg may quote the DSN), into CI logs. Everything here errs towards hiding
too much: a redaction that also hides a port number is a nuisance, one that misses a password is a leak.

These functions work on malformed input too, because malformed input is exactly what ends up in errors.

- :func:`redact_url`, :func:`redact_dsn`: a URL or libpq connection string with its passwords masked;
- :func:`find_secrets`: the password values written in one (:data:`SECRET_KEYS`);
- :func:`redact_text`: free text (an error message) scrubbed of those and of every known secret.

Both engines' connectors scrub their errors with :func:`redact_text`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import quote, unquote

__all__ = ["MASK", "SECRET_KEYS", "find_secrets", "redact_dsn", "redact_text", "redact_url"]

MASK = "***"

#: libpq keywords whose values are secrets.
SECRET_KEYS = ("password", "sslpassword")

# key = value in a libpq DSN; the value is a single-quoted string (backslash escapes) or a run of non-blanks.
# A quote that is not followed by a blank is taken as part of the value: a malformed 'it''s' hides whole.
# (After '?' or '&' it is a URL query parameter, handled below.)
_DSN_SECRET = re.compile(
    r"(?P<key>(?<![?&\w])(?:" + "|".join(SECRET_KEYS) + r")\s*=\s*)(?P<value>'(?:[^'\\]|\\.|'(?=\S))*'?|\S*)",
    re.IGNORECASE,
)
# ?password=... / &sslpassword=... in a URL query string.
_URL_QUERY_SECRET = re.compile(
    r"(?P<key>[?&](?:" + "|".join(SECRET_KEYS) + r")=)(?P<value>[^&#\s]*)",
    re.IGNORECASE,
)
# libpq quotes the piece of a malformed connection string it stumbled on: 'missing "=" after "cret"'.
_LIBPQ_FRAGMENT = re.compile(r'(?P<key>\bafter ")(?P<value>[^"]*)(?=")')
# scheme://userinfo@ ... ; the userinfo runs to the LAST '@' before a blank, because unencoded passwords
# may themselves contain '@', '/' or ':'.
_URL_AUTHORITY = re.compile(r"(?P<scheme>\b[a-z][a-z0-9+.\-]*://)(?P<userinfo>[^\s@]*(?:@[^\s@]*)*)@", re.IGNORECASE)


def redact_url(url: str) -> str:
    """The URL with the password replaced by ``***`` (userinfo and ``password=`` query parameters).

    >>> redact_url("postgresql://alice:s3cret@db.example.com:5432/shop?sslmode=require")
    'postgresql://alice:***@db.example.com:5432/shop?sslmode=require'
    >>> redact_url("postgresql+psycopg://alice:p@ss:w/rd@db/shop")
    'postgresql+psycopg://alice:***@db/shop'
    >>> redact_url("postgresql://db/shop?user=alice&password=s3cret")
    'postgresql://db/shop?user=alice&password=***'
    >>> redact_url("postgresql://alice@db/shop")
    'postgresql://alice@db/shop'
    """

    def authority(match: re.Match[str]) -> str:
        userinfo = match.group("userinfo")
        user, colon, _ = userinfo.partition(":")
        return f"{match.group('scheme')}{user}{colon and ':' + MASK}@"

    redacted = _URL_AUTHORITY.sub(authority, url)
    return _URL_QUERY_SECRET.sub(lambda m: m.group("key") + MASK, redacted)


def redact_dsn(dsn: str) -> str:
    """The libpq connection string (or URL) with every password value replaced by ``***``.

    >>> redact_dsn("host=db dbname=shop user=alice password=s3cret")
    'host=db dbname=shop user=alice password=***'
    >>> redact_dsn("host=db password = 'it''s \\\\' secret' port=5432")
    'host=db password = *** port=5432'
    >>> redact_dsn("postgresql://alice:s3cret@db/shop")
    'postgresql://alice:***@db/shop'
    """
    return redact_url(_DSN_SECRET.sub(lambda m: m.group("key") + MASK, dsn))


def find_secrets(text: str) -> list[str]:
    """The password values written in a DSN or URL, as written (quoted values also without their quotes).

    Used to scrub error messages about a string that may not even parse.

    >>> find_secrets("host=db password='a b' sslpassword=x")
    ["'a b'", 'x', 'a b']
    >>> find_secrets("postgresql://me:p%40ss@db/shop?password=two")
    ['p%40ss', 'two']
    """
    found = [m.group("value") for m in _DSN_SECRET.finditer(text)]
    for match in _URL_AUTHORITY.finditer(text):
        _, colon, password = match.group("userinfo").partition(":")
        found.append(password if colon else "")
    found += [m.group("value") for m in _URL_QUERY_SECRET.finditer(text)]
    unquoted = [value[1:-1] for value in found if len(value) >= 2 and value[0] == value[-1] == "'"]
    return [value for value in dict.fromkeys(found + unquoted) if value]


def redact_text(text: str, secrets: Iterable[str | None] = ()) -> str:
    """Scrub free text (an error message): DSN and URL passwords, the fragment libpq quotes from a
    malformed connection string, and every known secret verbatim.

    ``secrets`` are the passwords in play. Each is also hidden percent-encoded (as inside URLs) and piece by
    piece, because libpq splits a malformed password at blanks and quotes and echoes one piece.

    >>> redact_text('invalid dsn: missing "=" after "cret" in connection info string', ["se cret"])
    'invalid dsn: missing "=" after "***" in connection info string'
    >>> redact_text("FATAL: role from s3cret-file (s%3Acret)", ["s3cret", "s:cret"])
    'FATAL: role from ***-file (***)'
    """
    scrubbed = _LIBPQ_FRAGMENT.sub(lambda m: m.group("key") + MASK, redact_dsn(text))
    variants: set[str] = set()
    for secret in secrets:
        if not secret:
            continue
        variants.update((secret, quote(secret, safe=""), unquote(secret)))
        variants.update(piece for piece in re.split(r"[\s'\\]+", secret) if len(piece) >= 3)
    for variant in sorted(variants, key=len, reverse=True):  # longest first, so no partial leftovers
        scrubbed = scrubbed.replace(variant, MASK)
    return scrubbed
