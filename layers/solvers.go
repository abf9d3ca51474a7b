package layers

import (
	"context"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/sinkhorn"
	"github.com/optlayers/optlayers/solvers/lp"
	"github.com/optlayers/optlayers/solvers/perturbed"
	"github.com/optlayers/optlayers/solvers/project"
	"github.com/optlayers/optlayers/solvers/qp"
	"github.com/optlayers/optlayers/sorting"
)

type tapeFunc func(dst, g []float64) error

func (f tapeFunc) VJP(dst, g []float64) error { return f(dst, g) }

func checkLen(dst, g []float64, in, out int) error {
	if len(dst) != in || len(g) != out {
		return fmt.Errorf("%w: VJP with dst %d (want %d), cotangent %d (want %d)", ErrDims, len(dst), in, len(g), out)
	}
	return nil
}

// QPParams selects the learnable data of a [QP] layer.
type QPParams int

const (
	// QPLinear: θ = (p, b, h), the vectors of the problem, in that order
	// (b and h only if the template has equality / inequality rows).
	QPLinear QPParams = iota
	// QPAll: θ is every datum (Q, p, A, b, G, h) in the flat layout of
	// qp.Layout (Q row-major n×n first); the template fixes the shapes.
	QPAll
)

// QP is the OptNet layer (Amos & Kolter 2017): y = x*(θ), the solution of
//
//	minimize ½xᵀQx + pᵀx  subject to  Ax = b,  Gx ≤ h,
//
// solved by package solvers/qp; the backward pass reuses the KKT
// factorization of the solve. Template gives the fixed data (its P, B, H
// give only the lengths when they are learnable).
//
// Build it with [NewQP] when Params is QPLinear: the matrices are then
// fixed, and the work that depends only on them (validation, the Cholesky
// factor of Q, the transformed constraints and their Gram matrix) is done
// once for every call instead of once per instance.
type QP struct {
	Template *qp.Problem
	Params   QPParams
	Settings *qp.Settings

	prepared *qp.Prepared // set by NewQP for QPLinear
}

// NewQP returns the QP layer for tpl. With params QPLinear it prepares
// the fixed matrices Q, A and G of tpl once (qp.Prepare), which makes
// each Forward cheaper by O(n³ + (p+m)n²); tpl's matrices must not change
// afterwards. It returns the errors of qp.Prepare for bad matrices (shape,
// NaN/Inf, Q not positive semidefinite), and ErrInvalid for a nil tpl or
// an unknown params.
func NewQP(tpl *qp.Problem, params QPParams, s *qp.Settings) (*QP, error) {
	if tpl == nil {
		return nil, fmt.Errorf("%w: QP layer without a template", ErrInvalid)
	}
	if params != QPLinear && params != QPAll {
		return nil, fmt.Errorf("%w: unknown QPParams %d", ErrInvalid, int(params))
	}
	l := &QP{Template: tpl, Params: params, Settings: s}
	if params == QPLinear {
		pr, err := qp.Prepare(tpl)
		if err != nil {
			return nil, err
		}
		l.prepared = pr
	}
	return l, nil
}

// Dims implements [Func].
func (l *QP) Dims() (int, int) {
	if l == nil || l.Template == nil {
		return 0, 0
	}
	n, p, m := l.Template.Dims()
	if l.Params == QPAll {
		return qp.LayoutOf(l.Template).Len(), n
	}
	return n + p + m, n
}

// Forward implements [Func].
func (l *QP) Forward(ctx context.Context, dst, theta []float64) (Tape, error) {
	if l == nil || l.Template == nil {
		return nil, fmt.Errorf("%w: QP layer without a template", ErrInvalid)
	}
	if l.Params != QPLinear && l.Params != QPAll {
		return nil, fmt.Errorf("%w: unknown QPParams %d", ErrInvalid, int(l.Params))
	}
	in, out := l.Dims()
	if len(theta) != in || len(dst) != out {
		return nil, fmt.Errorf("%w: θ has length %d (want %d), dst %d (want %d)", ErrDims, len(theta), in, len(dst), out)
	}
	n, p, m := l.Template.Dims()
	set := qp.Settings{}
	if l.Settings != nil {
		set = *l.Settings
	}
	set.Workers = 1
	var pb *qp.Problem
	var sol *qp.Solution
	var err error
	switch {
	case l.prepared != nil && l.Params == QPLinear:
		sol, err = l.prepared.Solve(ctx, theta[:n], theta[n:n+p], theta[n+p:n+p+m], &set)
	case l.Params == QPAll:
		pb = qp.LayoutOf(l.Template).Unpack(theta)
		sol, err = qp.Solve(ctx, pb, &set)
	default:
		t := *l.Template
		t.P = theta[:n]
		t.B = theta[n : n+p]
		t.H = theta[n+p : n+p+m]
		sol, err = qp.Solve(ctx, &t, &set)
	}
	if err != nil {
		return nil, err
	}
	copy(dst, sol.X)
	all := l.Params == QPAll
	layout := qp.LayoutOf(l.Template)
	return tapeFunc(func(d, g []float64) error {
		if err := checkLen(d, g, in, out); err != nil {
			return err
		}
		gr, err := sol.Backward(g, nil, nil)
		if err != nil {
			return err
		}
		// The gradient is copied out: its arrays serve the next call.
		defer gr.Release()
		if all {
			layout.PackGradient(d, gr)
			return nil
		}
		copy(d[:n], gr.P)
		copy(d[n:n+p], gr.B)
		copy(d[n+p:], gr.H)
		return nil
	}), nil
}

