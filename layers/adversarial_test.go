package layers

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
	"testing"
	"time"

	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/implicit"
	"github.com/optlayers/optlayers/internal/testutil"
	"github.com/optlayers/optlayers/solvers/lp"
	"github.com/optlayers/optlayers/solvers/perturbed"
	"github.com/optlayers/optlayers/solvers/project"
	"github.com/optlayers/optlayers/solvers/qp"
)

// scaleFunc is y = 2θ, a user Func whose behaviour the rows choose.
type scaleFunc struct {
	n         int
	panicFwd  bool
	panicVJP  bool
	panicDims bool
	nilTape   bool
	nanOut    bool
	nanVJP    bool
}

func (f scaleFunc) Dims() (int, int) {
	if f.panicDims {
		panic("dims boom")
	}
	return f.n, f.n
}

func (f scaleFunc) Forward(_ context.Context, dst, theta []float64) (Tape, error) {
	if f.panicFwd {
		panic(errors.New("forward boom"))
	}
	if f.nilTape {
		return nil, nil
	}
	for i := range dst {
		dst[i] = 2 * theta[i]
	}
	if f.nanOut {
		dst[0] = math.NaN()
	}
	return tapeFunc(func(d, g []float64) error {
		if f.panicVJP {
			panic("vjp boom")
		}
		for i := range d {
			d[i] = 2 * g[i]
		}
		if f.nanVJP {
			d[0] = math.Inf(1)
		}
		return nil
	}), nil
}

// hugeFunc claims an output no batch can hold.
type hugeFunc struct{}

func (hugeFunc) Dims() (int, int) { return 1, math.MaxInt / 2 }
func (hugeFunc) Forward(context.Context, []float64, []float64) (Tape, error) {
	return nil, fmt.Errorf("never called")
}

func ones(r, c int) *mat.Dense {
	m := mat.NewDense(r, c, nil)
	for i := range r {
		for j := range c {
			m.Set(i, j, float64(i+j)/4)
		}
	}
	return m
}

func forwardBackward(ctx context.Context, l Layer, theta mat.Matrix, gy func(r, c int) mat.Matrix) (func() error, error) {
	out, err := l.Forward(ctx, theta)
	if err != nil {
		return nil, err
	}
	r, c := out.Y.Dims()
	g, err := out.Backward(context.Background(), gy(r, c))
	if err != nil {
		return nil, err
	}
	return func() error {
		if err := testutil.Finite("Y", out.Y.RawMatrix().Data); err != nil {
			return err
		}
		return testutil.Finite("gθ", g.RawMatrix().Data)
	}, nil
}

func layerCase(name string, f Func, theta mat.Matrix, want error) testutil.Case {
	return testutil.Case{Name: "Layer/" + name, Want: want, Call: func(ctx context.Context) (func() error, error) {
		return forwardBackward(ctx, Layer{Func: f, Workers: 2}, theta, func(r, c int) mat.Matrix { return ones(r, c) })
	}}
}

