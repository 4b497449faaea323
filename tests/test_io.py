"""`tnrnn._io`: atomic writes leave the old file or the new one, never a truncated one; output paths are checked
before any work; strict JSON."""

from __future__ import annotations

import json
import math
import os
import random
import stat
import subprocess
import sys

import pytest

from tnrnn import ArgumentError
from tnrnn._io import (
    JSON_EXACT_DIGITS,
    TMP_SUFFIX,
    atomic_savefig,
    atomic_write,
    check_file_name,
    check_output_dir,
    check_output_file,
    decimal_digits,
    jsonable,
    strict_json,
    write_target,
)
from tnrnn.testing import child_env


def _leftovers(folder) -> list[str]:
    return [f for f in os.listdir(folder) if f.endswith(TMP_SUFFIX)]


def test_atomic_write_replaces_and_keeps_the_mode(tmp_path):
    path = tmp_path / "a.txt"
    path.write_text("old")
    os.chmod(path, 0o640)
    with atomic_write(path) as fh:
        fh.write("new text")
        assert path.read_text() == "old"  # nothing visible before the rename
    assert path.read_text() == "new text"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o640
    assert _leftovers(tmp_path) == []


def test_new_file_gets_the_umask_mode(tmp_path):
    umask = os.umask(0o022)
    try:
        with atomic_write(tmp_path / "b.bin", "wb") as fh:
            fh.write(b"\x00\x01")
    finally:
        os.umask(umask)
    assert stat.S_IMODE(os.stat(tmp_path / "b.bin").st_mode) == 0o644
    assert (tmp_path / "b.bin").read_bytes() == b"\x00\x01"


@pytest.mark.parametrize("exc", [OSError(28, "No space left on device"), KeyboardInterrupt()])
def test_failure_mid_write_keeps_the_old_file_and_removes_the_temporary(tmp_path, exc):
    path = tmp_path / "table.csv"
    path.write_text("L,M\n1,2\n")
    with pytest.raises(type(exc)):
        with atomic_write(path) as fh:
            fh.write("L,M,R\n" * 1000)
            raise exc
    assert path.read_text() == "L,M\n1,2\n"
    assert _leftovers(tmp_path) == []


def test_atomic_savefig_failure_keeps_the_old_figure(tmp_path):
    class Broken:
        def savefig(self, fh, **kwargs):
            fh.write(b"%PDF-1.4 half a file")
            raise OSError(27, "File too large")

    path = tmp_path / "f.pdf"
    path.write_bytes(b"%PDF-old %%EOF")
    with pytest.raises(OSError):
        atomic_savefig(Broken(), path)
    assert path.read_bytes() == b"%PDF-old %%EOF" and _leftovers(tmp_path) == []


