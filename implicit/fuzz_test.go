package implicit

import (
	"context"
	"encoding/binary"
	"errors"
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/implicit/linsolve"
)

// FuzzEngine feeds arbitrary linear conditions F = A x + B θ (NaN, Inf,
// singular A, huge values) through VJP, JVP and Jacobian with every method:
// never a panic, never a non-finite result without an error.
func FuzzEngine(f *testing.F) {
	seed := make([]byte, 3+8*8)
	seed[0], seed[1], seed[2] = 1, 0, 0 // n = 2, p = 1, Auto
	for i, v := range []float64{2, 1, 0, 3, 1, -1, 0.5, 0.25} {
		binary.LittleEndian.PutUint64(seed[3+8*i:], math.Float64bits(v))
	}
	f.Add(seed)
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 3 {
			return
		}
		n, p := int(data[0])%5+1, int(data[1])%4+1
		method := Method(int(data[2]) % 9)
		data = data[3:]
		vals := make([]float64, n*n+n*p)
		for i := range vals {
			if 8*i+8 <= len(data) {
				vals[i] = math.Float64frombits(binary.LittleEndian.Uint64(data[8*i:]))
			} else {
				vals[i] = float64(i%3) - 0.5
			}
		}
		a := mat.NewDense(n, n, vals[:n*n])
		b := mat.NewDense(n, p, vals[n*n:])
		c := &ConditionFunc{N: n, P: p,
			ResidualFunc: func(dst, x, th []float64) {},
			LinearizeFunc: func(x, th []float64) (Operator, Operator, error) {
				return linsolve.NewMatrix(a), linsolve.NewMatrix(b), nil
			}}
		x, th := make([]float64, n), make([]float64, p)
		g := make([]float64, n)
		for i := range g {
			g[i] = float64(i + 1)
		}
		s := &Settings{Method: method, MaxIter: 40}
		if v, err := VJP(context.Background(), c, x, th, g, s); err == nil && !finite(v) {
			t.Fatalf("VJP %v: non-finite result without error: %v", method, v)
		}
		if v, err := JVP(context.Background(), c, x, th, th, s); err == nil && !finite(v) {
			t.Fatalf("JVP %v: non-finite result without error: %v", method, v)
		}
		if j, err := Jacobian(context.Background(), c, x, th, s); err == nil && !denseFinite(j) {
			t.Fatalf("Jacobian %v: non-finite result without error", method)
		}
	})
}

// FuzzNumerical drives Numerical, Check and Problem.Solve with arbitrary
// nonlinear residuals F(x, θ) = a⊙x³ + b⊙x − θ·c (NaN, Inf, 1e±300,
// singular) and settings: never a panic, never a non-finite result with a
// nil error.
func FuzzNumerical(f *testing.F) {
	seed := make([]byte, 2+8*5)
	seed[0], seed[1] = 1, 3 // n = 2, method
	for i, v := range []float64{1, 2, 0.5, 1, -1} {
		binary.LittleEndian.PutUint64(seed[2+8*i:], math.Float64bits(v))
	}
	f.Add(seed)
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 2 {
			return
		}
		n := int(data[0])%4 + 1
		method := Method(int(data[1]) % 11) // includes two unknown methods
		data = data[2:]
		val := func(i int) float64 {
			if 8*i+8 <= len(data) {
				return math.Float64frombits(binary.LittleEndian.Uint64(data[8*i:]))
			}
			return float64(i%3) + 0.5
		}
		a, b, c, th, tol := val(0), val(1), val(2), val(3), val(4)
		residual := func(dst, x, theta []float64) {
			for i := range dst {
				dst[i] = a*x[i]*x[i]*x[i] + b*x[i] - theta[0]*c
			}
		}
		cond := Numerical(n, 1, residual)
		x := make([]float64, n)
		for i := range x {
			x[i] = val(5 + i)
		}
		s := &Settings{Method: method, Tol: math.Abs(tol) * 1e-8, MaxIter: 50}
		if v, err := VJP(context.Background(), cond, x, []float64{th}, x, s); err == nil && !finite(v) {
			t.Fatalf("VJP: non-finite result without error: %v", v)
		}
		if r, err := Check(cond, x, []float64{th}, nil); err == nil && math.IsNaN(r.Worst()) {
			t.Fatalf("Check: NaN without error")
		}
		pb := &Problem{Condition: cond, Settings: s, Tol: tol,
			Solver: func(_ context.Context, theta, _ []float64) ([]float64, error) { return x, nil }}
		if sol, err := pb.Solve(context.Background(), []float64{th}, nil); err == nil {
			if j, err := sol.Jacobian(); err == nil && !denseFinite(j) {
				t.Fatalf("Jacobian: non-finite result without error")
			}
		}
	})
}

// FuzzNewBatchError builds batch errors from arbitrary failure patterns:
// the indices are the failing items in order, Err(i) agrees with the
// input, and Error never panics.
func FuzzNewBatchError(f *testing.F) {
	f.Add([]byte{0, 1, 0, 1, 1})
	f.Fuzz(func(t *testing.T, mask []byte) {
		errs := make([]error, len(mask))
		for i, b := range mask {
			if b%2 == 1 {
				errs[i] = errors.New("x")
			}
		}
		err := NewBatchError(errs)
		var be *BatchError
		if !errors.As(err, &be) {
			for i, e := range errs {
				if e != nil {
					t.Fatalf("item %d failed but no BatchError", i)
				}
			}
			return
		}
		_ = be.Error()
		last := -1
		for _, i := range be.Indices {
			if i <= last {
				t.Fatalf("indices %v not increasing", be.Indices)
			}
			last = i
		}
		for i, e := range errs {
			if (be.Err(i) != nil) != (e != nil) {
				t.Fatalf("Err(%d) = %v, input %v", i, be.Err(i), e)
			}
		}
	})
}
