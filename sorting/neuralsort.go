package sorting

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"
)

// NeuralSortSettings controls [NeuralSort]. A nil *NeuralSortSettings or
// the zero value means the deterministic relaxation in ascending order.
type NeuralSortSettings struct {
	// Descending puts the largest score in the first row (the paper's
	// convention); the default is ascending.
	Descending bool
	// Stochastic adds Gumbel noise to the scores before relaxing: the
	// relaxation of a permutation sampled from the Plackett–Luce
	// distribution with log-weights s (Grover et al. 2019, §4).
	Stochastic bool
	// Rand is the generator of the Gumbel noise; it is required with
	// Stochastic (seed it for reproducible runs).
	Rand *rand.Rand
	// Workers caps the goroutines of [NeuralSortBatch] (0 means
	// GOMAXPROCS; negative is ErrInvalid). Results do not depend on it.
	Workers int
}

// NeuralSortResult is a NeuralSort relaxation and what its backward pass
// needs. It is not safe for concurrent use.
type NeuralSortResult struct {
	// P is the n×n row-stochastic relaxed permutation matrix, row =
	// output position, so that P x approximately sorts x by the scores.
	P *mat.Dense
	// Noise is the Gumbel noise added to the scores (nil if
	// deterministic).
	Noise []float64

	tau  float64
	sign float64
	s    []float64 // perturbed, signed scores
	x    []float64 // the scores as given, for Condition
}

// NeuralSort returns the relaxed permutation matrix of Grover et al.
// (2019) for scores s and temperature τ > 0:
//
//	P̂[i, :] = softmax(((n + 1 − 2i) s − A_s 1) / τ),   A_s[j, k] = |sⱼ − sₖ|,
//
// (rows i = 1…n; with the default ascending order s is replaced by −s).
// As τ → 0, P̂ tends to the permutation matrix sorting s. Cost O(n²).
func NeuralSort(s []float64, tau float64, settings *NeuralSortSettings) (*NeuralSortResult, error) {
	var st NeuralSortSettings
	if settings != nil {
		st = *settings
	}
	n := len(s)
	if n == 0 {
		return nil, fmt.Errorf("%w: empty scores", ErrDims)
	}
	if err := checkPositive("τ", tau); err != nil {
		return nil, err
	}
	if err := checkFinite("s", s); err != nil {
		return nil, err
	}
	r := &NeuralSortResult{tau: tau, sign: 1, s: make([]float64, n), x: append([]float64(nil), s...)}
	if !st.Descending {
		r.sign = -1
	}
	for i, v := range s {
		r.s[i] = r.sign * v
	}
	if st.Stochastic {
		if st.Rand == nil {
			return nil, fmt.Errorf("%w: stochastic NeuralSort needs a Rand", ErrInvalid)
		}
		r.Noise = make([]float64, n)
		for i := range r.Noise {
			u := st.Rand.Float64()
			for u == 0 {
				u = st.Rand.Float64()
			}
			r.Noise[i] = -math.Log(-math.Log(u))
			r.s[i] += r.Noise[i]
		}
	}
	p, err := relaxScores(r.s, tau)
	if err != nil {
		return nil, err
	}
	r.P = mat.NewDense(n, n, p)
	return r, nil
}

// relaxScores returns the row-major NeuralSort matrix of the signed,
// perturbed scores s.
func relaxScores(s []float64, tau float64) ([]float64, error) {
	n := len(s)
	a1 := make([]float64, n)
	for j := range n {
		var acc float64
		for k := range n {
			acc += math.Abs(s[j] - s[k])
		}
		a1[j] = acc
	}
	if !allFinite(a1) {
		return nil, fmt.Errorf("%w: scores overflow", ErrNaN)
	}
	p := make([]float64, n*n)
	for i := range n {
		c := float64(n - 1 - 2*i)
		row := p[i*n : i*n+n]
		mx := math.Inf(-1)
		for j := range n {
			row[j] = (c*s[j] - a1[j]) / tau
			mx = math.Max(mx, row[j])
		}
		var sum float64
		for j := range n {
			row[j] = math.Exp(row[j] - mx)
			sum += row[j]
		}
		for j := range n {
			row[j] /= sum
		}
	}
	if !allFinite(p) {
		return nil, fmt.Errorf("%w: logits overflow (τ too small for these scores)", ErrNaN)
	}
	return p, nil
}

// Backward returns the gradient with respect to the scores s of ⟨G, P̂⟩
// (the noise is held fixed). Cost O(n²).
func (r *NeuralSortResult) Backward(g mat.Matrix) ([]float64, error) {
	if r == nil || r.P == nil {
		return nil, fmt.Errorf("%w: nil or zero *NeuralSortResult", ErrDims)
	}
	if g == nil {
		return nil, fmt.Errorf("%w: nil G", ErrDims)
	}
	n := len(r.s)
	if rr, cc := g.Dims(); rr != n || cc != n {
		return nil, fmt.Errorf("%w: G is %d×%d, want %d×%d", ErrDims, rr, cc, n, n)
	}
	colSum := make([]float64, n) // Σᵢ ∂L/∂logitᵢⱼ
	coef := make([]float64, n)   // Σᵢ cᵢ ∂L/∂logitᵢⱼ
	grow := make([]float64, n)
	for i := range n {
		mat.Row(grow, i, g)
		prow := r.P.RawRowView(i)
		var dot float64
		for j := range n {
			dot += grow[j] * prow[j]
		}
		c := float64(n - 1 - 2*i)
		for j := range n {
			gl := prow[j] * (grow[j] - dot)
			colSum[j] += gl
			coef[j] += c * gl
		}
	}
	// logitᵢⱼ = (cᵢ sⱼ − Σₖ |sⱼ − sₖ|)/τ.
	ds := make([]float64, n)
	for m := range n {
		var sm, tm float64
		for j := range n {
			sg := sign(r.s[m] - r.s[j])
			sm += sg
			tm += colSum[j] * sg
		}
		ds[m] = r.sign * (coef[m] - colSum[m]*sm - tm) / r.tau
	}
	if !allFinite(ds) {
		return nil, fmt.Errorf("%w: gradient", ErrNaN)
	}
	return ds, nil
}

// NeuralSortBatch applies [NeuralSort] to every row of s (B×n) on
// settings.Workers goroutines. With Stochastic settings,
// row i draws its Gumbel noise from a generator seeded by (seed, i), so
// the result does not depend on scheduling; settings.Rand is not used.
func NeuralSortBatch(ctx context.Context, s mat.Matrix, tau float64, settings *NeuralSortSettings, seed uint64) ([]*NeuralSortResult, error) {
	if s == nil {
		return nil, fmt.Errorf("%w: nil scores", ErrDims)
	}
	b, n := s.Dims()
	if b == 0 || n == 0 {
		return nil, fmt.Errorf("%w: empty batch", ErrDims)
	}
	var st NeuralSortSettings
	if settings != nil {
		st = *settings
	}
	if err := checkWorkers(st.Workers); err != nil {
		return nil, err
	}
	out := make([]*NeuralSortResult, b)
	err := parallel(ctx, b, st.Workers, func(i int) error {
		row := make([]float64, n)
		mat.Row(row, i, s)
		rs := st
		if rs.Stochastic {
			rs.Rand = rand.New(rand.NewPCG(seed, uint64(i)))
		}
		var err error
		out[i], err = NeuralSort(row, tau, &rs)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func sign(x float64) float64 {
	switch {
	case x > 0:
		return 1
	case x < 0:
		return -1
	}
	return 0
}
