package qp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"

	"github.com/optlayers/optlayers/sparse"
)

// This file holds SolveSparse's interior point: the proximal method of
// proximal.go (PIQP's, Schwan et al. 2023) on sparse data, with the KKT
// system kept in its quasi-definite form and factored by sparse.LDL
// instead of being reduced to a dense normal matrix.
//
// Internally the problem is
//
//	minimize ½xᵀQx + pᵀx  s.t.  C_E x = b,  σ_k a_kᵀx + s_k = h_k,  s ≥ 0,
//
// where the equality rows C_E are the rows of A with L = U and the fixed
// variables (LB = UB), and each finite side of the other rows and of the
// variable bounds is a "side" k with sign σ_k = +1 (upper, h = U) or −1
// (lower, h = −L) on the row a_k (a row of A or a unit vector). Bounds of
// magnitude at least sparseInf count as absent (as OSQP's 1e30).
//
// A Newton step with proximal weights ρ (primal) and δ (dual) at the
// iterate eliminates every slack and side multiplier: with d_k = δ +
// s_k/z_k and t_k = −r_k − r_c,k/z_k (r_k the side's primal residual, r_c,k
// its complementarity right-hand side), a row r with sides k has the net
// multiplier w_r = Σ σ_k z_k and the diagonal −1/e_r, e_r = Σ 1/d_k; a
// variable's bound sides add e_j to the diagonal of the x block. The
// system factored every iteration is
//
//	⎡Q + ρI + diag(e_B)   C_Eᵀ   C_Iᵀ      ⎤ ⎡Δx⎤   ⎡−r_d + f_B⎤
//	⎢C_E                  −δI    0         ⎥ ⎢Δy⎥ = ⎢−r_E      ⎥
//	⎣C_I                   0    −diag(1/e) ⎦ ⎣Δw⎦   ⎣f_I / e    ⎦
//
// (f_r = Σ σ_k t_k/d_k), quasi-definite for every ρ, δ > 0: an LDLᵀ with
// a fixed pivot order exists, and sparse.LDL finds it with the symbolic
// analysis done once. Then Δz_k = (σ_k a_kᵀΔx − t_k)/d_k and Δs_k =
// (r_c,k − s_kΔz_k)/z_k.

// sparseInf is the magnitude from which a bound counts as infinite.
const sparseInf = 1e20

// spSide is one finite side of an inequality row or of a variable bound.
type spSide struct {
	row  int     // inequality row r (KKT row neq + r), or −(j+1) for a bound of variable j
	sign float64 // +1: upper side, −1: lower side
	h    float64 // scaled: U (σ = +1) or −L (σ = −1)
}

// spIPM is the state of one sparse proximal interior-point solve.
type spIPM struct {
	d        *sparseData
	set      *SparseSettings
	n        int
	neq, nin int // equality and inequality rows of the KKT system
	k        int // neq + nin

	// Scaled data: x = dcol∘x̃, KKT row r multiplied by erow[r], the
	// objective by cost.
	q      *sparse.SymCSC // nil for Q = 0
	p      []float64
	ct     *sparse.CSC // n×k: column r is KKT constraint row r
	c      *sparse.CSC // k×n
	b      []float64   // neq
	rowOf  []int       // KKT row r → user row i ≥ 0, or −(j+1) for fixed variable j
	dcol   []float64
	erow   []float64
	cost   float64
	sides  []spSide
	rowBnd [][2]float64 // per inequality row: scaled (L, U) with ±Inf for absent sides
	varBnd [][2]float64 // per variable: scaled (LB, UB), ±Inf when absent or fixed

	// Iterate (scaled).
	x, y       []float64
	s, z       []float64 // per side
	rho, delta float64

	// KKT matrix and its factorization.
	kkt     *sparse.SymCSC
	kv      []float64 // kkt's values
	diagPos []int     // position of each diagonal entry in kv
	qd      []float64 // Q̃'s diagonal
	ldl     *sparse.LDL
	kktPol  *sparse.SymCSC // polishing matrix (same pattern)
	// polishStart, when set, is the scaled (x, y, w, z_B) from which
	// polishSet starts instead of the iterate.
	polishStart *[4][]float64

	// Scratch.
	rd, rE, rS []float64 // residuals: n, neq, per side
	cx         []float64 // k: C̃x
	w, zb      []float64 // nets: nin, n
	dd, tt     []float64 // per side: d_k, t_k
	eI, fI     []float64 // nin
	eB, fB     []float64 // n
	rhs, sol   []float64 // n + k
	dx         []float64 // n
	dy         []float64 // neq
	cdx        []float64 // k
	ds, dz     []float64 // per side
	sAff, zAff []float64
	corr       [][]float64 // saved direction and right-hand side of the centrality correctors
	mu         float64
	lastAlpha  float64
	logger     *slog.Logger
	acc        *sparseAcceptance
	// robust selects the second attempt's iteration (see run).
	robust bool
}

