package lp

import (
	"context"
	"fmt"
	"log/slog"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/solvers/qp"
)

// Errors are those of package qp, so errors.Is works with either name.
var (
	ErrInfeasible   = qp.ErrInfeasible
	ErrUnbounded    = qp.ErrUnbounded
	ErrNotConverged = qp.ErrNotConverged
	ErrDims         = qp.ErrDims
	ErrNaN          = qp.ErrNaN
)

// Problem is the linear program
//
//	minimize cᵀx  subject to  Ax = b,  Gx ≤ h,  l ≤ x ≤ u,
//
// with x ∈ Rⁿ, n = len(C). A may be nil when B is empty, G when H is empty.
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
	// Tol is the tolerance of the interior point (see qp.Settings.Tol).
	// Default 1e-9.
	Tol float64
	// MaxIter caps interior-point iterations. Default 100.
	MaxIter int
	// Regularization γ ≥ 0 adds γ/2‖x‖² to the objective (Wilder, Dilkina
	// & Tambe 2019): the solution becomes a continuous, almost everywhere
	// differentiable function of c. Default 0.
	Regularization float64
	// Barrier μ ≥ 0 stops the interior point on the central path at
	// barrier weight μ: the solution of min cᵀx − μ Σ log(slacks), smooth
	// in all the data (Mandi & Guns 2020). Default 0 (the LP optimum).
	Barrier float64
	// WarmStart is an optional starting x (length n).
	WarmStart []float64
	// Workers for SolveBatch; 0 means GOMAXPROCS.
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
	qp                   *qp.Solution
}

// QP returns the underlying QP solution (the bounds appended to G as
// rows x_i ≤ u_i, then −x_i ≤ −l_i, in variable order), e.g. for
// qp.Solution.Condition.
func (s *Solution) QP() *qp.Solution { return s.qp }

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
	m := len(pb.H)
	if m > 0 && pb.G == nil {
		return nil, nil, nil, fmt.Errorf("%w: G is nil but len(H) = %d", ErrDims, m)
	}
	if pb.G != nil && m > 0 {
		if r, c := pb.G.Dims(); r != m || c != n {
			return nil, nil, nil, fmt.Errorf("%w: G is %d×%d, want %d×%d", ErrDims, r, c, m, n)
		}
	}
	rows := m + len(up) + len(lo)
	out := &qp.Problem{P: pb.C, A: pb.A, B: pb.B}
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

// Solve solves the LP pb (or its regularized or barrier-smoothed variant,
// see Settings) by the interior point of package qp with Q = 0 (Q = γI
// with regularization). Errors match ErrInfeasible, ErrUnbounded,
// ErrNotConverged (with the best iterate), ErrDims and ErrNaN.
func Solve(ctx context.Context, pb *Problem, s *Settings) (*Solution, error) {
	var set Settings
	if s != nil {
		set = *s
	}
	if set.Regularization < 0 || math.IsNaN(set.Regularization) || math.IsInf(set.Regularization, 0) {
		return nil, fmt.Errorf("%w: regularization %g must be finite and ≥ 0", ErrNaN, set.Regularization)
	}
	if set.Barrier < 0 || math.IsNaN(set.Barrier) || math.IsInf(set.Barrier, 0) {
		return nil, fmt.Errorf("%w: barrier %g must be finite and ≥ 0", ErrNaN, set.Barrier)
	}
	q, lo, up, err := toQP(pb, set.Regularization)
	if err != nil {
		return nil, err
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
	for i, c := range pb.C {
		sol.Objective += c * sol.X[i]
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
// The solution of an LP (Regularization = Barrier = 0) is piecewise
// constant in c: its gradient with respect to c is zero wherever it
// exists, and the KKT matrix is singular where the optimal vertex is not
// unique. Use Regularization or Barrier for informative gradients in c
// (or the perturbed optimizer of package solvers/perturbed).
func (s *Solution) Backward(gx []float64) (*Gradient, error) {
	g, err := s.qp.Backward(gx, nil, nil)
	if err != nil {
		return nil, err
	}
	n, m := len(s.X), s.m
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

// Oracle solves min costᵀx over a fixed polytope and writes the minimizer
// into dst (length n). It is the shape used by predict-then-optimize code
// (SPO+, perturbed optimizers). Oracles returned by NewOracle are safe for
// concurrent use.
type Oracle func(dst, cost []float64) error

// NewOracle returns the Oracle of the polytope of pb (pb.C is ignored).
// The problem data are copied. With s.Regularization or s.Barrier the
// oracle returns the smoothed solution instead of a vertex; at ties it
// returns a point of the optimal face (the interior point converges
// towards its analytic center), which has the same optimal cost.
func NewOracle(pb *Problem, s *Settings) (Oracle, error) {
	if pb == nil {
		return nil, fmt.Errorf("%w: nil problem", ErrDims)
	}
	n := 0
	switch {
	case pb.A != nil:
		_, n = pb.A.Dims()
	case pb.G != nil:
		_, n = pb.G.Dims()
	case pb.Lower != nil:
		n = len(pb.Lower)
	case pb.Upper != nil:
		n = len(pb.Upper)
	}
	if n == 0 {
		return nil, fmt.Errorf("%w: cannot infer the number of variables of the polytope", ErrDims)
	}
	cp := &Problem{B: clone(pb.B), H: clone(pb.H), Lower: clone(pb.Lower), Upper: clone(pb.Upper)}
	if pb.A != nil {
		cp.A = mat.DenseCopyOf(pb.A)
	}
	if pb.G != nil {
		cp.G = mat.DenseCopyOf(pb.G)
	}
	var set *Settings
	if s != nil {
		c := *s
		set = &c
	}
	return func(dst, cost []float64) error {
		if len(dst) != n || len(cost) != n {
			return fmt.Errorf("%w: oracle over %d variables called with len(dst)=%d, len(cost)=%d", ErrDims, n, len(dst), len(cost))
		}
		pb := *cp
		pb.C = cost
		sol, err := Solve(context.Background(), &pb, set)
		if err != nil {
			return err
		}
		copy(dst, sol.X)
		return nil
	}, nil
}

func clone(x []float64) []float64 {
	if x == nil {
		return nil
	}
	return append([]float64(nil), x...)
}
