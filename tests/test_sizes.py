"""`tnrnn.sizes`: one size model for every verb; every numeric flag at 10^12 is refused at once, or is a legitimate
value (a seed, a time limit, a threshold, a filter)."""

from __future__ import annotations

import math
import time

import pytest

from tnrnn import ArgumentError, MemoryRefusal, parse_partition
from tnrnn import sizes as sz
from tnrnn.cells import cell_names
from tnrnn.cli import build_parser, main

BIG = str(10**12)
#: a refusal is one size computation: far below this, which only guards against work having started
REFUSED_WITHIN = 1.0
GiB = 2**30


@pytest.fixture
def memory(monkeypatch):
    """A fixed 16 GiB available (8 GiB may be used), so that the refusals do not depend on the machine."""
    monkeypatch.setattr(sz, "available_memory_bytes", lambda: 16 * GiB)
    return 8 * GiB


# --- the model ---------------------------------------------------------------------------------------------------


def test_model_sums_every_array_and_blames_the_largest(memory):
    m = sz.SizeModel("request")
    m.array("R", 7, "weights", (2, GiB), 2)  # 4 GiB
    m.array("T", 9, "matrix", (GiB, 3), 2)  # 6 GiB: together 10 GiB > 8
    assert m.nbytes == 10 * GiB
    with pytest.raises(MemoryRefusal, match=r"^T=9 .*matrix of 1073741824 x 3 entries .*6\.0 GiB.*10\.0 GiB in all"):
        m.refuse()
    small = sz.SizeModel("request").array("R", 7, "weights", (2, GiB), 2)
    assert small.refuse() == 4 * GiB  # alone it fits


def test_sizes_past_any_machine_are_written_as_powers_of_two(memory):
    m = sz.SizeModel("request").array("M", 10**400, "grid", (10**400, 10**400), 8)
    with pytest.raises(MemoryRefusal) as info:
        m.refuse(hints={"M": " (a hint)"})
    text = str(info.value)
    assert "about 2^1328.8 x about 2^1328.8 entries" in text and text.endswith("(a hint)") and len(text) < 1000


def test_loop_counts_have_limits():
    assert sz.check_loop("seeds", 3, "repetitions", 3, 4) == 3
    with pytest.raises(ArgumentError, match=r"^seeds=5 .*at most 4 repetitions"):
        sz.check_loop("seeds", 5, "repetitions", 5, 4)


def test_worker_processes_must_fit(memory):
    fit = memory // sz.WORKER_BYTES
    assert sz.refuse_workers("jobs", fit, fit) == fit
    with pytest.raises(MemoryRefusal, match=f"at most {fit} worker processes"):
        sz.refuse_workers("jobs", fit + 1, fit + 1)


@pytest.mark.parametrize("name", cell_names())
def test_param_count_without_listing_layers_is_exact(name):
    from tnrnn.cells import make_cell

    for L in (1, 2, 4, 7):
        cell = make_cell(name, 3, 4, L)
        listed = sum(math.prod(s) for s in sz._leaf_shapes(cell.param_shapes()))
        assert sz.param_count(cell) == listed
    t0 = time.perf_counter()
    assert sz.param_count(make_cell(name, 2, 2, 10**12)) > 10**12  # no tuple of 10^12 shapes is built
    assert time.perf_counter() - t0 < REFUSED_WITHIN


def test_cap_lower_bound_is_below_every_proven_cap():
    """The O(1) lower bound used before the bounds are computed never exceeds the smallest proven bound."""
    from tnrnn.bounds import proven_upper_bounds

    for M in (1, 2, 3, 5):
        for R in (1, 2, 4):
            for L in (1, 2, 3, 4):
                for T in (2, 4, 6, 10):
                    for partition in ("start-end", "interleaved"):
                        part = parse_partition(partition, T)
                        cap = min(proven_upper_bounds(M, R, L, T, domain="continuous", partition=part).values())
                        assert sz.rac_cap_log2_lower(M, R, L, part) <= math.log2(cap), (M, R, L, T, partition)


