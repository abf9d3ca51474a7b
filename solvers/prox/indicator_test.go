package prox

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/diff/fd"
	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/implicit"
	"github.com/optlayers/optlayers/implicit/linsolve"
	"github.com/optlayers/optlayers/solvers/smooth"
)

// simplex is a test Projector: the probability simplex, projected by
// sorting, with the support-centering Jacobian.
type simplex struct{}

func (simplex) Project(dst, y []float64) error {
	s := slices.Clone(y)
	slices.Sort(s)
	slices.Reverse(s)
	var cum, tau float64
	for k, v := range s {
		cum += v
		if t := (cum - 1) / float64(k+1); v-t > 0 {
			tau = t
		}
	}
	for i, v := range y {
		dst[i] = math.Max(v-tau, 0)
	}
	return nil
}

func (simplex) JVP(dst, x, _, v []float64) error {
	var s float64
	var k int
	for i := range x {
		if x[i] > 0 {
			s += v[i]
			k++
		}
	}
	for i := range x {
		if x[i] > 0 {
			dst[i] = v[i] - s/float64(k)
		} else {
			dst[i] = 0
		}
	}
	return nil
}

func (p simplex) VJP(dst, x, y, u []float64) error { return p.JVP(dst, x, y, u) }

// TestIndicatorSimplexLeastSquares solves min (1/2n)‖y − Xw‖² over the
// simplex by FISTA and differentiates the solution with respect to the
// strength of an added ridge term through the fixed-point condition.
func TestIndicatorSimplexLeastSquares(t *testing.T) {
	rng := rand.New(rand.NewPCG(121, 122))
	n, d := 30, 6
	x, _ := randomLasso(rng, n, d, d)
	wTrue := mat.NewVecDense(d, []float64{0.35, 0.3, 0.2, 0.15, -0.1, 0.1})
	var yv mat.VecDense
	yv.MulVec(x, wTrue)
	y := yv.RawVector().Data
	for i := range y {
		y[i] += 0.1 * rng.NormFloat64()
	}
	f, err := smooth.Ridge(x, y, smooth.L2{})
	require.NoError(t, err)
	c := &Composite{F: f, G: Indicator(simplex{})}
	ctx := context.Background()
	solve := func(th []float64) []float64 {
		res, err := Minimize(ctx, c, th, make([]float64, d), &Settings{Tol: 1e-13, MaxIter: 100000})
		require.NoError(t, err)
		return res.X
	}
	theta := []float64{0.3}
	w := solve(theta)
	var sum float64
	for _, v := range w {
		assert.GreaterOrEqual(t, v, 0.0)
		sum += v
	}
	assert.InDelta(t, 1, sum, 1e-12)
	var nz int
	for _, v := range w {
		if v > 0 {
			nz++
		}
	}
	require.Greater(t, nz, 1, "need a non-trivial face")
	fdJ := mat.NewDense(d, 1, nil)
	fd.Jacobian(fdJ, func(dst, th []float64) { copy(dst, solve(th)) }, theta, &fd.JacobianSettings{Formula: fd.Central, Step: 1e-5})
	jac, err := implicit.Jacobian(context.Background(), Condition(c, 0.5), w, theta, nil)
	require.NoError(t, err)
	assert.True(t, mat.EqualApprox(jac, fdJ, 1e-6), "\n%v\n%v", mat.Formatted(jac), mat.Formatted(fdJ))
	// The Jacobian operator's transpose.
	dv, _, err := Indicator(simplex{}).Jacobian([]float64{0.5, 0.2, -1, 0.4}, nil, 1)
	require.NoError(t, err)
	assert.True(t, mat.EqualApprox(linsolve.Dense(dv), linsolve.DenseT(dv), 1e-14))
}
