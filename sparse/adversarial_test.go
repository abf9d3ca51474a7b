package sparse

import (
	"context"
	"errors"
	"fmt"
	"math"
	"testing"

	"github.com/optlayers/optlayers/internal/testutil"
	"gonum.org/v1/gonum/mat"
)

// TestAdversarial: constructors and methods on hostile arguments return a
// documented sentinel or a checked result, never panic.
func TestAdversarial(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	ok := func(a *CSC) error {
		if a == nil {
			return fmt.Errorf("nil matrix")
		}
		cp, ri, v := a.Raw()
		_, err := NewCSC(a.rows, a.cols, cp, ri, v)
		return err
	}
	small := func() *CSC {
		a, _ := FromTriplets(2, 3, []int{0, 1}, []int{0, 2}, []float64{1, 2}, nil)
		return a
	}
	cases := []testutil.Case{
		{Name: "NewCSC nil slices", Want: ErrInvalid, Call: func(context.Context) (func() error, error) {
			_, err := NewCSC(2, 2, nil, nil, nil)
			return nil, err
		}},
		{Name: "NewCSC huge dims", Want: ErrDims, Call: func(context.Context) (func() error, error) {
			_, err := NewCSC(math.MaxInt, 0, []int{0}, nil, nil)
			return nil, err
		}},
		{Name: "NewCSC zero by zero", Call: func(context.Context) (func() error, error) {
			a, err := NewCSC(0, 0, []int{0}, nil, nil)
			return func() error { return ok(a) }, err
		}},
		{Name: "FromTriplets MaxInt cols", Want: ErrDims, Call: func(context.Context) (func() error, error) {
			_, err := FromTriplets(1, math.MaxInt, nil, nil, nil, nil)
			return nil, err
		}},
		{Name: "FromTriplets Inf", Want: ErrNaN, Call: func(context.Context) (func() error, error) {
			_, err := FromTriplets(1, 1, []int{0}, []int{0}, []float64{inf}, nil)
			return nil, err
		}},
		{Name: "FromTriplets 1e300 sums overflow", Want: ErrNaN, Call: func(context.Context) (func() error, error) {
			_, err := FromTriplets(1, 1, []int{0, 0}, []int{0, 0}, []float64{1e308, 1e308}, nil)
			return nil, err
		}},
		{Name: "FromTriplets 1e-300", Call: func(context.Context) (func() error, error) {
			a, err := FromTriplets(1, 1, []int{0}, []int{0}, []float64{1e-300}, nil)
			return func() error { return ok(a) }, err
		}},
		{Name: "FromTriplets bad policy", Want: ErrInvalid, Call: func(context.Context) (func() error, error) {
			_, err := FromTriplets(1, 1, nil, nil, nil, &TripletSettings{Duplicates: -1})
			return nil, err
		}},
		{Name: "SymFromTriplets huge", Want: ErrDims, Call: func(context.Context) (func() error, error) {
			_, err := SymFromTriplets(math.MaxInt, nil, nil, nil, nil)
			return nil, err
		}},
		{Name: "FromDense NaN", Want: ErrNaN, Call: func(context.Context) (func() error, error) {
			_, err := FromDense(mat.NewDense(1, 1, []float64{nan}))
			return nil, err
		}},
		{Name: "SymFromDense nil", Want: ErrInvalid, Call: func(context.Context) (func() error, error) {
			_, err := SymFromDense(nil)
			return nil, err
		}},
		{Name: "MulVec nil dst", Want: ErrDims, Call: func(context.Context) (func() error, error) {
			return nil, small().MulVec(nil, []float64{1, 1, 1})
		}},
		{Name: "MulTransVecScaled short x", Want: ErrDims, Call: func(context.Context) (func() error, error) {
			return nil, small().MulTransVecScaled(make([]float64, 3), 1, []float64{1}, 0)
		}},
		{Name: "MulVecScaled beta=0 ignores NaN in dst", Call: func(context.Context) (func() error, error) {
			y := []float64{nan, nan}
			err := small().MulVecScaled(y, 2, []float64{1, 1, 1}, 0)
			return func() error { return testutil.Finite("y", y) }, err
		}},
		{Name: "ScaleRows Inf", Want: ErrNaN, Call: func(context.Context) (func() error, error) {
			return nil, small().ScaleRows([]float64{1, inf})
		}},
		{Name: "ScaleCols nil", Want: ErrDims, Call: func(context.Context) (func() error, error) {
			return nil, small().ScaleCols(nil)
		}},
		{Name: "SymCSC MulVec mismatch", Want: ErrDims, Call: func(context.Context) (func() error, error) {
			s, _ := SymFromTriplets(2, nil, nil, nil, nil)
			return nil, s.MulVec(make([]float64, 3), make([]float64, 2))
		}},
		{Name: "NewSymCSC lower entry", Want: ErrInvalid, Call: func(context.Context) (func() error, error) {
			_, err := NewSymCSC(2, []int{0, 1, 1}, []int{1}, []float64{1})
			return nil, err
		}},
		{Name: "NewLDL nil", Want: ErrInvalid, Call: func(context.Context) (func() error, error) {
			_, err := NewLDL(nil, nil, nil)
			return nil, err
		}},
		{Name: "NewLDL bad sign", Want: ErrInvalid, Call: func(context.Context) (func() error, error) {
			k, err := SymFromDense(mat.NewSymDense(2, []float64{2, 1, 1, -2}))
			if err != nil {
				return nil, err
			}
			_, err = NewLDL(k, []int8{1, 0}, nil)
			return nil, err
		}},
		{Name: "NewLDL NaN setting", Want: ErrInvalid, Call: func(context.Context) (func() error, error) {
			k, err := SymFromDense(mat.NewSymDense(2, []float64{2, 1, 1, -2}))
			if err != nil {
				return nil, err
			}
			_, err = NewLDL(k, []int8{1, -1}, &LDLSettings{StaticReg: math.NaN()})
			return nil, err
		}},
		{Name: "nil LDL Clone, Solve, Refactor", Want: ErrInvalid, Call: func(context.Context) (func() error, error) {
			var f *LDL
			if f.Clone() != nil {
				return nil, errors.New("the clone of nil is not nil")
			}
			if err := f.Refactor(nil); !errors.Is(err, ErrInvalid) {
				return nil, fmt.Errorf("Refactor: %v", err)
			}
			return nil, f.Solve(nil, nil)
		}},
		{Name: "Clone Solve before Refactor", Want: ErrInvalid, Call: func(context.Context) (func() error, error) {
			k, err := SymFromDense(mat.NewSymDense(2, []float64{2, 1, 1, -2}))
			if err != nil {
				return nil, err
			}
			f, err := NewLDL(k, []int8{1, -1}, nil)
			if err != nil {
				return nil, err
			}
			return nil, f.Clone().Solve(make([]float64, 2), []float64{1, 1})
		}},
		{Name: "Clone Refactor mismatched pattern", Want: ErrInvalid, Call: func(context.Context) (func() error, error) {
			k, err := SymFromDense(mat.NewSymDense(2, []float64{2, 1, 1, -2}))
			if err != nil {
				return nil, err
			}
			f, err := NewLDL(k, []int8{1, -1}, nil)
			if err != nil {
				return nil, err
			}
			other, err := SymFromDense(mat.NewSymDense(2, []float64{2, 0, 0, -2}))
			if err != nil {
				return nil, err
			}
			return nil, f.Clone().Refactor(other)
		}},
	}
	testutil.RunAdversarial(t, cases)
}
