package cone

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/lapack"
	"gonum.org/v1/gonum/lapack/gonum"
	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/internal/dense"
)

// MaxPSDOrder is the largest matrix order a PSD cone accepts.
const MaxPSDOrder = 1 << 14

// PSD is the cone of positive semidefinite N×N matrices in vectorized
// form. A symmetric X is stored as its lower triangle, column by column,
// with the off-diagonal entries scaled by √2:
//
//	svec(X) = (X₁₁, √2X₂₁, …, √2X_N1, X₂₂, √2X₃₂, …, X_NN) ∈ R^{N(N+1)/2},
//
// so that ⟨svec X, svec Y⟩ = tr(XY) and the cone is self-dual in the
// Euclidean inner product (the convention of SCS; Clarabel's upper
// triangle by columns is the same vector). [Svec] and [Smat] convert.
//
// Barrier f(X) = −log det X (ν = N), Jordan product X ∘ Y = (XY + YX)/2,
// identity I. Projection: with X = QΛQᵀ, Π(X) = Q max(Λ, 0) Qᵀ (Boyd &
// Vandenberghe §8.1.1). Its derivative (Agrawal et al. 2019, §A; Ali, Wong
// & Kolter 2017) is
//
//	DΠ(X)[V] = Q (B ⊙ (QᵀVQ)) Qᵀ,  Bᵢⱼ = (λᵢ⁺ − λⱼ⁺)/(λᵢ − λⱼ),
//
// with Bᵢⱼ = 1 if λᵢ = λⱼ > 0 and 0 if λᵢ = λⱼ ≤ 0 (the element used when
// X has a zero eigenvalue, where Π is not differentiable).
type PSD struct{ N int }

var _ Symmetric = PSD{}

// Dim returns N(N+1)/2.
func (k PSD) Dim() int {
	if k.N < 1 || k.N > MaxPSDOrder {
		return 0
	}
	return k.N * (k.N + 1) / 2
}
func (k PSD) Degree() int { return k.N }
func (k PSD) Dual() Cone  { return k }

func (k PSD) check(dst []float64, vs ...[]float64) error {
	if k.N < 1 || k.N > MaxPSDOrder {
		return fmt.Errorf("%w: PSD order %d outside [1, %d]", ErrInvalid, k.N, MaxPSDOrder)
	}
	d := k.Dim()
	if dst != nil {
		if err := checkDst(d, dst); err != nil {
			return err
		}
	}
	return checkVecs(d, vs...)
}

// Svec sets dst (length n(n+1)/2) to svec(x) for an n×n symmetric x.
func Svec(dst []float64, x mat.Symmetric) error {
	n := x.SymmetricDim()
	if len(dst) != n*(n+1)/2 {
		return fmt.Errorf("%w: svec of a %d×%d matrix into %d entries", ErrDims, n, n, len(dst))
	}
	p := 0
	for j := range n {
		for i := j; i < n; i++ {
			if i == j {
				dst[p] = x.At(i, j)
			} else {
				dst[p] = math.Sqrt2 * x.At(i, j)
			}
			p++
		}
	}
	return nil
}

// Smat returns the symmetric matrix X with svec(X) = v; len(v) must be a
// triangular number.
func Smat(v []float64) (*mat.SymDense, error) {
	n := int(math.Round((math.Sqrt(8*float64(len(v))+1) - 1) / 2))
	if n < 1 || n*(n+1)/2 != len(v) {
		return nil, fmt.Errorf("%w: %d entries is not n(n+1)/2", ErrDims, len(v))
	}
	return smat(n, v), nil
}

func smat(n int, v []float64) *mat.SymDense {
	x := mat.NewSymDense(n, nil)
	p := 0
	for j := range n {
		for i := j; i < n; i++ {
			if i == j {
				x.SetSym(i, j, v[p])
			} else {
				x.SetSym(i, j, v[p]/math.Sqrt2)
			}
			p++
		}
	}
	return x
}

// svecOf writes svec of a general matrix m assumed symmetric (reading its
// lower triangle, averaged with the upper for symmetry).
func svecOf(dst []float64, n int, m mat.Matrix) {
	p := 0
	for j := range n {
		for i := j; i < n; i++ {
			if i == j {
				dst[p] = m.At(i, j)
			} else {
				dst[p] = math.Sqrt2 * 0.5 * (m.At(i, j) + m.At(j, i))
			}
			p++
		}
	}
}

