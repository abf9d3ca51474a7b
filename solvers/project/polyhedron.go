package project

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"

	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/solvers/qp"
)

// Polyhedron is the set {x : Gx ≤ h, Ax = b}, with G ∈ R^{m×n} and
// A ∈ R^{p×n} (either may be absent). There is no closed form: the
// projection solves the quadratic program
//
//	minimize ½‖x − y‖²  subject to  Gx ≤ h,  Ax = b
//
// with the interior point of package qp (Q = I, p = −y), then polishes the
// result: with the active set read off the interior-point solution
// (equalities, and the rows of G whose multiplier exceeds their slack),
// stacked as Ãx = b̃, it projects y exactly onto that affine set and keeps
// the result if it is feasible and its multipliers are non-negative
// (to 1e-9 relative). A polished projection is exact to rounding, and its
// Jacobian is the closed form
//
//	∂P(y) = I − Ãᵀ(ÃÃᵀ)⁺Ã,
//
// the projection onto the null space of the active constraints. When
// polishing fails (a degenerate or badly conditioned instance), the
// interior-point solution is returned and the derivatives differentiate
// the KKT conditions of the QP with the solver's factorization (OptNet),
// to the accuracy of the interior point.
//
// Kinks: y such that a constraint is active with a zero multiplier (weakly
// active); one element of the generalized Jacobian is returned.
//
// JVP and VJP reuse the solution of the last Project call when y is the
// same (bit for bit), and solve again otherwise. A Polyhedron is safe for
// concurrent use. Use [Polyhedron.Solve] for the full [qp.Solution], whose
// Backward also gives the gradients with respect to G, h, A and b (with
// ∇_y = −∇_p).
type Polyhedron struct {
	n        int
	g, a     *mat.Dense
	h, b     []float64
	settings *qp.Settings

	mu   sync.Mutex
	last *polyState
}

// polyState is a projection at y: the solution x, the polished active
// affine set (nil if polishing failed; active is false when no constraint
// is active and ∂P = I) or the QP solution.
type polyState struct {
	y, x     []float64
	polished bool
	active   *Affine
	rows     []int // rows of G in the active set, after the p rows of A
	sol      *qp.Solution
}

// NewPolyhedron returns the set {x : Gx ≤ h, Ax = b}. G (with h) or A
// (with b) may be nil, not both. The data are copied. s (may be nil)
// configures the QP solver; its WarmStart is ignored.
func NewPolyhedron(g mat.Matrix, h []float64, a mat.Matrix, b []float64, s *qp.Settings) (*Polyhedron, error) {
	p := &Polyhedron{h: slices.Clone(h), b: slices.Clone(b)}
	n := -1
	if g != nil {
		r, c := g.Dims()
		if r != len(h) {
			return nil, fmt.Errorf("%w: G is %d×%d, len(h) = %d", ErrDims, r, c, len(h))
		}
		p.g, n = mat.DenseCopyOf(g), c
	} else if len(h) != 0 {
		return nil, fmt.Errorf("%w: h without G", ErrDims)
	}
	if a != nil {
		r, c := a.Dims()
		if r != len(b) || (n >= 0 && c != n) {
			return nil, fmt.Errorf("%w: A is %d×%d, len(b) = %d, n = %d", ErrDims, r, c, len(b), n)
		}
		p.a, n = mat.DenseCopyOf(a), c
	} else if len(b) != 0 {
		return nil, fmt.Errorf("%w: b without A", ErrDims)
	}
	if n <= 0 {
		return nil, fmt.Errorf("%w: no constraints", ErrDims)
	}
	if !finite(p.h) || !finite(p.b) || (p.g != nil && !finite(p.g.RawMatrix().Data)) ||
		(p.a != nil && !finite(p.a.RawMatrix().Data)) {
		return nil, fmt.Errorf("%w: G, h, A or b", ErrNaN)
	}
	p.n = n
	if s != nil {
		cp := *s
		cp.WarmStart = nil
		p.settings = &cp
	}
	return p, nil
}

// Dim returns n.
func (p *Polyhedron) Dim() int {
	if p == nil {
		return 0
	}
	return p.n
}

func (p *Polyhedron) problem(y []float64) *qp.Problem {
	ones := make([]float64, p.n)
	neg := make([]float64, p.n)
	for i := range ones {
		ones[i] = 1
		neg[i] = -y[i]
	}
	pb := &qp.Problem{Q: mat.NewDiagDense(p.n, ones), P: neg, B: p.b, H: p.h}
	if p.a != nil {
		pb.A = p.a
	}
	if p.g != nil {
		pb.G = p.g
	}
	return pb
}

