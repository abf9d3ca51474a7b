package smooth

import (
	"context"
	"encoding/binary"
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/implicit"
)

func fuzzFloats(data []byte, k int) []float64 {
	out := make([]float64, k)
	for i := range out {
		if len(data) == 0 {
			break
		}
		b := data[0]
		data = data[1:]
		switch b % 16 {
		case 0:
			out[i] = math.NaN()
		case 1:
			out[i] = math.Inf(-1)
		case 2:
			out[i] = 0
		case 3:
			out[i] = 1e200
		default:
			if len(data) >= 2 {
				out[i] = float64(int16(binary.LittleEndian.Uint16(data))) / 1000
				data = data[2:]
			} else {
				out[i] = float64(b) - 128
			}
		}
	}
	return out
}

func FuzzMinimize(f *testing.F) {
	f.Add(uint8(5), uint8(3), uint8(0), []byte{10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120, 130, 140})
	f.Add(uint8(8), uint8(2), uint8(5), []byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9})
	f.Add(uint8(6), uint8(3), uint8(GonumLBFGS<<3|4), []byte{10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120, 130, 140})
	f.Add(uint8(7), uint8(4), uint8(GonumBFGS<<3|1), []byte{3, 1, 2, 3, 4, 5, 6, 7, 8, 9, 3, 200, 9})
	f.Fuzz(func(t *testing.T, nb, db, mb uint8, data []byte) {
		n, d := int(nb%9), int(db%5)
		vals := fuzzFloats(data, n*d+n+d+1)
		var x *mat.Dense
		if n > 0 && d > 0 {
			x = mat.NewDense(n, d, vals[:n*d])
		} else {
			x = &mat.Dense{}
		}
		y := vals[n*d : n*d+n]
		reg := L2{Strengths: Strengths(mb & 1), LogScale: mb&2 == 2}
		var pb *Problem
		var err error
		if mb&4 == 4 {
			ys := make([]float64, len(y))
			for i, v := range y {
				ys[i] = 1
				if v < 0 {
					ys[i] = -1
				}
			}
			pb, err = Logistic(x, ys, reg)
		} else {
			pb, err = Ridge(x, y, reg)
		}
		if err != nil {
			return
		}
		theta := vals[n*d+n:]
		theta = theta[:min(len(theta), pb.P)]
		method := Method(mb>>3) % Method(len(methodNames))
		res, err := Minimize(context.Background(), pb, theta, make([]float64, d), &Settings{Method: method, MaxIter: 50})
		if err == nil {
			if !finite(res.X) || math.IsNaN(res.F) || math.IsNaN(res.GradNorm) {
				t.Fatalf("NaN with nil error: %+v", res)
			}
			if out, err := implicit.VJP(context.Background(), Condition(pb), res.X, theta, res.X, nil); err == nil && !finite(out) {
				t.Fatalf("NaN VJP with nil error")
			}
		}
	})
}

// FuzzMultinomial builds multinomial problems from arbitrary data and
// labels and runs Newton-CG and a VJP: no panic, no NaN with a nil error.
func FuzzMultinomial(f *testing.F) {
	f.Add(uint8(6), uint8(2), uint8(3), uint8(2), []byte{10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120, 130, 140})
	f.Add(uint8(4), uint8(3), uint8(2), uint8(1), []byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9})
	f.Fuzz(func(t *testing.T, nb, db, kb, mb uint8, data []byte) {
		n, d, k := int(nb%9), int(db%4), int(kb%5)
		vals := fuzzFloats(data, n*d+n+d+k+1)
		var x *mat.Dense
		if n > 0 && d > 0 {
			x = mat.NewDense(n, d, vals[:n*d])
		} else {
			x = &mat.Dense{}
		}
		labels := make([]float64, n)
		for i, v := range vals[n*d : n*d+n] {
			labels[i] = math.Abs(math.Trunc(v))
			if mb&8 == 0 && k > 0 {
				labels[i] = math.Mod(labels[i], float64(k))
			}
		}
		pb, err := Multinomial(x, labels, k, L2{Strengths: Strengths(mb % 3), LogScale: mb&4 == 4})
		if err != nil {
			return
		}
		theta := vals[n*d+n:]
		theta = theta[:min(len(theta), pb.P)]
		res, err := Minimize(context.Background(), pb, theta, make([]float64, pb.N), &Settings{Method: NewtonCG, MaxIter: 30})
		if err == nil {
			if !finite(res.X) || math.IsNaN(res.F) {
				t.Fatalf("NaN with nil error: %+v", res)
			}
			if out, err := implicit.VJP(context.Background(), Condition(pb), res.X, theta, res.X, nil); err == nil && !finite(out) {
				t.Fatalf("NaN VJP with nil error")
			}
		}
	})
}

