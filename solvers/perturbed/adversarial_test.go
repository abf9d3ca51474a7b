package perturbed

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/optlayers/optlayers/internal/testutil"
)

func relNear(got, want []float64, tol float64) error {
	if len(got) != len(want) {
		return fmt.Errorf("length %d, want %d", len(got), len(want))
	}
	scale := maxAbs(want)
	for i := range got {
		if math.Abs(got[i]-want[i]) > tol*scale {
			return fmt.Errorf("entry %d = %v, want %v", i, got[i], want[i])
		}
	}
	return nil
}

func forwardCase(name string, o *Optimizer, theta []float64, want error) testutil.Case {
	return testutil.Case{Name: "Forward/" + name, Want: want, Call: func(ctx context.Context) (func() error, error) {
		r, err := o.Forward(ctx, theta)
		if err != nil {
			return nil, err
		}
		return func() error {
			g := make([]float64, o.Dim)
			for i := range g {
				g[i] = 1
			}
			if err := r.VJP(g, g); err != nil && !errors.Is(err, ErrInvalid) {
				return err
			}
			return testutil.Finite("Forward", r.Mean, []float64{r.Value}, g)
		}, nil
	}}
}

func TestAdversarialForward(t *testing.T) {
	th := []float64{0.5, -0.2, 0.1}
	opt := func(s *Settings) *Optimizer { return &Optimizer{Oracle: argmaxOracle, Dim: 3, Settings: s} }
	nan, inf := math.NaN(), math.Inf(1)
	panicking := &Optimizer{Dim: 3, Oracle: func(_ context.Context, dst, cost []float64) error { panic("oracle boom") }}
	panicErr := errors.New("oracle error value")
	panicking2 := &Optimizer{Dim: 3, Oracle: func(_ context.Context, dst, cost []float64) error { panic(panicErr) }, Settings: &Settings{Workers: 2}}
	nanOracle := &Optimizer{Dim: 3, Oracle: func(_ context.Context, dst, cost []float64) error { dst[0] = nan; return nil }}
	hugeOracle := &Optimizer{Dim: 3, Oracle: func(_ context.Context, dst, cost []float64) error { dst[0] = 1e308; return nil }}
	errOracle := &Optimizer{Dim: 3, Oracle: func(_ context.Context, dst, cost []float64) error { return errors.New("no") }}
	cases := []testutil.Case{
		forwardCase("valid", opt(nil), th, nil),
		forwardCase("nil optimizer", nil, th, ErrInvalid),
		forwardCase("nil oracle", &Optimizer{Dim: 3}, th, ErrInvalid),
		forwardCase("Dim 0", &Optimizer{Oracle: argmaxOracle}, nil, ErrInvalid),
		forwardCase("Dim -1", &Optimizer{Oracle: argmaxOracle, Dim: -1}, nil, ErrInvalid),
		forwardCase("len theta", opt(nil), th[:2], ErrInvalid),
		forwardCase("nil theta", opt(nil), nil, ErrInvalid),
		forwardCase("NaN theta", opt(nil), []float64{nan, 0, 0}, ErrInvalid),
		forwardCase("Inf theta", opt(nil), []float64{inf, 0, 0}, ErrInvalid),
		forwardCase("1e308 theta", opt(nil), []float64{1e308, -1e308, 0}, ErrInvalid),
		forwardCase("1e-300 theta", opt(nil), []float64{1e-300, -1e-300, 0}, nil),
		forwardCase("Samples -1", opt(&Settings{Samples: -1}), th, ErrInvalid),
		forwardCase("Sigma -1", opt(&Settings{Sigma: -1}), th, ErrInvalid),
		forwardCase("Sigma NaN", opt(&Settings{Sigma: nan}), th, ErrInvalid),
		forwardCase("Sigma Inf", opt(&Settings{Sigma: inf}), th, ErrInvalid),
		forwardCase("Sigma 1e308", opt(&Settings{Sigma: 1e308}), th, ErrInvalid),
		forwardCase("Sigma 1e-300", opt(&Settings{Sigma: 1e-300}), th, nil),
		forwardCase("Samples MaxInt", opt(&Settings{Samples: math.MaxInt}), th, ErrInvalid),
		forwardCase("Noise(7)", opt(&Settings{Noise: 7}), th, ErrInvalid),
		forwardCase("Noise(-1)", opt(&Settings{Noise: -1}), th, ErrInvalid),
		forwardCase("Antithetic Gumbel", opt(&Settings{Noise: Gumbel, Antithetic: true}), th, ErrInvalid),
		forwardCase("Workers -1", opt(&Settings{Workers: -1}), th, ErrInvalid),
		forwardCase("panicking oracle", panicking, th, ErrCallback),
		forwardCase("panicking oracle is an oracle failure", panicking, th, ErrOracle),
		forwardCase("panic value is unwrapped", panicking2, th, panicErr),
		forwardCase("panicking oracle, control variate", &Optimizer{Dim: 3, Oracle: panicking.Oracle, Settings: &Settings{ControlVariate: true}}, th, ErrCallback),
		forwardCase("oracle error", errOracle, th, ErrOracle),
		forwardCase("oracle NaN", nanOracle, th, ErrOracle),
		forwardCase("oracle NaN, control variate", &Optimizer{Dim: 3, Oracle: nanOracle.Oracle, Settings: &Settings{ControlVariate: true}}, th, ErrOracle),
		forwardCase("oracle 1e308", hugeOracle, th, ErrOracle),
		{Name: "Forward/canceled", Want: context.Canceled, Call: func(context.Context) (func() error, error) {
			_, err := opt(nil).Forward(testutil.Canceled(), th)
			return nil, err
		}},
		{Name: "Forward/expiring ctx", Want: context.DeadlineExceeded, Call: func(ctx context.Context) (func() error, error) {
			slow := &Optimizer{Dim: 3, Settings: &Settings{Samples: 1000, Workers: 2}, Oracle: func(_ context.Context, dst, cost []float64) error {
				time.Sleep(time.Millisecond)
				return argmaxOracle(context.Background(), dst, cost)
			}}
			ctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
			defer cancel()
			_, err := slow.Forward(ctx, th)
			return nil, err
		}},
		{Name: "Forward/nil ctx", Call: func(context.Context) (func() error, error) {
			r, err := opt(nil).Forward(nil, th) //nolint:staticcheck // a nil ctx is what is tested
			return func() error { return testutil.Finite("mean", r.Mean) }, err
		}},
		{Name: "Mean/panicking oracle", Want: ErrCallback, Call: func(ctx context.Context) (func() error, error) {
			_, _, err := panicking.Mean(ctx, th)
			return nil, err
		}},
		{Name: "Mean/canceled", Want: context.Canceled, Call: func(context.Context) (func() error, error) {
			_, _, err := opt(nil).Mean(testutil.Canceled(), th)
			return nil, err
		}},
		{Name: "VJP/len g", Want: ErrInvalid, Call: func(ctx context.Context) (func() error, error) {
			_, _, err := opt(nil).VJP(ctx, th, []float64{1})
			return nil, err
		}},
		{Name: "VJP/NaN g", Want: ErrInvalid, Call: func(ctx context.Context) (func() error, error) {
			_, _, err := opt(nil).VJP(ctx, th, []float64{nan, 0, 0})
			return nil, err
		}},
		{Name: "FenchelYoung/len y", Want: ErrInvalid, Call: func(ctx context.Context) (func() error, error) {
			_, _, err := opt(nil).FenchelYoung(ctx, th, nil)
			return nil, err
		}},
		{Name: "FenchelYoung/Inf y", Want: ErrInvalid, Call: func(ctx context.Context) (func() error, error) {
			_, _, err := opt(nil).FenchelYoung(ctx, th, []float64{inf, 0, 0})
			return nil, err
		}},
		{Name: "FenchelYoung/1e308 y", Any: []error{ErrInvalid}, Call: func(ctx context.Context) (func() error, error) {
			l, g, err := opt(nil).FenchelYoung(ctx, []float64{1e308, 0, 0}, []float64{1e308, 0, 0})
			return func() error { return testutil.Finite("FY", []float64{l}, g) }, err
		}},
		{Name: "FenchelYoung/panicking oracle", Want: ErrCallback, Call: func(ctx context.Context) (func() error, error) {
			_, _, err := panicking.FenchelYoung(ctx, th, []float64{1, 0, 0})
			return nil, err
		}},
		{Name: "Forward/8 goroutines", Call: func(ctx context.Context) (func() error, error) {
			o := opt(&Settings{Seed: 3})
			ref, err := o.Forward(ctx, th)
			if err != nil {
				return nil, err
			}
			errs := make([]error, 8)
			var wg sync.WaitGroup
			for k := range 8 {
				wg.Go(func() {
					r, err := o.Forward(ctx, th)
					if err == nil {
						err = relNear(r.Mean, ref.Mean, 0)
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

// TestAdversarialResult covers the Jacobian products near the float64
// range (issue 19: θ = (9.094e307, 1.398e-76), σ = 2.5e307, 95 samples
// gave a VJP of (−0, NaN) with a nil error, and wherever σM overflows the
// old code returned zeros). The estimator scales exactly: at (cθ, cσ) the
// oracle outputs and scores are those at (θ, σ), so VJP(c·) = VJP/c, and
// the big-scale products must match the unit-scale ones. A minimization
// with a dominant θ₀ keeps the value estimate (of mean zero) in range.
func TestAdversarialResult(t *testing.T) {
	th := []float64{3.6, 0, 0.2}
	g0 := []float64{1, -2, 0.5}
	const c, gs = 4e306, 1e300 // σM = 3.8e308 overflows with M = 95
	run := func(scale float64, s Settings) *Result {
		big := make([]float64, len(th))
		for i := range th {
			big[i] = th[i] * scale
		}
		s.Sigma *= scale
		s.Minimize, s.Samples = true, 95
		r, err := (&Optimizer{Oracle: argminOracle, Dim: 3, Settings: &s}).Forward(context.Background(), big)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	var cases []testutil.Case
	for _, s := range []Settings{{Sigma: 1, Seed: 1}, {Sigma: 1, Seed: 2, ControlVariate: true}, {Sigma: 2, Seed: 3, Noise: Gumbel}} {
		ref, big := run(1, s), run(c, s)
		name := fmt.Sprintf("σ=%g cv=%v %v", s.Sigma, s.ControlVariate, s.Noise)
		cases = append(cases,
			testutil.Case{Name: "VJP/" + name, Call: func(context.Context) (func() error, error) {
				want := make([]float64, 3)
				if err := ref.VJP(want, g0); err != nil {
					return nil, err
				}
				g := []float64{g0[0] * gs, g0[1] * gs, g0[2] * gs}
				got := make([]float64, 3)
				err := big.VJP(got, g)
				return func() error {
					for i := range want {
						want[i] *= gs / c
					}
					return relNear(got, want, 1e-12)
				}, err
			}},
			testutil.Case{Name: "VJP aliased/" + name, Call: func(context.Context) (func() error, error) {
				want := make([]float64, 3)
				if err := ref.VJP(want, g0); err != nil {
					return nil, err
				}
				g := []float64{g0[0] * gs, g0[1] * gs, g0[2] * gs}
				err := big.VJP(g, g)
				return func() error {
					for i := range want {
						want[i] *= gs / c
					}
					return relNear(g, want, 1e-12)
				}, err
			}},
			testutil.Case{Name: "JVP/" + name, Call: func(context.Context) (func() error, error) {
				want := make([]float64, 3)
				if err := ref.JVP(want, g0); err != nil {
					return nil, err
				}
				v := []float64{g0[0] * gs, g0[1] * gs, g0[2] * gs}
				err := big.JVP(v, v)
				return func() error {
					for i := range want {
						want[i] *= gs / c
					}
					return relNear(v, want, 1e-12)
				}, err
			}},
			testutil.Case{Name: "Jacobian/" + name, Call: func(context.Context) (func() error, error) {
				want, err := ref.Jacobian()
				if err != nil {
					return nil, err
				}
				got, err := big.Jacobian()
				if err != nil {
					return nil, err
				}
				return func() error {
					w := want.RawMatrix().Data
					for i := range w {
						w[i] /= c
					}
					return relNear(got.RawMatrix().Data, w, 1e-12)
				}, nil
			}},
		)
	}
	huge := &Optimizer{Dim: 2, Oracle: func(_ context.Context, dst, cost []float64) error { dst[0] = 1e307; return nil }, Settings: &Settings{Sigma: 1e-300}}
	hr, err := huge.Forward(context.Background(), []float64{0, 0})
	if err != nil {
		t.Fatal(err)
	}
	nr, err := (&Optimizer{Dim: 2, Oracle: argmaxOracle}).Forward(context.Background(), []float64{0.3, 0})
	if err != nil {
		t.Fatal(err)
	}
	var nilResult *Result
	cases = append(cases,
		testutil.Case{Name: "VJP/out of range", Want: ErrInvalid, Call: func(context.Context) (func() error, error) {
			dst := make([]float64, 2)
			return func() error { return testutil.Finite("VJP", dst) }, hr.VJP(dst, []float64{1e308, 1})
		}},
		testutil.Case{Name: "JVP/out of range", Want: ErrInvalid, Call: func(context.Context) (func() error, error) {
			dst := make([]float64, 2)
			return func() error { return testutil.Finite("JVP", dst) }, hr.JVP(dst, []float64{1e308, 1})
		}},
		testutil.Case{Name: "Jacobian/out of range", Want: ErrInvalid, Call: func(context.Context) (func() error, error) {
			_, err := hr.Jacobian()
			return nil, err
		}},
		testutil.Case{Name: "VJP/nil result", Want: ErrInvalid, Call: func(context.Context) (func() error, error) {
			return nil, nilResult.VJP(nil, nil)
		}},
		testutil.Case{Name: "JVP/zero Result", Want: ErrInvalid, Call: func(context.Context) (func() error, error) {
			return nil, (&Result{}).JVP(nil, nil)
		}},
		testutil.Case{Name: "Jacobian/Mean only", Want: ErrInvalid, Call: func(context.Context) (func() error, error) {
			return nil, func() error { _, err := nilResult.Jacobian(); return err }()
		}},
		testutil.Case{Name: "VJP/len dst", Want: ErrInvalid, Call: func(context.Context) (func() error, error) {
			return nil, hr.VJP(make([]float64, 1), []float64{1, 1})
		}},
		testutil.Case{Name: "VJP/NaN g", Want: ErrInvalid, Call: func(context.Context) (func() error, error) {
			return nil, hr.VJP(make([]float64, 2), []float64{math.NaN(), 1})
		}},
		testutil.Case{Name: "VJP/8 goroutines", Call: func(context.Context) (func() error, error) {
			want := make([]float64, 2)
			if err := nr.VJP(want, []float64{1, 0}); err != nil {
				return nil, err
			}
			errs := make([]error, 8)
			var wg sync.WaitGroup
			for k := range 8 {
				wg.Go(func() {
					got := make([]float64, 2)
					err := nr.VJP(got, []float64{1, 0})
					if err == nil {
						err = relNear(got, want, 0)
					}
					errs[k] = err
				})
			}
			wg.Wait()
			return func() error { return nil }, errors.Join(errs...)
		}},
	)
	testutil.RunAdversarial(t, cases)
}
