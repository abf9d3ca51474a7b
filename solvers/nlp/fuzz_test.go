package nlp

import (
	"context"
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
		s := &Settings{Tol: vals[len(vals)-1]} // negative: no stationarity check
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

// FuzzSolve runs Solve with a closed-form solver on arbitrary parameters
// and settings, then every derivative of the solution: never a panic,
// never a non-finite result with a nil error.
func FuzzSolve(f *testing.F) {
	f.Add([]byte{16, 16}, uint8(0), []byte{1, 0, 0})
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0xf0, 0x7f, 1}, uint8(3), []byte{0xff, 7})
	f.Fuzz(func(t *testing.T, thetaBytes []byte, mode uint8, dirBytes []byte) {
		theta := floatsFrom(thetaBytes, 2)
		var s *Settings
		if mode&1 == 1 {
			v := floatsFrom(dirBytes, 4)
			s = &Settings{ActiveTol: v[0], FeasibilityTol: v[1], MultiplierTol: v[2], Tol: v[3]}
		}
		sol, err := Solve(context.Background(), advProblem(false), closedForm, theta, nil, s)
		if err != nil {
			return
		}
		dir := floatsFrom(dirBytes, 2)
		checks := map[string]func() ([]float64, error){
			"X":   func() ([]float64, error) { return sol.X, nil },
			"VJP": func() ([]float64, error) { return sol.VJPX(dir) },
			"JVP": func() ([]float64, error) { return sol.JVPX(dir) },
			"Jacobian": func() ([]float64, error) {
				j, err := sol.Jacobian()
				if err != nil {
					return nil, err
				}
				return j.RawMatrix().Data, nil
			},
		}
		for name, c := range checks {
			v, err := c()
			if err != nil {
				continue
			}
			for _, e := range v {
				if math.IsNaN(e) || math.IsInf(e, 0) {
					t.Fatalf("%s: non-finite %v with nil error (θ = %v, settings %+v)", name, v, theta, s)
				}
			}
		}
	})
}
