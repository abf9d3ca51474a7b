package conformance_test

// The differentiable results of solvers/perturbed, as *perturbed.Result
// (z = Mean, θ = the perturbed costs), from Forward with a fixed seed:
//
//	solvers/perturbed  *perturbed.Result: argmax over the simplex's vertices
//	                   with Gumbel noise, argmin with Normal noise and a
//	                   control variate, a top-k indicator with antithetic
//	                   Normal pairs
//
// The score-function Jacobian of a Result is the exact derivative of the
// likelihood-ratio reweighting of its kept samples (see Result.Condition),
// so the central differences at θ ± hd are taken of that same seeded
// estimator: the case's Solve runs Forward at the case's θ (same seed,
// same draws) and reads the reweighted estimate at θ ± hd off the closed
// form F(z, θ') = z − f(θ'). A new Forward at θ ± hd would call the
// piecewise-constant oracle at new points, whose differences are zero.

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/optlayers/optlayers/implicit"
	"github.com/optlayers/optlayers/implicit/conformance"
	"github.com/optlayers/optlayers/solvers/perturbed"
)

func TestModulePerturbed(t *testing.T) {
	conformance.Run(t, perturbedCases())
}

func oneHot(argmin bool) perturbed.Oracle {
	return func(_ context.Context, dst, cost []float64) error {
		best := 0
		for i, c := range cost {
			if (argmin && c < cost[best]) || (!argmin && c > cost[best]) {
				best = i
			}
		}
		clear(dst)
		dst[best] = 1
		return nil
	}
}

func topK(k int) perturbed.Oracle {
	return func(_ context.Context, dst, cost []float64) error {
		idx := make([]int, len(cost))
		for i := range idx {
			idx[i] = i
		}
		slices.SortStableFunc(idx, func(a, b int) int {
			switch {
			case cost[a] > cost[b]:
				return -1
			case cost[a] < cost[b]:
				return 1
			}
			return 0
		})
		clear(dst)
		for _, i := range idx[:k] {
			dst[i] = 1
		}
		return nil
	}
}

// reweighted is the seeded estimator of a Result at θ' ≠ θ, read off its
// condition; only its Condition is used (by the central differences).
type reweighted struct {
	*perturbed.Result
	c     implicit.Condition
	z, th []float64
}

func (r *reweighted) Condition() (implicit.Condition, []float64, []float64) {
	return r.c, slices.Clone(r.z), slices.Clone(r.th)
}

func perturbedCase(name string, oracle perturbed.Oracle, theta []float64, set perturbed.Settings) conformance.Case {
	forward := func(ctx context.Context, workers int, th []float64) (*perturbed.Result, error) {
		s := set
		s.Workers = workers
		o := &perturbed.Optimizer{Oracle: oracle, Dim: len(th), Settings: &s}
		return o.Forward(ctx, th)
	}
	return conformance.Case{
		Name: "perturbed/" + name, Theta: theta, Cancelable: true,
		Solve: func(ctx context.Context, th []float64) (implicit.Differentiable, error) {
			r, err := forward(ctx, 1, theta)
			if err != nil {
				return nil, err
			}
			if slices.Equal(th, theta) {
				return r, nil
			}
			c, _, _ := r.Condition()
			f := make([]float64, len(th))
			c.Residual(f, make([]float64, len(th)), th) // F(0, θ') = −f(θ')
			for i := range f {
				f[i] = -f[i]
			}
			return &reweighted{Result: r, c: c, z: f, th: slices.Clone(th)}, nil
		},
		Batch: func(ctx context.Context, ths [][]float64, workers int) ([]implicit.Differentiable, error) {
			out := make([]implicit.Differentiable, len(ths))
			for i, th := range ths {
				r, err := forward(ctx, workers, th)
				if err != nil {
					return nil, err
				}
				out[i] = r
			}
			return out, nil
		},
	}
}

func perturbedCases() []conformance.Case {
	rng := rand.New(rand.NewPCG(13, 51))
	var cases []conformance.Case
	for i, c := range []struct {
		name   string
		oracle perturbed.Oracle
		set    perturbed.Settings
	}{
		{"argmax/Gumbel", oneHot(false), perturbed.Settings{Samples: 200, Sigma: 0.5, Noise: perturbed.Gumbel, Seed: 3}},
		{"argmin/Normal/control variate", oneHot(true), perturbed.Settings{Samples: 200, Sigma: 0.7, Minimize: true, ControlVariate: true, Seed: 4}},
		{"top-2/Normal/antithetic", topK(2), perturbed.Settings{Samples: 200, Sigma: 0.4, Antithetic: true, Seed: 5}},
	} {
		cases = append(cases, perturbedCase(fmt.Sprintf("%s/%d", c.name, i), c.oracle, randVec(rng, 4+i, 1), c.set))
	}
	return cases
}
