package cone

import (
	"context"
	"encoding/binary"
	"math"
	"testing"

	"github.com/optlayers/optlayers/sparse"
)

func fuzzFloats(raw []byte, n int) []float64 {
	v := make([]float64, n)
	for i := range v {
		if len(raw) < 8 {
			break
		}
		v[i] = math.Float64frombits(binary.LittleEndian.Uint64(raw))
		raw = raw[8:]
	}
	return v
}

// fuzzCone picks a cone from which and a parameter p (dimension or α).
func fuzzCone(which uint8, p float64, n uint8) Cone {
	d := int(n%7) - 1 // −1 … 5: bad dimensions included
	switch which % 10 {
	case 0:
		return Nonnegative{d}
	case 1:
		return SecondOrder{d}
	case 2:
		return PSD{d}
	case 3:
		return Exp{}
	case 4:
		return ExpDual{}
	case 5:
		return Power{p}
	case 6:
		return PowerDual{p}
	case 7:
		return Zero{d}
	case 8:
		return Free{d}
	default:
		pr, err := NewProduct(SecondOrder{max(d, 1)}, Exp{}, Power{p})
		if err != nil {
			return (*Product)(nil)
		}
		return pr
	}
}

// FuzzCones drives every method of every cone with arbitrary vectors and
// parameters: no panic, and a nil error means finite outputs (and a
// projection in the cone, idempotent).
func FuzzCones(f *testing.F) {
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24}, 0.5, uint8(3), uint8(4))
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0xf0, 0x7f, 0, 0, 0, 0, 0, 0, 0xf8, 0x7f}, math.NaN(), uint8(5), uint8(3))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xef, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xef, 0xff}, 1e-300, uint8(2), uint8(5))
	f.Add([]byte{}, 0.999, uint8(9), uint8(2))
	f.Fuzz(func(t *testing.T, raw []byte, p float64, which, n uint8) {
		k := fuzzCone(which, p, n)
		d := max(k.Dim(), 0)
		y := fuzzFloats(raw, d)
		v := fuzzFloats(raw[min(len(raw), 8):], d)
		x := make([]float64, d)
		if err := k.Project(x, y); err == nil {
			if !finite(x) {
				t.Fatalf("%T: non-finite projection %v of %v", k, x, y)
			}
			if c := maxAbs(y); c > 0 && c < 1e300 && !inConeT(k, divided(x, c), 1e-7+1e-320/c) { // subnormal results carry few digits
				t.Fatalf("%T: Π(%v) = %v not in the cone", k, y, x)
			}
			out := make([]float64, d)
			if err := k.JVP(out, x, y, v); err == nil && !finite(out) {
				t.Fatalf("%T: non-finite JVP", k)
			}
			if err := k.VJP(out, x, y, v); err == nil && !finite(out) {
				t.Fatalf("%T: non-finite VJP", k)
			}
		}
		if dd, err := k.Dist(y); err == nil && !(dd >= 0 && !math.IsInf(dd, 0)) {
			t.Fatalf("%T: distance %v", k, dd)
		}
		_, _ = k.Contains(y, 1e-9)
		out := make([]float64, d)
		if fv, err := k.Barrier(y); err == nil && (math.IsNaN(fv) || math.IsInf(fv, 0)) {
			t.Fatalf("%T: barrier %v", k, fv)
		}
		if err := k.BarrierGrad(out, y); err == nil && !finite(out) {
			t.Fatalf("%T: non-finite gradient", k)
		}
		if err := k.BarrierHess(out, y, v); err == nil && !finite(out) {
			t.Fatalf("%T: non-finite Hessian action", k)
		}
		if err := k.BarrierThird(out, y, v, y); err == nil && !finite(out) {
			t.Fatalf("%T: non-finite third derivative", k)
		}
		if a, err := k.MaxStep(y, v, 1); err == nil && !(a >= 0 && a <= 1) {
			t.Fatalf("%T: step %v", k, a)
		}
		if sc, err := k.Scaling(y, v); err == nil {
			if !finite(sc.Lambda()) {
				t.Fatalf("%T: non-finite λ", k)
			}
			w := make([]float64, d)
			sc.Apply(w, v)
			if e, p, q, ok := SOCExpansion(sc); ok && !finite(append(append([]float64{e}, p...), q...)) {
				t.Fatalf("%T: non-finite expansion", k)
			}
			if m := ScalingMatrix(sc); m != nil && !finite(m.RawMatrix().Data) {
				t.Fatalf("%T: non-finite scaling matrix", k)
			}
		}
		if s, ok := k.(Symmetric); ok {
			if err := s.Jordan(out, y, v); err == nil && !finite(out) {
				t.Fatalf("%T: non-finite Jordan product", k)
			}
			if err := s.JordanDiv(out, y, v); err == nil && !finite(out) {
				t.Fatalf("%T: non-finite Jordan division", k)
			}
		}
	})
}

