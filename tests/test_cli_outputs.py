"""The command's output files: special files are written through, links kept, bad paths refused before any work.

Special files live in the test's temporary directory only (a FIFO, symbolic links, a link to ``/dev/null``); no test
writes to the real ``/dev``.
"""

from __future__ import annotations

import json
import os
import stat
import threading

import pytest

from tnrnn.cli import main

S = ["--M", "2", "--R", "2", "--L", "1", "--T", "4"]


def _run(argv, capsys):
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse's usage errors
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def test_network_out_to_a_link_to_dev_null_keeps_the_link(tmp_path, capsys):
    link = tmp_path / "net.json"
    link.symlink_to(os.devnull)
    code, out, err = _run(["network", *S, "--out", str(link), "--json"], capsys)
    assert code == 0, err
    assert json.loads(out)["nodes"] > 0
    assert link.is_symlink() and os.readlink(link) == os.devnull
    assert stat.S_ISCHR(os.stat(os.devnull).st_mode)
    assert os.listdir(tmp_path) == ["net.json"]


def test_network_out_to_a_fifo_streams_the_json(tmp_path, capsys):
    fifo = tmp_path / "net.fifo"
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_text()), daemon=True)
    reader.start()
    code, out, err = _run(["network", *S, "--out", str(fifo)], capsys)
    reader.join(timeout=60)
    assert code == 0, err
    assert json.loads(got[0])["nodes"]  # the whole network's JSON came through the pipe
    assert stat.S_ISFIFO(os.stat(fifo).st_mode) and os.listdir(tmp_path) == ["net.fifo"]


def test_network_out_to_a_link_replaces_the_target_not_the_link(tmp_path, capsys):
    (tmp_path / "store").mkdir()
    target = tmp_path / "store" / "net.json"
    target.write_text("old")
    link = tmp_path / "net.json"
    link.symlink_to(target)
    code, _, err = _run(["network", *S, "--out", str(link)], capsys)
    assert code == 0, err
    assert link.is_symlink() and json.loads(target.read_text())["meta"]


def test_atlas_export_to_a_link_to_dev_null(tmp_path, capsys):
    from tnrnn.atlas import Atlas

    Atlas(str(tmp_path / "a.sqlite"))  # an empty atlas
    link = tmp_path / "rows.csv"
    link.symlink_to(os.devnull)
    code, _, err = _run(["atlas", "export", "--atlas", str(tmp_path / "a.sqlite"), "--out", str(link)], capsys)
    assert code == 0, err
    assert (
        link.is_symlink()
        and "rows.csv" in os.listdir(tmp_path)
        and not [f for f in os.listdir(tmp_path) if f.endswith(".tmp")]
    )


@pytest.fixture
def no_work(monkeypatch):
    """Every computation a verb could start raises, so that a refusal is seen to come before any work."""

    def boom(*args, **kwargs):
        raise AssertionError("work started before the output path was checked")

    import tnrnn.build
    import tnrnn.draw
    import tnrnn.table

    monkeypatch.setattr(tnrnn.build, "build_network", boom)
    monkeypatch.setattr(tnrnn.table, "rank_table", boom)
    monkeypatch.setattr(tnrnn.draw, "draw_to_file", boom)


def _bad_outputs(tmp_path) -> dict[str, str]:
    (tmp_path / "dir").mkdir()
    (tmp_path / "file.csv").write_text("old")
    name_max = os.pathconf(tmp_path, "PC_NAME_MAX")
    return {
        "trailing-slash-dir": str(tmp_path / "dir") + "/",
        "trailing-slash-file": str(tmp_path / "file.csv") + "/",
        "missing-dir-slash": str(tmp_path / "nodir") + "/",
        "directory": str(tmp_path / "dir"),
        "long-name": str(tmp_path / ("n" * (name_max + 1))),
        "proc": "/proc/tnrnn-out.csv",
        "sys": "/sys/tnrnn-out.csv",
    }


@pytest.mark.parametrize("verb", ["network", "table", "draw"])
@pytest.mark.parametrize(
    "case",
    ["trailing-slash-dir", "trailing-slash-file", "missing-dir-slash", "directory", "long-name", "proc", "sys"],
)
def test_bad_output_paths_are_refused_before_any_work(verb, case, tmp_path, capsys, no_work):
    out = _bad_outputs(tmp_path)[case]
    before = sorted(os.listdir(tmp_path))
    argv = {
        "network": ["network", *S, "--out", out],
        "table": ["table", "--L", "1", "--M", "2", "--R", "2", "--T", "2", "--no-progress", "--out", out],
        "draw": ["draw", *S, "--out", out],
    }[verb]
    code, stdout, err = _run(argv, capsys)
    lines = err.strip().splitlines()
    assert code == 2, err
    assert len(lines) == 1 and "out=" in lines[0] and "Traceback" not in err, err
    assert stdout == "" and sorted(os.listdir(tmp_path)) == before
    assert (tmp_path / "file.csv").read_text() == "old"


