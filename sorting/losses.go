package sorting

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"gonum.org/v1/gonum/mat"
)

// Argsort returns the permutation that sorts x: perm[pos] is the index of
// the value at position pos (ascending, or descending), ties in index
// order. It is the target of [PermutationBCE]. The order is total, so the
// result is always a permutation: ±Inf sort as numbers and NaNs come last
// in either order, in index order (as numpy's argsort places them).
func Argsort(x []float64, descending bool) []int {
	idx := make([]int, len(x))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		na, nb := math.IsNaN(x[a]), math.IsNaN(x[b])
		switch {
		case na || nb:
			if na && nb {
				return 0
			}
			if na {
				return 1
			}
			return -1
		}
		if descending {
			a, b = b, a
		}
		switch {
		case x[a] < x[b]:
			return -1
		case x[a] > x[b]:
			return 1
		}
		return 0
	})
	return idx
}

// bceLogFloor is the floor of the logarithms in the binary cross-entropy,
// as in PyTorch's BCELoss: log p is clamped to ≥ −100.
const bceLogFloor = -100

// PermutationBCE returns the mean binary cross-entropy between a relaxed
// permutation matrix P (n×n, entries in [0, 1], row = position) and the
// permutation matrix of perm (perm[pos] = input at position pos),
//
//	L = −(1/n²) Σᵢⱼ [Tᵢⱼ log Pᵢⱼ + (1 − Tᵢⱼ) log(1 − Pᵢⱼ)],
//
// the loss diffsort trains with, and its gradient with respect to P
// (written into grad if non-nil, which must be n×n). Logarithms are
// clamped at −100 as in PyTorch, where the gradient is 0. Entries of P
// outside [0, 1] are an error matching ErrInvalid, NaN or ±Inf ErrNaN.
func PermutationBCE(grad *mat.Dense, p mat.Matrix, perm []int) (float64, error) {
	if p == nil {
		return 0, fmt.Errorf("%w: nil P", ErrDims)
	}
	n, c := p.Dims()
	if n != c || len(perm) != n || n == 0 {
		return 0, fmt.Errorf("%w: P is %d×%d, len(perm) = %d", ErrDims, n, c, len(perm))
	}
	if grad != nil {
		if r, cc := grad.Dims(); r != n || cc != n {
			return 0, fmt.Errorf("%w: grad is %d×%d, want %d×%d", ErrDims, r, cc, n, n)
		}
	}
	seen := make([]bool, n)
	for _, i := range perm {
		if i < 0 || i >= n || seen[i] {
			return 0, fmt.Errorf("%w: perm %v is not a permutation", ErrInvalid, perm)
		}
		seen[i] = true
	}
	row := make([]float64, n)
	scale := 1 / float64(n*n)
	var loss float64
	raw, isRaw := p.(mat.RawMatrixer)
	for i := range n {
		if isRaw {
			m := raw.RawMatrix()
			row = m.Data[i*m.Stride : i*m.Stride+n]
		} else {
			mat.Row(row, i, p)
		}
		var grow []float64
		if grad != nil {
			grow = grad.RawRowView(i)
		}
		for j, v := range row {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return 0, fmt.Errorf("%w: P[%d,%d] = %v", ErrNaN, i, j, v)
			}
			if !(v >= 0 && v <= 1) {
				return 0, fmt.Errorf("%w: P[%d,%d] = %v outside [0, 1]", ErrInvalid, i, j, v)
			}
			var l, dl float64
			if j == perm[i] {
				l = math.Log(v)
				if l > bceLogFloor {
					dl = -1 / v
				} else {
					l = bceLogFloor
				}
			} else {
				l = log1pNeg(v)
				if l > bceLogFloor {
					dl = 1 / (1 - v)
				} else {
					l = bceLogFloor
				}
			}
			loss -= l
			if grow != nil {
				grow[j] = dl * scale
			}
		}
	}
	return loss * scale, nil
}