// FuzzNewton runs smooth.Newton on ridge and logistic problems (with and
// without intercept) from arbitrary data, twice to exercise chord steps
// on the kept factorization, and its condition's VJP.
func FuzzNewton(f *testing.F) {
	f.Add(uint8(6), uint8(2), uint8(0), []byte{10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120, 130, 140})
	f.Add(uint8(8), uint8(3), uint8(13), []byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9})
	f.Fuzz(func(t *testing.T, nb, db, mb uint8, data []byte) {
		n, d := int(nb%9), int(db%4)
		vals := fuzzFloats(data, n*d+n+d+2)
		var x *mat.Dense
		if n > 0 && d > 0 {
			x = mat.NewDense(n, d, vals[:n*d])
		} else {
			x = &mat.Dense{}
		}
		y := vals[n*d : n*d+n]
		reg := L2{Strengths: Strengths(mb & 1), LogScale: mb&2 == 2, Intercept: mb&8 == 8}
		quad := mb&4 == 0
		var pb *Problem
		var err error
		if quad {
			pb, err = Ridge(x, y, reg)
		} else {
			ys := make([]float64, len(y))
			for i, v := range y {
				ys[i] = 1
				if v < 0 {
					ys[i] = -1
				}
			}
			pb, err = Logistic(x, ys, reg)
		}
		if err != nil {
			return
		}
		nw, err := NewNewton(pb, quad)
		if err != nil {
			return
		}
		theta := vals[n*d+n:]
		theta = theta[:min(len(theta), pb.P)]
		w := make([]float64, pb.N)
		for range 2 {
			res, err := nw.Minimize(context.Background(), theta, w, &Settings{MaxIter: 30})
			if err != nil {
				return
			}
			if !finite(res.X) || math.IsNaN(res.F) {
				t.Fatalf("NaN with nil error: %+v", res)
			}
			if out, err := implicit.VJP(context.Background(), nw.Condition(), res.X, theta, res.X, nil); err == nil && !finite(out) {
				t.Fatalf("NaN VJP with nil error")
			}
			copy(w, res.X)
			for j := range theta {
				theta[j] *= 0.9
			}
		}
	})
}

// FuzzLogisticLoss: the parameter-free logistic loss from arbitrary data
// and labels, minimized and differentiated (its condition has no θ).
func FuzzLogisticLoss(f *testing.F) {
	f.Add(uint8(6), uint8(2), []byte{10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120, 130, 140})
	f.Fuzz(func(t *testing.T, nb, db uint8, data []byte) {
		n, d := int(nb%9), int(db%4)
		vals := fuzzFloats(data, n*d+n)
		var x *mat.Dense
		if n > 0 && d > 0 {
			x = mat.NewDense(n, d, vals[:n*d])
		} else {
			x = &mat.Dense{}
		}
		pb, err := LogisticLoss(x, vals[n*d:])
		if err != nil {
			return
		}
		res, err := Minimize(context.Background(), pb, nil, make([]float64, pb.N), &Settings{MaxIter: 30})
		if err == nil && (!finite(res.X) || math.IsNaN(res.F)) {
			t.Fatalf("NaN with nil error: %+v", res)
		}
	})
}
