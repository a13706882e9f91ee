"""``snowflake://`` URLs: read into the connector's arguments, and opened for real against the run's fakesnow server.

The URL is snowflake-sqlalchemy's (``snowflake://user[:password]@account/database/schema?warehouse=...``), its
query options the connector's own, upper-case names session parameters. Every message about a malformed URL is
checked to hold no piece of the password.
"""

from __future__ import annotations

import re
from typing import Any, cast
from urllib.parse import quote

import pytest
import snowflake.connector

from sqltune.connectors import connect as connect_any
from sqltune.connectors.snowflake import QUERY_TAG, SnowflakeConnection, connect_url
from sqltune.connectors.snowflake.url import CONNECT_OPTIONS, url_settings

# fakesnow 0.12 warns on every DB-API result it builds from Arrow; not about sqltune.
pytestmark = pytest.mark.filterwarnings("ignore:Arrow output on a DB-API result:UserWarning")

SECRET = "s3cr:t@p/ss?w#rd"
ENCODED = quote(SECRET, safe="")


def settings(url: str, **environ: str) -> dict[str, Any]:
    return url_settings(url, environ)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            f"snowflake://SQLTUNE:{ENCODED}@myorg-myaccount/ANALYTICS/PUBLIC?warehouse=ANALYTICS_WH&role=READER",
            {
                "account": "myorg-myaccount",
                "user": "SQLTUNE",
                "password": SECRET,
                "database": "ANALYTICS",
                "schema": "PUBLIC",
                "warehouse": "ANALYTICS_WH",
                "role": "READER",
            },
        ),
        # The user info runs to the last '@': an e-mail login, and a password left unencoded, still read whole.
        (
            f"snowflake://jane.doe@example.com:{SECRET}@xy12345.us-east-1/ANALYTICS",
            {
                "account": "xy12345.us-east-1",
                "user": "jane.doe@example.com",
                "password": SECRET,
                "database": "ANALYTICS",
            },
        ),
        # snowflake-sqlalchemy's host:port form: the host is where to connect, account= names the account.
        (
            "snowflake://me@127.0.0.1:8080/DB?account=fakesnow&protocol=http",
            {
                "host": "127.0.0.1",
                "port": 8080,
                "account": "fakesnow",
                "protocol": "http",
                "user": "me",
                "database": "DB",
            },
        ),
        (
            "snowflake://me@myorg-myaccount.privatelink.snowflakecomputing.com/DB",
            {
                "host": "myorg-myaccount.privatelink.snowflakecomputing.com",
                "account": "myorg-myaccount",
                "user": "me",
                "database": "DB",
            },
        ),
        # The connector's own options, typed as it expects them; percent-encoded names decoded.
        (
            "snowflake://me@acct/My%20DB/My%2FSchema?authenticator=externalbrowser&client_session_keep_alive=true"
            "&login_timeout=5&host=127.0.0.1&port=9&protocol=http&private_key_file=%2Fkeys%2Frsa.p8",
            {
                "account": "acct",
                "user": "me",
                "database": "My DB",
                "schema": "My/Schema",
                "authenticator": "externalbrowser",
                "client_session_keep_alive": True,
                "login_timeout": 5,
                "host": "127.0.0.1",
                "port": 9,
                "protocol": "http",
                "private_key_file": "/keys/rsa.p8",
            },
        ),
        # UPPER-CASE names are session parameters, typed; the statement timeout is sqltune's own setting.
        (
            "snowflake://me@acct?TIMEZONE=UTC&USE_CACHED_RESULT=false&WEEK_START=1&STATEMENT_TIMEOUT_IN_SECONDS=600",
            {
                "account": "acct",
                "user": "me",
                "session_parameters": {"TIMEZONE": "UTC", "USE_CACHED_RESULT": False, "WEEK_START": 1},
                "statement_timeout_s": 600,
            },
        ),
    ],
    ids=["password", "email-user", "host-port", "privatelink", "options", "session-parameters"],
)
def test_urls_are_read_into_the_connectors_arguments(url: str, expected: dict[str, Any]) -> None:
    assert settings(url) == expected


def test_the_password_comes_from_the_environment_when_the_url_has_none() -> None:
    assert settings("snowflake://me@acct/DB", SNOWFLAKE_PASSWORD=SECRET)["password"] == SECRET
    assert settings("snowflake://me:@acct/DB", SNOWFLAKE_PASSWORD=SECRET)["password"] == SECRET
    assert settings("snowflake://me:url-pass@acct", SNOWFLAKE_PASSWORD=SECRET)["password"] == "url-pass"
    assert "password" not in settings("snowflake://me@acct?authenticator=externalbrowser")