// eig returns the eigenvalues (ascending) and eigenvectors of smat(y). The
// matrix is scaled to unit max-norm first (LAPACK's own scaling of tiny
// and huge matrices is avoided; the eigenvectors do not change and the
// eigenvalues scale back).
func (k PSD) eig(y []float64) ([]float64, *mat.Dense, error) {
	c := maxAbsVec(y)
	if c == 0 {
		q := mat.NewDense(k.N, k.N, nil)
		for i := range k.N {
			q.Set(i, i, 1)
		}
		return make([]float64, k.N), q, nil
	}
	ys := make([]float64, len(y))
	for i, v := range y {
		ys[i] = flushTiny(v / c)
	}
	lam, q, err := eigSym(smat(k.N, ys), true)
	if err != nil {
		return nil, nil, err
	}
	for i := range lam {
		lam[i] *= c
	}
	return lam, q, nil
}

// flushTiny sets entries below 1e-30 (of a matrix scaled to unit
// max-norm) to zero: they change the eigenvalues by less than n·1e-30,
// far below rounding, and gonum v0.17's symmetric eigensolver returns
// wrong eigenvalues (|λ| ≫ n·max|mᵢⱼ|) on some matrices mixing entries
// near 1 with entries near 1e-100.
func flushTiny(v float64) float64 {
	if math.Abs(v) < 1e-30 {
		return 0
	}
	return v
}

// eigSym wraps mat.EigenSym for a matrix of unit max-norm, turning a
// failure or a panic of the LAPACK code, or eigenvalues outside the
// Gershgorin bound |λ| ≤ n, into ErrNotConverged.
func eigSym(m *mat.SymDense, vectors bool) (lam []float64, q *mat.Dense, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: symmetric eigendecomposition: %v", ErrNotConverged, r)
		}
	}()
	var e mat.EigenSym
	if !e.Factorize(m, vectors) {
		return nil, nil, fmt.Errorf("%w: symmetric eigendecomposition", ErrNotConverged)
	}
	n := m.SymmetricDim()
	for _, l := range e.Values(nil) {
		if !(math.Abs(l) <= 1.01*float64(n)) {
			return nil, nil, fmt.Errorf("%w: symmetric eigendecomposition (eigenvalue %g of a unit matrix)", ErrNotConverged, l)
		}
	}
	if vectors {
		q = mat.NewDense(n, n, nil)
		e.VectorsTo(q)
	}
	return e.Values(nil), q, nil
}

func maxAbsVec(v []float64) float64 {
	m := 0.0
	for _, x := range v {
		m = max(m, math.Abs(x))
	}
	return m
}

// qdq returns Q diag(d) Qᵀ, or Q M Qᵀ when m is non-nil.
func qmq(q *mat.Dense, m mat.Matrix) *mat.Dense {
	var t, r mat.Dense
	t.Mul(q, m)
	r.Mul(&t, q.T())
	return &r
}

// Project sets dst to svec(Q max(Λ, 0) Qᵀ).
func (k PSD) Project(dst, y []float64) error {
	if err := k.check(dst, y); err != nil {
		return err
	}
	lam, q, err := k.eig(y)
	if err != nil {
		return err
	}
	for i := range lam {
		lam[i] = max(lam[i], 0)
	}
	svecOf(dst, k.N, qmq(q, mat.NewDiagDense(k.N, lam)))
	return checkOut(dst)
}

// JVP sets dst to svec(DΠ(Y)[V]) (see PSD).
func (k PSD) JVP(dst, x, y, v []float64) error {
	if err := k.check(dst, x, y, v); err != nil {
		return err
	}
	lam, q, err := k.eig(y)
	if err != nil {
		return err
	}
	n := k.N
	var vt mat.Dense
	vt.Mul(q.T(), smat(n, v))
	var m mat.Dense
	m.Mul(&vt, q)
	for i := range n {
		for j := range n {
			li, lj := lam[i], lam[j]
			var b float64
			switch {
			case li > 0 && lj > 0:
				b = 1
			case li <= 0 && lj <= 0:
				b = 0
			default:
				b = (max(li, 0) - max(lj, 0)) / (li - lj)
			}
			m.Set(i, j, b*m.At(i, j))
		}
	}
	svecOf(dst, n, qmq(q, &m))
	return checkOut(dst)
}

