"""The CLI on bad input and unusable stores: one line on stderr, exit code 2, no traceback —
a store path that is a file, a sqlite:/// URL to a file that is not a database, a store folder
this user cannot write, oversized filters and version numbers.

Tests run as root, who may write anywhere; the read-only case therefore runs the CLI with the
capabilities that let root ignore file permissions (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH)
removed from its bounding set (``setpriv``), so the kernel applies the folder's mode bits."""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

import pytest
from batch_support import CLI, run_cli

SETPRIV = shutil.which("setpriv")


def one_line_error(done, code: int = 2) -> str:  # type: ignore[no-untyped-def]
    assert done.returncode == code, (done.returncode, done.stderr)
    assert "Traceback" not in done.stderr, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    return lines[0]


def cli_with_store(store: str, *args: str, program: list[str] | None = None):  # type: ignore[no-untyped-def]
    os.environ["MLOPS_JUPYTER_STORE"] = store
    try:
        if program:
            return run_cli(*program[1:], CLI, *args, program=program[0])
        return run_cli(*args)
    finally:
        del os.environ["MLOPS_JUPYTER_STORE"]


@pytest.fixture
def no_store_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("MLOPS_JUPYTER_STORE", "MLOPS_JUPYTER_ARTIFACTS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


def test_a_store_path_that_is_a_file(no_store_env: None, tmp_path: Path) -> None:
    a_file = tmp_path / "notes.txt"
    a_file.write_text("hello")
    line = one_line_error(cli_with_store(str(a_file), "store", "info"))
    assert f"{a_file} is a file, not a folder" in line
    line = one_line_error(cli_with_store(f"sqlite:///{a_file}/mlops.db", "runs", "ls"))
    assert "is a file, not a folder" in line
    assert a_file.read_text() == "hello"


def test_a_sqlite_url_to_a_file_that_is_not_a_database(no_store_env: None, tmp_path: Path) -> None:
    text = tmp_path / "data.db"
    text.write_text("just some text, long enough to be read as a header " * 4)
    line = one_line_error(cli_with_store(f"sqlite:///{text}", "runs", "ls"))
    assert f"cannot open SQLite database {text}: file is not a database" in line


@pytest.mark.skipif(SETPRIV is None, reason="needs util-linux setpriv")
def test_a_store_folder_without_write_permission(no_store_env: None, tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(stat.S_IRUSR | stat.S_IXUSR | stat.S_IRGRP | stat.S_IXGRP)
    as_plain_user = [str(SETPRIV), "--bounding-set=-dac_override,-dac_read_search"]
    try:
        line = one_line_error(
            cli_with_store(str(locked / "store"), "runs", "ls", program=as_plain_user)
        )
        assert f"cannot create the store folder {locked / 'store'}: Permission denied" in line
        line = one_line_error(cli_with_store(str(locked), "store", "info", program=as_plain_user))
        assert f"the store folder {locked} is not writable" in line
    finally:
        locked.chmod(0o755)
    assert list(locked.iterdir()) == []


def test_oversized_filters_and_versions(sqlite_store) -> None:  # type: ignore[no-untyped-def]
    deep = "(" * 400 + "name = 'a'" + ")" * 400
    # the messages of every limit are tested in-process (test_filter_limits.py); here: the CLI
    # turns them into one line and exit code 2
    for args, fragment in [
        (("runs", "ls", "--filter", deep), "nested too deeply"),
        (("models", "show", "iris", "99999999999999999999999"), "up to 2147483647"),
    ]:
        assert fragment in one_line_error(run_cli(*args))