def test_the_options_are_the_connectors_keywords_a_url_can_spell() -> None:
    assert {"warehouse", "role", "authenticator", "host", "port", "protocol", "token", "login_timeout"} <= set(
        CONNECT_OPTIONS
    )
    # Places of their own in the URL, and what sqltune relies on, are not options.
    assert not {"user", "password", "database", "schema", "paramstyle", "autocommit", "session_parameters"} & set(
        CONNECT_OPTIONS
    )


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("postgresql://me@db/shop", "expected a Snowflake URL"),
        (f"snowflake://me:{ENCODED}@/DB", "expected the account identifier"),
        (f"snowflake://me:{ENCODED}@acct:https/DB", "the port in a Snowflake URL is a number; got 'https'"),
        (f"snowflake://me:{ENCODED}@acct_!/DB", "expected the account identifier"),
        (f"snowflake://me:{ENCODED}@host:44x3/DB", "the port in a Snowflake URL is a number; got '44x3'"),
        (f"snowflake://me:{ENCODED}@acct/DB#frag", "a '#' in a Snowflake URL: percent-encode it"),
        (f"snowflake://me:{ENCODED}@acct/DB/S/T", "a Snowflake URL's path is /database[/schema]; got 3 parts"),
        (f"snowflake://me:{ENCODED}@acct/DB?account=other", "the account is the Snowflake URL's host"),
        ("snowflake://me@acct/DB?user=me", "user has its place in a Snowflake URL"),
        (f"snowflake://me@acct/DB?password={ENCODED}", "password has its place in a Snowflake URL"),
        (f"snowflake://me:{ENCODED}@acct/DB?paramstyle=qmark", "paramstyle cannot be set in a Snowflake URL"),
        (
            f"snowflake://me:{ENCODED}@acct/DB?ocsp_fail_open=maybe",
            "ocsp_fail_open in a Snowflake URL is true or false",
        ),
        (f"snowflake://me:{ENCODED}@acct/DB?login_timeout=soon", "login_timeout in a Snowflake URL is a whole number"),
        (f"snowflake://me:{ENCODED}@acct/DB?QUERY_TAG=mine", "QUERY_TAG is sqltune's own"),
        (f"snowflake://me:{ENCODED}@acct/DB?STATEMENT_TIMEOUT_IN_SECONDS=0", "STATEMENT_TIMEOUT_IN_SECONDS is a whole"),
        (f"snowflake://me:{ENCODED}@acct/DB?wharehouse=WH", "unknown option 'wharehouse' in the Snowflake URL"),
    ],
)
def test_malformed_urls_are_one_line_without_the_password(url: str, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)) as caught:
        settings(url)
    text = str(caught.value)
    assert "\n" not in text and SECRET not in text and ENCODED not in text and "s3cr" not in text


# -- opened for real ------------------------------------------------------------------------------------------
def fakesnow_url(server: dict[str, Any], password: str | None = ENCODED, **query: Any) -> str:
    """A URL to the run's fakesnow server, in a database of its own (``FAKESNOW_DB_PATH=:isolated:`` is fakesnow's
    session parameter for it, passed as any session parameter is)."""
    userinfo = "SQLTUNE" + (f":{password}" if password else "")
    options = {**server, "warehouse": "ANALYTICS_WH", "role": "READER", "FAKESNOW_DB_PATH": ":isolated:", **query}
    return f"snowflake://{userinfo}@acme-analytics/ANALYTICS/PUBLIC?" + "&".join(f"{k}={v}" for k, v in options.items())


@pytest.fixture
def logins(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """The arguments of every ``snowflake.connector.connect`` call (the real one still runs): the connector
    forgets the password once logged in, so this is where to see which one it was given."""
    calls: list[dict[str, Any]] = []
    real = snowflake.connector.connect

    def recorded(**kwargs: Any) -> Any:
        calls.append(kwargs)
        return real(**kwargs)

    monkeypatch.setattr(snowflake.connector, "connect", recorded)
    return calls


def test_a_url_opens_a_read_only_tagged_connection(
    fakesnow_server: dict[str, Any], logins: list[dict[str, Any]]
) -> None:
    url = fakesnow_url(fakesnow_server, TIMEZONE="UTC", STATEMENT_TIMEOUT_IN_SECONDS=300, login_timeout=15)
    with connect_url(url) as sf:
        client = cast(Any, sf)._connection  # the real connector's connection, logged in to fakesnow
        sent = client._session_parameters
        assert (sent["STATEMENT_TIMEOUT_IN_SECONDS"], sent["QUERY_TAG"], sent["TIMEZONE"]) == (300, QUERY_TAG, "UTC")
        assert (client.host, client.port, client.login_timeout) == ("127.0.0.1", fakesnow_server["port"], 15)
        [login] = logins
        assert (login["account"], login["user"], login["password"], login["warehouse"]) == (
            "acme-analytics",
            "SQLTUNE",
            SECRET,
            "ANALYTICS_WH",
        )
        assert sf.timeout_s == 300
        assert repr(sf) == "<SnowflakeConnection acme-analytics/ANALYTICS.PUBLIC warehouse=ANALYTICS_WH>"
        assert list(sf.schema()) == []  # a database of its own, empty


def test_connectors_connect_takes_a_snowflake_url(
    fakesnow_server: dict[str, Any], monkeypatch: pytest.MonkeyPatch, logins: list[dict[str, Any]]
) -> None:
    monkeypatch.setenv("SNOWFLAKE_PASSWORD", SECRET)
    url = fakesnow_url(fakesnow_server, password=None, STATEMENT_TIMEOUT_IN_SECONDS=300)
    with connect_any(url) as sf:
        assert isinstance(sf, SnowflakeConnection) and sf.dialect == "snowflake"
        assert logins[-1]["password"] == SECRET  # from the environment
        assert sf.timeout_s == 300  # the URL's
    with connect_any(url, statement_timeout="45s", connect_timeout=7) as sf:  # the caller's win over the URL's
        client = cast(Any, sf)._connection
        assert (sf.timeout_s, client._session_parameters["STATEMENT_TIMEOUT_IN_SECONDS"], client.login_timeout) == (
            45,
            45,
            7,
        )
    with connect_any(fakesnow_url(fakesnow_server)) as sf:
        assert sf.timeout_s == 120  # neither: the Snowflake default
