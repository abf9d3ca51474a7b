package pto

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/optlayers/optlayers/layers/nn"
)

// An Objective is a nonlinear objective f(w) to minimize over the feasible
// set of an oracle. It returns f(w) and writes ∇f(w) into grad (which it
// may leave untouched when grad is nil).
type Objective func(grad, w []float64) float64

// Smoothing selects how SurCo differentiates through the linear solver.
type Smoothing int

const (
	// Interpolation is the DBB gradient (w*(ĉ + λ∇f) − w*(ĉ))/λ.
	Interpolation Smoothing = iota
	// Perturbation is the perturbed optimizer E[w*(ĉ+σZ)] with its
	// score-function Jacobian (solvers/perturbed).
	Perturbation
	// QuadraticRelaxation differentiates the quadratically regularized LP
	// relaxation argmin_{w∈P} ĉᵀw + (μ/2)‖w‖² through its KKT system
	// (solvers/qp), the differentiable-LP route of the SurCo paper; the
	// oracle must be [Polyhedral].
	QuadraticRelaxation
)

// SurCoSettings controls SurCo. Zero fields mean the defaults given.
type SurCoSettings struct {
	Smoothing Smoothing
	Lambda    float64 // interpolation strength; default 10
	Sigma     float64 // perturbation temperature; default 1
	Samples   int     // perturbation samples; default 10
	Mu        float64 // quadratic regularization of QuadraticRelaxation; default 1
	// Iterations and LearningRate of the per-instance Adam descent of
	// SurCoZero; defaults 200 and 0.05.
	Iterations   int
	LearningRate float64
	Seed         uint64
}

// validate reports an unknown Smoothing and negative, NaN or infinite
// settings (0 means the default).
func (s *SurCoSettings) validate() error {
	if s == nil {
		return nil
	}
	if s.Smoothing < Interpolation || s.Smoothing > QuadraticRelaxation {
		return fmt.Errorf("%w: unknown Smoothing %d", ErrInvalid, int(s.Smoothing))
	}
	for _, v := range []struct {
		name string
		x    float64
	}{{"Lambda", s.Lambda}, {"Sigma", s.Sigma}, {"Mu", s.Mu}, {"LearningRate", s.LearningRate}} {
		if v.x < 0 || math.IsNaN(v.x) || math.IsInf(v.x, 0) {
			return fmt.Errorf("%w: %s = %v (want finite and ≥ 0; 0 means the default)", ErrInvalid, v.name, v.x)
		}
	}
	if s.Samples < 0 || s.Iterations < 0 {
		return fmt.Errorf("%w: Samples = %d, Iterations = %d", ErrInvalid, s.Samples, s.Iterations)
	}
	return nil
}

func (s *SurCoSettings) orDefault() SurCoSettings {
	var r SurCoSettings
	if s != nil {
		r = *s
	}
	if r.Lambda == 0 {
		r.Lambda = 10
	}
	if r.Sigma == 0 {
		r.Sigma = 1
	}
	if r.Samples == 0 {
		r.Samples = 10
	}
	if r.Mu == 0 {
		r.Mu = 1
	}
	if r.Iterations == 0 {
		r.Iterations = 200
	}
	if r.LearningRate == 0 {
		r.LearningRate = 0.05
	}
	return r
}

// surcoGrad evaluates f at the solver output of the surrogate cost q
// (minimization form) and writes a gradient of f(w(q)) with respect to q.
// It returns f at the exact solution w*(q), which it writes into w.
func surcoGrad(ctx context.Context, grad, w, q []float64, o Oracle, f Objective, s SurCoSettings, rng *rand.Rand) (float64, error) {
	n := len(q)
	if err := solveMin(ctx, o, w, q); err != nil {
		return 0, err
	}
	gf := make([]float64, n)
	val := f(gf, w)
	if math.IsNaN(val) || math.IsInf(val, 0) {
		return 0, fmt.Errorf("%w: objective %v", ErrNaN, val)
	}
	switch s.Smoothing {
	case QuadraticRelaxation:
		poly, ok := o.(Polyhedral)
		if !ok {
			return 0, fmt.Errorf("%w: quadratic relaxation needs a Polyhedral oracle", ErrInvalid)
		}
		// QPTL.Relaxed works in the oracle's sense; q is in the
		// minimization form, so hand it s·q.
		sg := o.Sense().sign()
		qs := make([]float64, n)
		for k := range q {
			qs[k] = sg * q[k]
		}
		sol, err := QPTL{Oracle: poly, Mu: s.Mu}.Relaxed(ctx, qs)
		if err != nil {
			return 0, err
		}
		f(gf, sol.X)
		g, err := sol.Backward(gf, nil, nil)
		if err != nil {
			return 0, err
		}
		copy(grad, g.P)
		return val, nil
	case Perturbation:
		res, err := perturbedOpt(o, s.Samples, s.Sigma, rng).Forward(ctx, q)
		if err != nil {
			return 0, err
		}
		f(gf, res.Mean)
		return val, res.VJP(grad, gf)
	default:
		shifted := make([]float64, n)
		for k := range q {
			shifted[k] = q[k] + s.Lambda*gf[k]
		}
		wl := make([]float64, n)
		if err := solveMin(ctx, o, wl, shifted); err != nil {
			return 0, err
		}
		for k := range grad {
			grad[k] = (wl[k] - w[k]) / s.Lambda
		}
		return val, nil
	}
}

