package bilevel

import (
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"
)

// SparseRegression returns a seeded synthetic sparse regression problem,
// the one of the cross-validation benchmark: rows of X are Gaussian
// AR(1) sequences (neighbouring features correlated 0.5, unit variance),
// β has 20 nonzero N(0, 4) entries at random positions (fewer if cols <
// 20), and y = Xβ + ε with ε Gaussian at a signal-to-noise ratio
// ‖Xβ‖/‖ε‖ ≈ 3. The same seed gives the same problem on every platform.
// It returns nil, nil when rows or cols is below 1 (the constructors of
// this package reject a nil matrix with ErrDims).
func SparseRegression(rows, cols int, seed uint64) (x *mat.Dense, y []float64) {
	if rows < 1 || cols < 1 {
		return nil, nil
	}
	rng := rand.New(rand.NewPCG(seed, 11))
	x = mat.NewDense(rows, cols, nil)
	rho := 0.5
	for i := range rows {
		prev := 0.0
		for j := range cols {
			v := rho*prev + math.Sqrt(1-rho*rho)*rng.NormFloat64()
			if j == 0 {
				v = rng.NormFloat64()
			}
			x.Set(i, j, v)
			prev = v
		}
	}
	beta := make([]float64, cols)
	for range min(20, cols) {
		beta[rng.IntN(cols)] = 2 * rng.NormFloat64()
	}
	y = make([]float64, rows)
	var sig float64
	for i := range rows {
		y[i] = dot(x.RawRowView(i), beta)
		sig += y[i] * y[i]
	}
	noise := math.Sqrt(sig/float64(rows)) / 3
	for i := range y {
		y[i] += noise * rng.NormFloat64()
	}
	return x, y
}