def test_plan_counts_the_weights(memory):
    """`tnrnn rank --M 2 --R 50000 --L 2 --T 4` planned ~0 GiB and died of a MemoryError: its weights are 7.5e9."""
    from tnrnn.rank import plan

    with pytest.raises(MemoryRefusal, match=r"^R=50000 .*weights"):
        plan(2, 50000, 2, 4, domain="continuous")
    info = plan(2, 3, 2, 4, domain="continuous")
    from tnrnn.cells import make_cell

    weights = 16 * sz.param_count(make_cell("rac", 2, 3, 2))
    assert info["peak_bytes"] > 12 * info["shape"][0] ** 2 + weights  # the matrix, weights and work space


def test_plan_refuses_a_long_sequence_before_the_bounds(memory, monkeypatch):
    """T = 10^6 took 4.7 s of bound arithmetic before its refusal: now the O(1) lower bound refuses it."""
    import tnrnn.rank.engine as engine

    def no_bounds(*args, **kwargs):
        raise AssertionError("the proven bounds were computed before the refusal")

    monkeypatch.setattr(engine, "_cell_bounds", no_bounds)
    for domain in ("continuous", "onehot"):
        t0 = time.perf_counter()
        lower = r"^T=1000000 .* of at least .* need at least .*at least [\d.]+ GiB in all"  # sizes from a lower bound
        with pytest.raises(MemoryRefusal, match=lower):
            engine.plan(2, 2, 2, 10**6, domain=domain)
        assert time.perf_counter() - t0 < REFUSED_WITHIN


# --- every numeric flag of every verb at 10^12 -----------------------------------------------------------------

S = ["--M", "2", "--R", "2", "--L", "1", "--T", "4"]
TABLE = ["table", "--L", "1", "--M", "2", "--R", "2", "--T", "2", "--no-progress", "--no-cache"]
EXP = ["experiment", "ses", "--T", "8", "--out", "o", "--no-progress", "--quick"]
LAG = ["linear", "lag-weights", "--rho2", "0.5"]
ATLAS = ["atlas", "query", "--atlas", "a.sqlite"]


def _with(argv, flag, value=BIG):
    argv = list(argv)
    if flag in argv:
        argv[argv.index(flag) + 1] = value
    else:
        argv += [flag, value]
    return argv


def _sizes(verb, *extra):
    return [(verb, _with([verb, *S, *extra], f)) for f in ("--M", "--R", "--L", "--T")]


#: (case id, argv): each must exit 2 with one line, in well under a second
REFUSED = [
    *[(f"rank{a[a.index(BIG) - 1]}", a) for _, a in _sizes("rank", "--no-cache")],
    ("rank--seeds", _with(["rank", *S, "--no-cache"], "--seeds")),
    ("bounds--L", _with(["bounds", *S], "--L")),
    ("bounds--T", _with(["bounds", *S], "--T")),
    *[
        (f"{v}{f}", _with([v, *S, *(["--out", "x.svg"] if v == "draw" else [])], f))
        for v in ("cut", "network", "draw")
        for f in ("--L", "--T")
    ],
    *[(f"draw{f}", _with(["draw", *S, "--out", "x.svg"], f)) for f in ("--width", "--height", "--font-size")],
    *[
        (f"{v}--act-degree", [*argv, "--cell", "gru", "--act-degree", BIG])
        for v, argv in (
            ("rank", ["rank", *S, "--no-cache"]),
            ("bounds", ["bounds", *S]),
            ("cut", ["cut", *S]),
            ("network", ["network", *S]),
            ("draw", ["draw", *S, "--out", "x.svg"]),
            ("table", TABLE),
        )
    ],
    *[(f"table{f}", _with(TABLE, f)) for f in ("--L", "--M", "--R", "--T", "--jobs")],
    *[
        (f"experiment{f}", _with(EXP, f))
        for f in (
            "--depths",
            "--n",
            "--m",
            "--params",
            "--width",
            "--steps",
            "--min-steps",
            "--batch",
            "--lr",
            "--lr-A",
            "--lr-grid",
            "--pilot-steps",
            "--tune-at",
        )
    ],
    ("experiment--T", ["experiment", "ses", "--T", BIG, "--out", "o", "--no-progress"]),
    ("experiment--B", ["experiment", "copy", "--B", BIG, "--out", "o", "--no-progress"]),
    ("lag-weights--J", _with(LAG, "--J")),
]

