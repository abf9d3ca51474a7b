package layers

import (
	"context"
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/implicit"
	"github.com/optlayers/optlayers/implicit/linsolve"
	"github.com/optlayers/optlayers/internal/parallel"
	"github.com/optlayers/optlayers/sinkhorn"
)

// Birkhoff is a differentiable layer that maps an n×n score matrix S to
// the doubly stochastic matrix
//
//	P(S) = argmax_{P ∈ Bₙ} ⟨S, P⟩ − τ Σ P_ij (log P_ij − 1),
//
// Bₙ the Birkhoff polytope (P ≥ 0, P1 = 1, Pᵀ1 = 1), the entropic
// projection computed by Sinkhorn's algorithm (cost −S, ε = τ, unit
// weights). As τ → 0, P(S) tends to the permutation matrix maximizing
// ⟨S, P⟩; the backward pass differentiates the optimality conditions
// implicitly (Peña et al. 2023), at the cost of one Schur-complement solve
// of package sinkhorn, the solver.
type Birkhoff struct {
	// Tau is the temperature τ > 0.
	Tau float64
	// Settings of the Sinkhorn solve (nil: defaults, Tol 1e-9).
	Settings *sinkhorn.Settings
	// Diff configures the implicit backward pass (nil: defaults).
	Diff *sinkhorn.DiffSettings
}

// BirkhoffOutput is the result of a forward pass.
type BirkhoffOutput struct {
	// P is the doubly stochastic matrix.
	P   *mat.Dense
	res *sinkhorn.Result
	s   []float64 // the scores S, row-major
	l   *Birkhoff
}

// Forward returns P(S). scores is not modified. If the solve stops at
// MaxIter above the tolerance, the output is returned together with an
// error wrapping sinkhorn.ErrNotConverged. The errors of the solve are
// sinkhorn's (sinkhorn.ErrEpsilon for a τ that is not positive and
// finite, sinkhorn.ErrNaN, sinkhorn.ErrInvalid for bad settings); a nil
// layer or invalid Diff is ErrInvalid, missing or non-square scores
// ErrDims.
func (l *Birkhoff) Forward(ctx context.Context, scores mat.Matrix) (*BirkhoffOutput, error) {
	if l == nil {
		return nil, fmt.Errorf("%w: nil *Birkhoff", ErrInvalid)
	}
	if err := checkDiff(l.Diff); err != nil {
		return nil, err
	}
	if isNilMatrix(scores) {
		return nil, fmt.Errorf("%w: nil scores", ErrDims)
	}
	n, m := scores.Dims()
	if n != m || n == 0 {
		return nil, fmt.Errorf("%w: scores are %d×%d, want square", ErrDims, n, m)
	}
	c := mat.NewDense(n, n, nil)
	c.Scale(-1, scores)
	ones := make([]float64, n)
	for i := range ones {
		ones[i] = 1
	}
	res, err := sinkhorn.Solve(ctx, &sinkhorn.Problem{Cost: c, A: ones, B: ones, Epsilon: l.Tau}, l.Settings)
	if res == nil {
		return nil, err
	}
	s := make([]float64, 0, n*n)
	for i := range n {
		for j := range n {
			s = append(s, scores.At(i, j))
		}
	}
	p := res.Plan()
	if err := checkFinite(p.RawMatrix().Data); err != nil {
		// At a τ far below the scale of the scores the plan overflows
		// although the solve reports no error.
		return nil, fmt.Errorf("%w: the plan P(S) at τ = %g", err, l.Tau)
	}
	return &BirkhoffOutput{P: p, res: res, s: s, l: l}, err
}

// Backward returns ∂L/∂S given ∂L/∂P (n×n), by implicit differentiation.
// A nil o (or one not returned by Forward) or a missing or mis-shaped
// gradient is ErrDims, NaN or Inf in it ErrNaN.
func (o *BirkhoffOutput) Backward(gradP mat.Matrix) (*mat.Dense, error) {
	if o == nil || o.res == nil || o.l == nil {
		return nil, fmt.Errorf("%w: nil or empty BirkhoffOutput (use Forward)", ErrDims)
	}
	if isNilMatrix(gradP) {
		return nil, fmt.Errorf("%w: nil gradient", ErrDims)
	}
	n, _ := o.res.Dims()
	if r, c := gradP.Dims(); r != n || c != n {
		return nil, fmt.Errorf("%w: gradient is %d×%d, want %d×%d", ErrDims, r, c, n, n)
	}
	for i := range n {
		for j := range n {
			if v := gradP.At(i, j); math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("%w: gradient[%d,%d] = %v", ErrNaN, i, j, v)
			}
		}
	}
	g, err := o.res.PlanVJP(gradP, o.l.Diff)
	if err != nil {
		return nil, err
	}
	g.C.Scale(-1, g.C)
	return g.C, nil
}