func TestAdversarialLayer(t *testing.T) {
	nan := math.NaN()
	nanTheta := ones(3, 2)
	nanTheta.Set(1, 0, nan)
	box := &lp.Problem{C: []float64{0, 0}, G: mat.NewDense(1, 2, []float64{1, 1}), H: []float64{1}, Lower: []float64{0, 0}, Upper: []float64{1, 1}}
	panicOracle := func(_ context.Context, dst, c []float64) error { panic("oracle boom") }
	cases := []testutil.Case{
		layerCase("valid", scaleFunc{n: 2}, ones(3, 2), nil),
		layerCase("nil Func", nil, ones(3, 2), ErrInvalid),
		layerCase("nil theta", scaleFunc{n: 2}, nil, ErrInvalid),
		layerCase("typed nil theta", scaleFunc{n: 2}, (*mat.Dense)(nil), ErrInvalid),
		layerCase("wrong columns", scaleFunc{n: 2}, ones(3, 3), ErrDims),
		layerCase("NaN theta", scaleFunc{n: 2}, nanTheta, ErrNaN),
		layerCase("panicking Forward", scaleFunc{n: 2, panicFwd: true}, ones(3, 2), ErrCallback),
		layerCase("panicking Dims", scaleFunc{n: 2, panicDims: true}, ones(3, 2), ErrCallback),
		layerCase("panicking Tape", scaleFunc{n: 2, panicVJP: true}, ones(3, 2), ErrCallback),
		layerCase("huge output", hugeFunc{}, ones(2, 1), ErrInvalid),
		layerCase("nil Tape", scaleFunc{n: 2, nilTape: true}, ones(3, 2), ErrInvalid),
		layerCase("NaN output", scaleFunc{n: 2, nanOut: true}, ones(3, 2), ErrNaN),
		layerCase("Inf VJP", scaleFunc{n: 2, nanVJP: true}, ones(3, 2), ErrNaN),
		layerCase("panicking perturbed oracle", &PerturbedArgmax{N: 2, Oracle: panicOracle}, ones(3, 2), ErrCallback),
		layerCase("QPParams(9)", &QP{Template: &qp.Problem{P: []float64{0, 0}}, Params: 9}, ones(1, 2), ErrInvalid),
		layerCase("SoftSortKind(5)", SoftSort{N: 2, Kind: 5, Epsilon: 1}, ones(2, 2), ErrInvalid),
		layerCase("SoftSortKind(-1)", SoftSort{N: 2, Kind: -1, Epsilon: 1}, ones(2, 2), ErrInvalid),
		layerCase("LP negative strength", &LP{Template: box, Strength: -1}, ones(2, 2), ErrInvalid),
		layerCase("LP NaN strength", &LP{Template: box, Strength: nan, Smoothing: Barrier}, ones(2, 2), ErrInvalid),
		layerCase("LP smoothing(7)", &LP{Template: box, Smoothing: 7}, ones(2, 2), ErrInvalid),
		layerCase("LP without NewLP", &LP{Template: box, Smoothing: Perturbed}, ones(2, 2), ErrInvalid),
		layerCase("nil *LP", (*LP)(nil), ones(2, 2), ErrDims),
		layerCase("Sinkhorn N = M = −1", &Sinkhorn{N: -1, M: -1, Epsilon: 1}, ones(1, 1), ErrDims),
		layerCase("Projection nil set", Projection{N: 2}, ones(1, 2), ErrInvalid),
		layerCase("Projection simplex", Projection{N: 2, Set: project.Simplex{Radius: 1}}, ones(2, 2), nil),
		{Name: "Layer/negative Workers", Want: ErrInvalid, Call: func(ctx context.Context) (func() error, error) {
			_, err := Layer{Func: scaleFunc{n: 2}, Workers: -1}.Forward(ctx, ones(3, 2))
			return nil, err
		}},
		{Name: "Layer/one failing row", Want: ErrNaN, Call: func(ctx context.Context) (func() error, error) {
			o, err := Layer{Func: scaleFunc{n: 2}, Workers: 2}.Forward(ctx, nanTheta)
			var be *implicit.BatchError
			if !errors.As(err, &be) || !slices.Equal(be.Indices, []int{1}) {
				return nil, fmt.Errorf("error %v does not name row 1", err)
			}
			if o == nil || o.Y.At(0, 1) != 2*nanTheta.At(0, 1) || o.Y.At(2, 1) != 2*nanTheta.At(2, 1) {
				return nil, fmt.Errorf("the rows that succeeded are not returned")
			}
			if _, berr := o.Backward(context.Background(), ones(3, 2)); !errors.Is(berr, ErrInvalid) {
				return nil, fmt.Errorf("Backward after a failed row: %v, want ErrInvalid", berr)
			}
			return nil, err
		}},
		{Name: "Output.Backward/canceled", Want: context.Canceled, Call: func(ctx context.Context) (func() error, error) {
			o, err := Layer{Func: scaleFunc{n: 2}}.Forward(ctx, ones(3, 2))
			if err != nil {
				return nil, err
			}
			_, err = o.Backward(testutil.Canceled(), ones(3, 2))
			return nil, err
		}},
		{Name: "Layer/canceled", Want: context.Canceled, Call: func(context.Context) (func() error, error) {
			return forwardBackward(testutil.Canceled(), Layer{Func: scaleFunc{n: 2}}, ones(3, 2), func(r, c int) mat.Matrix { return ones(r, c) })
		}},
		{Name: "Layer/expiring ctx", Want: context.DeadlineExceeded, Call: func(ctx context.Context) (func() error, error) {
			ctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
			defer cancel()
			slow := &PerturbedArgmax{N: 2, Settings: perturbed.Settings{Samples: 10000}, Oracle: func(_ context.Context, dst, c []float64) error {
				time.Sleep(100 * time.Microsecond)
				return oneHotArgmax(context.Background(), dst, c)
			}}
			return forwardBackward(ctx, Layer{Func: slow, Workers: 2}, ones(8, 2), func(r, c int) mat.Matrix { return ones(r, c) })
		}},
		{Name: "Layer/nil ctx", Call: func(context.Context) (func() error, error) {
			return forwardBackward(nil, Layer{Func: scaleFunc{n: 2}}, ones(3, 2), func(r, c int) mat.Matrix { return ones(r, c) }) //nolint:staticcheck // a nil ctx is what is tested
		}},
		{Name: "Backward/nil gy", Want: ErrInvalid, Call: func(ctx context.Context) (func() error, error) {
			return forwardBackward(ctx, Layer{Func: scaleFunc{n: 2}}, ones(3, 2), func(int, int) mat.Matrix { return nil })
		}},
		{Name: "Backward/typed nil gy", Want: ErrInvalid, Call: func(ctx context.Context) (func() error, error) {
			return forwardBackward(ctx, Layer{Func: scaleFunc{n: 2}}, ones(3, 2), func(int, int) mat.Matrix { return (*mat.Dense)(nil) })
		}},
		{Name: "Backward/wrong shape", Want: ErrDims, Call: func(ctx context.Context) (func() error, error) {
			return forwardBackward(ctx, Layer{Func: scaleFunc{n: 2}}, ones(3, 2), func(r, c int) mat.Matrix { return ones(r+1, c) })
		}},
		{Name: "Backward/NaN gy", Want: ErrNaN, Call: func(ctx context.Context) (func() error, error) {
			return forwardBackward(ctx, Layer{Func: scaleFunc{n: 2}}, ones(3, 2), func(r, c int) mat.Matrix {
				g := ones(r, c)
				g.Set(0, 0, nan)
				return g
			})
		}},
		{Name: "Backward/nil receiver", Want: ErrInvalid, Call: func(context.Context) (func() error, error) {
			var o *Output
			_, err := o.Backward(context.Background(), ones(1, 1))
			return nil, err
		}},
		{Name: "Backward/zero Output", Want: ErrInvalid, Call: func(context.Context) (func() error, error) {
			_, err := (&Output{}).Backward(context.Background(), ones(1, 1))
			return nil, err
		}},
		{Name: "Layer/8 goroutines", Call: func(ctx context.Context) (func() error, error) {
			l := Layer{Func: Projection{N: 2, Set: project.Simplex{Radius: 1}}, Workers: 2}
			ref, err := l.Forward(ctx, ones(4, 2))
			if err != nil {
				return nil, err
			}
			errs := make([]error, 8)
			var wg sync.WaitGroup
			for k := range 8 {
				wg.Go(func() {
					o, err := l.Forward(ctx, ones(4, 2))
					if err == nil && !mat.Equal(o.Y, ref.Y) {
						err = fmt.Errorf("goroutine %d: different output", k)
					}
					if err == nil {
						_, err = o.Backward(context.Background(), ones(4, 2))
					}
					errs[k] = err
				})
			}
			wg.Wait()
			return func() error { return nil }, errors.Join(errs...)
		}},
	}
	testutil.RunAdversarial(t, cases)
}