func newSpIPM(d *sparseData, set *SparseSettings, acc *sparseAcceptance) (*spIPM, error) {
	pi := &spIPM{d: d, set: set, n: d.n, logger: set.Logger, acc: acc}
	pi.classify()
	pi.equilibrate()
	if err := pi.assemble(); err != nil {
		return nil, err
	}
	n, k, ns := pi.n, pi.k, len(pi.sides)
	pi.x, pi.y = make([]float64, n), make([]float64, pi.neq)
	pi.s, pi.z = make([]float64, ns), make([]float64, ns)
	pi.rd, pi.rE, pi.rS = make([]float64, n), make([]float64, pi.neq), make([]float64, ns)
	pi.cx = make([]float64, k)
	pi.w, pi.zb = make([]float64, pi.nin), make([]float64, n)
	pi.dd, pi.tt = make([]float64, ns), make([]float64, ns)
	pi.eI, pi.fI = make([]float64, pi.nin), make([]float64, pi.nin)
	pi.eB, pi.fB = make([]float64, n), make([]float64, n)
	pi.rhs, pi.sol = make([]float64, n+k), make([]float64, n+k)
	pi.dx, pi.dy, pi.cdx = make([]float64, n), make([]float64, pi.neq), make([]float64, k)
	pi.ds, pi.dz = make([]float64, ns), make([]float64, ns)
	pi.sAff, pi.zAff = make([]float64, ns), make([]float64, ns)
	return pi, nil
}

// isInf reports whether a bound counts as absent.
func isInf(v float64) bool { return math.Abs(v) >= sparseInf }

// classify sorts the rows of A and the variable bounds into equality rows
// and sides, and builds the unscaled constraint matrix Cᵀ (n×k).
func (pi *spIPM) classify() {
	d := pi.d
	n := d.n
	var eqRows, inRows []int // user rows
	for i := range d.m {
		lo, up := d.l[i], d.u[i]
		switch {
		case isInf(lo) && isInf(up):
			// A free row: no constraint, multiplier 0.
		case !isInf(lo) && !isInf(up) && up-lo < 1e-10:
			eqRows = append(eqRows, i)
		default:
			inRows = append(inRows, i)
		}
	}
	var fixed []int
	for j := range n {
		lo, up := d.lb[j], d.ub[j]
		if !isInf(lo) && !isInf(up) && up-lo < 1e-10 {
			fixed = append(fixed, j)
		}
	}
	pi.neq = len(eqRows) + len(fixed)
	pi.nin = len(inRows)
	pi.k = pi.neq + pi.nin
	pi.rowOf = make([]int, 0, pi.k)
	pi.b = make([]float64, 0, pi.neq)
	cp := []int{0}
	var ri []int
	var vals []float64
	addRow := func(i int) {
		if d.at != nil {
			rows, v := d.at.Col(i)
			ri = append(ri, rows...)
			vals = append(vals, v...)
		}
		cp = append(cp, len(ri))
	}
	for _, i := range eqRows {
		pi.rowOf = append(pi.rowOf, i)
		pi.b = append(pi.b, d.u[i])
		addRow(i)
	}
	for _, j := range fixed {
		pi.rowOf = append(pi.rowOf, -(j + 1))
		pi.b = append(pi.b, d.ub[j])
		ri = append(ri, j)
		vals = append(vals, 1)
		cp = append(cp, len(ri))
	}
	pi.rowBnd = make([][2]float64, pi.nin)
	for r, i := range inRows {
		pi.rowOf = append(pi.rowOf, i)
		addRow(i)
		lo, up := d.l[i], d.u[i]
		if isInf(lo) {
			lo = math.Inf(-1)
		}
		if isInf(up) {
			up = math.Inf(1)
		}
		pi.rowBnd[r] = [2]float64{lo, up}
	}
	pi.varBnd = make([][2]float64, n)
	isFixed := make([]bool, n)
	for _, j := range fixed {
		isFixed[j] = true
	}
	for j := range n {
		lo, up := d.lb[j], d.ub[j]
		if isInf(lo) || isFixed[j] {
			lo = math.Inf(-1)
		}
		if isInf(up) || isFixed[j] {
			up = math.Inf(1)
		}
		pi.varBnd[j] = [2]float64{lo, up}
	}
	ct, err := sparse.NewCSC(n, pi.k, cp, ri, vals)
	if err != nil {
		panic(fmt.Sprintf("qp: internal error building Cᵀ: %v", err)) // built from a valid CSC
	}
	pi.ct = ct
}