# --- lists are sets; names are printable -----------------------------------------------------------------------


def test_repeated_list_entries_collapse():
    from tnrnn.cli import _float_list, _float_set, _int_list, _name_list

    assert _int_list("4,4,2:4:2") == [4, 2]
    assert _name_list("onehot,onehot,continuous") == ["onehot", "continuous"]
    assert _float_set("1e-3,0.001,3e-3") == [1e-3, 3e-3]
    assert _float_list("1,1,1") == [1.0, 1.0, 1.0]  # --lr-scale: three rates by position, not a set


def test_table_gives_one_row_per_distinct_cell(tmp_path, capsys):
    argv = ["table", "--L", "1", "--M", "2,2", "--R", "2", "--T", "2,2,2:4:2", "--domain", "onehot,onehot"]
    code, out, err = _run([*argv, "--atlas", str(tmp_path / "a.sqlite"), "--no-progress", "--json"], capsys)
    assert code == 0, err
    cells = [(r["L"], r["M"], r["R"], r["T"], r["domain"]) for r in json.loads(out)["rows"]]
    assert sorted(cells) == [(1, 2, 2, 2, "onehot"), (1, 2, 2, 4, "onehot")]


@pytest.mark.parametrize("name", ["a\x01b", " ", "\t", "a\nb", "a/b"])
def test_experiment_names_must_be_printable_plain_names(name, tmp_path, capsys):
    code, out, err = _run(["experiment", "ses", "--T", "8", "--out", str(tmp_path), "--name", name], capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1 and "name=" in err, err
    assert out == "" and list(tmp_path.iterdir()) == []


# --- warnings: one line, once ------------------------------------------------------------------------------------


def test_a_warning_is_one_line_once(tmp_path, capsys):
    bad = tmp_path / "bad.sqlite"
    bad.write_text("not a database " * 10)
    code, _, err = _run(["rank", *S, "--atlas", str(bad)], capsys)
    assert code == 0
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("tnrnn rank: warning: atlas: ") and str(bad) in lines[0], err
    assert bad.read_text().startswith("not a database")  # the file that is not ours is left alone


def test_warning_printer_prints_each_text_once(capsys):
    import warnings

    from tnrnn.cli import _warning_printer

    show = _warning_printer("table")
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.showwarning = show
        for _ in range(3):
            warnings.warn("tnrnn atlas: slow\nsecond line", UserWarning, stacklevel=1)
        warnings.warn("another", DeprecationWarning, stacklevel=1)
    assert capsys.readouterr().err.splitlines() == [
        "tnrnn table: warning: atlas: slow second line",
        "tnrnn table: warning: another",
    ]


def test_atlas_merge_takes_a_file_named_twice_once(tmp_path, capsys, monkeypatch):
    from tnrnn.rank import separation_rank

    monkeypatch.chdir(tmp_path)
    separation_rank(2, 2, 1, 2, domain="onehot", cache="src.sqlite")
    code, out, err = _run(["atlas", "merge", "src.sqlite", "./src.sqlite", "--atlas", "dst.sqlite", "--json"], capsys)
    assert code == 0, err
    res = json.loads(out)
    assert res["sources"] == ["src.sqlite"] and res["added"] == 1


@pytest.mark.parametrize("stdout", ["pipe", "file"])
def test_out_to_the_processes_own_stdout_prints_it(stdout, tmp_path):
    """``--out /dev/stdout`` (here its target ``/proc/self/fd/1``, so that no test touches ``/dev``) prints."""
    import subprocess
    import sys

    from tnrnn.testing import child_env

    argv = [sys.executable, "-m", "tnrnn", "network", *S, "--out", "/proc/self/fd/1"]
    if stdout == "pipe":
        proc = subprocess.run(argv, env=child_env(), cwd=tmp_path, capture_output=True, text=True, timeout=120)
        text = proc.stdout
    else:
        target = tmp_path / "captured.txt"
        with open(target, "w") as fh:
            inode = os.fstat(fh.fileno()).st_ino
            proc = subprocess.run(argv, env=child_env(), cwd=tmp_path, stdout=fh, stderr=subprocess.PIPE, text=True)
        text = target.read_text()
        assert os.stat(target).st_ino == inode and os.listdir(tmp_path) == ["captured.txt"]
    assert proc.returncode == 0, proc.stderr
    graph, end = json.JSONDecoder().raw_decode(text)  # the network's JSON, then the summary the verb prints
    assert graph["meta"]["T"] == 4 and "nodes:" in text[end:]


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full")
def test_a_full_device_behind_a_link_exits_1_in_one_line(tmp_path, capsys):
    link = tmp_path / "net.json"
    link.symlink_to("/dev/full")  # every write fails with ENOSPC, as on a full disk
    code, _, err = _run(["network", *S, "--out", str(link)], capsys)
    lines = err.strip().splitlines()
    assert code == 1 and len(lines) == 1 and f"out={str(link)!r} could not be written" in lines[0], err
    assert link.is_symlink() and os.listdir(tmp_path) == ["net.json"]
