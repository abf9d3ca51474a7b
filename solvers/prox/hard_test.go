package prox

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/mat"
)

// correlated returns X with AR(1) feature correlation ρ (Toeplitz ρ^|i−j|)
// and y from a sparse w.
func correlated(rng *rand.Rand, n, d int, rho float64) (*mat.Dense, []float64) {
	x := mat.NewDense(n, d, nil)
	for i := range n {
		prev := rng.NormFloat64()
		x.Set(i, 0, prev)
		for j := 1; j < d; j++ {
			prev = rho*prev + math.Sqrt(1-rho*rho)*rng.NormFloat64()
			x.Set(i, j, prev)
		}
	}
	y := make([]float64, n)
	for i := range n {
		for j := 0; j < d; j += d / 10 {
			y[i] += x.At(i, j) * float64(j%3+1)
		}
		y[i] += rng.NormFloat64()
	}
	return x, y
}

// TestLassoHardCorrelated runs coordinate descent on ill-conditioned
// problems (AR(1) correlation 0.95, d > n and d < n) along a path, with
// every variant, and compares with FISTA.
func TestLassoHardCorrelated(t *testing.T) {
	rng := rand.New(rand.NewPCG(151, 152))
	ctx := context.Background()
	for _, shape := range [][2]int{{80, 200}, {200, 40}} {
		x, y := correlated(rng, shape[0], shape[1], 0.95)
		l, err := NewLasso(x, y, Penalty{})
		require.NoError(t, err)
		grid, err := LambdaGrid(l.LambdaMax(), 0.01, 8)
		require.NoError(t, err)
		variants := []*CDSettings{nil, {NoScreening: true, Updates: ResidualUpdates}}
		if shape[0] > shape[1] {
			variants = []*CDSettings{nil, {NoAnderson: true}}
		}
		for _, set := range variants {
			path, err := l.Path(ctx, grid, set)
			require.NoError(t, err)
			for k, lam := range grid {
				ref, err := Minimize(ctx, l.Composite(), []float64{lam}, path[k].W, &Settings{Tol: 1e-9 * l.LambdaMax(), MaxIter: 1000000})
				require.NoError(t, err)
				// Both certify optimality: compare objectives, which are
				// well determined even when w is not.
				assert.InDelta(t, ref.Objective, path[k].Objective, 1e-9*math.Max(1, ref.Objective), "shape %v λ%d %+v", shape, k, set)
				gap, _, err := l.DualityGap(path[k].W, []float64{lam})
				require.NoError(t, err)
				p0, err := l.Objective(make([]float64, shape[1]), []float64{lam})
				require.NoError(t, err)
				assert.LessOrEqual(t, gap, 1e-12*p0+1e-15)
			}
		}
	}
}
