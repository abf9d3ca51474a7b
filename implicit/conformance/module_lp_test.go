package conformance_test

// The differentiable results of solvers/lp, as *lp.Solution with
// z = (x, ν, λ, μ_u, μ_l) and θ = (c, A, b, G, h, finite upper bounds,
// finite lower bounds) in the order of lp.Layout:
//
//	solvers/lp  *lp.Solution: the quadratically regularized LP (γ > 0), the
//	            log-barrier smoothed LP (μ > 0), with and without equalities
//	            and finite bounds, a cost of size 1e13 (solved at unit scale),
//	            and the plain LP at a nondegenerate vertex (derivatives in
//	            b, h, A, G and the bounds; zero in c)

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/optlayers/optlayers/implicit"
	"github.com/optlayers/optlayers/implicit/conformance"
	"github.com/optlayers/optlayers/solvers/lp"

	"gonum.org/v1/gonum/mat"
)

func TestModuleLP(t *testing.T) {
	conformance.Run(t, lpCases())
}

// randomLP is a feasible LP in n variables with neq equalities and m
// inequalities through a random interior point x0, and the bounds
// −2 ≤ x ≤ 2 on some variables (finite on one side or both).
func randomLP(rng *rand.Rand, n, neq, m int, costScale float64) *lp.Problem {
	x0 := randVec(rng, n, 0.3)
	pb := &lp.Problem{C: randVec(rng, n, costScale), Lower: make([]float64, n), Upper: make([]float64, n)}
	for i := range n {
		pb.Lower[i], pb.Upper[i] = -2, 2
		switch i % 3 {
		case 1:
			pb.Lower[i] = math.Inf(-1)
		case 2:
			pb.Upper[i] = math.Inf(1)
		}
	}
	if m > 0 {
		g := randMat(rng, m, n)
		pb.G, pb.H = g, make([]float64, m)
		for i := range m {
			pb.H[i] = mat.Dot(g.RowView(i), mat.NewVecDense(n, x0)) + 0.2 + rng.Float64()
		}
	}
	if neq > 0 {
		a := randMat(rng, neq, n)
		pb.A, pb.B = a, make([]float64, neq)
		for i := range neq {
			pb.B[i] = mat.Dot(a.RowView(i), mat.NewVecDense(n, x0))
		}
	}
	return pb
}

func lpCase(name string, pb *lp.Problem, set lp.Settings) conformance.Case {
	l, err := lp.LayoutOf(pb)
	if err != nil {
		panic(err)
	}
	theta, err := l.Pack(nil, pb)
	if err != nil {
		panic(err)
	}
	return conformance.Case{
		Name: "lp/" + name, Theta: theta, Cancelable: true,
		Solve: func(ctx context.Context, th []float64) (implicit.Differentiable, error) {
			s := set
			sol, err := lp.Solve(ctx, l.Unpack(th), &s)
			if err != nil {
				return nil, err
			}
			return sol, nil
		},
		Batch: func(ctx context.Context, ths [][]float64, workers int) ([]implicit.Differentiable, error) {
			pbs := make([]*lp.Problem, len(ths))
			for i, th := range ths {
				pbs[i] = l.Unpack(th)
			}
			s := set
			s.Workers = workers
			sols, err := lp.SolveBatch(ctx, pbs, &s)
			out := make([]implicit.Differentiable, len(sols))
			for i, sol := range sols {
				out[i] = sol
			}
			return out, err
		},
	}
}

func lpCases() []conformance.Case {
	rng := rand.New(rand.NewPCG(13, 41))
	// At cost scale 1e13 the directions move c by its own scale and the
	// rest by unit steps (the default step would follow ‖θ‖∞ = ‖c‖∞).
	const big = 1e13
	scaled := lpCase("barrier at cost scale 1e13", randomLP(rng, 4, 1, 3, big), lp.Settings{Tol: 1e-11, Barrier: 1e-2 * big})
	scaled.Step = 1e-6
	nc := 4
	scaled.Direction = func(rng *rand.Rand) []float64 {
		d := randVec(rng, len(scaled.Theta), 1)
		for i := range nc {
			d[i] *= big
		}
		return d
	}
	return []conformance.Case{
		lpCase("regularized", randomLP(rng, 5, 0, 4, 1), lp.Settings{Tol: 1e-11, Quadratic: 0.5}),
		lpCase("regularized with equalities", randomLP(rng, 6, 2, 3, 1), lp.Settings{Tol: 1e-11, Quadratic: 1}),
		lpCase("barrier", randomLP(rng, 5, 1, 4, 1), lp.Settings{Tol: 1e-11, Barrier: 1e-2}),
		scaled,
		lpCase("vertex", randomLP(rng, 4, 1, 5, 1), lp.Settings{Tol: 1e-11}),
	}
}
