package project

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/implicit"
	"github.com/optlayers/optlayers/internal/testutil"
)

// Adversarial input for every exported entry point of the package: each
// call returns a documented sentinel or a result that passes an
// independent check (membership of the set, finiteness), never a panic.

var nan, inf = math.NaN(), math.Inf(1)

// advSet is a set with valid parameters, the length of its vectors and an
// independent membership test.
type advSet struct {
	name string
	set  Set
	n    int
	in   func(x []float64) error
}

func tolOf(x []float64, scale float64) float64 {
	return 1e-9 * max(1, scale, maxAbs(x))
}

func advSets(t *testing.T) []advSet {
	a := mat.NewDense(2, 4, []float64{1, 1, 0, 0, 0, 1, 1, 1})
	aff, err := NewAffine(a, []float64{1, 2})
	if err != nil {
		t.Fatal(err)
	}
	g := mat.NewDense(2, 4, []float64{1, 1, 1, 1, -1, 0, 0, 0})
	poly, err := NewPolyhedron(g, []float64{1, 0.5}, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	sum := func(x []float64) float64 {
		s := 0.0
		for _, v := range x {
			s += v
		}
		return s
	}
	norm := func(x []float64, p float64) float64 {
		switch p {
		case 1:
			s := 0.0
			for _, v := range x {
				s += math.Abs(v)
			}
			return s
		case 2:
			return math.Sqrt(dot(x, x))
		}
		return maxAbs(x)
	}
	nonneg := func(x []float64) error {
		for i, v := range x {
			if v < 0 {
				return fmt.Errorf("x[%d] = %v < 0", i, v)
			}
		}
		return nil
	}
	ball := func(p, r float64) func(x []float64) error {
		return func(x []float64) error {
			if v := norm(x, p); v > r*(1+1e-12) {
				return fmt.Errorf("‖x‖_%v = %v > %v", p, v, r)
			}
			return nil
		}
	}
	sphere := func(p, r float64) func(x []float64) error {
		return func(x []float64) error {
			if v := norm(x, p); math.Abs(v-r) > 1e-9*r {
				return fmt.Errorf("‖x‖_%v = %v ≠ %v", p, v, r)
			}
			return nil
		}
	}
	simplex := func(r float64, k int) func(x []float64) error {
		return func(x []float64) error {
			if err := nonneg(x); err != nil {
				return err
			}
			if s := sum(x); math.Abs(s-r) > 1e-9*r {
				return fmt.Errorf("Σx = %v ≠ %v", s, r)
			}
			nz := 0
			for _, v := range x {
				if v != 0 {
					nz++
				}
			}
			if k > 0 && nz > k {
				return fmt.Errorf("%d non-zeros > %d", nz, k)
			}
			return nil
		}
	}
	tr := Transport{Rows: []float64{0.5, 0.5}, Cols: []float64{0.5, 0.5}}
	return []advSet{
		{"NonNegative", NonNegative{}, 4, nonneg},
		{"Box", Box{Lower: []float64{-1}, Upper: []float64{1, 2, 3, 4}}, 4, func(x []float64) error {
			for i, v := range x {
				if v < -1 || v > float64(i+1) {
					return fmt.Errorf("x[%d] = %v outside the box", i, v)
				}
			}
			return nil
		}},
		{"LInfBall", LInfBall{2}, 4, ball(inf, 2)},
		{"L2Ball", L2Ball{2}, 4, ball(2, 2)},
		{"L1Ball", L1Ball{2}, 4, ball(1, 2)},
		{"Simplex", Simplex{1}, 4, simplex(1, 0)},
		{"Hyperplane", Hyperplane{Normal: []float64{1, -2, 0, 1}, Offset: 3}, 4, func(x []float64) error {
			if r := x[0] - 2*x[1] + x[3] - 3; math.Abs(r) > tolOf(x, 3) {
				return fmt.Errorf("⟨a, x⟩ − b = %v", r)
			}
			return nil
		}},
		{"Halfspace", Halfspace{Normal: []float64{1, -2, 0, 1}, Offset: 3}, 4, func(x []float64) error {
			if r := x[0] - 2*x[1] + x[3] - 3; r > tolOf(x, 3) {
				return fmt.Errorf("⟨a, x⟩ − b = %v > 0", r)
			}
			return nil
		}},
		{"BoxSection", BoxSection{Lower: []float64{0}, Upper: []float64{0.5}, Weights: []float64{1, 2, 1, 1}, Value: 1.5}, 4, func(x []float64) error {
			for i, v := range x {
				if v < 0 || v > 0.5 {
					return fmt.Errorf("x[%d] = %v outside [0, 0.5]", i, v)
				}
			}
			if r := x[0] + 2*x[1] + x[2] + x[3] - 1.5; math.Abs(r) > 1e-9 {
				return fmt.Errorf("⟨w, x⟩ − c = %v", r)
			}
			return nil
		}},
		{"L2Sphere", L2Sphere{2}, 4, sphere(2, 2)},
		{"L1Sphere", L1Sphere{2}, 4, sphere(1, 2)},
		{"SparseSimplex", SparseSimplex{1, 2}, 4, simplex(1, 2)},
		{"Transport", tr, 4, func(x []float64) error { return transportIn(tr, x) }},
		{"Affine", aff, 4, func(x []float64) error {
			r0, r1 := x[0]+x[1]-1, x[1]+x[2]+x[3]-2
			if math.Abs(r0) > tolOf(x, 2) || math.Abs(r1) > tolOf(x, 2) {
				return fmt.Errorf("Ax − b = (%v, %v)", r0, r1)
			}
			return nil
		}},
		{"Polyhedron", poly, 4, func(x []float64) error {
			if r := sum(x) - 1; r > 1e-7*max(1, maxAbs(x)) {
				return fmt.Errorf("Σx − 1 = %v > 0", r)
			}
			if r := -x[0] - 0.5; r > 1e-7*max(1, maxAbs(x)) {
				return fmt.Errorf("−x₀ − 0.5 = %v > 0", r)
			}
			return nil
		}},
	}
}

// transportIn checks P ≥ 0 and the marginals to 1e-12 of the mass.
func transportIn(tr Transport, x []float64) error {
	m, k := len(tr.Rows), len(tr.Cols)
	if len(x) != m*k {
		return fmt.Errorf("length %d, want %d", len(x), m*k)
	}
	mass := max(maxAbs(tr.Rows), maxAbs(tr.Cols))
	cols := make([]float64, k)
	for i := range m {
		s := 0.0
		for j := range k {
			v := x[i*k+j]
			if v < 0 {
				return fmt.Errorf("P[%d,%d] = %v < 0", i, j, v)
			}
			s += v
			cols[j] += v
		}
		if math.Abs(s-tr.Rows[i]) > 1e-12*mass {
			return fmt.Errorf("row %d sums to %v, want %v", i, s, tr.Rows[i])
		}
	}
	for j, s := range cols {
		if math.Abs(s-tr.Cols[j]) > 1e-12*mass {
			return fmt.Errorf("column %d sums to %v, want %v", j, s, tr.Cols[j])
		}
	}
	return nil
}

func filled(n int, v float64) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = v
	}
	return x
}

