#!/usr/bin/python3
"""Reference instances for solvers/cone's Solve, solved by CVXOPT.

Written for optlayers (not taken from any other project). Run from the
package directory with Debian's interpreter (which has python3-cvxopt):

    /usr/bin/python3 testdata/gen_cvxopt.py

It writes testdata/cvxopt_cases.json (the small cases of cvxopt_test.go)
and testdata/bench_socp.json, testdata/bench_sdp.json (the instances of
bench_solve_test.go, solved too so that the benchmark can check its answer).

Every instance has a known optimal point by construction: pick x0, and a
strictly complementary pair s0 ∈ K, z0 ∈ K* with ⟨s0, z0⟩ = 0 block by
block (the orthant: sᵢzᵢ = 0; second-order cones: both on the boundary
with z ∝ (s₀, −s₁), or one at the apex and the other inside; PSD: S and Z
sharing eigenvectors with complementary eigenvalues), a multiplier y_eq for
the equalities, then b = A x0 + s0 (b = A x0 on the equality rows) and
p = −Aᵀ(y_eq, z0) − Q x0: (x0, s0, (y_eq, z0)) satisfies the optimality
conditions exactly, and with random data it is the unique solution
(strict complementarity and nondegeneracy hold generically), so the Go
test checks Solve against both the construction ("x_true", …) and CVXOPT.

Our form is: minimize ½xᵀQx + pᵀx s.t. Ax + s = b, s ∈ K with K = Zero ×
Nonnegative × SecondOrder… × PSD…; CVXOPT's is Gx + s = h (s ∈ cone with
dims {'l','q','s'}) and Ax = b. The equality rows come first in ours. The
PSD blocks are svec in ours (lower triangle by columns, off-diagonal
entries times √2) and full column-major matrices in CVXOPT; the instance
data are symmetric in CVXOPT's storage, and converted by svec.
"""
import json
import math
import sys

import numpy as np
from cvxopt import matrix, solvers, spmatrix

solvers.options.update({
    "show_progress": False, "abstol": 1e-10, "reltol": 1e-10,
    "feastol": 1e-10, "maxiters": 200,
})


def orth_pair(rng, d, nact):
    """A strictly complementary pair on the orthant with nact active rows:
    sᵢzᵢ = 0, sᵢ + zᵢ > 0."""
    act = np.zeros(d, dtype=bool)
    act[rng.permutation(d)[:nact]] = True
    s = np.where(act, 0.0, rng.random(d) + 0.5)
    z = np.where(act, rng.random(d) + 0.5, 0.0)
    return s, z


def soc_pair(rng, d):
    """A strictly complementary pair on the second-order cone: both on the
    boundary with z ∝ (s₀, −s₁) (2/3 of the blocks), or the apex with an
    interior partner, or an interior point with z = 0."""
    kind = rng.random()
    v = rng.standard_normal(d - 1)
    v /= np.linalg.norm(v)
    if kind < 2 / 3:
        t = 0.5 + rng.random()
        s = np.concatenate([[t], t * v])
        c = 0.5 + rng.random()
        z = c * np.concatenate([[t], -t * v])
        return s, z, 1
    u = rng.standard_normal(d - 1) * 0.3
    inner = np.concatenate([[np.linalg.norm(u) + 0.5 + rng.random()], u])
    if kind < 5 / 6:
        return np.zeros(d), inner, d
    return inner, np.zeros(d), 0


def psd_pair(rng, n):
    """S = Q diag(λ) Qᵀ, Z = Q diag(ω) Qᵀ with λᵢωᵢ = 0, λᵢ + ωᵢ > 0 (rank
    of S between 1 and n − 1)."""
    q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    r = int(rng.integers(1, n)) if n > 1 else 1
    lam = np.zeros(n)
    om = np.zeros(n)
    lam[:r] = 0.5 + rng.random(r)
    om[r:] = 0.5 + rng.random(n - r)
    k = n - r
    return q @ np.diag(lam) @ q.T, q @ np.diag(om) @ q.T, k * (k + 1) // 2


def svec(mm):
    n = mm.shape[0]
    out = []
    for j in range(n):
        for i in range(j, n):
            out.append(mm[i, j] * (1.0 if i == j else math.sqrt(2)))
    return np.array(out)


def sym_rows_to_svec_map(n):
    """(row index in CVXOPT's n² block, factor) for each svec entry."""
    out = []
    for j in range(n):
        for i in range(j, n):
            out.append((j * n + i, 1.0 if i == j else math.sqrt(2)))
    return out


