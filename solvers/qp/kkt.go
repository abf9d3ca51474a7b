package qp

import (
	"fmt"
	"math"

	"github.com/optlayers/optlayers/internal/dense"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/lapack/lapack64"
)

const (
	blasNoTrans = blas.NoTrans
	blasTrans   = blas.Trans
)

// kktMode selects how the KKT system is reduced before factorization.
type kktMode int

const (
	// modeDual eliminates x with a Cholesky factor of Q (computed once)
	// and factorizes the (p+m)×(p+m) Schur complement C Q⁻¹ Cᵀ + diag(0, W)
	// of the stacked constraints C = [A; G] each iteration. Needs Q ≻ 0.
	modeDual kktMode = iota
	// modePrimal eliminates the inequality multipliers, factorizes the
	// n×n matrix H = Q + Gᵀ W⁻¹ G each iteration and, with equalities,
	// the p×p Schur complement A H⁻¹ Aᵀ. Works for any PSD Q.
	modePrimal
)

// kkt solves the (regularized, then refined) KKT system
//
//	⎡Q  Aᵀ  Gᵀ⎤ ⎡dx⎤   ⎡r₁⎤
//	⎢A  0   0 ⎥ ⎢dν⎥ = ⎢r₂⎥
//	⎣G  0  −W ⎦ ⎣dλ⎦   ⎣r₃⎦
//
// for a positive diagonal W (W = s/λ in the interior point).
type kkt struct {
	d          *data
	mode       kktMode
	n, neq, m  int
	k          int // neq + m
	w          []float64
	regP, regD float64 // static regularization actually used
	// dual mode (on the transformed problem with Q = I)
	l []float64 // n×n lower Cholesky factor (row-major) of the original Q = L Lᵀ
	// rowScale (shared, read only) is the row equilibration of the
	// constraints, nil when none: this kkt is then that of the scaled
	// problem, K̃ = E K E with E = diag(I, e).
	rowScale []float64
	z        []float64 // k×n: C L⁻ᵀ, the transformed constraints
	k0       []float64 // k×k: Z Zᵀ
	lead     []float64 // k×k: Z Zᵀ + reg·I, equality columns factorized (shared)
	// shared factor of the per-iteration matrix: k×k (dual) or n×n (primal)
	f []float64
	// upper (dual mode without eliminated equalities, k > 10) reports
	// that f holds U = Lᵀ of dense.CholeskyUpper in its upper triangle,
	// with leading dimension ldf = k + dense.UpperPad; otherwise f holds
	// L in its lower triangle with leading dimension k.
	upper bool
	ldf   int
	// reg0 is dualReg of k0, once computed (0 before).
	reg0 float64
	// finv holds 1/Uᵢᵢ of the upper factor.
	finv []float64
	// primal mode
	gt []float64 // n×mg: G_generalᵀ (shared, read only)
	gd []float64 // n×mg scratch: G_generalᵀ diag(W^{-1/2})
	// unitCol[i] is j when row i of G is a multiple of eⱼᵀ (a bound),
	// −1 otherwise; bound rows add to the diagonal of H directly.
	unitCol []int
	general []int     // rows of G that are not bounds
	za      []float64 // neq×n: A L_H⁻ᵀ with H = L_H L_Hᵀ
	sa      []float64 // neq×neq factor
	// scratch; zt is Z r₁ of the current iteration (see solveRegZ), rt
	// the transformed right-hand side of solveOrig
	sol, res, corr, t, y, zt, rt []float64
	factored                     bool
	// aug, when set, is an LU factorization of the KKT matrix with the
	// inactive rows eliminated (see factorAugmented), used for derivatives
	// in the primal reduction, where eliminating every λ would divide by
	// the tiny W of active constraints.
	aug     []float64 // LU factors (row-major N×N) of the augmented matrix
	augPiv  []int
	augKept []int // constraint rows kept in the augmented matrix
	augElim []int // inactive rows eliminated into its first block
}

// prep is the part of the KKT reduction that depends only on Q, A and G.
// It is read-only once built, so instances that share Q, A and G (a
// batch with shared constraints) share one prep.
type prep struct {
	mode kktMode
	// dual mode
	l  []float64 // lower Cholesky factor of Q = L Lᵀ (row-major)
	z  []float64 // [A; G] L⁻ᵀ, k×n
	k0 []float64 // Z Zᵀ
	// lead is Z Zᵀ + reg·I with the equality columns eliminated (see
	// eliminateEqualities), nil without equalities or when they are
	// numerically redundant.
	lead []float64
	// primal mode
	unitCol []int
	general []int
	gt      []float64 // n×len(general): the general rows of G, transposed
	// rowScale, when set, holds the power-of-two factors (first the p of
	// A, then the m of G) by which the constraint rows were equilibrated;
	// scaled holds the scaled A and G (and the user's Q).
	rowScale []float64
	scaled   *data
}