// projectCase projects y onto s and checks the result.
func projectCase(name string, s advSet, y []float64, want error, any ...error) testutil.Case {
	return testutil.Case{Name: name, Want: want, Any: any, Call: func(context.Context) (func() error, error) {
		x := make([]float64, len(y))
		err := s.set.Project(x, y)
		return func() error {
			if err := testutil.Finite("Project", x); err != nil {
				return err
			}
			return s.in(x)
		}, err
	}}
}

func TestAdversarialProject(t *testing.T) {
	var cases []testutil.Case
	for _, s := range advSets(t) {
		n := s.n
		cases = append(cases,
			projectCase(s.name+"/nil", s, nil, ErrDims),
			projectCase(s.name+"/empty", s, []float64{}, ErrDims),
			projectCase(s.name+"/NaN", s, []float64{1, nan, 0, 2}[:n], ErrNaN),
			projectCase(s.name+"/+Inf", s, []float64{inf, 0, 1, 2}[:n], ErrNaN),
			projectCase(s.name+"/-Inf", s, []float64{0, -inf, 1, 2}[:n], ErrNaN),
			projectCase(s.name+"/zeros", s, filled(n, 0), nil),
			projectCase(s.name+"/1e-300", s, filled(n, 1e-300), nil),
			projectCase(s.name+"/subnormal", s, []float64{5e-324, -5e-324, 0, 1e-310}, nil),
			projectCase(s.name+"/1e300", s, filled(n, 1e300), nil, ErrNaN, ErrNotConverged),
			projectCase(s.name+"/±1e300", s, []float64{1e300, -1e300, 0, 1e300}, nil, ErrNaN, ErrNotConverged),
			projectCase(s.name+"/maxfloat", s, []float64{math.MaxFloat64, -math.MaxFloat64, 1, 0}, nil, ErrNaN, ErrNotConverged),
			testutil.Case{Name: s.name + "/short dst", Want: ErrDims, Call: func(context.Context) (func() error, error) {
				return nil, s.set.Project(make([]float64, n-1), filled(n, 1))
			}},
		)
		// Products at a valid point with bad tangents.
		y := []float64{0.3, -1.2, 2.5, 0.7}
		x := make([]float64, n)
		if err := s.set.Project(x, y); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		for _, op := range []struct {
			name string
			f    func(dst, x, y, v []float64) error
		}{{"JVP", s.set.JVP}, {"VJP", s.set.VJP}} {
			prod := func(name string, dst, x, y, v []float64, want error, any ...error) testutil.Case {
				return testutil.Case{Name: s.name + "/" + op.name + "/" + name, Want: want, Any: any,
					Call: func(context.Context) (func() error, error) {
						err := op.f(dst, x, y, v)
						return func() error { return testutil.Finite(op.name, dst) }, err
					}}
			}
			cases = append(cases,
				prod("nil", nil, nil, nil, nil, ErrDims),
				prod("short v", make([]float64, n), x, y, []float64{1}, ErrDims),
				prod("short dst", make([]float64, 1), x, y, filled(n, 1), ErrDims),
				prod("NaN v", make([]float64, n), x, y, []float64{nan, 1, 1, 1}, ErrNaN),
				prod("Inf v", make([]float64, n), x, y, []float64{1, inf, 1, 1}, ErrNaN),
				prod("NaN x", make([]float64, n), []float64{nan, 1, 1, 1}, y, filled(n, 1), ErrNaN),
				prod("1e300 v", make([]float64, n), x, y, filled(n, 1e300), nil, ErrNaN),
				prod("maxfloat v", make([]float64, n), x, y, []float64{math.MaxFloat64, math.MaxFloat64, -math.MaxFloat64, 1}, nil, ErrNaN),
				prod("ok", make([]float64, n), x, y, filled(n, 1), nil),
			)
		}
		ps, ok := s.set.(Parametric)
		if !ok {
			continue
		}
		theta := ps.Params()
		cases = append(cases,
			testutil.Case{Name: s.name + "/ParamJVP/short", Want: ErrDims, Call: func(context.Context) (func() error, error) {
				return nil, ps.ParamJVP(make([]float64, n), x, y, make([]float64, len(theta)+1))
			}},
			testutil.Case{Name: s.name + "/ParamJVP/NaN", Want: ErrNaN, Call: func(context.Context) (func() error, error) {
				d := filled(len(theta), nan)
				return nil, ps.ParamJVP(make([]float64, n), x, y, d)
			}},
			testutil.Case{Name: s.name + "/ParamVJP/short dst", Want: ErrDims, Call: func(context.Context) (func() error, error) {
				return nil, ps.ParamVJP(make([]float64, len(theta)+1), x, y, filled(n, 1))
			}},
			testutil.Case{Name: s.name + "/ParamVJP/NaN", Want: ErrNaN, Call: func(context.Context) (func() error, error) {
				return nil, ps.ParamVJP(make([]float64, len(theta)), x, y, []float64{1, nan, 1, 1})
			}},
			testutil.Case{Name: s.name + "/ParamVJP/ok", Call: func(context.Context) (func() error, error) {
				dst := make([]float64, len(theta))
				err := ps.ParamVJP(dst, x, y, filled(n, 1))
				return func() error { return testutil.Finite("ParamVJP", dst) }, err
			}},
			testutil.Case{Name: s.name + "/WithParams/short", Want: ErrDims, Call: func(context.Context) (func() error, error) {
				_, err := ps.WithParams(theta[:len(theta)-1])
				return nil, err
			}},
			testutil.Case{Name: s.name + "/WithParams/NaN", Want: ErrNaN, Call: func(context.Context) (func() error, error) {
				q, err := ps.WithParams(filled(len(theta), nan))
				if err != nil {
					return nil, err
				}
				return nil, q.Project(make([]float64, n), y)
			}},
			testutil.Case{Name: s.name + "/WithParams/nil", Want: ErrDims, Call: func(context.Context) (func() error, error) {
				_, err := ps.WithParams(nil)
				return nil, err
			}},
		)
	}
	// The same set from 8 goroutines (sets are safe for concurrent use).
	for _, s := range advSets(t) {
		cases = append(cases, testutil.Case{Name: s.name + "/8 goroutines", Call: func(context.Context) (func() error, error) {
			y := []float64{0.3, -1.2, 2.5, 0.7}
			want := make([]float64, s.n)
			if err := s.set.Project(want, y); err != nil {
				return nil, err
			}
			var wg sync.WaitGroup
			errs := make([]error, 8)
			for w := range 8 {
				wg.Go(func() {
					for range 20 {
						x, d := make([]float64, s.n), make([]float64, s.n)
						if err := s.set.Project(x, y); err != nil {
							errs[w] = err
							return
						}
						if err := s.set.VJP(d, x, y, filled(s.n, 1)); err != nil {
							errs[w] = err
							return
						}
						for i := range x {
							if x[i] != want[i] {
								errs[w] = fmt.Errorf("goroutine %d: x = %v, want %v", w, x, want)
								return
							}
						}
					}
				})
			}
			wg.Wait()
			return func() error { return errors.Join(errs...) }, nil
		}})
	}
	testutil.RunAdversarial(t, cases)
}

