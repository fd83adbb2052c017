"""The ``tagger`` command line. Each command is a thin layer over a library function."""

from __future__ import annotations

import sys
from typing import Annotated, Optional

import typer

from ._common import console_warnings, one_line, state

app = typer.Typer(
    name="tagger",
    help="Section and keyword tagging for Arabic news articles.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        from .. import __version__

        typer.echo(f"tagger {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    debug: Annotated[bool, typer.Option("--debug", help="Show full tracebacks on errors.")] = False,
    version: Annotated[Optional[bool], typer.Option("--version", callback=_version, is_eager=True,
                                                    help="Print the version and exit.")] = None,
) -> None:
    state["debug"] = debug
    if debug:
        import logging

        logging.basicConfig(level=logging.DEBUG, format="%(levelname)s %(name)s: %(message)s")


from . import predict as _predict  # noqa: E402  (registers the commands)
from . import clean_tags as _clean_tags  # noqa: E402,F401
from . import train as _train  # noqa: E402,F401
from . import evaluate as _evaluate  # noqa: E402,F401
from . import explain as _explain  # noqa: E402,F401
from . import info as _info  # noqa: E402,F401


def main(argv: list[str] | None = None) -> None:
    """Console entry point: usage errors become one line on stderr and exit code 2."""
    args = sys.argv[1:] if argv is None else list(argv)
    try:
        with console_warnings():
            code = app(args=args or ["--help"], prog_name="tagger", standalone_mode=False)
    except (typer.Abort, KeyboardInterrupt):
        typer.echo("tagger: error: interrupted", err=True)
        sys.exit(130)
    except Exception as exc:
        # Typer may vendor its own copy of click, so usage errors are recognised by shape.
        ctx = getattr(exc, "ctx", None)
        if type(exc).__name__ == "NoArgsIsHelpError" and ctx is not None:
            typer.echo(ctx.get_help())
            sys.exit(2)
        if not hasattr(exc, "format_message") or not hasattr(exc, "exit_code"):
            if state["debug"]:
                raise
            # Outside any command (a commands' own errors are reported by reports_errors).
            typer.echo(f"tagger: error: unexpected {type(exc).__name__}: {one_line(exc)} "
                       "(run with --debug for details)", err=True)
            sys.exit(1)
        where = f"{ctx.command_path} --help" if ctx is not None else "tagger --help"
        typer.echo(f"tagger: error: {one_line(exc.format_message())} (see '{where}')", err=True)
        sys.exit(exc.exit_code)
    sys.exit(code if isinstance(code, int) else 0)