// rowScales returns power-of-two factors eᵢ with eᵢ‖cᵢ‖∞ ∈ [1/√2, √2) for
// the rows cᵢ of [A; G], or nil when the nonzero row norms are within a
// factor 64 of each other (the interior point copes with those as they
// are). Rows of wildly different magnitudes (mixed units) otherwise stall
// the iteration: a row scaled by 10⁶ dominates every residual. Scaling by
// powers of two is exact, so the scaled problem has exactly the same
// solution x*, and the multipliers and slacks map back exactly:
// ν = e_A∘ν̃, λ = e_G∘λ̃, s = s̃/e_G.
func rowScales(d *data) []float64 {
	n, neq, m := d.n, d.neq, d.m
	lo, hi := math.Inf(1), 0.0
	for i := range neq + m {
		if r := normInf(constraintRow(d.a, d.g, n, neq, i)); r > 0 {
			lo, hi = math.Min(lo, r), math.Max(hi, r)
		}
	}
	if !(hi > 64*lo) {
		return nil // the common case: no scaling, nothing allocated
	}
	norms := make([]float64, neq+m)
	for i := range norms {
		norms[i] = normInf(constraintRow(d.a, d.g, n, neq, i))
	}
	for i, r := range norms {
		if r == 0 {
			norms[i] = 1
			continue
		}
		f, e := math.Frexp(r) // r = f·2ᵉ, f ∈ [½, 1)
		if f < math.Sqrt2/2 {
			e-- // r·2⁻ᵉ = 2f ∈ [1, √2)
		}
		// Clamped so that extreme rows stay finite after scaling.
		norms[i] = math.Ldexp(1, min(max(-e, -500), 500))
	}
	return norms
}

// constraintRow returns row i of [A; G] (A with neq rows, both n wide).
func constraintRow(a, g []float64, n, neq, i int) []float64 {
	if i < neq {
		return a[i*n : (i+1)*n]
	}
	return g[(i-neq)*n : (i-neq+1)*n]
}

// scaledRows returns a copy of the matrices of d with the rows of A and G
// multiplied by e (Q is shared).
func (d *data) scaledRows(e []float64) *data {
	n, neq := d.n, d.neq
	out := &data{n: n, neq: neq, m: d.m, q: d.q, qdiag: d.qdiag,
		a: append([]float64(nil), d.a...), g: append([]float64(nil), d.g...)}
	for i, f := range e {
		row := constraintRow(out.a, out.g, n, neq, i)
		for j := range row {
			row[j] *= f
		}
	}
	return out
}

// prepare prepares the reduction for d. It tries a Cholesky factorization
// Q = L Lᵀ and, when Q is safely positive definite and the dual reduction
// is cheaper, changes variables to a = Lᵀx: the interior point then works on
//
//	minimize ½‖a‖² + (L⁻¹p)ᵀa  s.t.  (AL⁻ᵀ)a = b,  (GL⁻ᵀ)a ≤ h,
//
// with the same multipliers, and solves its KKT systems with one
// (p+m)×(p+m) Cholesky factorization per iteration and no n×n work at
// all. Otherwise the primal reduction is used. It returns ErrNotConvex
// when Q has a clearly negative eigenvalue.
func prepare(d *data) (*prep, error) {
	e := rowScales(d)
	if e == nil {
		return prepareUnscaled(d)
	}
	sd := d.scaledRows(e)
	p, err := prepareUnscaled(sd)
	if err != nil {
		return nil, err
	}
	p.rowScale, p.scaled = e, sd
	d.qdiag = sd.qdiag // the two share Q, factorized in place
	return p, nil
}

// prepStackN is the largest order whose diagonal prepareUnscaled keeps on
// the stack during the factorization of Q; prepSmallZ the largest size
// (k·n) of Z that shares the allocation of Z Zᵀ (zeroed, then copied
// into: at that size cheaper than a second allocation).
const (
	prepStackN = 128
	prepSmallZ = 1024
)