// Bad set parameters: the documented sentinel from Project.
func TestAdversarialSetParams(t *testing.T) {
	y := []float64{0.3, -1.2, 2.5, 0.7}
	cases := []struct {
		name string
		set  Set
		want error
	}{
		{"Box crossed", Box{Lower: []float64{1}, Upper: []float64{0}}, ErrInfeasible},
		{"Box lower +Inf", Box{Lower: []float64{inf}}, ErrInfeasible},
		{"Box upper -Inf", Box{Upper: []float64{-inf}}, ErrInfeasible},
		{"Box NaN", Box{Lower: []float64{nan}}, ErrNaN},
		{"Box length", Box{Lower: []float64{0, 0}}, ErrDims},
		{"LInfBall 0", LInfBall{0}, ErrInvalid},
		{"LInfBall -1", LInfBall{-1}, ErrInvalid},
		{"LInfBall NaN", LInfBall{nan}, ErrNaN},
		{"L2Ball 0", L2Ball{0}, ErrInvalid},
		{"L2Ball -Inf", L2Ball{-inf}, ErrNaN},
		{"L2Ball Inf", L2Ball{inf}, ErrNaN},
		{"L1Ball -1e-300", L1Ball{-1e-300}, ErrInvalid},
		{"L1Ball NaN", L1Ball{nan}, ErrNaN},
		{"Simplex 0", Simplex{0}, ErrInvalid},
		{"Simplex NaN", Simplex{nan}, ErrNaN},
		{"SparseSimplex K 0", SparseSimplex{1, 0}, ErrInvalid},
		{"SparseSimplex K -3", SparseSimplex{1, -3}, ErrInvalid},
		{"SparseSimplex r 0", SparseSimplex{0, 2}, ErrInvalid},
		{"L2Sphere 0", L2Sphere{0}, ErrInvalid},
		{"L1Sphere -1", L1Sphere{-1}, ErrInvalid},
		{"Hyperplane zero normal", Hyperplane{Normal: make([]float64, 4)}, ErrInvalid},
		{"Hyperplane nil normal", Hyperplane{}, ErrDims},
		{"Hyperplane short normal", Hyperplane{Normal: []float64{1}}, ErrDims},
		{"Hyperplane NaN offset", Hyperplane{Normal: []float64{1, 0, 0, 0}, Offset: nan}, ErrNaN},
		{"Halfspace zero normal", Halfspace{Normal: make([]float64, 4)}, ErrInvalid},
		{"Halfspace Inf normal", Halfspace{Normal: []float64{inf, 0, 0, 0}}, ErrNaN},
		{"BoxSection crossed", BoxSection{Lower: []float64{1}, Upper: []float64{0}, Value: 0.5}, ErrInfeasible},
		{"BoxSection value", CappedSimplex(0.2, 1), ErrInfeasible},
		{"BoxSection zero weight", BoxSection{Lower: []float64{0}, Upper: []float64{1}, Weights: []float64{0}, Value: 0.5}, ErrInvalid},
		{"BoxSection no bounds", BoxSection{Value: 1}, ErrInvalid},
		{"BoxSection NaN value", BoxSection{Lower: []float64{0}, Upper: []float64{1}, Value: nan}, ErrNaN},
		{"Transport mass", Transport{Rows: []float64{1, 1}, Cols: []float64{0.5, 0.5}}, ErrInfeasible},
		{"Transport negative", Transport{Rows: []float64{1.5, -0.5}, Cols: []float64{0.5, 0.5}}, ErrInvalid},
		{"Transport NaN", Transport{Rows: []float64{nan, 1}, Cols: []float64{0.5, 0.5}}, ErrNaN},
		{"Transport shape", Transport{Rows: []float64{1}, Cols: []float64{0.5, 0.5}}, ErrDims},
		{"Transport nil", Transport{}, ErrDims},
	}
	var rows []testutil.Case
	for _, c := range cases {
		rows = append(rows, testutil.Case{Name: c.name, Want: c.want, Call: func(context.Context) (func() error, error) {
			x := make([]float64, len(y))
			return nil, c.set.Project(x, y)
		}})
	}
	testutil.RunAdversarial(t, rows)
}

