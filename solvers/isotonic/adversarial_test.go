package isotonic

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"testing"

	"github.com/optlayers/optlayers/implicit"
	"github.com/optlayers/optlayers/internal/testutil"
)

// isoCheck checks that v is finite and monotone (non-decreasing, or
// non-increasing when decreasing).
func isoCheck(v []float64, decreasing bool) func() error {
	return func() error {
		if err := testutil.Finite("isotonic", v); err != nil {
			return err
		}
		for i := 1; i < len(v); i++ {
			if (!decreasing && v[i] < v[i-1]) || (decreasing && v[i] > v[i-1]) {
				return fmt.Errorf("not monotone at %d: %v", i, v)
			}
		}
		return nil
	}
}

// TestAdversarialRegression: Regression and RegressionKL and their
// products with empty, mismatched, non-finite and extreme input, nil
// results, and one Solution from 8 goroutines (documented safe).
func TestAdversarialRegression(t *testing.T) {
	y := []float64{3, 1, 2, 5, 4}
	reg := func(y, w []float64, decreasing bool, n int) func(context.Context) (func() error, error) {
		return func(context.Context) (func() error, error) {
			dst := make([]float64, n)
			_, err := Regression(dst, y, w, decreasing)
			return isoCheck(dst, decreasing), err
		}
	}
	kl := func(s, w []float64, n int) func(context.Context) (func() error, error) {
		return func(context.Context) (func() error, error) {
			dst := make([]float64, n)
			_, err := RegressionKL(dst, s, w)
			return func() error { return testutil.Finite("RegressionKL", dst) }, err
		}
	}
	sol, err := Regression(make([]float64, 5), y, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	solKL, err := RegressionKL(make([]float64, 5), y, []float64{5, 4, 3, 2, 1})
	if err != nil {
		t.Fatal(err)
	}
	nan := []float64{1, math.NaN(), 0, 0, 0}
	cases := []testutil.Case{
		{Name: "ok", Call: reg(y, nil, false, 5)},
		{Name: "ok decreasing weighted", Call: reg(y, []float64{1, 2, 3, 4, 5}, true, 5)},
		{Name: "n=1", Call: reg([]float64{7}, nil, false, 1)},
		{Name: "empty", Want: ErrDims, Call: reg(nil, nil, false, 0)},
		{Name: "short dst", Want: ErrDims, Call: reg(y, nil, false, 4)},
		{Name: "short weights", Want: ErrDims, Call: reg(y, []float64{1, 1}, false, 5)},
		{Name: "NaN y", Want: ErrNaN, Call: reg(nan, nil, false, 5)},
		{Name: "-Inf y", Want: ErrNaN, Call: reg([]float64{1, math.Inf(-1), 0, 0, 0}, nil, false, 5)},
		{Name: "NaN weight", Any: []error{ErrNaN, ErrWeights}, Call: reg(y, nan, false, 5)},
		{Name: "zero weight", Want: ErrWeights, Call: reg(y, []float64{1, 0, 1, 1, 1}, false, 5)},
		{Name: "negative weight", Want: ErrWeights, Call: reg(y, []float64{1, -1, 1, 1, 1}, false, 5)},
		{Name: "y=±1e300", Any: []error{ErrNaN}, Call: reg([]float64{1e300, -1e300, 1e300, -1e300, 1e300}, nil, false, 5)},
		{Name: "y=1e308 pooled", Any: []error{ErrNaN}, Call: reg([]float64{1.7e308, 1.7e308, -1e308, 0, 0}, nil, false, 5)},
		{Name: "weights 1e300 and 1e-300", Any: []error{ErrNaN}, Call: reg(y, []float64{1e300, 1e-300, 1e300, 1e-300, 1e300}, false, 5)},
		{Name: "weights 1e308", Any: []error{ErrNaN}, Call: reg([]float64{2, 1, 0, 0, 0}, []float64{1e308, 1e308, 1, 1, 1}, false, 5)},
		{Name: "KL/ok", Call: kl(y, []float64{5, 4, 3, 2, 1}, 5)},
		{Name: "KL/empty", Want: ErrDims, Call: kl(nil, nil, 0)},
		{Name: "KL/mismatched", Want: ErrDims, Call: kl(y, y[:4], 5)},
		{Name: "KL/NaN s", Want: ErrNaN, Call: kl(nan, y, 5)},
		{Name: "KL/NaN w", Want: ErrNaN, Call: kl(y, nan, 5)},
		{Name: "KL/±1e300", Any: []error{ErrNaN}, Call: kl([]float64{1e300, -1e300, 1e300, -1e300, 0}, []float64{-1e300, 1e300, 0, 1, 2}, 5)},
		{Name: "Solution/VJP NaN g", Want: ErrNaN, Call: func(context.Context) (func() error, error) {
			return nil, sol.VJP(make([]float64, 5), nan)
		}},
		{Name: "Solution/JVP Inf dy", Want: ErrNaN, Call: func(context.Context) (func() error, error) {
			return nil, sol.JVP(make([]float64, 5), []float64{0, 0, math.Inf(1), 0, 0})
		}},
		{Name: "Solution/VJP 1e308 g overflows", Any: []error{ErrNaN}, Call: func(context.Context) (func() error, error) {
			dst := make([]float64, 5)
			err := sol.VJP(dst, []float64{1.7e308, 1.7e308, 1.7e308, 1.7e308, 1.7e308})
			return func() error { return testutil.Finite("VJP", dst) }, err
		}},
		{Name: "Solution/VJP short", Want: ErrDims, Call: func(context.Context) (func() error, error) {
			return nil, sol.VJP(make([]float64, 4), make([]float64, 5))
		}},
		{Name: "Solution/nil", Want: ErrInvalid, Call: func(context.Context) (func() error, error) {
			var s *Solution
			if s.Len() != 0 || s.Blocks() != 0 {
				return nil, errors.New("nil Solution has a length")
			}
			return nil, errors.Join(s.VJP(nil, nil), s.JVP(nil, nil))
		}},
		{Name: "SolutionKL/nil", Want: ErrInvalid, Call: func(context.Context) (func() error, error) {
			var s *SolutionKL
			if s.Len() != 0 {
				return nil, errors.New("nil SolutionKL has a length")
			}
			return nil, errors.Join(s.Backward(nil, nil, nil), s.Tangent(nil, nil, nil))
		}},
		{Name: "SolutionKL/VJP NaN g", Want: ErrNaN, Call: func(context.Context) (func() error, error) {
			return nil, solKL.Backward(make([]float64, 5), make([]float64, 5), nan)
		}},
		{Name: "SolutionKL/JVP NaN dw", Want: ErrNaN, Call: func(context.Context) (func() error, error) {
			return nil, solKL.Tangent(make([]float64, 5), nil, nan)
		}},
		{Name: "SolutionKL/JVP short", Want: ErrDims, Call: func(context.Context) (func() error, error) {
			return nil, solKL.Tangent(make([]float64, 5), make([]float64, 2), nil)
		}},
		{Name: "Solution/8 goroutines", Call: func(context.Context) (func() error, error) {
			ref := make([]float64, 5)
			g := []float64{1, -2, 3, -4, 5}
			if err := sol.VJP(ref, g); err != nil {
				return nil, err
			}
			errs := make([]error, 8)
			var wg sync.WaitGroup
			for k := range 8 {
				wg.Go(func() {
					out := make([]float64, 5)
					for range 100 {
						if err := sol.VJP(out, g); err != nil {
							errs[k] = err
							return
						}
						for i := range out {
							if out[i] != ref[i] {
								errs[k] = fmt.Errorf("goroutine %d: %v, want %v", k, out, ref)
								return
							}
						}
						if err := solKL.Tangent(make([]float64, 5), g, g); err != nil {
							errs[k] = err
							return
						}
					}
				})
			}
			wg.Wait()
			return func() error { return errors.Join(errs...) }, nil
		}},
	}
	testutil.RunAdversarial(t, cases)
}

// TestAdversarialProject: Project and its products, with unknown
// regularizations, bad shapes, non-finite and extreme input, nil results
// and one Projection from 8 goroutines (documented safe).
func TestAdversarialProject(t *testing.T) {
	z := []float64{0.3, -1, 2, 0.5}
	w := []float64{4, 3, 2, 1}
	proj := func(z, w []float64, reg Regularization, n int) func(context.Context) (func() error, error) {
		return func(context.Context) (func() error, error) {
			dst := make([]float64, n)
			p, err := Project(dst, z, w, reg)
			return func() error {
				if err := testutil.Finite("Project", dst); err != nil {
					return err
				}
				if reg == L2 {
					// The projection onto the permutahedron of w keeps the sum.
					var sd, sw float64
					for i := range dst {
						sd += dst[i]
						sw += w[i]
					}
					if math.Abs(sd-sw) > 1e-9*math.Max(1, math.Abs(sw)) {
						return fmt.Errorf("sum %v, want %v", sd, sw)
					}
				}
				gz, gw := make([]float64, n), make([]float64, n)
				if err := p.Backward(gz, gw, dst); err != nil && !errors.Is(err, ErrNaN) {
					return err
				}
				return nil
			}, err
		}
	}
	p, err := Project(make([]float64, 4), z, w, KL)
	if err != nil {
		t.Fatal(err)
	}
	nan := []float64{0, math.NaN(), 0, 0}
	var cases []testutil.Case
	for _, reg := range []Regularization{L2, KL} {
		name := reg.String()
		cases = append(cases,
			testutil.Case{Name: name + "/ok", Call: proj(z, w, reg, 4)},
			testutil.Case{Name: name + "/n=1", Call: proj([]float64{3}, []float64{1}, reg, 1)},
			testutil.Case{Name: name + "/empty", Want: ErrDims, Call: proj(nil, nil, reg, 0)},
			testutil.Case{Name: name + "/short w", Want: ErrDims, Call: proj(z, w[:3], reg, 4)},
			testutil.Case{Name: name + "/short dst", Want: ErrDims, Call: proj(z, w, reg, 3)},
			testutil.Case{Name: name + "/NaN z", Want: ErrNaN, Call: proj(nan, w, reg, 4)},
			testutil.Case{Name: name + "/Inf w", Want: ErrNaN, Call: proj(z, []float64{math.Inf(1), 0, 0, 0}, reg, 4)},
			testutil.Case{Name: name + "/z=±1e300", Any: []error{ErrNaN}, Call: proj([]float64{1e300, -1e300, 0, 1e300}, w, reg, 4)},
			testutil.Case{Name: name + "/w=±1e300", Any: []error{ErrNaN}, Call: proj(z, []float64{1e300, -1e300, 0, 1e300}, reg, 4)},
			testutil.Case{Name: name + "/1e-300", Call: proj([]float64{1e-300, -1e-300, 0, 2e-300}, []float64{3e-300, 1e-300, 0, 2e-300}, reg, 4)},
		)
	}
	cases = append(cases,
		testutil.Case{Name: "unknown regularization", Want: ErrInvalid, Call: proj(z, w, Regularization(5), 4)},
		testutil.Case{Name: "negative regularization", Want: ErrInvalid, Call: proj(z, w, Regularization(-1), 4)},
		testutil.Case{Name: "VJP NaN g", Want: ErrNaN, Call: func(context.Context) (func() error, error) {
			return nil, p.Backward(make([]float64, 4), nil, nan)
		}},
		testutil.Case{Name: "JVP NaN dz", Want: ErrNaN, Call: func(context.Context) (func() error, error) {
			return nil, p.Tangent(make([]float64, 4), nan, nil)
		}},
		testutil.Case{Name: "nil Projection", Want: ErrInvalid, Call: func(context.Context) (func() error, error) {
			var q *Projection
			if q.Len() != 0 || q.Blocks() != nil {
				return nil, errors.New("nil Projection has a length")
			}
			return nil, errors.Join(q.Backward(nil, nil, nil), q.Tangent(nil, nil, nil))
		}},
		testutil.Case{Name: "8 goroutines", Call: func(context.Context) (func() error, error) {
			g := []float64{1, -2, 3, -4}
			ref := make([]float64, 4)
			if err := p.Backward(ref, nil, g); err != nil {
				return nil, err
			}
			errs := make([]error, 8)
			var wg sync.WaitGroup
			for k := range 8 {
				wg.Go(func() {
					out := make([]float64, 4)
					for range 100 {
						if err := p.Backward(out, nil, g); err != nil {
							errs[k] = err
							return
						}
						for i := range out {
							if out[i] != ref[i] {
								errs[k] = fmt.Errorf("goroutine %d: %v, want %v", k, out, ref)
								return
							}
						}
						if _, err := Project(make([]float64, 4), z, w, L2); err != nil {
							errs[k] = err
							return
						}
					}
				})
			}
			wg.Wait()
			return func() error { return errors.Join(errs...) }, nil
		}},
	)
	testutil.RunAdversarial(t, cases)
}

// TestAdversarialMaps: PermutahedronMap and RegressionMap with bad sizes,
// steps and enums, and their products through the engine.
func TestAdversarialMaps(t *testing.T) {
	mk := func(build func() (implicit.Map, error), x, theta []float64) func(context.Context) (func() error, error) {
		return func(context.Context) (func() error, error) {
			m, err := build()
			if err != nil {
				return nil, err
			}
			g, err := implicit.VJP(context.Background(), implicit.FixedPoint(m), x, theta, []float64{1, 0, -1}, nil)
			return func() error { return testutil.Finite("VJP", g) }, err
		}
	}
	perm := func(n int, reg Regularization, eta float64) func() (implicit.Map, error) {
		return func() (implicit.Map, error) { return PermutahedronMap(n, reg, eta) }
	}
	iso := func(n int, w []float64, eta float64) func() (implicit.Map, error) {
		return func() (implicit.Map, error) { return RegressionMap(n, w, false, eta) }
	}
	z := []float64{0.3, -1, 2}
	w := []float64{3, 2, 1}
	theta := append(append([]float64(nil), z...), w...)
	xPerm := make([]float64, 3)
	if _, err := Project(xPerm, z, w, L2); err != nil {
		t.Fatal(err)
	}
	y := []float64{3, 1, 2}
	xIso := make([]float64, 3)
	if _, err := Regression(xIso, y, nil, false); err != nil {
		t.Fatal(err)
	}
	testutil.RunAdversarial(t, []testutil.Case{
		{Name: "Permutahedron/ok", Call: mk(perm(3, L2, 0.5), xPerm, theta)},
		{Name: "Permutahedron/n=0", Want: ErrDims, Call: mk(perm(0, L2, 0.5), xPerm, theta)},
		{Name: "Permutahedron/n=-1", Want: ErrDims, Call: mk(perm(-1, L2, 0.5), xPerm, theta)},
		{Name: "Permutahedron/η=0", Want: ErrStep, Call: mk(perm(3, L2, 0), xPerm, theta)},
		{Name: "Permutahedron/η=1.5", Want: ErrStep, Call: mk(perm(3, L2, 1.5), xPerm, theta)},
		{Name: "Permutahedron/η=NaN", Want: ErrStep, Call: mk(perm(3, L2, math.NaN()), xPerm, theta)},
		{Name: "Permutahedron/unknown reg", Want: ErrInvalid, Call: mk(perm(3, Regularization(7), 0.5), xPerm, theta)},
		{Name: "Permutahedron/NaN θ", Any: []error{ErrNaN, implicit.ErrNaN}, Call: mk(perm(3, L2, 0.5), xPerm, []float64{0, math.NaN(), 0, 1, 2, 3})},
		{Name: "Permutahedron/short θ", Any: []error{ErrDims, implicit.ErrDims}, Call: mk(perm(3, L2, 0.5), xPerm, theta[:5])},
		{Name: "Regression/ok", Call: mk(iso(3, nil, 1), xIso, y)},
		{Name: "Regression/n=0", Want: ErrDims, Call: mk(iso(0, nil, 1), xIso, y)},
		{Name: "Regression/short weights", Want: ErrDims, Call: mk(iso(3, []float64{1}, 1), xIso, y)},
		{Name: "Regression/NaN weights", Want: ErrNaN, Call: mk(iso(3, []float64{1, math.NaN(), 1}, 1), xIso, y)},
		{Name: "Regression/zero weight", Want: ErrWeights, Call: mk(iso(3, []float64{1, 0, 1}, 1), xIso, y)},
		{Name: "Regression/η=-1", Want: ErrStep, Call: mk(iso(3, nil, -1), xIso, y)},
		{Name: "Regression/NaN y", Any: []error{ErrNaN, implicit.ErrNaN}, Call: mk(iso(3, nil, 1), xIso, []float64{1, math.NaN(), 2})},
	})
}

// TestAdversarialNilReceivers: every method of the exported pointer types
// on a nil receiver: no panic, errors match ErrInvalid.
func TestAdversarialNilReceivers(t *testing.T) {
	testutil.RunAdversarial(t, testutil.NilReceivers(ErrInvalid, (*Projection)(nil), (*Solution)(nil), (*SolutionKL)(nil)))
}

// TestAdversarialZeroReceivers: every method of the exported pointer types
// on a pointer to their zero value: no panic, errors match ErrInvalid.
func TestAdversarialZeroReceivers(t *testing.T) {
	testutil.RunAdversarial(t, testutil.ZeroReceivers(ErrInvalid,
		(*Projection)(nil), (*Solution)(nil), (*SolutionKL)(nil)))
}