// prepareUnscaled is prepare without the row equilibration.
func prepareUnscaled(d *data) (*prep, error) {
	n, neq, m := d.n, d.neq, d.m
	k := neq + m
	var l []float64
	// diag holds Q's diagonal during the factorization: on the stack for
	// n ≤ prepStackN, then copied into the allocation of Z Zᵀ (newDiag).
	var diagBuf [prepStackN]float64
	var diag []float64
	newDiag := false
	if d.q != nil && d.qdiag != nil {
		// Already factorized in place (the matrices are shared).
		l = d.q
	} else if d.q != nil {
		// Factorize in place: the lower triangle of d.q becomes L, its
		// strict upper triangle keeps Q and qdiag its diagonal (one n×n
		// array instead of two). The lower triangle is restored when the
		// primal reduction is chosen.
		f := d.q
		if n <= prepStackN {
			diag = diagBuf[:n]
		} else {
			diag = make([]float64, n)
		}
		for i := range n {
			diag[i] = f[i*n+i]
		}
		ok := dense.Cholesky(f, n, n)
		if ok {
			lo, hi := math.Inf(1), 0.0
			for i := range n {
				v := f[i*n+i] * f[i*n+i]
				lo = math.Min(lo, v)
				hi = math.Max(hi, v)
			}
			// Multiply-adds per iteration of each reduction; the primal one
			// also refines its directions and polishes with a dense LU, so
			// it must be clearly cheaper to be chosen.
			fn, fk, fm, fp := float64(n), float64(k), float64(m), float64(neq)
			costDual := fk*fk*fk/6 + 4*fn*fk
			costPrimal := fm*fn*fn/2 + fn*fn*fn/6 + fp*fn*fn/2 + fp*fp*fn/2 + fp*fp*fp/6 + 6*(fn*fn+2*fn*fk)
			if lo > 1e-10*hi && costDual <= 2*costPrimal && !forcePrimal {
				l = f
				newDiag = true
			}
		}
		if l == nil {
			for i := range n {
				row := f[i*n : i*n+i]
				for j := range row {
					row[j] = f[j*n+i]
				}
				f[i*n+i] = diag[i]
			}
		}
		if !ok {
			if err := checkPSD(d); err != nil {
				return nil, err
			}
		}
	}
	p := &prep{}
	if l != nil {
		// Transformed constraints Z = [A; G] L⁻ᵀ and their Gram matrix.
		p.mode, p.l = modeDual, l
		// Q's diagonal, Z Zᵀ and, when Z is small, Z itself in one
		// allocation (a large Z is copied without zeroing it first).
		smallZ := k*n <= prepSmallZ
		size := k * k
		if newDiag {
			size += n
		}
		if smallZ {
			size += k * n
		}
		sl := d.ar.slab(size)
		if newDiag {
			d.qdiag = sl.take(n)
			copy(d.qdiag, diag)
		}
		p.k0 = sl.take(k * k)
		switch {
		case smallZ:
			p.z = sl.take(k * n)
			copy(p.z, d.a)
			copy(p.z[neq*n:], d.g)
		case neq == 0:
			p.z = d.ar.copyOf(d.g) // one pass, no zeroing
		default:
			p.z = d.ar.get(k * n) // every entry is written below
			copy(p.z, d.a)
			copy(p.z[neq*n:], d.g)
		}
		if k > 0 {
			dense.SolveRowsLowerT(p.z, k, n, l, n, n)
			dense.Gram(p.k0, k, p.z, k, n, n)
			if neq > 0 {
				p.lead = eliminateEqualities(p.k0, k, neq, dualReg(p.k0, k))
			}
		}
		return p, nil
	}
	p.mode = modePrimal
	p.unitCol = make([]int, m)
	for i := range m {
		p.unitCol[i] = -1
		nz := 0
		for j, v := range d.g[i*n : (i+1)*n] {
			if v != 0 {
				nz++
				p.unitCol[i] = j
			}
		}
		if nz != 1 {
			p.unitCol[i] = -1
			p.general = append(p.general, i)
		}
	}
	mg := len(p.general)
	p.gt = make([]float64, n*mg)
	for k, i := range p.general {
		for j, v := range d.g[i*n : (i+1)*n] {
			p.gt[j*mg+k] = v
		}
	}
	return p, nil
}

// instantiate returns the problem the interior point works on (the
// transformed one, min ½‖a‖² + (L⁻¹p)ᵀa s.t. Z a ⋚ (b, h), in the dual
// mode; d itself otherwise) and a kkt with its own scratch memory.
func (p *prep) instantiate(d *data) (work *data, s *kkt) {
	return p.instantiateIn(d, new(kktBox))
}

// kktBox is the storage of instantiate's kkt and, in the dual mode, of the
// transformed problem.
type kktBox struct {
	k kkt
	d data
}

