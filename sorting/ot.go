package sorting

import (
	"context"
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/sinkhorn"
)

// OTSettings controls the optimal-transport operators [OTSort] and
// [OTTopK]. A nil *OTSettings or the zero value means ascending order, m = n
// anchors and the default Sinkhorn settings with a tolerance of 1e-10 on
// the marginals.
type OTSettings struct {
	// Descending sorts from largest to smallest; ranks then give 1 to the
	// largest value.
	Descending bool
	// Anchors is the number m of target points of OTSort (0 means n); with
	// m < n the sorted output is a vector of m soft quantiles.
	Anchors int
	// Sinkhorn configures the solver (nil: Tol 1e-10 on the marginals,
	// ε-scaling by 0.5, absorbed-kernel iterations with Sinkhorn–Newton
	// steps, at most 10⁵ iterations; plain or Anderson-accelerated
	// Sinkhorn often stalls near 1e-6 on these nearly-hard problems). If it
	// stops before the tolerance, OTSort and OTTopK return the result of
	// the last iterate together with an error matching
	// sinkhorn.ErrNotConverged.
	Sinkhorn *sinkhorn.Settings
	// Diff configures the implicit differentiation of the plan. When nil
	// and the Schur-complement solve fails (very small ε, where it is
	// numerically singular), the backward pass retries with a ridge of
	// 1e-10, then 1e-8, which biases the gradient by about that much.
	Diff *sinkhorn.DiffSettings
	// Workers caps the goroutines of [OTSortBatch] (0 means
	// GOMAXPROCS; negative is ErrInvalid). Results do not depend on it.
	Workers int
}

// otCore is the entropic transport of the squashed inputs onto anchors.
type otCore struct {
	n, m    int
	x       []float64 // inputs (signed for the order)
	z, g    []float64 // standardized inputs and their squashed values
	mu, sd  float64
	anchors []float64
	res     *sinkhorn.Result
	plan    *mat.Dense
	s       OTSettings
	sign    float64
	massB   []float64
	cumB    []float64 // b̄_j = Σ_{k ≤ j} b_k
	eps     float64
}

// otSolve squashes x to g = sigmoid((x − mean)/√(var + 10⁻¹²)) ∈ (0, 1)
// and solves the entropic transport from (g, 1/n) to (anchors y, b) with
// squared-distance cost.
func otSolve(ctx context.Context, x []float64, y, b []float64, eps float64, s OTSettings, sign float64) (*otCore, error) {
	n, m := len(x), len(y)
	if err := checkFinite("x", x); err != nil {
		return nil, err
	}
	c := &otCore{n: n, m: m, x: make([]float64, n), z: make([]float64, n), g: make([]float64, n), anchors: y, s: s, sign: sign, massB: b, eps: eps}
	for i, v := range x {
		c.x[i] = sign * v
		c.mu += c.x[i]
	}
	c.mu /= float64(n)
	var v2 float64
	for _, v := range c.x {
		v2 += (v - c.mu) * (v - c.mu)
	}
	c.sd = math.Sqrt(v2/float64(n) + 1e-12)
	if math.IsInf(c.sd, 0) {
		return nil, fmt.Errorf("%w: x overflows", ErrNaN)
	}
	cost := mat.NewDense(n, m, nil)
	for i, v := range c.x {
		c.z[i] = (v - c.mu) / c.sd
		c.g[i] = logistic(c.z[i])
		row := cost.RawRowView(i)
		for j, yj := range y {
			row[j] = (c.g[i] - yj) * (c.g[i] - yj)
		}
	}
	a := make([]float64, n)
	for i := range a {
		a[i] = 1 / float64(n)
	}
	st := s.Sinkhorn
	if st == nil {
		st = &sinkhorn.Settings{Tol: 1e-10, EpsilonScaling: 0.5, MaxIter: 100000, Mode: sinkhorn.Kernel, Newton: true}
	}
	res, err := sinkhorn.Solve(ctx, &sinkhorn.Problem{Cost: cost, A: a, B: b, Epsilon: eps}, st)
	var notConverged error
	if err != nil {
		switch {
		case errors.Is(err, sinkhorn.ErrEpsilon):
			return nil, fmt.Errorf("%w: %w", ErrStrength, err)
		case errors.Is(err, sinkhorn.ErrNotConverged) && res != nil:
			// The last iterate is usable: returned with the error.
			notConverged = fmt.Errorf("sorting: optimal transport: %w", err)
		default:
			return nil, fmt.Errorf("sorting: optimal transport: %w", err)
		}
	}
	c.res = res
	c.plan = res.Plan()
	c.cumB = make([]float64, m)
	var acc float64
	for j, bj := range b {
		acc += bj
		c.cumB[j] = acc
	}
	return c, notConverged
}