// Transport with Y far larger than the marginals (issue 19): from
// |a| ≥ 1e14 the result used to leave the set (row sums 0.504 at 1e14,
// P = [0 0 0 1] at 1e16, [0 0 0 7.4e283] at 1e300).
func TestAdversarialTransportScale(t *testing.T) {
	tr := Transport{Rows: []float64{0.5, 0.5}, Cols: []float64{0.5, 0.5}}
	var cases []testutil.Case
	for _, a := range []float64{1, 1e8, 1e13, 1e14, 1e15, 1e16, 1e20, 1e100, 1e200, 1e300, -1e300, math.MaxFloat64} {
		cases = append(cases, testutil.Case{Name: fmt.Sprintf("a=%g", a), Call: func(context.Context) (func() error, error) {
			x := make([]float64, 4)
			err := tr.Project(x, []float64{a, -a, 0, a})
			return func() error { return transportIn(tr, x) }, err
		}})
	}
	// Tiny marginals against unit entries, and a wider matrix.
	small := Transport{Rows: []float64{1e-300, 2e-300}, Cols: []float64{1e-300, 1e-300, 1e-300}}
	cases = append(cases, testutil.Case{Name: "marginals 1e-300", Any: []error{ErrNotConverged}, Call: func(context.Context) (func() error, error) {
		x := make([]float64, 6)
		err := small.Project(x, []float64{1, -2, 0.5, 3, 0.25, -1})
		return func() error { return transportIn(small, x) }, err
	}})
	zero := Transport{Rows: []float64{0, 0}, Cols: []float64{0, 0}}
	cases = append(cases, testutil.Case{Name: "zero marginals", Call: func(context.Context) (func() error, error) {
		x := filled(4, 7)
		err := zero.Project(x, []float64{1, 2, 3, 4})
		return func() error { return transportIn(zero, x) }, err
	}})
	testutil.RunAdversarial(t, cases)
}

