package bilevel

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/optlayers/optlayers/implicit"
)

// Method is a way of computing the hypergradient ∇L(θ) of an outer
// objective L(θ) = C(w*(θ)).
type Method int

const (
	// Implicit differentiates the inner optimality condition F(w*, θ) = 0
	// with the engine: ∇L = −(∂θF)ᵀ u with (∂ₓF)ᵀ u = ∇C(w*). Exact up to
	// the inner tolerance; the linear solver is HypergradSettings.Implicit
	// (by default the model's own factorization), warm-started across
	// outer steps.
	Implicit Method = iota
	// ImplicitForward solves the forward-mode Jacobian equation
	// H_SS J = −B_S on the support S of w* by Gauss–Seidel (coordinate)
	// sweeps warm-started from the previous Jacobian, as the implicit
	// forward method of sparse-ho (Bertrand et al. 2020). Lasso-type
	// ([SupportModel]) models only.
	ImplicitForward
	// UnrolledReverse runs Steps iterations of the inner map T from the
	// given start and back-propagates through them (reverse mode, storing
	// every iterate).
	UnrolledReverse
	// UnrolledForward runs Steps iterations of T carrying the Jacobian
	// ∂wₖ/∂θ forward (p products per step).
	UnrolledForward
	// Neumann replaces (∂ₓF)⁻ᵀ by the truncated series η Σₖ (I − η∂ₓF)ᵀᵏ
	// with Steps terms (Lorraine, Vicol and Duvenaud 2020).
	Neumann
	// OneStep is the DARTS approximation (Liu, Simonyan and Yang 2019):
	// differentiate one step w' = T(w*, θ) only, with the mixed second
	// derivative of g replaced by a central difference of ∂g/∂θ along
	// ∇C(w'). Needs an [Iterative] and [Regularized] model.
	OneStep
	// Hypernetwork fits a local linear best-response Φ(θ') = a + B(θ' − θ)
	// by Steps stochastic gradient steps on g(Φ(θ'), θ') with θ' sampled
	// around θ, and returns Bᵀ∇C(a) (Lorraine and Duvenaud 2018). Within
	// a [HeldOut] objective, Φ is kept and trained on across outer steps.
	Hypernetwork
)

var methodNames = [...]string{"implicit", "implicit-forward", "unrolled-reverse", "unrolled-forward", "neumann", "one-step (DARTS)", "hypernetwork"}

func (m Method) String() string {
	if m >= 0 && int(m) < len(methodNames) {
		return methodNames[m]
	}
	return fmt.Sprintf("Method(%d)", int(m))
}

// HypergradSettings controls a hypergradient computation. A nil pointer
// or the zero value means the defaults documented on each field; an
// unknown Method, a negative Steps and a negative, NaN or infinite Tol,
// Epsilon or Sigma are rejected with ErrInvalid.
type HypergradSettings struct {
	// Method is the hypergradient method. Default Implicit.
	Method Method
	// Implicit configures the engine for Implicit (linear solver,
	// tolerance); nil uses the model's factorization. Its WarmStart is
	// managed by HeldOut.
	Implicit *implicit.Settings
	// Steps is the number of unrolled iterations, Neumann terms,
	// Gauss–Seidel sweeps (ImplicitForward, a cap) or hypernetwork
	// training steps. Default 100 (1000 sweeps for ImplicitForward).
	Steps int
	// Tol stops ImplicitForward sweeps when the largest change of the
	// Jacobian is below Tol times its largest entry. Default 1e-10.
	Tol float64
	// Epsilon is the relative finite-difference step of OneStep: the step
	// along v is Epsilon/‖v‖. Default 0.01, as in DARTS.
	Epsilon float64
	// Sigma is the standard deviation of the hyperparameter perturbations
	// used to train the hypernetwork. Default 0.05.
	Sigma float64
	// Seed seeds the hypernetwork's perturbations. Default 1.
	Seed uint64
}