// log1pNeg returns log(1 − v) for v ∈ [0, 1]; below 1/64 by its Taylor
// series to v⁹ (relative truncation error below 1e-17), several times
// faster than math.Log1p on the many small entries of a relaxed
// permutation matrix.
func log1pNeg(v float64) float64 {
	if v >= 1.0/64 {
		return math.Log1p(-v)
	}
	// −Σ_{k=1}^{9} vᵏ/k, error ≤ v¹⁰/10 / v ≈ 2e-19 relative.
	return -v * (1 + v*(1.0/2+v*(1.0/3+v*(1.0/4+v*(1.0/5+v*(1.0/6+v*(1.0/7+v*(1.0/8+v*(1.0/9)))))))))
}

// PermutationBCEBatch computes [PermutationBCE] for a batch on goroutines
// and returns the mean loss over the batch and the gradients of that mean
// with respect to each P. perms[b] is the target of ps[b]. A nil s means
// one goroutine per core.
func PermutationBCEBatch(ctx context.Context, ps []*mat.Dense, perms [][]int, s *BatchSettings) (float64, []*mat.Dense, error) {
	b := len(ps)
	if b == 0 || len(perms) != b {
		return 0, nil, fmt.Errorf("%w: %d matrices, %d targets", ErrDims, b, len(perms))
	}
	var workers int
	if s != nil {
		workers = s.Workers
	}
	if err := checkWorkers(workers); err != nil {
		return 0, nil, err
	}
	losses := make([]float64, b)
	grads := make([]*mat.Dense, b)
	err := parallel(ctx, b, workers, func(i int) error {
		if ps[i] == nil {
			return fmt.Errorf("%w: nil matrix", ErrDims)
		}
		n, _ := ps[i].Dims()
		grads[i] = mat.NewDense(n, n, nil)
		var err error
		losses[i], err = PermutationBCE(grads[i], ps[i], perms[i])
		if err == nil {
			grads[i].Scale(1/float64(b), grads[i])
		}
		return err
	})
	if err != nil {
		return 0, nil, err
	}
	var mean float64
	for _, l := range losses {
		mean += l
	}
	return mean / float64(b), grads, nil
}

// SpearmanLoss returns 1 − ρ, where ρ is the Pearson correlation between
// the soft ranks of pred (strength ε, [SoftRank] with settings s) and the
// exact ranks of target (ties share their mean rank), and its gradient with respect to pred. As
// ε → 0 it tends to one minus Spearman's rank correlation. It returns
// ErrInvalid when the soft ranks or the target are constant (ε far too
// large, or a constant target), where ρ is undefined.
func SpearmanLoss(pred, target []float64, eps float64, s *SoftSettings) (float64, []float64, error) {
	n := len(pred)
	if n < 2 || len(target) != n {
		return 0, nil, fmt.Errorf("%w: len(pred)=%d, len(target)=%d (need n ≥ 2)", ErrDims, n, len(target))
	}
	if err := checkFinite("target", target); err != nil {
		return 0, nil, err
	}
	r := make([]float64, n)
	sr, err := SoftRank(r, pred, eps, s)
	if err != nil {
		return 0, nil, err
	}
	desc := s != nil && s.Descending
	t := averageRanks(target, desc)
	center(r)
	center(t)
	nr, nt := norm2(r), norm2(t)
	if nt == 0 {
		return 0, nil, fmt.Errorf("%w: constant target", ErrInvalid)
	}
	if nr < 1e-12*float64(n) {
		return 0, nil, fmt.Errorf("%w: soft ranks are constant (ε = %v too large)", ErrInvalid, eps)
	}
	var dot float64
	for i := range n {
		dot += r[i] * t[i]
	}
	rho := dot / (nr * nt)
	// ∂ρ/∂r = t_c/(‖r_c‖‖t_c‖) − ρ r_c/‖r_c‖² (orthogonal to 1, so the
	// centering needs no extra term).
	g := make([]float64, n)
	for i := range n {
		g[i] = -(t[i]/(nr*nt) - rho*r[i]/(nr*nr))
	}
	if err := sr.VJP(g, g); err != nil {
		return 0, nil, err
	}
	return 1 - rho, g, nil
}

