"""A local Label Studio server for annotators, tests and CI: install, start, wait, stop.

The server lives in its own virtual environment (`annotate.server_venv`, default `.venv-labelstudio/`) so that
newsbench never depends on it. State lives under `annotate.server_home` (default `.labelstudio/`):

- `template-<version>/`: a data dir made once with `label-studio init` (migrations take ~35 s) holding an admin
  user, a random legacy token and password (`newsbench-credentials.json`, mode 0600); every start copies it
  (~3 s starts), so tests and CI never wait for migrations twice;
- `data/`: the data dir of the server started by `newsbench annotate server start`;
- `server.json`: pid, port and URL of that server; `server.log`: its output.

The server binds 127.0.0.1 only and has telemetry and update checks off.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from builder.config import Config
from builder.errors import ConfigError, InputError, NewsbenchError
from builder.annotate.labelstudio.client import Credentials

CREDENTIALS = "newsbench-credentials.json"
_QUIET_ENV = {
    "SENTRY_DSN": "",
    "FRONTEND_SENTRY_DSN": "",
    "LATEST_VERSION_CHECK": "false",
    "COLLECT_ANALYTICS": "false",
}


class ServerError(NewsbenchError):
    """The local server could not be installed, started or stopped."""


@dataclass(frozen=True)
class ServerSettings:
    version: str
    venv: Path
    home: Path
    port: int
    username: str
    start_timeout: float

    @property
    def executable(self) -> Path:
        return self.venv / "bin" / "label-studio"

    @property
    def template(self) -> Path:
        return self.home / f"template-{self.version}"

    @property
    def state_file(self) -> Path:
        return self.home / "server.json"

    @property
    def log(self) -> Path:
        return self.home / "server.log"


def server_settings(config: Config) -> ServerSettings:
    s = config.annotate
    return ServerSettings(version=s.server_version, venv=config.resolve(s.server_venv),
                          home=config.resolve(s.server_home), port=s.server_port, username=s.server_username,
                          start_timeout=s.server_start_timeout)


def _env(data_dir: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LABEL_STUDIO_")}
    env.update(_QUIET_ENV)
    env["LABEL_STUDIO_BASE_DATA_DIR"] = str(data_dir)  # else even --help writes ~/.local/share/label-studio
    env.update(extra or {})
    return env


def _run(cmd: list[str], log: Path, what: str, **kw: Any) -> None:
    with open(log, "ab") as fh:
        proc = subprocess.run(cmd, stdout=fh, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, **kw)
    if proc.returncode != 0:
        tail = log.read_text(errors="replace").splitlines()[-15:]
        raise ServerError(f"{what} failed (exit {proc.returncode}); last lines of {log}:\n" + "\n".join(tail),
                          fix="read the log; check network access to the package index and free disk space")


def installed_version(settings: ServerSettings) -> str | None:
    marker = settings.venv / ".newsbench-label-studio"
    if settings.executable.is_file() and marker.is_file():
        return marker.read_text().strip()
    return None


def install(settings: ServerSettings, *, say: Callable[[str], None] = print) -> Path:
    """Create the server's venv and install label-studio==version into it (once; ~40 s, ~1 GB)."""
    if installed_version(settings) == settings.version:
        return settings.executable
    settings.home.mkdir(parents=True, exist_ok=True)
    log = settings.home / "install.log"
    say(f"installing label-studio=={settings.version} into {settings.venv} (about a minute; log: {log})")
    if not (settings.venv / "bin" / "python").is_file():
        _run([sys.executable, "-m", "venv", str(settings.venv)], log, "creating the server venv")
    pip = [str(settings.venv / "bin" / "python"), "-m", "pip", "--disable-pip-version-check", "-q"]
    _run([*pip, "install", "-U", "pip"], log, "upgrading pip in the server venv")  # old pips resolve 2x slower
    _run([*pip, "install", f"label-studio=={settings.version}"], log, f"pip install label-studio=={settings.version}")
    (settings.venv / ".newsbench-label-studio").write_text(settings.version + "\n")
    return settings.executable