// backward maps a cotangent on the plan (n×m) plus a direct cotangent on
// the signed inputs to the gradient with respect to the original x.
func (c *otCore) backward(gp *mat.Dense, direct []float64) ([]float64, error) {
	gr, err := c.res.PlanVJP(gp, c.s.Diff)
	if err != nil && c.s.Diff == nil {
		// At very small ε the Schur complement of the implicit system is
		// numerically singular (the plan is nearly a permutation): retry
		// with a small ridge, whose bias is of its order.
		for _, ridge := range []float64{1e-10, 1e-8} {
			if gr, err = c.res.PlanVJP(gp, &sinkhorn.DiffSettings{Ridge: ridge}); err == nil {
				break
			}
		}
	}
	if err != nil {
		return nil, fmt.Errorf("sorting: optimal transport backward: %w", err)
	}
	n := c.n
	gz := make([]float64, n)
	for i := range n {
		var gg float64
		row := gr.C.RawRowView(i)
		for j, yj := range c.anchors {
			gg += row[j] * 2 * (c.g[i] - yj)
		}
		gz[i] = gg * c.g[i] * (1 - c.g[i])
	}
	// Standardization: z = (x − μ)/σ, σ = √(var + δ).
	var mean, dot float64
	for i := range n {
		mean += gz[i]
		dot += gz[i] * (c.x[i] - c.mu)
	}
	mean /= float64(n)
	gx := make([]float64, n)
	for k := range n {
		gx[k] = (gz[k]-mean)/c.sd - (c.x[k]-c.mu)*dot/(float64(n)*c.sd*c.sd*c.sd)
		if direct != nil {
			gx[k] += direct[k]
		}
		gx[k] *= c.sign
	}
	if !allFinite(gx) {
		return nil, fmt.Errorf("%w: gradient", ErrNaN)
	}
	return gx, nil
}

// OTResult holds the soft sort and soft ranks of [OTSort].
type OTResult struct {
	// Sorted holds the m soft sorted values (soft quantiles when m < n).
	Sorted []float64
	// Ranks holds the n soft ranks, in [1, n] (m/n-scaled when m ≠ n).
	Ranks []float64
	// Plan is the n×m transport plan from the inputs to the anchors.
	Plan *mat.Dense
	c    *otCore
}

// OTSort computes the soft sort and soft ranks of x by entropic optimal
// transport (Cuturi, Teboul and Vert 2019): the inputs, squashed into
// (0, 1) by a sigmoid of their standardized values, are transported with
// squared-distance cost and regularization ε onto m anchors
// y_j = (j − ½)/m with uniform weights b; with P the plan (n×m) and
// b̄ = cumsum(b),
//
//	sorted_j = (1/b_j) Σᵢ P_ij xᵢ,     rank_i = n · (1/aᵢ) Σⱼ P_ij b̄ⱼ,
//
// which tend to the exact sort and ranks as ε → 0. ε is in the units of
// the squashed values (ε ≈ 10⁻³ is sharp, 10⁻¹ smooth). Backward goes
// through the plan by implicit differentiation (package sinkhorn). Cost:
// the Sinkhorn solve, O(n·m) per iteration. When Sinkhorn stops before
// its tolerance, the result of the last iterate is returned with an error
// matching sinkhorn.ErrNotConverged.
func OTSort(ctx context.Context, x []float64, eps float64, settings *OTSettings) (*OTResult, error) {
	var s OTSettings
	if settings != nil {
		s = *settings
	}
	n := len(x)
	if n == 0 {
		return nil, fmt.Errorf("%w: empty input", ErrDims)
	}
	if err := checkPositive("ε", eps); err != nil {
		return nil, err
	}
	m := s.Anchors
	if m == 0 {
		m = n
	}
	if m < 0 {
		return nil, fmt.Errorf("%w: %d anchors", ErrInvalid, m)
	}
	y, b := make([]float64, m), make([]float64, m)
	for j := range m {
		y[j] = (float64(j) + 0.5) / float64(m)
		b[j] = 1 / float64(m)
	}
	sign := 1.0
	if s.Descending {
		sign = -1
	}
	c, err := otSolve(ctx, x, y, b, eps, s, sign)
	if c == nil {
		return nil, err
	}
	r := &OTResult{Sorted: make([]float64, m), Ranks: make([]float64, n), Plan: c.plan, c: c}
	for i := range n {
		row := c.plan.RawRowView(i)
		var rk float64
		for j := range m {
			r.Sorted[j] += row[j] * x[i] / b[j]
			rk += row[j] * c.cumB[j]
		}
		r.Ranks[i] = float64(n) * float64(n) * rk
	}
	if !allFinite(r.Sorted) || !allFinite(r.Ranks) {
		return nil, fmt.Errorf("%w: outputs", ErrNaN)
	}
	return r, err
}