// VJP is JVP (DΠ is self-adjoint in the trace inner product).
func (k PSD) VJP(dst, x, y, u []float64) error { return k.JVP(dst, x, y, u) }

// Dist returns ‖min(Λ, 0)‖.
func (k PSD) Dist(y []float64) (float64, error) {
	if err := k.check(nil, y); err != nil {
		return 0, err
	}
	// Eigenvalues alone (eigenvaluesSvec: no eigenvectors, and not
	// gonum's values-only path, which panics on some inputs).
	lam, err := eigenvaluesSvec(k.N, y)
	if err != nil {
		return 0, err
	}
	for i := range lam {
		lam[i] = min(lam[i], 0)
	}
	return distOut(nrm2(lam))
}

func (k PSD) Contains(y []float64, tol float64) (bool, error) { return containsVia(k, y, tol) }

// Identity sets dst to svec(I).
func (k PSD) Identity(dst []float64) error {
	if err := k.check(dst); err != nil {
		return err
	}
	clear(dst)
	p := 0
	for j := range k.N {
		dst[p] = 1
		p += k.N - j
	}
	return nil
}

func (k PSD) chol(s []float64) (*mat.Cholesky, error) {
	var c mat.Cholesky
	if !c.Factorize(smat(k.N, s)) {
		return nil, outOfInterior("PSD")
	}
	return &c, nil
}

// Barrier returns −log det S.
func (k PSD) Barrier(s []float64) (float64, error) {
	if err := k.check(nil, s); err != nil {
		return 0, err
	}
	// −log det S = −2 Σ log L_ii for the Cholesky factor L by the dense
	// kernel (no condition estimate: only definiteness is asked).
	n := k.N
	buf := getScratch(n*n, 1)
	defer putScratch(buf)
	l := *buf
	smatRows(l, n, s)
	if !dense.Cholesky(l, n, n) {
		return 0, outOfInterior("PSD")
	}
	f := 0.0
	for i := range n {
		f -= 2 * dense.Log(l[i*n+i])
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, outOfInterior("PSD")
	}
	return f, nil
}

func (k PSD) inverse(s []float64) (*mat.SymDense, error) {
	c, err := k.chol(s)
	if err != nil {
		return nil, err
	}
	var inv mat.SymDense
	if err := c.InverseTo(&inv); err != nil {
		return nil, outOfInterior("PSD")
	}
	return &inv, nil
}

// BarrierGrad sets dst to svec(−S⁻¹).
func (k PSD) BarrierGrad(dst, s []float64) error {
	if err := k.check(dst, s); err != nil {
		return err
	}
	inv, err := k.inverse(s)
	if err != nil {
		return err
	}
	if err := Svec(dst, inv); err != nil {
		return err
	}
	for i := range dst {
		dst[i] = -dst[i]
	}
	return checkOut(dst)
}

// BarrierHess sets dst to svec(S⁻¹VS⁻¹).
func (k PSD) BarrierHess(dst, s, v []float64) error {
	if err := k.check(dst, s, v); err != nil {
		return err
	}
	inv, err := k.inverse(s)
	if err != nil {
		return err
	}
	var t, r mat.Dense
	t.Mul(inv, smat(k.N, v))
	r.Mul(&t, inv)
	svecOf(dst, k.N, &r)
	return checkOut(dst)
}

// MaxStep returns min(limit, −1/λ_min(L⁻¹ΔS L⁻ᵀ)) with S = LLᵀ (limit
// when λ_min ≥ 0).
func (k PSD) MaxStep(s, ds []float64, limit float64) (float64, error) {
	if err := k.check(nil, s, ds); err != nil {
		return 0, err
	}
	if err := checkLimit(limit); err != nil {
		return 0, err
	}
	n := k.N
	// M = L⁻¹ ΔS L⁻ᵀ by the dense kernels: T = ΔS L⁻ᵀ, then M = Tᵀ L⁻ᵀ.
	buf := getScratch(n*n, 3)
	defer putScratch(buf)
	l := (*buf)[:n*n]
	smatRows(l, n, s)
	if !dense.Cholesky(l, n, n) {
		return 0, outOfInterior("PSD")
	}
	t := (*buf)[n*n : 2*n*n]
	smatRows(t, n, ds)
	dense.SolveRowsLowerT(t, n, n, l, n, n)
	m := (*buf)[2*n*n:]
	transposeInto(m, t, n)
	dense.SolveRowsLowerT(m, n, n, l, n, n)
	// The symmetric part, upper triangle, its max-norm mc.
	a := t
	mc := 0.0
	for i := range n {
		for j := i; j < n; j++ {
			v := 0.5 * (m[i*n+j] + m[j*n+i])
			a[i*n+j] = v
			mc = max(mc, math.Abs(v))
		}
	}
	return stepToBoundary(a, n, mc, limit)
}

