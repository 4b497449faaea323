import math

import jax
import numpy as np
import pytest

from tnrnn import ArgumentError
from tnrnn.bounds import (
    alphabet_upper_bound,
    conjectured_lower_bound,
    depth2_lower_bound,
    proven_upper_bounds,
    shallow_rank,
)
from tnrnn.rac import init_rac, largest_primes_below, rac_forward
from tnrnn.rank import (
    BLAS_PRIME_BOUND,
    grid_tensor,
    separation_rank,
)
from tnrnn.testing import assert_close

# Notes §7.3: (L, M, R) -> generic (continuous) and one-hot ranks for T = 2, 4, 6, 8 (None = not computed there)
TABLE = {
    (2, 2, 2): ([2, 6, 8, 10], [2, 4, 8, 10]),
    (2, 2, 3): ([2, 6, 24, 42], [2, 4, 8, 16]),
    (2, 2, 4): ([2, 6, 24, 120], [2, 4, 8, 16]),
    (2, 3, 2): ([2, 6, 8, 10], [2, 6, 8, 10]),
    (2, 3, 3): ([3, 18, 30, 45], [3, 9, 27, 45]),
    (2, 3, 4): ([3, 18, 76, 136], [3, 9, 27, 81]),
    (3, 2, 2): ([2, 8, 52, 106], [2, 4, 8, 16]),
    (3, 2, 3): ([2, 8, 56, 616], [2, 4, 8, 16]),
    (3, 2, 4): ([2, 8, 56, 616], [2, 4, 8, 16]),
    (3, 3, 2): ([2, 8, 52, 106], [2, 6, 18, 54]),
    (3, 3, 3): ([3, 30, 759, None], [3, 9, 27, 81]),
    (3, 3, 4): ([3, 30, 840, None], [3, 9, 27, 81]),
}
FAST = {(L, M, R): v for (L, M, R), v in TABLE.items() if L == 2 or (M, R) == (2, 2)}
SLOW = {k: v for k, v in TABLE.items() if k not in FAST}

# Notes §7.3 extra measured points (continuous inputs): (M, R, T, L) -> rank
EXTRA = {
    (2, 2, 10, 2): 12,
    (3, 3, 10, 2): 63,
    (2, 3, 10, 2): 60,
    (4, 4, 8, 2): 140,
    (2, 2, 10, 3): 188,
    (4, 4, 4, 3): 80,
}
EXTRA_SLOW = {(4, 4, 10, 2): 224, (2, 4, 10, 2): 200, (3, 4, 10, 2): 220, (4, 3, 6, 3): 759}


def _check_table_row(key, cols):
    L, M, R = key
    generic, onehot = cols
    for T, g, o in zip((2, 4, 6, 8), generic, onehot, strict=True):
        if g is not None:
            assert separation_rank(M, R, L, T, domain="continuous").rank == g, (L, M, R, T)
        assert separation_rank(M, R, L, T, domain="onehot").rank == o, (L, M, R, T)


@pytest.mark.parametrize(("key", "cols"), list(FAST.items()))
def test_notes_table(key, cols):
    _check_table_row(key, cols)


@pytest.mark.slow
@pytest.mark.parametrize(("key", "cols"), list(SLOW.items()))
def test_notes_table_slow(key, cols):
    _check_table_row(key, cols)


@pytest.mark.parametrize(("sizes", "expected"), list(EXTRA.items()))
def test_notes_extra_points(sizes, expected):
    M, R, T, L = sizes
    assert separation_rank(M, R, L, T, domain="continuous").rank == expected


@pytest.mark.slow
@pytest.mark.parametrize(("sizes", "expected"), list(EXTRA_SLOW.items()))
def test_notes_extra_points_slow(sizes, expected):
    M, R, T, L = sizes
    assert separation_rank(M, R, L, T, domain="continuous").rank == expected


@pytest.mark.parametrize("domain", ["onehot", "continuous"])
def test_shallow_theorem(domain):
    """Theorem 1(1): exact rank == min(R, M^{T/2}) for every M, R <= 4, T in {2,4,6,8}."""
    for M in range(1, 5):
        for R in range(1, 5):
            for T in (2, 4, 6, 8):
                assert separation_rank(M, R, 1, T, domain=domain).rank == shallow_rank(M, R, T), (M, R, T)


def test_depth2_sandwich_seeded_sweep():
    rng = np.random.default_rng(2024)
    for _ in range(12):
        M, R = (int(v) for v in rng.integers(1, 5, 2))
        T = int(rng.choice([2, 4, 6, 8]))
        for domain in ("onehot", "continuous"):
            res = separation_rank(M, R, 2, T, domain=domain, seed=int(rng.integers(1000)))
            assert depth2_lower_bound(M, R, T) <= res.rank, (M, R, T, domain)
            assert res.rank <= min(proven_upper_bounds(M, R, 2, T, domain=domain).values()), (M, R, T, domain)


def test_deep_rank_below_every_proven_bound():
    rng = np.random.default_rng(7)
    for _ in range(10):
        M, R = (int(v) for v in rng.integers(1, 4, 2))
        L = int(rng.integers(3, 5))
        T = int(rng.choice([2, 4, 6]))
        for domain in ("onehot", "continuous"):
            res = separation_rank(M, R, L, T, domain=domain)
            for name, bound in proven_upper_bounds(M, R, L, T, domain=domain).items():
                assert res.rank <= bound, (M, R, L, T, domain, name)
            if domain == "continuous":  # notes §3.4 D4: never below the conjecture
                assert res.rank >= conjectured_lower_bound(M, R, L, T)