// Backward returns the gradient with respect to x of
// ⟨gSorted, Sorted⟩ + ⟨gRanks, Ranks⟩; either may be nil.
func (r *OTResult) Backward(gSorted, gRanks []float64) ([]float64, error) {
	if r == nil || r.c == nil {
		return nil, fmt.Errorf("%w: nil or zero *OTResult", ErrDims)
	}
	c := r.c
	n, m := c.n, c.m
	if (gSorted != nil && len(gSorted) != m) || (gRanks != nil && len(gRanks) != n) {
		return nil, fmt.Errorf("%w: cotangents of length %d and %d, want %d and %d", ErrDims, len(gSorted), len(gRanks), m, n)
	}
	if (gSorted != nil && !allFinite(gSorted)) || (gRanks != nil && !allFinite(gRanks)) {
		return nil, fmt.Errorf("%w: cotangent", ErrNaN)
	}
	gp := mat.NewDense(n, m, nil)
	var direct []float64
	if gSorted != nil {
		direct = make([]float64, n)
	}
	for i := range n {
		row := gp.RawRowView(i)
		prow := c.plan.RawRowView(i)
		xi := c.sign * c.x[i] // original x
		for j := range m {
			if gSorted != nil {
				row[j] += gSorted[j] * xi / c.massB[j]
				// Sorted is linear in the original x: Σ_j P_ij g_j / b_j,
				// expressed for the signed inputs (backward multiplies by
				// the sign again).
				direct[i] += c.sign * prow[j] * gSorted[j] / c.massB[j]
			}
			if gRanks != nil {
				row[j] += gRanks[i] * float64(n) * float64(n) * c.cumB[j]
			}
		}
	}
	return c.backward(gp, direct)
}

// OTTopKResult holds a soft top-k indicator.
type OTTopKResult struct {
	// Mask holds n values in [0, 1] summing to k, near 1 on the k largest
	// entries (smallest with Descending set).
	Mask []float64
	c    *otCore
	k    int
}

// OTTopK returns the soft top-k indicator of Cuturi, Teboul and Vert
// (2019): the inputs, squashed as in [OTSort], are transported onto two
// anchors 0 and 1 with weights ((n−k)/n, k/n), and the mask is n times
// the mass each input sends to the anchor 1. Settings.Descending selects
// the k smallest instead.
func OTTopK(ctx context.Context, x []float64, k int, eps float64, settings *OTSettings) (*OTTopKResult, error) {
	var s OTSettings
	if settings != nil {
		s = *settings
	}
	n := len(x)
	if n == 0 {
		return nil, fmt.Errorf("%w: empty input", ErrDims)
	}
	if k <= 0 || k >= n {
		return nil, fmt.Errorf("%w: k = %d with n = %d (need 0 < k < n)", ErrInvalid, k, n)
	}
	if err := checkPositive("ε", eps); err != nil {
		return nil, err
	}
	sign := 1.0
	if s.Descending {
		sign = -1
	}
	b := []float64{float64(n-k) / float64(n), float64(k) / float64(n)}
	c, err := otSolve(ctx, x, []float64{0, 1}, b, eps, s, sign)
	if c == nil {
		return nil, err
	}
	r := &OTTopKResult{Mask: make([]float64, n), c: c, k: k}
	for i := range n {
		r.Mask[i] = float64(n) * c.plan.At(i, 1)
	}
	return r, err
}

// Backward returns the gradient with respect to x of ⟨g, Mask⟩.
func (r *OTTopKResult) Backward(g []float64) ([]float64, error) {
	if r == nil || r.c == nil {
		return nil, fmt.Errorf("%w: nil or zero *OTTopKResult", ErrDims)
	}
	n := r.c.n
	if len(g) != n {
		return nil, fmt.Errorf("%w: len(g) = %d, want %d", ErrDims, len(g), n)
	}
	if !allFinite(g) {
		return nil, fmt.Errorf("%w: cotangent", ErrNaN)
	}
	gp := mat.NewDense(n, 2, nil)
	for i := range n {
		gp.Set(i, 1, float64(n)*g[i])
	}
	return r.c.backward(gp, nil)
}

// OTSortBatch applies [OTSort] to every row of x (B×n) on s.Workers
// goroutines. On error it returns the results it has
// (rows whose solve stopped before its tolerance hold their last iterate)
// and the error of the first failing row.
func OTSortBatch(ctx context.Context, x mat.Matrix, eps float64, s *OTSettings) ([]*OTResult, error) {
	if x == nil {
		return nil, fmt.Errorf("%w: nil x", ErrDims)
	}
	b, n := x.Dims()
	if b == 0 || n == 0 {
		return nil, fmt.Errorf("%w: empty batch", ErrDims)
	}
	var workers int
	if s != nil {
		workers = s.Workers
	}
	if err := checkWorkers(workers); err != nil {
		return nil, err
	}
	out := make([]*OTResult, b)
	err := parallel(ctx, b, workers, func(i int) error {
		row := make([]float64, n)
		mat.Row(row, i, x)
		var err error
		out[i], err = OTSort(ctx, row, eps, s)
		return err
	})
	return out, err
}
