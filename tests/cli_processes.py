"""Running the ``tagger`` command line in real processes, for the end-to-end tests.

:func:`run_tagger` is ``python -m tagger ARGS``, cold, as a user runs it, and
:class:`ColdRun` the same left running, for a test to signal. Importing scikit-learn and
datasets costs such a process seconds, so tests that need many runs use
:class:`WarmTagger`: a server process that imports them once and then forks one process
per run. The forked process chdirs to the run's directory, gets the run's stdin, stdout and
stderr as its file descriptors 0, 1 and 2, calls the console entry point
``tagger.cli.main`` with the run's arguments and exits with its exit code, exactly as
``python -m tagger`` does.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def tagger_env() -> dict:
    """This environment with the source tree first on PYTHONPATH."""
    return {**os.environ, "PYTHONPATH": os.pathsep.join(
        p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)}


def run_tagger(args: list, cwd: Path, stdin: bytes | None = None,
               timeout: float = 180) -> subprocess.CompletedProcess:
    """``python -m tagger ARGS`` in ``cwd``, with bytes in and out."""
    return subprocess.run(_command(args), cwd=cwd, input=stdin or b"", capture_output=True,
                          timeout=timeout, env=tagger_env())


class ColdRun:
    """``python -m tagger ARGS`` started in ``cwd`` and left running: ``pid`` to signal
    it, :meth:`wait` for its result. Output goes to temporary files, not pipes, so a run
    that writes a lot cannot block while nobody reads."""

    def __init__(self, args: list, cwd: Path):
        self.args = args
        self._out, self._err = tempfile.TemporaryFile(), tempfile.TemporaryFile()
        # A shell starts background jobs with SIGINT ignored, and that is inherited: CI
        # scripts run that way would hand the run a Ctrl-C it cannot receive. A user's
        # terminal delivers it, so the run starts with the default action.
        self._proc = subprocess.Popen(_command(args), cwd=cwd, stdin=subprocess.DEVNULL,
                                      stdout=self._out, stderr=self._err, env=tagger_env(),
                                      preexec_fn=_default_sigint)
        self.pid = self._proc.pid

    def wait(self, timeout: float = 180) -> subprocess.CompletedProcess:
        code = self._proc.wait(timeout=timeout)
        output = []
        for fh in (self._out, self._err):
            fh.seek(0)
            output.append(fh.read())
            fh.close()
        return subprocess.CompletedProcess(self.args, code, *output)


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _command(args: list) -> list:
    return [sys.executable, "-m", "tagger",
            *(a if isinstance(a, bytes) else str(a) for a in args)]


_SERVER = r"""
import contextlib, io, json, os, sys, traceback
import datasets, pandas, pyarrow.parquet
import tagger.cli, tagger.api, tagger.batch, tagger.data, tagger.keywords, tagger.train

with open(os.devnull, "w") as devnull, contextlib.redirect_stdout(devnull):
    try:
        tagger.cli.main(["predict", "--help"])  # typer's first call is slow
    except SystemExit:
        pass

def stream(fd, mode):
    raw = io.FileIO(fd, mode, closefd=False)
    if mode == "rb":
        return io.TextIOWrapper(io.BufferedReader(raw), encoding="utf-8")
    return io.TextIOWrapper(io.BufferedWriter(raw), encoding="utf-8", line_buffering=True)

def report(**fields):
    sys.stdout.write(json.dumps(fields) + "\n")
    sys.stdout.flush()

for line in sys.stdin:
    job = json.loads(line)
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            os.chdir(job["cwd"])
            for fd, (name, flags) in enumerate([(job["stdin"], os.O_RDONLY),
                                                (job["stdout"], os.O_WRONLY | os.O_TRUNC),
                                                (job["stderr"], os.O_WRONLY | os.O_TRUNC)]):
                os.dup2(os.open(name, flags), fd)
            sys.stdin, sys.stdout, sys.stderr = stream(0, "rb"), stream(1, "wb"), stream(2, "wb")
            args = [os.fsdecode(bytes.fromhex(a[1:])) if a[:1] == "#" else a for a in job["args"]]
            tagger.cli.main(args)
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        except BaseException:
            traceback.print_exc()
        finally:
            try:
                sys.stdout.flush()
                sys.stderr.flush()
            finally:
                os._exit(code)
    _, status = os.waitpid(pid, 0)
    report(code=os.waitstatus_to_exitcode(status))
"""


class WarmTagger:
    """A server that runs ``tagger`` command lines in processes forked from a warm interpreter.

    Runs are sequential: :meth:`run` returns when its run has ended.
    """

    def __init__(self):
        self._dir = tempfile.TemporaryDirectory(prefix="tagger-warm-")
        self._count = 0
        self._log = open(Path(self._dir.name) / "server.log", "w+b")
        self._proc = subprocess.Popen([sys.executable, "-c", _SERVER], stdin=subprocess.PIPE,
                                      stdout=subprocess.PIPE, stderr=self._log, text=True,
                                      env=tagger_env(), cwd=self._dir.name)

    def run(self, args: list, cwd: Path, stdin: bytes | None = None) -> subprocess.CompletedProcess:
        self._count += 1
        files = {kind: Path(self._dir.name) / f"{self._count}.{kind}"
                 for kind in ("stdin", "stdout", "stderr")}
        for kind, path in files.items():
            path.write_bytes((stdin or b"") if kind == "stdin" else b"")
        encoded = ["#" + a.hex() if isinstance(a, bytes) else str(a) for a in args]
        job = {"args": encoded, "cwd": str(cwd), **{k: str(p) for k, p in files.items()}}
        self._proc.stdin.write(json.dumps(job) + "\n")
        self._proc.stdin.flush()
        code = self._read()["code"]
        return subprocess.CompletedProcess(args, code, files["stdout"].read_bytes(),
                                           files["stderr"].read_bytes())

    def _read(self) -> dict:
        line = self._proc.stdout.readline()
        if not line:
            self._log.seek(0)
            raise RuntimeError("the warm tagger server died: "
                               + self._log.read().decode("utf-8", "replace"))
        return json.loads(line)

    def close(self) -> None:
        self._proc.stdin.close()
        self._proc.wait(timeout=60)
        self._log.close()
        self._dir.cleanup()

    def __enter__(self) -> "WarmTagger":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
