package layers

import (
	"context"
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/implicit"
	"github.com/optlayers/optlayers/internal/batch"
	"github.com/optlayers/optlayers/internal/parallel"

	"github.com/optlayers/optlayers/internal/guard"
)

// Errors returned by the package.
var (
	ErrDims    = errors.New("layers: dimension mismatch")
	ErrNaN     = errors.New("layers: NaN or Inf in input")
	ErrInvalid = errors.New("layers: invalid input")
	// ErrCallback reports a panic in user code run by a layer (a Func, its
	// Tape, or an oracle or set it calls). The error also wraps a value
	// describing the panic (its message names the recovered value; when
	// that value is an error, errors.Is and errors.As see it).
	ErrCallback = errors.New("layers: panic in a user callback")
)

// maxOutputs bounds batch·out, the floats of Output.Y (2³¹, less on
// 32-bit platforms).
var maxOutputs = int(min(uint64(1)<<31, uint64(math.MaxInt)/8))

// callbackErr marks err with ErrCallback when it carries a recovered panic
// (each item's error for an *implicit.BatchError).
func callbackErr(err error) error { return batch.MarkPanics(err, ErrCallback) }

// isNilMatrix reports a nil interface or a nil *mat.Dense.
func isNilMatrix(m mat.Matrix) bool { return guard.IsNilMatrix(m) }

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
	Func Func
	// Workers is the number of goroutines: 0 means GOMAXPROCS, a
	// negative value is an error matching ErrInvalid.
	Workers int
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
			return ErrNaN
		}
	}
	return nil
}

// Forward evaluates the layer on each row of theta (batch×in). When some
// rows fail it returns an *implicit.BatchError naming them, beside the
// Output of the others (whose Backward then fails with ErrInvalid). A
// nil Func or theta, or a negative Workers, is ErrInvalid; a nil ctx means context.Background(); a
// panic in the Func (or in code it calls) is an error matching
// ErrCallback.
func (l Layer) Forward(ctx context.Context, theta mat.Matrix) (o *Output, err error) {
	if l.Func == nil {
		return nil, fmt.Errorf("%w: nil Func", ErrInvalid)
	}
	if err := batch.CheckWorkers(l.Workers, ErrInvalid); err != nil {
		return nil, err
	}
	if isNilMatrix(theta) {
		return nil, fmt.Errorf("%w: nil parameter matrix", ErrInvalid)
	}
	if ctx == nil {
		ctx = context.Background()
	}
	var in, out int
	if err := parallel.Call(0, func() error { in, out = l.Func.Dims(); return nil }); err != nil {
		return nil, callbackErr(fmt.Errorf("Dims: %w", err))
	}
	if in < 0 || out < 0 {
		return nil, fmt.Errorf("%w: Func dimensions %d → %d", ErrInvalid, in, out)
	}
	r, c := theta.Dims()
	if c != in {
		return nil, fmt.Errorf("%w: parameters have %d columns, layer takes %d", ErrDims, c, in)
	}
	if out > 0 && r > maxOutputs/out {
		return nil, fmt.Errorf("%w: %d rows of %d outputs exceed %d floats", ErrInvalid, r, out, maxOutputs)
	}
	th := mat.DenseCopyOf(theta)
	o = &Output{Y: mat.NewDense(r, out, nil), tapes: make([]Tape, r), in: in, workers: l.Workers}
	err = batch.Run(ctx, r, l.Workers, func(i int) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		row := th.RawRowView(i)
		if err := checkFinite(row); err != nil {
			return err
		}
		t, err := l.Func.Forward(ctx, o.Y.RawRowView(i), row)
		if err != nil {
			return err
		}
		if t == nil {
			return fmt.Errorf("%w: Func returned a nil Tape", ErrInvalid)
		}
		if err := checkFinite(o.Y.RawRowView(i)); err != nil {
			return fmt.Errorf("Func output: %w", err)
		}
		o.tapes[i] = t
		return nil
	})
	if err := callbackErr(err); err != nil {
		if _, ok := err.(*implicit.BatchError); ok {
			return o, err
		}
		return nil, err
	}
	return o, nil
}

// Backward maps cotangents on the solutions (batch×out) to cotangents on
// the parameters (batch×in), row by row over goroutines. A nil o (or one
// not returned by Forward) or a nil gy is ErrInvalid; a panic in a Tape is
// an error matching ErrCallback. When ctx is done, rows not yet started are
// skipped and the error matches ctx.Err() (a nil ctx is never done); the
// rows that failed are named by an *implicit.BatchError.
func (o *Output) Backward(ctx context.Context, gy mat.Matrix) (*mat.Dense, error) {
	if o == nil || o.Y == nil || len(o.tapes) == 0 {
		return nil, fmt.Errorf("%w: Output not returned by Layer.Forward", ErrInvalid)
	}
	if isNilMatrix(gy) {
		return nil, fmt.Errorf("%w: nil cotangent matrix", ErrInvalid)
	}
	r, c := gy.Dims()
	br, bc := o.Y.Dims()
	if r != br || c != bc {
		return nil, fmt.Errorf("%w: cotangent is %d×%d, output is %d×%d", ErrDims, r, c, br, bc)
	}
	g := mat.DenseCopyOf(gy)
	gt := mat.NewDense(r, o.in, nil)
	for i, t := range o.tapes {
		if t == nil {
			return nil, fmt.Errorf("%w: Forward failed for item %d of this Output", ErrInvalid, i)
		}
	}
	if ctx == nil {
		ctx = context.Background()
	}
	err := batch.Run(ctx, r, o.workers, func(i int) error {
		row := g.RawRowView(i)
		if err := checkFinite(row); err != nil {
			return err
		}
		if err := o.tapes[i].VJP(gt.RawRowView(i), row); err != nil {
			return err
		}
		if err := checkFinite(gt.RawRowView(i)); err != nil {
			return fmt.Errorf("parameter cotangent: %w", err)
		}
		return nil
	})
	if err := callbackErr(err); err != nil {
		return nil, err
	}
	return gt, nil
}
