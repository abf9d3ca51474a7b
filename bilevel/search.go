package bilevel

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"time"
)

// SearchResult reports a grid or random search.
type SearchResult struct {
	// Thetas and Values are the points evaluated and their criteria, in
	// evaluation order.
	Thetas [][]float64
	Values []float64
	// Best indexes the smallest value.
	Best int
	// InnerIters sums the inner-solver iterations.
	InnerIters int
	// Time is the wall time of the search.
	Time time.Duration
}

// BestTheta returns the best point, or nil when no point was evaluated
// (a nil result, or one returned with an error before the first point).
func (r *SearchResult) BestTheta() []float64 {
	if r == nil || r.Best < 0 || r.Best >= len(r.Thetas) {
		return nil
	}
	return r.Thetas[r.Best]
}

// BestValue returns the best criterion, or NaN when no point was
// evaluated (see BestTheta).
func (r *SearchResult) BestValue() float64 {
	if r == nil || r.Best < 0 || r.Best >= len(r.Values) {
		return math.NaN()
	}
	return r.Values[r.Best]
}

// Linspace returns n evenly spaced values from lo to hi inclusive (nil
// for n ≤ 0; NaN or infinite ends give NaN or infinite values).
func Linspace(lo, hi float64, n int) []float64 {
	if n <= 0 {
		return nil
	}
	out := make([]float64, n)
	for i := range n {
		if n == 1 {
			out[i] = lo
			continue
		}
		out[i] = lo + (hi-lo)*float64(i)/float64(n-1)
	}
	return out
}

// Grid1D returns the scalar points of a one-dimensional grid as θ vectors.
func Grid1D(values []float64) [][]float64 {
	out := make([][]float64, len(values))
	for i, v := range values {
		out[i] = []float64{v}
	}
	return out
}

// GridSearch evaluates obj (criterion only, no hypergradient) at every
// point of thetas in order — order them from strong to weak
// regularization so that warm starts help — with inner tolerance tol.
// Points whose inner solve stops short of its tolerance are kept (with the
// criterion of the best iterate) and reported at the end by an error
// wrapping ErrNotConverged, returned with the complete result. A nil obj,
// an empty grid and a negative or NaN tol give ErrInvalid; a panic in obj
// is returned as an error wrapping ErrCallback. ctx is checked before
// every point: a cancelled search returns the points evaluated so far with
// ctx's error.
func GridSearch(ctx context.Context, obj Objective, thetas [][]float64, tol float64) (out *SearchResult, err error) {
	defer recoverCallback(&err, "GridSearch")
	if obj == nil {
		return nil, fmt.Errorf("%w: nil objective", ErrInvalid)
	}
	if len(thetas) == 0 {
		return nil, fmt.Errorf("%w: empty grid", ErrInvalid)
	}
	if err := checkTol("tol", tol); err != nil {
		return nil, err
	}
	start := time.Now()
	res := &SearchResult{Best: -1}
	notConv := 0
	for _, th := range thetas {
		if len(th) != obj.Dims() {
			return nil, fmt.Errorf("%w: grid point of length %d, want %d", ErrDims, len(th), obj.Dims())
		}
		if err := ctx.Err(); err != nil {
			res.Time = time.Since(start)
			return res, err
		}
		ev, err := evaluate(ctx, obj, th, nil, tol)
		res.InnerIters += ev.InnerIters
		if errors.Is(err, ErrNotConverged) && ctx.Err() == nil {
			notConv++
		} else if err != nil {
			res.Time = time.Since(start)
			return res, err
		}
		res.Thetas = append(res.Thetas, append([]float64(nil), th...))
		res.Values = append(res.Values, ev.Value)
		if res.Best < 0 || ev.Value < res.Values[res.Best] {
			res.Best = len(res.Values) - 1
		}
	}
	res.Time = time.Since(start)
	if notConv > 0 {
		return res, fmt.Errorf("%w: at %d of %d grid points (their criteria are those of the best iterates)", ErrNotConverged, notConv, len(thetas))
	}
	return res, nil
}

// RandomSearch evaluates obj at n points drawn uniformly in the box
// [lower, upper] with a generator seeded by seed, sorted by decreasing
// first coordinate for warm starts. The bounds must be finite
// (ErrBounds); see GridSearch for the other errors.
func RandomSearch(ctx context.Context, obj Objective, lower, upper []float64, n int, seed uint64, tol float64) (res *SearchResult, err error) {
	if obj == nil {
		return nil, fmt.Errorf("%w: nil objective", ErrInvalid)
	}
	var p int
	func() {
		defer recoverCallback(&err, "Objective.Dims")
		p = obj.Dims()
	}()
	if err != nil {
		return nil, err
	}
	if p < 1 {
		return nil, fmt.Errorf("%w: objective with %d hyperparameters", ErrDims, p)
	}
	if err := checkBox(lower, upper, p); err != nil {
		return nil, err
	}
	for j := range p {
		if math.IsInf(lower[j], 0) || math.IsInf(upper[j], 0) {
			return nil, fmt.Errorf("%w: infinite bound for θ[%d]", ErrBounds, j)
		}
	}
	if n <= 0 {
		return nil, fmt.Errorf("%w: %d random points", ErrInvalid, n)
	}
	rng := rand.New(rand.NewPCG(seed, 0x5851f42d4c957f2d))
	pts := make([][]float64, n)
	for i := range pts {
		pts[i] = make([]float64, p)
		for j := range p {
			pts[i][j] = lower[j] + (upper[j]-lower[j])*rng.Float64()
		}
	}
	// Strong regularization first.
	for i := 1; i < n; i++ {
		for k := i; k > 0 && pts[k][0] > pts[k-1][0]; k-- {
			pts[k], pts[k-1] = pts[k-1], pts[k]
		}
	}
	return GridSearch(ctx, obj, pts, tol)
}

// checkBox validates box bounds of length p.
func checkBox(lower, upper []float64, p int) error {
	if len(lower) != p || len(upper) != p {
		return fmt.Errorf("%w: bounds of length %d and %d, want %d", ErrDims, len(lower), len(upper), p)
	}
	for j := range p {
		if math.IsNaN(lower[j]) || math.IsNaN(upper[j]) {
			return fmt.Errorf("%w: NaN bound", ErrBounds)
		}
		if lower[j] > upper[j] {
			return fmt.Errorf("%w: lower bound %v above upper bound %v for θ[%d]", ErrBounds, lower[j], upper[j], j)
		}
	}
	return nil
}
