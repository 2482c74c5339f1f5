"""The ``qingting`` command: a thin interface over the core engine and the platform."""

from __future__ import annotations

import click

from qingting import __version__


@click.group()
@click.version_option(__version__, prog_name="qingting")
def main() -> None:
    """Qingting (倾听): listen to what the public says online and respond well."""


if __name__ == "__main__":  # pragma: no cover
    main()
