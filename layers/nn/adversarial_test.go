package nn

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
)

func advMLP() *MLP {
	m, err := NewMLP([]int{2, 3, 1}, Tanh, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		panic(err)
	}
	return m
}

func TestAdversarialModel(t *testing.T) {
	nan := math.NaN()
	x := mat.NewDense(2, 2, []float64{1, 2, -1, 0.5})
	nanX := mat.NewDense(1, 2, []float64{nan, 0})
	fb := func(m *MLP, x mat.Matrix, dy func(r, c int) mat.Matrix, grad []float64) func(context.Context) (func() error, error) {
		return func(context.Context) (func() error, error) {
			p, err := m.Forward(x)
			if err != nil {
				return nil, err
			}
			r, c := p.Output().Dims()
			if grad == nil {
				grad = make([]float64, len(m.Params()))
			}
			gx, err := p.Backward(grad, dy(r, c), true)
			if err != nil {
				return nil, err
			}
			return func() error { return testutil.Finite("MLP", p.Output().RawMatrix().Data, grad, gx.RawMatrix().Data) }, nil
		}
	}
	ones := func(r, c int) mat.Matrix {
		m := mat.NewDense(r, c, nil)
		for i := range r {
			for j := range c {
				m.Set(i, j, 1)
			}
		}
		return m
	}
	build := func(sizes []int, act Activation) func(context.Context) (func() error, error) {
		return func(context.Context) (func() error, error) {
			_, err := NewMLP(sizes, act, nil)
			return func() error { return nil }, err
		}
	}
	cases := []testutil.Case{
		{Name: "Forward/valid", Call: fb(advMLP(), x, ones, nil)},
		{Name: "Forward/nil MLP", Want: ErrInvalid, Call: fb(nil, x, ones, nil)},
		{Name: "Forward/zero MLP", Want: ErrInvalid, Call: fb(&MLP{}, x, ones, nil)},
		{Name: "Forward/nil x", Want: ErrInvalid, Call: fb(advMLP(), nil, ones, nil)},
		{Name: "Forward/typed nil x", Want: ErrInvalid, Call: fb(advMLP(), (*mat.Dense)(nil), ones, nil)},
		{Name: "Forward/columns", Want: ErrDims, Call: fb(advMLP(), mat.NewDense(1, 3, nil), ones, nil)},
		{Name: "Forward/NaN", Want: ErrNaN, Call: fb(advMLP(), nanX, ones, nil)},
		{Name: "Forward/overflow", Want: ErrNaN, Call: func(ctx context.Context) (func() error, error) {
			m, err := NewLinear(2, 1, nil)
			if err != nil {
				return nil, err
			}
			copy(m.Params(), []float64{1, 1, 0})
			return fb(m, mat.NewDense(1, 2, []float64{1.7e308, 1.7e308}), ones, nil)(ctx)
		}},
		{Name: "Forward/1e300", Any: []error{ErrNaN}, Call: fb(advMLP(), mat.NewDense(1, 2, []float64{1e300, -1e300}), ones, nil)},
		{Name: "Backward/nil dy", Want: ErrInvalid, Call: fb(advMLP(), x, func(int, int) mat.Matrix { return nil }, nil)},
		{Name: "Backward/typed nil dy", Want: ErrInvalid, Call: fb(advMLP(), x, func(int, int) mat.Matrix { return (*mat.Dense)(nil) }, nil)},
		{Name: "Backward/dy shape", Want: ErrDims, Call: fb(advMLP(), x, func(r, c int) mat.Matrix { return ones(r, c+1) }, nil)},
		{Name: "Backward/grad length", Want: ErrDims, Call: fb(advMLP(), x, ones, []float64{0})},
		{Name: "Backward/NaN dy", Want: ErrNaN, Call: fb(advMLP(), x, func(r, c int) mat.Matrix {
			m := ones(r, c).(*mat.Dense)
			m.Set(0, 0, nan)
			return m
		}, nil)},
		{Name: "Backward/nil Pass", Want: ErrInvalid, Call: func(context.Context) (func() error, error) {
			var p *Pass
			if p.Output() != nil {
				return nil, errors.New("output of a nil pass")
			}
			_, err := p.Backward(nil, ones(1, 1), false)
			return nil, err
		}},
		{Name: "NewMLP/one size", Want: ErrDims, Call: build([]int{3}, ReLU)},
		{Name: "NewMLP/nil sizes", Want: ErrDims, Call: build(nil, ReLU)},
		{Name: "NewMLP/zero size", Want: ErrDims, Call: build([]int{2, 0, 1}, ReLU)},
		{Name: "NewMLP/negative size", Want: ErrDims, Call: build([]int{2, -1}, ReLU)},
		{Name: "NewMLP/huge", Want: ErrDims, Call: build([]int{1 << 30, 1 << 30, 2}, ReLU)},
		{Name: "NewMLP/overflowing", Want: ErrDims, Call: build([]int{math.MaxInt, math.MaxInt}, ReLU)},
		{Name: "NewMLP/Activation(7)", Want: ErrInvalid, Call: build([]int{2, 1}, 7)},
		{Name: "NewLinear/zero", Want: ErrDims, Call: func(context.Context) (func() error, error) {
			_, err := NewLinear(0, 1, nil)
			return nil, err
		}},
		{Name: "Dims/nil", Call: func(context.Context) (func() error, error) {
			var m *MLP
			in, out := m.Dims()
			return func() error {
				if in != 0 || out != 0 {
					return fmt.Errorf("dims %d, %d", in, out)
				}
				return nil
			}, nil
		}},
		{Name: "Forward/8 goroutines", Call: func(context.Context) (func() error, error) {
			m := advMLP()
			ref, err := m.Forward(x)
			if err != nil {
				return nil, err
			}
			errs := make([]error, 8)
			var wg sync.WaitGroup
			for k := range 8 {
				wg.Go(func() {
					p, err := m.Forward(x)
					if err == nil && !mat.Equal(p.Output(), ref.Output()) {
						err = fmt.Errorf("goroutine %d: different output", k)
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

func TestAdversarialOptimizers(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	step := func(o Optimizer, params, grad []float64) func(context.Context) (func() error, error) {
		return func(context.Context) (func() error, error) {
			before := append([]float64(nil), params...)
			err := o.Step(params, grad)
			if err != nil {
				for i := range params {
					if params[i] != before[i] && !(math.IsNaN(params[i]) && math.IsNaN(before[i])) {
						return nil, fmt.Errorf("failed step changed parameter %d: %w", i, err)
					}
				}
				return nil, err
			}
			return func() error { return testutil.Finite("params", params) }, nil
		}
	}
	p := func() []float64 { return []float64{1, 2, 3} }
	g := []float64{0.1, -0.2, 0.3}
	nanLate := []float64{0.1, 0.2, nan}
	cases := []testutil.Case{
		{Name: "SGD/valid", Call: step(&SGD{Momentum: 0.5}, p(), g)},
		{Name: "SGD/nil", Want: ErrInvalid, Call: step((*SGD)(nil), p(), g)},
		{Name: "SGD/length", Want: ErrDims, Call: step(&SGD{}, p(), g[:2])},
		{Name: "SGD/NaN gradient keeps params", Want: ErrNaN, Call: step(&SGD{}, p(), nanLate)},
		{Name: "SGD/NaN gradient with momentum", Want: ErrNaN, Call: step(&SGD{Momentum: 0.9}, p(), nanLate)},
		{Name: "SGD/negative rate", Want: ErrInvalid, Call: step(&SGD{LearningRate: -1}, p(), g)},
		{Name: "SGD/NaN rate", Want: ErrInvalid, Call: step(&SGD{LearningRate: nan}, p(), g)},
		{Name: "SGD/momentum 1", Want: ErrInvalid, Call: step(&SGD{Momentum: 1}, p(), g)},
		{Name: "SGD/momentum -0.1", Want: ErrInvalid, Call: step(&SGD{Momentum: -0.1}, p(), g)},
		{Name: "SGD/weight decay Inf", Want: ErrInvalid, Call: step(&SGD{WeightDecay: inf}, p(), g)},
		{Name: "Adam/valid", Call: step(&Adam{}, p(), g)},
		{Name: "Adam/nil", Want: ErrInvalid, Call: step((*Adam)(nil), p(), g)},
		{Name: "Adam/length", Want: ErrDims, Call: step(&Adam{}, p(), nil)},
		{Name: "Adam/Inf gradient", Want: ErrNaN, Call: step(&Adam{}, p(), []float64{inf, 0, 0})},
		{Name: "Adam/beta1 1", Want: ErrInvalid, Call: step(&Adam{Beta1: 1}, p(), g)},
		{Name: "Adam/beta2 NaN", Want: ErrInvalid, Call: step(&Adam{Beta2: nan}, p(), g)},
		{Name: "Adam/epsilon -1", Want: ErrInvalid, Call: step(&Adam{Epsilon: -1}, p(), g)},
		{Name: "Adam/negative rate", Want: ErrInvalid, Call: step(&Adam{LearningRate: -1e-3}, p(), g)},
		{Name: "Adam/1e300 gradient", Any: []error{ErrNaN}, Call: step(&Adam{}, p(), []float64{1e300, -1e300, 1e-300})},
	}
	testutil.RunAdversarial(t, cases)
}

func TestAdversarialBatches(t *testing.T) {
	covers := func(n int, b [][]int) error {
		seen := make([]bool, n)
		for _, batch := range b {
			for _, i := range batch {
				if i < 0 || i >= n || seen[i] {
					return fmt.Errorf("index %d repeated or out of range", i)
				}
				seen[i] = true
			}
		}
		for i, s := range seen {
			if !s {
				return fmt.Errorf("index %d missing", i)
			}
		}
		return nil
	}
	var cases []testutil.Case
	for _, c := range []struct {
		n, size int
		rng     *rand.Rand
	}{{0, 3, nil}, {-5, 3, nil}, {5, 0, nil}, {5, -1, nil}, {5, 99, nil}, {7, 3, rand.New(rand.NewPCG(1, 1))}, {1, 1, nil}} {
		cases = append(cases, testutil.Case{Name: fmt.Sprintf("n=%d size=%d rng=%v", c.n, c.size, c.rng != nil), Call: func(context.Context) (func() error, error) {
			b := Batches(c.n, c.size, c.rng)
			return func() error { return covers(max(c.n, 0), b) }, nil
		}})
	}
	cases = append(cases, testutil.Case{Name: "Metric(9).Value", Call: func(context.Context) (func() error, error) {
		v, d := Metric(9).Value(Confusion{1, 1, 1, 1}, 1)
		return func() error { return testutil.Finite("Value", []float64{v, d.TP, d.FN, d.FP, d.TN}) }, nil
	}})
	testutil.RunAdversarial(t, cases)
}

func TestAdversarialAnyLoss(t *testing.T) {
	eval := func(l AnyLoss, grad, logits, labels []float64) func(context.Context) (func() error, error) {
		return func(context.Context) (func() error, error) {
			v, err := l.Eval(grad, logits, labels)
			return func() error { return testutil.Finite("AnyLoss", []float64{v}, grad) }, err
		}
	}
	z, y := []float64{0.3, -1, 2}, []float64{1, 0, 1}
	cases := []testutil.Case{
		{Name: "valid", Call: eval(AnyLoss{}, make([]float64, 3), z, y)},
		{Name: "empty", Call: eval(AnyLoss{}, nil, nil, nil)},
		{Name: "lengths", Want: ErrDims, Call: eval(AnyLoss{}, nil, z, y[:2])},
		{Name: "grad length", Want: ErrDims, Call: eval(AnyLoss{}, []float64{0}, z, y)},
		{Name: "NaN logit", Want: ErrNaN, Call: eval(AnyLoss{}, nil, []float64{math.NaN(), 0, 0}, y)},
		{Name: "label 2", Want: ErrNaN, Call: eval(AnyLoss{}, nil, z, []float64{2, 0, 1})},
		{Name: "1e300 logits", Call: eval(AnyLoss{Metric: BalancedAccuracy}, make([]float64, 3), []float64{1e300, -1e300, 0}, y)},
		{Name: "Inf logit", Any: []error{ErrNaN}, Call: eval(AnyLoss{}, make([]float64, 3), []float64{math.Inf(1), 0, 0}, y)},
		{Name: "Amplify -1", Want: ErrInvalid, Call: eval(AnyLoss{Amplify: -1}, nil, z, y)},
		{Name: "Beta NaN", Want: ErrInvalid, Call: eval(AnyLoss{Metric: FBeta, Beta: math.NaN()}, nil, z, y)},
		{Name: "Metric(9)", Want: ErrInvalid, Call: eval(AnyLoss{Metric: 9}, nil, z, y)},
		{Name: "Metric(-1)", Want: ErrInvalid, Call: eval(AnyLoss{Metric: -1}, nil, z, y)},
	}
	testutil.RunAdversarial(t, cases)
}
