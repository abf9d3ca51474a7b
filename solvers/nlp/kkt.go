package nlp

import (
	"context"
	"fmt"
	"math"
	"runtime/debug"

	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/implicit"
	"github.com/optlayers/optlayers/implicit/linsolve"
)

// rowKind tells where an active inequality comes from.
type rowKind uint8

const (
	rowIneq  rowKind = iota // a row of g
	rowLower                // lᵢ − xᵢ ≤ 0
	rowUpper                // xᵢ − uᵢ ≤ 0
)

type activeRow struct {
	kind rowKind
	idx  int
}

// Solution is a KKT point x*(θ) of a Problem with its multipliers and
// active set, ready to be differentiated with respect to θ. It is not safe
// for concurrent use; make one per goroutine.
type Solution struct {
	// X and Theta are the point and the parameters (copies).
	X, Theta []float64
	// Lambda (NumIneq) are the multipliers of g, zero on inactive rows;
	// Nu (NumEq) those of h.
	Lambda, Nu []float64
	// LowerMult and UpperMult (Dim, nil without bounds) are the
	// multipliers of the bounds, zero where inactive.
	LowerMult, UpperMult []float64
	// Active lists the active rows of g; ActiveLower and ActiveUpper the
	// variables at their bounds. These inequalities are treated as
	// equalities when differentiating.
	Active, ActiveLower, ActiveUpper []int
	// Stationarity is ‖∇ₓL‖∞ at the multipliers, and Feasibility the
	// largest constraint violation.
	Stationarity, Feasibility float64

	p    *Problem
	s    Settings
	rows []activeRow
	ev   *evaluator
	lin  *implicit.Linearization
}

// Solver computes x*(θ) for a Problem, from x0 (a warm start, may be nil).
type Solver func(ctx context.Context, p *Problem, theta, x0 []float64) ([]float64, error)

