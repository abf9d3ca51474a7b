package bilevel

import (
	"context"
	"errors"
	"fmt"
	"runtime"

	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/internal/parallel"
)

// Objective is an outer objective L(θ) with its hypergradient, minimized
// by [Optimize] and scanned by [GridSearch] and [RandomSearch].
type Objective interface {
	// Dims returns the number of hyperparameters p.
	Dims() int
	// Evaluate returns L(θ) and, when grad is non-nil, sets grad (length
	// p) to ∇L(θ). tol is the inner tolerance to solve with (0 means the
	// model's default); outer optimizers decrease it along the run.
	Evaluate(ctx context.Context, theta, grad []float64, tol float64) (Evaluation, error)
}

// Evaluation reports one evaluation of an Objective.
type Evaluation struct {
	// Value is L(θ).
	Value float64
	// InnerIters is the number of inner-solver iterations (summed over
	// folds).
	InnerIters int
	// HypergradIters is the work of the hypergradient (see
	// HypergradStats).
	HypergradIters int
}

// HeldOut is the objective L(θ) = C(w*(θ)): a model fitted on training
// rows and a criterion on held-out rows. It warm-starts each inner solve
// from the previous solution and each hypergradient from the previous one.
// It is not safe for concurrent use.
type HeldOut struct {
	model     Model
	criterion Criterion
	settings  *HypergradSettings
	w         []float64
	state     hyperState
}

// NewHeldOut returns the held-out objective of model m and criterion c.
// s selects the hypergradient method (nil: Implicit); invalid settings
// give ErrInvalid. A panic in m or c is returned as an error wrapping
// ErrCallback.
func NewHeldOut(m Model, c Criterion, s *HypergradSettings) (h *HeldOut, err error) {
	defer recoverCallback(&err, "NewHeldOut")
	if m == nil || c == nil {
		return nil, fmt.Errorf("%w: nil model or criterion", ErrInvalid)
	}
	if err := s.check(); err != nil {
		return nil, err
	}
	n, _ := m.Dims()
	if n < 0 {
		return nil, fmt.Errorf("%w: model with %d weights", ErrDims, n)
	}
	if c.Dims() != n {
		return nil, fmt.Errorf("%w: model has %d weights, criterion expects %d", ErrDims, n, c.Dims())
	}
	return &HeldOut{model: m, criterion: c, settings: s, w: make([]float64, n)}, nil
}

// Dims returns the number of hyperparameters (0 for a nil HeldOut).
func (h *HeldOut) Dims() int {
	if h == nil || h.model == nil || h.criterion == nil {
		return 0
	}
	_, p := h.model.Dims()
	return p
}

// Model returns the inner model.
func (h *HeldOut) Model() Model {
	if h == nil || h.model == nil || h.criterion == nil {
		return nil
	}
	return h.model
}

// Criterion returns the outer criterion.
func (h *HeldOut) Criterion() Criterion {
	if h == nil || h.model == nil || h.criterion == nil {
		return nil
	}
	return h.criterion
}

// Weights returns the last inner solution (not a copy; do not modify).
func (h *HeldOut) Weights() []float64 {
	if h == nil || h.model == nil || h.criterion == nil {
		return nil
	}
	return h.w
}

// Reset forgets the warm starts.
func (h *HeldOut) Reset() {
	if h == nil || h.model == nil || h.criterion == nil {
		return
	}
	clear(h.w)
	h.state = hyperState{}
}

