package pto

import (
	"context"
	"fmt"
	"math/rand/v2"

	"github.com/optlayers/optlayers/layers"
	"github.com/optlayers/optlayers/solvers/lp"
)

// LayerLoss trains through any differentiable solver of package layers: the
// layer maps the predicted cost (in the minimization form, s·ĉ) to a
// relaxed decision y(ĉ), and the loss is its regret under the true cost,
//
//	ℓ = s(cᵀy(ĉ) − z*),   ∂ℓ/∂ĉ = s·(∂y/∂ĉ)ᵀ(s c),
//
// with the layer's own backward pass. With a log-barrier [layers.LP] this
// is IntOpt (Mandi & Guns, "Interior Point Solving for LP-based
// prediction+optimisation", NeurIPS 2020); with the quadratic smoothing it
// is QPTL. The layer must take and return vectors of the oracle's
// dimension.
type LayerLoss struct {
	Oracle Oracle
	Layer  layers.Func
}

// Eval implements [Loss].
func (l LayerLoss) Eval(ctx context.Context, grad, chat []float64, d *Dataset, i int, _ *rand.Rand) (loss float64, err error) {
	defer recoverCallback(&err)
	if err := checkPair(chat, grad, d, i); err != nil {
		return 0, err
	}
	if isNil(l.Oracle) || l.Layer == nil {
		return 0, fmt.Errorf("%w: nil oracle or layer", ErrInvalid)
	}
	in, out := l.Layer.Dims()
	if in != len(chat) || out != len(chat) {
		return 0, fmt.Errorf("%w: layer is %d→%d, costs have length %d", ErrDims, in, out, len(chat))
	}
	s := l.Oracle.Sense().sign()
	q := make([]float64, len(chat))
	for k := range q {
		q[k] = s * chat[k]
	}
	y := make([]float64, len(chat))
	tape, err := l.Layer.Forward(ctx, y, q)
	if err != nil {
		return 0, err
	}
	c := d.C.RawRowView(i)
	g := make([]float64, len(c))
	for k := range g {
		g[k] = s * c[k]
	}
	if err := tape.VJP(grad, g); err != nil {
		return 0, err
	}
	for k := range grad {
		grad[k] *= s
	}
	return s * (dot(c, y) - d.Z[i]), nil
}

// LPTemplate returns the polytope of a [Polyhedral] oracle as an lp.Problem
// (with a zero cost), for the LP layers of package layers; nil for a nil p.
func LPTemplate(p Polyhedral) *lp.Problem {
	if isNil(p) {
		return nil // NewLP and layers.NewLP report a nil template as ErrInvalid
	}
	A, b, G, h := p.Polyhedron()
	pb := &lp.Problem{C: make([]float64, p.Dim()), B: b, H: h}
	if A != nil {
		pb.A = A
	}
	if G != nil {
		pb.G = G
	}
	return pb
}
