package qp

import (
	"fmt"

	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/internal/dense"
)

// Gradient holds the gradient of a scalar loss with respect to every
// parameter of a Problem. Q is symmetric (the gradient with respect to the
// symmetric matrix Q, ½(∂/∂Q + ∂/∂Qᵀ)); A is nil when there are no
// equality constraints and G when there are no inequality constraints.
type Gradient struct {
	Q *mat.Dense // n×n
	P []float64  // n
	A *mat.Dense // p×n
	B []float64  // p
	G *mat.Dense // m×n
	H []float64  // m

	ar *arena // the arrays of a Gradient from Backward
}

// Release gives the arrays of g back for the next solves and Backward
// calls to reuse, and sets every field of g to nil; see Solution.Release.
// Copy what is to be kept first. Release of a nil or released Gradient
// does nothing.
func (g *Gradient) Release() {
	if g == nil {
		return
	}
	ar := g.ar
	*g = Gradient{}
	ar.free()
}

// Tangent is a directional derivative of the solution (x*, ν*, λ*).
type Tangent struct {
	X, Nu, Lambda []float64
}

// ensureFactor factorizes the KKT matrix at the returned point, once.
// valid reports a nil or zero-value Solution, which has no problem data.
func (s *Solution) valid() error {
	if s == nil || s.d == nil || s.kkt == nil {
		return fmt.Errorf("%w: nil or zero Solution (use the one Solve returns)", ErrInvalid)
	}
	return nil
}

func (s *Solution) ensureFactor() error {
	if err := s.valid(); err != nil {
		return err
	}
	if s.Status == Infeasible || s.Status == Unbounded {
		return fmt.Errorf("%w: no derivative of a %v problem", ErrSingular, s.Status)
	}
	if s.factAt {
		return nil
	}
	w := make([]float64, len(s.Lambda))
	neq := len(s.Nu)
	for i := range w {
		w[i] = s.Slack[i] / s.Lambda[i]
		if e := s.kkt.rowScale; e != nil {
			// W̃ = s̃/λ̃ = e²·s/λ in the equilibrated problem.
			w[i] *= e[neq+i] * e[neq+i]
		}
	}
	var ok bool
	if s.kkt.mode == modeDual {
		ok = s.kkt.factor(w)
	} else {
		ok = s.kkt.factorAugmented(w)
	}
	if !ok {
		return fmt.Errorf("%w: KKT matrix at the solution", ErrSingular)
	}
	s.factAt = true
	return nil
}

// adjoint solves K w = r at the solution with iterative refinement.
func (s *Solution) adjoint(w, r []float64) error {
	if err := s.ensureFactor(); err != nil {
		return err
	}
	if rn := s.kkt.solveOrig(w, r, 10, 1e-15); !(rn <= 1e-6) {
		return fmt.Errorf("%w: KKT solve relative residual %.3g (degenerate solution?)", ErrSingular, rn)
	}
	return nil
}

// Backward returns the gradient with respect to every parameter of a
// scalar loss ℓ(x*, ν*, λ*), given the cotangents gx = ∂ℓ/∂x* and,
// optionally (nil for zero), gnu = ∂ℓ/∂ν* and glambda = ∂ℓ/∂λ*.
//
// It solves one linear system with the KKT matrix factorized at the
// solution (in the dual reduction, the factorization of the final
// polishing step is that matrix and is reused; otherwise it is computed on
// the first call; either way it is kept for the next calls) and forms the
// OptNet gradients (Amos & Kolter 2017):
//
//	K (wx, wν, wλ) = (gx, gν, gλ)
//	∇Q = −½(wx xᵀ + x wxᵀ)   ∇p = −wx
//	∇A = −(ν wxᵀ + wν xᵀ)    ∇b = wν
//	∇G = −(λ wxᵀ + wλ xᵀ)    ∇h = wλ
//
// The derivative exists when the solution is unique and strictly
// complementary (each active constraint has λᵢ > 0); at a solution with
// weakly active constraints it is one element of a generalized Jacobian.
// The inputs are not modified and may alias each other.
func (s *Solution) Backward(gx, gnu, glambda []float64) (*Gradient, error) {
	if err := s.valid(); err != nil {
		return nil, err
	}
	n, neq, m := s.Dims()
	if err := s.checkCotangents(gx, gnu, glambda); err != nil {
		return nil, err
	}
	// One allocation for every array of the gradient and the adjoint
	// system's right-hand side and solution, one for the Gradient and its
	// matrices; each row of an outer product is one dense.Axpby (the plain
	// loop's numbers).
	tot := n + neq + m
	ar := new(arena)
	sl := ar.slab(n*n + n + neq*n + neq + m*n + m + 2*tot)
	w, err := s.backwardSolveInto(sl.take(tot), sl.take(tot), gx, gnu, glambda)
	if err != nil {
		return nil, err
	}
	wx, wnu, wl := w[:n], w[n:n+neq], w[n+neq:]
	box := &struct {
		g        Gradient
		q, a, gg mat.Dense
	}{}
	g := &box.g
	g.ar = ar
	g.Q, g.P = denseOn(&box.q, n, n, sl.take(n*n)), sl.take(n)
	x := s.X
	q := g.Q.RawMatrix().Data
	x, wx = x[:n], wx[:n]
	for i := range n {
		dense.Axpby(q[i*n:(i+1)*n], -0.5*wx[i], x, -0.5*x[i], wx)
		g.P[i] = -wx[i]
	}
	if neq > 0 {
		g.A = denseOn(&box.a, neq, n, sl.take(neq*n))
		a := g.A.RawMatrix().Data
		g.B = sl.take(neq)
		for i := range neq {
			dense.Axpby(a[i*n:(i+1)*n], -s.Nu[i], wx, -wnu[i], x)
			g.B[i] = wnu[i]
		}
	}
	if m > 0 {
		g.G = denseOn(&box.gg, m, n, sl.take(m*n))
		gg := g.G.RawMatrix().Data
		g.H = sl.take(m)
		for i := range m {
			dense.Axpby(gg[i*n:(i+1)*n], -s.Lambda[i], wx, -wl[i], x)
			g.H[i] = wl[i]
		}
	}
	return g, nil
}