func TestAdversarialConstructors(t *testing.T) {
	a := mat.NewDense(1, 2, []float64{1, 1})
	cases := []testutil.Case{
		{Name: "NewAffine/nil A", Want: ErrInvalid, Call: func(context.Context) (func() error, error) {
			_, err := NewAffine(nil, []float64{1})
			return nil, err
		}},
		{Name: "NewAffine/nil b", Want: ErrDims, Call: func(context.Context) (func() error, error) {
			_, err := NewAffine(a, nil)
			return nil, err
		}},
		{Name: "NewAffine/NaN A", Want: ErrNaN, Call: func(context.Context) (func() error, error) {
			_, err := NewAffine(mat.NewDense(1, 2, []float64{nan, 1}), []float64{1})
			return nil, err
		}},
		{Name: "NewAffine/Inf b", Want: ErrNaN, Call: func(context.Context) (func() error, error) {
			_, err := NewAffine(a, []float64{inf})
			return nil, err
		}},
		{Name: "NewAffine/zero A", Want: ErrInfeasible, Call: func(context.Context) (func() error, error) {
			_, err := NewAffine(mat.NewDense(1, 2, nil), []float64{1})
			return nil, err
		}},
		{Name: "NewAffine/zero A zero b", Call: func(context.Context) (func() error, error) {
			s, err := NewAffine(mat.NewDense(1, 2, nil), []float64{0})
			if err != nil {
				return nil, err
			}
			x := make([]float64, 2)
			err = s.Project(x, []float64{3, -1})
			return func() error {
				if x[0] != 3 || x[1] != -1 {
					return fmt.Errorf("P(y) = %v, want y", x)
				}
				return nil
			}, err
		}},
		{Name: "NewAffine/1e300", Call: func(context.Context) (func() error, error) {
			s, err := NewAffine(mat.NewDense(1, 2, []float64{1e300, 1e300}), []float64{1e300})
			if err != nil {
				return nil, err
			}
			x := make([]float64, 2)
			err = s.Project(x, []float64{3, -1})
			return func() error {
				if err := testutil.Finite("Project", x); err != nil {
					return err
				}
				if r := x[0] + x[1] - 1; math.Abs(r) > 1e-12 {
					return fmt.Errorf("x₀ + x₁ − 1 = %v", r)
				}
				return nil
			}, err
		}},
		{Name: "NewPolyhedron/all nil", Want: ErrDims, Call: func(context.Context) (func() error, error) {
			_, err := NewPolyhedron(nil, nil, nil, nil, nil)
			return nil, err
		}},
		{Name: "NewPolyhedron/h without G", Want: ErrDims, Call: func(context.Context) (func() error, error) {
			_, err := NewPolyhedron(nil, []float64{1}, nil, nil, nil)
			return nil, err
		}},
		{Name: "NewPolyhedron/mismatched", Want: ErrDims, Call: func(context.Context) (func() error, error) {
			_, err := NewPolyhedron(a, []float64{1}, mat.NewDense(1, 3, nil), []float64{0}, nil)
			return nil, err
		}},
		{Name: "NewPolyhedron/NaN h", Want: ErrNaN, Call: func(context.Context) (func() error, error) {
			_, err := NewPolyhedron(a, []float64{nan}, nil, nil, nil)
			return nil, err
		}},
		{Name: "NewPolyhedron/infeasible", Want: ErrInfeasible, Call: func(context.Context) (func() error, error) {
			p, err := NewPolyhedron(mat.NewDense(2, 2, []float64{1, 0, -1, 0}), []float64{0, -1}, nil, nil, nil)
			if err != nil {
				return nil, err
			}
			return nil, p.Project(make([]float64, 2), []float64{1, 1})
		}},
		{Name: "Polyhedron.Solve/canceled", Want: context.Canceled, Call: func(context.Context) (func() error, error) {
			p, err := NewPolyhedron(a, []float64{1}, nil, nil, nil)
			if err != nil {
				return nil, err
			}
			_, err = p.Solve(testutil.Canceled(), []float64{3, 3})
			return nil, err
		}},
		{Name: "Polyhedron.ProjectContext/canceled", Want: context.Canceled, Call: func(context.Context) (func() error, error) {
			p, err := NewPolyhedron(a, []float64{1}, nil, nil, nil)
			if err != nil {
				return nil, err
			}
			return nil, p.ProjectContext(testutil.Canceled(), make([]float64, 2), []float64{3, 3})
		}},
		{Name: "Polyhedron.ProjectContext/nil", Any: []error{ErrInvalid, ErrDims}, Call: func(ctx context.Context) (func() error, error) {
			var p *Polyhedron
			return nil, p.ProjectContext(ctx, make([]float64, 2), []float64{3, 3})
		}},
		{Name: "Polyhedron.ProjectContext/NaN y", Want: ErrNaN, Call: func(ctx context.Context) (func() error, error) {
			p, err := NewPolyhedron(a, []float64{1}, nil, nil, nil)
			if err != nil {
				return nil, err
			}
			return nil, p.ProjectContext(ctx, make([]float64, 2), []float64{nan, 3})
		}},
		{Name: "Polyhedron.Solve/NaN y", Want: ErrNaN, Call: func(context.Context) (func() error, error) {
			p, err := NewPolyhedron(a, []float64{1}, nil, nil, nil)
			if err != nil {
				return nil, err
			}
			_, err = p.Solve(context.Background(), []float64{nan, 3})
			return nil, err
		}},
		{Name: "Polyhedron.Solve/short y", Want: ErrDims, Call: func(context.Context) (func() error, error) {
			p, err := NewPolyhedron(a, []float64{1}, nil, nil, nil)
			if err != nil {
				return nil, err
			}
			_, err = p.Solve(context.Background(), []float64{3})
			return nil, err
		}},
		{Name: "nil *Affine", Want: ErrInvalid, Call: func(context.Context) (func() error, error) {
			var s *Affine
			return nil, s.Project(make([]float64, 2), []float64{1, 2})
		}},
		{Name: "nil *Polyhedron", Want: ErrInvalid, Call: func(context.Context) (func() error, error) {
			var s *Polyhedron
			return nil, s.Project(make([]float64, 2), []float64{1, 2})
		}},
		{Name: "nil *Polyhedron.Solve", Want: ErrInvalid, Call: func(context.Context) (func() error, error) {
			var s *Polyhedron
			_, err := s.Solve(context.Background(), []float64{1, 2})
			return nil, err
		}},
		{Name: "nil receivers: accessors", Call: func(context.Context) (func() error, error) {
			var s *Affine
			var p *Polyhedron
			return func() error {
				if s.Dim() != 0 || s.Rank() != 0 || s.Params() != nil || p.Dim() != 0 || p.Params() != nil {
					return errors.New("nil accessors not zero")
				}
				return nil
			}, nil
		}},
		{Name: "nil *Affine.WithParams", Want: ErrInvalid, Call: func(context.Context) (func() error, error) {
			var s *Affine
			_, err := s.WithParams([]float64{1})
			return nil, err
		}},
		{Name: "nil *Polyhedron.ParamVJP", Want: ErrInvalid, Call: func(context.Context) (func() error, error) {
			var s *Polyhedron
			return nil, s.ParamVJP(make([]float64, 1), []float64{1, 2}, []float64{1, 2}, []float64{1, 2})
		}},
		{Name: "nil *Affine.VJP", Want: ErrInvalid, Call: func(context.Context) (func() error, error) {
			var s *Affine
			return nil, s.VJP(make([]float64, 2), []float64{1, 2}, []float64{1, 2}, []float64{1, 2})
		}},
	}
	testutil.RunAdversarial(t, cases)
}

