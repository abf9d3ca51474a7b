package cone

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/lapack/gonum"
	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/internal/dense"
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
// overwritten) to tridiagonal form: diagonal d and off-diagonal e. Below
// order 16 by LAPACK's dsytrd (gonum); from there by Householder
// reflections on the upper triangle with the dense kernels (Golub and Van
// Loan, Matrix Computations, §8.3.1): for each column, p = βA₂₂v by a dot
// and an axpy per row, w = p − (βpᵀv/2)v, and A₂₂ −= vwᵀ + wvᵀ by two
// axpys per row tail — about the 4n³/3 flops of dsytrd's unblocked form,
// vectorized.
func tridiag(n int, a []float64) (d, e []float64) {
	if n >= 16 {
		return tridiagHouseholder(n, a)
	}
	d, e, tau := make([]float64, n), make([]float64, max(n-1, 1)), make([]float64, max(n-1, 1))
	var impl gonum.Implementation
	work := []float64{0}
	impl.Dsytrd(blas.Upper, n, a, n, d, e, tau, work, -1)
	work = make([]float64, max(int(work[0]), 1))
	impl.Dsytrd(blas.Upper, n, a, n, d, e, tau, work, len(work))
	return d, e[:max(n-1, 0)]
}

func tridiagHouseholder(n int, a []float64) (d, e []float64) {
	// Only the upper triangle of A₂₂ is kept up to date: p = βA₂₂v by a dot
	// (the row from the diagonal on) and an axpy (the part of the column
	// below the diagonal, the same numbers as the row) per row, and the
	// rank-two update on the row from the diagonal on — half the update of
	// the full matrix.
	d, e = make([]float64, n), make([]float64, n-1)
	v, p := make([]float64, n), make([]float64, n)
	for k := 0; k < n-2; k++ {
		d[k] = a[k*n+k]
		x := a[k*n+k+1 : k*n+n] // column k below the diagonal (= row k)
		m := len(x)
		nx := householderNorm(x)
		if nx == 0 {
			e[k] = 0
			continue
		}
		alpha := -math.Copysign(nx, x[0])
		vk := v[:m]
		copy(vk, x)
		vk[0] -= alpha
		vv := dense.Dot(vk, vk)
		e[k] = alpha
		if vv == 0 {
			continue
		}
		beta := 2 / vv
		off := (k+1)*n + k + 1 // A₂₂
		pk := p[:m]
		clear(pk)
		for i := range m {
			row := a[off+i*n+i : off+i*n+m] // a_ii … a_i,m−1
			pk[i] += dense.Dot(row, vk[i:])
			if i+1 < m {
				dense.Axpy(vk[i], row[1:], pk[i+1:])
			}
		}
		for i := range pk {
			pk[i] *= beta
		}
		kk := 0.5 * beta * dense.Dot(pk, vk)
		dense.Axpy(-kk, vk, pk) // w
		for i := range m {
			row := a[off+i*n+i : off+i*n+m]
			dense.Axpy(-vk[i], pk[i:], row)
			dense.Axpy(-pk[i], vk[i:], row)
		}
	}
	d[n-2] = a[(n-2)*n+n-2]
	e[n-2] = a[(n-2)*n+n-1]
	d[n-1] = a[(n-1)*n+n-1]
	return d, e
}

// householderNorm returns ‖x‖₂: by one dot product where the sum of
// squares neither overflows nor loses digits to underflow, else by
// hypot's scaled accumulation.
func householderNorm(x []float64) float64 {
	ss := dense.Dot(x, x)
	if ss > 0x1p-900 && ss < 0x1p900 {
		return math.Sqrt(ss)
	}
	nx := 0.0
	for _, t := range x {
		nx = math.Hypot(nx, t)
	}
	return nx
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

// tridiagEigenvalues overwrites d with the eigenvalues (unsorted) of the
// symmetric tridiagonal matrix (d, e) by the implicit QL iteration with
// Wilkinson's shift, without eigenvectors (Golub and Van Loan, Matrix
// Computations, §8.3; the QL form of EISPACK's tql1): O(n²) in all. It
// reports false if an eigenvalue needs more than 60 iterations.
func tridiagEigenvalues(d, e []float64) bool {
	n := len(d)
	if n <= 1 {
		return true
	}
	f := make([]float64, n) // f[i] couples rows i and i+1; f[n−1] = 0
	copy(f, e)
	const eps = 0x1p-52
	for l := 0; l < n; l++ {
		for iter := 0; ; iter++ {
			// The first negligible coupling at or after l splits off the
			// block l…m.
			m := l
			for ; m < n-1; m++ {
				if math.Abs(f[m]) <= eps*(math.Abs(d[m])+math.Abs(d[m+1])) {
					break
				}
			}
			if m == l {
				break
			}
			if iter == 60 {
				return false
			}
			// Wilkinson shift from the leading 2×2 of the block.
			g := (d[l+1] - d[l]) / (2 * f[l])
			r := math.Hypot(g, 1)
			g = d[m] - d[l] + f[l]/(g+math.Copysign(r, g))
			s, c, p := 1.0, 1.0, 0.0
			deflated := false
			for i := m - 1; i >= l; i-- {
				a := s * f[i]
				b := c * f[i]
				r = math.Hypot(a, g)
				f[i+1] = r
				if r == 0 { // underflow: the block splits at i+1
					d[i+1] -= p
					f[m] = 0
					deflated = true
					break
				}
				s, c = a/r, g/r
				g = d[i+1] - p
				r = (d[i]-g)*s + 2*c*b
				p = s * r
				d[i+1] = g + p
				g = c*r - b
			}
			if deflated {
				continue
			}
			d[l] -= p
			f[l] = g
			f[m] = 0
		}
	}
	for _, v := range d {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return false
		}
	}
	return true
}

// eigenvaluesSvec returns the eigenvalues of smat(v) (unsorted): scaled
// to unit max-norm, tridiagonalized and iterated by tridiagEigenvalues,
// scaled back.
func eigenvaluesSvec(n int, v []float64) ([]float64, error) {
	sc := 0.0
	for _, x := range v {
		sc = math.Max(sc, math.Abs(x))
	}
	if math.IsNaN(sc) || math.IsInf(sc, 0) {
		return nil, fmt.Errorf("%w: non-finite matrix", ErrNaN)
	}
	if n == 0 || sc == 0 {
		return make([]float64, n), nil
	}
	a := make([]float64, n*n)
	p := 0
	for j := range n {
		for i := j; i < n; i++ {
			x := v[p] / sc
			if i != j {
				x /= math.Sqrt2
			}
			a[j*n+i] = flushTiny(x) // upper triangle: row j, column i ≥ j
			p++
		}
	}
	d, e := tridiag(n, a)
	if !tridiagEigenvalues(d, e) {
		return nil, fmt.Errorf("%w: tridiagonal QL iteration", ErrNotConverged)
	}
	for i := range d {
		d[i] *= sc
	}
	return d, nil
}
