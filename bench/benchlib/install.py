"""Installs what the benchmark needs (wrk, nginx, the peer servers' venv) and builds uwsgid.

Everything is reused when present, so a second run starts at once.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

#: PyPI packages the venv holds: the peer servers and the Flask and Django apps' frameworks.
VENV_PACKAGES = ["uwsgi", "gunicorn", "granian", "flask", "django"]
#: Executables the venv must provide for a run to reuse it.
VENV_BINARIES = ["uwsgi", "gunicorn", "granian", "django-admin"]
#: Modules the venv must import for a run to reuse it.
VENV_MODULES = ["flask", "django"]


class SetupError(RuntimeError):
    """A dependency could not be installed or built."""


def log(msg: str) -> None:
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


def run_checked(
    cmd: list[str], what: str, cwd: Path | None = None, env: dict[str, str] | None = None
) -> None:
    """Runs a setup command with its output on stderr; raises SetupError on failure."""
    log(f"{what}: {' '.join(cmd)}")
    proc = subprocess.run(cmd, cwd=cwd, env=env, stdout=sys.stderr, stderr=sys.stderr, check=False)
    if proc.returncode != 0:
        raise SetupError(f"{what} failed (exit {proc.returncode}): {' '.join(cmd)}")


class Apt:
    """apt-get, with one `apt-get update` per run at most (the first install needs it)."""

    def __init__(self) -> None:
        self.updated = False

    def ensure(self, binary: str, package: str) -> str:
        """Returns the path of `binary`, installing `package` when it is missing."""
        found = shutil.which(binary) or _sbin(binary)
        if found:
            return found
        if shutil.which("apt-get") is None:
            raise SetupError(f"{binary} is missing and apt-get is not available; install {package}")
        env_cmd = ["env", "DEBIAN_FRONTEND=noninteractive"]
        if not self.updated:
            run_checked(env_cmd + ["apt-get", "update"], "apt-get update")
            self.updated = True
        run_checked(
            env_cmd + ["apt-get", "install", "-y", "--no-install-recommends", package],
            f"installing {package}",
        )
        found = shutil.which(binary) or _sbin(binary)
        if not found:
            raise SetupError(f"{package} installed but {binary} is still not found")
        return found


def _sbin(binary: str) -> str | None:
    """nginx lives in /usr/sbin, which is not on every PATH."""
    for folder in ("/usr/sbin", "/sbin", "/usr/local/sbin"):
        candidate = Path(folder) / binary
        if os.access(candidate, os.X_OK):
            return str(candidate)
    return None


def embedded_python() -> Path:
    """The interpreter uwsgid embeds, found as pyo3 and scripts/lib.sh find it: PYO3_PYTHON, else
    the active virtualenv's python, else python3 on PATH, as its own sys.executable (pyenv's shim
    resolves to the real binary). The venv must match it (same major.minor and build)."""
    if os.environ.get("PYO3_PYTHON"):
        python = os.environ["PYO3_PYTHON"]
    elif os.environ.get("VIRTUAL_ENV"):
        python = str(Path(os.environ["VIRTUAL_ENV"]) / "bin" / "python")
    else:
        python = shutil.which("python3") or ""
    probe = subprocess.run(
        [python or "python3", "-c", "import sys; print(sys.executable)"],
        capture_output=True,
        text=True,
        check=False,
    )
    if probe.returncode != 0 or not probe.stdout.strip():
        raise SetupError(f"cannot run {python or 'python3'} (the interpreter uwsgid embeds)")
    return Path(probe.stdout.strip())


def ensure_venv(venv: Path) -> Path:
    """Creates `venv` with the embedded interpreter and installs VENV_PACKAGES; returns venv/bin."""
    bin_dir = venv / "bin"
    if _venv_complete(venv):
        return bin_dir
    if not (bin_dir / "python").exists():
        run_checked([str(embedded_python()), "-m", "venv", str(venv)], "creating the venv")
    pip = [str(bin_dir / "python"), "-m", "pip", "--disable-pip-version-check"]
    # uwsgi has no wheel: pip compiles it with gcc against this interpreter (about a minute).
    # pip keeps what is there already, so an older venv only gets what it lacks (Django).
    run_checked(pip + ["install", *VENV_PACKAGES], "installing the peer servers into the venv")
    if not _venv_complete(venv):
        raise SetupError(
            f"{venv} still lacks one of {VENV_BINARIES} or {VENV_MODULES} after pip install"
        )
    return bin_dir


def _venv_complete(venv: Path) -> bool:
    bin_dir = venv / "bin"
    if not all((bin_dir / name).exists() for name in VENV_BINARIES):
        return False
    probe = subprocess.run(
        [str(bin_dir / "python"), "-c", f"import {', '.join(VENV_MODULES)}"],
        check=False,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return probe.returncode == 0


def build_uwsgid(repo: Path) -> None:
    """`cargo build --release -p uwsgid` embedding embedded_python() (the venv's CPython); a failure
    is reported, not fatal (uwsgid rows say why)."""
    env = {**os.environ, "PYO3_PYTHON": str(embedded_python())}
    run_checked(
        ["cargo", "build", "--release", "-p", "uwsgid"], "building uwsgid", cwd=repo, env=env
    )
