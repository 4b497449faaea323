"""What a computed rank means: `RankResult`, its status and its Schwartz-Zippel failure bound.

* A rank over a finite field (modulo a prime ``p``, or over the extension field ``GF(p^2)``) of ``[y(a_i, b_j)]``,
  with integer weights and points, is a **certified lower bound** on the generic separation rank (real weights
  outside a null set, and, in the continuous domain, generic points): a nonzero ``r x r`` minor over the field is
  the value of an integer polynomial that is therefore not zero, so the minor is nonzero almost everywhere. This
  holds whatever the random draws were, for every completed stage (a full-rank sample of ``N`` points proves
  ``rank >= N``).
* It is **proven exact** (``status="proven"``) when it meets a proven upper bound (`tnrnn.bounds`, the cell's
  bounds and the min-cut of its network).
* Otherwise (``status="lower-bound"``) it equals the generic rank with high probability. If the generic rank
  ``r*`` exceeded the reported ``r``, some ``(r+1) x (r+1)`` minor of every repetition's matrix with at least
  ``r + 1`` rows and columns (any nonzero one: for one-hot matrices it need not be the leading one) would be a
  nonzero polynomial that vanished at that repetition's independent uniform draw from its field ``F_i``. Its total
  degree is at most ``(r + 1) D``, with ``D`` the total degree of one entry ``y(a, b)`` in all random quantities
  (every weight, plus every input coordinate in the continuous domain; `tnrnn.cells.Cell.output_degree`). By the
  Schwartz-Zippel lemma::

      failure_bound = prod_i min(1, (r + 1) D / |F_i|)

  over those repetitions (``|F_i| = p_i`` or ``p_i^2``). Assumption: the minor, a polynomial with integer
  coefficients, does not vanish identically modulo ``p_i`` (its coefficients are not all multiples of ``p_i``); the
  bound is conditional on that. The default confidence (``certified``) adds ``GF(p^2)`` repetitions until the bound
  is at most `rigorous_target` (the theory page, "Certified by default").
* ``status="partial"``: a deadline, a sample-size limit or an interrupt (Ctrl-C, `RankInterrupted`) stopped the
  computation; the rank is the largest a completed stage certified (a lower bound), but not the end of the
  computation.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

__all__ = [
    "RankResult",
    "RankInterrupted",
    "STATUSES",
    "CONFIDENCES",
    "CONFIDENCE_ALIASES",
    "check_confidence",
    "failure_bound",
    "rigorous_target",
]

STATUSES = ("proven", "lower-bound", "partial")
#: the confidences of `tnrnn.rank.separation_rank` (``certified``: the default)
CONFIDENCES = ("certified", "fast", "rigorous")
#: earlier names: ``"standard"`` was the prime-field mode that was the default before ``certified``, now ``fast``
CONFIDENCE_ALIASES = {"standard": "fast"}

#: the failure bound the ``certified`` and ``rigorous`` confidences reach (or better)
rigorous_target = 1e-6


def check_confidence(value) -> str:
    """The canonical name of a confidence (``"standard"`` is read as ``"fast"``); one-line error otherwise."""
    from tnrnn._types import check_choice

    return check_choice("confidence", CONFIDENCE_ALIASES.get(value, value), CONFIDENCES)


def failure_bound(rank: int, degree: int, primes, sizes) -> float:
    """``prod_i min(1, (rank + 1) degree / q_i)`` over the repetitions whose matrix has ``rank + 1`` rows and columns.

    Parameters
    ----------
    rank : int
        The reported rank ``r``.
    degree : int
        Total degree ``D`` of one matrix entry in the random quantities.
    primes : sequence of int
        The size ``q_i`` of each repetition's field: its prime ``p``, or ``p^2`` for ``GF(p^2)``.
    sizes : sequence of int
        The smaller side of each repetition's matrix.
    """
    bound = 1.0
    for p, n in zip(primes, sizes, strict=True):
        if n >= rank + 1:
            bound *= min(1.0, (rank + 1) * degree / p)
    return bound


@dataclass(frozen=True)
class RankResult:
    """A separation rank with the certificate of how it was computed.

    Attributes
    ----------
    rank : int
        ``modp``: the largest rank modulo the primes over the repetitions, a certified lower bound on the generic
        rank (see `status`). ``svd``: the float numerical rank, a diagnostic that under-counts.
    M, R, L, T : int
        The sizes.
    domain : str
        ``"onehot"`` or ``"continuous"``.
    method : str
        ``"modp"`` (exact elimination modulo primes) or ``"svd"`` (float diagnostic).
    partition : dict
        The partition's name and its two sides ``A``, ``B`` (1-based time steps).
    seeds, primes, ranks : list of int
        One entry per repetition: the seed of weights and points, the prime (its field, ``GF(p)`` or ``GF(p^2)``,
        is in ``extra["fields"]``), and the rank found.
    N : tuple of int
        Number of evaluation points on sides ``A`` and ``B`` (the matrix shape) of the last repetition.
    upper_bound : int or None
        The smallest proven upper bound that applies (the cap of the sample size); None when none is known.
    status : str
        ``"proven"`` (the rank meets ``upper_bound``: it is the generic rank), ``"lower-bound"`` (a certified lower
        bound, equal to the generic rank except with probability at most ``failure_bound``) or ``"partial"`` (a
        deadline or sample limit stopped the run: a certified lower bound only). ``svd``: ``"diagnostic"``.
    failure_bound : float or None
        Schwartz-Zippel bound on the probability that the generic rank exceeds ``rank`` (0 when proven; None when
        partial or svd). See the module notes for the formula and its assumption.
    degree : int or None
        ``D``, the total degree of one matrix entry in the random quantities (weights and continuous inputs).
    confidence : str
        ``"certified"`` (default: proven, or ``failure_bound <= 1e-6`` by ``GF(p^2)`` repetitions), ``"fast"``
        (primes below ``2^21`` only; the bound may be vacuous) or ``"rigorous"`` (word-size primes until
        ``failure_bound <= 1e-6``). Rows stored by earlier versions may say ``"standard"``: the fast mode.
    cell : str
        The cell's name.
    singular_values : list of float or None
        The spectrum (``svd`` only), largest first.
    extra : dict
        ``"elimination"``/``"evaluation"`` engines, ``"device"``, ``"stopped"`` (why a partial run stopped) and
        ``"bounds"`` (every proven upper bound by name).
    timing : dict
        Seconds per stage (``"evaluate"``, ``"eliminate"``, ``"total"``); not part of equality.
    """

    rank: int
    M: int
    R: int
    L: int
    T: int
    domain: str
    method: str
    partition: dict
    seeds: list[int]
    primes: list[int]
    ranks: list[int]
    N: tuple[int, int]
    upper_bound: int | None
    status: str = "lower-bound"
    failure_bound: float | None = None
    degree: int | None = None
    confidence: str = "certified"
    cell: str = "rac"
    singular_values: list[float] | None = None
    note: str = ""
    extra: dict = field(default_factory=dict)
    timing: dict = field(default_factory=dict, compare=False)

    @property
    def shape(self) -> tuple[int, int]:
        return self.N

    @property
    def proven(self) -> bool:
        return self.status == "proven"

    def _repr_html_(self) -> str:
        """Notebook display: the rank with its status as a coloured badge, and the certificate in a short table."""
        from tnrnn._display import rank_html

        return rank_html(self)

    def to_dict(self) -> dict:
        """JSON-ready dict (the ``tnrnn rank --json`` object); big bounds stay exact Python ints."""
        d = asdict(self)
        d["N"] = list(self.N)
        d["shape"] = list(self.N)
        if d["failure_bound"] is not None and not math.isfinite(d["failure_bound"]):  # pragma: no cover
            d["failure_bound"] = None
        return d

    def summary(self) -> str:
        """A short readable summary: the value, what it is, and how it was computed."""
        part = self.partition.get("name", "custom")
        head = f"{self.cell} M={self.M} R={self.R} L={self.L} T={self.T}, {self.domain} domain, {part} partition"
        if self.method == "svd":
            return "\n".join(
                [
                    head,
                    f"float SVD numerical rank {self.rank} (diagnostic: it under-counts; use method modp)",
                ]
            )
        if self.status == "proven":
            what = f"proven exact: the certified lower bound meets the proven upper bound {self.upper_bound}"
        elif self.status == "lower-bound":
            upper = self.upper_bound if self.upper_bound is not None else "unknown"
            what = f"certified lower bound; {_exactness(self.failure_bound)}; proven upper bound {upper}"
        else:
            what = f"partial: certified lower bound only, stopped ({self.extra.get('stopped', 'limit')})"
        secs = self.timing.get("total")
        fields = self.extra.get("fields") or [f"GF({p})" for p in self.primes]
        how = (
            f"{len(self.ranks)} repetition(s) over {', '.join(fields)}, matrix {self.N[0]} x {self.N[1]}, "
            f"elimination {self.extra.get('elimination', '?')}"
            + (f", {secs:.2f} s" if isinstance(secs, (int, float)) else "")
        )
        return "\n".join([head, f"rank {self.rank}: {what}", how])


def _exactness(bound) -> str:
    """What a failure bound says about a ``lower-bound`` rank, in words that never overstate it.

    "Exact with high probability" only where the bound is at most `rigorous_target` (what the certified default
    reaches); a larger bound is given as the probability it is; a bound of 1 (or none) guarantees nothing.
    """
    if bound is None or not bound < 1:
        return "no guarantee that it is exact (failure bound 1: the fields are too small for its degree)"
    if bound <= rigorous_target:
        return f"exact with high probability (failure bound {bound:.2g})"
    return f"exact except with probability at most {bound:.2g} (the certified default reaches {rigorous_target:g})"


class RankInterrupted(KeyboardInterrupt):
    """A ``KeyboardInterrupt`` (Ctrl-C) during `tnrnn.rank.separation_rank`, carrying what was certified by then.

    ``result`` is a `RankResult` with ``status="partial"`` and ``extra["stopped"]`` saying so: the largest rank of
    the repetitions that finished (a certified lower bound; 0 before the first). Being a ``KeyboardInterrupt``, it
    stops a script or a sweep as Ctrl-C always does (and nothing is stored in the atlas); ``tnrnn rank`` catches
    it, prints the result and exits 130.
    """

    def __init__(self, result: RankResult):
        self.result = result
        super().__init__(f"interrupted; certified so far: rank >= {result.rank}")
