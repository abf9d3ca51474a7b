package cone

import (
	"encoding/binary"
	"math"
	"testing"
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