// Evaluate fits the model at θ (warm-started) and returns the criterion
// and, if grad is non-nil, the hypergradient. With an unrolled method the
// weights are the unrolled iterate started from the previous solution.
// A negative or NaN tol gives ErrInvalid; a panic in the model or the
// criterion is returned as an error wrapping ErrCallback.
func (h *HeldOut) Evaluate(ctx context.Context, theta, grad []float64, tol float64) (ev Evaluation, err error) {
	if h == nil || h.model == nil || h.criterion == nil {
		return Evaluation{}, fmt.Errorf("%w: nil HeldOut", ErrInvalid)
	}
	defer recoverCallback(&err, "HeldOut.Evaluate")
	if err := checkModelTheta(h.model, theta, h.Dims()); err != nil {
		return Evaluation{}, err
	}
	if err := checkTol("tol", tol); err != nil {
		return Evaluation{}, err
	}
	if grad != nil && len(grad) != len(theta) {
		return Evaluation{}, fmt.Errorf("%w: grad has length %d, want %d", ErrDims, len(grad), len(theta))
	}
	method := h.settings.orDefault().Method
	unrolled := method == UnrolledForward || method == UnrolledReverse
	// An inner solver that stops short of its tolerance returns its best
	// iterate: the criterion and hypergradient are computed there and the
	// ErrNotConverged error is returned with them.
	var notConv error
	if !(unrolled && grad != nil) {
		iters, err := h.model.Fit(ctx, h.w, theta, tol)
		ev.InnerIters = iters
		if err != nil {
			if !errors.Is(err, ErrNotConverged) || !finite(h.w) {
				return ev, err
			}
			notConv = err
		}
	}
	if grad == nil {
		ev.Value = h.criterion.Value(h.w, nil)
		if !finite([]float64{ev.Value}) {
			return ev, fmt.Errorf("%w: criterion", ErrNaN)
		}
		return ev, notConv
	}
	val, st, err := hypergradient(ctx, h.model, h.criterion, theta, h.w, grad, h.settings, &h.state, tol)
	ev.Value, ev.HypergradIters = val, st.Iterations
	if unrolled {
		ev.InnerIters = st.Iterations
	}
	if err != nil {
		return ev, err
	}
	return ev, notConv
}

// CrossValidation is the K-fold objective L(θ) = (1/K) Σₖ Cₖ(wₖ*(θ)), one
// held-out objective per fold, evaluated in parallel goroutines. The sum
// is taken in fold order, so results do not depend on the number of
// goroutines.
type CrossValidation struct {
	folds   []*HeldOut
	workers int
}

// CVSettings configures [NewCrossValidation] and [KFold]. A nil
// *CVSettings or the zero value means the defaults.
type CVSettings struct {
	// Hypergrad selects the hypergradient method of every fold built by
	// KFold (nil: the defaults of HypergradSettings; NewCrossValidation's
	// folds keep their own).
	Hypergrad *HypergradSettings
	// Workers bounds the goroutines over the folds: 0 means
	// runtime.GOMAXPROCS, negative is ErrInvalid.
	Workers int
}

func (s *CVSettings) check() error {
	if s == nil {
		return nil
	}
	if err := checkCount("Workers", s.Workers); err != nil {
		return err
	}
	return s.Hypergrad.check()
}

// NewCrossValidation returns the mean of the given fold objectives, which
// must have the same number of hyperparameters, evaluated on s.Workers
// goroutines.
func NewCrossValidation(folds []*HeldOut, s *CVSettings) (*CrossValidation, error) {
	if len(folds) == 0 {
		return nil, fmt.Errorf("%w: no folds", ErrInvalid)
	}
	if err := s.check(); err != nil {
		return nil, err
	}
	for _, f := range folds {
		if f == nil || f.Dims() != folds[0].Dims() {
			return nil, fmt.Errorf("%w: folds with different numbers of hyperparameters", ErrDims)
		}
	}
	workers := 0
	if s != nil {
		workers = s.Workers
	}
	if workers == 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	return &CrossValidation{folds: folds, workers: workers}, nil
}

// Dims returns the number of hyperparameters (0 for a nil
// CrossValidation).
func (cv *CrossValidation) Dims() int {
	if cv == nil || len(cv.folds) == 0 {
		return 0
	}
	return cv.folds[0].Dims()
}

// Folds returns the per-fold objectives.
func (cv *CrossValidation) Folds() []*HeldOut {
	if cv == nil {
		return nil
	}
	return cv.folds
}