// check rejects settings that are not a documented value: negative
// Steps, negative, NaN or infinite Tol, Epsilon or Sigma (zero means the
// default).
func (s *HypergradSettings) check() error {
	if s == nil {
		return nil
	}
	if s.Method < 0 || int(s.Method) >= len(methodNames) {
		return fmt.Errorf("%w: unknown method %v", ErrInvalid, s.Method)
	}
	if err := checkCount("HypergradSettings.Steps", s.Steps); err != nil {
		return err
	}
	for _, f := range []struct {
		name string
		v    float64
	}{{"HypergradSettings.Tol", s.Tol}, {"HypergradSettings.Epsilon", s.Epsilon}, {"HypergradSettings.Sigma", s.Sigma}} {
		if err := checkTol(f.name, f.v); err != nil {
			return err
		}
	}
	return nil
}

func (s *HypergradSettings) orDefault() HypergradSettings {
	var out HypergradSettings
	if s != nil {
		out = *s
	}
	if out.Steps <= 0 {
		out.Steps = 100
		if out.Method == ImplicitForward {
			out.Steps = 1000
		}
	}
	if out.Tol <= 0 {
		out.Tol = 1e-10
	}
	if out.Epsilon <= 0 {
		out.Epsilon = 0.01
	}
	if out.Sigma <= 0 {
		out.Sigma = 0.05
	}
	if out.Seed == 0 {
		out.Seed = 1
	}
	return out
}

// HypergradStats reports the work of a hypergradient computation.
type HypergradStats struct {
	// Iterations counts linear-solver iterations (Implicit with an
	// iterative method), sweeps (ImplicitForward), unrolled steps or
	// Neumann terms, or hypernetwork training steps.
	Iterations int
}

// hyperState is what a HeldOut objective keeps between outer steps to
// warm-start hypergradient computations.
type hyperState struct {
	adjoint []float64 // last adjoint u (Implicit)
	jac     []float64 // last Jacobian on the support (ImplicitForward), n×p row-major
	hyperA  []float64 // hypernetwork a (n)
	hyperB  []float64 // hypernetwork B (n×p, row-major)
	rng     *rand.Rand
}

// Hypergradient sets grad (length p) to the hypergradient of
// L(θ) = C(w(θ)) at θ by the method of s and returns L.
//
// For the methods that differentiate a solution (Implicit,
// ImplicitForward, Neumann, OneStep, Hypernetwork), w must be the inner
// solution at θ (from m.Fit) and is not modified. For the unrolled methods
// w is the starting iterate w₀ (constant in θ), and on return holds the
// iterate w_K whose criterion and exact derivative are returned. grad must
// not alias w or θ.
//
// Invalid settings (see [HypergradSettings]) give ErrInvalid, a nil m or
// c gives ErrInvalid, and a panic in m or c is returned as an error
// wrapping ErrCallback.
func Hypergradient(ctx context.Context, m Model, c Criterion, theta, w, grad []float64, s *HypergradSettings) (val float64, stats HypergradStats, err error) {
	defer recoverCallback(&err, "Hypergradient")
	return hypergradient(ctx, m, c, theta, w, grad, s, nil, 0)
}

