"""Define your own polynomial recurrent cell and get its exact separation ranks and proven bounds.

A cell is a frozen dataclass subclassing `tnrnn.cells.Cell` with four methods written against the arithmetic
operations (``ar.matvec``, ``ar.mul``, ``ar.add``, ``ar.scale``, ``ar.param``, ``ar.bilinear``, ``ar.ones``,
``ar.zeros``, ``ar.first``), never indexing a vector: the same ``step`` then runs in float, exactly modulo a prime
(the rank engine's jitted kernel and its numpy reference) and on the degree arithmetics that give the certificate's
Schwartz-Zippel degree and the proven upper bounds. Sizes ``M, R, L, K`` are the dataclass fields.

The example: a RAC whose recurrent factor is affine, ``h = (W^H u + c) ⊙ (W^I v)`` with ``h^{0,l} = 0`` (so the
first step is ``c ⊙ W^I v``). Run it with ``python examples/custom_cell.py``.
"""

import dataclasses

from tnrnn.cells import Cell, register_cell
from tnrnn.rank import separation_rank


@register_cell  # optional: makes cell="affine-rac" work by name (also on the command line of this process)
@dataclasses.dataclass(frozen=True)
class AffineRAC(Cell):
    name = "affine-rac"
    first_step = "h^{0,l} = 0, so h^{1,l} = c ⊙ (W^I v)"

    def param_shapes(self):
        # one shape per array, or a tuple of shapes for per-layer arrays; W_I[0] reads the input (M channels)
        R, L = self.R, self.L
        return {
            "W_H": tuple((R, R) for _ in range(L)),
            "W_I": tuple((R, self.M if l == 0 else R) for l in range(L)),
            "c": tuple((R,) for _ in range(L)),
            "W_O": (self.K, R),
        }

    def initial_carry(self, params, ar, like):
        return tuple(ar.zeros(self.R, like) for _ in range(self.L))  # h^{0,l} = 0

    def step(self, params, carry, x, ar):
        v, new = x, []
        for l, u in enumerate(carry):
            a = ar.add(ar.matvec(params["W_H"][l], u), ar.param(params["c"][l], u))
            v = ar.mul(a, ar.matvec(params["W_I"][l], v))
            new.append(v)
        return tuple(new), v  # the new carry, and the top layer's state

    def readout(self, params, h, ar):
        return ar.matvec(params["W_O"], h)

    # optional: sharper bounds of your own; the derived ones (input degrees, state degrees, total degree) come
    # from Cell.proven_upper_bounds for free
    # def proven_upper_bounds(self, T, *, domain, partition="start-end"):
    #     return {**super().proven_upper_bounds(T, domain=domain, partition=partition), "mine": ...}


def main():
    print("| L | T | domain | rank | status | bounds |")
    print("|---|---|---|---|---|---|")
    for L in (1, 2):
        for T in (2, 4, 6):
            for domain in ("onehot", "continuous"):
                res = separation_rank(2, 2, L, T, domain=domain, cell="affine-rac")
                print(f"| {L} | {T} | {domain} | {res.rank} | {res.status} | {res.extra['bounds']} |")


if __name__ == "__main__":
    main()
