"""`tnrnn figures`: every registered figure is written (PNG + PDF) in quick mode, through the CLI."""

import contextlib
import io
import json
import os
import runpy
import subprocess
import sys

import matplotlib
import pytest

matplotlib.use("Agg")

from tnrnn import cli  # noqa: E402
from tnrnn.figures import FIGURES, FigureUnavailable, figure_names, make_figures  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

#: figures that read an experiment's results file
NEEDS_RESULTS = {"memory_accuracy", "linear_experiments"}


#: what the quick run saw of every figure before it was saved: name -> texts showing raw TeX, font sizes
SEEN = {}


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    """One ``tnrnn figures --quick --json`` run (in process), with an empty results folder.

    Every figure is inspected as it is saved (`SEEN`): its texts that show raw TeX outside mathtext
    (`tnrnn.style.unrendered_maths`) and the sizes of its texts.
    """
    import tnrnn.figures
    from tnrnn.style import unrendered_maths

    save = tnrnn.figures._base._save

    def inspecting_save(fig, out_dir, name, **kw):
        from matplotlib.text import Text

        texts = [t for t in fig.findobj(Text) if t.get_text() and t.get_visible()]
        SEEN[name] = {"raw": unrendered_maths(fig), "sizes": [t.get_fontsize() for t in texts]}
        return save(fig, out_dir, name, **kw)

    out = tmp_path_factory.mktemp("figs")
    empty = tmp_path_factory.mktemp("results")
    buf, err = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(tnrnn.figures._base, "_save", inspecting_save)
        with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(err):
            code = cli.main(["figures", "--out", str(out), "--quick", "--json", "--results", str(empty)])
    assert code == 0
    return out, json.loads(buf.getvalue()), err.getvalue()


def test_cli_returns_the_written_files(quick_run):
    out, res, _ = quick_run
    assert res["quick"] is True
    assert res["files"] and all(os.path.dirname(p) == str(out) for p in res["files"])
    on_disk = sorted(os.path.join(out, f) for f in os.listdir(out))
    assert sorted(res["files"]) == on_disk


def test_every_figure_is_written_as_png_and_pdf(quick_run):
    out, res, _ = quick_run
    made = {f["name"]: f["files"] for f in res["figures"]}
    assert set(made) == set(figure_names()) - NEEDS_RESULTS
    for name, files in made.items():
        exts = sorted(os.path.splitext(p)[1] for p in files)
        assert exts == [".pdf", ".png"], name
        for p in files:
            assert os.path.getsize(p) > 1000, p
        with open(files[0] if files[0].endswith(".png") else files[1], "rb") as fh:
            assert fh.read(8) == b"\x89PNG\r\n\x1a\n"
        assert made[name] and FIGURES[name].caption


def test_every_figure_writes_its_maths_as_mathtext(quick_run):
    """No label of any figure shows raw TeX (``M^{T/2}``, ``σ_C²``, ``β_j``) outside ``$...$``."""
    _, res, _ = quick_run
    made = {f["name"] for f in res["figures"]}
    assert made and {n.split("fig_", 1)[-1] for n in SEEN} >= made - {"memory_accuracy"}
    for name, seen in SEEN.items():
        assert seen["raw"] == [], name


def test_figure_labels_are_legible(quick_run):
    """Every text of every figure is at least 8 pt at the saved size (mathtext sub/superscripts aside)."""
    for name, seen in SEEN.items():
        assert seen["sizes"] and min(seen["sizes"]) >= 8, name


def test_the_maths_check_finds_raw_tex():
    import matplotlib.pyplot as plt

    from tnrnn.style import unrendered_maths

    fig, ax = plt.subplots()
    ax.set_title("rank $\\leq M^{T/2}$")  # mathtext: fine
    ax.set_xlabel("lag $j$")
    assert unrendered_maths(fig) == []
    for raw in ("M^{T/2}", "σ_C² = 1", "β_j² / β_0²", "W^H u", "(a + b)^2", "rank ≤ 2^135", "L_j − L_j(0)"):
        ax.set_ylabel(raw)
        assert unrendered_maths(fig) == [raw], raw
    ax.set_ylabel("file ses_gru_capacity.json, 5 seeds")  # an underscore in a name is not maths
    assert unrendered_maths(fig) == []
    plt.close(fig)


def test_missing_results_are_reported_not_faked(quick_run):
    out, res, err = quick_run
    skipped = {s["name"]: s["reason"] for s in res["skipped"]}
    assert set(skipped) == NEEDS_RESULTS
    for name in NEEDS_RESULTS:
        assert f"left out {name}" in err
        assert not any(
            os.path.basename(p).startswith(f"fig_{name.split('_')[0]}_") for p in res["files"] if "lag_weights" not in p
        )