// SurCoResult is the outcome of [SurCoZero].
type SurCoResult struct {
	Cost     []float64 // surrogate linear cost whose solution is Solution
	Solution []float64 // best feasible solution found
	Value    float64   // f(Solution)
	History  []float64 // f at the solver output of each iteration
}

// SurCoZero is the per-instance variant of SurCo (Ferber, Huang, Zha,
// Schubert, Steiner, Dilkina, Tian, "SurCo: Learning Linear Surrogates for
// Combinatorial Nonlinear Optimization Problems", ICML 2023): it minimizes
// the nonlinear f over the oracle's feasible set by learning a linear cost
// ĉ, descending ĉ ↦ f(w*(ĉ)) with Adam through a differentiable version of
// the solver (interpolation or perturbation); f is always minimized, and
// ĉ is a cost in the oracle's own sense (for a maximization oracle the
// descent runs on −ĉ). It starts from init, or, if init is nil, from the
// linearization ∇f(0) (in the minimization form), and returns the best
// solution visited, so it is never worse than the solution at its start.
func SurCoZero(ctx context.Context, o Oracle, f Objective, init []float64, s *SurCoSettings) (res *SurCoResult, err error) {
	if isNil(o) || f == nil {
		return nil, fmt.Errorf("%w: SurCoZero needs an oracle and an objective", ErrInvalid)
	}
	if ctx == nil {
		ctx = context.Background()
	}
	if err := s.validate(); err != nil {
		return nil, err
	}
	defer recoverCallback(&err)
	st := s.orDefault()
	n := o.Dim()
	q := make([]float64, n)
	if init != nil {
		if err := checkCost(init, n); err != nil {
			return nil, err
		}
		copy(q, init)
		if o.Sense() == Maximize {
			for k := range q {
				q[k] = -q[k]
			}
		}
	} else {
		// linearization of f at the origin, in the minimization form
		f(q, make([]float64, n))
		if err := checkCost(q, n); err != nil {
			return nil, err
		}
	}
	rng := rand.New(rand.NewPCG(st.Seed, 0x5c))
	opt := &nn.Adam{LearningRate: st.LearningRate}
	grad := make([]float64, n)
	w := make([]float64, n)
	res = &SurCoResult{Value: math.Inf(1)}
	for it := 0; it < st.Iterations; it++ {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		val, err := surcoGrad(ctx, grad, w, q, o, f, st, rng)
		if err != nil {
			return res, err
		}
		res.History = append(res.History, val)
		if val < res.Value {
			res.Value = val
			res.Solution = append(res.Solution[:0], w...)
			res.Cost = append(res.Cost[:0], q...)
		}
		if err := opt.Step(q, grad); err != nil {
			return res, err
		}
	}
	if o.Sense() == Maximize {
		for k := range res.Cost {
			res.Cost[k] = -res.Cost[k]
		}
	}
	return res, nil
}

// SurCo is the learned ("prior") variant of SurCo as a [Loss]: the model
// predicts the surrogate cost ĉᵢ from the features of instance i, and the
// loss is the instance's nonlinear objective at the solver output,
// ℓᵢ = fᵢ(w*(ĉᵢ)), differentiated through the smoothed solver. The true
// costs of the dataset are not used; Objectives(i) gives fᵢ. At test time
// the decision is w*(model(x)), optionally refined by [SurCoZero] started
// from the prediction (the paper's hybrid).
type SurCo struct {
	Oracle     Oracle
	Objectives func(d *Dataset, i int) Objective
	Settings   *SurCoSettings
}

// Eval implements [Loss].
func (l SurCo) Eval(ctx context.Context, grad, chat []float64, d *Dataset, i int, rng *rand.Rand) (loss float64, err error) {
	defer recoverCallback(&err)
	if err := checkPair(chat, grad, d, i); err != nil {
		return 0, err
	}
	if isNil(l.Oracle) || l.Objectives == nil {
		return 0, fmt.Errorf("%w: nil oracle or objectives", ErrInvalid)
	}
	st := l.Settings.orDefault()
	s := l.Oracle.Sense().sign()
	q := make([]float64, len(chat))
	for k := range q {
		q[k] = s * chat[k]
	}
	w := make([]float64, len(chat))
	val, err := surcoGrad(ctx, grad, w, q, l.Oracle, l.Objectives(d, i), st, rng)
	if err != nil {
		return 0, err
	}
	for k := range grad {
		grad[k] *= s
	}
	return val, nil
}
