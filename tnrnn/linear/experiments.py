"""The experiments of the user guide 'Linear RNNs', and the results JSON they write.

Four parts, each a function returning a JSON-ready dict with every setting, seed and metric:

- `ntk_width_experiment`: empirical lag-NTK diagonal (and largest off-diagonal entry) against β_j², per width and
  seed (Fig B);
- `equivalence_experiment`: a width-``n`` RNN and the SCM with the matched initial function trained by the same
  full-batch GD; loss curves and ``‖L_rnn − L_scm‖/‖L_scm − L(0)‖`` (Fig C);
- `rho_sweep_experiment`: test error against the initial transition variance ρ² for teachers of short and long
  memory (bias–variance trade-off, Fig D);
- `sunspots_experiment`: the same sweep as system identification on the yearly sunspot numbers shipped with
  statsmodels (Fig E).

`run_linear_experiments` runs them with the ``full`` or ``quick`` settings (`tnrnn.linear.settings`) and writes one
JSON file; `load_results` and `summarise_results` (`tnrnn.linear.results`, re-exported here) read it. All of
it needs float64: the caller enables ``jax_enable_x64`` (the CLI does); otherwise a clear error is raised.
"""

from __future__ import annotations

import math
import os
import time

import jax
import numpy as np

from tnrnn._io import atomic_write, check_file_name, check_output_dir, strict_json
from tnrnn._types import ArgumentError
from tnrnn.linear.lag_weights import lag_weights
from tnrnn.linear.model import init_linear_rnn
from tnrnn.linear.ntk import empirical_lag_ntk
from tnrnn.linear.results import _PARTS, load_results, summarise_results  # noqa: F401 (re-exported)
from tnrnn.linear.settings import SETTINGS
from tnrnn.linear.train import (
    gp_initial_filters,
    make_data,
    matched_scm,
    relative_path_difference,
    stable_step,
    teacher_filters,
    train_rnn,
    train_scm,
)

__all__ = [
    "SETTINGS",
    "ntk_width_experiment",
    "equivalence_experiment",
    "rho_sweep_experiment",
    "sunspots_experiment",
    "sunspots_series",
    "run_linear_experiments",
    "load_results",
    "summarise_results",
]


def _require_x64():
    if not jax.config.jax_enable_x64:
        raise RuntimeError(
            "tnrnn.linear.experiments needs float64: call jax.config.update('jax_enable_x64', True) first"
        )


def _floats(a) -> list:
    return [float(v) for v in np.asarray(a, np.float64).ravel()]


def _key(*ints):
    """A key derived from a tuple of non-negative ints (deterministic, documented in the results)."""
    k = jax.random.key(0)
    for i in ints:
        k = jax.random.fold_in(k, int(i))
    return k


def ntk_width_experiment(*, widths, seeds, rho2s, J, sigma_c2=1.0, sigma_f2=1.0, param="ntk"):
    """Empirical lag-NTK of RNNs at initialisation against β_j², per ``(ρ², width, seed)``.

    Returns a dict with ``runs``: one record per ``(ρ², width)`` holding the per-seed diagonals, the mean and sd,
    the relative error of the mean for each lag, and the largest off-diagonal entry (of the seed mean and per
    seed). The model of seed ``s`` uses ``key = jax.random.key(s)``.

    References
    ----------
    the theory page, section 'Lag weights'; the user guide 'Linear RNNs' (a).
    """
    _require_x64()
    runs = []
    for rho2 in rho2s:
        theory = lag_weights(J, rho2=rho2, sigma_c2=sigma_c2, sigma_f2=sigma_f2, param=param)
        for n in widths:
            mats = []
            for s in seeds:
                m = init_linear_rnn(
                    n, key=jax.random.key(s), rho2=rho2, sigma_c2=sigma_c2, sigma_f2=sigma_f2, param=param
                )
                mats.append(np.asarray(empirical_lag_ntk(m, J)))
            mats = np.stack(mats)
            diag = np.diagonal(mats, axis1=1, axis2=2)
            off = mats - np.einsum("sj,jk->sjk", diag, np.eye(J + 1))
            mean = mats.mean(0)
            mean_off = mean - np.diag(np.diag(mean))
            runs.append(
                {
                    "rho2": float(rho2),
                    "width": int(n),
                    "seeds": [int(s) for s in seeds],
                    "diag": [_floats(d) for d in diag],
                    "mean": _floats(diag.mean(0)),
                    "sd": _floats(diag.std(0, ddof=1) if len(seeds) > 1 else 0 * theory),
                    "theory": _floats(theory),
                    "rel_err_mean": _floats(diag.mean(0) / theory - 1),
                    "max_abs_rel_err_mean": float(np.max(np.abs(diag.mean(0) / theory - 1))),
                    "max_offdiag_mean": float(np.max(np.abs(mean_off))),
                    "max_offdiag_per_seed": _floats(np.max(np.abs(off), axis=(1, 2))),
                }
            )
    return {"J": int(J), "sigma_c2": float(sigma_c2), "sigma_f2": float(sigma_f2), "param": param, "runs": runs}