// instantiateIn is instantiate with the kkt and the transformed problem
// in box (zero on entry), which the caller may allocate with other
// storage of the same lifetime.
func (p *prep) instantiateIn(d *data, box *kktBox) (work *data, s *kkt) {
	n, neq, m := d.n, d.neq, d.m
	k := neq + m
	work = d
	b, h := d.b, d.h
	if e := p.rowScale; e != nil {
		b = append([]float64(nil), d.b...)
		h = append([]float64(nil), d.h...)
		for i := range b {
			b[i] *= e[i]
		}
		for i := range h {
			h[i] *= e[neq+i]
		}
		work = &data{n: n, neq: neq, m: m, q: d.q, qdiag: d.qdiag, p: d.p, a: p.scaled.a, b: b, g: p.scaled.g, h: h}
	}
	tot := n + k
	size := m + 4*tot + n + k
	upper := p.mode == modeDual && p.lead == nil && k > upperMinK
	ldf := k
	if upper {
		ldf = k + dense.UpperPad
	}
	if p.mode == modeDual {
		size += k*ldf + 2*k + n
	} else {
		size += n*n + len(p.general)*n + neq*n + neq*neq
	}
	sl := d.ar.slab(size)
	// The kkt and, in the dual mode, the transformed problem in one
	// allocation.
	if p.mode == modeDual {
		pt := sl.take(n)
		copy(pt, d.p)
		dense.SolveLower(p.l, n, n, pt)
		box.d = data{n: n, neq: neq, m: m, qIdentity: true, p: pt,
			a: p.z[: neq*n : neq*n], b: b, g: p.z[neq*n:], h: h, stacked: p.z}
		work = &box.d
	}
	s = &box.k
	*s = kkt{d: work, mode: p.mode, n: n, neq: neq, m: m, k: k, w: sl.take(m), l: p.l, rowScale: p.rowScale}
	s.rt = sl.take(tot)
	s.sol = sl.take(tot)
	s.res = sl.take(tot)
	s.corr = sl.take(tot)
	s.t = sl.take(n)
	s.y = sl.take(k)
	if p.mode == modeDual {
		s.zt = sl.take(k)
		s.z, s.k0, s.lead = p.z, p.k0, p.lead
		s.f = sl.take(k * ldf) // zeroed: the padding of CholeskyUpper
		s.upper, s.ldf = upper, ldf
		if upper {
			s.finv = sl.take(k)
		}
		return work, s
	}
	s.f = sl.take(n * n)
	s.unitCol, s.general, s.gt = p.unitCol, p.general, p.gt
	s.gd = sl.take(len(s.general) * n)
	s.za = sl.take(neq * n)
	s.sa = sl.take(neq * neq)
	return work, s
}

// psdAllowance is the relative allowance of checkPSD: Q is accepted when
// Q + psdAllowance·‖Q‖∞·I is positive definite. Data printed with six
// or seven significant digits, as in the Maros–Mészáros set (VALUES: an
// eigenvalue of −1.3e-5 beside a largest of 10.8), is PSD only up to that
// level; any KKT point the solver returns for such a Q is checked like any
// other.
const psdAllowance = 1e-5

// checkPSD returns ErrNotConvex unless Q + τI admits a Cholesky
// factorization for τ = psdAllowance·‖Q‖∞ (‖Q‖∞ ≥ the largest eigenvalue).
func checkPSD(d *data) error {
	n := d.n
	scale := 0.0 // ‖Q‖∞, an upper bound of the largest eigenvalue
	for i := range n {
		row := 0.0
		for _, v := range d.q[i*n : (i+1)*n] {
			row += math.Abs(v)
		}
		scale = math.Max(scale, row)
	}
	u := append([]float64(nil), d.q...)
	tau := psdAllowance * math.Max(scale, 1e-300)
	for i := range n {
		u[i*n+i] += tau
	}
	if _, ok := lapack64.Potrf(blas64.Symmetric{Uplo: blas.Upper, N: n, Data: u, Stride: n}); !ok {
		return fmt.Errorf("%w: Q + %.3g·I is not positive definite (%.0e of ‖Q‖∞ = %.3g)", ErrNotConvex, tau, psdAllowance, scale)
	}
	return nil
}

// factor factorizes the system for the diagonal w (copied). It returns
// false if no regularization up to a large fraction of the scale makes the
// reduced matrices numerically positive definite.
func (s *kkt) factor(w []float64) bool {
	s.aug = nil
	for i, v := range w {
		// Keep W and W⁻¹ representable whatever the iterate (the
		// builtins agree with math.Min and math.Max here, NaN included).
		s.w[i] = min(max(v, 1e-30), 1e30)
	}
	s.factored = false
	if s.mode == modeDual {
		return s.factorDual()
	}
	return s.factorPrimal()
}

// dualReg is the static regularization of the dual-mode matrix Z Zᵀ.
func dualReg(k0 []float64, k int) float64 {
	maxDiag := 0.0
	for i := range k {
		maxDiag = math.Max(maxDiag, k0[i*k+i])
	}
	return 1e-15 * math.Max(1, maxDiag) * math.Max(1, float64(k)/10)
}

