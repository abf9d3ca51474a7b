package pto

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/internal/testutil"
	"github.com/optlayers/optlayers/layers/nn"
)

// argminVertex is the oracle min cᵀw over the vertices of the simplex.
func argminVertex(d int) OracleFunc {
	return OracleFunc{D: d, F: func(dst, c []float64) (float64, error) {
		k := 0
		for i := range c {
			if c[i] < c[k] {
				k = i
			}
		}
		clear(dst)
		dst[k] = 1
		return c[k], nil
	}}
}

func panicOracle(d int) OracleFunc {
	return OracleFunc{D: d, F: func(dst, c []float64) (float64, error) { panic("oracle boom") }}
}

func advData(t *testing.T) (x, c *mat.Dense, ds *Dataset) {
	rng := rand.New(rand.NewPCG(1, 2))
	x = mat.NewDense(6, 2, nil)
	c = mat.NewDense(6, 3, nil)
	for i := range 6 {
		for j := range 2 {
			x.Set(i, j, rng.NormFloat64())
		}
		for j := range 3 {
			c.Set(i, j, 1+rng.Float64())
		}
	}
	ds, err := NewDataset(argminVertex(3), x, c, 2)
	if err != nil {
		t.Fatal(err)
	}
	return x, c, ds
}

func TestAdversarialData(t *testing.T) {
	x, c, ds := advData(t)
	nanC := mat.DenseCopyOf(c)
	nanC.Set(2, 1, math.NaN())
	nanOracle := OracleFunc{D: 3, F: func(dst, c []float64) (float64, error) { dst[0] = math.NaN(); return 0, nil }}
	chat := mat.DenseCopyOf(c)
	regret := func(o Oracle, ch *mat.Dense, d *Dataset) func(context.Context) (func() error, error) {
		return func(context.Context) (func() error, error) {
			r, err := Regret(o, ch, d, 2)
			return func() error {
				if !(r >= -1e-12) || math.IsInf(r, 0) {
					return fmt.Errorf("regret %v", r)
				}
				return nil
			}, err
		}
	}
	newDS := func(o Oracle, x, c *mat.Dense) func(context.Context) (func() error, error) {
		return func(context.Context) (func() error, error) {
			d, err := NewDataset(o, x, c, 2)
			if err != nil {
				return nil, err
			}
			return func() error { return testutil.Finite("dataset", d.W.RawMatrix().Data, d.Z) }, nil
		}
	}
	nanChat := mat.DenseCopyOf(c)
	nanChat.Set(0, 0, math.Inf(-1))
	cases := []testutil.Case{
		{Name: "NewDataset/valid", Call: newDS(argminVertex(3), x, c)},
		{Name: "NewDataset/nil oracle", Want: ErrInput, Call: newDS(nil, x, c)},
		{Name: "NewDataset/nil OracleFunc pointer", Want: ErrInput, Call: newDS((*LP)(nil), x, c)},
		{Name: "NewDataset/nil x", Want: ErrInput, Call: newDS(argminVertex(3), nil, c)},
		{Name: "NewDataset/nil c", Want: ErrInput, Call: newDS(argminVertex(3), x, nil)},
		{Name: "NewDataset/dim mismatch", Want: ErrShape, Call: newDS(argminVertex(4), x, c)},
		{Name: "NewDataset/NaN cost", Want: ErrNonFinite, Call: newDS(argminVertex(3), x, nanC)},
		{Name: "NewDataset/panicking oracle", Want: ErrCallback, Call: newDS(panicOracle(3), x, c)},
		{Name: "NewDataset/NaN oracle output", Want: ErrNonFinite, Call: newDS(nanOracle, x, c)},
		{Name: "Regret/valid", Call: regret(argminVertex(3), chat, ds)},
		{Name: "Regret/nil oracle", Want: ErrInput, Call: regret(nil, chat, ds)},
		{Name: "Regret/nil predictions", Want: ErrInput, Call: regret(argminVertex(3), nil, ds)},
		{Name: "Regret/nil dataset", Want: ErrInput, Call: regret(argminVertex(3), chat, nil)},
		{Name: "Regret/zero dataset", Want: ErrInput, Call: regret(argminVertex(3), chat, &Dataset{})},
		{Name: "Regret/shape", Want: ErrShape, Call: regret(argminVertex(3), mat.NewDense(2, 3, nil), ds)},
		{Name: "Regret/panicking oracle", Want: ErrCallback, Call: regret(panicOracle(3), chat, ds)},
		{Name: "Regret/NaN oracle", Any: []error{ErrNonFinite}, Call: regret(nanOracle, chat, ds)},
		{Name: "Regret/Inf prediction", Any: []error{ErrNonFinite}, Call: regret(argminVertex(3), nanChat, ds)},
		{Name: "UnambiguousRegret/nil", Want: ErrInput, Call: func(context.Context) (func() error, error) {
			_, err := UnambiguousRegret(nil, chat, ds, 1, 0)
			return nil, err
		}},
		{Name: "UnambiguousRegret/panicking oracle", Want: ErrCallback, Call: func(context.Context) (func() error, error) {
			_, err := UnambiguousRegret(panicOracle(3), chat, ds, 1, math.NaN())
			return nil, err
		}},
		{Name: "Regret/8 goroutines", Call: func(context.Context) (func() error, error) {
			ref, err := Regret(argminVertex(3), chat, ds, 1)
			if err != nil {
				return nil, err
			}
			errs := make([]error, 8)
			var wg sync.WaitGroup
			for k := range 8 {
				wg.Go(func() {
					r, err := Regret(argminVertex(3), chat, ds, 2)
					if err == nil && r != ref {
						err = fmt.Errorf("goroutine %d: regret %v ≠ %v", k, r, ref)
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

// panicLoss is a user Loss that panics.
type panicLoss struct{}

func (panicLoss) Eval(grad, chat []float64, d *Dataset, i int, _ *rand.Rand) (float64, error) {
	panic("loss boom")
}

func TestAdversarialTrain(t *testing.T) {
	_, _, ds := advData(t)
	model := func() *nn.MLP {
		m, err := nn.NewLinear(2, 3, rand.New(rand.NewPCG(3, 4)))
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	train := func(m *nn.MLP, l Loss, d *Dataset, s *TrainSettings) func(context.Context) (func() error, error) {
		return func(ctx context.Context) (func() error, error) {
			res, err := Train(ctx, m, l, d, s)
			if err != nil {
				return nil, err
			}
			return func() error { return testutil.Finite("losses", res.Losses, m.Params()) }, nil
		}
	}
	grad := func(m *nn.MLP, l Loss, d *Dataset, batch []int) func(context.Context) (func() error, error) {
		return func(context.Context) (func() error, error) {
			g := make([]float64, len(m.Params()))
			v, err := BatchGradient(g, m, l, d, batch, 1, 1, 2)
			return func() error { return testutil.Finite("gradient", g, []float64{v}) }, err
		}
	}
	spo := SPOPlus{Oracle: argminVertex(3)}
	cases := []testutil.Case{
		{Name: "Train/valid", Call: train(model(), spo, ds, &TrainSettings{Epochs: 2, BatchSize: 3})},
		{Name: "Train/nil model", Want: ErrInput, Call: train(nil, spo, ds, nil)},
		{Name: "Train/nil loss", Want: ErrInput, Call: train(model(), nil, ds, nil)},
		{Name: "Train/nil dataset", Want: ErrInput, Call: train(model(), spo, nil, nil)},
		{Name: "Train/negative epochs", Want: ErrInput, Call: train(model(), spo, ds, &TrainSettings{Epochs: -1})},
		{Name: "Train/panicking loss", Want: ErrCallback, Call: train(model(), panicLoss{}, ds, &TrainSettings{Epochs: 1})},
		{Name: "Train/panicking oracle", Want: ErrCallback, Call: train(model(), SPOPlus{Oracle: panicOracle(3)}, ds, &TrainSettings{Epochs: 1})},
		{Name: "Train/panicking AfterEpoch", Want: ErrCallback, Call: train(model(), spo, ds, &TrainSettings{Epochs: 1, AfterEpoch: func(int, float64) error { panic("hook boom") }})},
		{Name: "Train/canceled", Want: context.Canceled, Call: func(context.Context) (func() error, error) {
			_, err := Train(testutil.Canceled(), model(), spo, ds, nil)
			return nil, err
		}},
		{Name: "BatchGradient/valid", Call: grad(model(), spo, ds, []int{0, 1, 2})},
		{Name: "BatchGradient/nil model", Want: ErrInput, Call: grad(&nn.MLP{}, spo, nil, []int{0})},
		{Name: "BatchGradient/empty batch", Want: ErrInput, Call: grad(model(), spo, ds, nil)},
		{Name: "BatchGradient/index out of range", Want: ErrInput, Call: grad(model(), spo, ds, []int{99})},
		{Name: "BatchGradient/negative index", Want: ErrInput, Call: grad(model(), spo, ds, []int{-1})},
		{Name: "BatchGradient/panicking loss", Want: ErrCallback, Call: grad(model(), panicLoss{}, ds, []int{0, 1})},
		{Name: "Predict/nil", Want: ErrInput, Call: func(context.Context) (func() error, error) {
			_, err := Predict(nil, ds)
			return nil, err
		}},
		{Name: "ModelRegret/nil dataset", Want: ErrInput, Call: func(context.Context) (func() error, error) {
			_, err := ModelRegret(argminVertex(3), model(), nil, 1)
			return nil, err
		}},
	}
	testutil.RunAdversarial(t, cases)
}

func TestAdversarialSurCo(t *testing.T) {
	f := func(grad, w []float64) float64 {
		v := 0.0
		for i := range w {
			grad[i] = 2 * (w[i] - 0.5)
			v += (w[i] - 0.5) * (w[i] - 0.5)
		}
		return v
	}
	run := func(ctx context.Context, o Oracle, obj Objective, init []float64, s *SurCoSettings) (func() error, error) {
		r, err := SurCoZero(ctx, o, obj, init, s)
		if err != nil {
			return nil, err
		}
		return func() error { return testutil.Finite("SurCo", r.Cost, r.Solution, []float64{r.Value}) }, nil
	}
	cases := []testutil.Case{
		{Name: "valid", Call: func(ctx context.Context) (func() error, error) {
			return run(ctx, argminVertex(3), f, nil, &SurCoSettings{Iterations: 5})
		}},
		{Name: "nil oracle", Want: ErrInput, Call: func(ctx context.Context) (func() error, error) {
			return run(ctx, nil, f, nil, nil)
		}},
		{Name: "nil objective", Want: ErrInput, Call: func(ctx context.Context) (func() error, error) {
			return run(ctx, argminVertex(3), nil, nil, nil)
		}},
		{Name: "init length", Want: ErrShape, Call: func(ctx context.Context) (func() error, error) {
			return run(ctx, argminVertex(3), f, []float64{1}, nil)
		}},
		{Name: "NaN init", Want: ErrNonFinite, Call: func(ctx context.Context) (func() error, error) {
			return run(ctx, argminVertex(3), f, []float64{math.NaN(), 0, 0}, nil)
		}},
		{Name: "Smoothing(9)", Want: ErrInput, Call: func(ctx context.Context) (func() error, error) {
			return run(ctx, argminVertex(3), f, nil, &SurCoSettings{Smoothing: 9})
		}},
		{Name: "Sigma NaN", Want: ErrInput, Call: func(ctx context.Context) (func() error, error) {
			return run(ctx, argminVertex(3), f, nil, &SurCoSettings{Smoothing: Perturbation, Sigma: math.NaN()})
		}},
		{Name: "Lambda -1", Want: ErrInput, Call: func(ctx context.Context) (func() error, error) {
			return run(ctx, argminVertex(3), f, nil, &SurCoSettings{Lambda: -1})
		}},
		{Name: "Samples -1", Want: ErrInput, Call: func(ctx context.Context) (func() error, error) {
			return run(ctx, argminVertex(3), f, nil, &SurCoSettings{Samples: -1})
		}},
		{Name: "panicking objective", Want: ErrCallback, Call: func(ctx context.Context) (func() error, error) {
			return run(ctx, argminVertex(3), func(g, w []float64) float64 { panic("f boom") }, nil, nil)
		}},
		{Name: "panicking oracle", Want: ErrCallback, Call: func(ctx context.Context) (func() error, error) {
			return run(ctx, panicOracle(3), f, nil, &SurCoSettings{Iterations: 3})
		}},
		{Name: "canceled", Want: context.Canceled, Call: func(context.Context) (func() error, error) {
			return run(testutil.Canceled(), argminVertex(3), f, nil, nil)
		}},
	}
	testutil.RunAdversarial(t, cases)
}
