package isotonic

import (
	"errors"
	"fmt"
	"math"
)

// Errors returned by this package; they match with errors.Is.
var (
	// ErrDims reports an empty input or vectors of mismatched lengths.
	ErrDims = errors.New("isotonic: dimension mismatch")
	// ErrNaN reports NaN or Inf in an input.
	ErrNaN = errors.New("isotonic: NaN or Inf in input")
	// ErrWeights reports a weight that is not strictly positive.
	ErrWeights = errors.New("isotonic: weights must be positive")
	// ErrStep reports a fixed-point step η outside (0, 1].
	ErrStep = errors.New("isotonic: step must be in (0, 1]")
	// ErrInvalid reports an invalid argument: an unknown Regularization,
	// or a method called on a nil result.
	ErrInvalid = errors.New("isotonic: invalid argument")
)

// checkProduct validates the inputs of a derivative product (vectors
// that may be nil) and returns ErrNaN for NaN or Inf in them.
func checkProduct(vs ...[]float64) error {
	for _, v := range vs {
		if err := checkFinite("direction", v); err != nil {
			return err
		}
	}
	return nil
}

// allFinite reports whether every entry of v is finite, without a branch
// per entry: x − x is 0 for a finite x and NaN for ±Inf or NaN, summed in
// four partial sums.
func allFinite(v []float64) bool {
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(v); i += 4 {
		s0 += v[i] - v[i]
		s1 += v[i+1] - v[i+1]
		s2 += v[i+2] - v[i+2]
		s3 += v[i+3] - v[i+3]
	}
	for ; i < len(v); i++ {
		s0 += v[i] - v[i]
	}
	return (s0+s1)+(s2+s3) == 0
}

// checkOutput returns ErrNaN when a product overflowed.
func checkOutput(vs ...[]float64) error {
	for _, v := range vs {
		if allFinite(v) {
			continue
		}
		for i, x := range v {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return fmt.Errorf("%w: derivative product overflows at entry %d", ErrNaN, i)
			}
		}
	}
	return nil
}

func checkFinite(name string, v []float64) error {
	if allFinite(v) {
		return nil
	}
	for i, x := range v {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return fmt.Errorf("%w: %s[%d] = %v", ErrNaN, name, i, x)
		}
	}
	return nil
}

// Solution is the result of an isotonic regression: the PAV blocks, from
// which its derivatives follow. It is safe for concurrent use by
// several goroutines once returned.
type Solution struct {
	// Start lists the first index of each block, followed by n: block k
	// covers indices Start[k] ≤ i < Start[k+1].
	Start []int
	// weights are the regression weights (nil means all ones).
	weights []float64
	// blockW[k] is the total weight of block k.
	blockW []float64
	// y is θ = y, and decreasing the direction, kept for Condition.
	y          []float64
	decreasing bool
}

// Len returns n.
func (s *Solution) Len() int {
	if s == nil || len(s.Start) == 0 {
		return 0
	}
	return s.Start[len(s.Start)-1]
}

// Blocks returns the number of blocks.
func (s *Solution) Blocks() int {
	if s == nil || len(s.Start) == 0 {
		return 0
	}
	return len(s.Start) - 1
}

func (s *Solution) weight(i int) float64 {
	if s.weights == nil {
		return 1
	}
	return s.weights[i]
}

// JVP sets dst to (∂v*/∂y) dy: the weighted block average of dy. dst and
// dy have length n and may alias.
//
// A nil s gives ErrInvalid, NaN or Inf in dy (or an overflowing product)
// ErrNaN.
func (s *Solution) JVP(dst, dy []float64) error {
	if s == nil {
		return fmt.Errorf("%w: JVP of a nil Solution", ErrInvalid)
	}
	if err := checkProduct(dy); err != nil {
		return err
	}
	if err := s.jvp(dst, dy); err != nil {
		return err
	}
	return checkOutput(dst)
}

func (s *Solution) jvp(dst, dy []float64) error {
	n := s.Len()
	if len(dst) != n || len(dy) != n {
		return fmt.Errorf("%w: JVP with n=%d, len(dst)=%d, len(dy)=%d", ErrDims, n, len(dst), len(dy))
	}
	for k := 0; k+1 < len(s.Start); k++ {
		a, b := s.Start[k], s.Start[k+1]
		var acc float64
		for i := a; i < b; i++ {
			acc += s.weight(i) * dy[i]
		}
		acc /= s.blockW[k]
		for i := a; i < b; i++ {
			dst[i] = acc
		}
	}
	return nil
}

// VJP sets dst to (∂v*/∂y)ᵀ g, the gradient with respect to y of ⟨g, v*⟩.
// dst and g have length n and may alias.
//
// A nil s gives ErrInvalid, NaN or Inf in g (or an overflowing product)
// ErrNaN.
func (s *Solution) VJP(dst, g []float64) error {
	if s == nil {
		return fmt.Errorf("%w: VJP of a nil Solution", ErrInvalid)
	}
	if err := checkProduct(g); err != nil {
		return err
	}
	if err := s.vjp(dst, g); err != nil {
		return err
	}
	return checkOutput(dst)
}

