package isotonic

import (
	"context"
	"errors"
	"math"
	"testing"

	"github.com/optlayers/optlayers/implicit"
)

// FuzzRegression: weighted l2 isotonic regression (either direction) and
// its products never panic, never return a non-finite or non-monotone
// result with a nil error, and fail only with the documented sentinels.
func FuzzRegression(f *testing.F) {
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}, uint8(0))
	f.Add([]byte{0xff, 0xf0, 0, 0, 0, 0, 0, 0x40, 1, 2, 3, 4, 5, 6, 7, 0x3f}, uint8(3))
	f.Fuzz(func(t *testing.T, data []byte, mode uint8) {
		v := bytesToFloats(data)
		n := len(v)
		var w []float64
		if mode&1 == 1 {
			n = len(v) / 2
			w = v[n : 2*n]
		}
		y := v[:n]
		decreasing := mode&2 == 2
		dst := make([]float64, n)
		sol, err := Regression(dst, y, w, decreasing)
		if err != nil {
			if !errors.Is(err, ErrDims) && !errors.Is(err, ErrNaN) && !errors.Is(err, ErrWeights) {
				t.Fatalf("undocumented error %v", err)
			}
			return
		}
		for i, x := range dst {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				t.Fatalf("non-finite output %v with nil error", dst)
			}
			if i > 0 && ((!decreasing && x < dst[i-1]) || (decreasing && x > dst[i-1])) {
				t.Fatalf("output %v not monotone", dst)
			}
		}
		out := make([]float64, n)
		for _, prod := range []func() error{
			func() error { return sol.VJP(out, y) },
			func() error { return sol.JVP(out, y) },
		} {
			if err := prod(); err != nil {
				if !errors.Is(err, ErrNaN) {
					t.Fatalf("product: %v", err)
				}
				continue
			}
			for _, x := range out {
				if math.IsNaN(x) || math.IsInf(x, 0) {
					t.Fatalf("non-finite product %v with nil error", out)
				}
			}
		}
	})
}

// FuzzMaps: the fixed-point maps of the permutahedron projection and of
// isotonic regression, through the implicit engine, never panic and never
// return a non-finite VJP with a nil error.
func FuzzMaps(f *testing.F) {
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24}, uint8(0), uint8(128))
	f.Add([]byte{0xff, 0xf0, 0, 0, 0, 0, 0, 0x40, 1, 2, 3, 4, 5, 6, 7, 0x3f}, uint8(1), uint8(255))
	f.Fuzz(func(t *testing.T, data []byte, mode, etaByte uint8) {
		v := bytesToFloats(data)
		eta := float64(etaByte) / 255
		var (
			m      implicit.Map
			err    error
			x, th  []float64
			nState int
		)
		if mode&1 == 0 {
			n := len(v) / 2
			nState = n
			m, err = PermutahedronMap(n, Regularization(mode/2%3), eta)
			th = v[:2*n]
			x = make([]float64, n)
			if err == nil {
				if _, perr := Project(x, th[:n], th[n:], Regularization(mode/2%3)); perr != nil {
					return
				}
			}
		} else {
			n := len(v)
			nState = n
			m, err = RegressionMap(n, nil, mode&2 == 2, eta)
			th = v
			x = make([]float64, n)
			if err == nil {
				if _, rerr := Regression(x, th, nil, mode&2 == 2); rerr != nil {
					return
				}
			}
		}
		if err != nil {
			if !errors.Is(err, ErrDims) && !errors.Is(err, ErrStep) && !errors.Is(err, ErrInvalid) {
				t.Fatalf("undocumented error %v", err)
			}
			return
		}
		g := make([]float64, nState)
		for i := range g {
			g[i] = 1 / float64(i+1)
		}
		out, err := implicit.VJP(context.Background(), implicit.FixedPoint(m), x, th, g, nil)
		if err != nil {
			return
		}
		for _, e := range out {
			if math.IsNaN(e) || math.IsInf(e, 0) {
				t.Fatalf("non-finite VJP %v with nil error", out)
			}
		}
	})
}
