"""A Snowflake connection named by a URL, written as snowflake-sqlalchemy writes them, so that ``--dsn`` can name one.

``snowflake://user[:password]@account[/database[/schema]][?warehouse=WH&role=R&...]``

- the host is the account identifier (``myorg-myaccount``, or a legacy locator ``xy12345.us-east-1``); a host
  with a port, or one ending in ``.snowflakecomputing.com``, is where to connect instead, and ``account=`` names
  the account (as in snowflake-sqlalchemy);
- the user info runs to the URL's last ``@`` (a login name may be an e-mail address; a password may hold any
  character, best percent-encoded); without a password there, ``SNOWFLAKE_PASSWORD`` from the environment;
- query options are the connector's own: any keyword of ``snowflake.connector.connect`` that takes text, a
  number or true/false (``warehouse``, ``role``, ``authenticator``, ``private_key_file``, ``token``, ``host``,
  ``port``, ``protocol``, ``login_timeout``...), typed as the connector expects them;
- UPPER-CASE names are session parameters, as in Snowflake's JDBC and Go drivers (``?TIMEZONE=UTC``);
  ``STATEMENT_TIMEOUT_IN_SECONDS`` is the statement timeout sqltune sets, ``QUERY_TAG`` is sqltune's own.

Nothing raised here quotes the user info: it holds the password.

>>> settings = url_settings("snowflake://SQLTUNE:s3cr%40t@myorg-myaccount/ANALYTICS/PUBLIC?warehouse=WH&port=8443"
...                         "&TIMEZONE=UTC&STATEMENT_TIMEOUT_IN_SECONDS=300", environ={})
>>> settings["account"], settings["password"], settings["schema"], settings["port"], settings["session_parameters"]
('myorg-myaccount', 's3cr@t', 'PUBLIC', 8443, {'TIMEZONE': 'UTC'})
>>> settings["statement_timeout_s"]
300
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from snowflake.connector.connection import DEFAULT_CONFIGURATION

__all__ = ["CONNECT_OPTIONS", "PASSWORD_VARIABLE", "url_settings"]

#: Where the password comes from when the URL has none.
PASSWORD_VARIABLE = "SNOWFLAKE_PASSWORD"

# Options sqltune relies on the connector's defaults for (parameter style, result types, autocommit) or that
# only the connector itself sets: a URL cannot change them.
_FIXED = {
    "arrow_number_to_decimal", "autocommit", "check_arrow_conversion_error_on_every_column", "debug_arrow_chunk",
    "dsn", "inject_client_pause", "internal_application_name", "internal_application_version",
    "interpolate_empty_sequences", "json_result_force_utf8_decoding", "master_token", "master_validity_in_seconds",
    "numpy", "paramstyle", "reuse_results", "session_id", "session_token", "support_negative_year",
    "unsafe_file_write", "unsafe_skip_file_permissions_check",
}  # fmt: skip
# Places of their own in the URL.
_IN_THE_URL = {"user", "password", "database", "schema"}
_SCALAR = (str, int, float, bool, bytes, type(None))


def _types(spec: Any) -> tuple[type, ...]:
    kinds = spec[1] if isinstance(spec, tuple) and len(spec) == 2 else ()
    return kinds if isinstance(kinds, tuple) else (kinds,)


#: Query options a URL may set: the connector's keywords taking text, a number or true/false, with their types.
CONNECT_OPTIONS: dict[str, tuple[type, ...]] = {
    name: _types(spec)
    for name, spec in DEFAULT_CONFIGURATION.items()
    if name not in _FIXED | _IN_THE_URL
    and {str, int, float, bool} & set(_types(spec))
    and all(kind in _SCALAR for kind in _types(spec))
}
_HOST = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_SESSION_PARAMETER = re.compile(r"^[A-Z][A-Z0-9_]*$")
_TRUE, _FALSE = {"true", "1", "yes", "on"}, {"false", "0", "no", "off"}
_ENCODE = "percent-encode it (%40 for '@', %2F for '/', %3F for '?', %23 for '#')"


def url_settings(url: str, environ: Mapping[str, str]) -> dict[str, Any]:
    """The keyword arguments of :func:`~sqltune.connectors.snowflake.connect` for ``url`` (see the module), with
    ``session_parameters`` when the URL sets any and ``statement_timeout_s`` when it sets
    ``STATEMENT_TIMEOUT_IN_SECONDS``. ``ValueError`` for anything malformed, never quoting the user info."""
    scheme, separator, rest = url.strip().partition("://")
    if not separator or scheme.lower() != "snowflake":
        raise ValueError("expected a Snowflake URL: snowflake://user[:password]@account[/database[/schema]][?...]")
    userinfo, at, location = rest.rpartition("@")  # the user info runs to the last '@', as redaction masks it
    if not at:
        location = rest
    parts = urlsplit("//" + location)
    if parts.fragment or location.endswith("#"):
        raise ValueError(f"a '#' in a Snowflake URL: {_ENCODE}")
    host, colon, port = parts.netloc.rpartition(":") if ":" in parts.netloc else (parts.netloc, "", "")
    if not host or not _HOST.match(host):
        raise ValueError(
            "expected the account identifier (or host[:port]) after '@' in a Snowflake URL, like "
            f"snowflake://user@myorg-myaccount/database; a password holding '@', '/', '?' or '#': {_ENCODE}"
        )
    settings: dict[str, Any] = {}
    session: dict[str, Any] = {}
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        _option(key, value, settings, session)
    if colon or host.lower().endswith(".snowflakecomputing.com"):
        if colon and not port.isdigit():
            raise ValueError(f"the port in a Snowflake URL is a number; got {port!r}")
        settings["host"] = host
        if colon:
            settings["port"] = int(port)
        if "account" not in settings and host.lower().endswith(".snowflakecomputing.com"):
            settings["account"] = host.split(".")[0]
    elif "account" in settings:
        raise ValueError("the account is the Snowflake URL's host; account= is for a URL naming host:port")
    else:
        settings["account"] = host
    path = [unquote(piece) for piece in parts.path.strip("/").split("/") if piece]
    if len(path) > 2:
        raise ValueError(f"a Snowflake URL's path is /database[/schema]; got {len(path)} parts")
    settings.update(zip(("database", "schema"), path, strict=False))
    user, _, password = userinfo.partition(":")
    if user:
        settings["user"] = unquote(user)
    password = unquote(password) or environ.get(PASSWORD_VARIABLE, "")
    if password:
        settings["password"] = password
    if session:
        settings["session_parameters"] = session
    return settings


def _option(key: str, value: str, settings: dict[str, Any], session: dict[str, Any]) -> None:
    """One query option: a connector keyword, typed, or a session parameter."""
    if key in _IN_THE_URL:
        raise ValueError(
            f"{key} has its place in a Snowflake URL, not in its query: snowflake://user[:password]@account/database/schema"
        )
    if _SESSION_PARAMETER.match(key):
        if key == "QUERY_TAG":
            raise ValueError("QUERY_TAG is sqltune's own ('sqltune', so its statements can be told apart)")
        if key == "STATEMENT_TIMEOUT_IN_SECONDS":
            if not value.isdigit() or int(value) < 1:
                raise ValueError(f"STATEMENT_TIMEOUT_IN_SECONDS is a whole number of seconds; got {value!r}")
            settings["statement_timeout_s"] = int(value)
            return
        session[key] = _session_value(value)
        return
    if key in _FIXED:
        raise ValueError(f"{key} cannot be set in a Snowflake URL: sqltune relies on the connector's default")
    kinds = CONNECT_OPTIONS.get(key)
    if kinds is None:
        raise ValueError(
            f"unknown option {key!r} in the Snowflake URL: expected a keyword of snowflake.connector.connect "
            "(warehouse, role, authenticator, private_key_file, host, port, protocol, ...) or an UPPER-CASE "
            "session parameter"
        )
    settings[key] = _typed(key, value, kinds)


def _typed(key: str, value: str, kinds: tuple[type, ...]) -> Any:
    if bool in kinds:
        if value.lower() in _TRUE | _FALSE:
            return value.lower() in _TRUE
        raise ValueError(f"{key} in a Snowflake URL is true or false; got {value!r}")
    if int in kinds:
        if re.fullmatch(r"-?\d+", value):
            return int(value)
        if str not in kinds:
            raise ValueError(f"{key} in a Snowflake URL is a whole number; got {value!r}")
    if float in kinds and str not in kinds:
        try:
            return float(value)
        except ValueError:
            raise ValueError(f"{key} in a Snowflake URL is a number; got {value!r}") from None
    return value


def _session_value(value: str) -> Any:
    """A session parameter's value as Snowflake types it: a number, true/false, else text."""
    if re.fullmatch(r"-?\d+", value):
        return int(value)
    if value.lower() in ("true", "false"):
        return value.lower() == "true"
    return value
