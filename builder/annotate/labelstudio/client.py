"""The one place that talks to a Label Studio server, through label-studio-sdk (imported lazily here only).

Every request goes through `Client.request`: the SDK's HTTP layer supplies authentication (a legacy token is
sent as `Token <key>`; a personal access token, a JWT refresh token, is exchanged for short-lived access tokens
by the SDK), and this module adds bounded retries with backoff, errors that say what to fix, and redaction:
the key never appears in an exception, an output line or a file. Responses are returned as the server's raw
JSON so that exports stay faithful.
"""

from __future__ import annotations

import base64
import json
import os
import random
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson

from builder.errors import DataInvalidError, InputError, NewsbenchError

URL_ENV = "LABEL_STUDIO_URL"
KEY_ENV = "LABEL_STUDIO_API_KEY"
SDK_VERSION = "2.1.2"
IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "PATCH", "DELETE"})


class LabelStudioError(NewsbenchError):
    """A request to Label Studio failed in a way the user has to act on."""


class AuthError(LabelStudioError):
    """The server refused the key (HTTP 401/403)."""


class ServerUnavailable(LabelStudioError):
    """The server did not answer, timed out or kept failing (5xx) after every retry."""


class NotFound(LabelStudioError):
    """HTTP 404."""


class Rejected(DataInvalidError):
    """The server refused the request's data (HTTP 4xx); `body` is its answer."""

    def __init__(self, what: str, *, body: Any = None, where: str | None = None, fix: str | None = None) -> None:
        super().__init__(what, where=where, fix=fix)
        self.body = body


@dataclass(frozen=True)
class Credentials:
    url: str
    key: str = field(repr=False)
    source: str = "environment"

    @property
    def kind(self) -> str:
        return "personal access token" if is_jwt(self.key) else "legacy token"


def is_jwt(key: str) -> bool:
    """Personal access tokens are JWTs (three base64url parts with a JSON header); legacy tokens are hex."""
    parts = key.split(".")
    if len(parts) != 3:
        return False
    try:
        header = json.loads(base64.urlsafe_b64decode(parts[0] + "=" * (-len(parts[0]) % 4)))
    except (ValueError, UnicodeDecodeError):
        return False
    return isinstance(header, dict) and "alg" in header


def credentials_from_env(environ: dict[str, str] | None = None, *, fallback: Credentials | None = None) -> Credentials:
    """URL and key from LABEL_STUDIO_URL / LABEL_STUDIO_API_KEY, else the local server's (when one runs)."""
    env = os.environ if environ is None else environ
    url, key = env.get(URL_ENV, "").strip(), env.get(KEY_ENV, "").strip()
    if key:
        if not url and fallback is None:
            raise InputError(f"{KEY_ENV} is set but {URL_ENV} is not", fix=f"export {URL_ENV}=http://HOST:PORT")
        return Credentials(url or fallback.url, key, "environment")
    if fallback is not None and (not url or url.rstrip("/") == fallback.url.rstrip("/")):
        return fallback
    raise InputError(
        f"{KEY_ENV} is not set",
        fix=f"export {URL_ENV} and {KEY_ENV} (a legacy token or a personal access token from Account & Settings), "
        "or start a local server with `newsbench annotate server start`",
    )


