package prox

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/optlayers/optlayers/solvers/smooth"
)

// BenchmarkFISTAValidation measures FISTA on a small lasso (n = 100,
// d = 50) where the prox is a visible share of each iteration, with plain
// and weighted l1 and a group lasso, and the prox alone on d = 1000: the
// cost of the per-call argument checks of the operators.
func BenchmarkFISTAValidation(b *testing.B) {
	rng := rand.New(rand.NewPCG(7, 8))
	const n, d = 100, 50
	x, y := randomLasso(rng, n, d, 5)
	f, err := smooth.LeastSquares(x, y)
	if err != nil {
		b.Fatal(err)
	}
	w := make([]float64, d)
	groups := make([][]int, d/5)
	for j := range w {
		w[j] = 0.5 + rng.Float64()
		groups[j/5] = append(groups[j/5], j)
	}
	l, _ := NewLasso(x, y, Penalty{})
	lam := []float64{0.1 * l.LambdaMax()}
	ops := []struct {
		name string
		g    Regularizer
	}{{"L1", L1{}}, {"L1/weighted", L1{Weights: w}}, {"GroupLasso", GroupLasso{Groups: groups}}}
	for _, op := range ops {
		c := &Composite{F: f, G: op.g}
		b.Run("Minimize/"+op.name, func(b *testing.B) {
			for b.Loop() {
				res, err := Minimize(context.Background(), c, lam, make([]float64, d), &Settings{Tol: 1e-9, MaxIter: 3000})
				if err != nil || !res.Converged {
					b.Fatal(err)
				}
			}
		})
	}
	const big = 1000
	v := make([]float64, big)
	wb := make([]float64, big)
	for j := range v {
		v[j] = rng.NormFloat64()
		wb[j] = 0.5 + rng.Float64()
	}
	dst := make([]float64, big)
	bigGroups := make([][]int, big/10)
	for j := range big {
		bigGroups[j/10] = append(bigGroups[j/10], j)
	}
	for _, op := range []struct {
		name string
		g    Regularizer
	}{{"L1", L1{}}, {"L1/weighted", L1{Weights: wb}}, {"GroupLasso", GroupLasso{Groups: bigGroups}}} {
		b.Run("Prox/"+op.name, func(b *testing.B) {
			for b.Loop() {
				op.g.Prox(dst, v, []float64{0.3}, 1)
			}
		})
	}
}
