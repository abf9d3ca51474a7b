package linsolve

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/internal/testutil"
)

type solver func(ctx context.Context, dst []float64, a Operator, b []float64, s *Settings) (Result, error)

var solvers = []struct {
	name string
	f    solver
}{{"CG", CG}, {"NormalCG", NormalCG}, {"GMRES", GMRES}, {"BiCGSTAB", BiCGSTAB}, {"Neumann", Neumann}}

// spd2 is [[1, 0.2], [0.2, 0.8]]: SPD with ‖I − A‖ < 1, so that every
// method, Neumann included, converges.
func spd2() Matrix { return NewMatrix(mat.NewDense(2, 2, []float64{1, 0.2, 0.2, 0.8})) }

func residual(a Operator, x, b []float64) error {
	if err := testutil.Finite("x", x); err != nil {
		return err
	}
	r := make([]float64, len(b))
	a.Apply(r, x)
	for i := range r {
		if math.Abs(r[i]-b[i]) > 1e-6*math.Max(1, math.Abs(b[i])) {
			return fmt.Errorf("residual %v at %d", r[i]-b[i], i)
		}
	}
	return nil
}

func TestAdversarialIterative(t *testing.T) {
	nan := math.NaN()
	b := []float64{1, -1}
	boom := NewFunc(2, 2, func(dst, v []float64) { panic("apply boom") }, func(dst, u []float64) { panic(errors.New("applyT boom")) })
	var cases []testutil.Case
	for _, sv := range solvers {
		call := func(a Operator, dst, b []float64, s *Settings) func(context.Context) (func() error, error) {
			return func(ctx context.Context) (func() error, error) {
				_, err := sv.f(ctx, dst, a, b, s)
				if sv.name == "NormalCG" {
					// A least-squares solution: Mᵀ(b − M x) = 0.
					return func() error {
						r, g := make([]float64, len(b)), make([]float64, len(dst))
						a.Apply(r, dst)
						for i := range r {
							r[i] = b[i] - r[i]
						}
						a.ApplyT(g, r)
						return residual(Zero{Rows: len(g), Cols: len(dst)}, dst, g)
					}, err
				}
				return func() error { return residual(a, dst, b) }, err
			}
		}
		add := func(name string, want error, f func(context.Context) (func() error, error), any ...error) {
			cases = append(cases, testutil.Case{Name: sv.name + "/" + name, Want: want, Any: any, Call: f})
		}
		add("valid", nil, call(spd2(), make([]float64, 2), b, &Settings{Terms: 400, Tol: 1e-10}))
		add("nil operator", ErrInvalid, call(nil, make([]float64, 2), b, nil))
		add("nil *Func", ErrInvalid, call((*Func)(nil), make([]float64, 2), b, nil))
		add("Func without closures", ErrInvalid, call(&Func{Rows: 2, Cols: 2}, make([]float64, 2), b, nil))
		add("nil matrix", ErrInvalid, call(Matrix{}, make([]float64, 2), b, nil))
		add("len b", ErrDims, call(spd2(), make([]float64, 2), b[:1], nil))
		add("len dst", ErrDims, call(spd2(), make([]float64, 3), b, nil))
		add("NaN b", ErrNaN, call(spd2(), make([]float64, 2), []float64{nan, 0}, nil))
		add("NaN operator", nil, call(NewMatrix(mat.NewDense(2, 2, []float64{nan, 0, 0, 1})), make([]float64, 2), b, nil), ErrNaN, ErrNotConverged, ErrBreakdown)
		add("1e300 b", nil, call(spd2(), make([]float64, 2), []float64{1e300, -1e300}, &Settings{Terms: 400}), ErrNaN, ErrNotConverged)
		add("singular", nil, call(Zero{Rows: 2, Cols: 2}, make([]float64, 2), b, nil), ErrNaN, ErrNotConverged, ErrBreakdown)
		add("Tol -1", ErrInvalid, call(spd2(), make([]float64, 2), b, &Settings{Tol: -1}))
		add("Tol NaN", ErrInvalid, call(spd2(), make([]float64, 2), b, &Settings{Tol: nan}))
		add("MaxIter -1", ErrInvalid, call(spd2(), make([]float64, 2), b, &Settings{MaxIter: -1}))
		add("Restart -1", ErrInvalid, call(spd2(), make([]float64, 2), b, &Settings{Restart: -1}))
		add("Terms -1", ErrInvalid, call(spd2(), make([]float64, 2), b, &Settings{Terms: -1}))
		add("Step Inf", ErrInvalid, call(spd2(), make([]float64, 2), b, &Settings{Step: math.Inf(1)}))
		add("WarmStart length", nil, call(spd2(), make([]float64, 2), b, &Settings{WarmStart: []float64{1}, Terms: 400}), ErrDims)
		add("panicking operator", ErrCallback, call(boom, make([]float64, 2), b, nil))
		add("8 goroutines", nil, func(context.Context) (func() error, error) {
			a := spd2()
			errs := make([]error, 8)
			var wg sync.WaitGroup
			for k := range 8 {
				wg.Go(func() {
					x := make([]float64, 2)
					rhs := []float64{1, float64(k)}
					_, err := sv.f(context.Background(), x, a, rhs, &Settings{Terms: 400})
					if err == nil {
						err = residual(a, x, rhs)
					}
					errs[k] = err
				})
			}
			wg.Wait()
			return func() error { return nil }, errors.Join(errs...)
		})
	}
	testutil.RunAdversarial(t, cases)
}