class Client:
    """A Label Studio connection: `request(method, path, ...)` returns parsed JSON or raises a LabelStudioError."""

    def __init__(self, creds: Credentials, *, timeout: float = 60.0, retries: int = 5, backoff: float = 0.5,
                 max_backoff: float = 8.0) -> None:
        self.creds = creds
        self.url = creds.url.rstrip("/") + "/"
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        try:
            from label_studio_sdk import LabelStudio
            from label_studio_sdk.core.api_error import ApiError
        except ImportError as exc:
            raise LabelStudioError(
                "label-studio-sdk is not installed",
                fix=f"pip install 'newsbench[labelstudio]' (label-studio-sdk=={SDK_VERSION})",
            ) from exc
        import httpx

        self._api_error = ApiError
        self._sdk: Any = None  # set below; an error while building it is reported through redact(), which reads it
        # Label Studio's server writes a response in several small packets: on a kept-alive connection each
        # request then waits ~40 ms for a delayed ACK, so requests use fresh connections with TCP_NODELAY
        # (measured on 1.23.2: 65-75 ms -> 30-45 ms per small request on loopback).
        transport = httpx.HTTPTransport(socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)],
                                        limits=httpx.Limits(max_keepalive_connections=0))
        http = httpx.Client(transport=transport, timeout=timeout, follow_redirects=True)
        try:
            self._sdk = LabelStudio(base_url=self.url, api_key=creds.key, timeout=timeout, max_retries=0,
                                    httpx_client=http)
        except ApiError as exc:  # the SDK checks a JWT's expiry when it is built
            raise self._auth_error(exc.status_code or 401, exc.body) from None

    def __repr__(self) -> str:
        return f"Client(url={self.url!r}, key=<{self.creds.kind}, hidden>)"

    # ---- errors ------------------------------------------------------------------------------------------

    def redact(self, text: str) -> str:
        """The text with the key (and any access token derived from it) replaced by ***."""
        secrets = [self.creds.key]
        tokens = getattr(getattr(self._sdk, "_client_wrapper", None), "_tokens_client", None)
        if tokens is not None and getattr(tokens, "_access_token", None):
            secrets.append(tokens._access_token)
        for secret in secrets:
            if secret:
                text = text.replace(secret, "***")
        return text

    def _detail(self, body: Any) -> str:
        if isinstance(body, dict):
            parts = [str(body.get("detail") or "")]
            if body.get("validation_errors"):
                parts.append(json.dumps(body["validation_errors"], ensure_ascii=False))
            text = " ".join(p for p in parts if p) or json.dumps(body, ensure_ascii=False)
        else:
            text = str(body)
            if text.lstrip().startswith("<"):
                text = "an HTML page instead of JSON (is the URL a Label Studio API?)"
        return self.redact(text[:600])

    def _auth_error(self, status: int, body: Any) -> AuthError:
        detail = self._detail(body)
        if self.creds.kind == "legacy token":
            fix = ("copy the Access Token from Account & Settings into LABEL_STUDIO_API_KEY"
                   if "disabled" not in detail else
                   "enable legacy tokens (Organization > API Tokens Settings) or use a personal access token")
        else:
            fix = ("create a new personal access token in Account & Settings (it may be expired or revoked) "
                   "and check that personal access tokens are enabled for the organization")
        return AuthError(f"Label Studio refused the {self.creds.kind} from {self.creds.source} "
                         f"(HTTP {status}: {detail})", where=self.url, fix=fix)

    # ---- requests ----------------------------------------------------------------------------------------

    def request(self, method: str, path: str, *, params: dict[str, Any] | None = None, json_body: Any = None,
                timeout: float | None = None, idempotent: bool | None = None) -> Any:
        """One API call with bounded retries; JSON in, JSON out.

        Connection failures are retried for every method (nothing reached the server); timeouts and 5xx only
        for idempotent methods, since a POST may have been applied: callers of non-idempotent requests
        reconcile instead (push re-reads the task list).
        """
        import httpx

        method = method.upper()
        idempotent = method in IDEMPOTENT if idempotent is None else idempotent
        http = self._sdk._client_wrapper.httpx_client
        options = {"max_retries": 0, "timeout_in_seconds": timeout or self.timeout}
        # bodies are encoded here: the SDK's generic encoder costs ~0.6 ms per task of an import batch
        content = None if json_body is None else orjson.dumps(json_body)
        headers = None if content is None else {"Content-Type": "application/json"}
        started, last = time.monotonic(), ""
        for attempt in range(self.retries + 1):
            if attempt:
                delay = min(self.max_backoff, self.backoff * 2 ** (attempt - 1))
                time.sleep(delay * (0.5 + random.random() / 2))
            try:
                response = http.request(path, method=method, params=params, content=content, headers=headers,
                                        request_options=options)
            except self._api_error as exc:  # raised by the SDK while refreshing a personal access token
                if exc.status_code in (401, 403):
                    raise self._auth_error(exc.status_code, exc.body) from None
                last = f"HTTP {exc.status_code}: {self._detail(exc.body)}"
                continue
            except httpx.ConnectError as exc:
                last = f"cannot connect ({self.redact(str(exc))})"
                continue
            except (httpx.TimeoutException, httpx.TransportError) as exc:
                last = f"{type(exc).__name__} ({self.redact(str(exc)) or 'no detail'})"
                if idempotent:
                    continue
                raise ServerUnavailable(
                    f"{method} {path} failed after it was sent: {last}; it may or may not have been applied",
                    where=self.url, fix="run the command again: it reconciles with what the server holds",
                ) from None
            status = response.status_code
            if status < 400:
                if status == 204 or not response.content:
                    return None
                try:
                    return response.json()
                except ValueError:
                    raise LabelStudioError(f"{method} {path} answered HTTP {status} with non-JSON content",
                                           where=self.url, fix=f"check that {URL_ENV} points at Label Studio") from None
            body = _json_or_text(response)
            if status in (401, 403):
                raise self._auth_error(status, body)
            if status == 404:
                raise NotFound(f"{method} {path}: not found ({self._detail(body)})", where=self.url,
                               fix="check the project and task ids")
            if status >= 500 or status in (408, 429):
                last = f"HTTP {status}: {self._detail(body)}"
                if idempotent:
                    continue
                raise ServerUnavailable(f"{method} {path} failed with {last}; it may or may not have been applied",
                                        where=self.url, fix="run the command again: it reconciles with the server")
            raise Rejected(f"{method} {path} was rejected (HTTP {status}: {self._detail(body)})", body=body,
                           where=self.url, fix="correct the request data named in the message")
        raise ServerUnavailable(
            f"{method} {path}: no answer after {self.retries + 1} attempts over {time.monotonic() - started:.0f} s "
            f"(last: {last})",
            where=self.url,
            fix=f"check that the server runs (`newsbench annotate server status`) and that {URL_ENV} is right",
        )

    def get(self, path: str, **params: Any) -> Any:
        return self.request("GET", path, params=params or None)

    # ---- helpers used by push, pull and status -----------------------------------------------------------

    def server_version(self) -> str:
        info = self.get("api/version")
        return str(info.get("release") or info.get("label-studio-os-package", {}).get("version") or "unknown")

    def whoami(self) -> dict[str, Any]:
        return self.get("api/current-user/whoami")

    def iter_task_pages(self, project_id: int, *, include: str | None, fields: str = "all",
                        expand: str | None = None, page_size: int = 500) -> Iterator[list[dict[str, Any]]]:
        """The project's tasks in pages of raw JSON, ordered by task id (stable while tasks are added)."""
        page = 1
        seen = 0
        query = json.dumps({"ordering": ["tasks:id"]})
        while True:
            params = {"project": project_id, "page": page, "page_size": page_size, "fields": fields, "query": query}
            if include:
                params["include"] = include
            if expand:
                params["expand"] = expand
            try:
                body = self.request("GET", "api/tasks/", params=params)
            except NotFound:  # past the last page
                return
            tasks = body.get("tasks", []) if isinstance(body, dict) else body
            if not tasks:
                return
            yield tasks
            seen += len(tasks)
            total = body.get("total") if isinstance(body, dict) else None
            # the server's total decides (it may cap page_size); a short page ends only a list without one
            if (total is not None and seen >= total) or (total is None and len(tasks) < page_size):
                return
            page += 1

    def users(self) -> dict[int, str]:
        """User id -> email, for reports (emails stay out of exported records)."""
        body = self.get("api/users/")
        users = body.get("results", body) if isinstance(body, dict) else body
        return {int(u["id"]): str(u.get("email") or u.get("username") or u["id"]) for u in users}


def _json_or_text(response: Any) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text[:300]


def connect(creds: Credentials, *, timeout: float = 60.0, retries: int = 5) -> Client:
    """A client whose key was checked against the server (a wrong key fails here, saying which kind it is)."""
    client = Client(creds, timeout=timeout, retries=retries)
    client.whoami()
    return client