// Evaluate evaluates every fold (in parallel) and averages. A panic in a
// fold's model or criterion is returned as an error wrapping
// ErrCallback.
func (cv *CrossValidation) Evaluate(ctx context.Context, theta, grad []float64, tol float64) (ev Evaluation, err error) {
	if cv == nil || len(cv.folds) == 0 {
		return Evaluation{}, fmt.Errorf("%w: nil or empty CrossValidation", ErrInvalid)
	}
	defer recoverCallback(&err, "CrossValidation.Evaluate")
	k := len(cv.folds)
	p := cv.Dims()
	if err := checkModelTheta(cv.folds[0].model, theta, p); err != nil {
		return Evaluation{}, err
	}
	if err := checkTol("tol", tol); err != nil {
		return Evaluation{}, err
	}
	if grad != nil && len(grad) != p {
		return Evaluation{}, fmt.Errorf("%w: grad has length %d, want %d", ErrDims, len(grad), p)
	}
	evs := make([]Evaluation, k)
	errs := make([]error, k)
	var grads [][]float64
	if grad != nil {
		grads = make([][]float64, k)
		for i := range grads {
			grads[i] = make([]float64, p)
		}
	}
	parallel.For(k, cv.workers, func(i int) {
		var g []float64
		if grads != nil {
			g = grads[i]
		}
		evs[i], errs[i] = cv.folds[i].Evaluate(ctx, theta, g, tol)
	})
	var out Evaluation
	if grad != nil {
		clear(grad)
	}
	for i := range k {
		out.Value += evs[i].Value / float64(k)
		out.InnerIters += evs[i].InnerIters
		out.HypergradIters += evs[i].HypergradIters
		if grad != nil {
			for j := range grad {
				grad[j] += grads[i][j] / float64(k)
			}
		}
	}
	return out, errors.Join(errs...)
}

// FoldBuilder returns the model trained on one fold's training rows and the
// criterion on its validation rows (standardize inside it, with the
// training rows' statistics, if the data need it).
type FoldBuilder func(xTrain mat.Matrix, yTrain []float64, xVal mat.Matrix, yVal []float64) (Model, Criterion, error)

// KFold returns the K-fold cross-validation objective of the rows (x, y):
// fold f validates on the rows with index % k == f and trains on the
// others (the rule of datasets.Dataset.Folds). s.Hypergrad selects the
// hypergradient method of every fold and s.Workers bounds the goroutines.
// A panic in build is returned as an error wrapping ErrCallback.
func KFold(x mat.Matrix, y []float64, k int, build FoldBuilder, s *CVSettings) (cv *CrossValidation, err error) {
	defer recoverCallback(&err, "KFold")
	if x == nil || build == nil {
		return nil, fmt.Errorf("%w: nil data or builder", ErrInvalid)
	}
	if err := s.check(); err != nil {
		return nil, err
	}
	var hs *HypergradSettings
	if s != nil {
		hs = s.Hypergrad
	}
	r, c := x.Dims()
	if len(y) != r {
		return nil, fmt.Errorf("%w: X has %d rows, y has %d values", ErrDims, r, len(y))
	}
	if k < 2 || k > r {
		return nil, fmt.Errorf("%w: %d folds of %d rows", ErrInvalid, k, r)
	}
	folds := make([]*HeldOut, 0, k)
	for f := range k {
		var tr, va []int
		for i := range r {
			if i%k == f {
				va = append(va, i)
			} else {
				tr = append(tr, i)
			}
		}
		sub := func(idx []int) (*mat.Dense, []float64) {
			xs := mat.NewDense(len(idx), c, nil)
			ys := make([]float64, len(idx))
			for a, i := range idx {
				for j := range c {
					xs.Set(a, j, x.At(i, j))
				}
				ys[a] = y[i]
			}
			return xs, ys
		}
		xt, yt := sub(tr)
		xv, yv := sub(va)
		m, crit, err := build(xt, yt, xv, yv)
		if err != nil {
			return nil, fmt.Errorf("fold %d: %w", f, err)
		}
		h, err := NewHeldOut(m, crit, hs)
		if err != nil {
			return nil, fmt.Errorf("fold %d: %w", f, err)
		}
		folds = append(folds, h)
	}
	return NewCrossValidation(folds, s)
}