// hypergradient is Hypergradient with the state kept by HeldOut and the
// outer step's tolerance tol, which (as in HOAG) also bounds the relative
// residual of an iterative linear solve unless Implicit.Tol is set.
func hypergradient(ctx context.Context, m Model, c Criterion, theta, w, grad []float64, s *HypergradSettings, st *hyperState, tol float64) (float64, HypergradStats, error) {
	if m == nil || c == nil {
		return 0, HypergradStats{}, fmt.Errorf("%w: nil model or criterion", ErrInvalid)
	}
	if err := s.check(); err != nil {
		return 0, HypergradStats{}, err
	}
	if err := checkTol("tol", tol); err != nil {
		return 0, HypergradStats{}, err
	}
	n, p := m.Dims()
	if c.Dims() != n {
		return 0, HypergradStats{}, fmt.Errorf("%w: model has %d weights, criterion expects %d", ErrDims, n, c.Dims())
	}
	if err := checkW(w, n); err != nil {
		return 0, HypergradStats{}, err
	}
	if err := checkModelTheta(m, theta, p); err != nil {
		return 0, HypergradStats{}, err
	}
	if len(grad) != p {
		return 0, HypergradStats{}, fmt.Errorf("%w: grad has length %d, want %d", ErrDims, len(grad), p)
	}
	set := s.orDefault()
	if st == nil {
		st = &hyperState{}
	}
	var (
		val   float64
		stats HypergradStats
		err   error
	)
	switch set.Method {
	case Implicit:
		val, stats, err = hgImplicit(m, c, theta, w, grad, set, st, tol)
	case ImplicitForward:
		val, stats, err = hgImplicitForward(ctx, m, c, theta, w, grad, set, st)
	case UnrolledReverse:
		val, stats, err = hgUnrolledReverse(ctx, m, c, theta, w, grad, set)
	case UnrolledForward:
		val, stats, err = hgUnrolledForward(ctx, m, c, theta, w, grad, set)
	case Neumann:
		val, stats, err = hgNeumann(m, c, theta, w, grad, set)
	case OneStep:
		val, stats, err = hgOneStep(m, c, theta, w, grad, set)
	case Hypernetwork:
		val, stats, err = hgHypernetwork(ctx, m, c, theta, w, grad, set, st)
	default:
		return 0, HypergradStats{}, fmt.Errorf("%w: unknown method %v", ErrInvalid, set.Method)
	}
	if err != nil {
		return val, stats, err
	}
	if math.IsNaN(val) || math.IsInf(val, 0) || !finite(grad) {
		return val, stats, fmt.Errorf("%w: criterion or hypergradient (%s)", ErrNaN, set.Method)
	}
	return val, stats, nil
}

func hgImplicit(m Model, c Criterion, theta, w, grad []float64, set HypergradSettings, st *hyperState, tol float64) (float64, HypergradStats, error) {
	n, _ := m.Dims()
	gw := make([]float64, n)
	val := c.Value(w, gw)
	is := implicit.Settings{}
	if set.Implicit != nil {
		is = *set.Implicit
	}
	if is.Tol == 0 && tol > 0 {
		is.Tol = math.Max(tol, 1e-12)
	}
	if is.WarmStart == nil && len(st.adjoint) == n {
		is.WarmStart = st.adjoint
	}
	lin, err := implicit.Linearize(m.Condition(), w, theta, &is)
	if err != nil {
		return val, HypergradStats{}, fmt.Errorf("bilevel: implicit hypergradient: %w", err)
	}
	if err := lin.VJP(grad, gw); err != nil {
		return val, HypergradStats{}, fmt.Errorf("bilevel: implicit hypergradient: %w", err)
	}
	st.adjoint = lin.LastSolution()
	return val, HypergradStats{Iterations: lin.LastResult.Iterations}, nil
}

func hgImplicitForward(ctx context.Context, m Model, c Criterion, theta, w, grad []float64, set HypergradSettings, st *hyperState) (float64, HypergradStats, error) {
	sm, ok := m.(SupportModel)
	if !ok {
		return 0, HypergradStats{}, fmt.Errorf("%w: %v needs a lasso-type (SupportModel) model", ErrMethod, set.Method)
	}
	n, p := m.Dims()
	gw := make([]float64, n)
	val := c.Value(w, gw)
	supp, hss, bs := sm.SupportSystem(w, theta)
	k := len(supp)
	clear(grad)
	if k == 0 {
		st.jac = nil
		return val, HypergradStats{}, nil
	}
	// J (k×p) warm-started from the previous Jacobian, stored n×p.
	if len(st.jac) != n*p {
		st.jac = make([]float64, n*p)
	}
	jac := make([]float64, k*p)
	for a, i := range supp {
		copy(jac[a*p:(a+1)*p], st.jac[i*p:(i+1)*p])
	}
	sweeps := 0
	for sweeps < set.Steps {
		if sweeps%16 == 0 {
			if err := ctx.Err(); err != nil {
				return val, HypergradStats{Iterations: sweeps}, err
			}
		}
		sweeps++
		var change, scale float64
		for a := range k {
			hrow := hss[a*k : (a+1)*k]
			haa := hrow[a]
			if haa <= 0 {
				return val, HypergradStats{Iterations: sweeps}, fmt.Errorf("%w: nonpositive Hessian diagonal on the support", ErrNotConverged)
			}
			for t := range p {
				r := bs[a*p+t]
				for b, hab := range hrow {
					r += hab * jac[b*p+t]
				}
				delta := -r / haa
				jac[a*p+t] += delta
				change = math.Max(change, math.Abs(delta))
				scale = math.Max(scale, math.Abs(jac[a*p+t]))
			}
		}
		if change <= set.Tol*math.Max(scale, 1e-300) {
			break
		}
	}
	clear(st.jac)
	for a, i := range supp {
		copy(st.jac[i*p:(i+1)*p], jac[a*p:(a+1)*p])
		for t := range p {
			grad[t] += jac[a*p+t] * gw[i]
		}
	}
	if !finite(grad) {
		return val, HypergradStats{Iterations: sweeps}, fmt.Errorf("%w: implicit-forward Jacobian diverged", ErrNaN)
	}
	return val, HypergradStats{Iterations: sweeps}, nil
}

