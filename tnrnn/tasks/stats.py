"""Statistics of a depth sweep that can decide: largest length solved, bootstrap intervals, exact paired tests.

Everything works on a results dict (`tnrnn.tasks.run_experiment`) or on plain arrays, and is deterministic: the
bootstrap draws from a seeded numpy generator, and the paired test enumerates every sign pattern exactly.

Definitions
-----------
solved
    A run *solves* its length ``T`` (SES) or delay ``B`` (copy) when its test metric (accuracy; data accuracy
    for Copying Memory) is at least ``threshold`` (0.95).
largest solved
    Per (depth, budget, seed): the largest swept value that run solved, or ``0`` if it solved none. Seeds
    pair runs across depths: a seed fixes the data, the validation and test sets, and the initialisation key.
paired test
    For depth ``d`` against depth 1 at one value: the per-seed differences of the test metric; the exact
    sign-flip (permutation) test of the mean difference, two-sided and one-sided ("depth d better"). With ``n``
    pairs the smallest attainable two-sided p-value is ``2 / 2^n`` (0.0625 for 5 seeds): fewer than 6 seeds can
    never reach p < 0.05 two-sided.
"""

from __future__ import annotations

import itertools

import numpy as np

from tnrnn._types import ArgumentError

__all__ = ["SOLVED_THRESHOLD", "bootstrap_ci", "sign_flip_test", "largest_solved", "analyze"]

SOLVED_THRESHOLD = 0.95
_MAX_EXACT_PAIRS = 20


def bootstrap_ci(values, *, level: float = 0.95, n_boot: int = 10000, seed: int = 0, stat=np.mean):
    """Percentile bootstrap interval of ``stat`` over ``values`` (resampled with replacement).

    Returns ``(low, high)`` as floats; a single value gives the degenerate interval ``(v, v)``.
    """
    x = np.asarray(values, dtype=np.float64)
    if x.ndim != 1 or x.size == 0:
        raise ArgumentError("values", list(np.ravel(x)), "a non-empty 1-d sequence of numbers")
    if not 0 < level < 1:
        raise ArgumentError("level", level, "a confidence level strictly between 0 and 1")
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, x.size, size=(n_boot, x.size))
    boots = stat(x[idx], axis=1)
    alpha = (1 - level) / 2
    return float(np.quantile(boots, alpha)), float(np.quantile(boots, 1 - alpha))


def sign_flip_test(diffs) -> dict:
    """Exact paired sign-flip test of ``mean(diffs) = 0``.

    Under the null hypothesis each difference is symmetric about zero, so all ``2^n`` sign patterns are equally
    likely. Returns ``{"n", "mean", "p_two_sided", "p_greater", "p_min", "wins", "losses", "ties"}`` where
    ``p_greater`` is the one-sided p-value for a positive mean and ``p_min = 2 / 2^n`` the smallest attainable
    two-sided value (``1`` when every difference is zero).
    """
    d = np.asarray(diffs, dtype=np.float64)
    n = d.size
    if d.ndim != 1 or n == 0 or n > _MAX_EXACT_PAIRS:
        raise ArgumentError("diffs", list(np.ravel(d)), f"1 to {_MAX_EXACT_PAIRS} paired differences")
    signs = np.array(list(itertools.product((1.0, -1.0), repeat=n)))
    means = signs @ d / n
    obs = float(np.mean(d))
    # a tolerance of a few ulps so that sign patterns giving the observed mean exactly are counted as extreme
    eps = 1e-12 * max(1.0, float(np.max(np.abs(d))))
    return {
        "n": int(n),
        "mean": obs,
        "p_two_sided": float(np.mean(np.abs(means) >= abs(obs) - eps)),
        "p_greater": float(np.mean(means >= obs - eps)),
        "p_min": float(min(1.0, 2.0 / 2**n)) if np.any(d != 0) else 1.0,
        "wins": int(np.sum(d > 0)),
        "losses": int(np.sum(d < 0)),
        "ties": int(np.sum(d == 0)),
    }


def _budget(run: dict, results: dict):
    return run.get("params_target", results.get("params_target"))


def _metric(run: dict, results: dict) -> float:
    return float(run["test"][results["metric"]])