def test_atomic_savefig_writes_the_format_of_the_extension(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.plot([0, 1], [1, 0])
    atomic_savefig(fig, tmp_path / "f.png", dpi=20)
    atomic_savefig(fig, tmp_path / "f.pdf")
    atomic_savefig(fig, tmp_path / "f.svg")
    plt.close(fig)
    assert (tmp_path / "f.png").read_bytes().startswith(b"\x89PNG")
    assert (tmp_path / "f.pdf").read_bytes().rstrip().endswith(b"%%EOF")
    assert b"<svg" in (tmp_path / "f.svg").read_bytes()
    assert _leftovers(tmp_path) == []


#: run ``python -m tnrnn ARGS`` with writes past 200 bytes failing with EFBIG (set in the child itself: a
#: ``preexec_fn`` would fork a multithreaded JAX process)
LIMITED = (
    "import resource, runpy, signal, sys\n"
    "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
    "resource.setrlimit(resource.RLIMIT_FSIZE, (200, 200))\n"
    "sys.argv = ['tnrnn', *sys.argv[1:]]\n"
    "runpy.run_module('tnrnn', run_name='__main__')\n"
)


def test_cli_write_beyond_the_file_size_limit_keeps_the_previous_table(tmp_path):
    path = tmp_path / "t.csv"
    previous = "L,M,R,T\nthe previous table\n"
    path.write_text(previous)
    # --no-cache: the rank atlas (a file of its own) is not what this limit is for
    argv = [
        "table",
        "--L",
        "1,2",
        "--M",
        "2",
        "--R",
        "2",
        "--T",
        "2,4",
        "--format",
        "csv",
        "--no-progress",
        "--no-cache",
        "--out",
        str(path),
    ]
    proc = subprocess.run(
        [sys.executable, "-c", LIMITED, *argv], env=child_env(), capture_output=True, text=True, timeout=300
    )
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 1, proc.stderr
    assert len(lines) == 1 and "could not be written" in lines[0] and "Traceback" not in proc.stderr
    assert path.read_text() == previous
    assert sorted(os.listdir(tmp_path)) == ["t.csv"]
    # the same command without the limit writes the whole table (so the limit is what failed above)
    proc = subprocess.run(
        [sys.executable, "-m", "tnrnn", *argv], env=child_env(), capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr
    assert len(path.read_text()) > 200 and len(path.read_text().splitlines()) == 1 + 8


def test_cli_full_disk_through_a_symlink_keeps_the_target_and_names_the_argument(tmp_path):
    (tmp_path / "store").mkdir()
    target = tmp_path / "store" / "net.json"
    target.write_text("the previous network")
    link = tmp_path / "net.json"
    link.symlink_to(target)
    argv = ["network", "--M", "2", "--R", "2", "--L", "2", "--T", "6", "--out", str(link)]
    proc = subprocess.run(
        [sys.executable, "-c", LIMITED, *argv], env=child_env(), capture_output=True, text=True, timeout=300
    )
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 1, proc.stderr
    assert len(lines) == 1 and f"out={str(link)!r} could not be written" in lines[0], proc.stderr
    assert link.is_symlink() and target.read_text() == "the previous network"
    assert os.listdir(tmp_path / "store") == ["net.json"]


# --- never replace what is not ours: symbolic links are kept, special files written in place ---------------------


def _write(path, text="new text"):
    with atomic_write(path) as fh:
        fh.write(text)


def test_symlink_is_kept_and_its_target_replaced_in_its_own_directory(tmp_path):
    (tmp_path / "data").mkdir()
    target = tmp_path / "data" / "real.json"
    target.write_text("old")
    os.chmod(target, 0o600)
    link = tmp_path / "link.json"
    link.symlink_to(target)
    chain = tmp_path / "chain.json"
    chain.symlink_to("link.json")  # relative, through a second link
    _write(chain)
    assert link.is_symlink() and chain.is_symlink() and os.readlink(chain) == "link.json"
    assert target.read_text() == "new text" and stat.S_IMODE(os.stat(target).st_mode) == 0o600
    assert sorted(os.listdir(tmp_path)) == ["chain.json", "data", "link.json"]
    assert os.listdir(tmp_path / "data") == ["real.json"]


def test_dangling_symlink_creates_its_target(tmp_path):
    link = tmp_path / "link.csv"
    link.symlink_to(tmp_path / "made.csv")
    _write(link, "a,b\n")
    assert link.is_symlink() and (tmp_path / "made.csv").read_text() == "a,b\n"


def test_a_symlink_loop_is_an_error_and_refused_before_work(tmp_path):
    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    with pytest.raises(OSError):
        _write(tmp_path / "a")
    with pytest.raises(ArgumentError, match="resolved"):
        check_output_file("out", str(tmp_path / "a"))
    assert (tmp_path / "a").is_symlink() and (tmp_path / "b").is_symlink()


def test_symlink_to_dev_null_is_written_through_not_replaced(tmp_path):
    link = tmp_path / "null.csv"
    link.symlink_to(os.devnull)
    assert write_target(link) == (os.devnull, True)
    assert check_output_file("out", str(link)) == str(link)
    _write(link)
    with atomic_write(link, "wb") as fh:
        fh.write(b"\x00" * 1000)
    assert link.is_symlink() and os.readlink(link) == os.devnull
    assert stat.S_ISCHR(os.stat(os.devnull).st_mode)
    assert os.listdir(tmp_path) == ["null.csv"]


def test_fifo_is_written_through_not_replaced(tmp_path):
    import threading

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    assert check_output_file("out", str(fifo)) == str(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_text()), daemon=True)
    reader.start()
    _write(fifo, "through the pipe")
    reader.join(timeout=30)
    assert got == ["through the pipe"]
    assert stat.S_ISFIFO(os.stat(fifo).st_mode) and os.listdir(tmp_path) == ["pipe"]


def test_open_descriptor_path_is_written_in_place(tmp_path):
    """``/dev/stdout`` leads to ``/proc/self/fd/1``: the file the shell opened is written, not renamed over."""
    path = tmp_path / "opened.txt"
    with open(path, "w") as held:
        inode = os.stat(path).st_ino
        fd_path = f"/proc/self/fd/{held.fileno()}"
        assert write_target(fd_path)[1] is True
        assert check_output_file("out", fd_path) == fd_path
        _write(fd_path, "in place")
    assert path.read_text() == "in place" and os.stat(path).st_ino == inode
    assert os.listdir(tmp_path) == ["opened.txt"]


def test_in_place_failure_writes_nothing(tmp_path):
    link = tmp_path / "null.csv"
    link.symlink_to(os.devnull)
    with pytest.raises(KeyboardInterrupt):
        with atomic_write(link) as fh:
            fh.write("half")
            raise KeyboardInterrupt
    assert link.is_symlink() and os.listdir(tmp_path) == ["null.csv"]


def test_a_name_of_the_longest_length_is_written(tmp_path):
    path = tmp_path / ("n" * (os.pathconf(tmp_path, "PC_NAME_MAX") - 4) + ".csv")
    assert check_output_file("out", str(path)) == str(path)
    _write(path)  # the temporary name must fit as well
    assert path.read_text() == "new text" and _leftovers(tmp_path) == []


def test_atlas_and_draw_writers_are_the_one_helper(tmp_path, monkeypatch):
    """`tnrnn.atlas.write_atomic` and `tnrnn.draw.save_figure` write through `atomic_write` (links kept)."""
    from tnrnn import atlas

    target = tmp_path / "t.csv"
    link = tmp_path / "l.csv"
    link.symlink_to(target)
    atlas.write_atomic(str(link), "x\n")
    assert link.is_symlink() and target.read_text() == "x\n"
    import tnrnn._io as io_module

    calls = []
    real = io_module.atomic_write

    def spy(path, *args, **kwargs):
        calls.append(os.fspath(path))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(io_module, "atomic_write", spy)
    import matplotlib.pyplot as plt

    from tnrnn.draw import save_figure

    fig = plt.figure()
    try:
        save_figure(fig, link.with_suffix(".svg"))
    finally:
        plt.close(fig)
    atlas.write_atomic(str(tmp_path / "u.csv"), "y")
    assert calls == [str(link.with_suffix(".svg")), str(tmp_path / "u.csv")]


# --- output paths, checked before any work ----------------------------------------------------------------------


def test_check_output_file(tmp_path):
    name_max = os.pathconf(tmp_path, "PC_NAME_MAX")
    ok = tmp_path / "x.csv"
    assert check_output_file("out", str(ok)) == str(ok)
    (tmp_path / "sub").mkdir()
    bad = {
        "": "a file path",
        str(tmp_path / "sub"): "not a directory",
        str(tmp_path / "missing" / "x.csv"): "does not exist",
        "/proc/tnrnn-x.csv": "outside /proc and /sys",
        "/sys/tnrnn-x.csv": "outside /proc and /sys",
        str(tmp_path / "x.csv") + "/": "not a directory",
        str(tmp_path / "sub") + "/": "not a directory",
        str(tmp_path / "sub" / "."): "not a directory",
        str(tmp_path / ("n" * name_max + ".csv")): f"at most {name_max} bytes",
        str(tmp_path / ("d" * (name_max + 1)) / "x.csv"): f"at most {name_max} bytes",
        "/" + "d/" * 2100 + "x.csv": r"of at most \d+ bytes$",
    }
    for path, words in bad.items():
        with pytest.raises(ArgumentError, match=words) as info:
            check_output_file("out", path)
        assert info.value.name == "out" and info.value.value == path
    assert os.listdir(tmp_path) == ["sub"]  # the checks write nothing


def test_check_output_dir(tmp_path):
    assert check_output_dir("out", str(tmp_path / "a" / "b")) == str(tmp_path / "a" / "b")
    assert not (tmp_path / "a").exists()  # nothing is created by the check
    (tmp_path / "f").write_text("")
    for path, words in {
        "": "directory path",
        str(tmp_path / "f"): "existing file",
        str(tmp_path / "f" / "g"): "is a file",
        "/proc/tnrnn-d": "outside /proc and /sys",
        "/sys/kernel": "outside /proc and /sys",
        str(tmp_path / ("d" * (os.pathconf(tmp_path, "PC_NAME_MAX") + 1))): "bytes each",
    }.items():
        with pytest.raises(ArgumentError, match=words):
            check_output_dir("out", path)


@pytest.fixture
def read_only_dir(tmp_path, monkeypatch):
    """A directory no file can be created in, also for root (CI runs as root): ``(path, how)``.

    Permission bits where they bind (not root); as root the immutable attribute (``chattr +i``, which binds root
    too) where the file system and the capabilities allow it; otherwise the kernel's refusal is injected where the
    check meets it, at the creation of its probe file (``os.access`` still says yes, as it does for root).
    """
    import errno
    import shutil
    import subprocess
    import tempfile

    ro = tmp_path / "ro"
    ro.mkdir()
    if os.geteuid() != 0:
        os.chmod(ro, 0o500)
        yield ro, "chmod"
        os.chmod(ro, 0o700)
        return
    chattr = shutil.which("chattr")
    if chattr and subprocess.run([chattr, "+i", str(ro)], capture_output=True).returncode == 0:
        try:
            with pytest.raises(OSError):  # the attribute binds root
                (ro / "probe").write_text("x")
            yield ro, "chattr"
        finally:
            subprocess.run([chattr, "-i", str(ro)], check=True)
        return
    real = tempfile.mkstemp

    def refusing(*args, dir=None, **kwargs):
        if dir is not None and os.path.realpath(dir) == os.path.realpath(ro):
            raise PermissionError(errno.EROFS, os.strerror(errno.EROFS), str(ro))
        return real(*args, dir=dir, **kwargs)

    monkeypatch.setattr(tempfile, "mkstemp", refusing)
    assert os.access(ro, os.W_OK)  # root: the permission check alone would let it through
    yield ro, "injected"


def test_read_only_directory_is_refused(read_only_dir):
    ro, how = read_only_dir
    with pytest.raises(ArgumentError, match="not writable") as info:
        check_output_file("out", str(ro / "x.csv"))
    assert info.value.name == "out" and str(ro) in str(info.value), how
    with pytest.raises(ArgumentError, match="not writable"):
        check_output_dir("out", str(ro / "figs"))
    with pytest.raises(ArgumentError, match="not writable"):
        check_output_dir("out", str(ro))
    assert os.listdir(ro) == []  # the probes left nothing behind
    # a writable sibling passes, so the refusal is about this directory
    assert check_output_file("out", str(ro.parent / "x.csv")) == str(ro.parent / "x.csv")


@pytest.mark.parametrize(
    "name", ["../escaped", "a/b", "", ".", "..", "x\0y", "/abs", 3, None, "a\x01b", " ", "\t\n", "a\nb", "x" * 201]
)
def test_check_file_name_refuses_paths(name):
    with pytest.raises(ArgumentError):
        check_file_name("name", name)


@pytest.mark.parametrize("name", ["ses", "ses-2.run", "..hidden", "résultats"])
def test_check_file_name_accepts_plain_names(name):
    assert check_file_name("name", name) == name


# --- strict JSON ------------------------------------------------------------------------------------------------


def test_decimal_digits_match_the_text_of_the_number():
    rng = random.Random(10)
    for _ in range(300):
        n = rng.getrandbits(rng.randrange(1, 13000))
        assert decimal_digits(n) == len(str(n))
    for k in (1, 2, 100, 3999):
        assert decimal_digits(10**k) == k + 1 and decimal_digits(10**k - 1) == k


def test_strict_json_rules():
    huge = 3**20000
    small = 3**100
    out = json.loads(
        strict_json({"huge": huge, "small": small, "inf": math.inf, "nan": math.nan, "t": (1, 2), "neg": -huge})
    )
    assert out["small"] == small  # exact below the limit
    assert out["huge"]["digits"] == decimal_digits(huge) > JSON_EXACT_DIGITS
    assert out["huge"]["log2"] == pytest.approx(20000 * math.log2(3), rel=1e-12)
    assert out["neg"]["sign"] == -1 and out["huge"]["sign"] == 1
    assert out["inf"] is None and out["nan"] is None and out["t"] == [1, 2]


def test_jsonable_numpy_and_limit_edge():
    import numpy as np

    assert jsonable({"a": np.int64(3), "b": np.array([1.5, np.inf])}) == {"a": 3, "b": [1.5, None]}
    edge = 10**JSON_EXACT_DIGITS - 1  # exactly JSON_EXACT_DIGITS digits: stays exact
    assert jsonable(edge) == edge and isinstance(jsonable(edge * 10), dict)
    with pytest.raises(TypeError):
        jsonable(object())


def test_load_json_results_one_reader_for_both_results_files(tmp_path):
    import json

    from tnrnn._io import load_json_results
    from tnrnn.linear.experiments import load_results as load_linear
    from tnrnn.tasks.experiment import RESULTS_FORMAT
    from tnrnn.tasks.experiment import load_results as load_memory

    given = {"anything": 1}
    assert load_json_results(given, formats=("x",), keys=("y",)) is given
    files = {
        "memory": {"format": RESULTS_FORMAT, "runs": []},
        "linear": {"settings": {}, "ntk": {}},
        "list": [1, 2],
        "broken": None,
    }
    for stem, content in files.items():
        text = "{not json" if content is None else json.dumps(content)
        (tmp_path / f"{stem}.json").write_text(text)
    assert load_memory(tmp_path / "memory.json") == files["memory"]
    assert load_linear(tmp_path / "linear.json") == files["linear"]
    wrong_files = ((load_memory, "linear"), (load_linear, "memory"), (load_memory, "list"), (load_linear, "broken"))
    for loader, wrong in wrong_files:
        with pytest.raises(ArgumentError) as info:
            loader(tmp_path / f"{wrong}.json")
        assert info.value.name == "results" and f"{wrong}.json" in str(info.value)


def test_every_json_writer_follows_one_policy():
    """Tables, atlas exports and results files go through `tnrnn._io.strict_json`: no NaN/Infinity, exact ints."""
    from tnrnn.atlas import format_rows
    from tnrnn.table import COLUMNS, format_table

    def refuse(constant):
        raise AssertionError(f"non-strict JSON: {constant}")

    row = {k: None for k in COLUMNS} | {"rank": 10**5000, "failure_bound": float("nan"), "N": [3, 3]}
    for text in (format_table([row], "json"), format_rows([row], "json", columns=("rank", "failure_bound"))):
        (got,) = json.loads(text, parse_constant=refuse)
        assert got["failure_bound"] is None and got["rank"]["digits"] == 5001