// Solve solves the projection QP at y and returns the qp.Solution (X is
// P(y)). Errors: ErrInfeasible (also matching qp.ErrInfeasible) for an
// empty set, ErrNotConverged (also matching the qp error) when the
// interior point stops early or claims unboundedness, which the projection
// QP never is (for example on data of extreme magnitude),
// errors of package qp otherwise.
func (p *Polyhedron) Solve(ctx context.Context, y []float64) (*qp.Solution, error) {
	if p == nil || p.n == 0 {
		return nil, fmt.Errorf("%w: use NewPolyhedron", ErrInvalid)
	}
	if len(y) != p.n {
		return nil, fmt.Errorf("%w: len(y) = %d, set in R^%d", ErrDims, len(y), p.n)
	}
	if !finite(y) {
		return nil, fmt.Errorf("%w: y", ErrNaN)
	}
	sol, err := qp.Solve(ctx, p.problem(y), p.settings)
	if err != nil {
		if errors.Is(err, qp.ErrInfeasible) {
			return nil, fmt.Errorf("%w: %w", ErrInfeasible, err)
		}
		// The projection QP (Q = I) is never unbounded: a claim of
		// unboundedness is a failure of the solver at this scale.
		if errors.Is(err, qp.ErrNotConverged) || errors.Is(err, qp.ErrUnbounded) {
			return nil, fmt.Errorf("%w: polyhedron: %w", ErrNotConverged, err)
		}
		return nil, fmt.Errorf("project: polyhedron: %w", err)
	}
	return sol, nil
}

// polish tries to project y exactly onto the active constraints of sol.
func (p *Polyhedron) polish(y []float64, sol *qp.Solution) (*polyState, bool) {
	var rows [][]float64
	var rhs []float64
	isG := []bool{}
	for i := range len(p.b) {
		rows = append(rows, p.a.RawRowView(i))
		rhs = append(rhs, p.b[i])
		isG = append(isG, false)
	}
	var activeG []int
	for i := range len(p.h) {
		if sol.Lambda[i] > sol.Slack[i] {
			rows = append(rows, p.g.RawRowView(i))
			rhs = append(rhs, p.h[i])
			isG = append(isG, true)
			activeG = append(activeG, i)
		}
	}
	st := &polyState{y: slices.Clone(y), x: make([]float64, p.n), polished: true, rows: activeG}
	scale := 1.0
	for _, v := range p.h {
		scale = max(scale, math.Abs(v))
	}
	for _, v := range y {
		scale = max(scale, math.Abs(v))
	}
	tol := 1e-9 * scale
	if len(rows) == 0 {
		copy(st.x, y)
	} else {
		at := mat.NewDense(len(rows), p.n, nil)
		for i, r := range rows {
			at.SetRow(i, r)
		}
		aff, err := NewAffine(at, rhs)
		if err != nil {
			return nil, false
		}
		if aff.Project(st.x, y) != nil {
			return nil, false
		}
		r := make([]float64, p.n)
		for i := range r {
			r[i] = y[i] - st.x[i]
		}
		lam := aff.multipliers(r)
		for i, g := range isG {
			if g && lam[i] < -tol {
				return nil, false
			}
		}
		st.active = aff
	}
	for i := range len(p.h) {
		if dot(p.g.RawRowView(i), st.x)-p.h[i] > tol {
			return nil, false
		}
	}
	if p.a != nil {
		for i := range len(p.b) {
			if math.Abs(dot(p.a.RawRowView(i), st.x)-p.b[i]) > tol {
				return nil, false
			}
		}
	}
	return st, true
}

// stateCtx solves and polishes the projection at y.
func (p *Polyhedron) stateCtx(ctx context.Context, y []float64) (*polyState, error) {
	sol, err := p.Solve(ctx, y)
	if err != nil {
		return nil, err
	}
	st, ok := p.polish(y, sol)
	if !ok {
		st = &polyState{y: slices.Clone(y), x: slices.Clone(sol.X), sol: sol}
	}
	return st, nil
}

// Project sets dst = P(y) and keeps the solution for JVP and VJP at the
// same y. dst may alias y. It is ProjectContext with a context that is
// never done: the Set interface's methods take none.
func (p *Polyhedron) Project(dst, y []float64) error {
	return p.ProjectContext(context.Background(), dst, y)
}

// ProjectContext is Project whose QP stops within one iteration of ctx
// being done, with an error matching ctx.Err(). ProjectRows and Solve use
// it.
func (p *Polyhedron) ProjectContext(ctx context.Context, dst, y []float64) error {
	if err := checkProject(dst, y); err != nil {
		return err
	}
	st, err := p.stateCtx(ctx, y)
	if err != nil {
		return err
	}
	p.mu.Lock()
	p.last = st
	p.mu.Unlock()
	copy(dst, st.x)
	return checkOutput(dst)
}

// cached returns the state at y, from the last Project call or solved
// again.
func (p *Polyhedron) cached(y []float64) (*polyState, error) {
	if p == nil {
		return nil, fmt.Errorf("%w: use NewPolyhedron", ErrInvalid)
	}
	p.mu.Lock()
	st := p.last
	p.mu.Unlock()
	if st != nil && slices.Equal(st.y, y) {
		return st, nil
	}
	// JVP and VJP at another y than the last projection's solve again;
	// the Set interface gives them no context.
	st, err := p.stateCtx(context.Background(), y)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	p.last = st
	p.mu.Unlock()
	return st, nil
}