func (s *Solution) vjp(dst, g []float64) error {
	n := s.Len()
	if len(dst) != n || len(g) != n {
		return fmt.Errorf("%w: VJP with n=%d, len(dst)=%d, len(g)=%d", ErrDims, n, len(dst), len(g))
	}
	for k := 0; k+1 < len(s.Start); k++ {
		a, b := s.Start[k], s.Start[k+1]
		var acc float64
		for i := a; i < b; i++ {
			acc += g[i]
		}
		acc /= s.blockW[k]
		for i := a; i < b; i++ {
			dst[i] = s.weight(i) * acc
		}
	}
	return nil
}

// Regression sets dst to the weighted l2 isotonic regression of y,
//
//	argmin_v Σᵢ ωᵢ (vᵢ − yᵢ)²  subject to v₁ ≤ v₂ ≤ … ≤ vₙ,
//
// or v₁ ≥ … ≥ vₙ when decreasing is true, by pool-adjacent-violators in
// O(n). weights may be nil (all ones); otherwise they must be positive.
// dst may alias y.
func Regression(dst, y, weights []float64, decreasing bool) (*Solution, error) {
	n := len(y)
	if n == 0 || len(dst) != n || (weights != nil && len(weights) != n) {
		return nil, fmt.Errorf("%w: len(y)=%d, len(dst)=%d, len(weights)=%d", ErrDims, n, len(dst), len(weights))
	}
	if err := checkFinite("y", y); err != nil {
		return nil, err
	}
	if weights != nil {
		if err := checkFinite("weights", weights); err != nil {
			return nil, err
		}
		for i, w := range weights {
			if !(w > 0) {
				return nil, fmt.Errorf("%w: weights[%d] = %v", ErrWeights, i, w)
			}
		}
		weights = append([]float64(nil), weights...)
	}
	sol := &Solution{weights: weights, y: append([]float64(nil), y...), decreasing: decreasing}
	sol.Start, sol.blockW = pavL2(dst, y, weights, decreasing, nil, nil)
	if err := checkFinite("solution", dst); err != nil {
		return nil, err // overflow of weighted sums
	}
	return sol, nil
}

// pavL2 runs weighted PAV on y (nil weights: all ones), writing the fit
// into v, and returns the block starts (with n appended) and block
// weights. start and bw are scratch to reuse (may be nil).
func pavL2(v, y, weights []float64, decreasing bool, start []int, bw []float64) ([]int, []float64) {
	n := len(y)
	start = start[:0]
	bw = bw[:0]
	// Block sums ω·y are kept in sy; block means compared by cross
	// multiplication would overflow less but means are clearer and exact
	// enough: the mean of a block is a convex combination of y.
	sy := make([]float64, 0, 64)
	mean := make([]float64, 0, 64)
	sign := 1.0
	if !decreasing {
		sign = -1 // solve the decreasing problem on −y
	}
	for i := range n {
		w := 1.0
		if weights != nil {
			w = weights[i]
		}
		start = append(start, i)
		bw = append(bw, w)
		sy = append(sy, w*sign*y[i])
		mean = append(mean, sign*y[i])
		for k := len(start) - 1; k > 0 && mean[k-1] <= mean[k]; k-- {
			bw[k-1] += bw[k]
			sy[k-1] += sy[k]
			mean[k-1] = sy[k-1] / bw[k-1]
			start, bw, sy, mean = start[:k], bw[:k], sy[:k], mean[:k]
		}
	}
	for k := range start {
		end := n
		if k+1 < len(start) {
			end = start[k+1]
		}
		m := sign * mean[k]
		for i := start[k]; i < end; i++ {
			v[i] = m
		}
	}
	start = append(start, n)
	return start, bw
}

// SolutionKL is the result of [RegressionKL]: the PAV blocks and the
// softmax weights that give its derivatives. It is safe for concurrent
// use once returned.
type SolutionKL struct {
	// Start lists the first index of each block, followed by n.
	Start []int
	// ps[i] = e^{sᵢ}/Σ_B e^{s}, pw[i] = e^{wᵢ}/Σ_B e^{w} for i in block B.
	ps, pw []float64
	// theta is θ = (s, w), kept for Condition.
	theta []float64
}

// Len returns n.
func (s *SolutionKL) Len() int {
	if s == nil || len(s.Start) == 0 {
		return 0
	}
	return s.Start[len(s.Start)-1]
}

// Tangent sets dst to (∂v*/∂s) ds + (∂v*/∂w) dw. ds or dw may be nil
// (zero). dst may alias ds or dw. It is [SolutionKL.JVP] with
// θ = (s, w) split in its two parts.
//
// A nil s gives ErrInvalid, NaN or Inf in ds or dw (or an overflowing
// product) ErrNaN.
func (s *SolutionKL) Tangent(dst, ds, dw []float64) error {
	if s == nil {
		return fmt.Errorf("%w: JVP of a nil SolutionKL", ErrInvalid)
	}
	if err := checkProduct(ds, dw); err != nil {
		return err
	}
	if err := s.jvp(dst, ds, dw); err != nil {
		return err
	}
	return checkOutput(dst)
}

