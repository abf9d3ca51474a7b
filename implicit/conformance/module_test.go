package conformance_test

// The registry of the module's differentiable results: one entry per
// result type (and per mode that changes its derivatives), each checked by
// conformance.Run the same way.
//
//	solvers/qp   *qp.Solution: dense QP, Q ≻ 0 with and without equalities,
//	             singular Q with a box, and the log-barrier (smoothed) solution

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/optlayers/optlayers/implicit"
	"github.com/optlayers/optlayers/implicit/conformance"
	"github.com/optlayers/optlayers/solvers/qp"

	"gonum.org/v1/gonum/mat"
)

func TestModule(t *testing.T) {
	var cases []conformance.Case
	cases = append(cases, qpCases()...)
	conformance.Run(t, cases)
}

// randomQP is a feasible QP with Q = LLᵀ/n + shift·I (shift 0: singular
// for rank < n) and, for a bounded problem, the box −2 ≤ x ≤ 2.
func randomQP(rng *rand.Rand, n, neq, m, rank int, shift float64) *qp.Problem {
	l := mat.NewDense(n, rank, nil)
	for i := range n {
		for j := range rank {
			l.Set(i, j, rng.NormFloat64())
		}
	}
	q := mat.NewSymDense(n, nil)
	q.SymOuterK(1/float64(n), l)
	for i := range n {
		q.SetSym(i, i, q.At(i, i)+shift)
	}
	z0 := make([]float64, n)
	for i := range z0 {
		z0[i] = 0.5 * rng.NormFloat64()
	}
	pb := &qp.Problem{Q: q, P: make([]float64, n)}
	for i := range pb.P {
		pb.P[i] = rng.NormFloat64()
	}
	rows := m + 2*n
	g := mat.NewDense(rows, n, nil)
	h := make([]float64, rows)
	for i := range m {
		s := 0.0
		for j := range n {
			v := rng.NormFloat64()
			g.Set(i, j, v)
			s += v * z0[j]
		}
		h[i] = s + 0.1 + rng.Float64()
	}
	for j := range n {
		g.Set(m+j, j, 1)
		g.Set(m+n+j, j, -1)
		h[m+j], h[m+n+j] = 2, 2
	}
	pb.G, pb.H = g, h
	if neq > 0 {
		a := mat.NewDense(neq, n, nil)
		b := make([]float64, neq)
		for i := range neq {
			for j := range n {
				a.Set(i, j, rng.NormFloat64())
				b[i] += a.At(i, j) * z0[j]
			}
		}
		pb.A, pb.B = a, b
	}
	return pb
}

func qpCase(name string, pb *qp.Problem, set *qp.Settings) conformance.Case {
	l := qp.LayoutOf(pb)
	theta, err := l.Pack(nil, pb)
	if err != nil {
		panic(err)
	}
	solve := func(ctx context.Context, theta []float64) (implicit.Differentiable, error) {
		sol, err := qp.Solve(ctx, l.Unpack(theta), set)
		if err != nil {
			return nil, err
		}
		return sol, nil
	}
	return conformance.Case{
		Name: "qp/" + name, Theta: theta, Solve: solve, Cancelable: true, Tol: 1e-5,
		Batch: func(ctx context.Context, thetas [][]float64, workers int) ([]implicit.Differentiable, error) {
			pbs := make([]*qp.Problem, len(thetas))
			for i, th := range thetas {
				pbs[i] = l.Unpack(th)
			}
			s := qp.Settings{Workers: workers}
			if set != nil {
				s = *set
				s.Workers = workers
			}
			sols, err := qp.SolveBatch(ctx, pbs, &s)
			out := make([]implicit.Differentiable, len(sols))
			for i, sol := range sols {
				out[i] = sol
			}
			return out, err
		},
	}
}

func qpCases() []conformance.Case {
	rng := rand.New(rand.NewPCG(13, 20))
	return []conformance.Case{
		qpCase("Q≻0", randomQP(rng, 6, 0, 5, 6, 0.2), &qp.Settings{Tol: 1e-11}),
		qpCase("Q≻0 with equalities", randomQP(rng, 7, 3, 4, 7, 0.2), &qp.Settings{Tol: 1e-11}),
		qpCase("barrier", randomQP(rng, 5, 1, 4, 5, 0.1), &qp.Settings{Tol: 1e-11, Barrier: 1e-2}),
	}
}