// Solve runs solver at θ and returns the differentiable solution. It is
// NewSolution applied to the solver's output.
//
// A nil solver gives ErrInvalid, a canceled ctx its error (before the
// solver runs), and a panic in the solver or the problem's functions an
// error wrapping ErrCallback.
func Solve(ctx context.Context, p *Problem, solver Solver, theta, x0 []float64, s *Settings) (sol *Solution, err error) {
	defer guard(&err, "Solve")
	if err := p.validate(); err != nil {
		return nil, err
	}
	if solver == nil {
		return nil, fmt.Errorf("%w: nil solver", ErrInvalid)
	}
	if len(theta) != p.Params {
		return nil, fmt.Errorf("%w: θ has length %d, want %d", ErrDims, len(theta), p.Params)
	}
	if !finite(theta) {
		return nil, fmt.Errorf("%w: in θ", ErrNaN)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	x, err := solver(ctx, p, theta, x0)
	if err != nil {
		return nil, err
	}
	return NewSolution(p, x, theta, s)
}

// NewSolution recovers the multipliers of p at a solution x of the
// problem with parameters θ, and returns the Solution whose derivatives
// with respect to θ are those of x*(θ).
//
// The active set is read off x with Settings.ActiveTol; the multipliers
// are the least-squares solution of ∇ₓf + Σ λᵢ∇ₓgᵢ + Σ νⱼ∇ₓhⱼ = 0 over the
// active rows (a minimum-norm SVD solve), with active inequalities of
// negative multiplier dropped one at a time. It returns ErrNotKKT when x
// is infeasible or not stationary within the tolerances and ErrDegenerate
// (with the Solution) when the active gradients are linearly dependent.
// A panic in the problem's functions is returned as an error wrapping
// ErrCallback.
func NewSolution(p *Problem, x, theta []float64, s *Settings) (sol *Solution, err error) {
	defer func() {
		if v := recover(); v != nil {
			sol, err = nil, fmt.Errorf("%w: NewSolution: %v\n%s", ErrCallback, v, debug.Stack())
		}
	}()
	if err := p.validate(); err != nil {
		return nil, err
	}
	n := p.Dim
	if len(x) != n || len(theta) != p.Params {
		return nil, fmt.Errorf("%w: len(x)=%d, len(θ)=%d, problem is %d×%d", ErrDims, len(x), len(theta), n, p.Params)
	}
	if !finite(x) || !finite(theta) {
		return nil, fmt.Errorf("%w: in x or θ", ErrNaN)
	}
	if err := s.validate(); err != nil {
		return nil, err
	}
	set := s.withDefaults()
	sol = &Solution{
		X: append([]float64(nil), x...), Theta: append([]float64(nil), theta...),
		Lambda: make([]float64, p.NumIneq), Nu: make([]float64, p.NumEq),
		p: p, s: set, ev: newEvaluator(p),
	}
	x, theta = sol.X, sol.Theta
	ev := sol.ev

	// Values, feasibility and the candidate active set.
	g := make([]float64, p.NumIneq)
	if p.NumIneq > 0 {
		p.Ineq(g, x, theta)
	}
	h := make([]float64, p.NumEq)
	if p.NumEq > 0 {
		p.Eq(h, x, theta)
	}
	if !finite(g) || !finite(h) {
		return nil, fmt.Errorf("%w: constraint values g=%v h=%v", ErrNaN, g, h)
	}
	var viol float64
	for i, v := range g {
		viol = math.Max(viol, v)
		if v >= -set.ActiveTol {
			sol.rows = append(sol.rows, activeRow{rowIneq, i})
		}
	}
	for _, v := range h {
		viol = math.Max(viol, math.Abs(v))
	}
	if p.Lower != nil || p.Upper != nil {
		sol.LowerMult = make([]float64, n)
		sol.UpperMult = make([]float64, n)
		for i := range n {
			lo, hi := p.lower(i), p.upper(i)
			viol = math.Max(viol, math.Max(lo-x[i], x[i]-hi))
			switch {
			case lo == hi:
				// A fixed variable: one row, its multiplier of either sign.
				sol.rows = append(sol.rows, activeRow{rowLower, i})
			case x[i]-lo <= set.ActiveTol:
				sol.rows = append(sol.rows, activeRow{rowLower, i})
			case hi-x[i] <= set.ActiveTol:
				sol.rows = append(sol.rows, activeRow{rowUpper, i})
			}
		}
	}
	sol.Feasibility = viol
	if viol > set.FeasibilityTol {
		return nil, fmt.Errorf("%w: constraint violation %.3g > %.3g", ErrNotKKT, viol, set.FeasibilityTol)
	}

	// Gradients.
	gf := make([]float64, n)
	ev.grad(gf, x, theta)
	if !finite(gf) {
		return nil, fmt.Errorf("%w: ∇ₓf = %v", ErrNaN, gf)
	}
	var Jg, Jh *mat.Dense
	if p.NumIneq > 0 {
		Jg = mat.NewDense(p.NumIneq, n, nil)
		ev.ineqJac(Jg, x, theta)
		if !denseFinite(Jg) {
			return nil, fmt.Errorf("%w: in ∂ₓg", ErrNaN)
		}
	}
	if p.NumEq > 0 {
		Jh = mat.NewDense(p.NumEq, n, nil)
		ev.eqJac(Jh, x, theta)
		if !denseFinite(Jh) {
			return nil, fmt.Errorf("%w: in ∂ₓh", ErrNaN)
		}
	}
	scale := math.Max(1, maxAbs(gf))

	// Least-squares multipliers, dropping negative inequality multipliers.
	var (
		mult     []float64
		rank     int
		stat     float64
		degen    bool
		resid    = make([]float64, n)
		fixedRow = func(r activeRow) bool { return r.kind == rowLower && p.lower(r.idx) == p.upper(r.idx) }
	)
	for {
		k := len(sol.rows) + p.NumEq
		mult = make([]float64, k)
		copy(resid, gf)
		if k > 0 {
			A := mat.NewDense(n, k, nil) // columns: gradients of the active rows, then of h
			for c, r := range sol.rows {
				switch r.kind {
				case rowIneq:
					for j := range n {
						A.Set(j, c, Jg.At(r.idx, j))
					}
				case rowLower:
					A.Set(r.idx, c, -1)
				case rowUpper:
					A.Set(r.idx, c, 1)
				}
			}
			for e := range p.NumEq {
				for j := range n {
					A.Set(j, len(sol.rows)+e, Jh.At(e, j))
				}
			}
			var svd mat.SVD
			if !svd.Factorize(A, mat.SVDThin) {
				return nil, fmt.Errorf("%w: SVD of the active constraint gradients failed", ErrNaN)
			}
			sv := svd.Values(nil)
			tol := float64(max(n, k)) * 0x1p-52 * sv[0]
			rank = 0
			for _, v := range sv {
				if v > tol && v > 1e-13*scale {
					rank++
				}
			}
			degen = rank < k
			neg := mat.NewVecDense(n, nil)
			neg.ScaleVec(-1, mat.NewVecDense(n, gf))
			if rank > 0 {
				var z mat.Dense
				svd.SolveTo(&z, neg, rank)
				for i := range k {
					mult[i] = z.At(i, 0)
				}
			}
			r := mat.NewVecDense(n, resid)
			r.MulVec(A, mat.NewVecDense(k, mult))
			r.AddVec(r, mat.NewVecDense(n, gf))
		}
		stat = maxAbs(resid)
		// Drop the most negative inequality multiplier, if any.
		worst, at := -set.MultiplierTol*scale, -1
		for c, r := range sol.rows {
			if fixedRow(r) {
				continue
			}
			if mult[c] < worst {
				worst, at = mult[c], c
			}
		}
		if at < 0 {
			break
		}
		sol.rows = append(sol.rows[:at], sol.rows[at+1:]...)
	}
	if !finite(mult) || math.IsNaN(stat) {
		return nil, fmt.Errorf("%w: in the multipliers", ErrNaN)
	}
	sol.Stationarity = stat
	for c, r := range sol.rows {
		switch r.kind {
		case rowIneq:
			sol.Lambda[r.idx] = mult[c]
			sol.Active = append(sol.Active, r.idx)
		case rowLower:
			sol.LowerMult[r.idx] = mult[c]
			sol.ActiveLower = append(sol.ActiveLower, r.idx)
		case rowUpper:
			sol.UpperMult[r.idx] = mult[c]
			sol.ActiveUpper = append(sol.ActiveUpper, r.idx)
		}
	}
	copy(sol.Nu, mult[len(sol.rows):])
	if set.Tol >= 0 && stat > set.Tol*scale {
		return nil, fmt.Errorf("%w: ‖∇ₓL‖∞ = %.3g > %.3g·max(1, ‖∇ₓf‖∞ = %.3g)", ErrNotKKT, stat, set.Tol, scale)
	}
	if degen {
		return sol, fmt.Errorf("%w: %d active constraints, gradients of rank %d", ErrDegenerate, len(sol.rows)+p.NumEq, rank)
	}
	return sol, nil
}

// Z returns the point of the KKT condition: z = (x, λ_A, ν), the solution
// followed by the multipliers of the active inequalities (first the active
// rows of g in the order of Active, then the active bounds by variable
// index, lower or upper) and those of the equalities.
//
// A nil Solution gives nil.
func (s *Solution) Z() []float64 {
	if s == nil || s.p == nil {
		return nil
	}
	z := make([]float64, 0, len(s.X)+len(s.rows)+len(s.Nu))
	z = append(z, s.X...)
	for _, r := range s.rows {
		switch r.kind {
		case rowIneq:
			z = append(z, s.Lambda[r.idx])
		case rowLower:
			z = append(z, s.LowerMult[r.idx])
		case rowUpper:
			z = append(z, s.UpperMult[r.idx])
		}
	}
	return append(z, s.Nu...)
}

// Condition returns the KKT conditions at the solution's active set as an
// implicit.Condition on z = (x, λ_A, ν) (see Z) and θ, with fresh copies
// of the point z = Z() and of θ (the problem's Params parameters, as its
// functions take them) at which they hold ([implicit.Differentiable]):
//
//	∇ₓf(x,θ) + Σ_{i∈A} λᵢ∇ₓgᵢ(x,θ) + Σⱼ νⱼ∇ₓhⱼ(x,θ) = 0
//	gᵢ(x, θ) = 0, i ∈ A (active bounds: xᵢ = lᵢ or xᵢ = uᵢ)
//	h(x, θ) = 0
//
// Its ∂_zF is the symmetric KKT matrix [[∇²ₓₓL, J_Aᵀ], [J_A, 0]] and its
// ∂θF stacks ∂θ∇ₓL and ∂θg_A, ∂θh.
//
// Called directly with vectors of the wrong lengths (or with NaN), its
// Linearize returns ErrDims (ErrNaN) and its Residual fills dst with NaN;
// a panic in the problem's functions is returned as ErrCallback
// (Linearize) or NaN (Residual). A nil Solution gives nils.
func (s *Solution) Condition() (c implicit.Condition, z, theta []float64) {
	if s == nil || s.p == nil {
		return nil, nil, nil
	}
	return s.kkt(), s.Z(), append([]float64(nil), s.Theta...)
}

var _ implicit.Differentiable = (*Solution)(nil)

// kkt returns the KKT condition of Condition.
func (s *Solution) kkt() implicit.Condition {
	return &kktCondition{s: s, ev: newEvaluator(s.p)}
}

// checkPoint validates (z, θ) against the condition's dimensions.
func (c *kktCondition) checkPoint(z, theta []float64) error {
	n, p := c.Dims()
	if len(z) != n || len(theta) != p {
		return fmt.Errorf("%w: len(z)=%d, len(θ)=%d, condition is %d×%d", ErrDims, len(z), len(theta), n, p)
	}
	if !finite(z) || !finite(theta) {
		return fmt.Errorf("%w: in z or θ", ErrNaN)
	}
	return nil
}

type kktCondition struct {
	s  *Solution
	ev *evaluator
}

func (c *kktCondition) Dims() (int, int) {
	return c.s.p.Dim + len(c.s.rows) + c.s.p.NumEq, c.s.p.Params
}

// split returns x and the full multiplier vectors encoded in z.
func (c *kktCondition) split(z []float64) (x, lambda, nu, boundMult []float64) {
	p, n := c.s.p, c.s.p.Dim
	x = z[:n]
	lambda = make([]float64, p.NumIneq)
	boundMult = z[n : n+len(c.s.rows)]
	for k, r := range c.s.rows {
		if r.kind == rowIneq {
			lambda[r.idx] = z[n+k]
		}
	}
	nu = z[n+len(c.s.rows):]
	return
}

func (c *kktCondition) Residual(dst, z, theta []float64) {
	if m, _ := c.Dims(); len(dst) != m || c.checkPoint(z, theta) != nil {
		nanFill(dst)
		return
	}
	defer nanOnPanic(dst)
	p, n, ev := c.s.p, c.s.p.Dim, c.ev
	x, lambda, nu, am := c.split(z)
	ev.grad(dst[:n], x, theta)
	if p.NumIneq > 0 && anyNonzero(lambda) {
		J := mat.NewDense(p.NumIneq, n, nil)
		ev.ineqJac(J, x, theta)
		addMulT(dst[:n], J, lambda)
	}
	if p.NumEq > 0 {
		J := mat.NewDense(p.NumEq, n, nil)
		ev.eqJac(J, x, theta)
		addMulT(dst[:n], J, nu)
	}
	var g []float64
	if p.NumIneq > 0 {
		g = make([]float64, p.NumIneq)
		p.Ineq(g, x, theta)
	}
	for k, r := range c.s.rows {
		switch r.kind {
		case rowIneq:
			dst[n+k] = g[r.idx]
		case rowLower:
			dst[r.idx] -= am[k]
			dst[n+k] = p.lower(r.idx) - x[r.idx]
		case rowUpper:
			dst[r.idx] += am[k]
			dst[n+k] = x[r.idx] - p.upper(r.idx)
		}
	}
	if p.NumEq > 0 {
		h := dst[n+len(c.s.rows):]
		clear(h)
		p.Eq(h, x, theta)
	}
}

func addMulT(dst []float64, J *mat.Dense, v []float64) {
	r, _ := J.Dims()
	for i := range r {
		if v[i] == 0 {
			continue
		}
		row := J.RawRowView(i)
		for j := range dst {
			dst[j] += v[i] * row[j]
		}
	}
}

// matrices returns the KKT matrix K = ∂_zF and B = ∂θF (nil when there
// are no parameters) at (z, θ).
func (c *kktCondition) matrices(z, theta []float64) (K, B *mat.Dense, err error) {
	p, n, ev := c.s.p, c.s.p.Dim, c.ev
	na, np := len(c.s.rows), p.Params
	nz := n + na + p.NumEq
	x, lambda, nu, _ := c.split(z)
	K = mat.NewDense(nz, nz, nil)
	if np > 0 {
		B = mat.NewDense(nz, np, nil)
	}
	H := K.Slice(0, n, 0, n).(*mat.Dense)
	var M *mat.Dense
	if np > 0 {
		M = B.Slice(0, n, 0, np).(*mat.Dense)
	}
	ev.second(H, M, x, theta, lambda, nu)
	var Jg, Tg *mat.Dense
	if p.NumIneq > 0 {
		Jg = mat.NewDense(p.NumIneq, n, nil)
		ev.ineqJac(Jg, x, theta)
		if np > 0 && na > 0 {
			Tg = mat.NewDense(p.NumIneq, np, nil)
			ev.ineqTheta(Tg, x, theta)
		}
	}
	for k, r := range c.s.rows {
		row := n + k
		switch r.kind {
		case rowIneq:
			for j := range n {
				v := Jg.At(r.idx, j)
				K.Set(row, j, v)
				K.Set(j, row, v)
			}
			if Tg != nil {
				for j := range np {
					B.Set(row, j, Tg.At(r.idx, j))
				}
			}
		case rowLower:
			K.Set(row, r.idx, -1)
			K.Set(r.idx, row, -1)
		case rowUpper:
			K.Set(row, r.idx, 1)
			K.Set(r.idx, row, 1)
		}
	}
	if p.NumEq > 0 {
		Jh := mat.NewDense(p.NumEq, n, nil)
		ev.eqJac(Jh, x, theta)
		var Th *mat.Dense
		if np > 0 {
			Th = mat.NewDense(p.NumEq, np, nil)
			ev.eqTheta(Th, x, theta)
		}
		for e := range p.NumEq {
			row := n + na + e
			for j := range n {
				v := Jh.At(e, j)
				K.Set(row, j, v)
				K.Set(j, row, v)
			}
			for j := range np {
				B.Set(row, j, Th.At(e, j))
			}
		}
	}
	if !denseFinite(K) || (B != nil && !denseFinite(B)) {
		return nil, nil, fmt.Errorf("%w: in the KKT matrix or ∂θF", ErrNaN)
	}
	return K, B, nil
}

func (c *kktCondition) Linearize(z, theta []float64) (dz, dth implicit.Operator, err error) {
	if err := c.checkPoint(z, theta); err != nil {
		return nil, nil, err
	}
	defer guard(&err, "Condition.Linearize")
	K, B, err := c.matrices(z, theta)
	if err != nil {
		return nil, nil, err
	}
	nz, np := c.Dims()
	var dtheta implicit.Operator = linsolve.Zero{Rows: nz, Cols: np}
	if B != nil {
		dtheta = linsolve.NewMatrix(B)
	}
	// The KKT matrix is symmetric indefinite: factorize it densely here,
	// whatever its size, rather than let the engine run an unpreconditioned
	// Krylov method on it. A singular one is handed over as a plain matrix
	// (the engine then reports it, or regularizes it with Settings.Ridge).
	if lu, err := linsolve.NewLU(K); err == nil {
		return lu, dtheta, nil
	}
	return linsolve.NewMatrix(K), dtheta, nil
}

// Linearization returns the (cached) linearization of the KKT condition
// at the solution, to answer many VJP and JVP queries with one
// factorization of the KKT matrix.
//
// On a nil Solution the methods that return an error return ErrInvalid;
// a panic in the problem's functions is returned as an error wrapping
// ErrCallback, and NaN or Inf in a direction gives ErrNaN.
func (s *Solution) Linearization() (lin *implicit.Linearization, err error) {
	if s == nil || s.p == nil {
		return nil, errNilSolution
	}
	defer guard(&err, "Linearization")
	if s.lin == nil {
		l, err := implicit.Linearize(s.kkt(), s.Z(), s.Theta, s.s.Implicit)
		if err != nil {
			return nil, err
		}
		s.lin = l
	}
	return s.lin, nil
}

// VJP sets dst (length Params) to the gradient with respect to θ of
// ⟨g, z*(θ)⟩ for g on the whole KKT point z = (x, λ_A, ν) of Z (reverse
// mode, [implicit.Differentiable]): one solve with the transposed KKT
// matrix. It returns ErrDims for wrong lengths and ErrNaN for NaN or Inf
// in g. [Solution.VJPX] is the same for a cotangent on x alone.
func (s *Solution) VJP(dst, g []float64) (err error) {
	if s == nil || s.p == nil {
		return errNilSolution
	}
	defer guard(&err, "VJP")
	if nz := s.p.Dim + len(s.rows) + len(s.Nu); len(g) != nz || len(dst) != s.p.Params {
		return fmt.Errorf("%w: VJP with len(z)=%d Params=%d, len(g)=%d, len(dst)=%d", ErrDims, nz, s.p.Params, len(g), len(dst))
	}
	if !finite(g) {
		return fmt.Errorf("%w: in the cotangent", ErrNaN)
	}
	l, err := s.Linearization()
	if err != nil {
		return err
	}
	return l.VJP(dst, g)
}

// JVP sets dst (length len(z), z = (x, λ_A, ν) of Z) to the derivative of
// the KKT point z*(θ) in the direction dθ (length Params; forward mode,
// [implicit.Differentiable]). It returns ErrDims for wrong lengths and
// ErrNaN for NaN or Inf in dθ. [Solution.JVPX] returns the x part alone.
func (s *Solution) JVP(dst, dtheta []float64) (err error) {
	if s == nil || s.p == nil {
		return errNilSolution
	}
	defer guard(&err, "JVP")
	if nz := s.p.Dim + len(s.rows) + len(s.Nu); len(dst) != nz || len(dtheta) != s.p.Params {
		return fmt.Errorf("%w: JVP with len(z)=%d Params=%d, len(dθ)=%d, len(dst)=%d", ErrDims, nz, s.p.Params, len(dtheta), len(dst))
	}
	if !finite(dtheta) {
		return fmt.Errorf("%w: in the direction", ErrNaN)
	}
	l, err := s.Linearization()
	if err != nil {
		return err
	}
	return l.JVP(dst, dtheta)
}

// VJPX returns the gradient with respect to θ of ⟨gx, x*(θ)⟩ (length
// Params) for a cotangent gx on x alone (length Dim): [Solution.VJP] with
// zero cotangents on the multipliers.
func (s *Solution) VJPX(gx []float64) (out []float64, err error) {
	if s == nil || s.p == nil {
		return nil, errNilSolution
	}
	defer guard(&err, "VJP")
	if len(gx) != s.p.Dim {
		return nil, fmt.Errorf("%w: cotangent has length %d, want %d", ErrDims, len(gx), s.p.Dim)
	}
	if !finite(gx) {
		return nil, fmt.Errorf("%w: in the cotangent", ErrNaN)
	}
	l, err := s.Linearization()
	if err != nil {
		return nil, err
	}
	nz, np := l.Dims()
	g := make([]float64, nz)
	copy(g, gx)
	out = make([]float64, np)
	return out, l.VJP(out, g)
}

// JVPX returns the derivative of x*(θ) (length Dim) in the direction dθ
// (length Params): the x part of [Solution.JVP].
func (s *Solution) JVPX(dtheta []float64) (dx []float64, err error) {
	if s == nil || s.p == nil {
		return nil, errNilSolution
	}
	defer guard(&err, "JVP")
	if len(dtheta) != s.p.Params {
		return nil, fmt.Errorf("%w: direction has length %d, want %d", ErrDims, len(dtheta), s.p.Params)
	}
	if !finite(dtheta) {
		return nil, fmt.Errorf("%w: in the direction", ErrNaN)
	}
	l, err := s.Linearization()
	if err != nil {
		return nil, err
	}
	nz, _ := l.Dims()
	dz := make([]float64, nz)
	if err := l.JVP(dz, dtheta); err != nil {
		return nil, err
	}
	return dz[:s.p.Dim], nil
}

// Jacobian returns ∂x*/∂θ (Dim×Params), by Params JVPs or Dim VJPs,
// whichever is fewer, all with one factorization.
func (s *Solution) Jacobian() (jac *mat.Dense, err error) {
	if s == nil || s.p == nil {
		return nil, errNilSolution
	}
	defer guard(&err, "Jacobian")
	n, np := s.p.Dim, s.p.Params
	if np == 0 {
		return &mat.Dense{}, nil
	}
	if is := s.s.Implicit; s.lin == nil && (is == nil || is.Method == implicit.Auto && is.Ridge == 0) {
		// One LU and one multi-right-hand-side solve (BLAS-3) instead of
		// min(n, p) single solves.
		if J, ok := s.denseJacobian(); ok {
			return J, nil
		}
	}
	out := mat.NewDense(n, np, nil)
	if np <= n {
		e := make([]float64, np)
		for j := range np {
			e[j] = 1
			col, err := s.JVPX(e)
			if err != nil {
				return nil, err
			}
			e[j] = 0
			out.SetCol(j, col)
		}
		return out, nil
	}
	e := make([]float64, n)
	for i := range n {
		e[i] = 1
		row, err := s.VJPX(e)
		if err != nil {
			return nil, err
		}
		e[i] = 0
		out.SetRow(i, row)
	}
	return out, nil
}

// MultiplierJVP returns the derivatives of the multipliers in the
// direction dθ: dλ (NumIneq, zero on inactive rows), dν (NumEq) and, when
// the problem has bounds, those of the bound multipliers (Dim each, else
// nil). Like the multipliers themselves they are defined when the active
// set is locally constant (strict complementarity).
func (s *Solution) MultiplierJVP(dtheta []float64) (dLambda, dNu, dLower, dUpper []float64, err error) {
	if s == nil || s.p == nil {
		return nil, nil, nil, nil, errNilSolution
	}
	defer func() {
		if v := recover(); v != nil {
			dLambda, dNu, dLower, dUpper = nil, nil, nil, nil
			err = fmt.Errorf("%w: MultiplierJVP: %v\n%s", ErrCallback, v, debug.Stack())
		}
	}()
	if len(dtheta) != s.p.Params {
		return nil, nil, nil, nil, fmt.Errorf("%w: direction has length %d, want %d", ErrDims, len(dtheta), s.p.Params)
	}
	if !finite(dtheta) {
		return nil, nil, nil, nil, fmt.Errorf("%w: in the direction", ErrNaN)
	}
	l, err := s.Linearization()
	if err != nil {
		return nil, nil, nil, nil, err
	}
	nz, _ := l.Dims()
	dz := make([]float64, nz)
	if err := l.JVP(dz, dtheta); err != nil {
		return nil, nil, nil, nil, err
	}
	n := s.p.Dim
	dLambda = make([]float64, s.p.NumIneq)
	if s.LowerMult != nil {
		dLower, dUpper = make([]float64, n), make([]float64, n)
	}
	for k, r := range s.rows {
		switch r.kind {
		case rowIneq:
			dLambda[r.idx] = dz[n+k]
		case rowLower:
			dLower[r.idx] = dz[n+k]
		case rowUpper:
			dUpper[r.idx] = dz[n+k]
		}
	}
	dNu = append([]float64(nil), dz[n+len(s.rows):]...)
	return dLambda, dNu, dLower, dUpper, nil
}

// CheckDerivatives compares the KKT condition's derivatives at the
// solution (hand-written ones where given) with central differences of
// its residual; see implicit.Check. A Worst() above about 1e-6 points to a
// wrong Hessian, Mixed, Jacobian or θ-derivative.
func (s *Solution) CheckDerivatives() (res implicit.CheckResult, err error) {
	if s == nil || s.p == nil {
		return implicit.CheckResult{}, errNilSolution
	}
	defer guard(&err, "CheckDerivatives")
	return implicit.Check(s.kkt(), s.Z(), s.Theta, nil)
}

var errNilSolution = fmt.Errorf("%w: nil Solution", ErrInvalid)

// denseJacobian computes ∂x*/∂θ = −[K⁻¹B]₁..ₙ with one dense LU of the KKT
// matrix; ok is false when K is singular or ill-conditioned, and the
// caller falls back to the engine (which reports the failure).
func (s *Solution) denseJacobian() (*mat.Dense, bool) {
	c := &kktCondition{s: s, ev: newEvaluator(s.p)}
	K, B, err := c.matrices(s.Z(), s.Theta)
	if err != nil || B == nil {
		return nil, false
	}
	var lu mat.LU
	lu.Factorize(K)
	if cond := lu.Cond(); !(cond < 1/0x1p-52) {
		return nil, false
	}
	var X mat.Dense
	if err := lu.SolveTo(&X, false, B); err != nil {
		return nil, false
	}
	n, np := s.p.Dim, s.p.Params
	J := mat.NewDense(n, np, nil)
	for i := range n {
		for j := range np {
			v := -X.At(i, j)
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, false
			}
			J.Set(i, j, v)
		}
	}
	return J, true
}