// denseOn sets *d to the r×c matrix on data (as mat.NewDense would
// allocate it) and returns d.
func denseOn(d *mat.Dense, r, c int, data []float64) *mat.Dense {
	d.SetRawMatrix(blas64.General{Rows: r, Cols: c, Stride: c, Data: data})
	return d
}

// checkCotangents checks the lengths and values of Backward's cotangents.
func (s *Solution) checkCotangents(gx, gnu, glambda []float64) error {
	n, neq, m := s.Dims()
	if len(gx) != n || (gnu != nil && len(gnu) != neq) || (glambda != nil && len(glambda) != m) {
		return fmt.Errorf("%w: cotangents of lengths %d, %d, %d for a problem with n=%d, p=%d, m=%d",
			ErrDims, len(gx), len(gnu), len(glambda), n, neq, m)
	}
	if !finite(gx) || !finite(gnu) || !finite(glambda) {
		return fmt.Errorf("%w: in a cotangent", ErrNaN)
	}
	return nil
}

// backwardSolveInto solves the adjoint system K w = (gx, gν, gλ) into w,
// with r (zeroed, of w's length n+p+m) as the right-hand side's storage;
// the cotangents must have passed checkCotangents.
func (s *Solution) backwardSolveInto(r, w, gx, gnu, glambda []float64) ([]float64, error) {
	n, neq := s.d.n, s.d.neq
	copy(r, gx)
	copy(r[n:], gnu)
	copy(r[n+neq:], glambda)
	if err := s.adjoint(w, r); err != nil {
		return nil, err
	}
	return w, nil
}

// Tangent returns the directional derivative of the solution (x*, ν*, λ*)
// when the data move along the direction dp (a Problem whose fields are
// perturbations dQ, dp, dA, db, dG, dh; nil or empty fields are zero,
// others must have the shapes of the solved problem). It solves
//
//	K (dx, dν, dλ) = −(dQ x + dp + dAᵀν + dGᵀλ,  dA x − db,  dG x − dh)
//
// with the KKT factorization at the solution.
func (s *Solution) Tangent(dp *Problem) (*Tangent, error) {
	if err := s.valid(); err != nil {
		return nil, err
	}
	n, neq, m := s.Dims()
	if dp == nil {
		dp = &Problem{}
	}
	r := make([]float64, n+neq+m)
	r1, r2, r3 := r[:n], r[n:n+neq], r[n+neq:]
	x := s.X
	if dp.Q != nil {
		if dp.Q.SymmetricDim() != n {
			return nil, fmt.Errorf("%w: dQ has dimension %d, want %d", ErrDims, dp.Q.SymmetricDim(), n)
		}
		for i := range n {
			for j := range n {
				var v float64
				if i <= j {
					v = dp.Q.At(i, j)
				} else {
					v = dp.Q.At(j, i)
				}
				r1[i] += v * x[j]
			}
		}
	}
	if err := addVec(r1, dp.P, "dP"); err != nil {
		return nil, err
	}
	if dp.A != nil {
		if rr, cc := dp.A.Dims(); rr != neq || cc != n {
			return nil, fmt.Errorf("%w: dA is %d×%d, want %d×%d", ErrDims, rr, cc, neq, n)
		}
		for i := range neq {
			for j := range n {
				a := dp.A.At(i, j)
				r1[j] += a * s.Nu[i]
				r2[i] += a * x[j]
			}
		}
	}
	if err := subVec(r2, dp.B, "dB"); err != nil {
		return nil, err
	}
	if dp.G != nil {
		if rr, cc := dp.G.Dims(); rr != m || cc != n {
			return nil, fmt.Errorf("%w: dG is %d×%d, want %d×%d", ErrDims, rr, cc, m, n)
		}
		for i := range m {
			for j := range n {
				g := dp.G.At(i, j)
				r1[j] += g * s.Lambda[i]
				r3[i] += g * x[j]
			}
		}
	}
	if err := subVec(r3, dp.H, "dH"); err != nil {
		return nil, err
	}
	if !finite(r) {
		return nil, fmt.Errorf("%w: in the direction", ErrNaN)
	}
	for i := range r {
		r[i] = -r[i]
	}
	w := make([]float64, len(r))
	if err := s.adjoint(w, r); err != nil {
		return nil, err
	}
	return &Tangent{X: w[:n:n], Nu: w[n : n+neq : n+neq], Lambda: w[n+neq:]}, nil
}

func addVec(dst, v []float64, name string) error {
	if len(v) == 0 {
		return nil
	}
	if len(v) != len(dst) {
		return fmt.Errorf("%w: %s has length %d, want %d", ErrDims, name, len(v), len(dst))
	}
	for i, e := range v {
		dst[i] += e
	}
	return nil
}

func subVec(dst, v []float64, name string) error {
	if len(v) == 0 {
		return nil
	}
	if len(v) != len(dst) {
		return fmt.Errorf("%w: %s has length %d, want %d", ErrDims, name, len(v), len(dst))
	}
	for i, e := range v {
		dst[i] -= e
	}
	return nil
}