func iterative(m Model, method Method) (Iterative, error) {
	it, ok := m.(Iterative)
	if !ok {
		return nil, fmt.Errorf("%w: %v needs an Iterative model", ErrMethod, method)
	}
	return it, nil
}

func hgUnrolledReverse(ctx context.Context, m Model, c Criterion, theta, w, grad []float64, set HypergradSettings) (float64, HypergradStats, error) {
	it, err := iterative(m, set.Method)
	if err != nil {
		return 0, HypergradStats{}, err
	}
	n, p := m.Dims()
	t, _ := it.Iteration(theta)
	K := set.Steps
	iterates := make([]float64, (K+1)*n)
	copy(iterates, w)
	for k := range K {
		if err := ctx.Err(); err != nil {
			return 0, HypergradStats{Iterations: k}, err
		}
		t.Map(iterates[(k+1)*n:(k+2)*n], iterates[k*n:(k+1)*n], theta)
	}
	copy(w, iterates[K*n:])
	v := make([]float64, n)
	val := c.Value(w, v)
	clear(grad)
	gt := make([]float64, p)
	nv := make([]float64, n)
	for k := K - 1; k >= 0; k-- {
		dx, dth, err := t.Linearize(iterates[k*n:(k+1)*n], theta)
		if err != nil {
			return val, HypergradStats{Iterations: K}, err
		}
		dth.ApplyT(gt, v)
		for i := range grad {
			grad[i] += gt[i]
		}
		dx.ApplyT(nv, v)
		v, nv = nv, v
	}
	return val, HypergradStats{Iterations: K}, nil
}

func hgUnrolledForward(ctx context.Context, m Model, c Criterion, theta, w, grad []float64, set HypergradSettings) (float64, HypergradStats, error) {
	it, err := iterative(m, set.Method)
	if err != nil {
		return 0, HypergradStats{}, err
	}
	n, p := m.Dims()
	t, _ := it.Iteration(theta)
	K := set.Steps
	jac := make([]float64, p*n) // column t of ∂w/∂θ at jac[t*n:(t+1)*n]
	next := make([]float64, p*n)
	wn := make([]float64, n)
	e := make([]float64, p)
	col := make([]float64, n)
	for k := range K {
		if err := ctx.Err(); err != nil {
			return 0, HypergradStats{Iterations: k}, err
		}
		dx, dth, err := t.Linearize(w, theta)
		if err != nil {
			return 0, HypergradStats{Iterations: k}, err
		}
		for j := range p {
			dx.Apply(next[j*n:(j+1)*n], jac[j*n:(j+1)*n])
			e[j] = 1
			dth.Apply(col, e)
			e[j] = 0
			for i := range col {
				next[j*n+i] += col[i]
			}
		}
		jac, next = next, jac
		t.Map(wn, w, theta)
		copy(w, wn)
	}
	gw := make([]float64, n)
	val := c.Value(w, gw)
	for j := range p {
		grad[j] = dot(jac[j*n:(j+1)*n], gw)
	}
	return val, HypergradStats{Iterations: K}, nil
}

