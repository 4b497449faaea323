"""
A rank table
============

Exact Start-End separation ranks of RACs of depth 1, 2 and 3 beside every bound, in both input domains. This is
the table to put in a paper: each measured rank is a certified lower bound on the generic rank, and where it meets
a proven upper bound it is exact (see the theory page, section "What an exact rank means: the certificate").
"""

from tnrnn.table import format_table, rank_table

rows = rank_table(M=[2], R=[2], L=[1, 2, 3], T=[2, 4, 6], domains=["onehot", "continuous"], progress=False)
print(format_table(rows, "markdown"))

# %%
# Each row sets the measured rank (``rank``) beside Theorem 1 or the conjecture (``lower``), the proven upper
# bounds and the min-cut. Reading the depth-2 rows: the shallow rank stays at ``min(R, M^{T/2}) = 2`` whatever
# ``T``, while the depth-2 rank grows with ``T``, and in the continuous domain it exceeds ``M^{T/2}``.
#
# The same table from the command line, as CSV::
#
#     tnrnn table --L 1,2,3 --M 2 --R 2 --T 2,4,6 --format csv --out ranks.csv
deep = [r for r in rows if r["L"] == 2 and r["domain"] == "continuous"]
print([(r["T"], r["rank"]) for r in deep])