// eliminateEqualities returns Z Zᵀ + reg·I with its first neq columns
// factorized, in the lower triangle of a k×k matrix: L_AA (the Cholesky
// factor of the equality block), L_GA = K_GA L_AA⁻ᵀ below it, and in the
// trailing m×m block the Schur complement K_GG + reg·I − L_GA L_GAᵀ. These
// do not depend on W, so each iteration only adds W to the trailing block
// and factorizes that m×m matrix: the same factor as a full Cholesky of
// K₀ + diag(0, W), at m³/6 instead of (p+m)³/6 multiply-adds. It returns
// nil when the equality block is numerically singular or ill-conditioned
// (redundant rows); the full factorization, with its growing
// regularization, is used then.
func eliminateEqualities(k0 []float64, k, neq int, reg float64) []float64 {
	m := k - neq
	lead := make([]float64, k*k)
	for i := range k {
		copy(lead[i*k:i*k+i+1], k0[i*k:i*k+i+1])
		lead[i*k+i] += reg
	}
	if !dense.Cholesky(lead, neq, k) {
		return nil
	}
	lo, hi := math.Inf(1), 0.0
	for i := range neq {
		v := lead[i*k+i] * lead[i*k+i]
		lo, hi = math.Min(lo, v), math.Max(hi, v)
	}
	if !(lo > 1e-10*hi) {
		return nil
	}
	if m > 0 {
		dense.SolveRowsLowerT(lead[neq*k:], m, k, lead, neq, k)
		g := make([]float64, m*m)
		dense.Gram(g, m, lead[neq*k:], m, neq, k)
		for i := range m {
			row := lead[(neq+i)*k+neq : (neq+i)*k+neq+i+1]
			for j := range row {
				row[j] -= g[i*m+j]
			}
		}
	}
	return lead
}

func (s *kkt) factorDual() bool {
	k, neq, m := s.k, s.neq, s.m
	if k == 0 {
		s.factored = true
		return true
	}
	if !(s.reg0 > 0) {
		s.reg0 = dualReg(s.k0, k) // depends on Z Zᵀ only
	}
	reg := s.reg0
	if s.lead != nil {
		for i := range k {
			row := s.f[i*k : (i+1)*k]
			copy(row[:i+1], s.lead[i*k:i*k+i+1])
			if i >= neq {
				row[i] += s.w[i-neq]
			}
		}
		if m == 0 || dense.Cholesky(s.f[neq*k+neq:], m, k) {
			s.regD = reg
			s.factored = true
			return true
		}
	}
	for range 8 {
		if s.upper {
			// The same matrix by rows of its upper triangle (Z Zᵀ is
			// stored with both triangles).
			ld := s.ldf
			for i := range k {
				row := s.f[i*ld+i : i*ld+k]
				copy(row, s.k0[i*k+i:(i+1)*k])
				row[0] += reg
				if i >= neq {
					row[0] += s.w[i-neq]
				}
			}
			if dense.CholeskyUpper(s.f, k, ld) {
				dense.ReciprocalDiagonal(s.finv, s.f, ld)
				s.regD = reg
				s.factored = true
				return true
			}
			reg *= 100
			continue
		}
		for i := range k {
			row := s.f[i*k : (i+1)*k]
			copy(row[:i+1], s.k0[i*k:i*k+i+1])
			row[i] += reg
			if i >= neq {
				row[i] += s.w[i-neq]
			}
		}
		if dense.Cholesky(s.f, k, k) {
			s.regD = reg
			s.factored = true
			return true
		}
		reg *= 100
	}
	return false
}

