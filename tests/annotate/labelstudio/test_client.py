"""The Label Studio client without Label Studio: credentials, retries with backoff, final errors, redaction.

A tiny HTTP server on 127.0.0.1 plays a failing server (5xx, slow answers, 401); nothing leaves the machine.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from builder.errors import InputError
from builder.annotate.labelstudio.client import (
    AuthError,
    Client,
    Credentials,
    DataInvalidError,
    ServerUnavailable,
    credentials_from_env,
    is_jwt,
)
from builder.annotate.labelstudio.server import free_port

KEY = "5f1b2c3d4e5f60718293a4b5c6d7e8f901234567"
PAT = ("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ0b2tlbl90eXBlIjoicmVmcmVzaCIsImV4cCI6NDEwMjQ0NDgwMH0."
       "c2lnbmF0dXJl")

EXPIRED_PAT = ("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ0b2tlbl90eXBlIjoicmVmcmVzaCIsImV4cCI6MTYwMDAwMDAwMH0."
               "c2lnbmF0dXJl")  # exp 2020-09-13


class FakeServer:
    """Answers each request with the next scripted (status, body, delay); records what it saw."""

    def __init__(self, script: list[tuple[int, object, float]]) -> None:
        self.script = list(script)
        self.seen: list[tuple[str, str, str]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                fake.seen.append((self.command, self.path, self.headers.get("Authorization", "")))
                status, body, delay = fake.script.pop(0) if fake.script else (200, {"ok": True}, 0)
                time.sleep(delay)
                data = json.dumps(body).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            do_GET = do_POST = _answer

            def log_message(self, *args) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture()
def fake():
    servers = []

    def make(script):
        servers.append(FakeServer(script))
        return servers[-1]

    yield make
    for s in servers:
        s.close()


def _client(url: str, key: str = KEY, **kw) -> Client:
    return Client(Credentials(url, key), backoff=0.01, max_backoff=0.05, **kw)


def test_client_token_kinds():
    assert Credentials("http://x", KEY).kind == "legacy token"
    assert is_jwt(PAT) and Credentials("http://x", PAT).kind == "personal access token"
    assert not is_jwt("a.b.c") and KEY not in repr(Credentials("http://x", KEY))


def test_client_credentials_from_env():
    got = credentials_from_env({"LABEL_STUDIO_URL": "http://h:1", "LABEL_STUDIO_API_KEY": KEY})
    assert (got.url, got.key, got.source) == ("http://h:1", KEY, "environment")
    local = Credentials("http://127.0.0.1:8080", "local", "the local server")
    assert credentials_from_env({}, fallback=local) is local
    assert credentials_from_env({"LABEL_STUDIO_API_KEY": KEY}, fallback=local).url == local.url
    with pytest.raises(InputError, match="LABEL_STUDIO_API_KEY is not set"):
        credentials_from_env({"LABEL_STUDIO_URL": "http://elsewhere:1"}, fallback=local)
    with pytest.raises(InputError, match="LABEL_STUDIO_URL is not"):
        credentials_from_env({"LABEL_STUDIO_API_KEY": KEY})


def test_client_sends_the_key_as_the_sdk_does(fake):
    srv = fake([(200, {"id": 1}, 0)])
    assert _client(srv.url).get("api/current-user/whoami") == {"id": 1}
    assert srv.seen == [("GET", "/api/current-user/whoami", f"Token {KEY}")]


def test_client_retries_5xx_then_succeeds(fake):
    srv = fake([(503, {"detail": "busy"}, 0), (502, "<html>", 0), (200, {"release": "1.23.2"}, 0)])
    assert _client(srv.url, retries=3).server_version() == "1.23.2"
    assert len(srv.seen) == 3


def test_client_gives_up_with_a_clear_error_when_the_server_is_down():
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    started = time.monotonic()
    with pytest.raises(ServerUnavailable) as err:
        _client(url, retries=2).get("api/version")
    msg = err.value.message
    assert "no answer after 3 attempts" in msg and "cannot connect" in msg and "server status" in msg
    assert time.monotonic() - started < 5


def test_client_timeouts_are_retried_for_reads_not_for_imports(fake):
    srv = fake([(200, {}, 1.2), (200, {}, 1.2), (200, {"ok": 1}, 0)])
    assert _client(srv.url, retries=2, timeout=0.4).get("api/tasks/") == {"ok": 1}
    srv = fake([(200, {}, 1.2)])
    with pytest.raises(ServerUnavailable, match="may or may not have been applied"):
        _client(srv.url, retries=5, timeout=0.4).request("POST", "api/projects/1/import", json_body=[])
    assert len(srv.seen) == 1  # a POST that may have landed is not sent twice


def test_client_5xx_on_post_is_not_repeated(fake):
    srv = fake([(500, {"detail": "boom"}, 0)])
    with pytest.raises(ServerUnavailable, match="HTTP 500: boom"):
        _client(srv.url, retries=5).request("POST", "api/projects/", json_body={})
    assert len(srv.seen) == 1


def test_client_401_names_the_token_kind_and_hides_the_key(fake):
    body = {"detail": f"Invalid token {KEY}."}  # even a server that echoes the key does not get it printed
    srv = fake([(401, body, 0)])
    with pytest.raises(AuthError) as err:
        _client(srv.url).get("api/current-user/whoami")
    msg = err.value.message
    assert "refused the legacy token from environment (HTTP 401" in msg and KEY not in msg and "***" in msg
    assert "Account & Settings" in msg and len(srv.seen) == 1
    srv = fake([(401, {"detail": "legacy token authentication has been disabled for this organization"}, 0)])
    with pytest.raises(AuthError, match="enable legacy tokens"):
        _client(srv.url).get("api/current-user/whoami")


def test_client_personal_access_token_refused_at_refresh(fake):
    srv = fake([(401, {"detail": "Token is invalid or expired"}, 0)])
    with pytest.raises(AuthError) as err:
        _client(srv.url, key=PAT).get("api/current-user/whoami")
    assert "personal access token" in err.value.message and PAT not in err.value.message
    assert srv.seen[0][:2] == ("POST", "/api/token/refresh/")


def test_client_expired_personal_access_token_is_the_token_message(fake):
    srv = fake([])
    with pytest.raises(AuthError) as err:
        _client(srv.url, key=EXPIRED_PAT).get("api/current-user/whoami")
    assert "personal access token" in err.value.message and EXPIRED_PAT not in err.value.message


def test_client_4xx_is_invalid_data_with_the_server_detail(fake):
    srv = fake([(400, {"detail": "Validation error", "validation_errors": {"title": ["too short"]}}, 0)])
    with pytest.raises(DataInvalidError, match="too short"):
        _client(srv.url).request("POST", "api/projects/", json_body={"title": "x"})


def test_client_pages_until_the_server_total_even_when_it_caps_page_size(fake):
    pages = [(200, {"total": 5, "tasks": [{"id": 1}, {"id": 2}]}, 0), (200, {"total": 5, "tasks": [{"id": 3}, {"id": 4}]}, 0),
             (200, {"total": 5, "tasks": [{"id": 5}]}, 0)]
    srv = fake(pages)
    got = [t["id"] for page in _client(srv.url).iter_task_pages(1, include="id", page_size=5) for t in page]
    assert got == [1, 2, 3, 4, 5] and len(srv.seen) == 3
    assert all("ordering" in path and "page_size=5" in path for _, path, _ in srv.seen)