// equilibrate scales the matrix [Q Cᵀ; C 0] by Ruiz's iteration with
// power-of-two factors (exact scaling, see ruizFactor), then the
// objective (as proximal.go's equilibrate), and scales the vectors and
// bounds into the new units. It finally lists the sides.
func (pi *spIPM) equilibrate() {
	d := pi.d
	n, k := pi.n, pi.k
	if d.q != nil {
		pi.q = d.q.Clone()
	}
	pi.dcol = make([]float64, n)
	pi.erow = make([]float64, k)
	for j := range pi.dcol {
		pi.dcol[j] = 1
	}
	for i := range pi.erow {
		pi.erow[i] = 1
	}
	cn := make([]float64, n)
	rn := make([]float64, k)
	ccp, cri, cv := pi.ct.Raw()
	for range 15 {
		clear(cn)
		clear(rn)
		if pi.q != nil {
			qcp, qri, qv := pi.q.Upper().Raw()
			for j := range n {
				for p := qcp[j]; p < qcp[j+1]; p++ {
					a := math.Abs(qv[p])
					cn[j] = math.Max(cn[j], a)
					cn[qri[p]] = math.Max(cn[qri[p]], a)
				}
			}
		}
		for r := range k {
			for p := ccp[r]; p < ccp[r+1]; p++ {
				a := math.Abs(cv[p])
				cn[cri[p]] = math.Max(cn[cri[p]], a)
				rn[r] = math.Max(rn[r], a)
			}
		}
		done := true
		for j, v := range cn {
			cn[j] = ruizFactor(v)
			done = done && cn[j] == 1
		}
		for i, v := range rn {
			rn[i] = ruizFactor(v)
			done = done && rn[i] == 1
		}
		if done {
			break
		}
		if pi.q != nil {
			qcp, qri, qv := pi.q.Upper().Raw()
			for j := range n {
				for p := qcp[j]; p < qcp[j+1]; p++ {
					qv[p] *= cn[j] * cn[qri[p]]
				}
			}
		}
		for r := range k {
			for p := ccp[r]; p < ccp[r+1]; p++ {
				cv[p] *= cn[cri[p]] * rn[r]
			}
		}
		for j := range n {
			pi.dcol[j] *= cn[j]
		}
		for i := range k {
			pi.erow[i] *= rn[i]
		}
	}
	pi.p = make([]float64, n)
	for j := range n {
		pi.p[j] = pi.dcol[j] * d.p[j]
	}
	scale := normInf(pi.p)
	if pi.q != nil {
		col := make([]float64, n)
		_ = pi.q.ColNormsInf(col)
		qs := 0.0
		for _, v := range col {
			qs += v
		}
		scale = math.Max(scale, qs/float64(n))
	}
	pi.cost = 1
	if scale > 0 && !math.IsInf(scale, 0) {
		pi.cost = pow2(math.Max(0x1p-900, math.Min(0x1p900, 1/math.Max(scale, 1e-4))))
	}
	if pi.q != nil {
		_, _, qv := pi.q.Upper().Raw()
		for p := range qv {
			qv[p] *= pi.cost
		}
	}
	for j := range pi.p {
		pi.p[j] *= pi.cost
	}
	for r := range pi.neq {
		pi.b[r] *= pi.erow[r]
	}
	for r := range pi.nin {
		e := pi.erow[pi.neq+r]
		pi.rowBnd[r][0] *= e
		pi.rowBnd[r][1] *= e
		if lo := pi.rowBnd[r][0]; !math.IsInf(lo, 0) {
			pi.sides = append(pi.sides, spSide{row: r, sign: -1, h: -lo})
		}
		if up := pi.rowBnd[r][1]; !math.IsInf(up, 0) {
			pi.sides = append(pi.sides, spSide{row: r, sign: 1, h: up})
		}
	}
	for j := range n {
		dj := pi.dcol[j]
		pi.varBnd[j][0] /= dj
		pi.varBnd[j][1] /= dj
		if lo := pi.varBnd[j][0]; !math.IsInf(lo, 0) {
			pi.sides = append(pi.sides, spSide{row: -(j + 1), sign: -1, h: -lo})
		}
		if up := pi.varBnd[j][1]; !math.IsInf(up, 0) {
			pi.sides = append(pi.sides, spSide{row: -(j + 1), sign: 1, h: up})
		}
	}
	pi.c = pi.ct.Transpose()
}

