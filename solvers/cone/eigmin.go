package cone

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/lapack/gonum"
	"gonum.org/v1/gonum/mat"
)

// minEigSym returns the smallest eigenvalue of the symmetric m: Householder
// tridiagonalization (LAPACK's dsytrd, 4n³/3 flops) and bisection on the
// Sturm sequence of the tridiagonal matrix (Golub and Van Loan, Matrix
// Computations, §8.4.1), to the tridiagonal's rounding level
// (ε·‖T‖). It computes no eigenvectors: the step length to the boundary
// of the PSD cone needs λ_min alone, where the full decomposition with
// vectors (gonum's values-only path is avoided, see PSD.MaxStep) costs
// several times the reduction.
func minEigSym(m *mat.SymDense) (float64, error) {
	n := m.SymmetricDim()
	if n == 0 {
		return 0, nil
	}
	raw := m.RawSymmetric()
	a := make([]float64, n*n)
	for i := range n {
		copy(a[i*n+i:i*n+n], raw.Data[i*raw.Stride+i:i*raw.Stride+n])
	}
	d, e := tridiag(n, a)
	return minEigTridiag(d, e)
}

// tridiag reduces the symmetric n×n a (row-major, upper triangle read;
// overwritten) to tridiagonal form (LAPACK's dsytrd): diagonal d and
// off-diagonal e.
func tridiag(n int, a []float64) (d, e []float64) {
	d, e, tau := make([]float64, n), make([]float64, max(n-1, 1)), make([]float64, max(n-1, 1))
	var impl gonum.Implementation
	work := []float64{0}
	impl.Dsytrd(blas.Upper, n, a, n, d, e, tau, work, -1)
	work = make([]float64, max(int(work[0]), 1))
	impl.Dsytrd(blas.Upper, n, a, n, d, e, tau, work, len(work))
	return d, e[:max(n-1, 0)]
}

// sturm returns the function counting the eigenvalues of the tridiagonal
// (d, e) below x, and the pivot floor it uses.
func sturm(d, e []float64) (func(x float64) int, float64) {
	n := len(d)
	maxe2 := 0.0
	for _, v := range e {
		maxe2 = math.Max(maxe2, v*v)
	}
	pivmin := 0x1p-1000 * math.Max(1, maxe2)
	return func(x float64) int {
		c := 0
		q := d[0] - x
		for i := 0; ; i++ {
			if math.Abs(q) < pivmin {
				q = -pivmin
			}
			if q < 0 {
				c++
			}
			if i == n-1 {
				return c
			}
			q = d[i+1] - x - e[i]*e[i]/q
		}
	}, pivmin
}

// gershgorin returns an interval holding the tridiagonal's eigenvalues.
func gershgorin(d, e []float64) (lo, hi float64, err error) {
	n := len(d)
	lo, hi = math.Inf(1), math.Inf(-1)
	for i := range n {
		r := 0.0
		if i > 0 {
			r += math.Abs(e[i-1])
		}
		if i < n-1 {
			r += math.Abs(e[i])
		}
		lo = math.Min(lo, d[i]-r)
		hi = math.Max(hi, d[i]+r)
	}
	if !(lo <= hi) || math.IsInf(lo, 0) || math.IsInf(hi, 0) {
		return 0, 0, fmt.Errorf("%w: non-finite tridiagonal matrix", ErrNaN)
	}
	return lo, hi, nil
}

// bisect returns the k-th smallest eigenvalue (k ≥ 1) in [lo, hi].
func bisect(below func(float64) int, pivmin float64, k int, lo, hi float64) float64 {
	const eps = 0x1p-52
	for range 200 {
		if hi-lo <= 2*eps*(math.Abs(lo)+math.Abs(hi))+pivmin {
			break
		}
		mid := lo + (hi-lo)/2
		if below(mid) >= k {
			hi = mid
		} else {
			lo = mid
		}
	}
	return lo + (hi-lo)/2
}

// minEigTridiag returns the smallest eigenvalue of the symmetric
// tridiagonal matrix with diagonal d and off-diagonal e by bisection.
func minEigTridiag(d, e []float64) (float64, error) {
	lo, hi, err := gershgorin(d, e)
	if err != nil {
		return 0, err
	}
	below, pivmin := sturm(d, e)
	return bisect(below, pivmin, 1, lo, hi), nil
}
