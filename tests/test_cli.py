"""The ``tnrnn`` command's contract: one JSON object with --json; bad arguments exit 2 in one line."""

import json

import pytest

from tnrnn.cli import main


def _json(capsys, argv):
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1  # exactly one JSON object on one line
    return json.loads(out)


def test_rank_json(capsys):
    d = _json(capsys, ["rank", "--M", "2", "--R", "3", "--L", "2", "--T", "8", "--domain", "onehot", "--json"])
    assert d["rank"] == 16 and d["domain"] == "onehot" and d["method"] == "modp"
    assert (d["M"], d["R"], d["L"], d["T"]) == (2, 3, 2, 8)


def test_rank_partition_and_svd(capsys):
    d = _json(
        capsys,
        [
            "rank",
            "--M",
            "2",
            "--R",
            "2",
            "--L",
            "1",
            "--T",
            "6",
            "--partition",
            "interleaved",
            "--domain",
            "onehot",
            "--json",
        ],
    )
    assert d["partition"]["A"] == [1, 3, 5]
    d = _json(capsys, ["rank", "--M", "2", "--R", "2", "--L", "2", "--T", "8", "--method", "svd", "--json"])
    assert d["method"] == "svd" and len(d["singular_values"]) == d["N"][0]


def test_bounds_json(capsys):
    d = _json(capsys, ["bounds", "--M", "3", "--R", "3", "--L", "2", "--T", "8", "--json"])
    assert d["lower"] == 15 and d["state_upper"] == 45 and d["alphabet_upper"] == 81
    assert "Theorem 1(2)" in d["theorem"]
    from tnrnn.bounds import degree_upper_bound
    from tnrnn.cuts import start_end_min_cut

    assert (
        d["degree_upper"] == degree_upper_bound(3, 2, 8)
        and d["min_cut"] == start_end_min_cut(3, 3, 2, 8, domain="continuous").bound
    )


def test_table_formats(capsys, tmp_path):
    out = tmp_path / "t.csv"
    d = _json(
        capsys,
        [
            "table",
            "--L",
            "1,2",
            "--M",
            "2",
            "--R",
            "2",
            "--T",
            "4",
            "--format",
            "csv",
            "--out",
            str(out),
            "--no-progress",
            "--json",
        ],
    )
    assert len(d["rows"]) == 4
    lines = out.read_text().splitlines()
    assert lines[0].startswith("L,M,R,T,domain,rank") and len(lines) == 5
    assert (
        main(["table", "--L", "2", "--M", "2", "--R", "2", "--T", "4", "--domains", "continuous", "--no-progress"]) == 0
    )
    md = capsys.readouterr().out
    assert md.startswith("| L | M |") and "| 2 | 2 | 2 | 4 | continuous | 6 |" in md


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["rank", "--M", "2", "--R", "2", "--L", "2", "--T", "7"], "T=7"),
        (["rank", "--M", "0", "--R", "2", "--L", "2", "--T", "4"], "M=0"),
        (["rank", "--M", "2", "--R", "2", "--L", "2", "--T", "4", "--domain", "real"], "domain='real'"),
        (["rank", "--M", "2", "--R", "2", "--L", "2", "--T", "4", "--partition", "1,2;2,3"], "partition="),
        (["rank", "--M", "9", "--R", "9", "--L", "3", "--T", "20", "--domain", "onehot"], "GiB"),
        (["bounds", "--M", "2", "--R", "2", "--L", "0", "--T", "4"], "L=0"),
        (["table", "--T", "3", "--no-progress"], "T=3"),
        (["table", "--format", "xml", "--no-progress"], "format='xml'"),
        (["rank", "--M", "x", "--R", "2", "--L", "2", "--T", "4"], "--M"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(capsys, argv, needle):
    with pytest.raises(SystemExit) as exc:
        code = main(argv)
        raise SystemExit(code)
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and needle in err


def test_every_registered_verb_is_in_the_help_in_order():
    """The verbs are a registry (`tnrnn.cli.VERBS`): the DESIGN's list, declared in ``tnrnn --help`` in its order."""
    from tnrnn.cli import VERBS, build_parser
    from tnrnn.cli._args import HELP_ORDER

    design = {"rank", "bounds", "cut", "network", "table", "figures", "experiment", "linear", "draw", "atlas"}
    assert set(VERBS.names()) == design == set(HELP_ORDER)
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "verb")
    assert list(sub.choices) == list(HELP_ORDER)
    assert build_parser("cut") is not parser and "cut" in build_parser("cut").format_help()