// LPSmoothing selects how an [LP] layer makes the solution of a linear
// program differentiable in its cost.
type LPSmoothing int

const (
	// Quadratic adds (γ/2)‖x‖² to the objective (Wilder et al. 2019).
	Quadratic LPSmoothing = iota
	// Barrier stops the interior point on the central path at weight μ
	// (Mandi & Guns 2020).
	Barrier
	// Perturbed returns E[argmin (c + σZ)ᵀx] with its score-function
	// Jacobian (Berthet et al. 2020).
	Perturbed
)

// LP is a linear-program layer y = x*(c) for
//
//	minimize cᵀx  subject to  Ax = b,  Gx ≤ h,  l ≤ x ≤ u,
//
// with a fixed polytope (Template; its C gives only the length) and the
// cost c as parameter, smoothed as Smoothing says with strength Strength
// (γ, μ or σ; default 0.1, 0.1 and 1). Perturbed uses Samples draws
// (default 100) from the streams of Seed.
type LP struct {
	Template  *lp.Problem
	Smoothing LPSmoothing
	Strength  float64
	Samples   int
	Seed      uint64

	oracle perturbed.Oracle
}

// Dims implements [Func].
func (l *LP) Dims() (int, int) {
	if l == nil || l.Template == nil {
		return 0, 0
	}
	return len(l.Template.C), len(l.Template.C)
}

// Forward implements [Func].
func (l *LP) Forward(ctx context.Context, dst, c []float64) (Tape, error) {
	if l == nil || l.Template == nil {
		return nil, fmt.Errorf("%w: LP layer without a template", ErrInvalid)
	}
	if err := checkLPSettings(l.Smoothing, l.Strength); err != nil {
		return nil, err
	}
	n := len(l.Template.C)
	if len(c) != n || len(dst) != n {
		return nil, fmt.Errorf("%w: c has length %d, dst %d, want %d", ErrDims, len(c), len(dst), n)
	}
	s := l.Strength
	switch l.Smoothing {
	case Quadratic, Barrier:
		if s == 0 {
			s = 0.1
		}
		set := &lp.Settings{Workers: 1}
		if l.Smoothing == Quadratic {
			set.Quadratic = s
		} else {
			set.Barrier = s
		}
		pb := *l.Template
		pb.C = c
		sol, err := lp.Solve(ctx, &pb, set)
		if err != nil {
			return nil, err
		}
		copy(dst, sol.X)
		return tapeFunc(func(d, g []float64) error {
			if err := checkLen(d, g, n, n); err != nil {
				return err
			}
			gr, err := sol.Backward(g)
			if err != nil {
				return err
			}
			copy(d, gr.C)
			return nil
		}), nil
	case Perturbed:
		if s == 0 {
			s = 1
		}
		if l.oracle == nil {
			return nil, fmt.Errorf("%w: LP layer with perturbation needs NewLP", ErrInvalid)
		}
		opt := &perturbed.Optimizer{Oracle: l.oracle, Dim: n, Settings: &perturbed.Settings{
			Samples: l.Samples, Sigma: s, Minimize: true, Workers: 1, Seed: l.Seed,
		}}
		res, err := opt.Forward(ctx, c)
		if err != nil {
			return nil, err
		}
		copy(dst, res.Mean)
		return tapeFunc(func(d, g []float64) error {
			if err := checkLen(d, g, n, n); err != nil {
				return err
			}
			return res.VJP(d, g)
		}), nil
	}
	return nil, fmt.Errorf("%w: unknown LP smoothing %d", ErrInvalid, l.Smoothing)
}

