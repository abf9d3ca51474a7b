package nlopt

import (
	"context"
	"encoding/binary"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func fuzzFloats(data []byte, k int) []float64 {
	out := make([]float64, k)
	for i := range out {
		if len(data) >= 8 {
			out[i] = math.Float64frombits(binary.LittleEndian.Uint64(data))
			data = data[8:]
		} else if len(data) > 0 {
			out[i] = float64(int8(data[0])) / 8
			data = data[1:]
		}
	}
	return out
}

// FuzzMinimize drives Minimize with arbitrary dimensions, starting points,
// bounds, coefficients (NaN and Inf included), algorithms and constraint
// counts: it must never panic, hang or return NaN with a nil error.
// (MaxTime bounds the runs where NLopt's MMA spends seconds per iteration
// in its dual solve on huge inputs; those still call back, so they stop.)
func FuzzMinimize(f *testing.F) {
	f.Add(uint8(2), uint8(40), uint8(1), []byte{8, 16, 250, 3, 1, 2, 3})
	f.Add(uint8(3), uint8(25), uint8(2), []byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 248, 127})
	f.Add(uint8(1), uint8(11), uint8(0), []byte{1, 2, 3})
	f.Add(uint8(4), uint8(35), uint8(3), []byte{100, 200, 50, 25, 12, 6, 3})
	f.Fuzz(func(t *testing.T, dim, alg, ncon uint8, data []byte) {
		n := int(dim%4) + 1
		a := Algorithm(int(alg) % int(numAlgorithms))
		v := fuzzFloats(data, 4*n+2)
		x0, c, lo, hi := v[:n], v[n:2*n], v[2*n:3*n], v[3*n:4*n]
		p := &Problem{
			Dim: n,
			Objective: func(x, grad []float64) float64 {
				var s float64
				for i := range x {
					d := x[i] - c[i]
					s += d*d + 0.1*d*d*d*d
					if grad != nil {
						grad[i] = 2*d + 0.4*d*d*d
					}
				}
				return s
			},
		}
		if ncon&4 != 0 {
			p.Lower, p.Upper = lo, hi
		}
		if ncon&1 != 0 {
			r := v[4*n]
			p.Inequalities = []Constraint{{Dim: 1, Func: func(res, x, jac []float64) {
				res[0] = -r
				for i := range x {
					res[0] += x[i] * x[i]
					if jac != nil {
						jac[i] = 2 * x[i]
					}
				}
			}}}
		}
		if ncon&2 != 0 {
			s := v[4*n+1]
			p.Equalities = []Constraint{{Dim: 1, Func: func(res, x, jac []float64) {
				res[0] = -s
				for i := range x {
					res[0] += x[i]
					if jac != nil {
						jac[i] = 1
					}
				}
			}}}
		}
		res, err := Minimize(context.Background(), p, x0, &Settings{Algorithm: a, MaxEval: 300, MaxTime: time.Second, Seed: uint64(ncon)})
		if err != nil {
			if res != nil {
				require.Len(t, res.X, n)
			}
			return
		}
		require.False(t, math.IsNaN(res.F))
		for _, xi := range res.X {
			require.False(t, math.IsNaN(xi) || math.IsInf(xi, 0))
		}
	})
}
