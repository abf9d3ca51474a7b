package pto

import (
	"context"
	"math"
	"math/rand/v2"
)

// The learning-to-rank losses of Mandi, Bucarey, Mulamba & Guns
// ("Decision-Focused Learning: Through the Lens of Learning to Rank",
// ICML 2022) score the solutions of a pool S (seeded with the training
// solutions, grown with probability SolveRatio per pair like [NCE]) by
// their objective values, and ask the predicted cost to rank them as the
// true cost does. In the minimization form, with objective values
// v_w = ĉᵀw and u_w = cᵀw:
//
//   - [Pointwise]: (1/|S|) Σ_w (v_w − u_w)²;
//   - [Pairwise]: (1/|S|) Σ_w max(0, Margin + v_{w*} − v_w), the true
//     optimum against every pool solution (Margin default 0.1);
//   - [Listwise]: −Σ_w p_c(w) log p_ĉ(w), the cross-entropy of the
//     softmax distributions p_c(w) ∝ exp(−u_w/τ) and p_ĉ(w) ∝ exp(−v_w/τ)
//     (Tau default 1).
type Pointwise struct{ *contrastive }

// Pairwise is the pairwise ranking loss; see [Pointwise].
type Pairwise struct {
	*contrastive
	Margin float64
}

// Listwise is the listwise ranking loss; see [Pointwise].
type Listwise struct {
	*contrastive
	Tau float64
}

// NewPointwise returns the pointwise ranking loss with its pool.
func NewPointwise(o Oracle, train *Dataset, solveRatio float64) (*Pointwise, error) {
	c, err := newContrastive(o, train, solveRatio)
	if err != nil {
		return nil, err
	}
	return &Pointwise{c}, nil
}

// NewPairwise returns the pairwise ranking loss with its pool.
func NewPairwise(o Oracle, train *Dataset, solveRatio, margin float64) (*Pairwise, error) {
	c, err := newContrastive(o, train, solveRatio)
	if err != nil {
		return nil, err
	}
	if margin == 0 {
		margin = 0.1
	}
	return &Pairwise{c, margin}, nil
}

// NewListwise returns the listwise ranking loss with its pool.
func NewListwise(o Oracle, train *Dataset, solveRatio, tau float64) (*Listwise, error) {
	c, err := newContrastive(o, train, solveRatio)
	if err != nil {
		return nil, err
	}
	if !(tau > 0) {
		tau = 1
	}
	return &Listwise{c, tau}, nil
}

// Eval implements [Loss].
func (l *Pointwise) Eval(ctx context.Context, grad, chat []float64, d *Dataset, i int, rng *rand.Rand) (loss float64, err error) {
	defer recoverCallback(&err)
	sols, _, _, err := l.start(grad, chat, d, i)
	if err != nil {
		return 0, err
	}
	c := d.C.RawRowView(i)
	clear(grad)
	val := 0.0
	m := float64(len(sols))
	for _, w := range sols {
		r := dot(chat, w) - dot(c, w) // the sign cancels in the square
		val += r * r / m
		for k, v := range w {
			grad[k] += 2 * r * v / m
		}
	}
	return val, l.maybeSolve(ctx, chat, i, rng)
}

// Eval implements [Loss].
func (l *Pairwise) Eval(ctx context.Context, grad, chat []float64, d *Dataset, i int, rng *rand.Rand) (loss float64, err error) {
	defer recoverCallback(&err)
	sols, s, ws, err := l.start(grad, chat, d, i)
	if err != nil {
		return 0, err
	}
	zs := s * dot(chat, ws)
	clear(grad)
	val := 0.0
	m := float64(len(sols))
	for _, w := range sols {
		if h := l.Margin + zs - s*dot(chat, w); h > 0 {
			val += h / m
			for k := range grad {
				grad[k] += s * (ws[k] - w[k]) / m
			}
		}
	}
	return val, l.maybeSolve(ctx, chat, i, rng)
}

// Eval implements [Loss].
func (l *Listwise) Eval(ctx context.Context, grad, chat []float64, d *Dataset, i int, rng *rand.Rand) (loss float64, err error) {
	defer recoverCallback(&err)
	sols, s, _, err := l.start(grad, chat, d, i)
	if err != nil {
		return 0, err
	}
	c := d.C.RawRowView(i)
	n := len(sols)
	pc := make([]float64, n)
	ph := make([]float64, n)
	for j, w := range sols {
		pc[j] = -s * dot(c, w) / l.Tau
		ph[j] = -s * dot(chat, w) / l.Tau
	}
	softmax(pc)
	logSoftmax(ph) // ph now holds log p_ĉ
	val := 0.0
	clear(grad)
	for j, w := range sols {
		val -= pc[j] * ph[j]
		// ∂(−Σ p_c log p_ĉ)/∂ĉ = Σ_j (p_ĉ(j) − p_c(j)) ∂(−s ĉᵀw_j/τ)/∂ĉ
		coef := (math.Exp(ph[j]) - pc[j]) * (-s / l.Tau)
		for k, v := range w {
			grad[k] += coef * v
		}
	}
	return val, l.maybeSolve(ctx, chat, i, rng)
}

func softmax(x []float64) {
	m := math.Inf(-1)
	for _, v := range x {
		m = max(m, v)
	}
	z := 0.0
	for i, v := range x {
		x[i] = math.Exp(v - m)
		z += x[i]
	}
	for i := range x {
		x[i] /= z
	}
}

// logSoftmax replaces x by log softmax(x) and returns the log-sum-exp.
func logSoftmax(x []float64) float64 {
	m := math.Inf(-1)
	for _, v := range x {
		m = max(m, v)
	}
	z := 0.0
	for _, v := range x {
		z += math.Exp(v - m)
	}
	lse := m + math.Log(z)
	for i := range x {
		x[i] -= lse
	}
	return lse
}
