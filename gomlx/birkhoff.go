package gomlx

import (
	"context"
	"errors"
	"fmt"

	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/layers"
	"github.com/optlayers/optlayers/sinkhorn"
)

// BirkhoffFunc is layers.Birkhoff (the entropic projection of an n×n
// score matrix onto the doubly stochastic matrices) as a layers.Func on
// row-major vectors, θ = S and y = P(S) with in = out = n², so that
// [Layer] runs it on a batch of score matrices from a GoMLX graph. The
// backward pass is the layer's implicit one.
type BirkhoffFunc struct {
	Layer *layers.Birkhoff
	N     int
}

var _ layers.Func = BirkhoffFunc{}

// Dims implements layers.Func.
func (f BirkhoffFunc) Dims() (int, int) { return f.N * f.N, f.N * f.N }

type birkhoffTape struct {
	o *layers.BirkhoffOutput
	n int
}

func (t birkhoffTape) VJP(dst, g []float64) error {
	if len(dst) != t.n*t.n || len(g) != t.n*t.n {
		return fmt.Errorf("%w: VJP lengths %d and %d, want %d", ErrDims, len(dst), len(g), t.n*t.n)
	}
	gs, err := t.o.Backward(mat.NewDense(t.n, t.n, g))
	if err != nil {
		return err
	}
	copy(dst, gs.RawMatrix().Data)
	return nil
}

// Forward implements layers.Func. A nil Layer, N < 1, a τ that is not
// positive and finite or bad Sinkhorn settings are ErrInvalid.
func (f BirkhoffFunc) Forward(ctx context.Context, dst, theta []float64) (layers.Tape, error) {
	if f.Layer == nil || f.N < 1 {
		return nil, fmt.Errorf("%w: BirkhoffFunc needs a layer and N ≥ 1", ErrInvalid)
	}
	if len(theta) != f.N*f.N || len(dst) != f.N*f.N {
		return nil, fmt.Errorf("%w: lengths %d and %d, want %d", ErrDims, len(theta), len(dst), f.N*f.N)
	}
	o, err := f.Layer.Forward(ctx, mat.NewDense(f.N, f.N, append([]float64(nil), theta...)))
	switch {
	case err == nil:
	case errors.Is(err, sinkhorn.ErrEpsilon), errors.Is(err, sinkhorn.ErrInvalid):
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	default:
		return nil, err
	}
	copy(dst, mat.DenseCopyOf(o.P).RawMatrix().Data)
	return birkhoffTape{o, f.N}, nil
}