// assemble builds the pattern of the KKT matrix (upper triangle: Q̃'s
// upper triangle and a diagonal entry in the first n columns, then column
// n + r holding KKT row r of C̃ and its diagonal) and runs the symbolic
// analysis.
func (pi *spIPM) assemble() error {
	n, k := pi.n, pi.k
	N := n + k
	cp := make([]int, N+1)
	var ri []int
	var v []float64
	pi.qd = make([]float64, n)
	pi.diagPos = make([]int, N)
	var qcp, qri []int
	var qv []float64
	if pi.q != nil {
		qcp, qri, qv = pi.q.Upper().Raw()
	}
	for j := range n {
		if pi.q != nil {
			for p := qcp[j]; p < qcp[j+1]; p++ {
				if qri[p] == j {
					pi.qd[j] = qv[p]
					continue
				}
				ri = append(ri, qri[p])
				v = append(v, qv[p])
			}
		}
		pi.diagPos[j] = len(ri)
		ri = append(ri, j)
		v = append(v, 1)
		cp[j+1] = len(ri)
	}
	ccp, cri, cv := pi.ct.Raw()
	for r := range k {
		ri = append(ri, cri[ccp[r]:ccp[r+1]]...)
		v = append(v, cv[ccp[r]:ccp[r+1]]...)
		pi.diagPos[n+r] = len(ri)
		ri = append(ri, n+r)
		v = append(v, -1)
		cp[n+r+1] = len(ri)
	}
	kkt, err := sparse.NewSymCSC(N, cp, ri, v)
	if err != nil {
		return fmt.Errorf("qp: internal error assembling the KKT matrix: %v", err)
	}
	pi.kkt = kkt
	_, _, pi.kv = kkt.Upper().Raw()
	signs := make([]int8, N)
	for i := range N {
		signs[i] = 1
		if i >= n {
			signs[i] = -1
		}
	}
	workers := pi.set.Workers // 0: GOMAXPROCS, as in sparse.LDLSettings
	// The values are placeholders until the first factor: a numeric
	// failure here leaves the analysis in place.
	ldl, err := sparse.NewLDL(kkt, signs, &sparse.LDLSettings{Workers: workers, StaticReg: 1e-12})
	if err != nil && (ldl == nil || !errors.Is(err, sparse.ErrNaN)) {
		return fmt.Errorf("%w: the KKT analysis failed: %v", ErrSingular, err)
	}
	pi.ldl = ldl
	pi.kktPol = kkt.Clone()
	return nil
}

// side values a_kᵀx from C̃x (cx) and x.
func (pi *spIPM) sideDot(sd spSide, cx, x []float64) float64 {
	if sd.row >= 0 {
		return cx[pi.neq+sd.row]
	}
	return x[-sd.row-1]
}

// nets sets w (per inequality row) and zb (per variable) to Σ σ_k z_k.
func (pi *spIPM) nets(z, w, zb []float64) {
	clear(w)
	clear(zb)
	for k, sd := range pi.sides {
		if sd.row >= 0 {
			w[sd.row] += sd.sign * z[k]
		} else {
			zb[-sd.row-1] += sd.sign * z[k]
		}
	}
}

// residuals computes r_d, r_E and the side residuals at the iterate and
// returns μ = sᵀz/K.
func (pi *spIPM) residuals() float64 {
	n, neq := pi.n, pi.neq
	pi.mulQ(pi.rd, pi.x)
	for j, v := range pi.p {
		pi.rd[j] += v
	}
	pi.nets(pi.z, pi.w, pi.zb)
	mult := pi.sol[n:] // scratch: (y, w)
	copy(mult[:neq], pi.y)
	copy(mult[neq:], pi.w)
	_ = pi.ct.MulVecScaled(pi.rd, 1, mult, 1)
	for j, v := range pi.zb {
		pi.rd[j] += v
	}
	_ = pi.c.MulVec(pi.cx, pi.x)
	for r := range neq {
		pi.rE[r] = pi.cx[r] - pi.b[r]
	}
	mu := 0.0
	for k, sd := range pi.sides {
		pi.rS[k] = sd.sign*pi.sideDot(sd, pi.cx, pi.x) + pi.s[k] - sd.h
		mu += pi.s[k] * pi.z[k]
	}
	if len(pi.sides) > 0 {
		mu /= float64(len(pi.sides))
	}
	pi.mu = mu
	return mu
}

func (pi *spIPM) mulQ(dst, x []float64) {
	if pi.q == nil {
		clear(dst)
		return
	}
	_ = pi.q.MulVec(dst, x)
}

