package pto

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/solvers/qp"
)

// QPTL is quadratic programming task loss (Wilder, Dilkina & Tambe,
// "Melding the Data-Decisions Pipeline: Decision-Focused Learning for
// Combinatorial Optimization", AAAI 2019). The linear program over the
// polyhedron P of the oracle is smoothed by a quadratic term,
//
//	w_μ(ĉ) = argmin_{w∈P} ĉᵀw + (μ/2)‖w‖²,
//
// solved by the interior point of package solvers/qp, and the loss is the
// regret of that relaxed decision under the true cost, ℓ = cᵀw_μ(ĉ) − z*,
// whose gradient ∂w_μ/∂ĉᵀ c comes from the QP's KKT backward pass. Mu
// defaults to 1 (in cost units; scale it with the costs): on the PyEPO
// shortest path, μ = 1 reaches SPO+-level regret while μ ≤ 0.1 leaves the
// relaxed solution nearly piecewise constant and trains poorly.
type QPTL struct {
	Oracle Polyhedral
	Mu     float64
	// Settings of the QP solves (nil means defaults; Workers is ignored).
	Settings *qp.Settings
}

// Relaxed returns w_μ(ĉ) (the QP solution, in the oracle's sense) and the
// solution object for a backward pass.
func (l QPTL) Relaxed(ctx context.Context, chat []float64) (sol *qp.Solution, err error) {
	if isNil(l.Oracle) {
		return nil, fmt.Errorf("%w: nil oracle", ErrInvalid)
	}
	if ctx == nil {
		ctx = context.Background()
	}
	defer recoverCallback(&err)
	mu := l.Mu
	if mu == 0 {
		mu = 1
	}
	if !(mu > 0) || math.IsInf(mu, 0) {
		return nil, fmt.Errorf("%w: QPTL mu %v", ErrInvalid, mu)
	}
	if err := checkCost(chat, l.Oracle.Dim()); err != nil {
		return nil, err
	}
	s := l.Oracle.Sense().sign()
	n := len(chat)
	A, b, G, h := l.Oracle.Polyhedron()
	Q := mat.NewDiagDense(n, nil)
	p := make([]float64, n)
	for k := range p {
		Q.SetDiag(k, mu)
		p[k] = s * chat[k]
	}
	pb := &qp.Problem{Q: Q, P: p, B: b, H: h}
	if A != nil {
		pb.A = A
	}
	if G != nil {
		pb.G = G
	}
	return qp.Solve(ctx, pb, l.Settings)
}

// Eval implements [Loss].
func (l QPTL) Eval(ctx context.Context, grad, chat []float64, d *Dataset, i int, _ *rand.Rand) (loss float64, err error) {
	defer recoverCallback(&err)
	if err := checkPair(chat, grad, d, i); err != nil {
		return 0, err
	}
	if isNil(l.Oracle) {
		return 0, fmt.Errorf("%w: nil oracle", ErrInvalid)
	}
	sol, err := l.Relaxed(ctx, chat)
	if err != nil {
		return 0, err
	}
	s := l.Oracle.Sense().sign()
	c := d.C.RawRowView(i)
	gx := make([]float64, len(c))
	for k := range gx {
		gx[k] = s * c[k]
	}
	g, err := sol.Backward(gx, nil, nil)
	if err != nil {
		return 0, err
	}
	for k := range grad {
		grad[k] = s * g.P[k]
	}
	return s * (dot(c, sol.X) - d.Z[i]), nil
}
