package convex

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/solvers/cone"
	"github.com/optlayers/optlayers/solvers/qp"
)

// viaQP solves the canonical program of a problem whose cone is Zero ×
// Nonnegative with the dense QP solver (an independent solver), and
// returns its solution as a Solution.
func viaQP(t testing.TB, pb *Problem, theta []float64) *Solution {
	t.Helper()
	cp, err := pb.ConeProblem(theta)
	require.NoError(t, err)
	n, m := cp.Dims()
	var nz, nn int
	for _, k := range cp.K.Cones() {
		switch k := k.(type) {
		case cone.Zero:
			nz += k.N
		case cone.Nonnegative:
			nn += k.N
		default:
			t.Fatalf("viaQP: cone %T", k)
		}
	}
	require.Equal(t, m, nz+nn)
	a := cp.A.Dense()
	q := &qp.Problem{P: cp.P}
	if cp.Q != nil {
		q.Q = cp.Q.Dense()
	}
	if nz > 0 {
		q.A = a.Slice(0, nz, 0, n)
		q.B = cp.B[:nz]
	}
	if nn > 0 {
		q.G = a.Slice(nz, m, 0, n)
		q.H = cp.B[nz:]
	}
	s, err := qp.Solve(context.Background(), q, &qp.Settings{Tol: 1e-10})
	require.NoError(t, err)
	y := append(append([]float64(nil), s.Nu...), s.Lambda...)
	sl := make([]float64, m)
	copy(sl[nz:], s.Slack)
	sol, err := newSolution(pb, theta, s.X, y, sl)
	require.NoError(t, err)
	return sol
}

func randVec(rng *rand.Rand, n int, scale float64) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = scale * rng.NormFloat64()
	}
	return v
}

func denseOf(r, c int, v []float64) *mat.Dense {
	// v column-major
	d := mat.NewDense(r, c, nil)
	for j := range c {
		for i := range r {
			d.Set(i, j, v[i+j*r])
		}
	}
	return d
}

func maxAbsDiff(a, b []float64) float64 {
	if len(a) != len(b) {
		return math.Inf(1)
	}
	m := 0.0
	for i := range a {
		m = math.Max(m, math.Abs(a[i]-b[i]))
	}
	return m
}

func mustVal(t testing.TB, sol *Solution, e Expression) []float64 {
	t.Helper()
	v, err := sol.Value(e)
	require.NoError(t, err)
	return v
}

var _ = fmt.Sprint

func isAny(err error, sentinels ...error) bool {
	for _, s := range sentinels {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}