// factor sets the KKT diagonal for the iterate and factors it.
func (pi *spIPM) factor() error {
	n, neq := pi.n, pi.neq
	for k := range pi.sides {
		pi.dd[k] = pi.delta + pi.s[k]/pi.z[k]
	}
	clear(pi.eI)
	clear(pi.eB)
	for k, sd := range pi.sides {
		if sd.row >= 0 {
			pi.eI[sd.row] += 1 / pi.dd[k]
		} else {
			pi.eB[-sd.row-1] += 1 / pi.dd[k]
		}
	}
	for j := range n {
		pi.kv[pi.diagPos[j]] = pi.qd[j] + pi.rho + pi.eB[j]
	}
	for r := range neq {
		pi.kv[pi.diagPos[n+r]] = -pi.delta
	}
	for r := range pi.nin {
		// A row without sides cannot occur (free rows are dropped).
		pi.kv[pi.diagPos[n+neq+r]] = -1 / pi.eI[r]
	}
	return pi.ldl.Refactor(pi.kkt)
}

// direction computes the Newton direction for complementarity right-hand
// sides rc (per side) into (dx, dy, dz, ds), with the factorization of
// factor.
func (pi *spIPM) direction(rc []float64) error {
	n, neq := pi.n, pi.neq
	clear(pi.fI)
	clear(pi.fB)
	for k, sd := range pi.sides {
		t := -pi.rS[k] - rc[k]/pi.z[k]
		pi.tt[k] = t
		f := sd.sign * t / pi.dd[k]
		if sd.row >= 0 {
			pi.fI[sd.row] += f
		} else {
			pi.fB[-sd.row-1] += f
		}
	}
	r := pi.rhs
	for j := range n {
		r[j] = -pi.rd[j] + pi.fB[j]
	}
	for i := range neq {
		r[n+i] = -pi.rE[i]
	}
	for i := range pi.nin {
		r[n+neq+i] = pi.fI[i] / pi.eI[i]
	}
	if err := pi.ldl.Solve(pi.sol, r); err != nil {
		return err
	}
	copy(pi.dx, pi.sol[:n])
	copy(pi.dy, pi.sol[n:n+neq])
	_ = pi.c.MulVec(pi.cdx, pi.dx)
	for k, sd := range pi.sides {
		a := pi.sideDot(sd, pi.cdx, pi.dx)
		pi.dz[k] = (sd.sign*a - pi.tt[k]) / pi.dd[k]
		pi.ds[k] = (rc[k] - pi.s[k]*pi.dz[k]) / pi.z[k]
	}
	return nil
}

// start sets the initial iterate: from the warm start, or from the
// solution of the regularized system with S = Z = I (as proximal.go's
// start), with s and z shifted into the interior.
func (pi *spIPM) start() error {
	pi.rho, pi.delta = proxInit, dualInit
	for k := range pi.sides {
		pi.s[k], pi.z[k] = 1, 1
	}
	if ws := pi.set.WarmStart; ws != nil {
		return pi.warmStart(ws)
	}
	if err := pi.factor(); err != nil {
		return err
	}
	// The step from (x, y, s, z) = 0 with zero complementarity targets.
	clear(pi.x)
	clear(pi.y)
	zs, ss := pi.z, pi.s
	pi.z, pi.s = pi.zAff, pi.sAff // zero s and z for the residuals
	clear(pi.z)
	clear(pi.s)
	pi.residuals()
	pi.z, pi.s = zs, ss
	rc := make([]float64, len(pi.sides)) // zero
	if err := pi.direction(rc); err != nil {
		return err
	}
	copy(pi.x, pi.dx)
	copy(pi.y, pi.dy)
	_ = pi.c.MulVec(pi.cx, pi.x)
	for k, sd := range pi.sides {
		pi.s[k] = sd.h - sd.sign*pi.sideDot(sd, pi.cx, pi.x)
		pi.z[k] = math.Abs(pi.dz[k])
	}
	shiftInterior(pi.s)
	shiftInterior(pi.z)
	return nil
}

// warmStart takes the user's point into the scaled units.
func (pi *spIPM) warmStart(ws *SparseStart) error {
	// Lengths and values were checked by SolveSparse.
	for j := range pi.n {
		pi.x[j] = ws.X[j] / pi.dcol[j]
	}
	for r := range pi.neq {
		if i := pi.rowOf[r]; i >= 0 && ws.Y != nil {
			pi.y[r] = ws.Y[i] * pi.cost / pi.erow[r]
		} else if i < 0 && ws.Z != nil {
			pi.y[r] = ws.Z[-i-1] * pi.cost / pi.erow[r]
		}
	}
	_ = pi.c.MulVec(pi.cx, pi.x)
	for k, sd := range pi.sides {
		pi.s[k] = sd.h - sd.sign*pi.sideDot(sd, pi.cx, pi.x)
		var mult float64 // the user's signed multiplier of this side's row, scaled
		if sd.row >= 0 && ws.Y != nil {
			r := pi.neq + sd.row
			mult = ws.Y[pi.rowOf[r]] * pi.cost / pi.erow[r]
		} else if sd.row < 0 && ws.Z != nil {
			j := -sd.row - 1
			mult = ws.Z[j] * pi.cost * pi.dcol[j]
		}
		pi.z[k] = math.Max(sd.sign*mult, 0)
	}
	shiftInterior(pi.s)
	shiftInterior(pi.z)
	return nil
}

