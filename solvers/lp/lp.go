package lp

import (
	"context"
	"fmt"
	"log/slog"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/solvers/perturbed"
	"github.com/optlayers/optlayers/solvers/qp"

	"github.com/optlayers/optlayers/internal/guard"

	"github.com/optlayers/optlayers/internal/batch"
)

// Errors are those of package qp, so errors.Is works with either name.
var (
	ErrInfeasible   = qp.ErrInfeasible
	ErrUnbounded    = qp.ErrUnbounded
	ErrNotConverged = qp.ErrNotConverged
	ErrDims         = qp.ErrDims
	ErrNaN          = qp.ErrNaN
	// ErrInvalid reports an invalid setting: a negative, NaN or ≥ 1 Tol,
	// a negative MaxIter, a negative, NaN or infinite Quadratic or
	// Barrier (NaN and Inf also match ErrNaN), a nil Solution.
	ErrInvalid = qp.ErrInvalid
)

// Problem is the linear program
//
//	minimize cᵀx  subject to  Ax = b,  Gx ≤ h,  l ≤ x ≤ u,
//
// with x ∈ Rⁿ, n = len(C). A is len(B)×n and G is len(H)×n; A must be nil
// when B is empty and G when H is empty (a matrix without its right-hand
// side, or the reverse, is ErrDims).
// Lower and Upper are nil (no bound) or of length n with entries that may
// be −Inf and +Inf respectively; Lower[i] ≤ Upper[i] is required.
type Problem struct {
	C            []float64
	A            mat.Matrix
	B            []float64
	G            mat.Matrix
	H            []float64
	Lower, Upper []float64
}

// Settings controls Solve. A nil *Settings or the zero value means the
// defaults documented on each field.
type Settings struct {
	// Tol is the tolerance of the interior point (see qp.Settings.Tol), a
	// residual relative to the data scale. 0 means the default 1e-9;
	// negative, NaN or ≥ 1 (which would accept a point violating the
	// constraints by the scale of the data) is ErrInvalid.
	Tol float64
	// MaxIter caps interior-point iterations. 0 means the default 100;
	// negative is ErrInvalid.
	MaxIter int
	// Quadratic is the weight γ ≥ 0 (finite) of the quadratic
	// regularization γ/2‖x‖² added to the objective (Wilder, Dilkina &
	// Tambe 2019): the solution becomes a continuous, almost everywhere
	// differentiable function of c. Default 0.
	Quadratic float64
	// Barrier μ ≥ 0 (finite) stops the interior point on the central path at
	// barrier weight μ: the solution of min cᵀx − μ Σ log(slacks), smooth
	// in all the data (Mandi & Guns 2020). Default 0 (the LP optimum).
	Barrier float64
	// WarmStart is an optional starting x (nil, or length n).
	WarmStart []float64
	// Workers for SolveBatch; 0 means GOMAXPROCS, negative is ErrInvalid.
	Workers int
	// Logger, if non-nil, receives the interior point's iterations.
	Logger *slog.Logger
}

// Solution of an LP. Nu are the multipliers of Ax = b, Lambda (≥ 0) those
// of Gx ≤ h, LowerDual and UpperDual (≥ 0) those of the bounds (zero for
// infinite bounds), so that
//
//	c + Aᵀν + Gᵀλ − μ_l + μ_u = 0  (+ γx with regularization).
//
// Objective is cᵀx (without the regularization term).
type Solution struct {
	X, Nu, Lambda        []float64
	LowerDual, UpperDual []float64
	Objective            float64
	Status               qp.Status
	Iterations           int
	Residuals            qp.Residuals
	lowerIdx, upperIdx   []int // variables with finite bounds, in row order
	m                    int
	costScale            float64 // s > 0 when the QP was solved with c/s, else 0
	qp                   *qp.Solution
}

// QP returns the underlying QP solution (the bounds appended to G as
// rows x_i ≤ u_i, then −x_i ≤ −l_i, in variable order), e.g. for
// qp.Solution.Condition. When ‖c‖∞ > 1e12 that QP is the problem with
// c, γ and μ divided by ‖c‖∞ (same solution x, multipliers divided by
// ‖c‖∞).
func (s *Solution) QP() *qp.Solution {
	if s == nil {
		return nil
	}
	return s.qp
}

