package layers

import (
	"context"
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/layers/nn"
)

// Errors returned by the package.
var (
	ErrShape     = errors.New("layers: shape mismatch")
	ErrNonFinite = errors.New("layers: NaN or Inf in input")
	ErrInput     = errors.New("layers: invalid input")
)

// A Func is one differentiable map y = f(θ), θ ∈ Rⁱⁿ, y ∈ Rᵒᵘᵗ: one
// instance of a layer. Forward writes y into dst and returns a [Tape]
// holding what the backward pass needs. A Func must be safe for
// concurrent use: a [Layer] calls it from several goroutines.
type Func interface {
	Dims() (in, out int)
	Forward(ctx context.Context, dst, theta []float64) (Tape, error)
}

// A Tape is the state of one forward evaluation. VJP writes
// (∂y/∂θ)ᵀ g into dst (length in) for a cotangent g (length out).
type Tape interface {
	VJP(dst, g []float64) error
}

// Layer evaluates a [Func] on a batch of parameters, one instance per row,
// over goroutines; every instance is computed by one goroutine with its own
// memory, so results do not depend on Workers.
type Layer struct {
	Func    Func
	Workers int // ≤ 0 means GOMAXPROCS
}

// Output is the result of [Layer.Forward]: the solutions and the tapes of
// the backward pass.
type Output struct {
	Y       *mat.Dense // batch×out, one solution per row
	tapes   []Tape
	in      int
	workers int
}

func checkFinite(v []float64) error {
	for _, x := range v {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return ErrNonFinite
		}
	}
	return nil
}

// Forward evaluates the layer on each row of theta (batch×in). On error it
// returns the error of the first failing row, wrapped with its index.
func (l Layer) Forward(ctx context.Context, theta mat.Matrix) (*Output, error) {
	if l.Func == nil {
		return nil, fmt.Errorf("%w: nil Func", ErrInput)
	}
	in, out := l.Func.Dims()
	r, c := theta.Dims()
	if c != in {
		return nil, fmt.Errorf("%w: parameters have %d columns, layer takes %d", ErrShape, c, in)
	}
	th := mat.DenseCopyOf(theta)
	o := &Output{Y: mat.NewDense(r, out, nil), tapes: make([]Tape, r), in: in, workers: l.Workers}
	err := nn.ParallelForErr(r, l.Workers, func(i int) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		row := th.RawRowView(i)
		if err := checkFinite(row); err != nil {
			return fmt.Errorf("row %d: %w", i, err)
		}
		t, err := l.Func.Forward(ctx, o.Y.RawRowView(i), row)
		if err != nil {
			return fmt.Errorf("row %d: %w", i, err)
		}
		o.tapes[i] = t
		return nil
	})
	if err != nil {
		return nil, err
	}
	return o, nil
}

// Backward maps cotangents on the solutions (batch×out) to cotangents on
// the parameters (batch×in), row by row over goroutines.
func (o *Output) Backward(gy mat.Matrix) (*mat.Dense, error) {
	r, c := gy.Dims()
	br, bc := o.Y.Dims()
	if r != br || c != bc {
		return nil, fmt.Errorf("%w: cotangent is %d×%d, output is %d×%d", ErrShape, r, c, br, bc)
	}
	g := mat.DenseCopyOf(gy)
	gt := mat.NewDense(r, o.in, nil)
	err := nn.ParallelForErr(r, o.workers, func(i int) error {
		row := g.RawRowView(i)
		if err := checkFinite(row); err != nil {
			return fmt.Errorf("row %d: %w", i, err)
		}
		if err := o.tapes[i].VJP(gt.RawRowView(i), row); err != nil {
			return fmt.Errorf("row %d: %w", i, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return gt, nil
}