func TestAdversarialConstructors(t *testing.T) {
	box := func() *lp.Problem {
		return &lp.Problem{C: []float64{0, 0}, G: mat.NewDense(1, 2, []float64{1, 1}), H: []float64{1}, Lower: []float64{0, 0}, Upper: []float64{1, 1}}
	}
	newLP := func(pb *lp.Problem, sm LPSmoothing, s float64) func(context.Context) (func() error, error) {
		return func(ctx context.Context) (func() error, error) {
			l, err := NewLP(pb, sm, s)
			if err != nil {
				return nil, err
			}
			return forwardBackward(ctx, Layer{Func: l}, mat.NewDense(2, 2, []float64{1, -1, -1, 2}), func(r, c int) mat.Matrix { return ones(r, c) })
		}
	}
	qpTpl := &qp.Problem{Q: mat.NewSymDense(2, []float64{2, 0, 0, 2}), P: []float64{0, 0}}
	cases := []testutil.Case{
		{Name: "NewQP/nil", Want: ErrInvalid, Call: func(context.Context) (func() error, error) {
			_, err := NewQP(nil, QPLinear, nil)
			return nil, err
		}},
		{Name: "NewQP/QPParams(9)", Want: ErrInvalid, Call: func(context.Context) (func() error, error) {
			_, err := NewQP(qpTpl, QPParams(9), nil)
			return nil, err
		}},
		{Name: "NewQP/QPParams(-1)", Want: ErrInvalid, Call: func(context.Context) (func() error, error) {
			_, err := NewQP(qpTpl, QPParams(-1), nil)
			return nil, err
		}},
		{Name: "NewQP/valid", Call: func(ctx context.Context) (func() error, error) {
			l, err := NewQP(qpTpl, QPLinear, nil)
			if err != nil {
				return nil, err
			}
			return forwardBackward(ctx, Layer{Func: l}, ones(2, 2), func(r, c int) mat.Matrix { return ones(r, c) })
		}},
		{Name: "NewLP/valid quadratic", Call: newLP(box(), Quadratic, 0.5)},
		{Name: "NewLP/valid perturbed", Call: newLP(box(), Perturbed, 0)},
		{Name: "NewLP/free quadratic", Call: newLP(&lp.Problem{C: []float64{0, 0}}, Quadratic, 1)},
		{Name: "NewLP/nil", Want: ErrInvalid, Call: newLP(nil, Quadratic, 0)},
		{Name: "NewLP/empty C", Want: ErrInvalid, Call: newLP(&lp.Problem{}, Quadratic, 0)},
		{Name: "NewLP/strength -1", Want: ErrInvalid, Call: newLP(box(), Quadratic, -1)},
		{Name: "NewLP/strength -1 is an lp error", Want: lp.ErrInvalid, Call: newLP(box(), Barrier, -1)},
		{Name: "NewLP/strength NaN", Want: ErrInvalid, Call: newLP(box(), Perturbed, math.NaN())},
		{Name: "NewLP/strength Inf", Want: ErrInvalid, Call: newLP(box(), Quadratic, math.Inf(1))},
		{Name: "NewLP/smoothing(7)", Want: ErrInvalid, Call: newLP(box(), 7, 0)},
		{Name: "NewLP/G without H", Want: lp.ErrDims, Call: newLP(&lp.Problem{C: []float64{0, 0}, G: mat.NewDense(1, 2, []float64{1, 1})}, Quadratic, 0)},
		{Name: "NewLP/G columns", Want: lp.ErrDims, Call: newLP(&lp.Problem{C: []float64{0, 0, 0}, G: mat.NewDense(1, 2, []float64{1, 1}), H: []float64{1}}, Quadratic, 0)},
		{Name: "NewLP/bounds length", Want: lp.ErrDims, Call: newLP(&lp.Problem{C: []float64{0, 0}, Lower: []float64{0}}, Quadratic, 0)},
		{Name: "NewLP/free perturbed", Want: lp.ErrDims, Call: newLP(&lp.Problem{C: []float64{0, 0}}, Perturbed, 0)},
	}
	testutil.RunAdversarial(t, cases)
}