// checkLPSettings reports an unknown smoothing or a strength that is
// negative, NaN or infinite (0 means the default).
func checkLPSettings(smoothing LPSmoothing, strength float64) error {
	if smoothing != Quadratic && smoothing != Barrier && smoothing != Perturbed {
		return fmt.Errorf("%w: unknown LP smoothing %d", ErrInvalid, int(smoothing))
	}
	if strength < 0 || math.IsNaN(strength) || math.IsInf(strength, 0) {
		return fmt.Errorf("%w: %w: LP smoothing strength %g (want finite and ≥ 0; 0 means the default)", ErrInvalid, lp.ErrInvalid, strength)
	}
	return nil
}

// NewLP checks the polytope, the smoothing and its strength, and returns
// the layer (needed for Perturbed smoothing, which solves exact LPs as its
// oracle). It returns ErrInvalid for an empty template, an unknown smoothing
// or a negative, NaN or infinite strength (these also match
// lp.ErrInvalid), and the errors of lp.NewOracle (lp.ErrDims, …) for a
// polytope whose matrices and vectors do not fit together.
func NewLP(template *lp.Problem, smoothing LPSmoothing, strength float64) (*LP, error) {
	if template == nil || len(template.C) == 0 {
		return nil, fmt.Errorf("%w: empty LP template", ErrInvalid)
	}
	if err := checkLPSettings(smoothing, strength); err != nil {
		return nil, err
	}
	n := len(template.C)
	for _, m := range []mat.Matrix{template.A, template.G} {
		if !isNilMatrix(m) {
			if _, c := m.Dims(); c != n {
				return nil, fmt.Errorf("%w: %w: constraint matrix has %d columns, len(C) = %d", ErrDims, lp.ErrDims, c, n)
			}
		}
	}
	if (template.Lower != nil && len(template.Lower) != n) || (template.Upper != nil && len(template.Upper) != n) {
		return nil, fmt.Errorf("%w: %w: bounds of lengths %d, %d, len(C) = %d", ErrDims, lp.ErrDims, len(template.Lower), len(template.Upper), n)
	}
	l := &LP{Template: template, Smoothing: smoothing, Strength: strength}
	free := isNilMatrix(template.A) && isNilMatrix(template.G) && template.Lower == nil && template.Upper == nil
	if free && smoothing != Perturbed {
		return l, nil // no polytope to check (bounded by the smoothing)
	}
	o, err := lp.NewOracle(template, nil) // validates the polytope
	if err != nil {
		return nil, err
	}
	if smoothing == Perturbed {
		l.oracle = o
	}
	return l, nil
}

// Projection is the layer y = P_C(θ), the Euclidean projection onto a set
// of package solvers/project, with its closed-form Jacobian (sparsemax is
// the projection onto the simplex). N is the dimension.
type Projection struct {
	Set project.Set
	N   int
}

// Dims implements [Func].
func (l Projection) Dims() (int, int) { return l.N, l.N }

// Forward implements [Func].
func (l Projection) Forward(_ context.Context, dst, y []float64) (Tape, error) {
	if l.Set == nil {
		return nil, fmt.Errorf("%w: projection layer without a set", ErrInvalid)
	}
	if len(y) != l.N || len(dst) != l.N {
		return nil, fmt.Errorf("%w: input %d, dst %d, want %d", ErrDims, len(y), len(dst), l.N)
	}
	if err := l.Set.Project(dst, y); err != nil {
		return nil, err
	}
	x := append([]float64(nil), dst...)
	y = append([]float64(nil), y...)
	return tapeFunc(func(d, g []float64) error {
		if err := checkLen(d, g, l.N, l.N); err != nil {
			return err
		}
		return l.Set.VJP(d, x, y, g)
	}), nil
}

// Sinkhorn is the entropic optimal-transport layer: θ is an n×m cost matrix
// C (row-major) and y the transport plan P (row-major n×m) of
// OT_ε(a, b) solved by package sinkhorn; the backward pass is its implicit
// plan VJP. A and B are the marginals (nil for uniform).
type Sinkhorn struct {
	N, M     int
	A, B     []float64
	Epsilon  float64
	Settings *sinkhorn.Settings
	Diff     *sinkhorn.DiffSettings
}

// Dims implements [Func].
func (l *Sinkhorn) Dims() (int, int) {
	if l == nil || l.N <= 0 || l.M <= 0 {
		return 0, 0
	}
	return l.N * l.M, l.N * l.M
}