func hgNeumann(m Model, c Criterion, theta, w, grad []float64, set HypergradSettings) (float64, HypergradStats, error) {
	it, err := iterative(m, set.Method)
	if err != nil {
		return 0, HypergradStats{}, err
	}
	n, _ := m.Dims()
	_, eta := it.Iteration(theta)
	gw := make([]float64, n)
	val := c.Value(w, gw)
	is := implicit.Settings{Method: implicit.Neumann, NeumannTerms: set.Steps, NeumannStep: eta}
	lin, err := implicit.Linearize(m.Condition(), w, theta, &is)
	if err != nil {
		return val, HypergradStats{}, fmt.Errorf("bilevel: Neumann hypergradient: %w", err)
	}
	if err := lin.VJP(grad, gw); err != nil {
		return val, HypergradStats{}, fmt.Errorf("bilevel: Neumann hypergradient: %w", err)
	}
	return val, HypergradStats{Iterations: set.Steps}, nil
}

func hgOneStep(m Model, c Criterion, theta, w, grad []float64, set HypergradSettings) (float64, HypergradStats, error) {
	it, err := iterative(m, set.Method)
	if err != nil {
		return 0, HypergradStats{}, err
	}
	reg, ok := m.(Regularized)
	if !ok {
		return 0, HypergradStats{}, fmt.Errorf("%w: %v needs a Regularized model", ErrMethod, set.Method)
	}
	n, p := m.Dims()
	t, eta := it.Iteration(theta)
	w1 := make([]float64, n)
	t.Map(w1, w, theta)
	v := make([]float64, n)
	val := c.Value(w1, v)
	nv := norm2(v)
	clear(grad)
	if nv == 0 {
		return val, HypergradStats{Iterations: 1}, nil
	}
	h := set.Epsilon / nv
	wp := make([]float64, n)
	wm := make([]float64, n)
	for i := range w {
		wp[i] = w[i] + h*v[i]
		wm[i] = w[i] - h*v[i]
	}
	gp := make([]float64, p)
	gm := make([]float64, p)
	reg.ThetaGradient(gp, wp, theta)
	reg.ThetaGradient(gm, wm, theta)
	for j := range grad {
		grad[j] = -eta * (gp[j] - gm[j]) / (2 * h)
	}
	return val, HypergradStats{Iterations: 1}, nil
}

func hgHypernetwork(ctx context.Context, m Model, c Criterion, theta, w, grad []float64, set HypergradSettings, st *hyperState) (float64, HypergradStats, error) {
	it, err := iterative(m, set.Method)
	if err != nil {
		return 0, HypergradStats{}, err
	}
	n, p := m.Dims()
	_, eta := it.Iteration(theta)
	cond := m.Condition()
	if len(st.hyperB) != n*p {
		st.hyperB = make([]float64, n*p)
	}
	if st.rng == nil {
		st.rng = rand.New(rand.NewPCG(set.Seed, 0x9e3779b97f4a7c15))
	}
	// Φ(θ') = a + B(θ' − θ); a starts at (and is trained from) w*.
	a := append(st.hyperA[:0], w...)
	b := st.hyperB
	sig2 := set.Sigma * set.Sigma
	delta := make([]float64, p)
	th := make([]float64, p)
	phi := make([]float64, n)
	f := make([]float64, n)
	for k := range set.Steps {
		if k%16 == 0 {
			if err := ctx.Err(); err != nil {
				return 0, HypergradStats{Iterations: k}, err
			}
		}
		for j := range delta {
			delta[j] = set.Sigma * st.rng.NormFloat64()
		}
		// Antithetic pair ±δ: a and B steps on g(Φ(θ+δ), θ+δ).
		for _, sgn := range [2]float64{1, -1} {
			for j := range th {
				th[j] = theta[j] + sgn*delta[j]
			}
			for i := range n {
				s := a[i]
				for j := range p {
					s += b[i*p+j] * sgn * delta[j]
				}
				phi[i] = s
			}
			cond.Residual(f, phi, th)
			for i := range n {
				a[i] -= 0.5 * eta * f[i]
				for j := range p {
					b[i*p+j] -= 0.5 * eta / sig2 * f[i] * sgn * delta[j]
				}
			}
		}
	}
	st.hyperA = a
	gw := make([]float64, n)
	val := c.Value(w, gw)
	for j := range p {
		var s float64
		for i := range n {
			s += b[i*p+j] * gw[i]
		}
		grad[j] = s
	}
	return val, HypergradStats{Iterations: set.Steps}, nil
}