// FuzzSmat checks Smat/Svec on arbitrary vectors: an error or a round trip.
func FuzzSmat(f *testing.F) {
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24}, uint8(3))
	f.Fuzz(func(t *testing.T, raw []byte, n uint8) {
		v := fuzzFloats(raw, int(n%12))
		m, err := Smat(v)
		if err != nil {
			return
		}
		back := make([]float64, len(v))
		if err := Svec(back, m); err != nil {
			t.Fatal(err)
		}
		for i := range v {
			if finite(v[i:i+1]) && math.Abs(back[i]-v[i]) > 1e-12*math.Abs(v[i])+1e-300 {
				t.Fatalf("round trip %v → %v", v, back)
			}
		}
	})
}

// FuzzSolve drives Solve with arbitrary small problems: cones chosen by
// the bytes of shape (including bad dimensions and parameters), data
// from raw (NaN, ±Inf and extreme magnitudes included), a quadratic term
// on the diagonal and arbitrary settings. No panic; a nil error means
// Status Optimal with finite x, s, y and residuals within the tolerance's
// scale; a solution with an error is finite or nil.
func FuzzSolve(f *testing.F) {
	f.Add([]byte{0, 1, 3}, []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}, 0.3, uint8(2), 0.0, uint8(0))
	f.Add([]byte{7, 0, 1}, []byte{0, 0, 0, 0, 0, 0, 0xf0, 0x3f, 0, 0, 0, 0, 0, 0, 0xf8, 0x7f}, 0.5, uint8(3), 1e-9, uint8(5))
	f.Add([]byte{2, 5, 6}, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xef, 0x7f}, 0.7, uint8(1), -1.0, uint8(1))
	f.Add([]byte{4, 3}, []byte{}, 0.2, uint8(4), 1e-300, uint8(200))
	f.Fuzz(func(t *testing.T, shape, raw []byte, p float64, nvar uint8, tol float64, maxIter uint8) {
		if len(shape) > 4 {
			shape = shape[:4]
		}
		var cones []Cone
		for i, b := range shape {
			cones = append(cones, fuzzCone(b, p, uint8(i+int(b>>4))))
		}
		k, err := NewProduct(cones...)
		if err != nil {
			k = nil // still a valid call: Solve must refuse it
		}
		m := 0
		if k != nil {
			m = k.Dim()
		}
		n := int(nvar % 6)
		vals := fuzzFloats(raw, n*m+n+m+n)
		for i, v := range vals {
			if i >= len(raw)/8 { // beyond the input: a deterministic, benign filler
				vals[i] = float64((i*7)%5) - 2
				_ = v
			}
		}
		var ri, ci []int
		var av []float64
		for i := range m {
			for j := range n {
				if v := vals[i*n+j]; v != 0 && !math.IsNaN(v) && !math.IsInf(v, 0) {
					ri, ci, av = append(ri, i), append(ci, j), append(av, v)
				}
			}
		}
		a, err := sparse.FromTriplets(m, n, ri, ci, av, nil)
		if err != nil {
			a = nil
		}
		pv := vals[n*m : n*m+n]
		bv := vals[n*m+n : n*m+n+m]
		qd := vals[n*m+n+m:]
		var q *sparse.SymCSC
		if n > 0 && qd[0] > 0 && !math.IsInf(qd[0], 0) {
			idx := make([]int, n)
			d := make([]float64, n)
			for j := range n {
				idx[j] = j
				d[j] = math.Abs(qd[j])
				if math.IsNaN(d[j]) || math.IsInf(d[j], 0) {
					d[j] = 1
				}
			}
			q, _ = sparse.SymFromTriplets(n, idx, idx, d, nil)
		}
		pb := &Problem{Q: q, P: pv, A: a, B: bv, K: k}
		set := &Settings{Tol: tol, MaxIter: int(maxIter%60) + 1}
		sol, err := Solve(context.Background(), pb, set)
		if err == nil {
			if sol == nil || sol.Status != Optimal {
				t.Fatalf("nil error without an optimal solution: %+v", sol)
			}
		}
		if sol != nil {
			for _, v := range [][]float64{sol.X, sol.S, sol.Y, {sol.Objective}} {
				for _, x := range v {
					if math.IsNaN(x) || math.IsInf(x, 0) {
						t.Fatalf("non-finite solution (err %v): %+v", err, sol)
					}
				}
			}
		}
	})
}
