"""The Django project of the django app, made as scripts/test makes the tests' one:
`django-admin startproject testsite`, then bench/apps/django's URLs (one JSON view at `/`) and
settings (DEBUG off, loopback hosts) over the generated ones. Remade on every run, under
bench/results/, so it always matches the venv's Django.
"""

import shutil
from pathlib import Path

from .install import run_checked

PROJECT = "testsite"


def make(venv: Path, apps_dir: Path, folder: Path) -> Path:
    """Creates the project in `folder` (its `testsite/` is the package) and returns `folder`."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    admin = str(venv / "bin" / "django-admin")
    run_checked([admin, "startproject", PROJECT, str(folder)], "creating the Django project")
    package = folder / PROJECT
    shutil.copyfile(apps_dir / "django" / "urls.py", package / "urls.py")
    extra = (apps_dir / "django" / "settings_bench.py").read_text()
    with open(package / "settings.py", "a") as settings:
        settings.write("\n" + extra)
    return folder
