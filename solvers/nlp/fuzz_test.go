package nlp

import (
	"encoding/binary"
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

func floatsFrom(data []byte, k int) []float64 {
	out := make([]float64, k)
	for i := range out {
		if len(data) >= 8 {
			out[i] = math.Float64frombits(binary.LittleEndian.Uint64(data))
			data = data[8:]
		} else if len(data) > 0 {
			out[i] = float64(int8(data[0])) / 16
			data = data[1:]
		}
	}
	return out
}

// FuzzNewSolution runs the KKT path (multiplier recovery, condition,
// Jacobian) on arbitrary points and parameters, including NaN and Inf:
// never a panic, never a NaN with a nil error.
func FuzzNewSolution(f *testing.F) {
	f.Add(uint8(0), []byte{8, 16, 4, 1, 2, 3, 4, 5})
	f.Add(uint8(1), []byte{0, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Add(uint8(2), []byte{200, 3, 16, 250, 7})
	f.Add(uint8(3), []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12})
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		var p *Problem
		switch which % 5 {
		case 0:
			p = halfspace([]float64{1, -2}, true)
		case 1:
			p = ball(3, false)
		case 2:
			p = simplexProblem(3)
		case 3:
			p = nonlinear(true)
		default:
			p = nonlinear(false)
		}
		vals := floatsFrom(data, p.Dim+p.Params+1)
		x, theta := vals[:p.Dim], vals[p.Dim:p.Dim+p.Params]
		s := &Settings{StationarityTol: vals[len(vals)-1]} // negative: no stationarity check
		if which >= 128 {
			s = nil
		}
		sol, err := NewSolution(p, x, theta, s)
		if err != nil && sol == nil {
			return
		}
		for _, v := range append(append(sol.Z(), sol.Lambda...), sol.Nu...) {
			require.False(t, math.IsNaN(v))
		}
		J, err := sol.Jacobian()
		if err != nil {
			return
		}
		r, c := J.Dims()
		for i := range r {
			for j := range c {
				require.False(t, math.IsNaN(J.At(i, j)) || math.IsInf(J.At(i, j), 0), "Jacobian entry")
			}
		}
	})
}
