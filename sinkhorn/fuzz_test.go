package sinkhorn

import (
	"context"
	"encoding/binary"
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// fuzzReader turns fuzz bytes into numbers, including NaN, ±Inf, zeros and
// negative values.
type fuzzReader struct{ b []byte }

func (r *fuzzReader) float() float64 {
	if len(r.b) < 2 {
		return 0.5
	}
	k := r.b[0]
	switch k % 16 {
	case 0:
		r.b = r.b[1:]
		return math.NaN()
	case 1:
		r.b = r.b[1:]
		return math.Inf(1)
	case 2:
		r.b = r.b[1:]
		return 0
	case 3:
		r.b = r.b[1:]
		return -1
	}
	if len(r.b) >= 8 && k%16 == 4 {
		v := math.Float64frombits(binary.LittleEndian.Uint64(r.b))
		r.b = r.b[8:]
		return v
	}
	v := float64(binary.LittleEndian.Uint16(r.b)) / 6553.6
	r.b = r.b[2:]
	return v
}

func (r *fuzzReader) small(lim int) int {
	if len(r.b) == 0 {
		return 1
	}
	v := int(r.b[0])%lim + 1
	r.b = r.b[1:]
	return v
}

func checkResult(t *testing.T, r *Result, err error) {
	if err != nil {
		return
	}
	for _, v := range append(append([]float64(nil), r.F...), r.G...) {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			t.Fatalf("non-finite potential with nil error")
		}
	}
	if math.IsNaN(r.Cost) || math.IsInf(r.Cost, 0) {
		t.Fatalf("non-finite cost with nil error")
	}
}

func fuzzProblem(data []byte) (*Problem, *Settings) {
	r := &fuzzReader{data}
	n, m := r.small(5), r.small(5)
	pb := &Problem{Epsilon: r.float(), TauA: r.float() * float64(r.small(2)-1), TauB: r.float() * float64(r.small(2)-1)}
	if r.small(2) == 1 {
		c := mat.NewDense(n, m, nil)
		for i := range n {
			for j := range m {
				c.Set(i, j, r.float())
			}
		}
		pb.Cost = c
	} else {
		d := r.small(3)
		x, y := mat.NewDense(n, d, nil), mat.NewDense(m, d, nil)
		for i := range n {
			for k := range d {
				x.Set(i, k, r.float())
			}
		}
		for j := range m {
			for k := range d {
				y.Set(j, k, r.float())
			}
		}
		pb.X, pb.Y = x, y
	}
	if r.small(2) == 1 {
		pb.A, pb.B = make([]float64, n), make([]float64, m)
		for i := range pb.A {
			pb.A[i] = r.float()
		}
		for j := range pb.B {
			pb.B[j] = r.float()
		}
	}
	pb.RelativeEpsilon = r.small(2) == 1
	s := &Settings{MaxIter: 200, Mode: Mode(r.small(3) - 1)}
	switch r.small(4) {
	case 1:
		s.Anderson = 3
	case 2:
		s.AdaptiveMomentum, s.AdaptiveStart = true, 5
	case 3:
		s.EpsilonScaling, s.Newton = 0.5, true
	}
	return pb, s
}

func fuzzSeeds(f *testing.F) {
	f.Add([]byte{3, 3, 100, 20, 1, 1, 1, 2, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9})
	f.Add([]byte{2, 2, 5, 0, 1, 1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10})
	f.Add([]byte{4, 1, 7, 7, 7, 2, 2, 2, 2, 2, 200, 100, 50, 25, 12, 6, 3})
}

func FuzzSolve(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		pb, s := fuzzProblem(data)
		r, err := Solve(context.Background(), pb, s)
		checkResult(t, r, err)
		if err == nil {
			g := r.CostGrad()
			for _, v := range append(append([]float64(nil), g.A...), g.B...) {
				if math.IsNaN(v) {
					t.Fatal("NaN gradient")
				}
			}
		}
	})
}

func FuzzDivergence(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		pb, s := fuzzProblem(data)
		d, _, err := Divergence(context.Background(), pb, s)
		if err == nil && (math.IsNaN(d) || math.IsInf(d, 0)) {
			t.Fatal("non-finite divergence with nil error")
		}
	})
}

func FuzzSolveUnrolled(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		pb, _ := fuzzProblem(data)
		u, err := SolveUnrolled(context.Background(), pb, 5)
		if err != nil {
			return
		}
		if math.IsNaN(u.Cost) || math.IsInf(u.Cost, 0) {
			t.Fatal("non-finite unrolled cost with nil error")
		}
	})
}