func (s *kkt) factorPrimal() bool {
	n, m, neq := s.n, s.m, s.neq
	d := s.d
	mg := len(s.general)
	if mg > 0 {
		isw := s.y[:mg] // scratch: W^{-1/2} of the general rows
		for k, i := range s.general {
			isw[k] = 1 / math.Sqrt(s.w[i])
		}
		for j := range n {
			src := s.gt[j*mg : (j+1)*mg]
			dst := s.gd[j*mg : (j+1)*mg]
			for k, v := range src {
				dst[k] = v * isw[k]
			}
		}
	}
	// H = Q + Gᵀ W⁻¹ G in the lower triangle of f (row-major), the Gram
	// part as dots of the rows of Gᵀ diag(W^{-1/2}).
	var maxDiag float64
	build := func(reg float64) {
		if mg > 0 {
			dense.Gram(s.f, n, s.gd, n, mg, mg)
		} else {
			clear(s.f)
		}
		if d.q != nil {
			for i := range n {
				row, q := s.f[i*n:i*n+i+1], d.q[i*n:i*n+i+1]
				for j, v := range q {
					row[j] += v
				}
			}
		}
		for i := range m {
			if j := s.unitCol[i]; j >= 0 {
				v := d.g[i*n+j]
				s.f[j*n+j] += v * v / s.w[i]
			}
		}
		maxDiag = 0
		for i := range n {
			maxDiag = math.Max(maxDiag, s.f[i*n+i])
		}
		for i := range n {
			s.f[i*n+i] += reg * math.Max(1, maxDiag)
		}
	}
	rel := 1e-16 * math.Max(1, float64(n)/10)
	ok := false
	for range 8 {
		build(rel)
		if ok = dense.Cholesky(s.f, n, n); ok {
			s.regP = rel * math.Max(1, maxDiag)
			break
		}
		rel *= 100
	}
	if !ok {
		return false
	}
	if neq > 0 {
		// A L⁻ᵀ and the Schur complement A H⁻¹ Aᵀ = (A L⁻ᵀ)(A L⁻ᵀ)ᵀ.
		copy(s.za, d.a)
		dense.SolveRowsLowerT(s.za, neq, n, s.f, n, n)
		dense.Gram(s.sa, neq, s.za, neq, n, n)
		md := 0.0
		for i := range neq {
			md = math.Max(md, s.sa[i*neq+i])
		}
		reg := 1e-16 * math.Max(1, md) * math.Max(1, float64(neq)/10)
		sa0 := append([]float64(nil), s.sa...)
		ok = false
		for range 8 {
			copy(s.sa, sa0)
			for i := range neq {
				s.sa[i*neq+i] += reg
			}
			if ok = dense.Cholesky(s.sa, neq, neq); ok {
				s.regD = reg
				break
			}
			reg *= 100
		}
		if !ok {
			return false
		}
	}
	s.factored = true
	return true
}

// factorAugmented factorizes the KKT matrix at w with a dense LU, for
// the primal reduction where eliminating every λ would divide by the tiny
// W of active constraints. Only the clearly inactive rows (W > 1) are
// eliminated, exactly and stably since W⁻¹ < 1:
//
//	⎡Q + G_Iᵀ W_I⁻¹ G_I   Aᵀ  G_Sᵀ⎤
//	⎢A                    0   0   ⎥,   Δλ_I = W_I⁻¹ (G_I Δx − r₃,I),
//	⎣G_S                  0  −W_S ⎦
//
// so the LU has size n + p + |S| with S the other rows; solveReg then
// uses it.
func (s *kkt) factorAugmented(w []float64) bool {
	for i, v := range w {
		s.w[i] = math.Min(math.Max(v, 1e-30), 1e30)
	}
	n, neq, m := s.n, s.neq, s.m
	d := s.d
	var kept, elim []int
	for i := range m {
		if s.w[i] > 1 {
			elim = append(elim, i)
		} else {
			kept = append(kept, i)
		}
	}
	N := n + neq + len(kept)
	raw := make([]float64, N*N)
	if d.q != nil {
		for i := range n {
			copy(raw[i*N:i*N+n], d.q[i*n:(i+1)*n])
		}
	}
	if len(elim) > 0 {
		ge := make([]float64, len(elim)*n)
		for k, i := range elim {
			sc := 1 / math.Sqrt(s.w[i])
			for j := range n {
				ge[k*n+j] = sc * d.g[i*n+j]
			}
		}
		blas64.Gemm(blas.Trans, blas.NoTrans, 1, general(ge, len(elim), n), general(ge, len(elim), n), 1, blas64.General{Rows: n, Cols: n, Stride: N, Data: raw})
	}
	for i := range neq {
		for j := range n {
			raw[(n+i)*N+j] = d.a[i*n+j]
			raw[j*N+n+i] = d.a[i*n+j]
		}
	}
	for k, i := range kept {
		r := n + neq + k
		for j := range n {
			v := d.g[i*n+j]
			raw[r*N+j] = v
			raw[j*N+r] = v
		}
		raw[r*N+r] = -s.w[i]
	}
	// Quasi-definite regularization for singular Q with rank-deficient
	// or redundant constraints; solve refines against the exact matrix.
	scale := 1.0
	for _, v := range raw {
		scale = math.Max(scale, math.Abs(v))
	}
	reg := 1e-12 * scale
	for i := range N {
		if i < n {
			raw[i*N+i] += reg
		} else {
			raw[i*N+i] -= reg
		}
	}
	piv := make([]int, N)
	if !dense.LU(raw, N, N, piv) {
		return false
	}
	s.aug, s.augPiv = raw, piv
	s.augKept, s.augElim = kept, elim
	s.factored = true
	return true
}