// toUser maps a scaled point given by its nets (x̃, ỹ, w̃, z̃_B) to the
// user's (x, y, z).
func (pi *spIPM) toUser(xs, ys, ws, zbs []float64) (x, y, z []float64) {
	d := pi.d
	x = make([]float64, pi.n)
	y = make([]float64, d.m)
	z = make([]float64, pi.n)
	for j := range x {
		x[j] = pi.dcol[j] * xs[j]
		z[j] = zbs[j] / (pi.cost * pi.dcol[j])
	}
	for r := range pi.k {
		var v float64
		if r < pi.neq {
			v = ys[r]
		} else {
			v = ws[r-pi.neq]
		}
		v *= pi.erow[r] / pi.cost
		if i := pi.rowOf[r]; i >= 0 {
			y[i] = v
		} else {
			z[-i-1] = v
		}
	}
	return x, y, z
}

// spResult is the best point of a sparse solve, in the user's units.
type spResult struct {
	x, y, z  []float64
	res      Residuals
	merit    float64
	ok       bool
	polished bool
	iters    int
	canceled bool
	err      error // a factorization that failed for good
	// The active set of the point, in the user's rows and variables.
	actRow, actVar []int8
	// The last multipliers and step, for the certificates.
	lastY, lastZ, lastDX []float64
}

