"""`tnrnn._types`: the shared validators (seeds, floats, partitions) and the memory budget."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from tnrnn import ArgumentError, MemoryRefusal, _types, parse_partition
from tnrnn._types import MAX_PARTITION_T, available_memory_bytes, check_float, check_seed, refuse_count

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.mark.parametrize("seed", [0, 7, np.int64(3), 2**63 - 1])
def test_seeds_accepted(seed):
    assert check_seed(seed) == int(seed)


@pytest.mark.parametrize("seed", [-1, 1.0, True, "3", None, 2**63, np.float64(2)])
def test_seeds_refused(seed):
    with pytest.raises(ArgumentError) as info:
        check_seed(seed)
    assert info.value.name == "seed"


def test_check_float_ranges():
    assert check_float("lr", 0.5, minimum=0, maximum=1, open_min=True) == 0.5
    assert check_float("lr", 1, minimum=0, maximum=1, open_min=True) == 1.0
    for bad in (0, -1, 1.5, float("inf"), float("nan"), "0.1", None, True):
        with pytest.raises(ArgumentError, match="0 < x <= 1"):
            check_float("lr", bad, minimum=0, maximum=1, open_min=True)


@pytest.mark.parametrize(
    "partition",
    [
        ((1.0, 2), (3, 4)),  # a float entry
        ((True, 2), (3, 4)),  # a bool entry
        (("1", "2"), (3, 4)),  # strings of digits inside sequences
        ("12", (3, 4)),  # a string as a side
        ((1, 2), (3, 4), ()),  # three sides
        {1: 2, 3: 4},  # not a sequence
        np.array([1, 2, 3, 4]),  # an array of the wrong shape
        np.zeros((3, 2), dtype=int),
        np.array([[1.0, 2.0], [3.0, 4.0]]),  # a float array
        (np.array([[1], [2]]), np.array([3, 4])),  # a 2-D side
        "1,2;3,x",
        "1.5,2;3,4",
        "1,,2;3,4",
        "1, 2 ;3;4",
        "+1,2;3,4",
        "1,2;3,4,5",
        "",
        3,
        None,
    ],
)
def test_parse_partition_refuses_bad_entries(partition):
    with pytest.raises(ArgumentError) as info:
        parse_partition(partition, 4)
    assert info.value.name == "partition"


def test_parse_partition_accepts_integer_forms():
    want = ((1, 2), (3, 4))
    for given in (
        "1,2;3,4",
        " 1, 2 ; 3 ,4",
        ([1, 2], [3, 4]),
        ((np.int64(2), 1), range(3, 5)),
        np.array([[1, 2], [3, 4]]),
        (np.array([1, 2]), np.array([4, 3], dtype=np.uint8)),
    ):
        part = parse_partition(given, 4)
        assert (part.A, part.B) == want


def test_parse_partition_refuses_huge_T_without_allocating():
    with pytest.raises(ArgumentError, match="at most") as info:
        parse_partition("start-end", 10**18)
    assert info.value.name == "T" and MAX_PARTITION_T < 10**18


def _write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as fh:
        fh.write(text)


def test_cgroup_v2_and_v1_limits(tmp_path):
    v2 = tmp_path / "v2"
    _write(str(v2 / "memory.max"), "1000000\n")
    _write(str(v2 / "memory.current"), "400000\n")
    assert _types._cgroup_left(str(v2)) == 600_000
    _write(str(v2 / "memory.max"), "max\n")
    assert _types._cgroup_left(str(v2)) is None
    v1 = tmp_path / "v1"
    _write(str(v1 / "memory" / "memory.limit_in_bytes"), "3000000\n")
    _write(str(v1 / "memory" / "memory.usage_in_bytes"), "1000000\n")
    assert _types._cgroup_left(str(v1)) == 2_000_000
    _write(str(v1 / "memory" / "memory.limit_in_bytes"), str(2**63 - 4096))  # v1 "unlimited"
    assert _types._cgroup_left(str(v1)) is None


def test_budget_takes_the_least_of_the_limits(tmp_path, monkeypatch):
    root = tmp_path / "cg"
    _write(str(root / "memory.max"), str(50 * 2**20))
    _write(str(root / "memory.current"), str(10 * 2**20))
    monkeypatch.setattr(_types, "CGROUP_ROOT", str(root))
    assert available_memory_bytes() == 40 * 2**20
    with pytest.raises(MemoryRefusal, match="GiB") as info:
        refuse_count("T", 99, "nodes", 10**6, 1024)  # 1 GB against a 20 MiB budget
    assert info.value.name == "T" and info.value.value == 99
    refuse_count("T", 99, "nodes", 1000, 1024)  # 1 MB fits


def test_budget_respects_rlimit_as():
    limit = 3 * 2**30
    code = (
        "import resource\n"
        f"resource.setrlimit(resource.RLIMIT_AS, ({limit}, {limit}))\n"
        "from tnrnn._types import available_memory_bytes, _rlimit_as_left\n"
        "left = _rlimit_as_left()\n"
        f"assert left is not None and 0 < left < {limit}, left\n"
        "assert available_memory_bytes() <= left\n"
    )
    env = {**os.environ, "PYTHONPATH": ROOT}
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