// RoundToPermutation returns the permutation σ maximizing Σᵢ P_{iσ(i)}
// greedily (largest remaining entry first), a rounding of a doubly
// stochastic matrix; σ is exact when P is close to a permutation matrix.
// A nil, empty or non-square P is an error matching ErrDims, a NaN or
// ±Inf entry one matching ErrNaN.
func RoundToPermutation(p mat.Matrix) ([]int, error) {
	if p == nil {
		return nil, fmt.Errorf("%w: nil matrix", ErrDims)
	}
	n, c := p.Dims()
	if n == 0 || n != c {
		return nil, fmt.Errorf("%w: %d×%d matrix, want square and non-empty", ErrDims, n, c)
	}
	for i := range n {
		for j := range n {
			if v := p.At(i, j); math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("%w: P[%d,%d] = %v", ErrNaN, i, j, p.At(i, j))
			}
		}
	}
	perm := make([]int, n)
	usedR, usedC := make([]bool, n), make([]bool, n)
	for range n {
		bi, bj, bv := -1, -1, -1.0
		for i := range n {
			if usedR[i] {
				continue
			}
			for j := range n {
				if !usedC[j] && (bi < 0 || p.At(i, j) > bv) {
					bi, bj, bv = i, j, p.At(i, j)
				}
			}
		}
		perm[bi] = bj
		usedR[bi], usedC[bj] = true, true
	}
	return perm, nil
}

var _ implicit.Differentiable = (*BirkhoffOutput)(nil)

// Condition returns an optimality condition of the layer in the plan
// itself, with z = vec(P) and θ = vec(S) (both n² long, row-major), as
// fresh copies. The entropic projection P(S) satisfies τ log P = S + α1ᵀ +
// 1βᵀ for some multipliers α, β, and P1 = 1, Pᵀ1 = 1; with D the double
// centering M ↦ M − (M1)1ᵀ/n − 1(1ᵀM)/n + (1ᵀM1)11ᵀ/n², which removes
// exactly the matrices α1ᵀ + 1βᵀ, and the marginal residuals r = P1 − 1,
// c = Pᵀ1 − 1,
//
//	F(P, S) = D(log P − S/τ) + (r1ᵀ + 1cᵀ)/n.
//
// The two terms lie in orthogonal subspaces and r1ᵀ + 1cᵀ = 0 forces
// r = c = 0 (Σr = Σc), so F = 0 exactly at P(S), and ∂_PF v =
// D(v⊘P) + ((v1)1ᵀ + 1(1ᵀv))/n, ∂_SF = −D/τ. The engine solves with this
// n²×n² linearization, independently of the potentials' Schur complement
// that VJP and JVP use.
func (o *BirkhoffOutput) Condition() (implicit.Condition, []float64, []float64) {
	if o == nil || o.res == nil || o.l == nil {
		return nil, nil, nil
	}
	n, _ := o.res.Dims()
	z := make([]float64, 0, n*n)
	for i := range n {
		z = append(z, o.P.RawRowView(i)[:n]...)
	}
	return &birkhoffCondition{n: n, tau: o.l.Tau}, z, slices.Clone(o.s)
}

// VJP sets dst (n², row-major) to the gradient with respect to S of
// ⟨g, vec(P)⟩: Backward on the flat layout of Condition.
func (o *BirkhoffOutput) VJP(dst, g []float64) error {
	if o == nil || o.res == nil || o.l == nil {
		return fmt.Errorf("%w: nil or empty BirkhoffOutput (use Forward)", ErrDims)
	}
	n, _ := o.res.Dims()
	if len(dst) != n*n || len(g) != n*n {
		return fmt.Errorf("%w: VJP into %d entries with a cotangent of %d, want %d and %d", ErrDims, len(dst), len(g), n*n, n*n)
	}
	gs, err := o.Backward(mat.NewDense(n, n, append([]float64(nil), g...)))
	if err != nil {
		return err
	}
	for i := range n {
		copy(dst[i*n:(i+1)*n], gs.RawRowView(i)[:n])
	}
	return nil
}

// JVP sets dst (n², row-major) to the derivative of vec(P) in the
// direction dS (n², row-major): the potentials move by the JVP of the
// Sinkhorn condition along dC = −dS, and dP_ij = P_ij (df_i + dg_j +
// dS_ij)/τ.
func (o *BirkhoffOutput) JVP(dst, dtheta []float64) error {
	return callbackErr(parallel.Call(0, func() error { return o.jvp(dst, dtheta) }))
}