// run iterates as proxIPM.run does: until the acceptance test passes on
// the user's data, the iteration limit, a stall or cancellation, and
// returns the best point seen.
//
// The second attempt (robust set, run when the first fails) is tuned for
// solutions with large multipliers or large x, where the proximal terms
// of the step (δΔz in the primal residual, ρΔx in the dual one) cap the
// progress of every iteration: ρ and δ then follow the residuals below
// their floors, Gondzio's centrality correctors lengthen the steps, and
// a stall is judged on the scaled residuals and μ rather than on the
// merit (which can rise for a while as the multipliers grow).
func (pi *spIPM) run(ctx context.Context) spResult {
	maxIter := pi.set.MaxIter
	best := spResult{res: Residuals{math.Inf(1), math.Inf(1), math.Inf(1), math.Inf(1)}, merit: math.Inf(1)}
	if err := pi.start(); err != nil {
		best.err = err
		return best
	}
	ns := len(pi.sides)
	rc := make([]float64, ns)
	lastImprove, lastPolish, lastDeep, deepLeft := 0, -10, -10, 2
	// Progress is measured on the scaled problem (largest residual and
	// μ): the merit on the user's data can rise for a while when the
	// multipliers grow towards large optimal values.
	bestProgress := math.Inf(1)
	for iter := 0; ; iter++ {
		mu := pi.residuals()
		if p := math.Max(pi.infeasibility(), mu); pi.robust && p < 0.5*bestProgress {
			bestProgress, lastImprove = p, iter
		}
		x, y, z := pi.toUser(pi.x, pi.y, pi.w, pi.zb)
		merit, res := pi.acc.merit(x, y, z)
		if merit < best.merit {
			if !pi.robust && merit < 0.5*best.merit {
				lastImprove = iter
			}
			best = spResult{x: x, y: y, z: z, res: res, merit: merit, iters: iter}
			best.actRow, best.actVar = pi.userActive(pi.activeSet())
		}
		if lg := pi.logger; lg != nil {
			lg.Debug("qp sparse", "iter", iter, "primal", res.Primal, "dual", res.Dual, "gap", res.Gap, "mu", mu, "rho", pi.rho, "delta", pi.delta, "merit", merit, "alpha", pi.lastAlpha, "refine", pi.ldl.Stats().Residual,
				"srp", math.Max(normInf(pi.rS), normInf(pi.rE)), "srd", normInf(pi.rd), "zmax", normInf(pi.z), "xmax", normInf(pi.x))
		}
		if merit <= 1 {
			best.ok, best.iters = true, iter
			return best
		}
		stop := iter >= maxIter || iter-lastImprove > 40 || !(merit < math.Inf(1))
		if ns > 0 && (stop || (merit < 1e4 && iter-lastPolish >= 3)) {
			lastPolish = iter
			// A polish during the iteration is one factorization and
			// refinement (OSQP's). The deep polish (the Krylov solvers
			// and the active-set corrections, several factorizations)
			// runs when the iteration stops, and on problems whose
			// factorization is cheap also, twice at most, when it has
			// not halved the merit for eight iterations.
			rounds, solvers := 1, polishRefinedOnly
			cheap := pi.ldl.Stats().Flops <= polishCheapFlops
			switch {
			case stop && cheap:
				rounds, solvers = polishRoundsLast, polishAllSolvers
			case stop:
				rounds, solvers = polishRounds, polishAllSolvers
			case cheap && iter-lastImprove >= 8 && iter-lastDeep >= 9 && deepLeft > 0:
				rounds, solvers = polishRounds, polishAllSolvers
				lastDeep, deepLeft = iter, deepLeft-1
			}
			if pr, ok := pi.polish(rounds, solvers); ok {
				pm, pres := pr.merit, pr.res
				if lg := pi.logger; lg != nil {
					lg.Debug("qp sparse polish", "iter", iter, "primal", pres.Primal, "dual", pres.Dual, "gap", pres.Gap, "merit", pm)
				}
				if pm < best.merit {
					best = spResult{x: pr.x, y: pr.y, z: pr.z, res: pres, merit: pm, iters: iter, polished: true}
					best.actRow, best.actVar = pi.userActive(pr.actRow, pr.actVar)
					if pm <= 1 {
						best.ok = true
						return best
					}
				}
			}
		}
		if stop {
			best.iters = iter
			best.lastY, best.lastZ = pi.userMultipliers()
			best.lastDX = pi.userStep()
			return best
		}
		if ctx.Err() != nil {
			best.canceled, best.iters = true, iter
			return best
		}
		if err := pi.factorOrRaise(); err != nil {
			best.err, best.iters = err, iter
			return best
		}
		// Predictor.
		for k := range ns {
			rc[k] = -pi.s[k] * pi.z[k]
		}
		if err := pi.direction(rc); err != nil {
			best.err, best.iters = err, iter
			return best
		}
		if ns > 0 {
			a := math.Min(stepTo(pi.s, pi.ds), stepTo(pi.z, pi.dz))
			muAff := 0.0
			for k := range ns {
				muAff += (pi.s[k] + a*pi.ds[k]) * (pi.z[k] + a*pi.dz[k])
			}
			muAff /= float64(ns)
			sigma := math.Pow(math.Max(0, muAff)/mu, 3)
			for k := range ns {
				rc[k] = -pi.s[k]*pi.z[k] - pi.ds[k]*pi.dz[k] + sigma*mu
			}
			if err := pi.direction(rc); err != nil {
				best.err, best.iters = err, iter
				return best
			}
			if err := pi.centralityCorrectors(rc, sigma*mu); err != nil {
				best.err, best.iters = err, iter
				return best
			}
		}
		if !finite(pi.dx) || !finite(pi.dy) || !finite(pi.dz) || !finite(pi.ds) {
			best.iters = iter
			return best
		}
		alpha := 1.0
		if ns > 0 {
			alpha = math.Min(1, 0.99*math.Min(stepTo(pi.s, pi.ds), stepTo(pi.z, pi.dz)))
		}
		for j := range pi.x {
			pi.x[j] += alpha * pi.dx[j]
		}
		for i := range pi.y {
			pi.y[i] += alpha * pi.dy[i]
		}
		for k := range ns {
			pi.s[k] = math.Max(pi.s[k]+alpha*pi.ds[k], 1e-300)
			pi.z[k] = math.Max(pi.z[k]+alpha*pi.dz[k], 1e-300)
		}
		f := math.Max(1-alpha, 0.1)
		pi.rho = math.Max(proxFloor, math.Min(f*pi.rho, pi.rho))
		pi.delta = math.Max(dualFloor, math.Min(f*pi.delta, pi.delta))
		// A dual proximal step δΔz that is not small beside the primal
		// residual caps the multipliers' progress (Δz ≲ ‖r‖/δ): where
		// the solution has large multipliers, let δ follow the residual
		// below its floor.
		if pi.robust {
			if dz := normInf(pi.dz); dz > 0 {
				if cap := 0.1 * pi.infeasibility() / dz; cap < pi.delta {
					pi.delta = math.Max(1e-14, cap)
				}
			}
			if dx := normInf(pi.dx); dx > 0 {
				if cap := 0.1 * pi.infeasibility() / dx; cap < pi.rho {
					pi.rho = math.Max(1e-14, cap)
				}
			}
		}
		pi.lastAlpha = alpha
	}
}

