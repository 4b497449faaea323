"""Tests of tnrnn.tasks.data: the Start-End Similarity and Copying Memory generators and baselines."""

from __future__ import annotations

import math

import jax
import numpy as np
import pytest

from tnrnn.tasks import (
    SESTask,
    copy_baselines,
    copying_memory_batch,
    ses_baselines,
    ses_batch,
)

# --- Start-End Similarity data ------------------------------------------------------------------------------


#: the sizes the SES tests draw (one compilation of the jitted generator each); (5, 4, 8) has m = T/2
SES_SIZES = [(4, 3, 12), (5, 4, 8), (3, 6, 12), (8, 5, 20)]
#: one batch size for every SES draw, large enough for the frequency checks below
SES_BATCH = 30000


def _ses(n, m, T, seed):
    return tuple(np.asarray(a) for a in ses_batch(SES_BATCH, n=n, m=m, T=T, key=jax.random.key(seed)))


@pytest.mark.parametrize(("n", "m", "T"), SES_SIZES)
def test_ses_words_and_match_counts(n, m, T):
    x, y, matches = _ses(n, m, T, seed=0)
    half = T // 2
    assert x.shape == (SES_BATCH, T) and y.shape == (SES_BATCH,) and x.dtype == np.int32
    blank = x == n
    first_half, second_half = ~blank[:, :half], ~blank[:, half:]
    # one word of m consecutive symbols in each half, at the same offset
    assert np.array_equal(first_half, second_half)
    assert np.all(first_half.sum(axis=1) == m)
    starts = np.argmax(first_half, axis=1)
    idx = starts[:, None] + np.arange(m)[None, :]
    assert np.all(np.take_along_axis(first_half, idx, axis=1))
    w1 = np.take_along_axis(x, idx, axis=1)
    w2 = np.take_along_axis(x, idx + half, axis=1)
    assert np.all(w1 < n) and np.all(w2 < n)
    assert np.array_equal(np.sum(w1 == w2, axis=1), matches)
    # matches are round(k m / C) for k in {0, 1, 2}; the label is round(C matches / m)
    allowed = {int(np.round(k * m / 2)) for k in range(3)}
    assert set(np.unique(matches).tolist()) == allowed
    assert np.array_equal(y, np.round(2 * matches / m).astype(np.int32))
    if m == half:  # no room for an offset: no blanks at all
        assert not np.any(x == n)


def test_ses_labels_are_uniform_over_three_classes():
    _, y, _ = _ses(4, 3, 12, seed=1)
    freq = np.bincount(y, minlength=3) / SES_BATCH
    # three-sigma band of a multinomial proportion with p = 1/3 and N = 30000 is about 0.008
    assert np.all(np.abs(freq - 1 / 3) < 0.01), freq


def test_ses_differing_positions_take_other_symbols_uniformly():
    n, m, T = 5, 4, 8  # m = T/2: the words fill the halves
    x, _, _ = _ses(n, m, T, seed=2)
    w1, w2 = x[:, :m], x[:, m:]
    diff = w1 != w2
    shift = ((w2 - w1) % n)[diff]  # 1..n-1, each with probability 1/(n-1)
    assert shift.size > 10000
    freq = np.bincount(shift, minlength=n)[1:] / shift.size
    assert np.all(np.abs(freq - 1 / (n - 1)) < 0.02), freq
    assert set(np.unique(w1).tolist()) == set(range(n))


def test_ses_offsets_cover_every_placement():
    x, _, _ = _ses(4, 3, 12, seed=3)
    starts = np.argmax(x[:, :6] != 4, axis=1)
    assert set(np.unique(starts).tolist()) == {0, 1, 2, 3}


def test_ses_is_seeded():
    a, b, c = _ses(4, 3, 12, seed=7), _ses(4, 3, 12, seed=7), _ses(4, 3, 12, seed=8)
    assert all(np.array_equal(p, q) for p, q in zip(a, b, strict=True))
    assert not np.array_equal(a[0], c[0])


def test_ses_baseline():
    base = ses_baselines()
    assert base["accuracy"] == pytest.approx(1 / 3)
    assert base["loss"] == pytest.approx(math.log(3))
    assert SESTask(n=4, m=3, T=12).baselines() == base


# --- Copying Memory data ------------------------------------------------------------------------------------


def test_copy_inputs_and_targets():
    n, M_c, B = 6, 4, 7
    x, y = (np.asarray(a) for a in copying_memory_batch(300, n=n, M_c=M_c, B=B, key=jax.random.key(0)))
    T = 2 * M_c + B
    assert x.shape == y.shape == (300, T)
    data = x[:, :M_c]
    assert data.min() >= 0 and data.max() < n
    assert np.all(x[:, M_c : M_c + B] == n)  # blanks during the delay
    assert np.all(x[:, M_c + B] == n + 1)  # recall marker at 0-based index M_c + B
    assert np.all(x[:, M_c + B + 1 :] == n)
    assert np.all(y[:, : M_c + B] == n)
    assert np.array_equal(y[:, M_c + B :], data)


def test_copy_baselines_match_notes_and_the_memoryless_strategy():
    n, M_c, B = 8, 10, 30
    T = 2 * M_c + B
    base = copy_baselines(n, M_c, B)
    assert base["loss"] == pytest.approx(M_c * math.log(n) / T)
    assert base["accuracy"] == pytest.approx((M_c + B + M_c / n) / T)
    assert base["data_accuracy"] == pytest.approx(1 / n)
    # the memoryless predictor (blank, then uniform over data symbols) attains the loss baseline exactly
    _, y = copying_memory_batch(64, n=n, M_c=M_c, B=B, key=jax.random.key(1))
    probs = np.zeros((T, n + 2))
    probs[: M_c + B, n] = 1.0
    probs[M_c + B :, :n] = 1.0 / n
    with np.errstate(divide="ignore"):
        logp = np.log(probs)
    nll = -np.take_along_axis(np.broadcast_to(logp, (64, T, n + 2)), np.asarray(y)[..., None], axis=-1)
    assert float(nll.mean()) == pytest.approx(base["loss"])
