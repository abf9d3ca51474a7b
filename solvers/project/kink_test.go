package project

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/floats"
)

// At a kink, the documented Jacobian is that of one adjacent piece: for
// every direction v, ∂P(y)·v equals the one-sided difference quotient on
// one side, (P(y + hv) − P(y))/h or (P(y) − P(y − hv))/h.
func TestJacobianAtKinks(t *testing.T) {
	rng := rand.New(rand.NewPCG(41, 42))
	n := 5
	type kink struct {
		name string
		set  Set
		y    []float64
	}
	var kinks []kink
	for range 4 {
		// Simplex: an entry exactly at the threshold τ.
		y := randVec(rng, n, 1)
		x := make([]float64, n)
		require.NoError(t, Simplex{1}.Project(x, y))
		tau := 0.0
		for i := range x {
			if x[i] > 0 {
				tau = y[i] - x[i]
				break
			}
		}
		for i := range x {
			if x[i] == 0 {
				y[i] = tau
				break
			}
		}
		kinks = append(kinks, kink{"Simplex", Simplex{1}, y})

		// Box: an entry exactly at a bound.
		yb := randVec(rng, n, 1)
		yb[rng.IntN(n)] = 0.5
		kinks = append(kinks, kink{"Box", Box{Lower: []float64{-0.5}, Upper: []float64{0.5}}, yb})
		kinks = append(kinks, kink{"LInfBall", LInfBall{0.5}, yb})
		kinks = append(kinks, kink{"NonNegative", NonNegative{}, func() []float64 { v := randVec(rng, n, 1); v[0] = 0; return v }()})

		// l2 ball: a point on the sphere.
		ys := randVec(rng, n, 1)
		floats.Scale(1.3/floats.Norm(ys, 2), ys)
		kinks = append(kinks, kink{"L2Ball", L2Ball{1.3}, ys})

		// Halfspace: a point on the boundary.
		a := randVec(rng, n, 1)
		yh := randVec(rng, n, 1)
		kinks = append(kinks, kink{"Halfspace", Halfspace{Normal: a, Offset: floats.Dot(a, yh)}, yh})

		// l1 ball: a point on the sphere ‖y‖₁ = r.
		y1 := randVec(rng, n, 1)
		kinks = append(kinks, kink{"L1Ball", L1Ball{floats.Norm(y1, 1)}, y1})
	}
	const h = 1e-7
	for _, k := range kinks {
		x := make([]float64, n)
		require.NoError(t, k.set.Project(x, k.y))
		for range 6 {
			v := randVec(rng, n, 1)
			jv := make([]float64, n)
			require.NoError(t, k.set.JVP(jv, x, k.y, v))
			fwd, bwd := make([]float64, n), make([]float64, n)
			yp, ym := make([]float64, n), make([]float64, n)
			floats.AddScaledTo(yp, k.y, h, v)
			floats.AddScaledTo(ym, k.y, -h, v)
			require.NoError(t, k.set.Project(fwd, yp))
			require.NoError(t, k.set.Project(bwd, ym))
			errF, errB := 0.0, 0.0
			for i := range x {
				errF = max(errF, math.Abs((fwd[i]-x[i])/h-jv[i]))
				errB = max(errB, math.Abs((x[i]-bwd[i])/h-jv[i]))
			}
			assert.Less(t, min(errF, errB), 1e-5, "%s: J·v matches neither one-sided derivative (fwd %.3g, bwd %.3g)",
				k.name, errF, errB)
		}
	}
}
