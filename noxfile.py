"""The supported versions, tested: one session per Python × Django pair the package claims.

    scripts/nox                                   # the whole matrix, one pair after another
    scripts/nox -s py3.13-django6.1               # one pair (`scripts/nox -l` lists them)
    scripts/nox -s py3.13-django6.1 -- -k wheel   # arguments after -- go to pytest

Each session is a virtualenv of its own under .nox/ with the pins scripts/setup.sh installs,
Django's swapped for the pair's, and runs the whole pytest suite (browser and wheel tests included).
"""

import os
import re
import shutil
import subprocess
from pathlib import Path

import nox

ROOT = Path(__file__).resolve().parent
PYENV = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))

# The release each Django line is tested with; 5.2 is requirements.txt's own pin.
DJANGO = {"5.2": None, "6.0": "6.0.10", "6.1": "6.1.3"}
# Django 6.0 dropped Python 3.10 and 3.11.
MATRIX = [
    ("3.11", "5.2"),
    ("3.12", "5.2"),
    ("3.12", "6.0"),
    ("3.12", "6.1"),
    ("3.13", "5.2"),
    ("3.13", "6.0"),
    ("3.13", "6.1"),
]

nox.options.error_on_missing_interpreters = True  # a pair without its Python fails, never skips
nox.options.download_python = "never"  # interpreters come from this machine, not a download
nox.options.reuse_venv = "yes"


def find_python(version):
    """The newest ``pythonX.Y`` pyenv has, else one on PATH that runs; ``None`` if neither.

    pyenv's shims stand on PATH for every installed version but run only the selected one, so
    a ``python3.12`` found there is asked for its version before it is used.
    """
    installed = sorted(
        PYENV.glob(f"versions/{version}.*/bin/python{version}"),
        key=lambda path: [int(part) for part in re.findall(r"\d+", path.parts[-3])],
    )
    for candidate in [*reversed(installed), shutil.which(f"python{version}")]:
        if candidate and _runs_as(candidate, version):
            return str(candidate)
    return None


def _runs_as(python, version):
    check = f"import sys; sys.exit(f'{{sys.version_info[0]}}.{{sys.version_info[1]}}' != {version!r})"
    return subprocess.run([python, "-c", check], capture_output=True).returncode == 0


def requirements(session, django):
    """requirements.txt with its Django pin swapped for ``django``'s release."""
    pins = (ROOT / "requirements.txt").read_text().splitlines()
    if DJANGO[django]:
        pins = [f"Django=={DJANGO[django]}" if re.match(r"(?i)django==", pin) else pin for pin in pins]
    # Beside the virtualenv, not in session.create_tmp(): that would point TMPDIR into the repo,
    # and the wheel test checks that its fresh project has no path back into the repo.
    path = Path(session.virtualenv.location) / f"requirements-django{django}.txt"
    path.write_text("\n".join(pins) + "\n")
    return str(path)


def tests(python, django):
    def session(session):
        # What scripts/setup.sh puts in .venv: the suite's servers run under gunicorn, a benchmark pin.
        session.install("-r", requirements(session, django), "-r", "benchmarks/requirements.txt")
        session.run("python", "-m", "pytest", *session.posargs)

    def missing(session):
        session.error(
            f"Python {python} not found: neither pyenv ({PYENV}/versions/{python}.*) nor PATH has a "
            f"working python{python}; install it (`pyenv install {python}`) or put it on PATH"
        )

    interpreter = find_python(python)
    session.__doc__ = missing.__doc__ = f"The suite on Python {python} and Django {django}."
    name = f"py{python}-django{django}"
    if interpreter is None:
        nox.session(name=name, python=False)(missing)
    else:
        nox.session(name=name, python=interpreter)(session)


for _python, _django in MATRIX:
    tests(_python, _django)
