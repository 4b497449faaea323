"""
Notebook display
================

In Jupyter a result shows itself: a rank as its value with the status as a coloured badge (green proven, orange
lower bound, red partial; the word is always written) above its certificate, a bounds report and an atlas query as
tables, and a tensor network as a drawing, with its min-cut once one was computed. Nothing to call: end a cell with
the object. This page shows the same displays (the HTML ones are what a notebook shows).
"""

import os
import tempfile

import tnrnn
from tnrnn.atlas import query_atlas

res = tnrnn.separation_rank(2, 3, 2, 8, domain="continuous")
res  # noqa: B018 - the last expression of a block is what the notebook (and this page) shows

# %%
# A run stopped by a limit is ``partial``: still a certified lower bound, and the table says why it stopped.
tnrnn.separation_rank(2, 2, 2, 6, domain="continuous", max_N=4)

# %%
# Every proven bound of a cell, with the theorem it comes from:
tnrnn.bounds_report(2, 3, 2, 8)

# %%
# The rank atlas keeps every result computed with ``cache=``; a query shows the stored certificates.
atlas = os.path.join(tempfile.mkdtemp(), "atlas.sqlite")
for T in (4, 6, 8):
    tnrnn.separation_rank(2, 3, 2, T, domain="continuous", cache=atlas)
query_atlas(atlas, {"L": 2})

# %%
# A network in a notebook draws itself (``_repr_svg_`` and ``_repr_png_``), with the last min-cut computed on it.
# The drawing is `tnrnn.draw_network`'s, shown here directly:
graph = tnrnn.build_network(2, 2, 2, 4, domain="continuous")
cut = tnrnn.min_cut(graph)
fig, ax = tnrnn.draw_network(graph, cut=cut)