def test_continuous_exceeds_alphabet_bound():
    """Notes §2.6: a deep RAC over continuous inputs exceeds M^{T/2} (M=2, R=3, T=8, L=2 gives 42 > 16)."""
    cont = separation_rank(2, 3, 2, 8, domain="continuous").rank
    onehot = separation_rank(2, 3, 2, 8, domain="onehot").rank
    assert onehot == alphabet_upper_bound(2, 8) < cont


def test_svd_undercounts_where_exact_does_not():
    """M=R=2, T=8, L=2 has exact rank 10; float64 SVD reports fewer (why the exact engine is the default)."""
    svd = separation_rank(2, 2, 2, 8, domain="continuous", method="svd")
    exact = separation_rank(2, 2, 2, 8, domain="continuous")
    assert exact.rank == 10
    assert svd.rank < exact.rank
    assert svd.method == "svd" and "under-counts" in svd.note
    s = np.asarray(svd.singular_values)
    assert s[0] / s[exact.rank - 1] > 1e15  # the spectrum spans many orders of magnitude


def test_certificate_and_determinism():
    a = separation_rank(2, 3, 2, 8, domain="continuous", seed=11, n_seeds=3, confidence="fast")
    b = separation_rank(2, 3, 2, 8, domain="continuous", seed=11, n_seeds=3, confidence="fast")
    assert a == b
    assert a.method == "modp" and a.domain == "continuous"
    assert a.seeds == [11, 12, 13] and len(a.primes) == 3 and len(set(a.primes)) == 3
    c = separation_rank(2, 3, 2, 8, domain="continuous", seed=11)  # certified: a prime field, then GF(p^2)
    assert c == separation_rank(2, 3, 2, 8, domain="continuous", seed=11)
    assert c.seeds[:2] == [11, 12] and c.extra["fields"][0] == f"GF({c.primes[0]})"
    assert c.extra["fields"][1] == f"GF({c.primes[1]}^2)" and c.primes[1] % 4 == 3
    assert a.rank == max(a.ranks) and a.N[0] > a.rank
    d = a.to_dict()
    for k in ("rank", "M", "R", "L", "T", "domain", "method", "primes", "seeds", "N", "shape"):
        assert k in d


def test_early_stop_at_proven_bound():
    res = separation_rank(2, 2, 1, 8, domain="continuous", n_seeds=5)
    assert res.rank == res.upper_bound == 2 and len(res.seeds) == 1


@pytest.mark.parametrize("partition", ["interleaved", "1,2,5;3,4,6", ((1, 6), (2, 3, 4, 5))])
def test_other_partitions(partition):
    M, R = 2, 3
    shallow = separation_rank(M, R, 1, 6, domain="continuous", partition=partition)
    # an MPS cut for a partition crosses (number of A/B boundaries) bonds of dimension R
    assert shallow.rank <= min(proven_upper_bounds(M, R, 1, 6, domain="continuous", partition=partition).values())
    deep = separation_rank(M, R, 2, 6, domain="continuous", partition=partition)
    assert deep.rank <= min(proven_upper_bounds(M, R, 2, 6, domain="continuous", partition=partition).values())


def test_interleaved_shallow_exceeds_start_end():
    """The interleaved partition crosses every bond of the MPS, so a shallow RAC reaches more than R."""
    se = separation_rank(2, 2, 1, 6, domain="onehot").rank
    inter = separation_rank(2, 2, 1, 6, domain="onehot", partition="interleaved").rank
    assert se == 2 < inter


def test_grid_tensor_matches_forward():
    model = init_rac(2, 3, 2, key=jax.random.PRNGKey(0))
    G = grid_tensor(model, 4)
    assert G.shape == (2, 2, 2, 2)
    xs = jax.nn.one_hot(np.array([1, 0, 1, 1]), 2)
    assert_close(G[1, 0, 1, 1], rac_forward(model, xs)[0])


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"T": 5}, "T"),
        ({"M": 0}, "M"),
        ({"R": -1}, "R"),
        ({"L": 0}, "L"),
        ({"domain": "binary"}, "domain"),
        ({"method": "qr"}, "method"),
        ({"partition": "1,2;2,3"}, "partition"),
        ({"partition": "1,2;3,9"}, "partition"),
        ({"partition": ";1,2,3,4"}, "partition"),
        ({"partition": "1,2,3"}, "partition"),
    ],
)
def test_bad_arguments(kwargs, name):
    args = {"M": 2, "R": 2, "L": 2, "T": 4, "domain": "continuous"} | kwargs
    with pytest.raises(ArgumentError, match=f"^{name}="):
        separation_rank(args.pop("M"), args.pop("R"), args.pop("L"), args.pop("T"), **args)


def test_large_grid_is_sampled_not_built():
    """An 8^10 x 8^10 grid: a sample of distinct rows and columns reaches the proven cap, so nothing else is built."""
    res = separation_rank(8, 2, 2, 20, domain="onehot")
    assert res.status == "proven" and res.rank == res.upper_bound and max(res.N) <= 1024


# ---------------------------------------------------------------------------------------------------------------
# float64 block elimination modulo a small prime (`blas_modular_rank`) against FLINT


def _top_prime(panel):
    """The largest prime the block path accepts for this panel width (``panel * ((p-1)/2 + 2)^2 + p <= 2^52``)."""
    from tnrnn.rac import _is_prime

    p = 2 * math.isqrt(2**52 // panel) - 3
    while not (_is_prime(p) and panel * ((p - 1) // 2 + 2) ** 2 + p <= 2**52):
        p -= 1
    return p


P21 = largest_primes_below(BLAS_PRIME_BOUND, 1)[0]
