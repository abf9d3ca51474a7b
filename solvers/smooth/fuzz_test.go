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
		reg := L2{PerFeature: mb&1 == 1, LogScale: mb&2 == 2}
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
