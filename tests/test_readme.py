"""The README's commands and code blocks are the ones that work."""

import re
import shlex
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def blocks(language):
    return re.findall(rf"```{language}\n(.*?)```", README, flags=re.S)


def test_first_screen_has_the_two_commands():
    first_screen = README[: README.index("---")]
    install, tests = blocks("bash")[:2]
    assert install in first_screen and tests in first_screen
    assert 'pip install -e ".[dev]"' in install and "tagger predict" in install
    assert tests.strip() == "python -m pytest -q"


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert blocks("bash")[1].strip() in ci


def test_the_install_command_predicts_with_the_bundled_model(capsys):
    from tagger.cli import main

    install = blocks("bash")[0].strip()
    predict = shlex.split(install[install.index("tagger predict"):])
    with pytest.raises(SystemExit) as exit:
        main(predict[1:])
    assert exit.value.code == 0
    import json

    assert json.loads(capsys.readouterr().out)["section"] == "sports"


@pytest.mark.parametrize("code", blocks("python"))
def test_python_blocks_run(code, monkeypatch):
    monkeypatch.chdir(ROOT)
    exec(compile(code, "README.md", "exec"), {})
