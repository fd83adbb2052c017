"""What every command shares: error reporting, progress display and common options."""

from __future__ import annotations

import functools
import logging
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Callable, Iterator, Optional

import typer

from ..errors import InputError, TaggerError

log = logging.getLogger("tagger")

# Set by the top-level callback; a command reads it when it fails.
state = {"debug": False}


def fail(message: str, code: int) -> None:
    """Print one line on stderr and leave with ``code``."""
    typer.echo(f"tagger: error: {message}", err=True)
    raise typer.Exit(code)


def reports_errors(command: Callable) -> Callable:
    """Turn a user's mistake into one line on stderr and an exit code, never a traceback.

    Exit code 2: usage or input errors (``InputError``); 1: anything else. ``--debug``
    shows the full traceback instead.
    """

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except typer.Exit:
            raise
        except InputError as exc:
            if state["debug"]:
                raise
            fail(str(exc), 2)
        except TaggerError as exc:
            if state["debug"]:
                raise
            fail(str(exc), 1)
        except KeyboardInterrupt:
            fail("interrupted", 130)
        except MemoryError:
            fail("out of memory: use smaller batches (--batch-size) or a smaller input", 1)
        except Exception as exc:  # a bug or an environment problem: one line unless --debug
            if state["debug"]:
                raise
            fail(f"unexpected {type(exc).__name__}: {exc} (run with --debug for details)", 1)

    return wrapper


@contextmanager
def progress_bar(enabled: bool = True) -> Iterator[Callable[[str, int, int], None]]:
    """A ``progress(stage, done, total)`` callback drawing rich bars on an interactive stderr."""
    if not enabled or not sys.stderr.isatty():
        yield lambda stage, done, total: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    tasks: dict[str, int] = {}
    with Progress(TextColumn("{task.description:<14}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=Console(stderr=True), transient=False) as bar:
        def update(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done, total=total)

        yield update


def model_path(model: Optional[Path]) -> Optional[Path]:
    if model is not None and not model.exists():
        raise InputError(f"model directory not found: {model} "
                         "(train one with 'tagger train' or omit --model for the bundled model)")
    return model


ModelOption = Annotated[
    Optional[Path],
    typer.Option("--model", "-m", help="Model directory (default: the bundled model).",
                 file_okay=False, show_default=False),
]
TextColOption = Annotated[str, typer.Option("--text-col", help="Column holding the article text.")]


def read_text_file(file: Path) -> str:
    """A UTF-8 text file's content ('-' reads stdin), with clear errors for anything else."""
    if str(file) == "-":
        data = sys.stdin.buffer.read()
        name = "standard input"
    else:
        if not file.is_file():
            raise InputError(f"file not found: {file}")
        try:
            data = file.read_bytes()
        except OSError as exc:
            raise InputError(f"cannot read {file}: {exc.strerror}") from exc
        name = str(file)
    if b"\x00" in data[:4096]:
        raise InputError(f"{name} looks like a binary file, not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{name} is not UTF-8 text (byte {exc.start}); save it as UTF-8") from exc
