package project

import (
	"encoding/binary"
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"
)

func fuzzFloats(raw []byte, max int) []float64 {
	var v []float64
	for len(raw) >= 8 && len(v) < max {
		v = append(v, math.Float64frombits(binary.LittleEndian.Uint64(raw)))
		raw = raw[8:]
	}
	return v
}

// FuzzSets drives every set's Project, JVP and VJP with arbitrary vectors
// and parameters: no panic, and a nil error means finite outputs.
func FuzzSets(f *testing.F) {
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24}, 1.0, 0.5, uint8(0))
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0xf0, 0x7f, 0, 0, 0, 0, 0, 0, 0xf8, 0x7f}, math.Inf(1), math.NaN(), uint8(7))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xef, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xef, 0xff}, 1e-300, 1e300, uint8(3))
	f.Fuzz(func(t *testing.T, raw []byte, p1, p2 float64, which uint8) {
		y := fuzzFloats(raw, 32)
		n := len(y)
		vec := func(a float64) []float64 {
			v := make([]float64, n)
			for i := range v {
				v[i] = a + float64(i%3)
			}
			return v
		}
		sets := []Set{
			NonNegative{}, Box{Lower: []float64{p1}, Upper: []float64{p2}}, Box{Lower: vec(p1)},
			LInfBall{p1}, L2Ball{p1}, L1Ball{p1}, Simplex{p1},
			Hyperplane{Normal: vec(p1), Offset: p2}, Halfspace{Normal: vec(p2), Offset: p1},
			CappedSimplex(p1, p2), BoxSection{Lower: vec(-p1), Upper: vec(p2), Weights: vec(p1), Value: p2},
			L2Sphere{p1}, L1Sphere{p2}, SparseSimplex{p1, int(which>>4) % 4},
			Transport{Rows: []float64{p1}, Cols: vec(p1 / float64(max(n, 1)))},
		}
		if n > 0 && n <= 8 {
			a := mat.NewDense(1, n, vec(p1))
			if aff, err := NewAffine(a, []float64{p2}); err == nil {
				sets = append(sets, aff)
			}
		}
		s := sets[int(which)%len(sets)]
		x := make([]float64, n)
		if err := s.Project(x, y); err != nil {
			return
		}
		if !finite(x) {
			t.Fatalf("%T %+v: non-finite projection %v of %v", s, s, x, y)
		}
		d := make([]float64, n)
		if err := s.JVP(d, x, y, y); err == nil && !finite(d) {
			t.Fatalf("%T: non-finite JVP", s)
		}
		if err := s.VJP(d, x, y, x); err == nil && !finite(d) {
			t.Fatalf("%T: non-finite VJP", s)
		}
		if ps, ok := s.(Parametric); ok {
			theta := ps.Params()
			if err := ps.ParamJVP(d, x, y, theta); err == nil && !finite(d) {
				t.Fatalf("%T: non-finite ParamJVP", s)
			}
			g := make([]float64, len(theta))
			if err := ps.ParamVJP(g, x, y, y); err == nil && !finite(g) {
				t.Fatalf("%T: non-finite ParamVJP", s)
			}
			if q, err := ps.WithParams(theta); err == nil {
				_ = q.Project(d, y)
			}
		}
	})
}

// FuzzSimplex checks Condat's algorithm against the sort-based method on
// arbitrary finite inputs.
func FuzzSimplex(f *testing.F) {
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}, 1.0)
	f.Fuzz(func(t *testing.T, raw []byte, r float64) {
		y := fuzzFloats(raw, 64)
		x := make([]float64, len(y))
		if err := (Simplex{Radius: r}).Project(x, y); err != nil {
			return
		}
		scale := 0.0
		for _, v := range y {
			scale = max(scale, math.Abs(v))
		}
		if scale > 1e8*r || r > 1e150 {
			return // the reference loses r below ulp(max|y|); TestLargeScale covers it
		}
		want := sortSimplex(y, r)
		for i := range x {
			if !(math.Abs(x[i]-want[i]) <= 1e-10*max(1, scale, r)*float64(len(y))) {
				t.Fatalf("y=%v r=%v: got %v want %v", y, r, x, want)
			}
		}
	})
}
