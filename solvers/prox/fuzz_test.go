package prox

import (
	"context"
	"encoding/binary"
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/implicit"
	"github.com/optlayers/optlayers/solvers/smooth"
)

// fuzzFloats decodes data into float64s, mapping a few byte patterns to
// special values so that NaN, ±Inf, zeros and huge values are common.
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
			out[i] = math.Inf(1)
		case 2:
			out[i] = 0
		case 3:
			out[i] = 1e300
		case 4:
			out[i] = -1e-300
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

func FuzzLassoSolve(f *testing.F) {
	f.Add(uint8(5), uint8(3), uint8(0), []byte{10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120, 130, 140})
	f.Add(uint8(2), uint8(6), uint8(1), []byte{0, 1, 2, 3, 4, 5, 6, 7})
	f.Add(uint8(4), uint8(4), uint8(2), []byte{3, 3, 3, 3, 9, 9, 9, 9, 200, 100})
	f.Fuzz(func(t *testing.T, nb, db, pb uint8, data []byte) {
		n, d := int(nb%8), int(db%8)
		pen := Penalty(pb % 4)
		vals := fuzzFloats(data, n*d+n+d+2)
		var x *mat.Dense
		if n > 0 && d > 0 {
			x = mat.NewDense(n, d, vals[:n*d])
		} else {
			x = &mat.Dense{}
		}
		y := vals[n*d : n*d+n]
		l, err := NewLasso(x, y, pen)
		if err != nil {
			return
		}
		theta := vals[n*d+n:]
		theta = theta[:min(len(theta), l.NumParams())]
		for i := range theta {
			theta[i] = math.Abs(theta[i])
		}
		res, err := l.Solve(context.Background(), theta, nil, &CDSettings{MaxEpochs: 200})
		if err == nil {
			if !finite(res.W) || math.IsNaN(res.Objective) || math.IsNaN(res.Gap) || math.IsNaN(res.KKT) {
				t.Fatalf("NaN with nil error: %+v", res)
			}
			sl, err := l.Linearize(res.W, theta)
			if err == nil {
				g := make([]float64, l.d)
				for i := range g {
					g[i] = 1
				}
				out := make([]float64, l.NumParams())
				if err := sl.VJP(out, g); err == nil && !finite(out) {
					t.Fatalf("NaN VJP with nil error")
				}
			}
			if out, err := implicit.VJP(l.Condition(), res.W, theta, res.W, nil); err == nil && !finite(out) {
				t.Fatalf("NaN engine VJP with nil error")
			}
		}
		r2, err := Minimize(context.Background(), l.Composite(), theta, make([]float64, l.d), &Settings{MaxIter: 200})
		if err == nil && (!finite(r2.X) || math.IsNaN(r2.Objective)) {
			t.Fatalf("FISTA NaN with nil error: %+v", r2)
		}
	})
}

func FuzzProxOperators(f *testing.F) {
	f.Add(uint8(0), []byte{10, 20, 30, 40, 50, 60, 70, 80, 90})
	f.Add(uint8(7), []byte{0, 1, 2, 3, 4, 5, 6, 7})
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		cases := proxCases()
		tc := cases[int(which)%len(cases)]
		const n = 6
		vals := fuzzFloats(data, n+2*n+1)
		v := vals[:n]
		theta := vals[n : n+tc.g.NumParams(n)]
		eta := math.Abs(vals[len(vals)-1]) + 0.1
		if err := tc.g.Check(n, theta); err != nil {
			return
		}
		if !finite(v) {
			return
		}
		dst := make([]float64, n)
		tc.g.Prox(dst, v, theta, eta)
		dv, dl := tc.g.Jacobian(v, theta, eta)
		jv := linsolveDense(dv)
		jl := linsolveDense(dl)
		moderate := true
		for _, z := range append(append([]float64{eta}, v...), theta...) {
			moderate = moderate && math.Abs(z) < 1e100
		}
		if moderate && (!finite(dst) || !finite(jv) || !finite(jl) || math.IsNaN(tc.g.Value(dst, theta))) {
			t.Fatalf("%s: NaN from finite input v=%v θ=%v η=%v: %v", tc.name, v, theta, eta, dst)
		}
	})
}

// linsolveDense applies op to a vector of ones.
func linsolveDense(op interface {
	Dims() (int, int)
	Apply(dst, v []float64)
}) []float64 {
	r, c := op.Dims()
	out := make([]float64, r)
	ones := make([]float64, c)
	for i := range ones {
		ones[i] = 1
	}
	op.Apply(out, ones)
	return out
}

func FuzzComposite(f *testing.F) {
	f.Add(uint8(3), uint8(2), []byte{10, 20, 30, 40, 50, 60, 70, 80, 90, 11, 12, 13})
	f.Fuzz(func(t *testing.T, nb, which uint8, data []byte) {
		n, d := int(nb%6)+1, 3
		vals := fuzzFloats(data, n*d+n+8)
		x := mat.NewDense(n, d, vals[:n*d])
		fp, err := smooth.LeastSquares(x, vals[n*d:n*d+n])
		if err != nil {
			return
		}
		cases := proxCases()
		tc := cases[int(which)%len(cases)]
		if tc.name == "L1/weights" || tc.name == "GroupLasso" {
			return // sized for 6 coordinates
		}
		theta := vals[n*d+n:]
		theta = theta[:min(len(theta), tc.g.NumParams(d))]
		c := &Composite{F: fp, G: tc.g}
		res, err := Minimize(context.Background(), c, theta, make([]float64, d), &Settings{MaxIter: 100})
		if err == nil {
			if !finite(res.X) || math.IsNaN(res.Objective) {
				t.Fatalf("NaN with nil error")
			}
			if out, err := implicit.VJP(Condition(c, 1), res.X, theta, []float64{1, 1, 1}, nil); err == nil && !finite(out) {
				t.Fatalf("NaN VJP with nil error")
			}
		}
	})
}