func (s *SolutionKL) jvp(dst, ds, dw []float64) error {
	n := s.Len()
	if len(dst) != n || (ds != nil && len(ds) != n) || (dw != nil && len(dw) != n) {
		return fmt.Errorf("%w: JVP with n=%d", ErrDims, n)
	}
	for k := 0; k+1 < len(s.Start); k++ {
		a, b := s.Start[k], s.Start[k+1]
		var acc float64
		for i := a; i < b; i++ {
			if ds != nil {
				acc += s.ps[i] * ds[i]
			}
			if dw != nil {
				acc -= s.pw[i] * dw[i]
			}
		}
		for i := a; i < b; i++ {
			dst[i] = acc
		}
	}
	return nil
}

// Backward sets gs and gw to the gradients with respect to s and w of
// ⟨g, v*⟩. Either may be nil (not wanted). g may alias one of them. It
// is [SolutionKL.VJP] with θ = (s, w) split in its two parts.
//
// A nil s gives ErrInvalid, NaN or Inf in g (or an overflowing product)
// ErrNaN.
func (s *SolutionKL) Backward(gs, gw, g []float64) error {
	if s == nil {
		return fmt.Errorf("%w: VJP of a nil SolutionKL", ErrInvalid)
	}
	if err := checkProduct(g); err != nil {
		return err
	}
	if err := s.vjp(gs, gw, g); err != nil {
		return err
	}
	return checkOutput(gs, gw)
}

func (s *SolutionKL) vjp(gs, gw, g []float64) error {
	n := s.Len()
	if len(g) != n || (gs != nil && len(gs) != n) || (gw != nil && len(gw) != n) {
		return fmt.Errorf("%w: VJP with n=%d", ErrDims, n)
	}
	for k := 0; k+1 < len(s.Start); k++ {
		a, b := s.Start[k], s.Start[k+1]
		var acc float64
		for i := a; i < b; i++ {
			acc += g[i]
		}
		for i := a; i < b; i++ {
			if gs != nil {
				gs[i] = s.ps[i] * acc
			}
			if gw != nil {
				gw[i] = -s.pw[i] * acc
			}
		}
	}
	return nil
}

// RegressionKL sets dst to the KL isotonic regression of Blondel et al.
// (2020),
//
//	argmin_{v₁ ≥ … ≥ vₙ} Σᵢ e^{sᵢ−vᵢ} + Σᵢ e^{wᵢ} vᵢ,
//
// in O(n). Each block B takes the value log Σ_B e^{sᵢ} − log Σ_B e^{wᵢ},
// computed with stable log-sum-exp updates. dst may alias s or w.
func RegressionKL(dst, s, w []float64) (*SolutionKL, error) {
	n := len(s)
	if n == 0 || len(w) != n || len(dst) != n {
		return nil, fmt.Errorf("%w: len(s)=%d, len(w)=%d, len(dst)=%d", ErrDims, n, len(w), len(dst))
	}
	if err := checkFinite("s", s); err != nil {
		return nil, err
	}
	if err := checkFinite("w", w); err != nil {
		return nil, err
	}
	sol := &SolutionKL{ps: make([]float64, n), pw: make([]float64, n), theta: make([]float64, 2*n)}
	copy(sol.theta, s)
	copy(sol.theta[n:], w)
	var ws kKLWork
	sol.Start = ws.pav(dst, s, w, sol.ps, sol.pw, nil)
	if err := checkFinite("solution", dst); err != nil {
		return nil, err
	}
	return sol, nil
}

type kKLWork struct {
	lseS, lseW []float64
}

// logAddExp returns log(eᵃ + eᵇ) without overflow.
func logAddExp(a, b float64) float64 {
	if a < b {
		a, b = b, a
	}
	return a + math.Log1p(math.Exp(b-a))
}

// pav runs the KL PAV on (s, w) (decreasing), writing v and the block
// softmax weights ps, pw (if non-nil), and returns block starts with n
// appended. start is scratch to reuse.
func (ws *kKLWork) pav(v, s, w, ps, pw []float64, start []int) []int {
	n := len(s)
	start = start[:0]
	ls, lw := ws.lseS[:0], ws.lseW[:0]
	for i := range n {
		start = append(start, i)
		ls = append(ls, s[i])
		lw = append(lw, w[i])
		for k := len(start) - 1; k > 0 && ls[k-1]-lw[k-1] <= ls[k]-lw[k]; k-- {
			ls[k-1] = logAddExp(ls[k-1], ls[k])
			lw[k-1] = logAddExp(lw[k-1], lw[k])
			start, ls, lw = start[:k], ls[:k], lw[:k]
		}
	}
	for k := range start {
		end := n
		if k+1 < len(start) {
			end = start[k+1]
		}
		g := ls[k] - lw[k]
		for i := start[k]; i < end; i++ {
			if ps != nil {
				ps[i] = math.Exp(s[i] - ls[k])
				pw[i] = math.Exp(w[i] - lw[k])
			}
			v[i] = g
		}
	}
	ws.lseS, ws.lseW = ls, lw
	return append(start, n)
}
