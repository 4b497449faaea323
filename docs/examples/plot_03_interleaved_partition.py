"""
An interleaved partition
========================

The Start-End partition asks how much the first half of a sequence can influence the output through the second
half. The interleaved partition (odd against even steps) asks about short-range correlations instead. A shallow RAC
is a matrix product state, so any partition whose sides alternate ``k`` times costs up to ``k`` bonds: its
interleaved rank grows with ``T`` while its Start-End rank stays at ``R``.
"""

from tnrnn.bounds import proven_upper_bounds
from tnrnn.build import build_network
from tnrnn.cuts import min_cut
from tnrnn.rank import separation_rank

M, R, L = 2, 2, 1
print(" T  start-end  interleaved  (min-cut)")
for T in (2, 4, 6):
    se = separation_rank(M, R, L, T, domain="onehot", partition="start-end").rank
    il = separation_rank(M, R, L, T, domain="onehot", partition="interleaved").rank
    cut = min_cut(build_network(M, R, L, T, domain="onehot"), "interleaved").bound
    print(f"{T:2d}  {se:9d}  {il:11d}  ({cut})")

# %%
# Explicit partitions are written ``"A;B"``; the proven bounds that apply to a partition:
print(proven_upper_bounds(2, 2, 2, 6, domain="onehot", partition="1,3,5;2,4,6"))