// toQP builds the QP of pb.
func toQP(pb *Problem, gamma float64) (*qp.Problem, []int, []int, error) {
	if pb == nil {
		return nil, nil, nil, fmt.Errorf("%w: nil problem", ErrDims)
	}
	n := len(pb.C)
	if n == 0 {
		return nil, nil, nil, fmt.Errorf("%w: no variables", ErrDims)
	}
	if (pb.Lower != nil && len(pb.Lower) != n) || (pb.Upper != nil && len(pb.Upper) != n) {
		return nil, nil, nil, fmt.Errorf("%w: bounds of lengths %d, %d for n = %d", ErrDims, len(pb.Lower), len(pb.Upper), n)
	}
	var lo, up []int
	for i := range n {
		l, u := math.Inf(-1), math.Inf(1)
		if pb.Lower != nil {
			l = pb.Lower[i]
		}
		if pb.Upper != nil {
			u = pb.Upper[i]
		}
		if math.IsNaN(l) || math.IsNaN(u) || math.IsInf(l, 1) || math.IsInf(u, -1) {
			return nil, nil, nil, fmt.Errorf("%w: bound of variable %d", ErrNaN, i)
		}
		if l > u {
			return nil, nil, nil, fmt.Errorf("%w: lower bound %g > upper bound %g for variable %d", ErrInfeasible, l, u, i)
		}
		if !math.IsInf(u, 1) {
			up = append(up, i)
		}
		if !math.IsInf(l, -1) {
			lo = append(lo, i)
		}
	}
	if err := checkPair("A", pb.A, "B", pb.B, n); err != nil {
		return nil, nil, nil, err
	}
	if err := checkPair("G", pb.G, "H", pb.H, n); err != nil {
		return nil, nil, nil, err
	}
	m := len(pb.H)
	rows := m + len(up) + len(lo)
	out := &qp.Problem{P: pb.C, B: pb.B}
	if !isNilMatrix(pb.A) {
		out.A = pb.A
	}
	if rows > 0 {
		g := mat.NewDense(rows, n, nil)
		h := make([]float64, rows)
		if m > 0 {
			g.Slice(0, m, 0, n).(*mat.Dense).Copy(pb.G)
			copy(h, pb.H)
		}
		for k, i := range up {
			g.Set(m+k, i, 1)
			h[m+k] = pb.Upper[i]
		}
		for k, i := range lo {
			g.Set(m+len(up)+k, i, -1)
			h[m+len(up)+k] = -pb.Lower[i]
		}
		out.G, out.H = g, h
	}
	if gamma > 0 {
		q := mat.NewSymDense(n, nil)
		for i := range n {
			q.SetSym(i, i, gamma)
		}
		out.Q = q
	}
	return out, lo, up, nil
}

// checkPair checks that the matrix m (name mn) and its right-hand side v
// (name vn) go together: both absent, or m is len(v)×n. n < 0 skips the
// column count.
func checkPair(mn string, m mat.Matrix, vn string, v []float64, n int) error {
	if isNilMatrix(m) {
		if len(v) > 0 {
			return fmt.Errorf("%w: %s is nil but len(%s) = %d", ErrDims, mn, vn, len(v))
		}
		return nil
	}
	r, c := m.Dims()
	if len(v) == 0 {
		return fmt.Errorf("%w: %s is %d×%d but %s is empty (a constraint matrix needs its right-hand side)", ErrDims, mn, r, c, vn)
	}
	if r != len(v) || (n >= 0 && c != n) {
		if n < 0 {
			n = c
		}
		return fmt.Errorf("%w: %s is %d×%d, want %d×%d (len(%s) × n)", ErrDims, mn, r, c, len(v), n, vn)
	}
	return nil
}

// isNilMatrix reports a nil interface or a nil *mat.Dense.
func isNilMatrix(m mat.Matrix) bool { return guard.IsNilMatrix(m) }

// validate reports invalid settings.
func (s *Settings) validate() error {
	switch {
	case math.IsNaN(s.Tol):
		return fmt.Errorf("%w: %w: Tol is NaN", ErrInvalid, ErrNaN)
	case s.Tol < 0 || s.Tol >= 1:
		return fmt.Errorf("%w: Tol = %g (want 0 ≤ Tol < 1; 0 means the default)", ErrInvalid, s.Tol)
	case s.MaxIter < 0:
		return fmt.Errorf("%w: MaxIter = %d (want ≥ 0; 0 means the default)", ErrInvalid, s.MaxIter)
	case math.IsNaN(s.Quadratic) || math.IsInf(s.Quadratic, 0):
		return fmt.Errorf("%w: %w: Quadratic = %g must be finite and ≥ 0", ErrInvalid, ErrNaN, s.Quadratic)
	case s.Quadratic < 0:
		return fmt.Errorf("%w: Quadratic = %g must be ≥ 0", ErrInvalid, s.Quadratic)
	case math.IsNaN(s.Barrier) || math.IsInf(s.Barrier, 0):
		return fmt.Errorf("%w: %w: barrier %g must be finite and ≥ 0", ErrInvalid, ErrNaN, s.Barrier)
	case s.Barrier < 0:
		return fmt.Errorf("%w: barrier %g must be ≥ 0", ErrInvalid, s.Barrier)
	}
	return batch.CheckWorkers(s.Workers, ErrInvalid)
}