func upper(data []float64, n int) blas64.Triangular {
	return blas64.Triangular{Uplo: blas.Upper, Diag: blas.NonUnit, N: n, Data: data, Stride: max(n, 1)}
}

// solveReg sets dst to the solution of the regularized system with
// right-hand side r (dst and r must not alias).
func (s *kkt) solveReg(dst, r []float64) {
	n, neq, m, k := s.n, s.neq, s.m, s.k
	d := s.d
	r1, r2, r3 := r[:n], r[n:n+neq], r[n+neq:]
	dx, dnu, dlam := dst[:n], dst[n:n+neq], dst[n+neq:]
	t := s.t
	if s.aug != nil {
		s.solveAugmented(dst, r)
		return
	}
	switch s.mode {
	case modeDual:
		copy(t, r1)
		if k > 0 {
			y := s.y
			dense.MulVec(y, 1, s.z, n, t, 0)
			for i := range neq {
				y[i] -= r2[i]
			}
			for i := range m {
				y[neq+i] -= r3[i]
			}
			s.solveSchur(y)
			dense.MulTransVec(t, -1, s.z, n, y, 1)
			copy(dnu, y[:neq])
			copy(dlam, y[neq:])
		}
		copy(dx, t)
	case modePrimal:
		copy(t, r1)
		if m > 0 {
			y := s.y[neq:]
			for i := range m {
				y[i] = r3[i] / s.w[i]
			}
			d.mulGT(1, y, 1, t)
		}
		dense.SolveLower(s.f, n, n, t)
		if neq > 0 {
			y := s.y[:neq]
			dense.MulVec(y, 1, s.za, n, t, 0)
			for i := range neq {
				y[i] -= r2[i]
			}
			dense.SolveLower(s.sa, neq, neq, y)
			dense.SolveLowerT(s.sa, neq, neq, y)
			dense.MulTransVec(t, -1, s.za, n, y, 1)
			copy(dnu, y)
		}
		dense.SolveLowerT(s.f, n, n, t)
		copy(dx, t)
		if m > 0 {
			d.mulG(1, dx, 0, dlam)
			for i := range m {
				dlam[i] = (dlam[i] - r3[i]) / s.w[i]
			}
		}
	}
}

// upperMinK is the order above which the dual reduction factorizes its
// Schur complement with dense.CholeskyUpper (below it dense.Cholesky's
// plain loops are as fast).
const upperMinK = 10

// solveSchur overwrites y with (L Lᵀ)⁻¹y for the factorized dual-mode
// Schur complement in f.
func (s *kkt) solveSchur(y []float64) {
	k := s.k
	if s.upper {
		dense.SolveUpperT(s.f, k, s.ldf, s.finv, y)
		dense.SolveUpper(s.f, k, s.ldf, s.finv, y)
		return
	}
	dense.SolveLower(s.f, k, k, y)
	dense.SolveLowerT(s.f, k, k, y)
}

// sharesZ reports whether solveRegZ applies: the dual reduction with
// constraints and the regular (not augmented) factorization.
func (s *kkt) sharesZ() bool { return s.mode == modeDual && s.k > 0 && s.aug == nil }

// solveRegZ is solveReg for the dual reduction (sharesZ) with zt = Z r₁
// computed by the caller: the interior point's predictor and corrector
// have the same r₁ and r₂ and differ only in r₃, so one product with Z
// serves both. With wantX false the primal part dst[:n] is left alone
// (the predictor needs only dν and dλ: see slackStep). The numbers are
// those of solveReg bit for bit.
func (s *kkt) solveRegZ(dst, r, zt []float64, wantX bool) {
	n, neq, m := s.n, s.neq, s.m
	r2, r3 := r[n:n+neq], r[n+neq:]
	y := s.y
	copy(y, zt)
	for i := range neq {
		y[i] -= r2[i]
	}
	for i := range m {
		y[neq+i] -= r3[i]
	}
	s.solveSchur(y)
	if wantX {
		t := s.t
		copy(t, r[:n])
		dense.MulTransVec(t, -1, s.z, n, y, 1)
		copy(dst[:n], t)
	}
	copy(dst[n:n+neq], y[:neq])
	copy(dst[n+neq:], y[neq:])
}

