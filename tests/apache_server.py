"""A real, throwaway Apache 2.4 (Debian's apache2) in the foreground on a free loopback port,
with a private ServerRoot, PidFile and logs, serving the configuration of
`build.py apache-config`. No mocks. Modelled on mariadb_server.py."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

MODULES = "/usr/lib/apache2/modules"
DEBIAN_MIME_CONF = "/etc/apache2/mods-available/mime.conf"
# Loaded by the top-level file; the generated configuration loads the rest itself.
BASE_MODULES = ("mpm_event", "unixd", "authz_core", "log_config", "deflate", "filter")


def binary() -> str | None:
    return shutil.which("apache2") or shutil.which("httpd") or \
        next((p for p in ("/usr/sbin/apache2", "/usr/sbin/httpd") if os.path.exists(p)), None)


def available() -> bool:
    return binary() is not None and os.path.isdir(MODULES)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Apache:
    def __init__(self, base: Path, site_config: str, port: int | None = None):
        """`site_config`: the text of `build.py apache-config`. Without --listen or --port
        the top-level file adds Listen on a free loopback port; with them, pass their `port`
        (the configuration's own Listen is the only one)."""
        self.base = Path(base)
        self.own_listen = port is not None
        self.port = port or free_port()
        self.site_config = site_config
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    @property
    def error_log(self) -> Path:
        return self.base / "error.log"

    def write_config(self) -> Path:
        self.base.mkdir(parents=True, exist_ok=True)
        (self.base / "site.conf").write_text(self.site_config)
        lines = [f'ServerRoot "{self.base}"', f'PidFile "{self.base}/apache2.pid"',
                 f'DefaultRuntimeDir "{self.base}"', f'ErrorLog "{self.error_log}"', "LogLevel warn",
                 "ServerName 127.0.0.1"] + ([] if self.own_listen else [f"Listen 127.0.0.1:{self.port}"])
        lines += [f"LoadModule {m}_module {MODULES}/mod_{m}.so" for m in BASE_MODULES
                  if os.path.exists(f"{MODULES}/mod_{m}.so")]
        lines += [f'CustomLog "{self.base}/access.log" "%h %r %>s %b"',
                  "StartServers 1", "ServerLimit 4", "ThreadsPerChild 16", "MaxRequestWorkers 64",
                  "MinSpareThreads 8", "MaxSpareThreads 32",
                  # mod_deflate on, as on a default Debian server: the siblings must bypass it.
                  "AddOutputFilterByType DEFLATE text/html text/css text/javascript application/json text/csv"]
        if os.geteuid() == 0:  # root must hand the workers to an unprivileged user
            lines += ["User nobody", "Group nogroup"]
        lines.append(f'Include "{self.base}/site.conf"')
        # What a Debian server has around the site (its mime.conf maps .br to Breton, .gz to a type).
        lines.append("TypesConfig /etc/mime.types")
        if os.path.exists(DEBIAN_MIME_CONF):
            lines.append(f'Include "{DEBIAN_MIME_CONF}"')
        conf = self.base / "apache2.conf"
        conf.write_text("\n".join(lines) + "\n")
        return conf

    def check_config(self) -> None:
        proc = subprocess.run([binary(), "-t", "-f", str(self.write_config())], capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(f"apache2 -t failed:\n{proc.stderr}")

    def start(self) -> Apache:
        conf = self.write_config()
        self.proc = subprocess.Popen([binary(), "-f", str(conf), "-DFOREGROUND"],
                                     stdout=subprocess.DEVNULL, stderr=open(self.base / "stderr.log", "w"))
        deadline = time.time() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    break
            except OSError:
                if time.time() > deadline or self.proc.poll() is not None:
                    logs = "".join(p.read_text() for p in (self.base / "stderr.log", self.error_log) if p.exists())
                    self.stop()
                    raise RuntimeError(f"Apache did not start:\n{logs[-3000:]}") from None
                time.sleep(0.1)
        return self

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=30)
        self.proc = None


def publish_for_apache(output: Path, run) -> Path:
    """A world-readable base directory (Apache's workers run as `nobody` when we are root)
    with `output` published as the current release of `base/pub`. `run(*args)` runs
    `build.py` (conftest.run_build, or the benchmark's own)."""
    import tempfile

    base = Path(tempfile.mkdtemp(prefix="accounting-apache-"))
    os.chmod(base, 0o755)
    run("publish", "--output", str(output), "--to", str(base / "pub"))
    return base


def serve_published(base: Path, run) -> Apache:
    """Apache started on the configuration `build.py apache-config` writes for `base/pub/current`."""
    conf = base / "site.conf"
    run("apache-config", "--root", str(base / "pub" / "current"), "--out", str(conf))
    return Apache(base / "apache", conf.read_text()).start()
