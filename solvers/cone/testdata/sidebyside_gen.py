#!/usr/bin/python3
"""Random feasible SOCPs and SDPs for the side-by-side timing against
cvxopt.solvers.conelp (written for optlayers; run with Debian's
/usr/bin/python3, which has numpy and cvxopt 1.3).

    /usr/bin/python3 sidebyside_gen.py > sidebyside_instances.json

Each instance is the cone program of package cone with a linear objective,

    minimize cᵀx  subject to  Gx + s = h,  s ∈ K,

K = R₊^l × Q^{q₁} × … × S^{n₁}₊ × … in that order, the PSD blocks in
package cone's svec convention (lower triangle by columns, off-diagonal
entries times √2). It is built around a strictly feasible primal point
(x₀, s₀ ∈ int K, h = Gx₀ + s₀) and a strictly feasible dual point
(y₀ ∈ int K, c = −Gᵀy₀), so it has an optimal solution and no duality
gap. G is sparse (each entry nonzero with the instance's probability, and at
least one entry per row and column), N(0, 1) values rounded to 4
decimals (the data are exactly the file's numbers: h and c are computed
from the rounded G), stored as 0-based triplets Gi, Gj, Gv sorted by
column. The seed is fixed: the file is reproducible.

The script also solves every instance with conelp at tolerances 1e-9
(abstol, reltol, feastol) and records cvxopt's optimal value and x, which
the Go tests compare with cone.Solve's.
"""
import json
import sys

import numpy as np
import cvxopt
from cvxopt import solvers

import sidebyside_common as cc

SPECS = [
    # name, n, l, SOC dims, PSD orders, density of G
    ("socp-small", 40, 20, [5] * 8, [], 0.2),
    ("socp-medium", 150, 100, [10] * 30, [], 0.1),
    ("socp-large", 300, 200, [20] * 30, [], 0.1),
    ("socp-xl", 500, 300, [25] * 40, [], 0.05),
    ("sdp-small", 30, 0, [], [10], 0.2),
    ("sdp-medium", 60, 10, [], [25], 0.1),
    ("sdp-large", 100, 0, [], [40], 0.1),
    ("sdp-xl", 120, 0, [], [60], 0.05),
]


def rand_interior_soc(rng, d):
    u = rng.standard_normal(d - 1)
    return np.concatenate([[np.linalg.norm(u) + 0.5 + rng.random()], u])


def rand_interior_psd(rng, n):
    m = rng.standard_normal((n, n))
    return m @ m.T / n + 0.5 * np.eye(n)


def svec(mat):
    n = mat.shape[0]
    out = []
    for j in range(n):
        for i in range(j, n):
            out.append(mat[i, j] if i == j else np.sqrt(2) * mat[i, j])
    return np.array(out)


def interior(rng, l, qs, ss):
    parts = [0.5 + rng.random(l)]
    parts += [rand_interior_soc(rng, d) for d in qs]
    parts += [svec(rand_interior_psd(rng, n)) for n in ss]
    return np.concatenate(parts)


def main():
    rng = np.random.default_rng(20261202)
    out = []
    for name, n, l, qs, ss, density in SPECS:
        m = l + sum(qs) + sum(k * (k + 1) // 2 for k in ss)
        mask = rng.random((m, n)) < density
        mask[np.arange(m), rng.integers(0, n, m)] = True
        mask[rng.integers(0, m, n), np.arange(n)] = True
        g = np.where(mask, np.round(rng.standard_normal((m, n)), 4), 0.0)
        x0 = rng.standard_normal(n)
        s0 = interior(rng, l, qs, ss)
        y0 = interior(rng, l, qs, ss)
        h = g @ x0 + s0
        c = -g.T @ y0
        inst = {"name": name, "n": n, "m": m, "l": l, "q": qs, "s": ss,
                "c": c.tolist(), "h": h.tolist()}
        gj, gi = np.nonzero(g.T)
        inst["Gi"], inst["Gj"], inst["Gv"] = gi.tolist(), gj.tolist(), g[gi, gj].tolist()
        args = cc.to_cvxopt(inst)
        solvers.options.update({"show_progress": False, "abstol": 1e-9, "reltol": 1e-9, "feastol": 1e-9, "maxiters": 200})
        sol = solvers.conelp(*args)
        if sol["status"] != "optimal":
            sys.exit(f"{name}: cvxopt status {sol['status']}")
        inst["cvxopt_objective"] = sol["primal objective"]
        inst["cvxopt_x"] = list(sol["x"])
        out.append(inst)
        print(f"{name}: n={n} m={m} objective {sol['primal objective']:.10g} in {sol['iterations']} iterations", file=sys.stderr)
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