def test_memory_figure_reads_every_memory_results_file(tmp_path, monkeypatch):
    """Fast wiring check: files of the memory-results format are found, others ignored, one figure per file."""
    import matplotlib.pyplot as plt

    import tnrnn.plots
    from tnrnn.tasks.experiment import RESULTS_FORMAT

    seen = []

    def fake_plot(results, ax=None):
        seen.append(os.path.basename(results))
        return plt.subplots()

    monkeypatch.setattr(tnrnn.plots, "plot_memory_accuracy", fake_plot)
    for stem in ("copy", "ses"):
        (tmp_path / f"{stem}.json").write_text(json.dumps({"format": RESULTS_FORMAT}))
    (tmp_path / "linear.json").write_text('{"mode": "full"}')
    out = make_figures(
        tmp_path / "out", quick=True, only=["memory_accuracy"], results_dir=str(tmp_path), progress=False
    )
    assert seen == ["copy.json", "ses.json"]
    assert [os.path.basename(p) for p in out["files"]] == [
        "fig_memory_copy.png",
        "fig_memory_copy.pdf",
        "fig_memory_ses.png",
        "fig_memory_ses.pdf",
    ]


@pytest.mark.slow
def test_memory_figure_is_wired_to_a_results_file(tmp_path):
    """A real (quick) memory-task results file in the results folder gives one figure per file."""
    from tnrnn.tasks.experiment import run_experiment, save_results

    res = run_experiment("ses", values=[6, 8], depths=[1, 2], seeds=[0], quick=True, progress=False)
    save_results(res, tmp_path / "ses.json")
    (tmp_path / "other.json").write_text('{"format": "something else"}')
    out = make_figures(
        tmp_path / "out", quick=True, only=["memory_accuracy"], results_dir=str(tmp_path), progress=False
    )
    assert [os.path.basename(p) for p in out["files"]] == ["fig_memory_ses.png", "fig_memory_ses.pdf"]


def test_unavailable_figure_raises_with_a_reason(tmp_path):
    with pytest.raises(FigureUnavailable, match="linear.json"):
        FIGURES["linear_experiments"].func(str(tmp_path), quick=True, results_dir=str(tmp_path))


def test_unknown_figure_name(tmp_path):
    from tnrnn import ArgumentError

    with pytest.raises(ArgumentError, match="only"):
        make_figures(tmp_path, quick=True, only=["nope"], progress=False)


def test_console_entry_point(tmp_path):
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "tnrnn",
            "figures",
            "--out",
            str(tmp_path),
            "--quick",
            "--json",
            "--no-progress",
            "--only",
            "computation_graph",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    res = json.loads(proc.stdout)
    assert sorted(res["files"]) == sorted(str(tmp_path / f"fig_computation_graph.{e}") for e in ("png", "pdf"))


def test_every_figure_has_a_thin_script():
    for name in figure_names():
        path = os.path.join(ROOT, "figures", f"fig_{name}.py")
        assert os.path.exists(path), path
        text = open(path).read()
        assert f"from tnrnn.figures import fig_{name}" in text and "def main(out_dir" in text


def test_script_main_writes_the_figure(tmp_path):
    mod = runpy.run_path(os.path.join(ROOT, "figures", "fig_tn_onehot.py"))
    paths = mod["main"](str(tmp_path), quick=True)
    assert [os.path.basename(p) for p in paths] == ["fig_tn_onehot.png", "fig_tn_onehot.pdf"]


def test_linear_figures_from_the_committed_results(tmp_path):
    results = os.path.join(ROOT, "results")
    if not os.path.exists(os.path.join(results, "linear.json")):
        pytest.skip("results/linear.json not committed")
    paths = FIGURES["linear_experiments"].func(str(tmp_path), quick=True, results_dir=results)
    assert paths and all(os.path.getsize(p) > 1000 for p in paths)
    assert {os.path.splitext(p)[1] for p in paths} == {".png", ".pdf"}


def test_empty_figure_list_and_bad_out_fail_before_any_work(tmp_path):
    from tnrnn import ArgumentError

    with pytest.raises(ArgumentError) as info:
        make_figures(str(tmp_path / "a"), only=[], progress=False)
    assert info.value.name == "only"
    (tmp_path / "file").write_text("")
    calls = []
    with pytest.raises(ArgumentError) as info:
        make_figures(str(tmp_path / "file"), only=["computation_graph"], progress=False, log=calls.append)
    assert info.value.name == "out_dir" and calls == []
    assert sorted(os.listdir(tmp_path)) == ["file"]


def test_each_figure_is_declared_next_to_its_function():
    """`tnrnn.figures.FIGURES` is a Registry filled by the ``@figure`` decorator in the subject module of each one."""
    import inspect

    import tnrnn.figures as F
    from tnrnn._registry import Registry

    assert isinstance(F.FIGURES, Registry) and F.figure_names() == F.FIGURES.names()
    for name, fig in F.FIGURES.items():
        module = inspect.getmodule(fig.func)
        assert module.__name__ in ("tnrnn.figures.diagrams", "tnrnn.figures.ranks", "tnrnn.figures.experiments")
        source = inspect.getsource(module)
        assert f'@figure(\n    "{name}",' in source, name  # the declaration sits on the function
        assert getattr(F, fig.func.__name__) is fig.func  # still importable from tnrnn.figures
