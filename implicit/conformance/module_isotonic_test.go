package conformance_test

// The differentiable results of solvers/isotonic, random instances each:
//
//	solvers/isotonic  *isotonic.Solution: l2 isotonic regression, increasing
//	                  and decreasing, unit and random weights (θ = y; the
//	                  fixed point of RegressionMap)
//	                  *isotonic.SolutionKL: KL isotonic regression
//	                  (θ = (s, w); block stationarity on the PAV blocks)
//	                  *isotonic.Projection: permutahedron projection, L2 and
//	                  KL (θ = (z, w); the fixed point of PermutahedronMap)

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/optlayers/optlayers/implicit"
	"github.com/optlayers/optlayers/implicit/conformance"
	"github.com/optlayers/optlayers/solvers/isotonic"
)

func TestModuleIsotonic(t *testing.T) {
	conformance.Run(t, isotonicCases())
}

func isotonicCases() []conformance.Case {
	rng := rand.New(rand.NewPCG(13, 31))
	var cases []conformance.Case
	for i, dec := range []bool{false, true} {
		for _, weighted := range []bool{false, true} {
			n := 6 + i
			var w []float64
			if weighted {
				w = make([]float64, n)
				for j := range w {
					w[j] = 0.5 + rng.Float64()
				}
			}
			cases = append(cases, conformance.Case{
				Name:  fmt.Sprintf("isotonic/Regression/decreasing=%v/weighted=%v", dec, weighted),
				Theta: randVec(rng, n, 1),
				Solve: func(_ context.Context, th []float64) (implicit.Differentiable, error) {
					return isotonic.Regression(make([]float64, len(th)), th, w, dec)
				},
			})
		}
	}
	for i := range 2 {
		n := 5 + i
		cases = append(cases, conformance.Case{
			Name:  fmt.Sprintf("isotonic/RegressionKL/%d", i),
			Theta: randVec(rng, 2*n, 1),
			Solve: func(_ context.Context, th []float64) (implicit.Differentiable, error) {
				return isotonic.RegressionKL(make([]float64, n), th[:n], th[n:])
			},
		})
	}
	for _, reg := range []isotonic.Regularization{isotonic.L2, isotonic.KL} {
		for i := range 2 {
			n := 5 + i
			cases = append(cases, conformance.Case{
				Name:  fmt.Sprintf("isotonic/Project/%v/%d", reg, i),
				Theta: randVec(rng, 2*n, 1),
				Solve: func(_ context.Context, th []float64) (implicit.Differentiable, error) {
					return isotonic.Project(make([]float64, n), th[:n], th[n:], reg)
				},
			})
		}
	}
	return cases
}