func TestAdversarialConditionsAndRows(t *testing.T) {
	y := mat.NewDense(2, 3, []float64{1, 2, 3, -1, 0, 5})
	x := mat.NewDense(2, 3, nil)
	if err := ProjectRows(context.Background(), x, y, Simplex{1}, &Settings{Workers: 1}); err != nil {
		t.Fatal(err)
	}
	var cases []testutil.Case
	for _, eta := range []float64{0, -1, 2, 3, nan, inf} {
		cases = append(cases,
			testutil.Case{Name: fmt.Sprintf("Condition/η=%v", eta), Want: ErrInvalid, Call: func(context.Context) (func() error, error) {
				_, err := Condition(Simplex{1}, 3, eta)
				return nil, err
			}},
			testutil.Case{Name: fmt.Sprintf("ParamCondition/η=%v", eta), Want: ErrInvalid, Call: func(context.Context) (func() error, error) {
				_, err := ParamCondition(Simplex{1}, 3, eta)
				return nil, err
			}})
	}
	cases = append(cases,
		testutil.Case{Name: "Condition/nil set", Want: ErrInvalid, Call: func(context.Context) (func() error, error) {
			_, err := Condition(nil, 3, 0.5)
			return nil, err
		}},
		testutil.Case{Name: "Condition/n=0", Want: ErrInvalid, Call: func(context.Context) (func() error, error) {
			_, err := Condition(Simplex{1}, 0, 0.5)
			return nil, err
		}},
		testutil.Case{Name: "ParamCondition/nil set", Want: ErrInvalid, Call: func(context.Context) (func() error, error) {
			_, err := ParamCondition(nil, 3, 0.5)
			return nil, err
		}},
		testutil.Case{Name: "Condition/VJP wrong lengths", Want: implicit.ErrDims, Any: nil, Call: func(context.Context) (func() error, error) {
			c, err := Condition(Simplex{1}, 3, 0.5)
			if err != nil {
				return nil, err
			}
			_, err = implicit.VJP(context.Background(), c, []float64{1, 0}, []float64{1, 2, 3}, []float64{1, 1, 1}, nil)
			return nil, err
		}},
		testutil.Case{Name: "Condition/VJP NaN point", Call: func(context.Context) (func() error, error) {
			c, err := Condition(Simplex{1}, 3, 0.5)
			if err != nil {
				return nil, err
			}
			g, err := implicit.VJP(context.Background(), c, []float64{nan, 0, 1}, []float64{1, 2, 3}, []float64{1, 1, 1}, nil)
			return func() error { return testutil.Finite("VJP", g) }, err
		}, Any: []error{implicit.ErrNaN}},
		testutil.Case{Name: "Condition/VJP ok", Call: func(context.Context) (func() error, error) {
			c, err := Condition(Simplex{1}, 3, 0.5)
			if err != nil {
				return nil, err
			}
			g, err := implicit.VJP(context.Background(), c, x.RawRowView(0), y.RawRowView(0), []float64{1, 0, 0}, nil)
			return func() error { return testutil.Finite("VJP", g) }, err
		}},
		testutil.Case{Name: "JacobianOperator/nil set", Call: func(context.Context) (func() error, error) {
			op := JacobianOperator(nil, []float64{1, 0}, []float64{1, 0})
			dst := make([]float64, 2)
			op.Apply(dst, []float64{1, 1})
			return func() error {
				if !math.IsNaN(dst[0]) {
					return fmt.Errorf("nil set: Apply wrote %v, want NaN (documented failure value)", dst)
				}
				return nil
			}, nil
		}},
		testutil.Case{Name: "JacobianOperator/wrong length", Call: func(context.Context) (func() error, error) {
			op := JacobianOperator(Simplex{1}, []float64{1, 0}, []float64{1, 0})
			dst := make([]float64, 2)
			op.Apply(dst, []float64{1, 1, 1})
			return func() error {
				if !math.IsNaN(dst[0]) {
					return fmt.Errorf("Apply wrote %v, want NaN", dst)
				}
				return nil
			}, nil
		}},
	)
	rowCall := func(name string, f func() (*mat.Dense, error), want error, any ...error) testutil.Case {
		return testutil.Case{Name: name, Want: want, Any: any, Call: func(context.Context) (func() error, error) {
			d, err := f()
			return func() error {
				if d == nil {
					return errors.New("nil result")
				}
				return testutil.Finite(name, d.RawMatrix().Data)
			}, err
		}}
	}
	nanY := mat.NewDense(2, 3, []float64{1, nan, 3, -1, 0, 5})
	for _, w := range []int{0, 1, 8} {
		cases = append(cases, rowCall(fmt.Sprintf("ProjectRows/workers=%d", w), func() (*mat.Dense, error) {
			d := mat.NewDense(2, 3, nil)
			return d, ProjectRows(context.Background(), d, y, Simplex{1}, &Settings{Workers: w})
		}, nil))
	}
	cases = append(cases,
		rowCall("ProjectRows/workers=-1", func() (*mat.Dense, error) {
			return nil, ProjectRows(context.Background(), mat.NewDense(2, 3, nil), y, Simplex{1}, &Settings{Workers: -1})
		}, ErrInvalid),
		rowCall("JVPRows/workers=-1", func() (*mat.Dense, error) {
			return nil, JVPRows(context.Background(), mat.NewDense(2, 3, nil), x, y, y, Simplex{1}, &Settings{Workers: -1})
		}, ErrInvalid),
		rowCall("ProjectRows/canceled", func() (*mat.Dense, error) {
			return nil, ProjectRows(testutil.Canceled(), mat.NewDense(2, 3, nil), y, Simplex{1}, nil)
		}, context.Canceled),
		rowCall("SolveBatch/workers=-1", func() (*mat.Dense, error) {
			_, err := SolveBatch(context.Background(), Simplex{1}, [][]float64{{1, 2, 3}}, &Settings{Workers: -1})
			return nil, err
		}, ErrInvalid),
		rowCall("ProjectRows/nil dst", func() (*mat.Dense, error) {
			return nil, ProjectRows(context.Background(), nil, y, Simplex{1}, &Settings{Workers: 1})
		}, ErrDims),
		rowCall("ProjectRows/nil y", func() (*mat.Dense, error) {
			return nil, ProjectRows(context.Background(), x, nil, Simplex{1}, &Settings{Workers: 1})
		}, ErrDims),
		rowCall("ProjectRows/nil set", func() (*mat.Dense, error) {
			return nil, ProjectRows(context.Background(), x, y, nil, &Settings{Workers: 1})
		}, ErrDims),
		rowCall("ProjectRows/shape", func() (*mat.Dense, error) {
			return nil, ProjectRows(context.Background(), mat.NewDense(3, 2, nil), y, Simplex{1}, &Settings{Workers: 1})
		}, ErrDims),
		rowCall("ProjectRows/NaN", func() (*mat.Dense, error) {
			return nil, ProjectRows(context.Background(), mat.NewDense(2, 3, nil), nanY, Simplex{1}, &Settings{Workers: 1})
		}, ErrNaN),
		rowCall("JVPRows/nil set", func() (*mat.Dense, error) {
			return nil, JVPRows(context.Background(), mat.NewDense(2, 3, nil), x, y, y, nil, &Settings{Workers: 1})
		}, ErrDims),
		rowCall("VJPRows/nil set", func() (*mat.Dense, error) {
			return nil, VJPRows(context.Background(), mat.NewDense(2, 3, nil), x, y, y, nil, &Settings{Workers: 1})
		}, ErrDims),
		rowCall("JVPRows/nil v", func() (*mat.Dense, error) {
			return nil, JVPRows(context.Background(), mat.NewDense(2, 3, nil), x, y, nil, Simplex{1}, &Settings{Workers: 1})
		}, ErrDims),
		rowCall("VJPRows/NaN u", func() (*mat.Dense, error) {
			return nil, VJPRows(context.Background(), mat.NewDense(2, 3, nil), x, y, nanY, Simplex{1}, &Settings{Workers: 1})
		}, ErrNaN),
		rowCall("VJPRows/ok", func() (*mat.Dense, error) {
			d := mat.NewDense(2, 3, nil)
			return d, VJPRows(context.Background(), d, x, y, y, Simplex{1}, &Settings{Workers: 2})
		}, nil),
	)
	testutil.RunAdversarial(t, cases)
}