// scaledMaxStep is PSD.MaxStep for z + αΔz with the NT scaling of p at
// (s, z) and du = W⁻ᵀ(Δz) = RᵀΔZR, the scaled direction the KKT solve
// returns: W⁻ᵀ(Z) = RᵀZR = diag(λ) and a congruence keeps the cone, so
// Z + αΔZ ⪰ 0 iff I + α diag(λ)^{−1/2} du diag(λ)^{−1/2} ⪰ 0 (the step
// length in the scaled space, as CVXOPT computes it): no Cholesky factor
// and no triangular solves.
func scaledMaxStep(p *psdScaling, du []float64, limit float64) (float64, error) {
	n := p.n
	if len(du) != n*(n+1)/2 || len(p.lam) != len(du) {
		return 0, fmt.Errorf("%w: scaled PSD step of %d entries, order %d", ErrDims, len(du), n)
	}
	if err := checkLimit(limit); err != nil {
		return 0, err
	}
	buf := getScratch(n*n+n, 1)
	defer putScratch(buf)
	a, r := (*buf)[:n*n], (*buf)[n*n:]
	q := 0
	for j := range n {
		r[j] = 1 / math.Sqrt(p.lam[q])
		q += n - j
	}
	// upper triangle of smat(du) scaled by r_i r_j (svec: column by column
	// of the lower triangle, off-diagonals times √2)
	mc := 0.0
	q = 0
	for j := range n {
		for i := j; i < n; i++ {
			v := du[q] * r[i] * r[j]
			if i != j {
				v /= math.Sqrt2
			}
			a[j*n+i] = v
			mc = max(mc, math.Abs(v))
			q++
		}
	}
	return stepToBoundary(a, n, mc, limit)
}

// stepToBoundary returns min(limit, −1/λ_min(M)) (limit when λ_min ≥ 0)
// for the symmetric M in the upper triangle of the n×n a (overwritten)
// with max-norm mc.
func stepToBoundary(a []float64, n int, mc, limit float64) (float64, error) {
	if !(mc > 0) || math.IsInf(mc, 0) {
		if mc == 0 {
			return limit, nil
		}
		return 0, fmt.Errorf("%w: step direction overflows", ErrNaN)
	}
	for i := range n {
		for j := i; j < n; j++ {
			a[i*n+j] = flushTiny(a[i*n+j] / mc)
		}
	}
	// λ_min alone, by bisection (minEigTridiag): gonum v0.17's values-only
	// path (Dsterf) panics on some tridiagonal matrices with tiny entries,
	// and the full decomposition with vectors costs several times more.
	d, e := tridiag(n, a)
	lmin, err := minEigTridiag(d, e)
	if err != nil {
		return 0, err
	}
	lmin *= mc
	if lmin >= 0 {
		return limit, nil
	}
	return min(limit, -1/lmin), nil
}

// Jordan sets dst to svec((UV + VU)/2).
func (k PSD) Jordan(dst, u, v []float64) error {
	if err := k.check(dst, u, v); err != nil {
		return err
	}
	if d, ok := svecDiag(k.N, u); ok {
		jordanDiag(dst, k.N, d, v)
		return checkOut(dst)
	}
	if d, ok := svecDiag(k.N, v); ok {
		jordanDiag(dst, k.N, d, u)
		return checkOut(dst)
	}
	jordanDense(dst, k.N, u, v) // the symmetric part of UV is (UV + VU)/2
	return checkOut(dst)
}