#: (case id, argv, why 10^12 is a legitimate value): the verb's checks accept it, in well under a second
ACCEPTED = [
    ("rank--seed", _with(["rank", *S], "--seed"), "a seed is a label, not a size"),
    ("rank--timeout", _with(["rank", *S], "--timeout"), "a time limit"),
    ("rank--max-N", _with(["rank", *S], "--max-N"), "a cap: the proven bound (6) is the sample's side"),
    *[
        (f"{v}{f}", _with([v, *S, *(["--out", "x.svg"] if v == "draw" else [])], f), "structure only: a bond dimension")
        for v in ("bounds", "cut", "network", "draw")
        for f in ("--M", "--R")
    ],
    ("table--seed", _with(TABLE, "--seed"), "a seed"),
    ("table--timeout", _with(TABLE, "--timeout"), "a time limit per cell"),
    ("experiment--seeds", _with(EXP, "--seeds"), "seed values, one run each"),
    ("experiment--pilot-seeds", _with(EXP, "--pilot-seeds"), "seed values"),
    ("experiment--patience", _with(EXP, "--patience"), "a threshold: never stop early"),
    ("experiment--M-c", _with(EXP, "--M-c"), "not used by the ses task"),
    *[(f"lag-weights{f}", _with(LAG, f), "a variance: finite weights") for f in ("--rho2", "--sigma-c2", "--sigma-f2")],
    ("lag-weights--lr-scale", _with(LAG, "--lr-scale", f"{BIG},1,1"), "a relative rate"),
    *[
        (f"atlas{f}", _with(ATLAS, f), "a filter: selects no row")
        for f in ("--M", "--R", "--L", "--T", "--seed", "--N0", "--n-seeds", "--max-N", "--engine-version")
    ],
]


@pytest.fixture(scope="module")
def warm():
    """Import what the refusals use once, so that the timing below measures the checks, not the imports."""
    import tnrnn.atlas  # noqa: F401
    import tnrnn.build  # noqa: F401
    import tnrnn.cells  # noqa: F401
    import tnrnn.cuts  # noqa: F401
    import tnrnn.rank.engine  # noqa: F401
    import tnrnn.table  # noqa: F401


@pytest.mark.parametrize("argv", [a for _, a in REFUSED], ids=[i for i, _ in REFUSED])
def test_every_size_flag_at_10_12_is_refused_at_once(argv, warm, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    t0 = time.perf_counter()
    try:
        code = main(argv)
    except SystemExit as exc:
        code = exc.code
    seconds = time.perf_counter() - t0
    out, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert code == 2, err
    assert len(lines) == 1 and "Traceback" not in err and "internal error" not in err, err
    assert seconds < REFUSED_WITHIN, (seconds, err)
    assert out == "" and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("argv", [a for _, a, _ in ACCEPTED], ids=[i for i, _, _ in ACCEPTED])
def test_legitimate_values_at_10_12_pass_the_checks(argv, warm, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    args = build_parser(argv[0]).parse_args(argv)
    t0 = time.perf_counter()
    args.check(args)
    assert time.perf_counter() - t0 < REFUSED_WITHIN


def test_every_numeric_flag_is_listed():
    """Each numeric option of each verb appears in REFUSED or ACCEPTED (a new flag must be added to one)."""
    import argparse

    listed = {i for i, _ in REFUSED} | {i for i, _, _ in ACCEPTED}
    parser = build_parser()
    missing = []

    def numeric(action) -> bool:
        return action.type in (int, float) or getattr(action.type, "__name__", "") in ("_int_list", "_float_list")

    def walk(p, name):
        for action in p._actions:
            if isinstance(action, argparse._SubParsersAction):
                for verb, child in action.choices.items():
                    walk(child, verb)
            elif action.option_strings and numeric(action):
                verb = "atlas" if name in ("list", "query", "export") else name  # the same filters
                if f"{verb}{action.option_strings[0]}" not in listed:
                    missing.append(f"{name}{action.option_strings[0]}")

    walk(parser, "")
    assert missing == []