// The rescaled, recentred path of Transport.Project (forced here by a
// tolerance it cannot reach, so it returns ErrNotConverged with its last
// iterate) agrees with the direct Newton path where both work.
func TestTransportRecentredPathAgrees(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	for _, sc := range []float64{1, 1e3, 1e6} {
		for trial := range 4 {
			m, k := 3+rng.IntN(12), 3+rng.IntN(12)
			a, b := make([]float64, m), make([]float64, k)
			sa, sb := 0.0, 0.0
			for i := range a {
				a[i] = 0.5 + rng.Float64()
				sa += a[i]
			}
			for j := range b {
				b[j] = 0.5 + rng.Float64()
				sb += b[j]
			}
			for j := range b {
				b[j] *= sa / sb
			}
			y := make([]float64, m*k)
			for i := range y {
				y[i] = sc * rng.NormFloat64()
			}
			direct, recentred := make([]float64, m*k), make([]float64, m*k)
			require.NoError(t, Transport{Rows: a, Cols: b}.Project(direct, y))
			err := Transport{Rows: a, Cols: b, Tol: 1e-30}.Project(recentred, y)
			require.ErrorIs(t, err, ErrNotConverged)
			assert.InDeltaSlice(t, direct, recentred, 1e-15*max(1, sc)*10, "scale %g trial %d", sc, trial)
		}
	}
}