def read_credentials(data_dir: Path) -> dict[str, str]:
    path = data_dir / CREDENTIALS
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ServerError(f"no readable credentials in {path}", fix="start from a fresh copy of the template "
                          "(delete the data dir) or set LABEL_STUDIO_API_KEY") from exc


def ensure_template(settings: ServerSettings, *, say: Callable[[str], None] = print) -> Path:
    """The initialised data dir every start copies; made once with `label-studio init` (~35 s)."""
    if (settings.template / CREDENTIALS).is_file():
        return settings.template
    exe = install(settings, say=say)
    tmp = settings.home / f".template-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    creds = {"username": settings.username, "password": secrets.token_urlsafe(18), "token": secrets.token_hex(20)}
    say(f"initialising a Label Studio data dir once (migrations, ~40 s) in {settings.template}")
    env = _env(tmp, {
        "LABEL_STUDIO_USERNAME": creds["username"],
        "LABEL_STUDIO_PASSWORD": creds["password"],
        "LABEL_STUDIO_USER_TOKEN": creds["token"],
        "LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN": "true",  # only takes effect when the organisation is created
    })
    _run([str(exe), "init", "--quiet", "--no-browser"], settings.home / "init.log", "label-studio init", env=env,
         cwd=tmp)
    fd = os.open(tmp / CREDENTIALS, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(creds, fh)
    shutil.rmtree(settings.template, ignore_errors=True)
    os.replace(tmp, settings.template)
    return settings.template


def port_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server binds: TIME_WAIT is no conflict
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def health(url: str, timeout: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(url.rstrip("/") + "/health", timeout=timeout) as resp:
            return json.loads(resp.read()).get("status") == "UP"
    except (OSError, ValueError, urllib.error.URLError):
        return False


@dataclass(frozen=True)
class RunningServer:
    pid: int
    port: int
    url: str
    data_dir: Path
    log: Path
    version: str

    def credentials(self) -> Credentials:
        return Credentials(self.url, read_credentials(self.data_dir)["token"], f"{self.data_dir / CREDENTIALS}")


def launch(settings: ServerSettings, data_dir: Path, port: int, log: Path) -> RunningServer:
    """Start a server on 127.0.0.1:port from `data_dir` (a copy of the template when missing); wait for /health."""
    exe = install(settings)
    if not (data_dir / CREDENTIALS).is_file():
        if data_dir.exists() and any(data_dir.iterdir()):
            raise ServerError(f"{data_dir} is not a data dir made by newsbench (no {CREDENTIALS})",
                              fix="point annotate.server_home elsewhere or remove that folder")
        template = ensure_template(settings)
        shutil.rmtree(data_dir, ignore_errors=True)
        shutil.copytree(template, data_dir)
    if not port_free(port):  # Label Studio would silently move to port+1
        raise ServerError(f"port {port} on 127.0.0.1 is in use", fix="pass --port N or set annotate.server_port")
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as fh:
        proc = subprocess.Popen(
            [str(exe), "start", "--no-browser", "--internal-host", "127.0.0.1", "--port", str(port)],
            stdout=fh, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=_env(data_dir), cwd=data_dir,
            start_new_session=True,  # its own process group: a Ctrl-C in the shell does not reach it
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + settings.start_timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            tail = "\n".join(log.read_text(errors="replace").splitlines()[-15:])
            raise ServerError(f"label-studio exited with code {proc.returncode} while starting; log {log}:\n{tail}",
                              fix="read the log; a broken data dir can be removed to start from the template")
        if health(url):
            return RunningServer(proc.pid, port, url, data_dir, log, settings.version)
        time.sleep(0.25)
    terminate(proc.pid)
    raise ServerError(f"label-studio did not answer /health within {settings.start_timeout:.0f} s (log {log})",
                      fix="raise annotate.server_start_timeout or read the log")


def start_disposable(settings: ServerSettings, data_dir: Path) -> RunningServer:
    """A throw-away server for tests and benchmarks: a fresh copy of the template on a free port."""
    template = ensure_template(settings)
    if data_dir.exists():
        raise ServerError(f"{data_dir} exists", fix="pass a new folder")
    shutil.copytree(template, data_dir)
    return launch(settings, data_dir, free_port(), data_dir.with_name(data_dir.name + ".log"))


def _is_label_studio(pid: int) -> bool:
    try:
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
    except OSError:
        return False
    return b"label-studio" in cmd or b"label_studio" in cmd


def terminate(pid: int, timeout: float = 20.0) -> bool:
    """SIGTERM the server's process group (SIGINT is ignored by a background server), SIGKILL after timeout."""
    try:
        pgid = os.getpgid(pid)
    except ProcessLookupError:
        return False
    try:
        os.killpg(pgid, signal.SIGTERM)
    except ProcessLookupError:
        return False
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if os.waitpid(pid, os.WNOHANG)[0] == pid:
                return True
        except ChildProcessError:  # not our child: poll for its disappearance
            if not Path(f"/proc/{pid}").exists():
                return True
        time.sleep(0.1)
    try:
        os.killpg(pgid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    return True


# ---- the managed server behind `newsbench annotate server start|stop|status` -------------------------------


def _read_state(settings: ServerSettings) -> dict[str, Any] | None:
    try:
        return json.loads(settings.state_file.read_text())
    except (OSError, ValueError):
        return None


def status(settings: ServerSettings) -> dict[str, Any]:
    state = _read_state(settings)
    out: dict[str, Any] = {"installed": installed_version(settings), "running": False}
    if state:
        alive = _is_label_studio(int(state["pid"]))
        out.update(state, running=alive, healthy=alive and health(state["url"]))
    return out


def start(settings: ServerSettings, *, port: int | None = None, data_dir: Path | None = None) -> RunningServer:
    state = _read_state(settings)
    if state and _is_label_studio(int(state["pid"])):
        raise ServerError(f"a server already runs (pid {state['pid']}, {state['url']})",
                          fix="use it, or stop it with `newsbench annotate server stop`")
    data_dir = data_dir or settings.home / "data"
    server = launch(settings, data_dir, port or settings.port, settings.log)
    settings.state_file.write_text(json.dumps({
        "pid": server.pid, "port": server.port, "url": server.url, "data_dir": str(server.data_dir),
        "log": str(server.log), "version": server.version, "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                                                                       time.gmtime()),
    }, indent=2) + "\n")
    return server


def stop(settings: ServerSettings) -> bool:
    """Stop the managed server by its pid; False when none was running."""
    state = _read_state(settings)
    if not state:
        return False
    pid = int(state["pid"])
    stopped = _is_label_studio(pid) and terminate(pid)
    settings.state_file.unlink(missing_ok=True)
    return stopped


def local_credentials(settings: ServerSettings) -> Credentials | None:
    """The managed server's URL and token when it runs (used when LABEL_STUDIO_API_KEY is not set)."""
    state = _read_state(settings)
    if not state or not _is_label_studio(int(state["pid"])):
        return None
    try:
        token = read_credentials(Path(state["data_dir"]))["token"]
    except ServerError:
        return None
    return Credentials(state["url"], token, f"the local server's {CREDENTIALS}")


def check_settings(settings: ServerSettings) -> None:
    if not 0 < settings.port < 65536:
        raise ConfigError(f"annotate.server_port is {settings.port}", fix="use a port between 1 and 65535")
    if settings.venv.resolve() == Path(sys.prefix).resolve():
        raise ConfigError("annotate.server_venv is newsbench's own environment",
                          fix="give Label Studio its own venv, e.g. .venv-labelstudio")
    if not settings.username or "@" not in settings.username:
        raise InputError(f"annotate.server_username '{settings.username}' is not an email",
                         fix="Label Studio signs users in by email; set e.g. admin@newsbench.local")
