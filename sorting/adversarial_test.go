package sorting

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/internal/testutil"
	"github.com/optlayers/optlayers/sinkhorn"
	"github.com/optlayers/optlayers/solvers/isotonic"
)

// Adversarial input for every exported entry point: a documented sentinel
// or a result that passes an independent check, never a panic.

var nan, inf = math.NaN(), math.Inf(1)

// inPermutahedron checks that r lies in the permutahedron of ρ = (n, …, 1):
// Σr = n(n+1)/2 and the k largest entries sum to at most n + … + (n−k+1).
func inPermutahedron(r []float64) error {
	if err := testutil.Finite("ranks", r); err != nil {
		return err
	}
	n := len(r)
	s := slices.Clone(r)
	slices.Sort(s)
	slices.Reverse(s)
	var acc, bound float64
	for k, v := range s {
		acc += v
		bound += float64(n - k)
		if acc > bound*(1+1e-12)+1e-12 {
			return fmt.Errorf("ranks %v: top %d sum to %v > %v", r, k+1, acc, bound)
		}
	}
	if math.Abs(acc-bound) > 1e-9*bound {
		return fmt.Errorf("ranks %v sum to %v, want %v", r, acc, bound)
	}
	return nil
}

func monotone(v []float64, descending bool) error {
	if err := testutil.Finite("values", v); err != nil {
		return err
	}
	for i := 1; i < len(v); i++ {
		if (!descending && v[i] < v[i-1]) || (descending && v[i] > v[i-1]) {
			return fmt.Errorf("%v is not sorted (descending %v)", v, descending)
		}
	}
	return nil
}

func inCappedSimplex(m []float64, k int) error {
	if err := testutil.Finite("mask", m); err != nil {
		return err
	}
	var s float64
	for i, v := range m {
		if v < -1e-12 || v > 1+1e-12 {
			return fmt.Errorf("mask[%d] = %v outside [0, 1]", i, v)
		}
		s += v
	}
	if math.Abs(s-float64(k)) > 1e-9*max(1, float64(k)) {
		return fmt.Errorf("mask sums to %v, want %d", s, k)
	}
	return nil
}

var advInputs = []struct {
	name string
	x    []float64
	want error
}{
	{"nil", nil, ErrDims},
	{"empty", []float64{}, ErrDims},
	{"NaN", []float64{1, nan, 0}, ErrNaN},
	{"+Inf", []float64{inf, 0, 1}, ErrNaN},
	{"-Inf", []float64{0, -inf, 1}, ErrNaN},
	{"n=1", []float64{3}, nil},
	{"ties", []float64{2, 2, 2}, nil},
	{"ties 1e300", []float64{1e300, 1e300, 1e300}, nil},
	{"±1e300", []float64{1e300, -1e300, 0}, nil},
	{"maxfloat", []float64{math.MaxFloat64, -math.MaxFloat64, 0}, nil},
	{"1e-300", []float64{1e-300, -1e-300, 0}, nil},
	{"subnormal", []float64{5e-324, 0, -5e-324}, nil},
	{"clustered", []float64{1e17, 1e17 + 16, 1e17 - 16}, nil},
}

