"""Terminal manners of ``tnrnn``: help texts, progress bars, lean imports, no fork warning, one memory lag."""

import argparse
import io
import json
import subprocess
import sys
import textwrap

import pytest

from tnrnn import _progress
from tnrnn.cli import build_parser, main
from tnrnn.linear import lag_weight_summary, memory_lag, peak_lag
from tnrnn.testing import child_env

RANK = ["rank", "--M", "2", "--R", "2", "--L", "2", "--T", "4", "--domain", "continuous", "--no-cache"]
TABLE = ["table", "--L", "1", "--M", "2", "--R", "2", "--T", "2", "--domain", "onehot", "--no-cache"]


def _parsers(parser, path=("tnrnn",)):
    """Every parser below ``parser`` (verbs and their sub-verbs), with its command words."""
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                yield from _parsers(child, (*path, name))


def test_help_texts_show_each_default_once_and_never_none():
    seen = 0
    for path, parser in _parsers(build_parser()):
        text = " ".join(parser.format_help().split())  # wrapped lines joined
        assert "(default: None)" not in text and "(default: False)" not in text, " ".join(path)
        formatter = parser._get_formatter()
        for action in parser._actions:
            if action.help in (None, argparse.SUPPRESS):
                continue
            expanded = formatter._expand_help(action)
            assert expanded.count("default") <= 1, (path, action.option_strings, expanded)
            seen += "(default: " in expanded
    assert seen > 20  # the defaults that mean something are still shown


def test_list_defaults_read_as_the_flag_takes_them(capsys):
    with pytest.raises(SystemExit):
        main(["table", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "(default: 2,4,6)" in text and "(default: onehot,continuous)" in text


class _Stream(io.StringIO):
    def __init__(self, tty):
        super().__init__()
        self.tty = tty

    def isatty(self):
        return self.tty


@pytest.mark.parametrize("tty", [True, False])
def test_progress_bars_follow_the_terminal_unless_asked(monkeypatch, tty):
    monkeypatch.delitem(sys.modules, "ipykernel", raising=False)
    stream = _Stream(tty)
    monkeypatch.setattr(sys, "stderr", stream)
    assert _progress.show_progress(None) is tty
    assert _progress.show_progress(True) is True and _progress.show_progress(False) is False
    assert list(_progress.progress_bar(range(3), desc="x")) == [0, 1, 2]  # shown or not, the items pass through
    bar = _progress.progress_bar(total=3, desc="x", progress=None)
    bar.update(1)
    bar.set_postfix_str("y")
    bar.close()
    assert ("\r" in stream.getvalue()) is tty


@pytest.mark.parametrize("argv", [RANK, TABLE], ids=["rank", "table"])
def test_redirected_stderr_gets_no_carriage_returns(capsys, argv):
    assert main([*argv, "--json"]) == 0
    assert "\r" not in capsys.readouterr().err
    assert main([*argv, "--json", "--progress"]) == 0  # asked for: the bar is drawn (the check above can fail)
    assert "\r" in capsys.readouterr().err


def test_rank_piped_from_a_child_has_no_carriage_returns():
    proc = subprocess.run(
        [sys.executable, "-m", "tnrnn", *RANK], env=child_env(), capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr
    assert "\r" not in proc.stderr and "rank" in proc.stdout


_BOUNDS = """
import json, sys
from tnrnn.cli import main
assert main(["bounds", "--M", "2", "--R", "3", "--L", "2", "--T", "6", "--json"]) == 0
print(json.dumps(sorted(m for m in ("numpy", "jax", "jaxlib", "scipy", "networkx") if m in sys.modules)))
"""


def test_bounds_held_by_the_atlas_import_neither_numpy_nor_jax(tmp_path):
    env = {**child_env(), "TNRNN_ATLAS": str(tmp_path / "atlas.sqlite")}
    outputs = []
    for _ in range(2):  # the first computes the min-cuts (numpy, scipy), the second reads them from the atlas
        proc = subprocess.run([sys.executable, "-c", _BOUNDS], env=env, capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stderr
        *summary, loaded = proc.stdout.strip().splitlines()
        outputs.append((json.loads("\n".join(summary)), json.loads(loaded)))
    (first, loaded_first), (second, loaded_second) = outputs
    assert "numpy" in loaded_first  # the check can fail
    assert loaded_second == []
    assert first == second and first["min_cut"] is not None and first["min_cut_onehot"] is not None


def test_bounds_without_the_atlas_gives_the_same_min_cuts(capsys):
    from tnrnn.cuts import start_end_min_cut

    assert main(["bounds", "--M", "2", "--R", "3", "--L", "2", "--T", "6", "--json", "--no-cache"]) == 0
    out = json.loads(capsys.readouterr().out)
    for key, domain in (("min_cut", "continuous"), ("min_cut_onehot", "onehot")):
        assert out[key] == start_end_min_cut(2, 3, 2, 6, domain=domain).bound


_COTENGRA = """
import warnings
warnings.simplefilter("default")
import jax, numpy as np, cotengra as ctg
import tnrnn
from tnrnn.interop import to_cotengra
jax.config.update("jax_enable_x64", True)
model = tnrnn.init_rac(3, 2, 2, key=jax.random.PRNGKey(0))
xs = np.random.default_rng(0).normal(size=(6, 3))
inputs, output, size_dict, arrays = to_cotengra(model, xs)
y = ctg.array_contract(arrays, inputs, output, size_dict=size_dict, optimize="greedy")  # as the docstring shows
assert np.allclose(y, np.asarray(tnrnn.rac_forward(model, xs)))
"""


def test_cotengra_export_as_documented_prints_no_fork_warning():
    pytest.importorskip("cotengra")
    from tnrnn import interop

    assert 'optimize="greedy"' in interop.to_cotengra.__doc__  # the test runs what the docstring shows
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(_COTENGRA)], env=child_env(), capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr
    assert "fork" not in proc.stderr, proc.stderr


@pytest.mark.parametrize("rho2", [0.25, 0.81, 0.95, 0.99])
def test_cli_and_api_give_the_same_lags(capsys, rho2):
    assert main(["linear", "lag-weights", "--rho2", str(rho2), "--json"]) == 0  # the default J = 20 lags listed
    out = json.loads(capsys.readouterr().out)
    assert out["memory_lag_1pct"] == memory_lag(rho2=rho2) and out["memory_lag_1pct"] is not None
    assert out["peak_lag"] == peak_lag(rho2=rho2)
    if rho2 == 0.95:
        assert out["memory_lag_1pct"] > out["J"]  # the case of the issue: beyond the lags listed


def test_summary_of_weights_that_do_not_decay():
    s = lag_weight_summary(6, rho2=1.0)
    assert s["peak_lag"] is None and s["memory_lag_1pct"] is None and s["memory_constant"] is None
    assert len(s["beta2"]) == 7
