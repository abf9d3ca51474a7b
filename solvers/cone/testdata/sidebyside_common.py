"""Conversion of package cone's instances (sidebyside_instances.json) to the
arguments of cvxopt.solvers.conelp (written for optlayers)."""
import numpy as np
from cvxopt import matrix, spmatrix


def to_sparse(a):
    i, j = np.nonzero(a)
    return spmatrix(a[i, j].tolist(), i.tolist(), j.tolist(), size=a.shape)


def to_cvxopt(inst):
    """(c, G, h, dims) for conelp: the PSD rows in svec form become cvxopt's
    n² rows per block (column-major, the symmetric matrix entry on both
    (i, j) and (j, i): svec entries divided by √2 off the diagonal)."""
    n, m = inst["n"], inst["m"]
    g = np.zeros((m, n))
    g[inst["Gi"], inst["Gj"]] = inst["Gv"]
    h = np.array(inst["h"])
    l, qs, ss = inst["l"], inst["q"], inst["s"]
    off = l + sum(qs)
    rows_g, rows_h = [g[:off]], [h[:off]]
    for k in ss:
        d = k * (k + 1) // 2
        gb, hb = g[off:off + d], h[off:off + d]
        full_g = np.zeros((k * k, n))
        full_h = np.zeros(k * k)
        p = 0
        for j in range(k):
            for i in range(j, k):
                sc = 1.0 if i == j else 1 / np.sqrt(2)
                for (a, b) in {(i, j), (j, i)}:
                    full_g[b * k + a] = sc * gb[p]
                    full_h[b * k + a] = sc * hb[p]
                p += 1
        rows_g.append(full_g)
        rows_h.append(full_h)
        off += d
    G = to_sparse(np.vstack(rows_g))
    H = matrix(np.concatenate(rows_h))
    c = matrix(np.array(inst["c"]))
    dims = {"l": l, "q": list(qs), "s": list(ss)}
    return c, G, H, dims