func TestAdversarialSoft(t *testing.T) {
	var cases []testutil.Case
	for _, reg := range []Regularization{isotonic.L2, isotonic.KL} {
		for _, desc := range []bool{false, true} {
			st := &SoftSettings{Regularization: reg, Descending: desc}
			tag := fmt.Sprintf("%v/desc=%v/", reg, desc)
			for _, in := range advInputs {
				for _, eps := range []float64{1, 1e-3} {
					cases = append(cases,
						testutil.Case{Name: fmt.Sprintf("SoftSort/%s%s/ε=%v", tag, in.name, eps), Want: in.want, Any: []error{ErrNaN},
							Call: func(context.Context) (func() error, error) {
								dst := make([]float64, len(in.x))
								s, err := SoftSort(dst, in.x, eps, st)
								return func() error {
									if err := monotone(dst, desc); err != nil {
										return err
									}
									g := make([]float64, len(dst))
									g[0] = 1
									if err := s.VJP(g, g); err != nil {
										return err
									}
									return testutil.Finite("VJP", g)
								}, err
							}},
						testutil.Case{Name: fmt.Sprintf("SoftRank/%s%s/ε=%v", tag, in.name, eps), Want: in.want, Any: []error{ErrNaN},
							Call: func(context.Context) (func() error, error) {
								dst := make([]float64, len(in.x))
								s, err := SoftRank(dst, in.x, eps, st)
								return func() error {
									if err := inPermutahedron(dst); err != nil {
										return err
									}
									g := make([]float64, len(dst))
									if err := s.JVP(g, in.x); err != nil && !errors.Is(err, ErrNaN) {
										return err
									}
									return nil
								}, err
							}})
					if reg == isotonic.L2 {
						cases = append(cases, testutil.Case{Name: fmt.Sprintf("SoftTopK/%s%s/ε=%v", tag, in.name, eps), Want: in.want, Any: []error{ErrNaN},
							Call: func(context.Context) (func() error, error) {
								dst := make([]float64, len(in.x))
								k := min(1, len(in.x))
								_, err := SoftTopK(dst, in.x, k, eps, st)
								return func() error { return inCappedSimplex(dst, k) }, err
							}})
					}
				}
			}
		}
	}
	x := []float64{3, 1, 2}
	bad := []struct {
		name string
		f    func() error
		want error
	}{
		{"SoftSort/ε=0", func() error { _, err := SoftSort(make([]float64, 3), x, 0, nil); return err }, ErrStrength},
		{"SoftSort/ε<0", func() error { _, err := SoftSort(make([]float64, 3), x, -1, nil); return err }, ErrStrength},
		{"SoftSort/ε NaN", func() error { _, err := SoftSort(make([]float64, 3), x, nan, nil); return err }, ErrStrength},
		{"SoftSort/ε Inf", func() error { _, err := SoftSort(make([]float64, 3), x, inf, nil); return err }, ErrStrength},
		{"SoftSort/ε 1e-300", func() error { _, err := SoftSort(make([]float64, 3), x, 1e-300, nil); return err }, nil},
		{"SoftSort/short dst", func() error { _, err := SoftSort(make([]float64, 2), x, 1, nil); return err }, ErrDims},
		{"SoftSort/unknown regularization", func() error {
			_, err := SoftSort(make([]float64, 3), x, 1, &SoftSettings{Regularization: 7})
			return err
		}, ErrInvalid},
		{"SoftRank/unknown regularization", func() error {
			_, err := SoftRank(make([]float64, 3), x, 1, &SoftSettings{Regularization: -1})
			return err
		}, ErrInvalid},
		{"SoftTopK/k<0", func() error { _, err := SoftTopK(make([]float64, 3), x, -1, 1, nil); return err }, ErrInvalid},
		{"SoftTopK/k>n", func() error { _, err := SoftTopK(make([]float64, 3), x, 4, 1, nil); return err }, ErrInvalid},
		{"SoftTopK/KL", func() error {
			_, err := SoftTopK(make([]float64, 3), x, 1, 1, &SoftSettings{Regularization: isotonic.KL})
			return err
		}, ErrInvalid},
		{"Soft.VJP/nil receiver", func() error { var s *Soft; return s.VJP(make([]float64, 3), x) }, ErrDims},
		{"Soft.JVP/nil receiver", func() error { var s *Soft; return s.JVP(make([]float64, 3), x) }, ErrDims},
		{"Soft.VJP/zero", func() error { return (&Soft{}).VJP(make([]float64, 3), x) }, ErrDims},
		{"Soft.VJP/NaN", func() error {
			s, err := SoftSort(make([]float64, 3), x, 1, nil)
			if err != nil {
				return err
			}
			return s.VJP(make([]float64, 3), []float64{nan, 0, 0})
		}, ErrNaN},
		{"Soft.JVP/short", func() error {
			s, err := SoftRank(make([]float64, 3), x, 1, nil)
			if err != nil {
				return err
			}
			return s.JVP(make([]float64, 3), []float64{1})
		}, ErrDims},
	}
	for _, b := range bad {
		cases = append(cases, testutil.Case{Name: b.name, Want: b.want, Call: func(context.Context) (func() error, error) {
			return func() error { return nil }, b.f()
		}})
	}
	// The row: KL soft sort of (1e300, −1e300, 0) at ε = 1 is
	// −1e300 + (0.41, 1.41, 2.41) (all values pooled at max(−x)), which
	// rounds to three equal values; at x = (50, −50, 0) the same closed form
	// is resolved.
	closed := func(m float64) []float64 {
		l := math.Log(math.Exp(3) + math.Exp(2) + math.Exp(1))
		return []float64{-(m + 3 - l), -(m + 2 - l), -(m + 1 - l)}
	}
	for _, m := range []float64{50, 1e300} {
		cases = append(cases, testutil.Case{Name: fmt.Sprintf("SoftSort/KL closed form at %g", m), Call: func(context.Context) (func() error, error) {
			dst := make([]float64, 3)
			_, err := SoftSort(dst, []float64{m, -m, 0}, 1, &SoftSettings{Regularization: isotonic.KL})
			return func() error {
				want := closed(m)
				for i := range dst {
					if math.Abs(dst[i]-want[i]) > 1e-12*max(1, math.Abs(m)) {
						return fmt.Errorf("%v, want %v", dst, want)
					}
				}
				return nil
			}, err
		}})
	}
	testutil.RunAdversarial(t, cases)
}