// solveOrig solves the KKT system of the user's problem, not the one the
// interior point works on: that is transformed by the row equilibration E
// = diag(I, e) and, in the dual mode, by the change of variables T =
// diag(L, I, I), K̃ = E K E = T K₂ Tᵀ, so dst = E T⁻ᵀ K₂⁻¹ T⁻¹ E r, with
// refinement. It returns the final residual of the system actually
// solved, with the rows of inactive constraints (W > 1) scaled by 1/W,
// relative to max(1, ‖T⁻¹E r‖∞).
func (s *kkt) solveOrig(dst, r []float64, maxRefine int, rel float64) float64 {
	n, neq := s.n, s.neq
	rt := r
	if s.l != nil || s.rowScale != nil {
		if len(s.rt) == len(r) { // r is never s.rt (its callers' own vectors)
			rt = s.rt
			copy(rt, r)
		} else {
			rt = append([]float64(nil), r...)
		}
	}
	// K = E⁻¹ K̃ E⁻¹ for the row scaling E, so K⁻¹r = E K̃⁻¹ (E r).
	for i, e := range s.rowScale {
		rt[n+i] *= e
	}
	if s.l != nil {
		dense.SolveLower(s.l, n, n, rt[:n])
	}
	s.solve(dst, rt, maxRefine, rel)
	res := s.res
	s.residual(res, rt, dst)
	for i, wi := range s.w {
		res[n+neq+i] /= math.Max(1, wi)
	}
	rn := normInf(res) / math.Max(1, normInf(rt))
	if s.l != nil {
		dense.SolveLowerT(s.l, n, n, dst[:n])
	}
	for i, e := range s.rowScale {
		dst[n+i] *= e
	}
	if !finite(dst) {
		return math.Inf(1)
	}
	return rn
}

// solveAugmented solves with the factorization of factorAugmented.
func (s *kkt) solveAugmented(dst, r []float64) {
	n, neq := s.n, s.neq
	d := s.d
	kept, elim := s.augKept, s.augElim
	N := n + neq + len(kept)
	v := make([]float64, N)
	copy(v, r[:n+neq])
	r3 := r[n+neq:]
	for _, i := range elim {
		c := r3[i] / s.w[i]
		row := d.g[i*n : (i+1)*n]
		for j := range n {
			v[j] += c * row[j]
		}
	}
	for k, i := range kept {
		v[n+neq+k] = r3[i]
	}
	dense.LUSolve(s.aug, N, N, s.augPiv, v)
	copy(dst[:n+neq], v[:n+neq])
	dl := dst[n+neq:]
	for k, i := range kept {
		dl[i] = v[n+neq+k]
	}
	x := v[:n]
	for _, i := range elim {
		gx := 0.0
		row := d.g[i*n : (i+1)*n]
		for j := range n {
			gx += row[j] * x[j]
		}
		dl[i] = (gx - r3[i]) / s.w[i]
	}
}

// residual sets res = r − K v with the unregularized K.
func (s *kkt) residual(res, r, v []float64) {
	n, neq := s.n, s.neq
	d := s.d
	x, nu, lam := v[:n], v[n:n+neq], v[n+neq:]
	r1 := res[:n]
	d.mulQ(r1, x)
	d.mulAT(1, nu, 1, r1)
	d.mulGAndGT(x, res[n+neq:], lam, r1)
	d.mulA(1, x, 0, res[n:n+neq])
	for i, wi := range s.w {
		res[n+neq+i] -= wi * lam[i]
	}
	for i := range res {
		res[i] = r[i] - res[i]
	}
}

// solve sets dst to the solution of K dst = r with up to maxRefine steps
// of iterative refinement against the unregularized K, stopping once the
// residual is below rel·‖r‖∞. It returns the ∞-norm of the final residual.
func (s *kkt) solve(dst, r []float64, maxRefine int, rel float64) float64 {
	s.solveReg(dst, r)
	if maxRefine == 0 {
		return 0
	}
	res, corr := s.res, s.corr
	s.residual(res, r, dst)
	rn := s.scaledNorm(res)
	target := rel * math.Max(s.scaledNorm(r), 1e-300)
	for it := 0; it < maxRefine && rn > target; it++ {
		s.solveReg(corr, res)
		for i := range dst {
			corr[i] += dst[i]
		}
		s.residual(res, r, corr)
		rn2 := s.scaledNorm(res)
		if !(rn2 < rn) {
			break
		}
		copy(dst, corr)
		rn = rn2
	}
	return rn
}

// scaledNorm is the ∞-norm of a KKT-sized vector with the rows of
// inactive constraints (W > 1) divided by W.
func (s *kkt) scaledNorm(v []float64) float64 {
	off := s.n + s.neq
	out := normInf(v[:off])
	v = v[off : off+len(s.w)]
	for i, wi := range s.w {
		// a/max(wᵢ, 1) is a/wᵢ for wᵢ > 1 and a otherwise, without an
		// unpredictable branch (a NaN wᵢ, never produced by factor, is
		// treated as ≤ 1 as before); the builtin max keeps a NaN.
		f := max(wi, 1)
		if f != f {
			f = 1
		}
		out = max(out, math.Abs(v[i])/f)
	}
	return out
}