// JVP sets dst = ∂P(y) v. dst may alias v.
func (p *Polyhedron) JVP(dst, x, y, v []float64) error {
	return p.product(dst, x, y, v, false)
}

// VJP sets dst = ∂P(y)ᵀ u. dst may alias u.
func (p *Polyhedron) VJP(dst, x, y, u []float64) error {
	return p.product(dst, x, y, u, true)
}

func (p *Polyhedron) product(dst, x, y, v []float64, transpose bool) error {
	if err := checkProduct(dst, x, y, v); err != nil {
		return err
	}
	if p == nil || len(v) != p.n {
		return fmt.Errorf("%w: length %d for the polyhedron", ErrDims, len(v))
	}
	st, err := p.cached(y)
	if err != nil {
		return err
	}
	switch {
	case st.polished && st.active == nil:
		copy(dst, v)
		return nil
	case st.polished:
		return st.active.JVP(dst, x, y, v)
	}
	// The QP solution is not safe for concurrent use.
	p.mu.Lock()
	defer p.mu.Unlock()
	if transpose {
		grad, err := st.sol.Backward(v, nil, nil)
		if err != nil {
			return fmt.Errorf("project: polyhedron VJP: %w", err)
		}
		for i := range dst {
			dst[i] = -grad.P[i]
		}
	} else {
		dp := make([]float64, p.n)
		for i := range dp {
			dp[i] = -v[i]
		}
		tan, err := st.sol.Tangent(&qp.Problem{P: dp})
		if err != nil {
			return fmt.Errorf("project: polyhedron JVP: %w", err)
		}
		copy(dst, tan.X)
	}
	return checkOutput(dst)
}

// Params returns θ = (h..., b...).
func (p *Polyhedron) Params() []float64 {
	if p == nil {
		return nil
	}
	return slices.Concat(p.h, p.b)
}

// WithParams returns the polyhedron {Gx ≤ θ[:m], Ax = θ[m:]} with the same
// G, A and solver settings.
func (p *Polyhedron) WithParams(theta []float64) (Parametric, error) {
	if p == nil || p.n == 0 {
		return nil, fmt.Errorf("%w: use NewPolyhedron", ErrInvalid)
	}
	m := len(p.h)
	if err := paramsLen(theta, m+len(p.b)); err != nil {
		return nil, err
	}
	var g, a mat.Matrix
	if p.g != nil {
		g = p.g
	}
	if p.a != nil {
		a = p.a
	}
	return NewPolyhedron(g, theta[:m], a, theta[m:], p.settings)
}

// ParamJVP sets dst = ∂P/∂(h, b) · dθ: for a polished solution
// dx = Ã⁺ (db, dh_active), otherwise a forward solve with the KKT
// factorization of the QP.
func (p *Polyhedron) ParamJVP(dst, x, y, dtheta []float64) error {
	if p == nil || p.n == 0 {
		return fmt.Errorf("%w: use NewPolyhedron", ErrInvalid)
	}
	m, q := len(p.h), len(p.b)
	if err := checkParamProduct(x, y, dtheta, m+q); err != nil {
		return err
	}
	if err := checkLen(dst, p.n); err != nil {
		return err
	}
	st, err := p.cached(y)
	if err != nil {
		return err
	}
	dh, db := dtheta[:m], dtheta[m:]
	switch {
	case st.polished && st.active == nil:
		clear(dst)
		return nil
	case st.polished:
		rhs := append(slices.Clone(db), make([]float64, len(st.rows))...)
		for k, i := range st.rows {
			rhs[q+k] = dh[i]
		}
		st.active.rhsJVP(dst, rhs)
		return checkOutput(dst)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	tan, err := st.sol.Tangent(&qp.Problem{H: dh, B: db})
	if err != nil {
		return fmt.Errorf("project: polyhedron ParamJVP: %w", err)
	}
	copy(dst, tan.X)
	return checkOutput(dst)
}

// ParamVJP sets dst = (∂P/∂(h, b))ᵀ u: the multipliers of the active
// constraints for the cotangent u (zero for inactive rows of G).
func (p *Polyhedron) ParamVJP(dst, x, y, u []float64) error {
	if p == nil || p.n == 0 {
		return fmt.Errorf("%w: use NewPolyhedron", ErrInvalid)
	}
	m, q := len(p.h), len(p.b)
	if err := checkParamVJP(dst, x, y, u, m+q); err != nil {
		return err
	}
	st, err := p.cached(y)
	if err != nil {
		return err
	}
	clear(dst)
	switch {
	case st.polished && st.active == nil:
		return nil
	case st.polished:
		lam := st.active.multipliers(u)
		copy(dst[m:], lam[:q])
		for k, i := range st.rows {
			dst[i] = lam[q+k]
		}
		return checkOutput(dst)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	grad, err := st.sol.Backward(u, nil, nil)
	if err != nil {
		return fmt.Errorf("project: polyhedron ParamVJP: %w", err)
	}
	copy(dst[:m], grad.H)
	copy(dst[m:], grad.B)
	return checkOutput(dst)
}
