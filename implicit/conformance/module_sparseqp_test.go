package conformance_test

// The differentiable results of qp.SolveSparse, as *qp.SparseSolution
// with z = (x, y, z_B) and θ = (Q's stored values, p, A's stored values,
// L, U, LB, UB) in the order of qp.SparseLayout:
//
//	solvers/qp  *qp.SparseSolution: Q ≻ 0 with two-sided, one-sided and
//	            equality rows and bounds; an LP at a vertex; data of size
//	            1e4 (solved in equilibrated units)

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/optlayers/optlayers/implicit"
	"github.com/optlayers/optlayers/implicit/conformance"
	"github.com/optlayers/optlayers/solvers/qp"
	"github.com/optlayers/optlayers/sparse"

	"gonum.org/v1/gonum/mat"
)

func TestModuleSparseQP(t *testing.T) {
	conformance.Run(t, sparseQPCases())
}

// randomSparseQPProblem is a feasible QP around a random point: Q = MᵀM +
// shift·I (nil for rank 0), A with density about 0.5, rows of every kind
// (equalities when eq is set) and bounds ±1.5 on some variables.
func randomSparseQPProblem(rng *rand.Rand, n, m, rank int, shift float64, eq bool, scale float64) *qp.SparseProblem {
	x0 := make([]float64, n)
	for i := range x0 {
		x0[i] = math.Max(-1.4, math.Min(1.4, 0.5*rng.NormFloat64()))
	}
	inf := math.Inf(1)
	pb := &qp.SparseProblem{P: make([]float64, n), LB: make([]float64, n), UB: make([]float64, n)}
	if rank > 0 {
		mm := randMat(rng, rank, n)
		q := mat.NewSymDense(n, nil)
		var g mat.Dense
		g.Mul(mm.T(), mm)
		for i := range n {
			for j := i; j < n; j++ {
				v := g.At(i, j)
				if i == j {
					v += shift
				}
				q.SetSym(i, j, scale*v)
			}
		}
		pb.Q, _ = sparse.SymFromDense(q)
	}
	for i := range n {
		pb.P[i] = scale * rng.NormFloat64()
		pb.LB[i], pb.UB[i] = -1.5, 1.5
		switch i % 3 {
		case 1:
			pb.LB[i] = -inf
		case 2:
			pb.UB[i] = inf
		}
	}
	a := mat.NewDense(m, n, nil)
	for i := range m {
		for j := range n {
			if rng.Float64() < 0.5 || j == i%n {
				a.Set(i, j, rng.NormFloat64())
			}
		}
	}
	pb.A, _ = sparse.FromDense(a)
	ax := make([]float64, m)
	_ = pb.A.MulVec(ax, x0)
	pb.L, pb.U = make([]float64, m), make([]float64, m)
	for i := range m {
		switch {
		case eq && i%4 == 0:
			pb.L[i], pb.U[i] = ax[i], ax[i]
		case i%3 == 0:
			pb.L[i], pb.U[i] = ax[i]-0.1-rng.Float64(), ax[i]+0.1*rng.Float64()
		case i%3 == 1:
			pb.L[i], pb.U[i] = -inf, ax[i]+0.1*rng.Float64()
		default:
			pb.L[i], pb.U[i] = ax[i]-0.1*rng.Float64(), inf
		}
	}
	return pb
}

func sparseQPCase(name string, pb *qp.SparseProblem, set qp.SparseSettings) conformance.Case {
	sol, err := qp.SolveSparse(context.Background(), pb, &set)
	if err != nil {
		panic(name + ": " + err.Error())
	}
	l := sol.Layout()
	theta := sol.Theta()
	// Equality rows move L and U together (one of them alone would make
	// the row infeasible on one side).
	eqL, eqU := sparseEqualities(l, pb)
	return conformance.Case{
		Name: "qp.SolveSparse/" + name, Theta: theta, Cancelable: true,
		Step: 1e-6, // the bounds are O(1) whatever the scale of Q and p
		Solve: func(ctx context.Context, th []float64) (implicit.Differentiable, error) {
			p, err := l.Problem(th)
			if err != nil {
				return nil, err
			}
			s := set
			return qp.SolveSparse(ctx, p, &s)
		},
		Direction: func(rng *rand.Rand) []float64 {
			d := make([]float64, len(theta))
			for i := range d {
				d[i] = rng.NormFloat64()
			}
			for k, pl := range eqL {
				d[pl] = d[eqU[k]]
			}
			return d
		},
	}
}

// sparseEqualities returns the positions in θ of L_i and U_i for the rows
// with L_i = U_i.
func sparseEqualities(l *qp.SparseLayout, pb *qp.SparseProblem) (pl, pu []int) {
	nq := 0
	if l.QPattern[0] != nil {
		nq = len(l.QPattern[1])
	}
	lo := nq + l.N + len(l.APattern[1])
	up := lo + len(l.LIndex)
	posU := map[int]int{}
	for k, i := range l.UIndex {
		posU[i] = up + k
	}
	for k, i := range l.LIndex {
		if pb.L[i] == pb.U[i] {
			pl, pu = append(pl, lo+k), append(pu, posU[i])
		}
	}
	return pl, pu
}

func sparseQPCases() []conformance.Case {
	rng := rand.New(rand.NewPCG(61, 62))
	tight := qp.SparseSettings{Tol: 1e-12}
	return []conformance.Case{
		sparseQPCase("Q≻0", randomSparseQPProblem(rng, 6, 5, 6, 0.3, false, 1), tight),
		sparseQPCase("Q≻0 with equalities", randomSparseQPProblem(rng, 8, 8, 8, 0.3, true, 1), tight),
		sparseQPCase("singular Q + ridge, data 1e4", randomSparseQPProblem(rng, 7, 6, 3, 0.2, false, 1e4), tight),
		sparseQPCase("LP at a vertex", randomSparseQPProblem(rng, 5, 7, 0, 0, false, 1), tight),
	}
}