// SpearmanLossBatch averages [SpearmanLoss] over the rows of pred and
// target (B×n) on goroutines and returns the gradient of the mean.
func SpearmanLossBatch(ctx context.Context, pred, target mat.Matrix, eps float64, s *SoftSettings) (float64, *mat.Dense, error) {
	if pred == nil || target == nil {
		return 0, nil, fmt.Errorf("%w: nil pred or target", ErrDims)
	}
	b, n := pred.Dims()
	if r, c := target.Dims(); r != b || c != n || b == 0 {
		return 0, nil, fmt.Errorf("%w: pred is %d×%d, target is %d×%d", ErrDims, b, n, r, c)
	}
	grad := mat.NewDense(b, n, nil)
	losses := make([]float64, b)
	err := parallel(ctx, b, s.orDefault().Workers, func(i int) error {
		p, t := make([]float64, n), make([]float64, n)
		mat.Row(p, i, pred)
		mat.Row(t, i, target)
		l, g, err := SpearmanLoss(p, t, eps, s)
		if err != nil {
			return err
		}
		losses[i] = l
		for j := range g {
			g[j] /= float64(b)
		}
		grad.SetRow(i, g)
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	var mean float64
	for _, l := range losses {
		mean += l
	}
	return mean / float64(b), grad, nil
}

// averageRanks returns the 1-based ranks of x, tied values sharing the
// mean of their ranks (fractional ranking, as in Spearman's ρ).
func averageRanks(x []float64, descending bool) []float64 {
	perm := Argsort(x, descending)
	r := make([]float64, len(x))
	for a := 0; a < len(perm); {
		b := a + 1
		for b < len(perm) && x[perm[b]] == x[perm[a]] {
			b++
		}
		mean := float64(a+b+1) / 2 // mean of a+1 … b
		for _, i := range perm[a:b] {
			r[i] = mean
		}
		a = b
	}
	return r
}

func center(v []float64) {
	var m float64
	for _, x := range v {
		m += x
	}
	m /= float64(len(v))
	for i := range v {
		v[i] -= m
	}
}

func norm2(v []float64) float64 {
	var s float64
	for _, x := range v {
		s += x * x
	}
	return math.Sqrt(s)
}

// NDCGSettings controls [NDCG] and [NeuralNDCG]. The zero value means no
// truncation (k = n) and no Sinkhorn scaling.
type NDCGSettings struct {
	// K truncates the metric to the first K positions (0 means n).
	K int
	// SinkhornIters is the number of (column, row) normalization sweeps
	// applied to the NeuralSort matrix to make it (nearly) doubly
	// stochastic, as in Pobrotyn and Białobrzeski (2021); 0 means none.
	// The backward pass goes through every sweep exactly.
	SinkhornIters int
	// Stochastic, Rand: see NeuralSortSettings.
	Stochastic bool
	Rand       *rand.Rand
	// Workers caps the goroutines of [NeuralNDCGBatch] (0 means
	// GOMAXPROCS; negative is ErrInvalid). Results do not depend on it.
	Workers int
}

func gainsAndDiscounts(relevance []float64, k int) (gain, disc []float64, idcg float64, err error) {
	n := len(relevance)
	if err := checkFinite("relevance", relevance); err != nil {
		return nil, nil, 0, err
	}
	gain, disc = make([]float64, n), make([]float64, n)
	for i, y := range relevance {
		if y < 0 {
			return nil, nil, 0, fmt.Errorf("%w: negative relevance %v", ErrInvalid, y)
		}
		gain[i] = math.Exp2(y) - 1
		if i < k {
			disc[i] = 1 / math.Log2(float64(i)+2)
		}
	}
	for pos, i := range Argsort(gain, true) {
		idcg += disc[pos] * gain[i]
	}
	if math.IsInf(idcg, 0) {
		return nil, nil, 0, fmt.Errorf("%w: relevance too large (gain overflows)", ErrNaN)
	}
	return gain, disc, idcg, nil
}

func truncation(k, n int) (int, error) {
	if k < 0 {
		return 0, fmt.Errorf("%w: K = %d", ErrInvalid, k)
	}
	if k == 0 || k > n {
		k = n
	}
	return k, nil
}

// NDCG returns the exact NDCG@K of the ranking of the items by
// decreasing score, with gains 2^y − 1 and discounts 1/log₂(i+1); it is 0
// when every relevance is 0. Ties in scores are broken by index.
func NDCG(scores, relevance []float64, s *NDCGSettings) (float64, error) {
	n := len(scores)
	if n == 0 || len(relevance) != n {
		return 0, fmt.Errorf("%w: len(scores)=%d, len(relevance)=%d", ErrDims, n, len(relevance))
	}
	if err := checkFinite("scores", scores); err != nil {
		return 0, err
	}
	var st NDCGSettings
	if s != nil {
		st = *s
	}
	k, err := truncation(st.K, n)
	if err != nil {
		return 0, err
	}
	gain, disc, idcg, err := gainsAndDiscounts(relevance, k)
	if err != nil || idcg == 0 {
		return 0, err
	}
	var dcg float64
	for pos, i := range Argsort(scores, true) {
		dcg += disc[pos] * gain[i]
	}
	return dcg / idcg, nil
}

// NeuralNDCG returns the NeuralNDCG@K of Pobrotyn and Białobrzeski (2021)
// and its gradient with respect to the scores: the NDCG of the relevance
// gains permuted by the NeuralSort relaxation P̂ of the scores
// (descending, temperature τ), optionally Sinkhorn-scaled,
//
//	NeuralNDCG = (1/IDCG) Σ_{i ≤ K} (P̂ g)ᵢ / log₂(i + 1),   g = 2^y − 1.
//
// It tends to NDCG@K as τ → 0. A loss to minimize is its negative. When
// every relevance is 0 it returns 0 and a zero gradient.
func NeuralNDCG(scores, relevance []float64, tau float64, s *NDCGSettings) (float64, []float64, error) {
	n := len(scores)
	if n == 0 || len(relevance) != n {
		return 0, nil, fmt.Errorf("%w: len(scores)=%d, len(relevance)=%d", ErrDims, n, len(relevance))
	}
	var st NDCGSettings
	if s != nil {
		st = *s
	}
	if st.SinkhornIters < 0 {
		return 0, nil, fmt.Errorf("%w: SinkhornIters = %d", ErrInvalid, st.SinkhornIters)
	}
	k, err := truncation(st.K, n)
	if err != nil {
		return 0, nil, err
	}
	ns, err := NeuralSort(scores, tau, &NeuralSortSettings{Descending: true, Stochastic: st.Stochastic, Rand: st.Rand})
	if err != nil {
		return 0, nil, err
	}
	gain, disc, idcg, err := gainsAndDiscounts(relevance, k)
	if err != nil {
		return 0, nil, err
	}
	if idcg == 0 {
		return 0, make([]float64, n), nil
	}
	// Sinkhorn sweeps, keeping each normalizer for the backward pass.
	p := mat.DenseCopyOf(ns.P)
	type sweep struct{ colSum, rowSum []float64 }
	sweeps := make([]sweep, st.SinkhornIters)
	snaps := make([]*mat.Dense, 0, 2*st.SinkhornIters)
	for it := range sweeps {
		cs := make([]float64, n)
		for i := range n {
			for j, v := range p.RawRowView(i) {
				cs[j] += v
			}
		}
		for i := range n {
			row := p.RawRowView(i)
			for j := range row {
				row[j] /= cs[j]
			}
		}
		snaps = append(snaps, mat.DenseCopyOf(p))
		rs := make([]float64, n)
		for i := range n {
			row := p.RawRowView(i)
			for _, v := range row {
				rs[i] += v
			}
			for j := range row {
				row[j] /= rs[i]
			}
		}
		snaps = append(snaps, mat.DenseCopyOf(p))
		sweeps[it] = sweep{cs, rs}
	}
	if !allFinite(p.RawMatrix().Data) {
		return 0, nil, fmt.Errorf("%w: Sinkhorn scaling underflowed (τ too small)", ErrNaN)
	}
	var dcg float64
	g := mat.NewDense(n, n, nil) // ∂NeuralNDCG/∂P
	for i := range k {
		row := p.RawRowView(i)
		grow := g.RawRowView(i)
		for j := range n {
			dcg += disc[i] * row[j] * gain[j]
			grow[j] = disc[i] * gain[j] / idcg
		}
	}
	// Backward through the sweeps: Q = P/colsum, then R = Q/rowsum.
	for it := len(sweeps) - 1; it >= 0; it-- {
		r := snaps[2*it+1]
		for i := range n {
			grow, rrow := g.RawRowView(i), r.RawRowView(i)
			var dot float64
			for j := range n {
				dot += grow[j] * rrow[j]
			}
			for j := range n {
				grow[j] = (grow[j] - dot) / sweeps[it].rowSum[i]
			}
		}
		q := snaps[2*it]
		dots := make([]float64, n)
		for i := range n {
			grow, qrow := g.RawRowView(i), q.RawRowView(i)
			for j := range n {
				dots[j] += grow[j] * qrow[j]
			}
		}
		for i := range n {
			grow := g.RawRowView(i)
			for j := range n {
				grow[j] = (grow[j] - dots[j]) / sweeps[it].colSum[j]
			}
		}
	}
	ds, err := ns.Backward(g)
	if err != nil {
		return 0, nil, err
	}
	return dcg / idcg, ds, nil
}

// NeuralNDCGBatch averages [NeuralNDCG] over the rows of scores and
// relevance (B×n) on s.Workers goroutines and
// returns the mean NeuralNDCG and its gradient with respect to the
// scores. With Stochastic settings, row i draws its noise from a
// generator seeded by (seed, i), so results do not depend on scheduling;
// s.Rand is not used by the batch.
func NeuralNDCGBatch(ctx context.Context, scores, relevance mat.Matrix, tau float64, s *NDCGSettings, seed uint64) (float64, *mat.Dense, error) {
	if scores == nil || relevance == nil {
		return 0, nil, fmt.Errorf("%w: nil scores or relevance", ErrDims)
	}
	b, n := scores.Dims()
	if r, c := relevance.Dims(); r != b || c != n || b == 0 {
		return 0, nil, fmt.Errorf("%w: scores are %d×%d, relevance is %d×%d", ErrDims, b, n, r, c)
	}
	var st NDCGSettings
	if s != nil {
		st = *s
	}
	if err := checkWorkers(st.Workers); err != nil {
		return 0, nil, err
	}
	vals := make([]float64, b)
	grad := mat.NewDense(b, n, nil)
	err := parallel(ctx, b, st.Workers, func(i int) error {
		x, y := make([]float64, n), make([]float64, n)
		mat.Row(x, i, scores)
		mat.Row(y, i, relevance)
		rs := st
		if rs.Stochastic {
			rs.Rand = rand.New(rand.NewPCG(seed, uint64(i)))
		}
		v, g, err := NeuralNDCG(x, y, tau, &rs)
		if err != nil {
			return err
		}
		vals[i] = v
		for j := range g {
			g[j] /= float64(b)
		}
		grad.SetRow(i, g)
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	var mean float64
	for _, v := range vals {
		mean += v
	}
	return mean / float64(b), grad, nil
}