def _teacher(spec, J, n_x=1):
    kw = {k: v for k, v in spec.items() if k in ("a", "delay", "r", "order")}
    key = jax.random.key(spec["seed"]) if spec["kind"] == "ssm" else None
    return teacher_filters(spec["kind"], J, n_x=n_x, key=key, **kw)


def _curve(values, every):
    idx = list(range(0, len(values), every))
    if idx[-1] != len(values) - 1:
        idx.append(len(values) - 1)
    return idx, [float(values[i]) for i in idx]


def equivalence_experiment(*, widths, rho2s, teachers, seeds, T, N, steps, lr, record_every=5, data_seed=100):
    """Train a width-``n`` NTK-parameterised RNN and the SCM matched to its initial function by the same GD.

    Data: ``N`` white N(0,1) sequences of length ``T`` (key ``fold_in(key(0), data_seed, teacher index)``),
    noiseless teacher targets. The RNN of seed ``s`` uses ``key(s)``. Both models use step ``lr`` for ``steps``
    steps on ``ℒ = (1/(2NT)) Σ e²``. Records: loss curves (every ``record_every`` steps), initial/final filters of
    both, ``rel_diff = ‖L_rnn − L_scm‖/‖L_scm − L(0)‖`` and, for a spike teacher at delay ``d``, the recovered
    fraction ``(L_d − L_d(0))/(1 − L_d(0))``.

    References
    ----------
    the theory page, section 'Lag weights' (equivalence); the user guide 'Linear RNNs' (protocol).
    """
    _require_x64()
    runs = []
    for ti, spec in enumerate(teachers):
        L_star = _teacher(spec, T - 1)
        xs, ys, _ = make_data(L_star, N, T, key=_key(data_seed, ti))
        for rho2 in rho2s:
            beta2 = lag_weights(T - 1, rho2=rho2)
            for n in widths:
                for s in seeds:
                    m = init_linear_rnn(n, key=jax.random.key(s), rho2=rho2)
                    t0 = time.perf_counter()
                    r = train_rnn(m, xs, ys, lr=lr, steps=steps)
                    t_rnn = time.perf_counter() - t0
                    c = train_scm(matched_scm(r.L_init, beta2), xs, ys, lr=lr, steps=steps)
                    idx, rnn_curve = _curve(r.train_loss, record_every)
                    _, scm_curve = _curve(c.train_loss, record_every)
                    rec = {
                        "teacher": spec["name"],
                        "rho2": float(rho2),
                        "width": int(n),
                        "seed": int(s),
                        "steps": idx,
                        "loss_rnn": rnn_curve,
                        "loss_scm": scm_curve,
                        "final_loss_rnn": float(r.train_loss[-1]),
                        "final_loss_scm": float(c.train_loss[-1]),
                        "rel_diff": relative_path_difference(r.L_final, c.L_final, r.L_init),
                        "L_init": _floats(r.L_init),
                        "L_rnn": _floats(r.L_final),
                        "L_scm": _floats(c.L_final),
                        "L_teacher": _floats(L_star),
                        "seconds_rnn": t_rnn,
                    }
                    if spec["kind"] == "spike":
                        d = spec["delay"]
                        l0 = float(r.L_init[d, 0, 0])
                        rec["spike_recovery_rnn"] = float((r.L_final[d, 0, 0] - l0) / (1 - l0))
                        rec["spike_recovery_scm"] = float((c.L_final[d, 0, 0] - l0) / (1 - l0))
                    runs.append(rec)
    settings = dict(
        widths=list(widths),
        rho2s=list(rho2s),
        teachers=list(teachers),
        seeds=list(seeds),
        T=T,
        N=N,
        steps=steps,
        lr=lr,
        record_every=record_every,
        data_seed=data_seed,
    )
    return {"settings": settings, "runs": runs}


