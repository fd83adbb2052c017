"""What every command shares: error reporting, progress display and common options."""

from __future__ import annotations

import errno
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


def one_line(message: str) -> str:
    """``message`` on a single line: a library's multi-line message is joined with spaces."""
    return " ".join(str(message).split()) or "unknown error"


def fail(message: str, code: int) -> None:
    """Print one line on stderr and leave with ``code``."""
    typer.echo(f"tagger: error: {one_line(message)}", err=True)
    raise typer.Exit(code)


class _StderrHandler(logging.Handler):
    """Log records as one ``tagger: warning: ...`` line on the current ``sys.stderr``.

    Silent with ``--debug``, where the root logger shows every record in full.
    """

    def emit(self, record: logging.LogRecord) -> None:
        if state["debug"]:
            return
        try:
            level = "warning" if record.levelno < logging.ERROR else "error"
            sys.stderr.write(f"tagger: {level}: {one_line(record.getMessage())}\n")
            sys.stderr.flush()
        except Exception:  # a closed stderr must not turn a warning into a failure
            pass


@contextmanager
def console_warnings() -> Iterator[None]:
    """While the command runs, show the library's log warnings and Python warnings on stderr
    as one line each (in full with ``--debug``)."""
    import warnings

    handler = _StderrHandler(logging.WARNING)
    show = warnings.showwarning

    def one_line_warning(message, category, filename, lineno, file=None, line=None):
        if state["debug"]:
            return show(message, category, filename, lineno, file, line)
        typer.echo(f"tagger: warning: {category.__name__}: {one_line(message)}", err=True)

    log.addHandler(handler)
    warnings.showwarning = one_line_warning
    try:
        yield
    finally:
        log.removeHandler(handler)
        warnings.showwarning = show


# Errors fixed by giving another path are usage errors (exit code 2); a full disk is not.
_PATH_ERRORS = {errno.EACCES, errno.EPERM, errno.ENOENT, errno.EISDIR, errno.ENOTDIR, errno.EROFS,
                errno.EEXIST, errno.ENAMETOOLONG}


def reports_errors(command: Callable) -> Callable:
    """Turn a user's mistake into one line on stderr and an exit code, never a traceback.

    Exit code 2: usage or input errors (``InputError``, a path that cannot be read or
    written); 130: interrupted; 1: anything else. ``--debug`` prints the full traceback
    first; the last line and the exit code stay the same.
    """

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except typer.Exit:
            raise
        except InputError as exc:
            _traceback_if_debug()
            fail(str(exc), 2)
        except TaggerError as exc:
            _traceback_if_debug()
            fail(str(exc), 1)
        except KeyboardInterrupt as exc:
            _traceback_if_debug()
            fail(str(exc) or "interrupted", 130)
        except MemoryError:
            _traceback_if_debug()
            fail("out of memory: use smaller batches (--batch-size) or a smaller input", 1)
        except BrokenPipeError:  # `tagger predict ... | head`: the reader left, nothing to say
            _silence_stdout()
            raise typer.Exit(1)
        except OSError as exc:  # permission denied, disk full ...
            _traceback_if_debug()
            where = f": {exc.filename}" if exc.filename else ""
            fail(f"{exc.strerror or exc}{where}", 2 if exc.errno in _PATH_ERRORS else 1)
        except Exception as exc:  # a bug or an environment problem: one line unless --debug
            _traceback_if_debug()
            fail(f"unexpected {type(exc).__name__}: {exc} (run with --debug for details)", 1)

    return wrapper


def _traceback_if_debug() -> None:
    if state["debug"]:
        import traceback

        traceback.print_exc(file=sys.stderr)
        sys.stderr.flush()


def _silence_stdout() -> None:
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


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


def load_tagger(model: Optional[Path]):
    """The model of ``--model`` (the bundled one by default).

    Its files are read and verified before scikit-learn is imported, so a damaged or unsafe
    model is reported at once.
    """
    from importlib import resources

    from ..persist import load_model_dir

    path = model_path(model) or Path(str(resources.files("tagger") / "models" / "default"))
    meta, arrays = load_model_dir(path)
    from ..api import Tagger

    return Tagger._from_model_dir(path, meta, arrays)


ModelOption = Annotated[
    Optional[Path],
    typer.Option("--model", "-m", help="Model directory (default: the bundled model).",
                 file_okay=False, show_default=False),
]
TextColOption = Annotated[str, typer.Option("--text-col", help="Column holding the article text.")]


# A scraped page holds more than its article (menus, keyword lists, other articles), which
# it is parsed into first: it is cut at ten times an article's length, not one.
PAGE_FACTOR = 10


def read_text_file(file: Path, *, page: bool = False) -> str:
    """A UTF-8 text file's content ('-' reads stdin), with clear errors for anything else;
    with ``page``, a scraped page (see :data:`PAGE_FACTOR`)."""
    if str(file) == "-":
        data = sys.stdin.buffer.read()
        name = "standard input"
    else:
        if file.is_dir():
            raise InputError(f"{file} is a directory, not a text file")
        if not file.exists():
            raise InputError(f"file not found: {file}")
        try:
            data = file.read_bytes()
        except OSError as exc:
            raise InputError(f"cannot read {file}: {exc.strerror or exc}") from exc
        name = str(file)
    if b"\x00" in data[:4096]:
        raise InputError(f"{name} looks like a binary file, not text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{name} is not UTF-8 text (byte {exc.start}); save it as UTF-8") from exc
    return article_text(text, name, factor=PAGE_FACTOR if page else 1)


def article_text(text: str, name: str = "the text", *, factor: int = 1) -> str:
    """``text`` checked for one article: not empty, valid Unicode, and of a sane length.

    An empty or blank text is an input error. A text longer than ``MAX_ARTICLE_CHARS`` is
    cut there with a warning (``factor`` times that for a page): the section model reads only
    the lead of an article, and no news article is that long (a whole dump passed as one
    article is).
    """
    from ..batch import MAX_ARTICLE_CHARS

    if not text.strip():
        raise InputError(f"{name} is empty: there is nothing to tag")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:  # undecodable bytes of a command-line argument
        raise InputError(f"{name} is not valid UTF-8 (character {exc.start}); "
                         "pass the article with --file instead") from exc
    limit = factor * MAX_ARTICLE_CHARS
    if len(text) > limit:
        log.warning("%s holds %s characters, more than any %s: only the first %s are used",
                    name, f"{len(text):,}", "page" if factor > 1 else "article", f"{limit:,}")
        text = text[:limit]
    return text


def warn_unread_titles(data, title_col: Optional[str]) -> None:
    """Without --title-col, say which inputs have a 'title' column that will not be read."""
    if title_col is not None:
        return
    from ..data import inputs_with_column

    for name in inputs_with_column(data, "title"):
        log.warning("%s has a 'title' column that is not read; add --title-col title to read "
                    "title and body, as the bundled model was trained", name)