func (o *BirkhoffOutput) jvp(dst, dtheta []float64) error {
	if o == nil || o.res == nil || o.l == nil {
		return fmt.Errorf("%w: nil or empty BirkhoffOutput (use Forward)", ErrDims)
	}
	r := o.res
	n, _ := r.Dims()
	if len(dst) != n*n || len(dtheta) != n*n {
		return fmt.Errorf("%w: JVP into %d entries along %d, want %d and %d", ErrDims, len(dst), len(dtheta), n*n, n*n)
	}
	if err := checkFinite(dtheta); err != nil {
		return fmt.Errorf("%w: in the direction", err)
	}
	c := r.ConditionWith(o.l.Diff)
	var es *implicit.Settings
	if o.l.Diff != nil {
		es = o.l.Diff.Implicit
	}
	dth := make([]float64, n*n+2*n)
	for k, v := range dtheta {
		dth[k] = -v
	}
	dz, err := implicit.JVP(context.Background(), c, r.Potentials(), c.Theta(), dth, es)
	if err != nil {
		return err
	}
	eps := r.Epsilon
	for i := range n {
		for j := range n {
			k := i*n + j
			dst[k] = o.P.At(i, j) * (dz[i] + dz[n+j] + dtheta[k]) / eps
		}
	}
	return nil
}

// birkhoffCondition is the condition of BirkhoffOutput.Condition.
type birkhoffCondition struct {
	n   int
	tau float64
}

func (c *birkhoffCondition) Dims() (int, int) { return c.n * c.n, c.n * c.n }

// center sets m to D(m) in place.
func (c *birkhoffCondition) center(m []float64) {
	n := c.n
	row, col := make([]float64, n), make([]float64, n)
	all := 0.0
	for i := range n {
		for j := range n {
			v := m[i*n+j]
			row[i] += v
			col[j] += v
			all += v
		}
	}
	nn := float64(n)
	for i := range n {
		for j := range n {
			m[i*n+j] += -row[i]/nn - col[j]/nn + all/(nn*nn)
		}
	}
}

// addMarginals adds ((v1)1ᵀ + 1(1ᵀv) − shift)/n to dst, shift = 1 for the
// residual (P1 − 1, Pᵀ1 − 1), 0 for the linearization.
func (c *birkhoffCondition) addMarginals(dst, v []float64, shift float64) {
	n := c.n
	row, col := make([]float64, n), make([]float64, n)
	for i := range n {
		for j := range n {
			row[i] += v[i*n+j]
			col[j] += v[i*n+j]
		}
	}
	nn := float64(n)
	for i := range n {
		for j := range n {
			dst[i*n+j] += (row[i] - shift + col[j] - shift) / nn
		}
	}
}

func (c *birkhoffCondition) Residual(dst, p, s []float64) {
	nn := c.n * c.n
	if len(dst) != nn || len(p) != nn || len(s) != nn {
		for i := range dst {
			dst[i] = math.NaN()
		}
		return
	}
	for k := range dst {
		dst[k] = math.Log(p[k]) - s[k]/c.tau
	}
	c.center(dst)
	c.addMarginals(dst, p, 1)
}

func (c *birkhoffCondition) Linearize(p, s []float64) (implicit.Operator, implicit.Operator, error) {
	nn := c.n * c.n
	if len(p) != nn || len(s) != nn {
		return nil, nil, fmt.Errorf("%w: condition of %d entries at len(z) = %d, len(θ) = %d", ErrDims, nn, len(p), len(s))
	}
	for _, v := range p {
		if !(v > 0) || math.IsInf(v, 1) {
			return nil, nil, fmt.Errorf("%w: a plan entry %v is not positive and finite", ErrNaN, v)
		}
	}
	dp := linsolve.NewFunc(nn, nn, func(dst, v []float64) {
		for k := range dst {
			dst[k] = v[k] / p[k]
		}
		c.center(dst)
		c.addMarginals(dst, v, 0)
	}, func(dst, u []float64) {
		copy(dst, u)
		c.center(dst)
		for k := range dst {
			dst[k] /= p[k]
		}
		c.addMarginals(dst, u, 0)
	})
	ds := linsolve.NewFunc(nn, nn, func(dst, v []float64) {
		for k := range dst {
			dst[k] = -v[k] / c.tau
		}
		c.center(dst)
	}, func(dst, u []float64) {
		for k := range dst {
			dst[k] = -u[k] / c.tau
		}
		c.center(dst)
	})
	return dp, ds, nil
}

// checkDiff rejects a negative, NaN or infinite Ridge or Tol and a
// negative MaxIter of the implicit backward pass (zero means the default),
// as package sinkhorn does when it runs it.
func checkDiff(s *sinkhorn.DiffSettings) error {
	if s == nil {
		return nil
	}
	if !(s.Ridge >= 0) || math.IsInf(s.Ridge, 1) || !(s.Tol >= 0) || math.IsInf(s.Tol, 1) || s.MaxIter < 0 {
		return fmt.Errorf("%w: DiffSettings Ridge %v, Tol %v, MaxIter %d (want finite Ridge, Tol ≥ 0 and MaxIter ≥ 0; 0: default)",
			ErrInvalid, s.Ridge, s.Tol, s.MaxIter)
	}
	return nil
}