def make(rng, name, n, meq, nl, socs, psds, density, quad=False):
    """Build one instance; returns the JSON dict (with CVXOPT's answer)."""
    # Our slack blocks (svec for PSD) and CVXOPT's (full matrices).
    # The number of conditions the complementary pairs pin on x (the
    # dimension of the normal cone of the face): an active orthant row 1,
    # a boundary pair of a second-order cone 1, an apex d, a PSD pair
    # k(k+1)/2 for rank(Z) = k, an equality 1. A linear objective has a
    # unique nondegenerate solution when they add up to n: n is set so
    # (with the orthant's active rows), a quadratic one when ≤ n.
    pairs, pinned = [], meq
    for d in socs:
        s, z, pn = soc_pair(rng, d)
        pairs.append((s, z))
        pinned += pn
    s0_psd, z0_psd = [], []
    for k in psds:
        S, Z, pn = psd_pair(rng, k)
        s0_psd.append(S)
        z0_psd.append(Z)
        pinned += pn
    if quad:
        nact = max(0, min(nl, n - pinned))
    else:
        nact = max(0, min(nl, n - pinned))
        n = pinned + nact
    s0, z0 = [], []
    if nl:
        s, z = orth_pair(rng, nl, nact)
        s0.append(s)
        z0.append(z)
    for s, z in pairs:
        s0.append(s)
        z0.append(z)
    for S, Z in zip(s0_psd, z0_psd):
        s0.append(svec(S))
        z0.append(svec(Z))
    s0 = np.concatenate(s0) if s0 else np.zeros(0)
    z0 = np.concatenate(z0) if z0 else np.zeros(0)
    mc = len(s0)                      # cone rows (ours)
    mg = nl + sum(socs) + sum(k * k for k in psds)   # CVXOPT's rows of G

    def sparse_rand(r, c):
        a = rng.standard_normal((r, c))
        mask = rng.random((r, c)) < density
        a = a * mask
        # no empty row or column
        for i in range(r):
            if not mask[i].any():
                a[i, rng.integers(c)] = rng.standard_normal()
        for j in range(c):
            if not (a[:, j] != 0).any():
                a[rng.integers(r), j] = rng.standard_normal()
        return a

    Aeq = sparse_rand(meq, n) if meq else np.zeros((0, n))
    # CVXOPT's G: orthant and SOC rows directly; PSD rows as symmetric n²
    # blocks built from an svec-row matrix.
    Gl = sparse_rand(nl + sum(socs), n) if nl + sum(socs) else np.zeros((0, n))
    Gpsd_blocks, Gpsd_ours = [], []
    for k in psds:
        d = k * (k + 1) // 2
        B = sparse_rand(d, n)    # rows: the symmetric matrices' lower entries
        full = np.zeros((k * k, n))
        ours = np.zeros((d, n))
        r = 0
        for j in range(k):
            for i in range(j, k):
                full[j * k + i] = B[r]
                full[i * k + j] = B[r]
                ours[r] = B[r] * (1.0 if i == j else math.sqrt(2))
                r += 1
        Gpsd_blocks.append(full)
        Gpsd_ours.append(ours)
    Gc = np.vstack([Gl] + Gpsd_blocks) if mg else np.zeros((0, n))
    Aours = np.vstack([Aeq, Gl] + Gpsd_ours)

    x0 = rng.standard_normal(n)
    Q = None
    if quad:
        F = rng.standard_normal((n, n // 2 + 1))
        Q = F @ F.T / n + 0.5 * np.eye(n)
    yeq0 = rng.standard_normal(meq)
    y0 = np.concatenate([yeq0, z0])
    p = -Aours.T @ y0
    if Q is not None:
        p = p - Q @ x0
    b_ours = Aours @ x0 + np.concatenate([np.zeros(meq), s0])
    beq = b_ours[:meq]
    # CVXOPT's h: orthant/SOC entries as ours, PSD blocks full.
    h_parts = [b_ours[meq:meq + nl + sum(socs)]]
    for k, S, blk in zip(psds, s0_psd, Gpsd_blocks):
        h_parts.append((blk @ x0) + S.reshape(-1, order="F"))
    h = np.concatenate(h_parts) if h_parts else np.zeros(0)

    dims = {"l": nl, "q": list(socs), "s": list(psds)}
    G = matrix(Gc) if mg else None
    args = dict(G=G, h=matrix(h), dims=dims)
    if meq:
        args.update(A=matrix(Aeq), b=matrix(beq))
    # CVXOPT's iteration becomes unstable below its attainable accuracy
    # (the dual residual floor is near 1e-9 on some of these): try the
    # tightest tolerances first and record those that gave "optimal".
    for tol in (1e-10, 1e-9, 1e-8):
        solvers.options.update({"abstol": tol, "reltol": tol, "feastol": tol})
        try:
            if Q is None:
                res = solvers.conelp(matrix(p), **args)
            else:
                res = solvers.coneqp(matrix(Q), matrix(p), **args)
        except ValueError:  # a domain error of the scaling update
            res = {"status": "error"}
            continue
        if res["status"] == "optimal":
            break
    if res["status"] != "optimal":
        print(name, "cvxopt status", res["status"], file=sys.stderr)
    x = np.array(res["x"]).ravel()
    sc = np.array(res["s"]).ravel()
    zc = np.array(res["z"]).ravel()
    yeq = np.array(res["y"]).ravel() if meq else np.zeros(0)
    # Convert CVXOPT's s, z to ours.
    off = nl + sum(socs)
    s_ours, z_ours = [sc[:off]], [zc[:off]]
    for k in psds:
        Sm = sc[off:off + k * k].reshape((k, k), order="F")
        Zm = zc[off:off + k * k].reshape((k, k), order="F")
        s_ours.append(svec((Sm + Sm.T) / 2))
        z_ours.append(svec((Zm + Zm.T) / 2))
        off += k * k
    s_ours = np.concatenate([np.zeros(meq)] + s_ours)
    y_ours = np.concatenate([yeq] + z_ours)
    obj = float(p @ x + (0.5 * x @ Q @ x if Q is not None else 0.0))

    rows, cols = np.nonzero(Aours)
    cones = []
    if meq:
        cones.append({"type": "zero", "n": meq})
    if nl:
        cones.append({"type": "nonneg", "n": nl})
    for d in socs:
        cones.append({"type": "soc", "n": d})
    for k in psds:
        cones.append({"type": "psd", "n": k})
    out = {
        "name": name, "n": n, "m": int(Aours.shape[0]), "cones": cones,
        "a_rows": rows.tolist(), "a_cols": cols.tolist(),
        "a_vals": [float(v) for v in Aours[rows, cols]],
        "p": p.tolist(), "b": b_ours.tolist(),
        "x": x.tolist(), "s": s_ours.tolist(), "y": y_ours.tolist(),
        "objective": obj, "cvxopt_status": res["status"],
        "x_true": x0.tolist(), "s_true": np.concatenate([np.zeros(meq), s0]).tolist(),
        "y_true": y0.tolist(),
        "objective_true": float(p @ x0 + (0.5 * x0 @ Q @ x0 if Q is not None else 0.0)),
        "cvxopt_iterations": int(res["iterations"]), "cvxopt_tol": tol,
    }
    if Q is not None:
        qr, qc = np.nonzero(np.triu(Q))
        out.update(q_rows=qr.tolist(), q_cols=qc.tolist(),
                   q_vals=[float(v) for v in Q[qr, qc]])
    return out


def main():
    rng = np.random.default_rng(20261202)
    cases = []
    cases.append(make(rng, "lp-8x12", 8, 0, 12, [], [], 0.6))
    cases.append(make(rng, "lp-eq-20x30", 20, 4, 30, [], [], 0.4))
    cases.append(make(rng, "socp-10", 10, 0, 4, [3, 4, 5], [], 0.5))
    cases.append(make(rng, "socp-eq-30", 30, 5, 10, [5, 8, 12, 3], [], 0.3))
    cases.append(make(rng, "socp-60", 60, 8, 20, [10, 20, 6, 6, 15], [], 0.15))
    cases.append(make(rng, "sdp-3", 6, 0, 0, [], [3], 0.7))
    cases.append(make(rng, "sdp-5-lp", 12, 2, 6, [], [5], 0.5))
    cases.append(make(rng, "sdp-3-5-10", 25, 3, 5, [4], [3, 5, 10], 0.3))
    cases.append(make(rng, "qp-soc-15", 15, 2, 6, [4, 6], [], 0.4, quad=True))
    cases.append(make(rng, "qp-soc-40", 40, 5, 15, [8, 10, 12], [], 0.2, quad=True))
    cases.append(make(rng, "qp-sdp-10", 10, 0, 4, [], [4], 0.5, quad=True))
    with open("testdata/cvxopt_cases.json", "w") as f:
        json.dump(cases, f, separators=(",", ":"))

    # Benchmark instances (sizes where conelp takes ≥ 0.1 s on this machine).
    rng = np.random.default_rng(15)
    socs = [10] * 40
    bench = make(rng, "socp-n200-m460", 200, 10, 50, socs, [], 0.03)
    with open("testdata/bench_socp.json", "w") as f:
        json.dump(bench, f, separators=(",", ":"))
    rng = np.random.default_rng(16)
    bench = make(rng, "sdp-n60-psd20x2", 60, 0, 20, [], [20, 20], 0.05)
    with open("testdata/bench_sdp.json", "w") as f:
        json.dump(bench, f, separators=(",", ":"))


if __name__ == "__main__":
    main()