// Solve solves the LP pb (or its regularized or barrier-smoothed variant,
// see Settings) by the interior point of package qp with Q = 0 (Q = γI
// with regularization). Errors match ErrInfeasible, ErrUnbounded,
// ErrNotConverged (with the best iterate), ErrDims, ErrNaN and ErrInvalid
// (bad settings). A nil ctx means context.Background().
func Solve(ctx context.Context, pb *Problem, s *Settings) (*Solution, error) {
	var set Settings
	if s != nil {
		set = *s
	}
	if err := set.validate(); err != nil {
		return nil, err
	}
	if ctx == nil {
		ctx = context.Background()
	}
	q, lo, up, err := toQP(pb, set.Quadratic)
	if err != nil {
		return nil, err
	}
	if set.WarmStart != nil && len(set.WarmStart) != len(pb.C) {
		return nil, fmt.Errorf("%w: WarmStart has length %d, n = %d", ErrDims, len(set.WarmStart), len(pb.C))
	}
	// The solution is invariant under a positive scaling of (c, γ, μ);
	// costs far from unit size are solved at unit size (the interior point
	// is not scale invariant: at ‖c‖∞ = 1e20 it reported a bounded LP
	// unbounded). Duals and the cost gradient are scaled back.
	cs := 1.0
	if mc := maxAbs(pb.C); mc > costScaleLimit {
		cs = mc
		p := make([]float64, len(pb.C))
		for i, c := range pb.C {
			p[i] = c / cs
		}
		q.P = p
		if q.Q != nil {
			n := len(p)
			qq := mat.NewSymDense(n, nil)
			for i := range n {
				qq.SetSym(i, i, set.Quadratic/cs)
			}
			q.Q = qq
		}
		set.Barrier /= cs
	}
	qs := &qp.Settings{Tol: set.Tol, MaxIter: set.MaxIter, Barrier: set.Barrier, Logger: set.Logger}
	if set.WarmStart != nil {
		qs.WarmStart = &qp.Start{X: set.WarmStart}
	}
	qsol, err := qp.Solve(ctx, q, qs)
	if qsol == nil {
		return nil, err
	}
	n, m := len(pb.C), len(pb.H)
	sol := &Solution{
		X: qsol.X, Nu: qsol.Nu, Lambda: qsol.Lambda[:m:m],
		LowerDual: make([]float64, n), UpperDual: make([]float64, n),
		Status: qsol.Status, Iterations: qsol.Iterations, Residuals: qsol.Residuals,
		lowerIdx: lo, upperIdx: up, m: m, qp: qsol,
	}
	for k, i := range up {
		sol.UpperDual[i] = qsol.Lambda[m+k]
	}
	for k, i := range lo {
		sol.LowerDual[i] = qsol.Lambda[m+len(up)+k]
	}
	// cᵀx summed at the solve's cost scale and scaled back once: a sum of
	// overflowing terms of both signs would be NaN where the value itself
	// is representable.
	for i, c := range pb.C {
		sol.Objective += (c / cs) * sol.X[i]
	}
	sol.Objective *= cs
	if math.IsNaN(sol.Objective) || math.IsInf(sol.Objective, 0) {
		if err == nil {
			err = fmt.Errorf("%w: the objective cᵀx overflows float64 (‖c‖∞ = %g, ‖x‖∞ = %g); the solution is returned", ErrNaN, maxAbs(pb.C), maxAbs(sol.X))
		}
	}
	if cs != 1 {
		sol.costScale = cs
		sol.Nu, sol.Lambda = scaled(sol.Nu, cs), scaled(sol.Lambda, cs)
		sol.LowerDual, sol.UpperDual = scaled(sol.LowerDual, cs), scaled(sol.UpperDual, cs)
		for _, v := range [][]float64{sol.Nu, sol.Lambda, sol.LowerDual, sol.UpperDual} {
			for _, x := range v {
				if math.IsInf(x, 0) || math.IsNaN(x) {
					return nil, fmt.Errorf("%w: the multipliers overflow at cost scale %g", ErrNaN, cs)
				}
			}
		}
	}
	return sol, err
}

// Gradient of a scalar loss with respect to the LP data. Lower and Upper
// have length n with zeros for infinite bounds.
type Gradient struct {
	C            []float64
	A            *mat.Dense
	B            []float64
	G            *mat.Dense
	H            []float64
	Lower, Upper []float64
}

// Backward returns the gradient of ⟨gx, x*⟩ with respect to the data, by
// the QP backward pass on the KKT system factorized at the solution.
//
// The solution of an LP (Quadratic = Barrier = 0) is piecewise
// constant in c: its gradient with respect to c is zero wherever it
// exists, and the KKT matrix is singular where the optimal vertex is not
// unique. Use Quadratic or Barrier for informative gradients in c
// (or the perturbed optimizer of package solvers/perturbed).
func (s *Solution) Backward(gx []float64) (*Gradient, error) {
	if s == nil || s.qp == nil {
		return nil, fmt.Errorf("%w: Solution not returned by Solve", ErrInvalid)
	}
	return s.backward(gx, nil, nil)
}