func TestAdversarialSoftBatch(t *testing.T) {
	x := mat.NewDense(2, 3, []float64{3, 1, 2, 1e300, 1e300, 1e300})
	nanX := mat.NewDense(2, 3, []float64{3, 1, 2, nan, 0, 0})
	call := func(name string, f func(ctx context.Context) error, want error) testutil.Case {
		return testutil.Case{Name: name, Want: want, Call: func(ctx context.Context) (func() error, error) {
			return func() error { return nil }, f(ctx)
		}}
	}
	cases := []testutil.Case{
		call("SoftSortBatch/nil dst", func(ctx context.Context) error {
			_, err := SoftSortBatch(ctx, nil, x, .1, nil)
			return err
		}, ErrDims),
		call("SoftRankBatch/Workers -1", func(ctx context.Context) error {
			_, err := SoftRankBatch(ctx, mat.NewDense(2, 3, nil), x, .1, &SoftSettings{Workers: -1})
			return err
		}, ErrInvalid),
		call("SoftSortBatch/nil x", func(ctx context.Context) error {
			_, err := SoftSortBatch(ctx, mat.NewDense(2, 3, nil), nil, .1, nil)
			return err
		}, ErrDims),
		call("SoftRankBatch/nil x", func(ctx context.Context) error {
			_, err := SoftRankBatch(ctx, mat.NewDense(2, 3, nil), nil, .1, nil)
			return err
		}, ErrDims),
		call("SoftTopKBatch/nil dst", func(ctx context.Context) error {
			_, err := SoftTopKBatch(ctx, nil, x, 1, .1, nil)
			return err
		}, ErrDims),
		call("SoftSortBatch/empty", func(ctx context.Context) error {
			_, err := SoftSortBatch(ctx, &mat.Dense{}, &mat.Dense{}, .1, nil)
			return err
		}, ErrDims),
		call("SoftSortBatch/shape", func(ctx context.Context) error {
			_, err := SoftSortBatch(ctx, mat.NewDense(3, 2, nil), x, .1, nil)
			return err
		}, ErrDims),
		call("SoftSortBatch/NaN", func(ctx context.Context) error {
			_, err := SoftSortBatch(ctx, mat.NewDense(2, 3, nil), nanX, .1, nil)
			return err
		}, ErrNaN),
		call("SoftSortBatch/ε 0", func(ctx context.Context) error {
			_, err := SoftSortBatch(ctx, mat.NewDense(2, 3, nil), x, 0, nil)
			return err
		}, ErrStrength),
		call("SoftSortBatch/canceled", func(context.Context) error {
			_, err := SoftSortBatch(testutil.Canceled(), mat.NewDense(2, 3, nil), x, .1, nil)
			return err
		}, context.Canceled),
		call("SoftBatch.VJP/nil receiver", func(ctx context.Context) error {
			var sb *SoftBatch
			return sb.VJP(ctx, mat.NewDense(2, 3, nil), x)
		}, ErrDims),
		call("SoftBatch.VJP/nil g", func(ctx context.Context) error {
			sb, err := SoftSortBatch(ctx, mat.NewDense(2, 3, nil), x, .1, nil)
			if err != nil {
				return err
			}
			return sb.VJP(ctx, mat.NewDense(2, 3, nil), nil)
		}, ErrDims),
		call("SoftBatch.JVP/nil dst", func(ctx context.Context) error {
			sb, err := SoftSortBatch(ctx, mat.NewDense(2, 3, nil), x, .1, nil)
			if err != nil {
				return err
			}
			return sb.JVP(ctx, nil, x)
		}, ErrDims),
		call("SoftBatch.VJP/nil row", func(ctx context.Context) error {
			sb := &SoftBatch{Rows: []*Soft{nil, nil}}
			return sb.VJP(ctx, mat.NewDense(2, 3, nil), x)
		}, ErrDims),
		call("SoftBatch.VJP/NaN", func(ctx context.Context) error {
			sb, err := SoftSortBatch(ctx, mat.NewDense(2, 3, nil), x, .1, nil)
			if err != nil {
				return err
			}
			return sb.VJP(ctx, mat.NewDense(2, 3, nil), nanX)
		}, ErrNaN),
		{Name: "SoftRankBatch/ok", Call: func(ctx context.Context) (func() error, error) {
			dst := mat.NewDense(2, 3, nil)
			sb, err := SoftRankBatch(ctx, dst, x, .1, &SoftSettings{Regularization: isotonic.KL, Workers: 3})
			if err != nil {
				return nil, err
			}
			g := mat.NewDense(2, 3, nil)
			err = sb.VJP(ctx, g, x.Slice(0, 2, 0, 3))
			return func() error {
				for i := range 2 {
					if err := inPermutahedron(dst.RawRowView(i)); err != nil {
						return err
					}
				}
				return nil
			}, err
		}},
		{Name: "Soft/8 goroutines", Call: func(context.Context) (func() error, error) {
			dst := make([]float64, 3)
			s, err := SoftSort(dst, []float64{3, 1, 2}, 0.5, nil)
			if err != nil {
				return nil, err
			}
			want := make([]float64, 3)
			if err := s.VJP(want, []float64{1, 2, 3}); err != nil {
				return nil, err
			}
			var wg sync.WaitGroup
			errs := make([]error, 8)
			for w := range 8 {
				wg.Go(func() {
					for range 50 {
						g := make([]float64, 3)
						if err := s.VJP(g, []float64{1, 2, 3}); err != nil {
							errs[w] = err
							return
						}
						if !slices.Equal(g, want) {
							errs[w] = fmt.Errorf("goroutine %d: %v, want %v", w, g, want)
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

func TestAdversarialNetwork(t *testing.T) {
	net, err := NewNetwork(Bitonic, 3)
	if err != nil {
		t.Fatal(err)
	}
	x := []float64{3, 1, 2}
	doubly := func(p *mat.Dense) error {
		if p == nil {
			return errors.New("nil P")
		}
		if err := testutil.Finite("P", p.RawMatrix().Data); err != nil {
			return err
		}
		n, _ := p.Dims()
		for i := range n {
			if s := mat.Sum(p.RowView(i)); math.Abs(s-1) > 1e-9 {
				return fmt.Errorf("row %d sums to %v", i, s)
			}
			if s := mat.Sum(p.ColView(i)); math.Abs(s-1) > 1e-9 {
				return fmt.Errorf("column %d sums to %v", i, s)
			}
		}
		return nil
	}
	var nilNet *Network
	cases := []testutil.Case{}
	add := func(name string, want error, any []error, f func(ctx context.Context) (func() error, error)) {
		cases = append(cases, testutil.Case{Name: name, Want: want, Any: any, Call: f})
	}
	for _, n := range []int{0, -1} {
		add(fmt.Sprintf("NewNetwork/n=%d", n), ErrDims, nil, func(context.Context) (func() error, error) {
			_, err := NewNetwork(OddEven, n)
			return nil, err
		})
	}
	add("NewNetwork/unknown kind", ErrInvalid, nil, func(context.Context) (func() error, error) {
		_, err := NewNetwork(9, 3)
		return nil, err
	})
	add("NewNetwork/n=1", nil, nil, func(context.Context) (func() error, error) {
		nw, err := NewNetwork(Bitonic, 1)
		if err != nil {
			return nil, err
		}
		r, err := nw.Sort([]float64{5}, true, nil)
		return func() error { return doubly(r.P) }, err
	})
	add("Sort/nil receiver", ErrInvalid, nil, func(context.Context) (func() error, error) {
		_, err := nilNet.Sort(x, false, nil)
		return nil, err
	})
	add("Sort/zero Network", ErrInvalid, nil, func(context.Context) (func() error, error) {
		_, err := (&Network{}).Sort(x, false, nil)
		return nil, err
	})
	add("SortBCE/nil receiver", ErrInvalid, nil, func(context.Context) (func() error, error) {
		_, err := nilNet.SortBCE(x, []int{1, 2, 0}, false, nil)
		return nil, err
	})
	add("SortLoss/nil loss", ErrInvalid, nil, func(context.Context) (func() error, error) {
		_, err := net.SortLoss(x, nil, false, nil)
		return nil, err
	})
	add("SortBatch/nil receiver", ErrInvalid, nil, func(ctx context.Context) (func() error, error) {
		_, err := nilNet.SortBatch(ctx, mat.NewDense(1, 3, x), false, nil)
		return nil, err
	})
	add("SortBatch/nil x", ErrDims, nil, func(ctx context.Context) (func() error, error) {
		_, err := net.SortBatch(ctx, nil, false, nil)
		return nil, err
	})
	add("SortBCEBatch/nil x", ErrDims, nil, func(ctx context.Context) (func() error, error) {
		_, err := net.SortBCEBatch(ctx, nil, nil, false, nil)
		return nil, err
	})
	add("SortBatch/Workers -1", ErrInvalid, nil, func(ctx context.Context) (func() error, error) {
		_, err := net.SortBatch(ctx, mat.NewDense(1, 3, x), false, &NetworkSettings{Workers: -1})
		return nil, err
	})
	add("SortBCEBatch/Workers -1", ErrInvalid, nil, func(ctx context.Context) (func() error, error) {
		_, err := net.SortBCEBatch(ctx, mat.NewDense(1, 3, x), [][]int{{1, 2, 0}}, false, &NetworkSettings{Workers: -1})
		return nil, err
	})
	add("SortBatch/canceled", context.Canceled, nil, func(context.Context) (func() error, error) {
		_, err := net.SortBatch(testutil.Canceled(), mat.NewDense(1, 3, x), false, nil)
		return nil, err
	})
	add("accessors/nil receiver", nil, nil, func(context.Context) (func() error, error) {
		return func() error {
			if nilNet.N() != 0 || nilNet.Layers() != 0 || nilNet.Swaps() != 0 || nilNet.Comparators(0) != nil || nilNet.OutputSlots() != nil {
				return errors.New("nil network accessors not zero")
			}
			if net.Comparators(-1) != nil || net.Comparators(net.Layers()) != nil {
				return errors.New("out-of-range layer not nil")
			}
			return nil
		}, nil
	})
	for _, in := range advInputs {
		add("Sort/"+in.name, in.want, []error{ErrDims, ErrNaN}, func(context.Context) (func() error, error) {
			r, err := net.Sort(in.x, true, nil)
			return func() error {
				if err := testutil.Finite("values", r.Values); err != nil {
					return err
				}
				return doubly(r.P)
			}, err
		})
	}
	settings := map[string]*NetworkSettings{
		"Sigmoid 99": {Sigmoid: 99}, "Sigmoid -1": {Sigmoid: -1}, "Steepness -1": {Steepness: -1},
		"Steepness NaN": {Steepness: nan}, "Steepness Inf": {Steepness: inf}, "ARTLambda 2": {ARTLambda: 2},
		"ARTLambda -1": {ARTLambda: -1, Sigmoid: LogisticART}, "ARTLambda NaN": {ARTLambda: nan},
	}
	for name, s := range settings {
		add("Sort/settings "+name, nil, []error{ErrInvalid, ErrStrength}, func(context.Context) (func() error, error) {
			r, err := net.Sort(x, true, s)
			return func() error { return fmt.Errorf("accepted %+v: %v", *s, r.Values) }, err
		})
	}
	for _, sg := range []Sigmoid{Cauchy, Logistic, LogisticART, Reciprocal, Optimal, Gaussian} {
		add(fmt.Sprintf("Sort/%v/1e300", sg), nil, nil, func(context.Context) (func() error, error) {
			r, err := net.Sort([]float64{1e300, -1e300, 0}, true, &NetworkSettings{Sigmoid: sg, Steepness: 1e300})
			if err != nil {
				return nil, err
			}
			g, err := r.Backward([]float64{1, 0, 0}, mat.NewDense(3, 3, []float64{1, 0, 0, 0, 0, 0, 0, 0, 0}))
			return func() error {
				if err := doubly(r.P); err != nil {
					return err
				}
				return testutil.Finite("grad", g)
			}, err
		})
	}
	r, err := net.Sort(x, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	var nilRes *NetworkResult
	add("Backward/nil receiver", ErrDims, nil, func(context.Context) (func() error, error) {
		_, err := nilRes.Backward(x, nil)
		return nil, err
	})
	add("Forward/nil receiver", ErrDims, nil, func(context.Context) (func() error, error) {
		_, _, err := nilRes.Tangent(x)
		return nil, err
	})
	add("Backward/NaN", ErrNaN, nil, func(context.Context) (func() error, error) {
		_, err := r.Backward([]float64{nan, 0, 0}, nil)
		return nil, err
	})
	add("Backward/short", ErrDims, nil, func(context.Context) (func() error, error) {
		_, err := r.Backward([]float64{1}, nil)
		return nil, err
	})
	add("Backward/gP without P", nil, []error{ErrInvalid, ErrDims}, func(context.Context) (func() error, error) {
		_, err := r.Backward(nil, mat.NewDense(3, 3, nil))
		return func() error { return errors.New("accepted gP on a result without P") }, err
	})
	add("Forward/Inf", ErrNaN, nil, func(context.Context) (func() error, error) {
		_, _, err := r.Tangent([]float64{inf, 0, 0})
		return nil, err
	})
	var nilBatch *NetworkBatch
	add("NetworkBatch/nil receiver", ErrDims, nil, func(ctx context.Context) (func() error, error) {
		if nilBatch.Values() != nil {
			return nil, errors.New("Values of nil batch")
		}
		_, err := nilBatch.Backward(ctx, nil, nil)
		return nil, err
	})
	add("SortBCE/bad perm", ErrInvalid, nil, func(context.Context) (func() error, error) {
		_, err := net.SortBCE(x, []int{0, 0, 1}, false, nil)
		return nil, err
	})
	add("SortBCE/short perm", ErrDims, []error{ErrInvalid}, func(context.Context) (func() error, error) {
		_, err := net.SortBCE(x, []int{0}, false, nil)
		return nil, err
	})
	add("SortBCE/StraightThrough", ErrInvalid, nil, func(context.Context) (func() error, error) {
		_, err := net.SortBCE(x, []int{1, 2, 0}, false, &NetworkSettings{StraightThrough: true})
		return nil, err
	})
	add("SortLoss/NaN loss", nil, []error{ErrNaN}, func(context.Context) (func() error, error) {
		res, err := net.SortLoss(x, func(int, int, float64) (float64, float64) { return nan, nan }, false, nil)
		return func() error { return testutil.Finite("loss", []float64{res.Loss}, res.Grad) }, err
	})
	add("SortLoss/panicking loss", nil, []error{ErrInvalid}, func(context.Context) (func() error, error) {
		res, err := net.SortLoss(x, func(int, int, float64) (float64, float64) { panic("user loss panics") }, false, nil)
		return func() error { return testutil.Finite("loss", []float64{res.Loss}) }, err
	})
	add("Network/8 goroutines", nil, nil, func(context.Context) (func() error, error) {
		want, err := net.Sort(x, true, nil)
		if err != nil {
			return nil, err
		}
		var wg sync.WaitGroup
		errs := make([]error, 8)
		for w := range 8 {
			wg.Go(func() {
				for range 20 {
					got, err := net.Sort(x, true, nil)
					if err != nil {
						errs[w] = err
						return
					}
					if !slices.Equal(got.Values, want.Values) {
						errs[w] = fmt.Errorf("goroutine %d: %v", w, got.Values)
						return
					}
					if _, err := want.Backward([]float64{1, 0, 0}, nil); err != nil {
						errs[w] = err
						return
					}
				}
			})
		}
		wg.Wait()
		return func() error { return errors.Join(errs...) }, nil
	})
	testutil.RunAdversarial(t, cases)
}

func TestAdversarialLosses(t *testing.T) {
	p := mat.NewDense(3, 3, []float64{0.8, 0.1, 0.1, 0.1, 0.8, 0.1, 0.1, 0.1, 0.8})
	perm := []int{0, 1, 2}
	type row struct {
		name string
		want error
		any  []error
		f    func(ctx context.Context) (func() error, error)
	}
	finite := func(vs ...[]float64) func() error { return func() error { return testutil.Finite("result", vs...) } }
	rows := []row{
		{"Argsort/NaN", nil, nil, func(context.Context) (func() error, error) {
			got := Argsort([]float64{nan, 2, nan, 1, inf, -inf}, false)
			gotD := Argsort([]float64{nan, 2, nan, 1, inf, -inf}, true)
			return func() error {
				if !slices.Equal(got, []int{5, 3, 1, 4, 0, 2}) || !slices.Equal(gotD, []int{4, 1, 3, 5, 0, 2}) {
					return fmt.Errorf("Argsort = %v, %v", got, gotD)
				}
				return nil
			}, nil
		}},
		{"Argsort/nil", nil, nil, func(context.Context) (func() error, error) {
			return func() error {
				if len(Argsort(nil, true)) != 0 {
					return errors.New("non-empty")
				}
				return nil
			}, nil
		}},
		{"PermutationBCE/nil P", ErrDims, nil, func(context.Context) (func() error, error) {
			_, err := PermutationBCE(nil, nil, perm)
			return nil, err
		}},
		{"PermutationBCE/P > 1", ErrInvalid, nil, func(context.Context) (func() error, error) {
			q := mat.DenseCopyOf(p)
			q.Set(0, 0, 1.5)
			_, err := PermutationBCE(nil, q, perm)
			return nil, err
		}},
		{"PermutationBCE/P < 0", ErrInvalid, nil, func(context.Context) (func() error, error) {
			q := mat.DenseCopyOf(p)
			q.Set(1, 0, -1e-300)
			_, err := PermutationBCE(nil, q, perm)
			return nil, err
		}},
		{"PermutationBCE/NaN", ErrNaN, nil, func(context.Context) (func() error, error) {
			q := mat.DenseCopyOf(p)
			q.Set(1, 0, nan)
			_, err := PermutationBCE(nil, q, perm)
			return nil, err
		}},
		{"PermutationBCE/bad perm", ErrInvalid, nil, func(context.Context) (func() error, error) {
			_, err := PermutationBCE(nil, p, []int{0, 0, 3})
			return nil, err
		}},
		{"PermutationBCE/short perm", ErrDims, nil, func(context.Context) (func() error, error) {
			_, err := PermutationBCE(nil, p, []int{0})
			return nil, err
		}},
		{"PermutationBCE/bad grad", ErrDims, nil, func(context.Context) (func() error, error) {
			_, err := PermutationBCE(mat.NewDense(2, 2, nil), p, perm)
			return nil, err
		}},
		{"PermutationBCE/0 and 1", nil, nil, func(context.Context) (func() error, error) {
			g := mat.NewDense(3, 3, nil)
			l, err := PermutationBCE(g, mat.NewDense(3, 3, []float64{1, 0, 0, 0, 1, 0, 0, 1, 0}), perm)
			return finite([]float64{l}, g.RawMatrix().Data), err
		}},
		{"PermutationBCEBatch/nil entry", ErrDims, nil, func(ctx context.Context) (func() error, error) {
			_, _, err := PermutationBCEBatch(ctx, []*mat.Dense{p, nil}, [][]int{perm, perm}, &BatchSettings{Workers: 1})
			return nil, err
		}},
		{"PermutationBCEBatch/mismatch", ErrDims, nil, func(ctx context.Context) (func() error, error) {
			_, _, err := PermutationBCEBatch(ctx, []*mat.Dense{p}, nil, &BatchSettings{Workers: 1})
			return nil, err
		}},
		{"PermutationBCEBatch/empty", ErrDims, nil, func(ctx context.Context) (func() error, error) {
			_, _, err := PermutationBCEBatch(ctx, nil, nil, &BatchSettings{Workers: 1})
			return nil, err
		}},
		{"PermutationBCEBatch/canceled", context.Canceled, nil, func(context.Context) (func() error, error) {
			_, _, err := PermutationBCEBatch(testutil.Canceled(), []*mat.Dense{p}, [][]int{perm}, &BatchSettings{Workers: 1})
			return nil, err
		}},
		{"PermutationBCEBatch/Workers -1", ErrInvalid, nil, func(ctx context.Context) (func() error, error) {
			_, _, err := PermutationBCEBatch(ctx, []*mat.Dense{p}, [][]int{perm}, &BatchSettings{Workers: -1})
			return nil, err
		}},
		{"NDCG/nil", ErrDims, nil, func(context.Context) (func() error, error) {
			_, err := NDCG(nil, nil, nil)
			return nil, err
		}},
		{"NDCG/NaN score", ErrNaN, nil, func(context.Context) (func() error, error) {
			_, err := NDCG([]float64{nan, 1}, []float64{1, 0}, nil)
			return nil, err
		}},
		{"NDCG/negative relevance", ErrInvalid, []error{ErrNaN}, func(context.Context) (func() error, error) {
			v, err := NDCG([]float64{1, 2}, []float64{-1, 0}, nil)
			return func() error { return fmt.Errorf("accepted a negative relevance: %v", v) }, err
		}},
		{"NDCG/relevance 1e300", nil, []error{ErrNaN, ErrInvalid}, func(context.Context) (func() error, error) {
			v, err := NDCG([]float64{1, 2}, []float64{1e300, 0}, nil)
			return finite([]float64{v}), err
		}},
		{"NDCG/K<0", ErrInvalid, nil, func(context.Context) (func() error, error) {
			_, err := NDCG([]float64{1, 2}, []float64{1, 0}, &NDCGSettings{K: -1})
			return nil, err
		}},
		{"NDCG/ok", nil, nil, func(context.Context) (func() error, error) {
			v, err := NDCG([]float64{1, 2, 3}, []float64{0, 1, 2}, &NDCGSettings{K: 10})
			return func() error {
				if !(v >= 0 && v <= 1) {
					return fmt.Errorf("NDCG %v outside [0, 1]", v)
				}
				return nil
			}, err
		}},
		{"NeuralNDCG/τ 0", ErrStrength, nil, func(context.Context) (func() error, error) {
			_, _, err := NeuralNDCG([]float64{1, 2}, []float64{1, 0}, 0, nil)
			return nil, err
		}},
		{"NeuralNDCG/SinkhornIters -1", ErrInvalid, nil, func(context.Context) (func() error, error) {
			_, _, err := NeuralNDCG([]float64{1, 2}, []float64{1, 0}, 1, &NDCGSettings{SinkhornIters: -1})
			return nil, err
		}},
		{"NeuralNDCG/stochastic without Rand", ErrInvalid, nil, func(context.Context) (func() error, error) {
			_, _, err := NeuralNDCG([]float64{1, 2}, []float64{1, 0}, 1, &NDCGSettings{Stochastic: true})
			return nil, err
		}},
		{"NeuralNDCG/scores 1e300", nil, []error{ErrNaN}, func(context.Context) (func() error, error) {
			v, g, err := NeuralNDCG([]float64{1e300, -1e300, 0}, []float64{1, 0, 2}, 1e-300, &NDCGSettings{SinkhornIters: 3})
			return finite([]float64{v}, g), err
		}},
		{"NeuralNDCGBatch/nil", ErrDims, nil, func(ctx context.Context) (func() error, error) {
			_, _, err := NeuralNDCGBatch(ctx, nil, nil, 1, &NDCGSettings{Workers: 1}, 0)
			return nil, err
		}},
		{"NeuralNDCGBatch/canceled", context.Canceled, nil, func(context.Context) (func() error, error) {
			m := mat.NewDense(1, 2, []float64{1, 2})
			_, _, err := NeuralNDCGBatch(testutil.Canceled(), m, m, 1, &NDCGSettings{Workers: 1}, 0)
			return nil, err
		}},
		{"NeuralNDCGBatch/Workers -1", ErrInvalid, nil, func(ctx context.Context) (func() error, error) {
			m := mat.NewDense(1, 2, []float64{1, 2})
			_, _, err := NeuralNDCGBatch(ctx, m, m, 1, &NDCGSettings{Workers: -1}, 0)
			return nil, err
		}},
		{"SpearmanLoss/nil", ErrDims, nil, func(context.Context) (func() error, error) {
			_, _, err := SpearmanLoss(nil, nil, 1, nil)
			return nil, err
		}},
		{"SpearmanLoss/constant target", ErrInvalid, nil, func(context.Context) (func() error, error) {
			_, _, err := SpearmanLoss([]float64{1, 2}, []float64{3, 3}, 1, nil)
			return nil, err
		}},
		{"SpearmanLoss/NaN target", ErrNaN, nil, func(context.Context) (func() error, error) {
			_, _, err := SpearmanLoss([]float64{1, 2}, []float64{nan, 3}, 1, nil)
			return nil, err
		}},
		{"SpearmanLoss/ε NaN", ErrStrength, nil, func(context.Context) (func() error, error) {
			_, _, err := SpearmanLoss([]float64{1, 2}, []float64{1, 3}, nan, nil)
			return nil, err
		}},
		{"SpearmanLoss/1e300", nil, []error{ErrInvalid, ErrNaN}, func(context.Context) (func() error, error) {
			v, g, err := SpearmanLoss([]float64{1e300, -1e300, 0}, []float64{1, 2, 3}, 1, nil)
			return finite([]float64{v}, g), err
		}},
		{"SpearmanLossBatch/nil", ErrDims, nil, func(ctx context.Context) (func() error, error) {
			_, _, err := SpearmanLossBatch(ctx, nil, nil, 1, nil)
			return nil, err
		}},
	}
	var cases []testutil.Case
	for _, r := range rows {
		cases = append(cases, testutil.Case{Name: r.name, Want: r.want, Any: r.any, Call: r.f})
	}
	testutil.RunAdversarial(t, cases)
}

func TestAdversarialNeuralAndOT(t *testing.T) {
	x := []float64{3, 1, 2}
	rowStochastic := func(p *mat.Dense) error {
		if p == nil {
			return errors.New("nil P")
		}
		if err := testutil.Finite("P", p.RawMatrix().Data); err != nil {
			return err
		}
		n, _ := p.Dims()
		for i := range n {
			if s := mat.Sum(p.RowView(i)); math.Abs(s-1) > 1e-9 {
				return fmt.Errorf("row %d sums to %v", i, s)
			}
		}
		return nil
	}
	var cases []testutil.Case
	add := func(name string, want error, any []error, f func(ctx context.Context) (func() error, error)) {
		cases = append(cases, testutil.Case{Name: name, Want: want, Any: any, Call: f})
	}
	for _, in := range advInputs {
		add("NeuralSort/"+in.name, in.want, []error{ErrNaN}, func(context.Context) (func() error, error) {
			r, err := NeuralSort(in.x, 1, nil)
			return func() error { return rowStochastic(r.P) }, err
		})
		add("OTSort/"+in.name, in.want, []error{sinkhorn.ErrNotConverged, ErrNaN}, func(ctx context.Context) (func() error, error) {
			r, err := OTSort(ctx, in.x, 0.1, nil)
			return func() error {
				if err := testutil.Finite("OTSort", r.Sorted, r.Ranks); err != nil {
					return err
				}
				ones := make([]float64, len(r.Sorted))
				for i := range ones {
					ones[i] = 1
				}
				g, err := r.Backward(ones, nil)
				if err != nil {
					return err
				}
				return testutil.Finite("OTSort backward", g)
			}, err
		})
	}
	add("NeuralSort/τ 0", ErrStrength, nil, func(context.Context) (func() error, error) {
		_, err := NeuralSort(x, 0, nil)
		return nil, err
	})
	add("NeuralSort/τ 1e-300", nil, nil, func(context.Context) (func() error, error) {
		r, err := NeuralSort(x, 1e-300, nil)
		return func() error { return rowStochastic(r.P) }, err
	})
	add("NeuralSort/stochastic without Rand", ErrInvalid, nil, func(context.Context) (func() error, error) {
		_, err := NeuralSort(x, 1, &NeuralSortSettings{Stochastic: true})
		return nil, err
	})
	add("NeuralSort/stochastic", nil, nil, func(context.Context) (func() error, error) {
		r, err := NeuralSort(x, 1, &NeuralSortSettings{Stochastic: true, Rand: rand.New(rand.NewPCG(1, 2))})
		return func() error { return rowStochastic(r.P) }, err
	})
	var nilNS *NeuralSortResult
	add("NeuralSortResult.Backward/nil receiver", ErrDims, nil, func(context.Context) (func() error, error) {
		_, err := nilNS.Backward(mat.NewDense(3, 3, nil))
		return nil, err
	})
	add("NeuralSortResult.Backward/nil G", ErrDims, nil, func(context.Context) (func() error, error) {
		r, err := NeuralSort(x, 1, nil)
		if err != nil {
			return nil, err
		}
		_, err = r.Backward(nil)
		return nil, err
	})
	add("NeuralSortResult.Backward/NaN", ErrNaN, nil, func(context.Context) (func() error, error) {
		r, err := NeuralSort(x, 1, nil)
		if err != nil {
			return nil, err
		}
		_, err = r.Backward(mat.NewDense(3, 3, []float64{nan, 0, 0, 0, 0, 0, 0, 0, 0}))
		return nil, err
	})
	add("NeuralSortBatch/nil", ErrDims, nil, func(ctx context.Context) (func() error, error) {
		_, err := NeuralSortBatch(ctx, nil, 1, &NeuralSortSettings{Workers: 1}, 0)
		return nil, err
	})
	add("NeuralSortBatch/canceled", context.Canceled, nil, func(context.Context) (func() error, error) {
		_, err := NeuralSortBatch(testutil.Canceled(), mat.NewDense(1, 3, x), 1, &NeuralSortSettings{Workers: 1}, 0)
		return nil, err
	})
	add("NeuralSortBatch/Workers -1", ErrInvalid, nil, func(ctx context.Context) (func() error, error) {
		_, err := NeuralSortBatch(ctx, mat.NewDense(1, 3, x), 1, &NeuralSortSettings{Workers: -1}, 0)
		return nil, err
	})
	add("OTSort/ε 0", ErrStrength, nil, func(ctx context.Context) (func() error, error) {
		_, err := OTSort(ctx, x, 0, nil)
		return nil, err
	})
	add("OTSort/Anchors -1", ErrInvalid, nil, func(ctx context.Context) (func() error, error) {
		_, err := OTSort(ctx, x, 0.1, &OTSettings{Anchors: -1})
		return nil, err
	})
	add("OTSort/bad sinkhorn settings", sinkhorn.ErrInvalid, nil, func(ctx context.Context) (func() error, error) {
		_, err := OTSort(ctx, x, 0.1, &OTSettings{Sinkhorn: &sinkhorn.Settings{Tol: -1}})
		return nil, err
	})
	add("OTSort/canceled", context.Canceled, nil, func(context.Context) (func() error, error) {
		_, err := OTSort(testutil.Canceled(), x, 0.1, nil)
		return nil, err
	})
	var nilOT *OTResult
	add("OTResult.Backward/nil receiver", ErrDims, nil, func(context.Context) (func() error, error) {
		_, err := nilOT.Backward(x, nil)
		return nil, err
	})
	add("OTResult.Backward/NaN", ErrNaN, nil, func(ctx context.Context) (func() error, error) {
		r, err := OTSort(ctx, x, 0.1, nil)
		if err != nil {
			return nil, err
		}
		_, err = r.Backward([]float64{nan, 0, 0}, nil)
		return nil, err
	})
	add("OTSortBatch/nil", ErrDims, nil, func(ctx context.Context) (func() error, error) {
		_, err := OTSortBatch(ctx, nil, 0.1, &OTSettings{Workers: 1})
		return nil, err
	})
	add("OTSortBatch/Workers -1", ErrInvalid, nil, func(ctx context.Context) (func() error, error) {
		_, err := OTSortBatch(ctx, mat.NewDense(1, 3, x), 0.1, &OTSettings{Workers: -1})
		return nil, err
	})
	for _, k := range []int{-1, 0, 3, 4} {
		add(fmt.Sprintf("OTTopK/k=%d", k), ErrInvalid, nil, func(ctx context.Context) (func() error, error) {
			_, err := OTTopK(ctx, x, k, 0.1, nil)
			return nil, err
		})
	}
	add("OTTopK/NaN", ErrNaN, nil, func(ctx context.Context) (func() error, error) {
		_, err := OTTopK(ctx, []float64{nan, 1, 2}, 1, 0.1, nil)
		return nil, err
	})
	add("OTTopK/1e300", nil, []error{sinkhorn.ErrNotConverged, ErrNaN}, func(ctx context.Context) (func() error, error) {
		r, err := OTTopK(ctx, []float64{1e300, -1e300, 0}, 1, 0.1, nil)
		return func() error {
			if err := testutil.Finite("mask", r.Mask); err != nil {
				return err
			}
			g, err := r.Backward([]float64{1, 0, 0})
			if err != nil {
				return err
			}
			return testutil.Finite("grad", g)
		}, err
	})
	var nilTK *OTTopKResult
	add("OTTopKResult.Backward/nil receiver", ErrDims, nil, func(context.Context) (func() error, error) {
		_, err := nilTK.Backward(x)
		return nil, err
	})
	testutil.RunAdversarial(t, cases)
}
