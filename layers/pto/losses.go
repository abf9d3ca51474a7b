package pto

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"

	"github.com/optlayers/optlayers/solvers/perturbed"
)

// A Loss is a training loss on one feature–cost pair of a [Dataset],
// evaluated at the predicted cost ĉ. Eval returns ℓ and writes ∂ℓ/∂ĉ (a
// gradient or the method's surrogate gradient) into grad; grad and chat
// must not alias. rng is a random stream private to this call (randomized
// losses draw from it, so results do not depend on goroutine scheduling).
// Eval must be safe for concurrent use on distinct pairs. The losses of
// this package accept a nil rng (a fixed stream, PCG(0, 0)), return
// ErrInvalid for a nil d or oracle, and an error matching ErrCallback when
// the oracle panics.
type Loss interface {
	Eval(ctx context.Context, grad, chat []float64, d *Dataset, i int, rng *rand.Rand) (float64, error)
}

// A BatchLoss has state updated once per mini-batch (a solution pool):
// [Train] calls EndBatch with the batch indices, in order, after every Eval
// of the batch returned.
type BatchLoss interface {
	Loss
	EndBatch(batch []int)
}

func checkPair(chat []float64, grad []float64, d *Dataset, i int) error {
	if d == nil || d.C == nil {
		return fmt.Errorf("%w: nil dataset", ErrInvalid)
	}
	_, dim := d.C.Dims()
	if len(chat) != dim || len(grad) != dim {
		return fmt.Errorf("%w: prediction of length %d, gradient %d, costs %d", ErrDims, len(chat), len(grad), dim)
	}
	if i < 0 || i >= d.Len() {
		return fmt.Errorf("%w: pair %d of %d", ErrInvalid, i, d.Len())
	}
	for _, v := range chat {
		// beyond 1e100 sums of products may overflow: treat as non-finite
		if math.IsNaN(v) || math.Abs(v) > maxCost {
			return fmt.Errorf("%w: predicted cost %v", ErrNaN, v)
		}
	}
	return nil
}

// maxCost bounds the magnitude of predicted costs accepted by the losses.
const maxCost = 1e100

func dot(a, b []float64) float64 {
	s := 0.0
	for i, v := range a {
		s += v * b[i]
	}
	return s
}

// solveMin solves min (s·c)ᵀw ⇔ the oracle's own problem at c:
// it returns argmin_w cᵀw for the minimization form, where the oracle
// of sense s is called with s·c.
func solveMin(ctx context.Context, o Oracle, dst, c []float64) error {
	s := o.Sense().sign()
	if s == 1 {
		_, err := o.Solve(ctx, dst, c)
		return err
	}
	neg := make([]float64, len(c))
	for i, v := range c {
		neg[i] = -v
	}
	_, err := o.Solve(ctx, dst, neg)
	return err
}

// MSE is the two-stage baseline: ℓ = (1/d)‖ĉ − c‖², the mean squared error
// of the predicted costs (PyTorch's nn.MSELoss).
type MSE struct{}

// Eval implements [Loss].
func (MSE) Eval(ctx context.Context, grad, chat []float64, d *Dataset, i int, _ *rand.Rand) (loss float64, err error) {
	defer recoverCallback(&err)
	if err := checkPair(chat, grad, d, i); err != nil {
		return 0, err
	}
	c := d.C.RawRowView(i)
	n := float64(len(c))
	l := 0.0
	for k := range c {
		r := chat[k] - c[k]
		l += r * r / n
		grad[k] = 2 * r / n
	}
	return l, nil
}

// SPOPlus is the SPO+ loss of Elmachtoub & Grigas (for a minimization;
// maximizations are handled through −c):
//
//	ℓ(ĉ; c) = −min_w (2ĉ − c)ᵀw + 2ĉᵀw*(c) − z*(c),  ∂ℓ/∂ĉ ∋ 2(w*(c) − w*(2ĉ − c)).
//
// It is a convex upper bound of the regret cᵀw*(ĉ) − z*(c).
type SPOPlus struct{ Oracle Oracle }

// Eval implements [Loss].
func (l SPOPlus) Eval(ctx context.Context, grad, chat []float64, d *Dataset, i int, _ *rand.Rand) (loss float64, err error) {
	defer recoverCallback(&err)
	if err := checkPair(chat, grad, d, i); err != nil {
		return 0, err
	}
	if isNil(l.Oracle) {
		return 0, fmt.Errorf("%w: nil oracle", ErrInvalid)
	}
	s := l.Oracle.Sense().sign()
	c, ws := d.C.RawRowView(i), d.W.RawRowView(i)
	q := make([]float64, len(c))
	for k := range q {
		q[k] = s * (2*chat[k] - c[k])
	}
	wt := make([]float64, len(c))
	if err := solveMin(ctx, l.Oracle, wt, q); err != nil {
		return 0, err
	}
	val := -dot(q, wt) + 2*s*dot(chat, ws) - s*d.Z[i]
	for k := range grad {
		grad[k] = s * 2 * (ws[k] - wt[k])
	}
	return val, nil
}