// JordanDiv sets dst to the X with (ΛX + XΛ)/2 = V (a Lyapunov equation,
// solved in the eigenbasis of Λ: X̃ᵢⱼ = 2Ṽᵢⱼ/(dᵢ + dⱼ)).
func (k PSD) JordanDiv(dst, lambda, v []float64) error {
	if err := k.check(dst, lambda, v); err != nil {
		return err
	}
	if d, ok := svecDiag(k.N, lambda); ok {
		if !jordanDivDiag(dst, k.N, d, v) {
			return outOfInterior("PSD")
		}
		return checkOut(dst)
	}
	d, q, err := k.eig(lambda)
	if err != nil {
		return err
	}
	if !(d[0] > 0) {
		return outOfInterior("PSD")
	}
	n := k.N
	var t, m mat.Dense
	t.Mul(q.T(), smat(n, v))
	m.Mul(&t, q)
	for i := range n {
		for j := range n {
			m.Set(i, j, 2*m.At(i, j)/(d[i]+d[j]))
		}
	}
	svecOf(dst, n, qmq(q, &m))
	return checkOut(dst)
}

// Scaling returns the Nesterov–Todd scaling (Vandenberghe 2010, §4.3):
// with S = L_sL_sᵀ, Z = L_zL_zᵀ and the SVD L_zᵀL_s = U diag(λ) Vᵀ, let
// R = L_s V diag(λ)^{−1/2}. Then R⁻¹SR⁻ᵀ = RᵀZR = diag(λ) and
//
//	W(X) = R⁻¹XR⁻ᵀ,  Wᵀ(Y) = R⁻ᵀYR⁻¹,  W⁻¹(Y) = RYRᵀ,  W⁻ᵀ(X) = RᵀXR,
//
// λ = svec(diag(λ)).
func (k PSD) Scaling(s, z []float64) (Scaling, error) {
	if err := k.check(nil, s, z); err != nil {
		return nil, err
	}
	n := k.N
	nn := n * n
	// The Cholesky factors (row-major, strict upper triangle zeroed) and
	// the products by the dense kernels (products A·B as A·(Bᵀ)ᵀ); the
	// scratch from the pool.
	buf := getScratch(nn, 7)
	defer putScratch(buf)
	b := *buf
	ls, lz, lst, lzt := b[:nn], b[nn:2*nn], b[2*nn:3*nn], b[3*nn:4*nn]
	pm, vt, ut := b[4*nn:5*nn], b[5*nn:6*nn], b[6*nn:7*nn]
	smatRows(ls, n, s)
	smatRows(lz, n, z)
	if !dense.Cholesky(ls, n, n) || !dense.Cholesky(lz, n, n) {
		return nil, outOfInterior("PSD")
	}
	for i := range n {
		clear(ls[i*n+i+1 : i*n+n])
		clear(lz[i*n+i+1 : i*n+n])
	}
	transposeInto(lst, ls, n)
	transposeInto(lzt, lz, n)
	clear(pm)
	dense.SubABt(pm, n, lzt, n, lst, n, n, n, n) // −L_zᵀL_s
	// (the SVD of −P: the same V and λ, −U) by LAPACK's dgesvd (gonum,
	// row-major: U and Vᵀ row by row) on pooled scratch, without mat.SVD's
	// copies.
	lam := make([]float64, n)
	if !gesvdAll(pm, n, lam, lst, vt) {
		return nil, fmt.Errorf("%w: SVD", ErrNotConverged)
	}
	for _, l := range lam {
		if !(l > 0) {
			return nil, outOfInterior("PSD")
		}
	}
	transposeInto(ut, lst, n)
	// R = L_s V diag(λ)^{−1/2}.
	rd := make([]float64, nn)
	dense.SubABt(rd, n, ls, n, vt, n, n, n, n) // −L_s V
	// R⁻¹ = diag(λ)^{−1/2} Uᵀ L_zᵀ = diag(λ)^{−1/2} (L_z U)ᵀ (from L_zᵀL_s =
	// U diag(λ) Vᵀ), a product instead of an inversion of R. With the SVD
	// of −P, −U in place of U: L_z(−U) is +(L_z U) after SubABt's sign.
	lu := pm
	clear(lu)
	dense.SubABt(lu, n, lz, n, ut, n, n, n, n)
	rid := make([]float64, nn)
	for i := range n {
		c := 1 / math.Sqrt(lam[i])
		for j := range n {
			rd[j*n+i] *= -c
			rid[i*n+j] = lu[j*n+i] * c
		}
	}
	r, rinv := mat.NewDense(n, n, rd), mat.NewDense(n, n, rid)
	sc := &psdScaling{n: n, r: r, rinv: rinv, lam: make([]float64, k.Dim())}
	sc.rm, sc.rt = rd, transposed(rd, n)
	sc.ri, sc.rit = rid, transposed(rid, n)
	p := 0
	for j, l := range lam { // svec of diag(λ)
		sc.lam[p] = l
		p += n - j
	}
	if err := checkOut(rd, rid, sc.lam); err != nil {
		return nil, err
	}
	// W acts as V ↦ RᵀVR: its matrix (ScalingMatrix) and the products
	// by W and W⁻¹ have entries up to 2·max|rᵢⱼ|² (and the same of R⁻¹),
	// which overflow long before R does.
	if mr, mi := maxAbsVec(rd), maxAbsVec(rid); !(2*mr*mr <= math.MaxFloat64 && 2*mi*mi <= math.MaxFloat64) {
		return nil, fmt.Errorf("%w: PSD scaling overflows (max |R| = %g, max |R⁻¹| = %g)", ErrNaN, mr, mi)
	}
	return sc, nil
}