// panicSet is a user's Set whose methods panic.
type panicSet struct{}

func (panicSet) Project(dst, y []float64) error                 { panic("user Project panics") }
func (panicSet) JVP(dst, x, y, v []float64) error               { panic("user JVP panics") }
func (panicSet) VJP(dst, x, y, u []float64) error               { panic("user VJP panics") }
func (panicSet) Params() []float64                              { panic("user Params panics") }
func (panicSet) WithParams(theta []float64) (Parametric, error) { panic("user WithParams panics") }
func (panicSet) ParamJVP(dst, x, y, dtheta []float64) error     { panic("user ParamJVP panics") }
func (panicSet) ParamVJP(dst, x, y, u []float64) error          { panic("user ParamVJP panics") }

// A user's Set that panics, driven by the package (row batches,
// conditions, operators): an error, never a panic.
func TestAdversarialPanickingSet(t *testing.T) {
	y := mat.NewDense(2, 3, []float64{1, 2, 3, -1, 0, 5})
	nanOut := func(dst []float64) func() error {
		return func() error {
			for _, v := range dst {
				if !math.IsNaN(v) {
					return fmt.Errorf("wrote %v, want NaN", dst)
				}
			}
			return nil
		}
	}
	cases := []testutil.Case{
		{Name: "ProjectRows", Want: ErrInvalid, Call: func(context.Context) (func() error, error) {
			return nil, ProjectRows(context.Background(), mat.NewDense(2, 3, nil), y, panicSet{}, &Settings{Workers: 2})
		}},
		{Name: "JVPRows", Want: ErrInvalid, Call: func(context.Context) (func() error, error) {
			return nil, JVPRows(context.Background(), mat.NewDense(2, 3, nil), y, y, y, panicSet{}, &Settings{Workers: 1})
		}},
		{Name: "VJPRows", Want: ErrInvalid, Call: func(context.Context) (func() error, error) {
			return nil, VJPRows(context.Background(), mat.NewDense(2, 3, nil), y, y, y, panicSet{}, &Settings{Workers: 1})
		}},
		{Name: "JacobianOperator", Call: func(context.Context) (func() error, error) {
			dst := make([]float64, 3)
			JacobianOperator(panicSet{}, []float64{1, 2, 3}, []float64{1, 2, 3}).Apply(dst, []float64{1, 1, 1})
			return nanOut(dst), nil
		}},
		{Name: "Condition.Residual", Call: func(context.Context) (func() error, error) {
			c, err := Condition(panicSet{}, 3, 0.5)
			if err != nil {
				return nil, err
			}
			dst := make([]float64, 3)
			c.Residual(dst, []float64{1, 2, 3}, []float64{1, 2, 3})
			return nanOut(dst), nil
		}},
		{Name: "Condition.Linearize", Want: ErrInvalid, Call: func(context.Context) (func() error, error) {
			c, err := Condition(panicSet{}, 3, 0.5)
			if err != nil {
				return nil, err
			}
			_, _, err = c.Linearize([]float64{1, 2, 3}, []float64{1, 2, 3})
			return nil, err
		}},
		{Name: "ParamCondition", Want: ErrInvalid, Call: func(context.Context) (func() error, error) {
			_, err := ParamCondition(panicSet{}, 3, 0.5)
			return nil, err
		}},
	}
	testutil.RunAdversarial(t, cases)
}