// DBB is differentiable black-box optimization (Vlastelica et al. 2020)
// trained on the regret ℓ = s(cᵀŵ − z*), ŵ = w*(ĉ). Its surrogate gradient
// is the gradient of the piecewise-linear interpolation of ŵ(ĉ):
//
//	∂ℓ/∂ĉ ≈ (w*(ĉ + λ s c) − ŵ) / λ   (in the minimization form),
//
// with interpolation strength Lambda (default 10). λ multiplies the
// gradient of this pair's loss, c; PyEPO's λ multiplies the gradient of
// the batch-mean loss, c/B, so PyEPO's λ = 10 with batch 32 is
// Lambda = 10/32 here.
type DBB struct {
	Oracle Oracle
	Lambda float64
}

// Eval implements [Loss].
func (l DBB) Eval(ctx context.Context, grad, chat []float64, d *Dataset, i int, _ *rand.Rand) (loss float64, err error) {
	defer recoverCallback(&err)
	if err := checkPair(chat, grad, d, i); err != nil {
		return 0, err
	}
	if isNil(l.Oracle) {
		return 0, fmt.Errorf("%w: nil oracle", ErrInvalid)
	}
	lam := l.Lambda
	if lam == 0 {
		lam = 10
	}
	if !(lam > 0) {
		return 0, fmt.Errorf("%w: DBB lambda %v", ErrInvalid, lam)
	}
	s := l.Oracle.Sense().sign()
	c := d.C.RawRowView(i)
	n := len(c)
	q := make([]float64, n)
	for k := range q {
		q[k] = s * chat[k]
	}
	w := make([]float64, n)
	if err := solveMin(ctx, l.Oracle, w, q); err != nil {
		return 0, err
	}
	for k := range q {
		q[k] += lam * s * c[k]
	}
	wl := make([]float64, n)
	if err := solveMin(ctx, l.Oracle, wl, q); err != nil {
		return 0, err
	}
	for k := range grad {
		grad[k] = s * (wl[k] - w[k]) / lam
	}
	return s * (dot(c, w) - d.Z[i]), nil
}

// NID is the negative-identity backward of Sahoo et al. (2023) on the
// regret ℓ = s(cᵀŵ − z*): the Jacobian of ĉ ↦ ŵ is replaced by −I in the
// minimization form, so ∂ℓ/∂ĉ ≈ −c.
type NID struct{ Oracle Oracle }

// Eval implements [Loss].
func (l NID) Eval(ctx context.Context, grad, chat []float64, d *Dataset, i int, _ *rand.Rand) (loss float64, err error) {
	defer recoverCallback(&err)
	if err := checkPair(chat, grad, d, i); err != nil {
		return 0, err
	}
	if isNil(l.Oracle) {
		return 0, fmt.Errorf("%w: nil oracle", ErrInvalid)
	}
	s := l.Oracle.Sense().sign()
	c := d.C.RawRowView(i)
	w := make([]float64, len(c))
	q := make([]float64, len(c))
	for k := range q {
		q[k] = s * chat[k]
	}
	if err := solveMin(ctx, l.Oracle, w, q); err != nil {
		return 0, err
	}
	for k := range grad {
		grad[k] = -c[k]
	}
	return s * (dot(c, w) - d.Z[i]), nil
}

// orFixed returns rng, or a fixed stream when rng is nil.
func orFixed(rng *rand.Rand) *rand.Rand {
	if rng == nil {
		return rand.New(rand.NewPCG(0, 0))
	}
	return rng
}

func perturbedOpt(o Oracle, samples int, sigma float64, rng *rand.Rand) *perturbed.Optimizer {
	rng = orFixed(rng)
	if samples == 0 {
		samples = 10
	}
	if sigma == 0 {
		sigma = 1
	}
	return &perturbed.Optimizer{
		Oracle: func(ctx context.Context, dst, c []float64) error { return solveMin(ctx, o, dst, c) },
		Dim:    o.Dim(),
		Settings: &perturbed.Settings{
			Samples: samples, Sigma: sigma, Minimize: true, Workers: 1, Seed: rng.Uint64(),
		},
	}
}