def _sweep_one(L_star, xs, ys, xt, yt, rho2, seed, width, steps, lr):
    """Test error (clean targets, relative to their power) of the SCM (GP init), the RNN and the matched SCM."""
    T = xs.shape[1]
    beta2 = lag_weights(T - 1, rho2=rho2)
    step = stable_step(lr, xs, beta2)
    power = float(np.mean(np.asarray(yt) ** 2))
    out = {"rho2": float(rho2), "seed": int(seed), "lr": step}
    gp = gp_initial_filters(T - 1, key=_key(1, seed), rho2=rho2)
    c = train_scm(matched_scm(gp, beta2), xs, ys, lr=step, steps=steps, xs_test=xt, ys_test=yt)
    out["test_scm"] = float(2 * c.test_loss[-1] / power)
    out["train_scm"] = float(2 * c.train_loss[-1])
    m = init_linear_rnn(width, key=jax.random.key(seed), rho2=rho2)
    r = train_rnn(m, xs, ys, lr=step, steps=steps, xs_test=xt, ys_test=yt)
    out["test_rnn"] = float(2 * r.test_loss[-1] / power)
    out["train_rnn"] = float(2 * r.train_loss[-1])
    cm = train_scm(matched_scm(r.L_init, beta2), xs, ys, lr=step, steps=steps, xs_test=xt, ys_test=yt)
    out["test_scm_matched"] = float(2 * cm.test_loss[-1] / power)
    out["rel_diff_rnn_scm_matched"] = relative_path_difference(r.L_final, cm.L_final, r.L_init)
    # a finite-width RNN can diverge at rho2 near 1 (its spectral radius fluctuates above 1): record null
    return {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in out.items()}


def _summarise(runs, group_keys, metrics):
    groups = {}
    for rec in runs:
        groups.setdefault(tuple(rec[k] for k in group_keys), []).append(rec)
    summary = []
    for key, recs in groups.items():
        row = dict(zip(group_keys, key, strict=True))
        for mname in metrics:
            vals = np.array([r[mname] for r in recs if r[mname] is not None], np.float64)
            row[mname + "_mean"] = float(vals.mean()) if len(vals) else None
            row[mname + "_sd"] = float(vals.std(ddof=1)) if len(vals) > 1 else 0.0
            row[mname + "_diverged"] = sum(r[mname] is None for r in recs)
        summary.append(row)
    return summary


def rho_sweep_experiment(*, rho2s, teachers, seeds, width, T, N, N_test, steps, lr, snr_db):
    """Test error against ρ² for synthetic teachers (the bias–variance trade-off of the user guide 'Linear RNNs').

    For each teacher and seed: ``N`` training sequences of length ``T`` with output noise at ``snr_db`` and
    ``N_test`` clean test sequences (keys ``fold_in(key(0), 2, teacher, seed)`` and ``(3, teacher, seed)``). For
    each ρ²: the SCM started from a draw of the wide-limit initial function (`gp_initial_filters`, key
    ``(1, seed)``), a width-``width`` RNN (key ``seed``) and the SCM matched to that RNN's initial function, all
    trained by ``steps`` GD steps with ``η = min(lr, 1/λ_max)`` (`stable_step`). Metric: test MSE on the clean
    targets divided by their mean power (1 = predicting zero). A run that diverges (non-finite; a finite-width
    RNN at ρ² near 1) is recorded as ``null`` and counted in the summary's ``*_diverged``.

    References
    ----------
    the theory page, section 'Lag weights' (implicit bias); the user guide 'Linear RNNs' (sweep protocol).
    """
    _require_x64()
    runs = []
    for ti, spec in enumerate(teachers):
        L_star = _teacher(spec, T - 1)
        for s in seeds:
            xs, ys, _ = make_data(L_star, N, T, key=_key(2, ti, s), snr_db=snr_db)
            xt, _, yt = make_data(L_star, N_test, T, key=_key(3, ti, s))
            for rho2 in rho2s:
                rec = _sweep_one(L_star, xs, ys, xt, yt, rho2, s, width, steps, lr)
                rec["teacher"] = spec["name"]
                runs.append(rec)
    settings = dict(
        rho2s=list(rho2s),
        teachers=list(teachers),
        seeds=list(seeds),
        width=width,
        T=T,
        N=N,
        N_test=N_test,
        steps=steps,
        lr=lr,
        snr_db=snr_db,
    )
    metrics = ["test_scm", "test_rnn", "test_scm_matched", "rel_diff_rnn_scm_matched"]
    return {"settings": settings, "runs": runs, "summary": _summarise(runs, ["teacher", "rho2"], metrics)}


def sunspots_series():
    """Yearly sunspot numbers 1700–2008 from statsmodels (ships with the package; no download).

    Returns
    -------
    (years, values) : numpy arrays of shape (309,)
    """
    import statsmodels.api as sm

    data = sm.datasets.sunspots.load_pandas().data
    return data["YEAR"].to_numpy(np.float64), data["SUNACTIVITY"].to_numpy(np.float64)


def _windows(z, T, stride):
    """Input/target windows for one-step-ahead identification: ``x[t] = z[t-1]``, ``y[t] = z[t]``."""
    xs, ys = [], []
    for start in range(1, len(z) - T + 1, stride):
        xs.append(z[start - 1 : start - 1 + T])
        ys.append(z[start : start + T])
    return np.stack(xs)[:, :, None], np.stack(ys)[:, :, None]