// centralityCorrectors improves the direction by Gondzio's multiple
// centrality correctors (Gondzio 1996, "Multiple centrality corrections
// in a primal-dual method for linear programming", Comput. Optim. Appl.
// 6): at a trial step a little longer than the current one, the products
// s_k z_k that fall outside [0.1, 10]·σμ are pulled back into that band
// by one more solve with the same factorization; a corrected direction is
// kept only when it lengthens the step enough. rc holds the corrector's
// complementarity right-hand side and is updated.
func (pi *spIPM) centralityCorrectors(rc []float64, target float64) error {
	ns := len(pi.sides)
	if ns == 0 || !(target > 0) || !pi.robust {
		return nil
	}
	step := func() float64 {
		return math.Min(1, math.Min(stepTo(pi.s, pi.ds), stepTo(pi.z, pi.dz)))
	}
	alpha := step()
	if pi.corr == nil {
		pi.corr = make([][]float64, 5)
		for i := range pi.corr {
			pi.corr[i] = make([]float64, max(pi.n, pi.neq, ns, 1))
		}
	}
	save := func() {
		copy(pi.corr[0], pi.dx)
		copy(pi.corr[1], pi.dy)
		copy(pi.corr[2], pi.dz)
		copy(pi.corr[3], pi.ds)
	}
	restore := func() {
		copy(pi.dx, pi.corr[0][:pi.n])
		copy(pi.dy, pi.corr[1][:pi.neq])
		copy(pi.dz, pi.corr[2][:ns])
		copy(pi.ds, pi.corr[3][:ns])
	}
	rcSave := pi.corr[4][:ns]
	lo, hi := 0.1*target, 10*target
	for range 2 {
		if alpha >= 0.999 {
			return nil
		}
		trial := math.Min(1, 1.5*alpha+0.1)
		save()
		copy(rcSave, rc)
		for k := range ns {
			v := (pi.s[k] + trial*pi.ds[k]) * (pi.z[k] + trial*pi.dz[k])
			switch {
			case v < lo:
				rc[k] += lo - v
			case v > hi:
				rc[k] += math.Max(hi-v, -hi)
			}
		}
		if err := pi.direction(rc); err != nil {
			return err
		}
		a := step()
		if !(a >= alpha+0.1*(trial-alpha)) || !finite(pi.dx) || !finite(pi.dz) {
			restore()
			copy(rc, rcSave)
			return nil
		}
		alpha = a
	}
	return nil
}

// factorOrRaise factors the KKT matrix, raising ρ and δ when the
// factorization needed many dynamic pivots or failed.
func (pi *spIPM) factorOrRaise() error {
	var err error
	for range 6 {
		err = pi.factor()
		if err == nil && pi.ldl.Stats().Dynamic == 0 {
			return nil
		}
		pi.rho = math.Max(100*pi.rho, 1e-8)
		pi.delta = math.Min(100*pi.delta, 1)
	}
	if err != nil {
		return fmt.Errorf("%w: the KKT factorization failed: %v", ErrSingular, err)
	}
	return nil // dynamic pivots left: refinement corrects them
}

// userMultipliers returns the current multipliers in the user's units.
func (pi *spIPM) userMultipliers() (y, z []float64) {
	_, y, z = pi.toUser(pi.x, pi.y, pi.w, pi.zb)
	return y, z
}

// userStep returns the last primal step in the user's units.
func (pi *spIPM) userStep() []float64 {
	out := make([]float64, pi.n)
	for j := range out {
		out[j] = pi.dcol[j] * pi.dx[j]
	}
	return out
}

// infeasibility returns the largest scaled primal or dual residual.
func (pi *spIPM) infeasibility() float64 {
	return math.Max(math.Max(normInf(pi.rS), normInf(pi.rE)), normInf(pi.rd))
}

// spIterate is a saved iterate of the interior point (see
// solveSparseData's last stage).
type spIterate struct {
	x, y, s, z []float64
	rho, delta float64
}

func (pi *spIPM) saveIterate() spIterate {
	return spIterate{append([]float64(nil), pi.x...), append([]float64(nil), pi.y...),
		append([]float64(nil), pi.s...), append([]float64(nil), pi.z...), pi.rho, pi.delta}
}

// restoreIterate makes it the iterate again, with its residuals and
// multiplier nets.
func (pi *spIPM) restoreIterate(it spIterate) {
	copy(pi.x, it.x)
	copy(pi.y, it.y)
	copy(pi.s, it.s)
	copy(pi.z, it.z)
	pi.rho, pi.delta = it.rho, it.delta
	pi.residuals()
}
