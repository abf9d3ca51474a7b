package bilevel

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/solvers/smooth"
)

// Criterion is an outer criterion C(w) of the inner weights, typically a
// loss on held-out rows.
type Criterion interface {
	// Dims returns the number of weights C expects.
	Dims() int
	// Value returns C(w) and, when grad is non-nil, sets grad (length
	// Dims) to ∇C(w). grad must not alias w.
	Value(w, grad []float64) float64
}

// MSE is the held-out mean squared error C(w) = (1/m)‖y − Xw‖².
type MSE struct {
	dat *data
	r   []float64
}

// NewMSE returns the mean squared error on the rows (x, y). x is copied.
func NewMSE(x mat.Matrix, y []float64) (*MSE, error) {
	d, err := newData(x, y)
	if err != nil {
		return nil, err
	}
	return &MSE{dat: d, r: make([]float64, d.rows)}, nil
}

// Dims returns the number of features.
func (c *MSE) Dims() int {
	if c == nil || c.dat == nil {
		return 0
	}
	return c.dat.d
}

// Value returns (1/m)‖y − Xw‖² and its gradient (2/m) Xᵀ(Xw − y).
//
// w (and grad, when non-nil) must have length Dims; otherwise Value
// returns NaN (and fills grad with NaN).
func (c *MSE) Value(w, grad []float64) float64 {
	if c == nil || c.dat == nil || len(w) != c.Dims() || (grad != nil && len(grad) != c.Dims()) {
		nanFill(grad)
		return math.NaN()
	}
	c.dat.mulX(c.r, w)
	var s float64
	m := float64(c.dat.rows)
	for i, yi := range c.dat.y {
		c.r[i] -= yi
		s += c.r[i] * c.r[i]
	}
	if grad != nil {
		c.dat.mulXT(grad, c.r)
		for j := range grad {
			grad[j] *= 2 / m
		}
	}
	return s / m
}

// LogLoss is the held-out logistic loss C(w) = (1/m) Σᵢ log(1 + exp(−yᵢ xᵢᵀw))
// with labels yᵢ ∈ {−1, +1} (smooth.LogisticLoss).
type LogLoss struct{ pb *smooth.Problem }

// NewLogLoss returns the logistic loss on the rows (x, y), y in {−1, +1}
// (datasets.Signs converts 0/1 labels). x is copied.
func NewLogLoss(x mat.Matrix, y []float64) (*LogLoss, error) {
	if _, _, err := checkShape(x, y); err != nil {
		return nil, err
	}
	if err := checkSigns(y, false); err != nil {
		return nil, err
	}
	if _, err := newData(x, y); err != nil {
		return nil, err
	}
	pb, err := smooth.LogisticLoss(x, y)
	if err != nil {
		return nil, smoothErr(err)
	}
	return &LogLoss{pb}, nil
}

// NewLogLossIntercept is NewLogLoss for models with an intercept
// (NewLogisticIntercept): it expects weights (w, b) with b last.
func NewLogLossIntercept(x mat.Matrix, y []float64) (*LogLoss, error) {
	xa, err := withIntercept(x)
	if err != nil {
		return nil, err
	}
	return NewLogLoss(xa, y)
}

// Dims returns the number of weights it expects.
func (c *LogLoss) Dims() int { return problemDims(c.problem()) }

func (c *LogLoss) problem() *smooth.Problem {
	if c == nil {
		return nil
	}
	return c.pb
}

// Value returns the mean logistic loss and its gradient.
//
// w (and grad, when non-nil) must have length Dims; otherwise Value
// returns NaN (and fills grad with NaN).
func (c *LogLoss) Value(w, grad []float64) float64 { return problemValue(c.problem(), w, grad) }

func problemDims(pb *smooth.Problem) int {
	if pb == nil {
		return 0
	}
	return pb.N
}

// problemValue returns f(w) of a parameter-free problem and sets grad to
// ∇f(w) when it is non-nil; NaN (and grad NaN) for a nil problem or
// lengths that do not match.
func problemValue(pb *smooth.Problem, w, grad []float64) float64 {
	if pb == nil || len(w) != pb.N || (grad != nil && len(grad) != pb.N) {
		nanFill(grad)
		return math.NaN()
	}
	if grad != nil {
		pb.Grad(grad, w, nil)
	}
	return pb.Func(w, nil)
}

// checkSigns verifies labels in {−1, +1}; with needBoth, both classes must
// be present.
func checkSigns(y []float64, needBoth bool) error {
	var pos, neg int
	for i, v := range y {
		switch v {
		case 1:
			pos++
		case -1:
			neg++
		default:
			return fmt.Errorf("%w: label %v at row %d is not −1 or +1 (datasets.Signs maps 0/1 labels)", ErrLabels, v, i)
		}
	}
	if needBoth && (pos == 0 || neg == 0) {
		return fmt.Errorf("%w: only one class in the training labels (%d positive, %d negative)", ErrLabels, pos, neg)
	}
	return nil
}

// MultiLogLoss is the held-out multinomial log-loss
// C(W) = (1/m) Σᵢ [log Σₖ exp(xᵢᵀW_k) − xᵢᵀW_{yᵢ}] with labels 0…K−1
// (smooth.Multinomial without penalty), W laid out as in [NewMultinomial].
type MultiLogLoss struct {
	pb   *smooth.Problem
	zero []float64
}

// NewMultiLogLoss returns the log-loss on the rows (x, labels) for K
// classes (labels must lie in 0…K−1; a held-out set may miss classes).
func NewMultiLogLoss(x mat.Matrix, labels []float64, classes int) (*MultiLogLoss, error) {
	for i, v := range labels {
		if v != math.Trunc(v) || v < 0 || int(v) >= classes {
			return nil, fmt.Errorf("%w: label %v at row %d outside 0…%d", ErrLabels, v, i, classes-1)
		}
	}
	if _, err := newData(x, labels); err != nil {
		return nil, err
	}
	pb, err := smooth.Multinomial(x, labels, classes, smooth.L2{})
	if err != nil {
		return nil, smoothErr(err)
	}
	return &MultiLogLoss{pb: pb, zero: []float64{0}}, nil
}

// Dims returns d·K.
func (c *MultiLogLoss) Dims() int {
	if c == nil || c.pb == nil {
		return 0
	}
	return c.pb.N
}

// Value returns the mean log-loss and its gradient.
//
// w (and grad, when non-nil) must have length Dims; otherwise Value
// returns NaN (and fills grad with NaN).
func (c *MultiLogLoss) Value(w, grad []float64) float64 {
	if c == nil || c.pb == nil || len(w) != c.Dims() || (grad != nil && len(grad) != c.Dims()) {
		nanFill(grad)
		return math.NaN()
	}
	if grad != nil {
		c.pb.Grad(grad, w, c.zero)
	}
	return c.pb.Func(w, c.zero)
}