def sunspots_experiment(*, rho2s, seeds, width, T, stride, train_until, steps, lr):
    """System identification on the sunspot series: test error against ρ² for the SCM and the RNN.

    The series is standardised with the mean and sd of the training years (``< train_until``). Inputs are the
    previous year's value, targets the current one (``x[t] = z[t-1], y[t] = z[t]``), so the learned filter is a
    one-step-ahead linear predictor from the past ``T`` years; windows of length ``T`` every ``stride`` years,
    training windows inside the training years, test windows inside the later years. Metric: test MSE in
    standardised units. Baselines in the results: persistence (``ŷ[t] = z[t-1]``) and the ordinary least-squares
    filter on the same lagged design. Seeds and keys as in `rho_sweep_experiment`.

    References
    ----------
    the user guide 'Linear RNNs' (real data: statsmodels datasets as system identification).
    """
    _require_x64()
    years, values = sunspots_series()
    train = years < train_until
    mu, sd = values[train].mean(), values[train].std()
    z = (values - mu) / sd
    xs, ys = _windows(z[train], T, stride)
    xt, yt = _windows(z[~train], T, stride)
    runs = []
    for s in seeds:
        for rho2 in rho2s:
            rec = _sweep_one(None, xs, ys, xt, yt, rho2, s, width, steps, lr)
            power = float(np.mean(yt**2))
            for k in ("test_scm", "test_rnn", "test_scm_matched"):
                rec[k] = rec[k] * power  # back to plain MSE in standardised units
            runs.append(rec)
    from tnrnn.linear.model import lagged_inputs

    X = np.asarray(lagged_inputs(xs, T - 1)).reshape(-1, T)
    w, *_ = np.linalg.lstsq(X, ys.reshape(-1), rcond=None)
    Xt = np.asarray(lagged_inputs(xt, T - 1)).reshape(-1, T)
    baselines = {
        "persistence": float(np.mean((xt - yt) ** 2)),
        "ols_filter": float(np.mean((Xt @ w - yt.reshape(-1)) ** 2)),
        "zero": float(np.mean(yt**2)),
    }
    settings = dict(
        rho2s=list(rho2s),
        seeds=list(seeds),
        width=width,
        T=T,
        stride=stride,
        train_until=train_until,
        steps=steps,
        lr=lr,
        n_train_windows=int(xs.shape[0]),
        n_test_windows=int(xt.shape[0]),
        mean=float(mu),
        sd=float(sd),
    )
    metrics = ["test_scm", "test_rnn", "test_scm_matched"]
    return {"settings": settings, "runs": runs, "baselines": baselines, "summary": _summarise(runs, ["rho2"], metrics)}


def run_linear_experiments(out_dir, *, quick: bool = False, parts=None, filename=None) -> dict:
    """Run the experiments and write ``linear.json`` (``linear_quick.json`` with ``quick``) into ``out_dir``.

    Parameters
    ----------
    out_dir : path
        Output folder (created if missing).
    quick : bool
        Use the ``quick`` settings (seconds, for smoke tests) instead of ``full`` (several minutes on 2 cores).
    parts : sequence of str or None
        Subset of ``("ntk", "equivalence", "sweep", "sunspots")``; all by default.
    filename : str or None
        Override the file name.

    Returns
    -------
    dict
        The results, as written (plus ``"path"``).
    """
    parts = list(_PARTS if parts is None else parts)
    if not parts:
        raise ArgumentError("parts", parts, "a non-empty list of " + ", ".join(_PARTS))
    for p in parts:
        if p not in _PARTS:
            raise ArgumentError("parts", p, "one of " + ", ".join(_PARTS))
    if filename is not None:
        check_file_name("filename", filename)
    check_output_dir("out_dir", out_dir)
    _require_x64()
    mode = "quick" if quick else "full"
    cfg = SETTINGS[mode]
    fns = {
        "ntk": ntk_width_experiment,
        "equivalence": equivalence_experiment,
        "sweep": rho_sweep_experiment,
        "sunspots": sunspots_experiment,
    }
    results = {
        "mode": mode,
        "settings": {p: cfg[p] for p in parts},
        "seconds": {},
        "versions": {"jax": jax.__version__, "numpy": np.__version__},
    }
    for p in parts:
        t0 = time.perf_counter()
        results[p] = fns[p](**cfg[p])
        results["seconds"][p] = time.perf_counter() - t0
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, filename or ("linear_quick.json" if quick else "linear.json"))
    with atomic_write(path) as fh:
        fh.write(strict_json(results, indent=1))
    results["path"] = path
    return results
