package conformance_test

// The projections onto the cones of solvers/cone, each as a
// *project.Result (every cone is a project.Set; z = Π_K(y), θ = y), at
// random points of each cone's non-trivial case (outside the cone and its
// polar), two instances per cone:
//
//	solvers/cone  *project.Result of project.Solve on: Nonnegative,
//	              SecondOrder, PSD (svec), Exp, ExpDual, Power, PowerDual
//	              and a Product of all of them

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/optlayers/optlayers/implicit"
	"github.com/optlayers/optlayers/implicit/conformance"
	"github.com/optlayers/optlayers/solvers/cone"
	"github.com/optlayers/optlayers/solvers/project"
)

func TestModuleCone(t *testing.T) {
	conformance.Run(t, coneCases())
}

func coneCase(name string, k cone.Cone, y []float64) conformance.Case {
	return conformance.Case{
		Name:       "cone/" + name,
		Theta:      y,
		Cancelable: true,
		Solve: func(ctx context.Context, th []float64) (implicit.Differentiable, error) {
			r, err := project.Solve(ctx, k, th)
			if err != nil {
				return nil, err
			}
			return r, nil
		},
		Batch: func(ctx context.Context, ths [][]float64, workers int) ([]implicit.Differentiable, error) {
			rs, err := project.SolveBatch(ctx, k, ths, &project.Settings{Workers: workers})
			out := make([]implicit.Differentiable, len(rs))
			for i, r := range rs {
				out[i] = r
			}
			return out, err
		},
	}
}

// outsidePoint draws y until it lies outside K and outside its polar (so
// that Π_K(y) is on the boundary, away from 0 and y).
func outsidePoint(rng *rand.Rand, k cone.Cone) []float64 {
	for {
		y := randVec(rng, k.Dim(), 1)
		dk, err := k.Dist(y)
		if err != nil {
			panic(err)
		}
		m := make([]float64, len(y))
		for i := range y {
			m[i] = -y[i]
		}
		dd, err := k.Dual().Dist(m)
		if err != nil {
			panic(err)
		}
		if dk > 0.05 && dd > 0.05 {
			return y
		}
	}
}

func coneCases() []conformance.Case {
	rng := rand.New(rand.NewPCG(31, 37))
	cones := []cone.Cone{
		cone.Nonnegative{N: 5}, cone.SecondOrder{N: 4}, cone.PSD{N: 3}, cone.Exp{}, cone.ExpDual{},
		cone.Power{Alpha: 0.3}, cone.PowerDual{Alpha: 0.6},
	}
	prod, err := cone.NewProduct(cones...)
	if err != nil {
		panic(err)
	}
	cones = append(cones, prod)
	var cases []conformance.Case
	for k := range 2 {
		for _, c := range cones {
			name := fmt.Sprintf("%T#%d", c, k)
			if _, ok := c.(*cone.Product); ok {
				// Block by block: a point outside each block's cone and polar.
				var y []float64
				for _, b := range prod.Cones() {
					y = append(y, outsidePoint(rng, b)...)
				}
				cases = append(cases, coneCase(name, c, y))
				continue
			}
			cases = append(cases, coneCase(name, c, outsidePoint(rng, c)))
		}
	}
	return cases
}