func TestAdversarialDense(t *testing.T) {
	nan := math.NaN()
	sq := mat.NewDense(2, 2, []float64{2, 1, 1, 3})
	b := []float64{1, 2}
	solve := func(f Factorized, err error, dst, b []float64) (func() error, error) {
		if err != nil {
			return nil, err
		}
		if err := f.Solve(dst, b); err != nil {
			return nil, err
		}
		return func() error { return residual(f, dst, b) }, nil
	}
	lu := func(m mat.Matrix) (Factorized, error) { return NewLU(m) }
	qr := func(m mat.Matrix) (Factorized, error) { return NewQR(m) }
	ch := func(m mat.Symmetric) (Factorized, error) { return NewCholesky(m) }
	cases := []testutil.Case{
		{Name: "LU/valid", Call: func(context.Context) (func() error, error) {
			f, err := lu(sq)
			return solve(f, err, make([]float64, 2), b)
		}},
		{Name: "LU/nil", Want: ErrInvalid, Call: func(context.Context) (func() error, error) {
			f, err := lu(nil)
			return solve(f, err, make([]float64, 2), b)
		}},
		{Name: "LU/typed nil", Want: ErrInvalid, Call: func(context.Context) (func() error, error) {
			f, err := lu((*mat.Dense)(nil))
			return solve(f, err, make([]float64, 2), b)
		}},
		{Name: "LU/non-square", Want: ErrDims, Call: func(context.Context) (func() error, error) {
			f, err := lu(mat.NewDense(2, 3, nil))
			return solve(f, err, make([]float64, 2), b)
		}},
		{Name: "LU/NaN", Want: ErrNaN, Call: func(context.Context) (func() error, error) {
			f, err := lu(mat.NewDense(2, 2, []float64{nan, 0, 0, 1}))
			return solve(f, err, make([]float64, 2), b)
		}},
		{Name: "LU/singular", Want: ErrSingular, Call: func(context.Context) (func() error, error) {
			f, err := lu(mat.NewDense(2, 2, []float64{1, 2, 2, 4}))
			return solve(f, err, make([]float64, 2), b)
		}},
		{Name: "LU/len b", Want: ErrDims, Call: func(context.Context) (func() error, error) {
			f, err := lu(sq)
			return solve(f, err, make([]float64, 2), b[:1])
		}},
		{Name: "LU/NaN b", Any: []error{ErrNaN}, Call: func(context.Context) (func() error, error) {
			f, err := lu(sq)
			return solve(f, err, make([]float64, 2), []float64{nan, 1})
		}},
		{Name: "LU/1e300 entries", Any: []error{ErrSingular, ErrNaN}, Call: func(context.Context) (func() error, error) {
			f, err := lu(mat.NewDense(2, 2, []float64{1e300, 1, 1, 1e-300}))
			return solve(f, err, make([]float64, 2), b)
		}},
		{Name: "QR/nil", Want: ErrInvalid, Call: func(context.Context) (func() error, error) {
			f, err := qr(nil)
			return solve(f, err, make([]float64, 2), b)
		}},
		{Name: "QR/wide", Want: ErrDims, Call: func(context.Context) (func() error, error) {
			f, err := qr(mat.NewDense(2, 3, nil))
			return solve(f, err, make([]float64, 2), b)
		}},
		{Name: "QR/valid", Call: func(context.Context) (func() error, error) {
			f, err := qr(sq)
			return solve(f, err, make([]float64, 2), b)
		}},
		{Name: "Cholesky/nil", Want: ErrInvalid, Call: func(context.Context) (func() error, error) {
			f, err := ch(nil)
			return solve(f, err, make([]float64, 2), b)
		}},
		{Name: "Cholesky/typed nil", Want: ErrInvalid, Call: func(context.Context) (func() error, error) {
			f, err := ch((*mat.SymDense)(nil))
			return solve(f, err, make([]float64, 2), b)
		}},
		{Name: "Cholesky/indefinite", Want: ErrNotPositiveDefinite, Call: func(context.Context) (func() error, error) {
			f, err := ch(mat.NewSymDense(2, []float64{1, 2, 2, 1}))
			return solve(f, err, make([]float64, 2), b)
		}},
		{Name: "Cholesky/valid", Call: func(context.Context) (func() error, error) {
			f, err := ch(mat.NewSymDense(2, []float64{2, 1, 1, 3}))
			return solve(f, err, make([]float64, 2), b)
		}},
		{Name: "Diagonal/valid", Call: func(context.Context) (func() error, error) {
			return solve(Diagonal{2, 4}, nil, make([]float64, 2), b)
		}},
		{Name: "Diagonal/len b", Want: ErrDims, Call: func(context.Context) (func() error, error) {
			return solve(Diagonal{2, 4}, nil, make([]float64, 2), b[:1])
		}},
		{Name: "Diagonal/len dst", Want: ErrDims, Call: func(context.Context) (func() error, error) {
			return solve(Diagonal{2, 4}, nil, nil, b)
		}},
		{Name: "Diagonal/zero", Want: ErrSingular, Call: func(context.Context) (func() error, error) {
			return solve(Diagonal{2, 0}, nil, make([]float64, 2), b)
		}},
		{Name: "Diagonal/NaN", Want: ErrNaN, Call: func(context.Context) (func() error, error) {
			return solve(Diagonal{2, nan}, nil, make([]float64, 2), b)
		}},
		{Name: "Diagonal/underflowing", Want: ErrNaN, Call: func(context.Context) (func() error, error) {
			return solve(Diagonal{1e-300, 1}, nil, make([]float64, 2), []float64{1e300, 1})
		}},
	}
	testutil.RunAdversarial(t, cases)
}