// PFYL is the perturbed Fenchel–Young loss of Berthet et al. (2020) with
// Gaussian perturbations, computed by package solvers/perturbed: in the
// minimization form, with ŵ_σ(ĉ) = E[w*(ĉ + σZ)] and
// F_σ(ĉ) = E[min_w (ĉ + σZ)ᵀw],
//
//	ℓ(ĉ; w*) = ĉᵀw* − F_σ(ĉ),   ∂ℓ/∂ĉ = w* − ŵ_σ(ĉ),
//
// estimated with Samples draws (default 10) at temperature Sigma
// (default 1).
type PFYL struct {
	Oracle  Oracle
	Samples int
	Sigma   float64
}

// Eval implements [Loss].
func (l PFYL) Eval(ctx context.Context, grad, chat []float64, d *Dataset, i int, rng *rand.Rand) (loss float64, err error) {
	defer recoverCallback(&err)
	if err := checkPair(chat, grad, d, i); err != nil {
		return 0, err
	}
	if isNil(l.Oracle) {
		return 0, fmt.Errorf("%w: nil oracle", ErrInvalid)
	}
	s := l.Oracle.Sense().sign()
	q := make([]float64, len(chat))
	for k := range q {
		q[k] = s * chat[k]
	}
	val, g, err := perturbedOpt(l.Oracle, l.Samples, l.Sigma, rng).FenchelYoung(ctx, q, d.W.RawRowView(i))
	if err != nil {
		return 0, err
	}
	for k := range grad {
		grad[k] = s * g[k]
	}
	return val, nil
}

// DPO is the differentiable perturbed optimizer of Berthet et al. (2020)
// trained, as in PyEPO, on the squared error between the perturbed
// solution ŵ_σ(ĉ) = E[w*(ĉ + σZ)] and the true solution:
//
//	ℓ = (1/d)‖ŵ_σ(ĉ) − w*‖²,  ∂ℓ/∂ĉ = J_σ(ĉ)ᵀ (2/d)(ŵ_σ − w*),
//	J_σ(ĉ) = E[w*(ĉ + σZ) Zᵀ]/σ,
//
// both estimated by solvers/perturbed from Samples draws.
type DPO struct {
	Oracle  Oracle
	Samples int
	Sigma   float64
}

// Eval implements [Loss].
func (l DPO) Eval(ctx context.Context, grad, chat []float64, d *Dataset, i int, rng *rand.Rand) (loss float64, err error) {
	defer recoverCallback(&err)
	if err := checkPair(chat, grad, d, i); err != nil {
		return 0, err
	}
	if isNil(l.Oracle) {
		return 0, fmt.Errorf("%w: nil oracle", ErrInvalid)
	}
	s := l.Oracle.Sense().sign()
	n := len(chat)
	q := make([]float64, n)
	for k := range q {
		q[k] = s * chat[k]
	}
	res, err := perturbedOpt(l.Oracle, l.Samples, l.Sigma, rng).Forward(ctx, q)
	if err != nil {
		return 0, err
	}
	ws := d.W.RawRowView(i)
	g := make([]float64, n)
	val := 0.0
	for k := range g {
		r := res.Mean[k] - ws[k]
		val += r * r / float64(n)
		g[k] = 2 * r / float64(n)
	}
	if err := res.VJP(grad, g); err != nil {
		return 0, err
	}
	for k := range grad {
		grad[k] *= s
	}
	return val, nil
}

// pool is a set of distinct feasible solutions, grown after each batch.
type pool struct {
	mu      sync.RWMutex
	sols    [][]float64
	seen    map[string]bool
	pending map[int][]float64
}

func key(w []float64) string {
	b := make([]byte, 0, len(w)*3)
	for _, v := range w {
		b = fmt.Appendf(b, "%.6g,", v)
	}
	return string(b)
}

func newPool(d *Dataset) *pool {
	p := &pool{seen: map[string]bool{}, pending: map[int][]float64{}}
	for i := 0; i < d.Len(); i++ {
		p.add(d.W.RawRowView(i))
	}
	return p
}

func (p *pool) add(w []float64) {
	k := key(w)
	if !p.seen[k] {
		p.seen[k] = true
		p.sols = append(p.sols, append([]float64(nil), w...))
	}
}

func (p *pool) snapshot() [][]float64 {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.sols
}

func (p *pool) stage(i int, w []float64) {
	p.mu.Lock()
	p.pending[i] = w
	p.mu.Unlock()
}

func (p *pool) commit(batch []int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, i := range batch {
		if w, ok := p.pending[i]; ok {
			p.add(w)
			delete(p.pending, i)
		}
	}
}

// contrastive is the shared machinery of NCE and CMAP.
type contrastive struct {
	oracle     Oracle
	solveRatio float64
	pool       *pool
}