// gesvdAll computes the full SVD A = U diag(σ) Vᵀ of the n×n row-major a
// (overwritten) by LAPACK's dgesvd, U and Vᵀ row-major, the workspace
// from the pool. It reports false when the bidiagonal QR iteration does
// not converge.
func gesvdAll(a []float64, n int, sigma, u, vt []float64) bool {
	var impl gonum.Implementation
	var q [1]float64
	impl.Dgesvd(lapack.SVDAll, lapack.SVDAll, n, n, a, n, sigma, u, n, vt, n, q[:], -1)
	buf := getScratch(max(int(q[0]), 1), 1)
	defer putScratch(buf)
	return impl.Dgesvd(lapack.SVDAll, lapack.SVDAll, n, n, a, n, sigma, u, n, vt, n, *buf, len(*buf))
}

type psdScaling struct {
	n       int
	r, rinv *mat.Dense
	lam     []float64
	// row-major copies of R, Rᵀ, R⁻¹, R⁻ᵀ for congruenceRows
	rm, rt, ri, rit []float64
}

func (p *psdScaling) Dim() int          { return len(p.lam) }
func (p *psdScaling) Lambda() []float64 { return p.lam }

// congruence sets dst = svec(A X Aᵀ) with X = smat(v), A row-major (at
// = Aᵀ unused: congruenceDense, for the dense v of the iteration).
func (p *psdScaling) congruence(dst []float64, a, at, v []float64) {
	n := p.n
	buf := getScratch(n*n, 3)
	defer putScratch(buf)
	b := *buf
	congruenceDense(dst, n, a, v, b[:n*n], b[n*n:2*n*n], b[2*n*n:])
}

func (p *psdScaling) Apply(dst, v []float64)     { p.congruence(dst, p.ri, p.rit, v) }
func (p *psdScaling) ApplyT(dst, v []float64)    { p.congruence(dst, p.rit, p.ri, v) }
func (p *psdScaling) ApplyInv(dst, v []float64)  { p.congruence(dst, p.rm, p.rt, v) }
func (p *psdScaling) ApplyInvT(dst, v []float64) { p.congruence(dst, p.rt, p.rm, v) }

// transposed returns the transpose of the n×n row-major a.
func transposed(a []float64, n int) []float64 {
	t := make([]float64, n*n)
	transposeInto(t, a, n)
	return t
}

// transposeDense writes the transpose of the n×n m into dst (row-major).
func transposeDense(dst []float64, m *mat.Dense, n int) {
	raw := m.RawMatrix()
	for i := range n {
		for j, v := range raw.Data[i*raw.Stride : i*raw.Stride+n] {
			dst[j*n+i] = v
		}
	}
}

// rowMajor returns the n×n m and its transpose as row-major slices.
func rowMajor(m *mat.Dense, n int) (a, at []float64) {
	raw := m.RawMatrix()
	a, at = make([]float64, n*n), make([]float64, n*n)
	for i := range n {
		for j := range n {
			v := raw.Data[i*raw.Stride+j]
			a[i*n+j], at[j*n+i] = v, v
		}
	}
	return a, at
}
