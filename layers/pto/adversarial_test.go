package pto

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/implicit"
	"github.com/optlayers/optlayers/internal/testutil"
	"github.com/optlayers/optlayers/layers"
	"github.com/optlayers/optlayers/layers/nn"
	"github.com/optlayers/optlayers/solvers/project"
)

// argminVertex is the oracle min cᵀw over the vertices of the simplex.
func argminVertex(d int) OracleFunc {
	return OracleFunc{D: d, F: func(_ context.Context, dst, c []float64) (float64, error) {
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
	return OracleFunc{D: d, F: func(_ context.Context, dst, c []float64) (float64, error) { panic("oracle boom") }}
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
	ds, err := NewDataset(context.Background(), argminVertex(3), x, c, &Settings{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	return x, c, ds
}

func TestAdversarialData(t *testing.T) {
	x, c, ds := advData(t)
	nanC := mat.DenseCopyOf(c)
	nanC.Set(2, 1, math.NaN())
	nanOracle := OracleFunc{D: 3, F: func(_ context.Context, dst, c []float64) (float64, error) { dst[0] = math.NaN(); return 0, nil }}
	chat := mat.DenseCopyOf(c)
	regret := func(o Oracle, ch *mat.Dense, d *Dataset) func(context.Context) (func() error, error) {
		return func(context.Context) (func() error, error) {
			r, err := Regret(context.Background(), o, ch, d, &Settings{Workers: 2})
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
			d, err := NewDataset(context.Background(), o, x, c, &Settings{Workers: 2})
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
		{Name: "NewDataset/nil oracle", Want: ErrInvalid, Call: newDS(nil, x, c)},
		{Name: "NewDataset/nil OracleFunc pointer", Want: ErrInvalid, Call: newDS((*LP)(nil), x, c)},
		{Name: "NewDataset/nil x", Want: ErrInvalid, Call: newDS(argminVertex(3), nil, c)},
		{Name: "NewDataset/nil c", Want: ErrInvalid, Call: newDS(argminVertex(3), x, nil)},
		{Name: "NewDataset/dim mismatch", Want: ErrDims, Call: newDS(argminVertex(4), x, c)},
		{Name: "NewDataset/NaN cost", Want: ErrNaN, Call: newDS(argminVertex(3), x, nanC)},
		{Name: "NewDataset/panicking oracle", Want: ErrCallback, Call: newDS(panicOracle(3), x, c)},
		{Name: "NewDataset/NaN oracle output", Want: ErrNaN, Call: newDS(nanOracle, x, c)},
		{Name: "Regret/valid", Call: regret(argminVertex(3), chat, ds)},
		{Name: "Regret/nil oracle", Want: ErrInvalid, Call: regret(nil, chat, ds)},
		{Name: "Regret/nil predictions", Want: ErrInvalid, Call: regret(argminVertex(3), nil, ds)},
		{Name: "Regret/nil dataset", Want: ErrInvalid, Call: regret(argminVertex(3), chat, nil)},
		{Name: "Regret/zero dataset", Want: ErrInvalid, Call: regret(argminVertex(3), chat, &Dataset{})},
		{Name: "Regret/shape", Want: ErrDims, Call: regret(argminVertex(3), mat.NewDense(2, 3, nil), ds)},
		{Name: "Regret/panicking oracle", Want: ErrCallback, Call: regret(panicOracle(3), chat, ds)},
		{Name: "Regret/NaN oracle", Any: []error{ErrNaN}, Call: regret(nanOracle, chat, ds)},
		{Name: "Regret/Inf prediction", Any: []error{ErrNaN}, Call: regret(argminVertex(3), nanChat, ds)},
		{Name: "UnambiguousRegret/nil", Want: ErrInvalid, Call: func(context.Context) (func() error, error) {
			_, err := UnambiguousRegret(context.Background(), nil, chat, ds, 0, &Settings{Workers: 1})
			return nil, err
		}},
		{Name: "UnambiguousRegret/panicking oracle", Want: ErrCallback, Call: func(context.Context) (func() error, error) {
			_, err := UnambiguousRegret(context.Background(), panicOracle(3), chat, ds, math.NaN(), &Settings{Workers: 1})
			return nil, err
		}},
		{Name: "NewDataset/negative workers", Want: ErrInvalid, Call: func(context.Context) (func() error, error) {
			_, err := NewDataset(context.Background(), argminVertex(3), x, c, &Settings{Workers: -1})
			return nil, err
		}},
		{Name: "NewDataset/canceled", Want: context.Canceled, Call: func(context.Context) (func() error, error) {
			_, err := NewDataset(testutil.Canceled(), argminVertex(3), x, c, nil)
			return nil, err
		}},
		{Name: "Regret/negative workers", Want: ErrInvalid, Call: func(context.Context) (func() error, error) {
			_, err := Regret(context.Background(), argminVertex(3), chat, ds, &Settings{Workers: -2})
			return nil, err
		}},
		{Name: "Regret/canceled", Want: context.Canceled, Call: func(context.Context) (func() error, error) {
			_, err := Regret(testutil.Canceled(), argminVertex(3), chat, ds, nil)
			return nil, err
		}},
		{Name: "Regret/failing rows named", Want: ErrNaN, Call: func(context.Context) (func() error, error) {
			_, err := NewDataset(context.Background(), nanOracle, x, c, nil)
			var be *implicit.BatchError
			if !errors.As(err, &be) || len(be.Indices) != 6 {
				return nil, fmt.Errorf("error %v does not name the 6 rows", err)
			}
			return nil, err
		}},
		{Name: "Regret/8 goroutines", Call: func(context.Context) (func() error, error) {
			ref, err := Regret(context.Background(), argminVertex(3), chat, ds, &Settings{Workers: 1})
			if err != nil {
				return nil, err
			}
			errs := make([]error, 8)
			var wg sync.WaitGroup
			for k := range 8 {
				wg.Go(func() {
					r, err := Regret(context.Background(), argminVertex(3), chat, ds, &Settings{Workers: 2})
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

func (panicLoss) Eval(_ context.Context, grad, chat []float64, d *Dataset, i int, _ *rand.Rand) (float64, error) {
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
			v, err := BatchGradient(context.Background(), g, m, l, d, batch, 1, 1, &Settings{Workers: 2})
			return func() error { return testutil.Finite("gradient", g, []float64{v}) }, err
		}
	}
	spo := SPOPlus{Oracle: argminVertex(3)}
	cases := []testutil.Case{
		{Name: "Train/valid", Call: train(model(), spo, ds, &TrainSettings{Epochs: 2, BatchSize: 3})},
		{Name: "Train/nil model", Want: ErrInvalid, Call: train(nil, spo, ds, nil)},
		{Name: "Train/nil loss", Want: ErrInvalid, Call: train(model(), nil, ds, nil)},
		{Name: "Train/nil dataset", Want: ErrInvalid, Call: train(model(), spo, nil, nil)},
		{Name: "Train/negative epochs", Want: ErrInvalid, Call: train(model(), spo, ds, &TrainSettings{Epochs: -1})},
		{Name: "Train/negative workers", Want: ErrInvalid, Call: train(model(), spo, ds, &TrainSettings{Workers: -1})},
		{Name: "Train/panicking loss", Want: ErrCallback, Call: train(model(), panicLoss{}, ds, &TrainSettings{Epochs: 1})},
		{Name: "Train/panicking oracle", Want: ErrCallback, Call: train(model(), SPOPlus{Oracle: panicOracle(3)}, ds, &TrainSettings{Epochs: 1})},
		{Name: "Train/panicking AfterEpoch", Want: ErrCallback, Call: train(model(), spo, ds, &TrainSettings{Epochs: 1, AfterEpoch: func(int, float64) error { panic("hook boom") }})},
		{Name: "Train/expiring ctx", Want: context.DeadlineExceeded, Call: func(ctx context.Context) (func() error, error) {
			ctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
			defer cancel()
			slow := OracleFunc{D: 3, F: func(_ context.Context, dst, c []float64) (float64, error) {
				time.Sleep(2 * time.Millisecond)
				return argminVertex(3).F(context.Background(), dst, c)
			}}
			_, err := Train(ctx, model(), SPOPlus{Oracle: slow}, ds, &TrainSettings{Epochs: 1000, BatchSize: 2})
			return nil, err
		}},
		{Name: "Train/canceled", Want: context.Canceled, Call: func(context.Context) (func() error, error) {
			_, err := Train(testutil.Canceled(), model(), spo, ds, nil)
			return nil, err
		}},
		{Name: "BatchGradient/valid", Call: grad(model(), spo, ds, []int{0, 1, 2})},
		{Name: "BatchGradient/nil model", Want: ErrInvalid, Call: grad(&nn.MLP{}, spo, nil, []int{0})},
		{Name: "BatchGradient/empty batch", Want: ErrInvalid, Call: grad(model(), spo, ds, nil)},
		{Name: "BatchGradient/index out of range", Want: ErrInvalid, Call: grad(model(), spo, ds, []int{99})},
		{Name: "BatchGradient/negative index", Want: ErrInvalid, Call: grad(model(), spo, ds, []int{-1})},
		{Name: "BatchGradient/panicking loss", Want: ErrCallback, Call: grad(model(), panicLoss{}, ds, []int{0, 1})},
		{Name: "BatchGradient/negative workers", Want: ErrInvalid, Call: func(context.Context) (func() error, error) {
			m := model()
			_, err := BatchGradient(context.Background(), make([]float64, len(m.Params())), m, spo, ds, []int{0}, 1, 1, &Settings{Workers: -1})
			return nil, err
		}},
		{Name: "Predict/nil", Want: ErrInvalid, Call: func(context.Context) (func() error, error) {
			_, err := Predict(nil, ds)
			return nil, err
		}},
		{Name: "ModelRegret/nil dataset", Want: ErrInvalid, Call: func(context.Context) (func() error, error) {
			_, err := ModelRegret(context.Background(), argminVertex(3), model(), nil, &Settings{Workers: 1})
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
		{Name: "nil oracle", Want: ErrInvalid, Call: func(ctx context.Context) (func() error, error) {
			return run(ctx, nil, f, nil, nil)
		}},
		{Name: "nil objective", Want: ErrInvalid, Call: func(ctx context.Context) (func() error, error) {
			return run(ctx, argminVertex(3), nil, nil, nil)
		}},
		{Name: "init length", Want: ErrDims, Call: func(ctx context.Context) (func() error, error) {
			return run(ctx, argminVertex(3), f, []float64{1}, nil)
		}},
		{Name: "NaN init", Want: ErrNaN, Call: func(ctx context.Context) (func() error, error) {
			return run(ctx, argminVertex(3), f, []float64{math.NaN(), 0, 0}, nil)
		}},
		{Name: "Smoothing(9)", Want: ErrInvalid, Call: func(ctx context.Context) (func() error, error) {
			return run(ctx, argminVertex(3), f, nil, &SurCoSettings{Smoothing: 9})
		}},
		{Name: "Sigma NaN", Want: ErrInvalid, Call: func(ctx context.Context) (func() error, error) {
			return run(ctx, argminVertex(3), f, nil, &SurCoSettings{Smoothing: Perturbation, Sigma: math.NaN()})
		}},
		{Name: "Lambda -1", Want: ErrInvalid, Call: func(ctx context.Context) (func() error, error) {
			return run(ctx, argminVertex(3), f, nil, &SurCoSettings{Lambda: -1})
		}},
		{Name: "Samples -1", Want: ErrInvalid, Call: func(ctx context.Context) (func() error, error) {
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

// TestAdversarialLosses runs every loss on valid and bad pairs, called
// directly (not through Train), with a nil rng and a panicking oracle.
func TestAdversarialLosses(t *testing.T) {
	_, _, ds := advData(t)
	o := argminVertex(3)
	po := panicOracle(3)
	contr := func(mk func(o Oracle) (Loss, error)) func(o Oracle) Loss {
		return func(o Oracle) Loss {
			l, err := mk(o)
			if err != nil {
				t.Fatal(err)
			}
			return l
		}
	}
	losses := []struct {
		name string
		mk   func(o Oracle) Loss
	}{
		{"SPOPlus", func(o Oracle) Loss { return SPOPlus{Oracle: o} }},
		{"DBB", func(o Oracle) Loss { return DBB{Oracle: o} }},
		{"NID", func(o Oracle) Loss { return NID{Oracle: o} }},
		{"PFYL", func(o Oracle) Loss { return PFYL{Oracle: o, Samples: 4} }},
		{"DPO", func(o Oracle) Loss { return DPO{Oracle: o, Samples: 4} }},
		{"NCE", contr(func(o Oracle) (Loss, error) { return NewNCE(o, ds, 1) })},
		{"CMAP", contr(func(o Oracle) (Loss, error) { return NewCMAP(o, ds, 1) })},
		{"Pointwise", contr(func(o Oracle) (Loss, error) { return NewPointwise(o, ds, 1) })},
		{"Pairwise", contr(func(o Oracle) (Loss, error) { return NewPairwise(o, ds, 1, 0) })},
		{"Listwise", contr(func(o Oracle) (Loss, error) { return NewListwise(o, ds, 1, 0) })},
	}
	chat := []float64{0.5, 1, 2}
	var cases []testutil.Case
	for _, l := range losses {
		eval := func(loss Loss, grad, chat []float64, d *Dataset, i int, rng *rand.Rand) func(context.Context) (func() error, error) {
			return func(context.Context) (func() error, error) {
				v, err := loss.Eval(context.Background(), grad, chat, d, i, rng)
				return func() error { return testutil.Finite(l.name, []float64{v}, grad) }, err
			}
		}
		add := func(name string, want error, f func(context.Context) (func() error, error)) {
			cases = append(cases, testutil.Case{Name: l.name + "/" + name, Want: want, Call: f})
		}
		add("valid", nil, eval(l.mk(o), make([]float64, 3), chat, ds, 1, rand.New(rand.NewPCG(1, 1))))
		add("nil rng", nil, eval(l.mk(o), make([]float64, 3), chat, ds, 1, nil))
		add("nil dataset", ErrInvalid, eval(l.mk(o), make([]float64, 3), chat, nil, 0, nil))
		add("pair out of range", ErrInvalid, eval(l.mk(o), make([]float64, 3), chat, ds, 99, nil))
		add("negative pair", ErrInvalid, eval(l.mk(o), make([]float64, 3), chat, ds, -1, nil))
		add("chat length", ErrDims, eval(l.mk(o), make([]float64, 3), chat[:2], ds, 0, nil))
		add("grad length", ErrDims, eval(l.mk(o), nil, chat, ds, 0, nil))
		add("NaN chat", ErrNaN, eval(l.mk(o), make([]float64, 3), []float64{math.NaN(), 0, 0}, ds, 0, nil))
		add("1e300 chat", ErrNaN, eval(l.mk(o), make([]float64, 3), []float64{1e300, 0, 0}, ds, 0, nil))
		add("panicking oracle", ErrCallback, eval(l.mk(po), make([]float64, 3), chat, ds, 0, rand.New(rand.NewPCG(1, 1))))
	}
	for _, l := range []struct {
		name string
		loss Loss
	}{{"SPOPlus", SPOPlus{}}, {"DBB", DBB{}}, {"NID", NID{}}, {"PFYL", PFYL{}}, {"DPO", DPO{}}, {"SPOPlus typed nil", SPOPlus{Oracle: (*LP)(nil)}}} {
		cases = append(cases, testutil.Case{Name: l.name + "/nil oracle", Want: ErrInvalid, Call: func(context.Context) (func() error, error) {
			_, err := l.loss.Eval(context.Background(), make([]float64, 3), chat, ds, 0, nil)
			return nil, err
		}})
	}
	for _, c := range []struct {
		name string
		f    func() error
	}{
		{"NewNCE/nil oracle", func() error { _, err := NewNCE(nil, ds, 1); return err }},
		{"NewCMAP/nil train", func() error { _, err := NewCMAP(o, nil, 1); return err }},
		{"NewPointwise/ratio NaN", func() error { _, err := NewPointwise(o, ds, math.NaN()); return err }},
		{"NewPairwise/ratio 2", func() error { _, err := NewPairwise(o, ds, 2, 0); return err }},
		{"NewListwise/empty train", func() error { _, err := NewListwise(o, &Dataset{}, 1, 0); return err }},
		{"NewMOM/nil", func() error { _, err := NewMOM(context.Background(), nil, ds, 1); return err }},
		{"NewMOM/nil train", func() error {
			_, err := NewMOM(context.Background(), ShortestPath{Rows: 2, Cols: 2}, nil, 1)
			return err
		}},
		{"NewMOM/NaN margin", func() error {
			_, err := NewMOM(context.Background(), ShortestPath{Rows: 2, Cols: 2}, ds, math.NaN())
			return err
		}},
		{"NewLP/nil", func() error { _, err := NewLP(nil, Minimize); return err }},
		{"NewLP/Sense(5)", func() error { _, err := NewLP(LPTemplate(ShortestPath{Rows: 2, Cols: 2}), Sense(5)); return err }},
		{"NewKnapsack/no items", func() error { _, err := NewKnapsack(nil, 3); return err }},
		{"NewKnapsack/negative capacity", func() error { _, err := NewKnapsack([]int{1}, -1); return err }},
		{"NewKnapsack/huge table", func() error { _, err := NewKnapsack(make([]int, 1<<20), 1<<24); return err }},
		{"GenShortestPath/huge", func() error { _, _, err := GenShortestPath(nil, math.MaxInt, 2, 5, 1, 0); return err }},
		{"GenKnapsack/huge", func() error { _, _, _, err := GenKnapsack(nil, 1<<20, 1<<20, 5, 1, 0); return err }},
		{"NewKnapsack/negative weight", func() error { _, err := NewKnapsack([]int{-1}, 1); return err }},
		{"NewPortfolio/nil", func() error { _, err := NewPortfolio(nil, 1); return err }},
		{"NewPortfolio/gamma NaN", func() error { _, err := NewPortfolio(mat.NewSymDense(1, []float64{1}), math.NaN()); return err }},
		{"NewPortfolio/indefinite", func() error { _, err := NewPortfolio(mat.NewSymDense(2, []float64{1, 2, 2, 1}), 1); return err }},
	} {
		cases = append(cases, testutil.Case{Name: c.name, Want: ErrInvalid, Call: func(context.Context) (func() error, error) {
			return nil, c.f()
		}})
	}
	testutil.RunAdversarial(t, cases)
}

// TestAdversarialOracles covers the generators, the oracles' Solve, the
// QPTL relaxation and the Dataset helpers.
func TestAdversarialOracles(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	sp := ShortestPath{Rows: 2, Cols: 3}
	ks, err := NewKnapsack([]int{3, 4, 5}, 7)
	if err != nil {
		t.Fatal(err)
	}
	pf, err := NewPortfolio(mat.NewSymDense(2, []float64{1, 0.1, 0.1, 2}), 1)
	if err != nil {
		t.Fatal(err)
	}
	lpo, err := NewLP(LPTemplate(sp), Minimize)
	if err != nil {
		t.Fatal(err)
	}
	oracles := []struct {
		name string
		o    Oracle
	}{{"ShortestPath", sp}, {"Knapsack", ks}, {"Portfolio", pf}, {"LP", lpo}}
	var cases []testutil.Case
	for _, o := range oracles {
		d := o.o.Dim()
		cost := func(v float64) []float64 {
			c := make([]float64, d)
			for i := range c {
				c[i] = v * float64(i%3+1)
			}
			return c
		}
		solve := func(dst, c []float64) func(context.Context) (func() error, error) {
			return func(context.Context) (func() error, error) {
				z, err := o.o.Solve(context.Background(), dst, c)
				return func() error { return testutil.Finite(o.name, dst, []float64{z}) }, err
			}
		}
		add := func(name string, want error, f func(context.Context) (func() error, error), any ...error) {
			cases = append(cases, testutil.Case{Name: o.name + "/" + name, Want: want, Any: any, Call: f})
		}
		add("valid", nil, solve(make([]float64, d), cost(1)))
		add("dst length", ErrDims, solve(make([]float64, d+1), cost(1)))
		add("cost length", ErrDims, solve(make([]float64, d), cost(1)[1:]))
		add("NaN cost", ErrNaN, solve(make([]float64, d), cost(nan)))
		add("Inf cost", ErrNaN, solve(make([]float64, d), cost(inf)))
		add("1e300 cost", nil, solve(make([]float64, d), cost(1e300)), ErrNaN)
		add("1e-300 cost", nil, solve(make([]float64, d), cost(1e-300)))
		add("8 goroutines", nil, func(context.Context) (func() error, error) {
			errs := make([]error, 8)
			var wg sync.WaitGroup
			for k := range 8 {
				wg.Go(func() {
					dst := make([]float64, d)
					_, err := o.o.Solve(context.Background(), dst, cost(float64(k+1)))
					if err == nil {
						err = testutil.Finite(o.name, dst)
					}
					errs[k] = err
				})
			}
			wg.Wait()
			return func() error { return nil }, errors.Join(errs...)
		})
	}
	qptl := QPTL{Oracle: sp}
	relaxed := func(l QPTL, chat []float64) func(context.Context) (func() error, error) {
		return func(ctx context.Context) (func() error, error) {
			sol, err := l.Relaxed(ctx, chat)
			if err != nil {
				return nil, err
			}
			return func() error { return testutil.Finite("QPTL", sol.X) }, nil
		}
	}
	gen := func(f func() error) func(context.Context) (func() error, error) {
		return func(context.Context) (func() error, error) { return func() error { return nil }, f() }
	}
	cases = append(cases,
		testutil.Case{Name: "QPTL/valid", Call: relaxed(qptl, make([]float64, sp.Dim()))},
		testutil.Case{Name: "QPTL/nil oracle", Want: ErrInvalid, Call: relaxed(QPTL{}, make([]float64, sp.Dim()))},
		testutil.Case{Name: "QPTL/chat length", Want: ErrDims, Call: relaxed(qptl, []float64{1})},
		testutil.Case{Name: "QPTL/NaN chat", Want: ErrNaN, Call: relaxed(qptl, nanVec(sp.Dim()))},
		testutil.Case{Name: "QPTL/mu Inf", Want: ErrInvalid, Call: relaxed(QPTL{Oracle: sp, Mu: inf}, make([]float64, sp.Dim()))},
		testutil.Case{Name: "QPTL/mu -1", Want: ErrInvalid, Call: relaxed(QPTL{Oracle: sp, Mu: -1}, make([]float64, sp.Dim()))},
		testutil.Case{Name: "GenShortestPath/nil rng", Call: gen(func() error { _, _, err := GenShortestPath(nil, 3, 2, sp.Dim(), 1, 0.1); return err })},
		testutil.Case{Name: "GenShortestPath/n 0", Want: ErrInvalid, Call: gen(func() error { _, _, err := GenShortestPath(nil, 0, 2, 5, 1, 0); return err })},
		testutil.Case{Name: "GenShortestPath/noise NaN", Want: ErrInvalid, Call: gen(func() error { _, _, err := GenShortestPath(nil, 2, 2, 5, 1, nan); return err })},
		testutil.Case{Name: "GenKnapsack/nil rng", Call: gen(func() error { _, _, _, err := GenKnapsack(nil, 3, 2, 4, 1, 0.1); return err })},
		testutil.Case{Name: "GenKnapsack/deg -1", Want: ErrInvalid, Call: gen(func() error { _, _, _, err := GenKnapsack(nil, 3, 2, 4, -1, 0); return err })},
		testutil.Case{Name: "GenPortfolio/nil rng", Call: gen(func() error { _, _, _, err := GenPortfolio(nil, 3, 2, 4, 1, 1); return err })},
		testutil.Case{Name: "GenPortfolio/noise Inf", Want: ErrInvalid, Call: gen(func() error { _, _, _, err := GenPortfolio(nil, 3, 2, 4, 1, inf); return err })},
		testutil.Case{Name: "ShortestPath/grid 0×0", Want: ErrInvalid, Call: gen(func() error { _, err := ShortestPath{}.Solve(context.Background(), nil, nil); return err })},
		testutil.Case{Name: "ShortestPath/grid −1×−3", Want: ErrInvalid, Call: gen(func() error {
			_, err := ShortestPath{Rows: -1, Cols: -3}.Solve(context.Background(), nil, nil)
			return err
		})},
		testutil.Case{Name: "Knapsack/zero value", Want: ErrInvalid, Call: gen(func() error {
			_, err := (&Knapsack{Weights: []int{1}}).Solve(context.Background(), make([]float64, 1), []float64{1})
			return err
		})},
		testutil.Case{Name: "Dataset/nil Len", Call: gen(func() error {
			var d *Dataset
			if d.Len() != 0 {
				return errors.New("Len of nil")
			}
			return nil
		})},
	)
	testutil.RunAdversarial(t, cases)
}

// TestAdversarialMoreLosses covers LayerLoss, SurCo, QPTL and MOM and
// LPTemplate.
func TestAdversarialMoreLosses(t *testing.T) {
	sp := ShortestPath{Rows: 2, Cols: 2}
	rng := rand.New(rand.NewPCG(5, 6))
	x, c, err := GenShortestPath(rng, 4, 2, sp.Dim(), 1, 0.1)
	if err != nil {
		t.Fatal(err)
	}
	ds, err := NewDataset(context.Background(), sp, x, c, &Settings{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	mom, err := NewMOM(context.Background(), sp, ds, 1)
	if err != nil {
		t.Fatal(err)
	}
	lpl, err := layers.NewLP(LPTemplate(sp), layers.Quadratic, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	obj := func(d *Dataset, i int) Objective {
		return func(grad, w []float64) float64 {
			v := 0.0
			for k := range w {
				grad[k] = d.C.At(i, k)
				v += grad[k] * w[k]
			}
			return v
		}
	}
	chat := make([]float64, sp.Dim())
	for k := range chat {
		chat[k] = 1 + float64(k)
	}
	eval := func(l Loss, grad, chat []float64, d *Dataset, i int) func(context.Context) (func() error, error) {
		return func(context.Context) (func() error, error) {
			v, err := l.Eval(context.Background(), grad, chat, d, i, nil)
			return func() error { return testutil.Finite("loss", []float64{v}, grad) }, err
		}
	}
	g := func() []float64 { return make([]float64, sp.Dim()) }
	panicLayer := layers.Projection{N: sp.Dim(), Set: panicSet{}}
	losses := []struct {
		name string
		l    Loss
	}{
		{"LayerLoss", LayerLoss{Oracle: sp, Layer: lpl}},
		{"SurCo", SurCo{Oracle: sp, Objectives: obj, Settings: &SurCoSettings{Iterations: 3}}},
		{"QPTL", QPTL{Oracle: sp}},
		{"MOM", mom},
	}
	var cases []testutil.Case
	for _, l := range losses {
		cases = append(cases,
			testutil.Case{Name: l.name + "/valid", Call: eval(l.l, g(), chat, ds, 1)},
			testutil.Case{Name: l.name + "/nil dataset", Want: ErrInvalid, Call: eval(l.l, g(), chat, nil, 0)},
			testutil.Case{Name: l.name + "/pair out of range", Want: ErrInvalid, Call: eval(l.l, g(), chat, ds, 4)},
			testutil.Case{Name: l.name + "/chat length", Want: ErrDims, Call: eval(l.l, g(), chat[1:], ds, 0)},
			testutil.Case{Name: l.name + "/NaN chat", Want: ErrNaN, Call: eval(l.l, g(), nanVec(sp.Dim()), ds, 0)},
		)
	}
	cases = append(cases,
		testutil.Case{Name: "LayerLoss/nil layer", Want: ErrInvalid, Call: eval(LayerLoss{Oracle: sp}, g(), chat, ds, 0)},
		testutil.Case{Name: "LayerLoss/wrong layer size", Want: ErrDims, Call: eval(LayerLoss{Oracle: sp, Layer: layers.Projection{N: 1, Set: project.Simplex{Radius: 1}}}, g(), chat, ds, 0)},
		testutil.Case{Name: "LayerLoss/panicking layer", Want: ErrCallback, Call: eval(LayerLoss{Oracle: sp, Layer: panicLayer}, g(), chat, ds, 0)},
		testutil.Case{Name: "SurCo/nil objectives", Want: ErrInvalid, Call: eval(SurCo{Oracle: sp}, g(), chat, ds, 0)},
		testutil.Case{Name: "SurCo/panicking objective", Want: ErrCallback, Call: eval(SurCo{Oracle: sp, Objectives: func(*Dataset, int) Objective {
			return func(grad, w []float64) float64 { panic("objective boom") }
		}}, g(), chat, ds, 0)},
		testutil.Case{Name: "QPTL/nil oracle", Want: ErrInvalid, Call: eval(QPTL{}, g(), chat, ds, 0)},
		testutil.Case{Name: "QPTL/mu NaN", Want: ErrInvalid, Call: eval(QPTL{Oracle: sp, Mu: math.NaN()}, g(), chat, ds, 0)},
		testutil.Case{Name: "LPTemplate/nil", Call: func(context.Context) (func() error, error) {
			return func() error {
				if LPTemplate(nil) != nil {
					return errors.New("template of nil")
				}
				return nil
			}, nil
		}},
	)
	testutil.RunAdversarial(t, cases)
}

// panicSet is a user projection set that panics.
type panicSet struct{}

func (panicSet) Project(dst, y []float64) error              { panic("set boom") }
func (panicSet) VJP(dst, x, y, g []float64) error            { panic("set boom") }
func (panicSet) JVP(dst, x, y, v []float64) error            { panic("set boom") }
func (panicSet) Jacobian(x, y []float64) (*mat.Dense, error) { panic("set boom") }

func nanVec(n int) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = math.NaN()
	}
	return v
}