// Forward implements [Func].
func (l *Sinkhorn) Forward(ctx context.Context, dst, cost []float64) (Tape, error) {
	if l == nil || l.N <= 0 || l.M <= 0 {
		return nil, fmt.Errorf("%w: Sinkhorn layer needs N, M > 0", ErrInvalid)
	}
	nm := l.N * l.M
	if len(cost) != nm || len(dst) != nm {
		return nil, fmt.Errorf("%w: cost %d, dst %d, want %d", ErrDims, len(cost), len(dst), nm)
	}
	res, err := sinkhorn.Solve(ctx, &sinkhorn.Problem{
		Cost: mat.NewDense(l.N, l.M, append([]float64(nil), cost...)), A: l.A, B: l.B, Epsilon: l.Epsilon,
	}, l.Settings)
	if err != nil {
		return nil, err
	}
	for i := 0; i < l.N; i++ {
		res.PlanRow(dst[i*l.M:(i+1)*l.M], i)
	}
	return tapeFunc(func(d, g []float64) error {
		if err := checkLen(d, g, nm, nm); err != nil {
			return err
		}
		gr, err := res.PlanVJP(mat.NewDense(l.N, l.M, append([]float64(nil), g...)), l.Diff)
		if err != nil {
			return err
		}
		copy(d, gr.C.RawMatrix().Data)
		return nil
	}), nil
}

// SoftSortKind selects the operator of a [SoftSort] layer.
type SoftSortKind int

const (
	Sort SoftSortKind = iota // soft sorted values
	Rank                     // soft ranks
)

// SoftSort is the soft sort or soft rank of Blondel et al. (2020) by
// projection onto the permutahedron (package sorting), with regularization
// strength Epsilon; its VJP costs O(n).
type SoftSort struct {
	N        int
	Kind     SoftSortKind
	Epsilon  float64
	Settings *sorting.SoftSettings
}

// Dims implements [Func].
func (l SoftSort) Dims() (int, int) { return l.N, l.N }

// Forward implements [Func].
func (l SoftSort) Forward(_ context.Context, dst, x []float64) (Tape, error) {
	if len(x) != l.N || len(dst) != l.N {
		return nil, fmt.Errorf("%w: input %d, dst %d, want %d", ErrDims, len(x), len(dst), l.N)
	}
	if l.Kind != Sort && l.Kind != Rank {
		return nil, fmt.Errorf("%w: unknown SoftSortKind %d", ErrInvalid, int(l.Kind))
	}
	var s *sorting.Soft
	var err error
	if l.Kind == Rank {
		s, err = sorting.SoftRank(dst, x, l.Epsilon, l.Settings)
	} else {
		s, err = sorting.SoftSort(dst, x, l.Epsilon, l.Settings)
	}
	if err != nil {
		return nil, err
	}
	return tapeFunc(func(d, g []float64) error {
		if err := checkLen(d, g, l.N, l.N); err != nil {
			return err
		}
		return s.VJP(d, g)
	}), nil
}

// PerturbedArgmax is the perturbed optimizer of Berthet et al. (2020)
// around an argmax: y = E[argmax_{y∈Y} ⟨θ + σZ, y⟩]. With a nil Oracle, Y
// is the set of one-hot vectors of length N (with Gumbel noise y is then
// softmax(θ/σ) in expectation); otherwise the Oracle (a maximization)
// defines Y. Settings are those of solvers/perturbed (Workers is forced
// to 1: the layer parallelizes over the batch); every row of a batch uses
// the noise streams of Settings.Seed (common random numbers), so the
// output is a deterministic function of θ.
type PerturbedArgmax struct {
	N        int
	Oracle   perturbed.Oracle
	Settings perturbed.Settings
}

// Dims implements [Func].
func (l *PerturbedArgmax) Dims() (int, int) {
	if l == nil {
		return 0, 0
	}
	return l.N, l.N
}

func oneHotArgmax(_ context.Context, dst, c []float64) error {
	k := 0
	for i, v := range c {
		if v > c[k] {
			k = i
		}
	}
	for i := range dst {
		dst[i] = 0
	}
	dst[k] = 1
	return nil
}

// Forward implements [Func].
func (l *PerturbedArgmax) Forward(ctx context.Context, dst, theta []float64) (Tape, error) {
	if l == nil {
		return nil, fmt.Errorf("%w: nil PerturbedArgmax layer", ErrInvalid)
	}
	if len(theta) != l.N || len(dst) != l.N {
		return nil, fmt.Errorf("%w: input %d, dst %d, want %d", ErrDims, len(theta), len(dst), l.N)
	}
	o := l.Oracle
	if o == nil {
		o = oneHotArgmax
	}
	set := l.Settings
	set.Workers = 1
	res, err := (&perturbed.Optimizer{Oracle: o, Dim: l.N, Settings: &set}).Forward(ctx, theta)
	if err != nil {
		return nil, err
	}
	copy(dst, res.Mean)
	return tapeFunc(func(d, g []float64) error {
		if err := checkLen(d, g, l.N, l.N); err != nil {
			return err
		}
		return res.VJP(d, g)
	}), nil
}