// start checks the pair i of d and returns the pool's solutions, the
// oracle's sign s and w*ᵢ: what every contrastive loss starts from.
func (c *contrastive) start(grad, chat []float64, d *Dataset, i int) (sols [][]float64, s float64, ws []float64, err error) {
	if err := checkPair(chat, grad, d, i); err != nil {
		return nil, 0, nil, err
	}
	return c.pool.snapshot(), c.oracle.Sense().sign(), d.W.RawRowView(i), nil
}

func (c *contrastive) maybeSolve(ctx context.Context, chat []float64, i int, rng *rand.Rand) error {
	if c.solveRatio <= 0 || orFixed(rng).Float64() >= c.solveRatio {
		return nil
	}
	w := make([]float64, len(chat))
	if _, err := c.oracle.Solve(ctx, w, chat); err != nil {
		return err
	}
	c.pool.stage(i, w)
	return nil
}

// PoolSize returns the number of distinct solutions in the pool.
func (c *contrastive) PoolSize() int { return len(c.pool.snapshot()) }

// EndBatch adds the solutions found during the batch to the pool.
func (c *contrastive) EndBatch(batch []int) { c.pool.commit(batch) }

func newContrastive(o Oracle, train *Dataset, solveRatio float64) (*contrastive, error) {
	if !(solveRatio >= 0 && solveRatio <= 1) {
		return nil, fmt.Errorf("%w: solve ratio %v not in [0,1]", ErrInvalid, solveRatio)
	}
	if train == nil || train.Len() == 0 {
		return nil, fmt.Errorf("%w: empty training set for the solution pool", ErrInvalid)
	}
	if isNil(o) {
		return nil, fmt.Errorf("%w: nil oracle", ErrInvalid)
	}
	return &contrastive{oracle: o, solveRatio: solveRatio, pool: newPool(train)}, nil
}

// NCE is the noise-contrastive loss of Mulamba et al. (2021) over a pool S
// of feasible solutions (seeded with the training solutions; with
// probability SolveRatio per pair the solution at ĉ is added after the
// batch). In the minimization form
//
//	ℓ(ĉ) = (1/|S|) Σ_{w∈S} ĉᵀ(w* − w),   ∂ℓ/∂ĉ = w* − mean(S).
type NCE struct{ *contrastive }

// NewNCE returns the NCE loss with its pool seeded from train.
func NewNCE(o Oracle, train *Dataset, solveRatio float64) (*NCE, error) {
	c, err := newContrastive(o, train, solveRatio)
	if err != nil {
		return nil, err
	}
	return &NCE{c}, nil
}

// Eval implements [Loss].
func (l *NCE) Eval(ctx context.Context, grad, chat []float64, d *Dataset, i int, rng *rand.Rand) (loss float64, err error) {
	defer recoverCallback(&err)
	sols, s, ws, err := l.start(grad, chat, d, i)
	if err != nil {
		return 0, err
	}
	zs := dot(chat, ws)
	val := 0.0
	for k := range grad {
		grad[k] = 0
	}
	for _, w := range sols {
		val += s * (zs - dot(chat, w))
		for k, v := range w {
			grad[k] += v
		}
	}
	m := float64(len(sols))
	for k := range grad {
		grad[k] = s * (ws[k] - grad[k]/m)
	}
	return val / m, l.maybeSolve(ctx, chat, i, rng)
}

// CMAP is the contrastive maximum a posteriori loss of Mulamba et al.
// (2021): the hardest negative of the pool, in the minimization form
//
//	ℓ(ĉ) = max_{w∈S} ĉᵀ(w* − w),   ∂ℓ/∂ĉ = w* − w_max.
type CMAP struct{ *contrastive }

// NewCMAP returns the CMAP loss with its pool seeded from train.
func NewCMAP(o Oracle, train *Dataset, solveRatio float64) (*CMAP, error) {
	c, err := newContrastive(o, train, solveRatio)
	if err != nil {
		return nil, err
	}
	return &CMAP{c}, nil
}

// Eval implements [Loss].
func (l *CMAP) Eval(ctx context.Context, grad, chat []float64, d *Dataset, i int, rng *rand.Rand) (loss float64, err error) {
	defer recoverCallback(&err)
	sols, s, ws, err := l.start(grad, chat, d, i)
	if err != nil {
		return 0, err
	}
	zs := dot(chat, ws)
	best, arg := math.Inf(-1), -1
	for j, w := range sols {
		if v := s * (zs - dot(chat, w)); v > best {
			best, arg = v, j
		}
	}
	for k := range grad {
		grad[k] = s * (ws[k] - sols[arg][k])
	}
	return best, l.maybeSolve(ctx, chat, i, rng)
}
