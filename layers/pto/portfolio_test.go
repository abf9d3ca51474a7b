package pto

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/mat"
)

// The portfolio oracle is checked against the KKT conditions of the
// QCQP: with g = r − 2λΣx for some λ ≥ 0, gᵢ is maximal on the support,
// and λ > 0 only if the budget is tight; plus random feasible portfolios
// never beat it.
func TestPortfolioOracle(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	tight := 0
	defer func() { t.Logf("%d of 40 solutions on the risk budget", tight) }()
	for _, deg := range []int{1, 4} {
		cov, _, r, err := GenPortfolio(rng, 20, 5, 15, deg, 1)
		require.NoError(t, err)
		o, err := NewPortfolio(cov, 2.25)
		require.NoError(t, err)
		n := o.Dim()
		for i := 0; i < 20; i++ {
			ri := r.RawRowView(i)
			x := make([]float64, n)
			z, err := o.Solve(context.Background(), x, ri)
			require.NoError(t, err)
			sum := 0.0
			for _, v := range x {
				assert.GreaterOrEqual(t, v, 0.0)
				sum += v
			}
			assert.InDelta(t, 1, sum, 1e-12)
			xv := mat.NewVecDense(n, x)
			risk := mat.Inner(xv, cov, xv)
			assert.LessOrEqual(t, risk, o.Risk*(1+1e-6))
			assert.InDelta(t, dot(ri, x), z, 1e-15)
			// λ from the two largest holdings
			var sx mat.VecDense
			sx.MulVec(cov, xv)
			a, b := -1, -1
			for k, v := range x {
				if a < 0 || v > x[a] {
					a, b = k, a
				} else if b < 0 || v > x[b] {
					b = k
				}
			}
			lambda := 0.0
			if x[b] > 1e-6 {
				lambda = (ri[a] - ri[b]) / (2 * (sx.AtVec(a) - sx.AtVec(b)))
				tight++
				assert.GreaterOrEqual(t, lambda, -1e-9)
				assert.InDelta(t, o.Risk, risk, 1e-6*o.Risk, "λ > 0 needs a tight budget")
			}
			gmax := ri[a] - 2*lambda*sx.AtVec(a)
			for k := range x {
				gk := ri[k] - 2*lambda*sx.AtVec(k)
				assert.LessOrEqual(t, gk, gmax+1e-5*math.Abs(gmax)+1e-7, "asset %d", k)
				if x[k] > 1e-4 {
					assert.InDelta(t, gmax, gk, 1e-4*math.Abs(gmax)+1e-6, "support asset %d", k)
				}
			}
			for trial := 0; trial < 200; trial++ {
				y := make([]float64, n)
				s := 0.0
				for k := range y {
					y[k] = -math.Log(rng.Float64())
					s += y[k]
				}
				for k := range y {
					y[k] /= s
				}
				yv := mat.NewVecDense(n, y)
				if mat.Inner(yv, cov, yv) <= o.Risk {
					assert.LessOrEqual(t, dot(ri, y), z+1e-12)
				}
			}
		}
	}
	_, err := NewPortfolio(mat.NewSymDense(2, []float64{1, 2, 2, 1}), 2.25)
	assert.ErrorIs(t, err, ErrInvalid)
}
