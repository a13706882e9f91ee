"""Passwords never reach messages: the pure redaction functions, then real failed connections."""

from __future__ import annotations

import socket
import struct
import threading
import traceback
from collections.abc import Iterator
from typing import Any

import pytest
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from sqltune.connectors import ConnectionError, DatabaseError, QueryError
from sqltune.connectors.postgres import connect
from sqltune.connectors.redact import find_secrets, redact_dsn, redact_text, redact_url

SECRET = "Hunter2-s3cret"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("host=db user=me password=Hunter2-s3cret dbname=x", "host=db user=me password=*** dbname=x"),
        ("host=db PASSWORD = 'Hunter2 s3cret' port=1", "host=db PASSWORD = *** port=1"),
        ("host=db password='it\\'s Hunter2-s3cret'", "host=db password=***"),
        ("sslpassword=Hunter2-s3cret host=db", "sslpassword=*** host=db"),
        ("postgresql://me:Hunter2-s3cret@db:5432/x", "postgresql://me:***@db:5432/x"),
        ("postgresql+psycopg://me:Hun@ter2/s3cret@db/x", "postgresql+psycopg://me:***@db/x"),
        ("postgres://db/x?user=me&password=Hunter2-s3cret&sslmode=require", "postgres://db/x?user=me&password=***&sslmode=require"),
        ("host=db user=me", "host=db user=me"),
        ("postgresql://me@db/x", "postgresql://me@db/x"),
    ],
)  # fmt: skip
def test_redact_dsn_and_url(text: str, expected: str) -> None:
    assert redact_dsn(text) == expected
    assert "s3cret" not in redact_dsn(text)


def test_redact_url_leaves_plain_text_alone() -> None:
    assert redact_url("no url here: a:b@c") == "no url here: a:b@c"


def test_redact_text_hides_known_secrets_and_their_pieces() -> None:
    message = 'missing "=" after "s3cret" in connection info string; saw Hunter2 and Hunter2%20s3cret'
    scrubbed = redact_text(message, ["Hunter2 s3cret"])
    assert "s3cret" not in scrubbed and "Hunter2" not in scrubbed
    assert find_secrets("password='Hunter2 s3cret' host=x") == ["'Hunter2 s3cret'", "Hunter2 s3cret"]


def _assert_clean(error: BaseException, *secrets: str) -> None:
    # What a traceback prints of the error itself (the caller's own source lines are the caller's business).
    rendered = "".join(traceback.format_exception_only(error)) + repr(error) + str(error)
    for secret in secrets:
        assert secret not in rendered, rendered
    # The driver's exception is not chained: its text would be printed under the scrubbed one.
    assert error.__cause__ is None and (error.__context__ is None or error.__suppress_context__)


def test_bad_dsn_message_has_no_password() -> None:
    with pytest.raises(ConnectionError, match="invalid connection string") as caught:
        connect("host=127.0.0.1 password=Hunter2 s3cret-part dbname=x")
    _assert_clean(caught.value, "Hunter2", "s3cret-part")


def test_bad_url_message_has_no_password() -> None:
    with pytest.raises(ConnectionError, match='invalid integer value "notaport"') as caught:
        connect(f"postgresql+psycopg://me:{SECRET}@127.0.0.1:notaport/x")
    _assert_clean(caught.value, SECRET)


def test_unsupported_target_kinds() -> None:
    with pytest.raises(ConnectionError, match="unsupported URL scheme 'mysql'") as caught:
        connect(f"mysql://me:{SECRET}@db/x")
    _assert_clean(caught.value, SECRET)
    with pytest.raises(TypeError, match="cannot connect to a int"):
        connect(42)
    with pytest.raises(ValueError, match="must be a positive"):
        connect("host=127.0.0.1", statement_timeout=0)


def test_unreachable_host_message_has_no_password() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(ConnectionError, match=f"cannot connect to 127.0.0.1:{port}/shop") as caught:
        connect(f"host=127.0.0.1 port={port} dbname=shop user=me password={SECRET} connect_timeout=2")
    _assert_clean(caught.value, SECRET)
    assert isinstance(caught.value, DatabaseError)


@pytest.mark.postgres
def test_rejected_login_message_has_no_password(pg_dsn: str) -> None:
    dsn = make_conninfo(pg_dsn, user="sqltune_no_such_role", password=SECRET)
    with pytest.raises(ConnectionError, match='role "sqltune_no_such_role" does not exist') as caught:
        connect(dsn)
    _assert_clean(caught.value, SECRET)


@pytest.mark.postgres
def test_query_errors_are_scrubbed_and_repr_shows_no_password(pg_dsn: str) -> None:
    # The local test server trusts its clients, so the password is accepted and ignored.
    params = conninfo_to_dict(pg_dsn)
    params["password"] = SECRET
    with connect(params) as connection:
        assert SECRET not in repr(connection)
        assert repr(connection).startswith(f"<PostgresConnection {params.get('host', '')}")
        with pytest.raises(QueryError, match="invalid input syntax") as caught:
            connection.query(f"SELECT '{SECRET}'::int")  # the server quotes the value back
        _assert_clean(caught.value, SECRET)
    assert "closed" in repr(connection)


class _PasswordEchoingServer:
    """A hostile or buggy server: asks for a cleartext password, then quotes it in its error message.

    It speaks just enough of the PostgreSQL wire protocol (v3) for libpq to send the password.
    """

    def __init__(self) -> None:
        self.socket = socket.create_server(("127.0.0.1", 0))
        self.port = self.socket.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _receive(self, client: socket.socket, size: int) -> bytes:
        data = b""
        while len(data) < size:
            chunk = client.recv(size - len(data))
            if not chunk:
                raise OSError("client went away")
            data += chunk
        return data

    def _serve(self) -> None:
        client, _ = self.socket.accept()
        with client:
            while True:  # SSLRequest / GSSENCRequest are declined until the StartupMessage comes
                (length,) = struct.unpack("!i", self._receive(client, 4))
                (code,) = struct.unpack("!i", self._receive(client, length - 4)[:4])
                if code in (80877103, 80877104):
                    client.sendall(b"N")
                    continue
                break
            client.sendall(b"R" + struct.pack("!ii", 8, 3))  # AuthenticationCleartextPassword
            assert self._receive(client, 1) == b"p"
            (length,) = struct.unpack("!i", self._receive(client, 4))
            password = self._receive(client, length - 4).rstrip(b"\0")
            fields = b"SFATAL\0VFATAL\0C28P01\0M" + b"password " + password + b" is wrong\0\0"
            client.sendall(b"E" + struct.pack("!i", len(fields) + 4) + fields)

    def close(self) -> None:
        self.socket.close()
        self.thread.join(timeout=5)


@pytest.fixture
def echoing_server() -> Iterator[_PasswordEchoingServer]:
    server = _PasswordEchoingServer()
    yield server
    server.close()


def test_a_server_that_echoes_the_password_cannot_leak_it(echoing_server: Any) -> None:
    dsn = f"host=127.0.0.1 port={echoing_server.port} user=me password={SECRET} dbname=x sslmode=disable"
    with pytest.raises(ConnectionError, match=r"password \*\*\* is wrong") as caught:
        connect(dsn)
    _assert_clean(caught.value, SECRET)
