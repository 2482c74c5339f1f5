"""Every check a developer runs before committing, in one command, from the project root::

    .venv/bin/python -m tools.check              # lint, format, import contracts, types, then the tests
    .venv/bin/python -m tools.check --fast       # the same, tests without those marked slow
    .venv/bin/python -m tools.check --no-tests   # only the static checks (seconds to a minute)
    .venv/bin/python -m tools.check -- tests/web/cases -x   # extra arguments go to pytest

Steps, each printed with its command and time; the first failure stops the run with its exit code:

1. ``ruff check`` and ``ruff format --check`` over src, tests, bench, tools
2. ``lint-imports`` — the layer contracts (core never imports Django, …)
3. ``mypy src bench/bench_web.py`` — all of src; modules with older errors are listed in
   pyproject.toml and that list only shrinks
4. ``pytest`` — the README's test command (``tests/test_quality.py`` repeats 1 and 3 and is skipped
   here). ``--parallel N`` runs it on N processes with pytest-xdist (see docs/decisions/0078).

``.ci/run`` runs this command.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PATHS = ["src", "tests", "bench", "tools"]


def _tool(name: str) -> str:
    exe = BIN / name
    if exe.exists():
        return str(exe)
    found = shutil.which(name)
    if found is None:
        raise SystemExit(f"{name} is not installed: run  .venv/bin/pip install -e '.[dev]'")
    return found


def steps(args: argparse.Namespace) -> list[tuple[str, list[str]]]:
    out = [
        ("lint", [_tool("ruff"), "check", *PATHS]),
        ("format", [_tool("ruff"), "format", "--check", *PATHS]),
        ("import contracts", [_tool("lint-imports")]),
        ("types", [_tool("mypy"), "src", "bench/bench_web.py"]),
    ]
    if not args.no_tests:
        pytest = [_tool("pytest"), "-p", "no:cacheprovider", "--deselect", "tests/test_quality.py"]
        if args.fast:
            pytest += ["-m", "not slow"]
        if args.parallel:
            pytest += ["-n", str(args.parallel)]
        out.append(("tests", pytest + list(args.pytest_args)))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.check", description=__doc__.split("\n\n")[0])
    parser.add_argument("--fast", action="store_true", help="skip tests marked slow")
    parser.add_argument("--no-tests", action="store_true", help="static checks only")
    parser.add_argument("--parallel", type=int, default=0, metavar="N", help="run the tests on N processes")
    parser.add_argument("pytest_args", nargs="*", help="after --: passed to pytest")
    args = parser.parse_args(argv)
    started = time.monotonic()
    for name, command in steps(args):
        print(f"== {name}: {' '.join(Path(c).name if i == 0 else c for i, c in enumerate(command))}", flush=True)
        t = time.monotonic()
        code = subprocess.run(command, cwd=ROOT).returncode
        verdict = "ok" if code == 0 else f"FAILED (exit {code})"
        print(f"== {name}: {verdict} in {time.monotonic() - t:.0f} s", flush=True)
        if code != 0:
            return code
    print(f"== all checks passed in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