// backward is Backward with cotangents of the QP's multipliers too (nil:
// zero): gnu for ν and glam for the QP's λ (the rows of G, then the
// finite upper and lower bounds).
func (s *Solution) backward(gx, gnu, glam []float64) (*Gradient, error) {
	g, err := s.qp.Backward(gx, gnu, glam)
	if err != nil {
		return nil, err
	}
	n, m := len(s.X), s.m
	if s.costScale != 0 {
		for i := range g.P {
			g.P[i] /= s.costScale // x*(c) = x̃*(c/s)
		}
	}
	out := &Gradient{C: g.P, A: g.A, B: g.B, H: g.H[:m:m], Lower: make([]float64, n), Upper: make([]float64, n)}
	if m > 0 {
		out.G = g.G.Slice(0, m, 0, n).(*mat.Dense)
	}
	for k, i := range s.upperIdx {
		out.Upper[i] = g.H[m+k]
	}
	for k, i := range s.lowerIdx {
		out.Lower[i] = -g.H[m+len(s.upperIdx)+k]
	}
	return out, nil
}

// NewOracle returns the linear-optimization oracle of the polytope of pb
// (pb.C is ignored): a perturbed.Oracle, the module's one oracle function
// type, that solves min costᵀx over the polytope and writes the minimizer
// into dst (length n), under the caller's ctx (its interior point stops
// within one iteration of ctx being done). It is the shape used by
// predict-then-optimize code (SPO+, perturbed optimizers) and is safe for
// concurrent use. The problem data are copied. With s.Quadratic or
// s.Barrier the oracle returns the smoothed solution instead of a vertex;
// at ties it returns a point of the optimal face (the interior point
// converges towards its analytic center), which has the same optimal
// cost.
func NewOracle(pb *Problem, s *Settings) (perturbed.Oracle, error) {
	if pb == nil {
		return nil, fmt.Errorf("%w: nil problem", ErrDims)
	}
	n := 0
	switch {
	case !isNilMatrix(pb.A):
		_, n = pb.A.Dims()
	case !isNilMatrix(pb.G):
		_, n = pb.G.Dims()
	case pb.Lower != nil:
		n = len(pb.Lower)
	case pb.Upper != nil:
		n = len(pb.Upper)
	}
	if n == 0 {
		return nil, fmt.Errorf("%w: cannot infer the number of variables of the polytope", ErrDims)
	}
	if err := checkPair("A", pb.A, "B", pb.B, n); err != nil {
		return nil, err
	}
	if err := checkPair("G", pb.G, "H", pb.H, n); err != nil {
		return nil, err
	}
	if (pb.Lower != nil && len(pb.Lower) != n) || (pb.Upper != nil && len(pb.Upper) != n) {
		return nil, fmt.Errorf("%w: bounds of lengths %d, %d for n = %d", ErrDims, len(pb.Lower), len(pb.Upper), n)
	}
	if s != nil {
		if err := s.validate(); err != nil {
			return nil, err
		}
	}
	cp := &Problem{B: clone(pb.B), H: clone(pb.H), Lower: clone(pb.Lower), Upper: clone(pb.Upper)}
	if !isNilMatrix(pb.A) {
		cp.A = mat.DenseCopyOf(pb.A)
	}
	if !isNilMatrix(pb.G) {
		cp.G = mat.DenseCopyOf(pb.G)
	}
	var set *Settings
	if s != nil {
		c := *s
		set = &c
	}
	return func(ctx context.Context, dst, cost []float64) error {
		if len(dst) != n || len(cost) != n {
			return fmt.Errorf("%w: oracle over %d variables called with len(dst)=%d, len(cost)=%d", ErrDims, n, len(dst), len(cost))
		}
		pb := *cp
		pb.C = cost
		sol, err := Solve(ctx, &pb, set)
		if err != nil {
			return err
		}
		copy(dst, sol.X)
		return nil
	}, nil
}

// costScaleLimit is the ‖c‖∞ above which Solve works with c/‖c‖∞.
const costScaleLimit = 1e12

func maxAbs(x []float64) float64 {
	m := 0.0
	for _, v := range x {
		m = max(m, math.Abs(v))
	}
	return m
}

// scaled returns a copy of x times s (x belongs to the QP solution).
func scaled(x []float64, s float64) []float64 {
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = v * s
	}
	return out
}

func clone(x []float64) []float64 {
	if x == nil {
		return nil
	}
	return append([]float64(nil), x...)
}