def largest_solved(results: dict, *, threshold: float = SOLVED_THRESHOLD) -> dict:
    """``{(depth, budget): {seed: largest value solved, or 0}}`` over the runs of a results dict."""
    sweep = results["sweep"]
    out: dict = {}
    for r in results["runs"]:
        key = (r["depth"], _budget(r, results))
        per_seed = out.setdefault(key, {})
        best = per_seed.get(r["seed"], 0)
        if _metric(r, results) >= threshold:
            best = max(best, r[sweep])
        per_seed[r["seed"]] = best
    return out


def analyze(
    results: dict, *, threshold: float = SOLVED_THRESHOLD, level: float = 0.95, n_boot: int = 10000, seed: int = 0
) -> dict:
    """Intervals and paired tests of a results dict.

    Returns
    -------
    dict
        ``threshold``, ``level``, ``n_boot`` and
        ``curves``: rows ``{depth, params, <sweep>, mean, ci_low, ci_high, n, solved}`` (bootstrap interval of the
        mean test metric over seeds; ``solved`` counts seeds at or above the threshold);
        ``largest_solved``: rows ``{depth, params, per_seed, mean, median, ci_low, ci_high}``;
        ``paired``: rows ``{depth, params, <sweep>, ...sign_flip_test}`` of depth ``d`` minus depth 1 on the same
        seeds, per value; ``paired_largest_solved``: the same for the largest value solved.
    """
    sweep = results["sweep"]
    depths = sorted({r["depth"] for r in results["runs"]})
    budgets = sorted({_budget(r, results) for r in results["runs"]}, key=lambda b: (b is None, b))
    values = sorted({r[sweep] for r in results["runs"]})
    table: dict = {}
    for r in results["runs"]:
        table[(r["depth"], _budget(r, results), r[sweep], r["seed"])] = _metric(r, results)

    def per_seed(d, b, v):
        return {s: a for (dd, bb, vv, s), a in table.items() if (dd, bb, vv) == (d, b, v)}

    curves = []
    for b in budgets:
        for d in depths:
            for v in values:
                accs = per_seed(d, b, v)
                if not accs:
                    continue
                xs = [accs[s] for s in sorted(accs)]
                lo, hi = bootstrap_ci(xs, level=level, n_boot=n_boot, seed=seed)
                curves.append(
                    {
                        "depth": d,
                        "params": b,
                        sweep: v,
                        "mean": float(np.mean(xs)),
                        "ci_low": lo,
                        "ci_high": hi,
                        "n": len(xs),
                        "solved": int(sum(a >= threshold for a in xs)),
                    }
                )
    solved = largest_solved(results, threshold=threshold)
    solved_rows = []
    for (d, b), by_seed in sorted(solved.items(), key=lambda kv: (kv[0][1] is None, kv[0][1], kv[0][0])):
        xs = [by_seed[s] for s in sorted(by_seed)]
        lo, hi = bootstrap_ci(xs, level=level, n_boot=n_boot, seed=seed)
        solved_rows.append(
            {
                "depth": d,
                "params": b,
                "per_seed": {str(s): by_seed[s] for s in sorted(by_seed)},
                "mean": float(np.mean(xs)),
                "median": float(np.median(xs)),
                "ci_low": lo,
                "ci_high": hi,
            }
        )
    paired, paired_solved = [], []
    for b in budgets:
        for d in depths:
            if d == 1 or 1 not in depths:
                continue
            for v in values:
                ref, other = per_seed(1, b, v), per_seed(d, b, v)
                common = sorted(set(ref) & set(other))
                if common:
                    test = sign_flip_test([other[s] - ref[s] for s in common])
                    paired.append({"depth": d, "params": b, sweep: v, **test})
            ref, other = solved.get((1, b), {}), solved.get((d, b), {})
            common = sorted(set(ref) & set(other))
            if common:
                test = sign_flip_test([other[s] - ref[s] for s in common])
                paired_solved.append({"depth": d, "params": b, **test})
    return {
        "threshold": threshold,
        "level": level,
        "n_boot": n_boot,
        "curves": curves,
        "largest_solved": solved_rows,
        "paired": paired,
        "paired_largest_solved": paired_solved,
    }
