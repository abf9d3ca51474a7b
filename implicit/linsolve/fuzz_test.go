package linsolve

import (
	"context"
	"encoding/binary"
	"errors"
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// fuzzSystem decodes a square system of size 1..8 from raw bytes; values
// may be anything, NaN and Inf included.
func fuzzSystem(data []byte) (*mat.Dense, []float64, bool) {
	if len(data) < 1 {
		return nil, nil, false
	}
	n := int(data[0])%8 + 1
	data = data[1:]
	need := (n*n + n) * 8
	if len(data) < need {
		return nil, nil, false
	}
	vals := make([]float64, n*n+n)
	for i := range vals {
		vals[i] = math.Float64frombits(binary.LittleEndian.Uint64(data[8*i:]))
	}
	return mat.NewDense(n, n, vals[:n*n]), vals[n*n:], true
}

func FuzzSolvers(f *testing.F) {
	seed := make([]byte, 1+(4+2)*8)
	seed[0] = 1 // n = 2
	for i, v := range []float64{2, 1, 1, 3, 1, -1} {
		binary.LittleEndian.PutUint64(seed[1+8*i:], math.Float64bits(v))
	}
	f.Add(seed)
	f.Fuzz(func(t *testing.T, data []byte) {
		a, b, ok := fuzzSystem(data)
		if !ok {
			return
		}
		n := len(b)
		op := NewMatrix(a)
		for name, solve := range map[string]func(context.Context, []float64, Operator, []float64, *Settings) (Result, error){
			"CG": CG, "NormalCG": NormalCG, "GMRES": GMRES, "BiCGSTAB": BiCGSTAB, "Neumann": Neumann,
		} {
			x := make([]float64, n)
			res, err := solve(context.Background(), x, op, b, &Settings{MaxIter: 50})
			if err == nil && (!finite(x) || math.IsNaN(res.Residual)) {
				t.Fatalf("%s returned NaN/Inf without an error: x=%v res=%v", name, x, res)
			}
			if err != nil && !(errors.Is(err, ErrNaN) || errors.Is(err, ErrNotConverged) || errors.Is(err, ErrBreakdown) || errors.Is(err, ErrDims)) {
				t.Fatalf("%s: unexpected error kind %v", name, err)
			}
		}
		if lu, err := NewLU(a); err == nil {
			x := make([]float64, n)
			if err := lu.Solve(x, b); err == nil && finite(b) && !finite(x) {
				t.Fatalf("LU returned NaN/Inf without an error")
			}
			if err := lu.SolveT(x, b); err == nil && finite(b) && !finite(x) {
				t.Fatalf("LU.SolveT returned NaN/Inf without an error")
			}
		} else if !(errors.Is(err, ErrNaN) || errors.Is(err, ErrSingular)) {
			t.Fatalf("NewLU: unexpected error kind %v", err)
		}
		s := mat.NewSymDense(n, nil)
		for i := range n {
			for j := i; j < n; j++ {
				s.SetSym(i, j, a.At(i, j))
			}
		}
		if ch, err := NewCholesky(s); err == nil {
			x := make([]float64, n)
			if err := ch.Solve(x, b); err == nil && finite(b) && !finite(x) {
				t.Fatalf("Cholesky returned NaN/Inf without an error")
			}
		} else if !(errors.Is(err, ErrNaN) || errors.Is(err, ErrSingular) || errors.Is(err, ErrNotPositiveDefinite)) {
			t.Fatalf("NewCholesky: unexpected error kind %v", err)
		}
	})
}
