"""Primes for the exact arithmetics (no JAX, no numpy)."""

from __future__ import annotations

__all__ = ["is_prime", "largest_primes_below"]


def is_prime(n: int) -> bool:
    """Deterministic Miller-Rabin primality for ``n < 3.3e24``."""
    if n < 2:
        return False
    small = (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37)
    for q in small:
        if n % q == 0:
            return n == q
    d, s = n - 1, 0
    while d % 2 == 0:
        d //= 2
        s += 1
    for a in small:  # deterministic for n < 3.3e24
        x = pow(a, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = x * x % n
            if x == n - 1:
                break
        else:
            return False
    return True


def largest_primes_below(bound: int, count: int) -> list[int]:
    """The ``count`` largest primes ``< bound`` (descending)."""
    out, n = [], bound - 1
    while len(out) < count and n >= 2:
        if is_prime(n):
            out.append(n)
        n -= 1
    return out
