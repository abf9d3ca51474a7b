package cone

import (
	"math"
	"sync"

	"github.com/optlayers/optlayers/internal/dense"
)

// Fast paths of the PSD block's operations inside the interior point:
// the Jordan product and its inverse when one factor is diagonal (λ of
// the Nesterov–Todd scaling always is), and the congruences X ↦ AXAᵀ of
// the scaling by the dense kernels of internal/dense instead of general
// matrix products with allocations.

// svecDiag returns the diagonal of smat(v) and whether smat(v) is
// diagonal.
func svecDiag(n int, v []float64) ([]float64, bool) {
	p := 0
	for j := range n {
		for i := j + 1; i < n; i++ {
			if v[p+i-j] != 0 {
				return nil, false
			}
		}
		p += n - j
	}
	d := make([]float64, n)
	p = 0
	for j := range n {
		d[j] = v[p]
		p += n - j
	}
	return d, true
}

// jordanDiag sets dst = svec((DV + VD)/2) for D = diag(d): the entries
// V_ij(d_i + d_j)/2 in svec (the off-diagonal ones already carry √2).
func jordanDiag(dst []float64, n int, d, v []float64) {
	p := 0
	for j := range n {
		for i := j; i < n; i++ {
			dst[p] = 0.5 * (d[i] + d[j]) * v[p]
			p++
		}
	}
}

// jordanDivDiag sets dst to the X with (DX + XD)/2 = V, D = diag(d) > 0:
// X_ij = 2V_ij/(d_i + d_j). It reports false if some d_i + d_j is not
// positive.
func jordanDivDiag(dst []float64, n int, d, v []float64) bool {
	p := 0
	for j := range n {
		for i := j; i < n; i++ {
			s := d[i] + d[j]
			if !(s > 0) {
				return false
			}
			dst[p] = 2 * v[p] / s
			p++
		}
	}
	return true
}

// congruenceRows sets dst = svec(A X Aᵀ) for X = smat(v) and the n×n
// row-major a (at = Aᵀ row-major): S = X Aᵀ by rows (axpys of the rows of
// Aᵀ), then the lower triangle of A S by the blocked dot kernel. sm, st
// and ym are n×n scratch.
func congruenceRows(dst []float64, n int, a, at, v, sm, st, ym []float64) {
	clear(sm)
	const s2 = math.Sqrt2
	p := 0
	for j := range n {
		for i := j; i < n; i++ {
			x := v[p]
			p++
			if x == 0 {
				continue
			}
			if i != j {
				x /= s2
				dense.Axpy(x, at[i*n:(i+1)*n], sm[j*n:(j+1)*n])
			}
			dense.Axpy(x, at[j*n:(j+1)*n], sm[i*n:(i+1)*n])
		}
	}
	transposeInto(st, sm, n)
	clear(ym)
	const rb = 12
	for i0 := 0; i0 < n; i0 += rb {
		i1 := min(i0+rb, n)
		dense.SubABt(ym[i0*n:], n, a[i0*n:], n, st, n, i1-i0, i1, n)
	}
	p = 0
	for j := range n {
		for i := j; i < n; i++ {
			y := -ym[i*n+j]
			if i != j {
				y *= s2
			}
			dst[p] = y
			p++
		}
	}
}

// smatRows writes smat(v) into the n×n row-major x (both triangles).
func smatRows(x []float64, n int, v []float64) {
	p := 0
	for j := range n {
		for i := j; i < n; i++ {
			a := v[p]
			if i != j {
				a /= math.Sqrt2
			}
			x[i*n+j], x[j*n+i] = a, a
			p++
		}
	}
}

// jordanDense sets dst = svec((UV + VU)/2) for U = smat(u), V = smat(v):
// P = UV = U Vᵀ by the blocked dot kernel (V is symmetric), then the
// symmetric part in svec.
func jordanDense(dst []float64, n int, u, v []float64) {
	buf := getScratch(n*n, 3)
	defer putScratch(buf)
	um, vm, c := (*buf)[:n*n], (*buf)[n*n:2*n*n], (*buf)[2*n*n:]
	clear(c)
	smatRows(um, n, u)
	smatRows(vm, n, v)
	dense.SubABt(c, n, um, n, vm, n, n, n, n) // c = −UV
	p := 0
	for j := range n {
		for i := j; i < n; i++ {
			if i == j {
				dst[p] = -c[i*n+i]
			} else {
				dst[p] = -math.Sqrt2 * 0.5 * (c[i*n+j] + c[j*n+i])
			}
			p++
		}
	}
}

// transposeInto sets dst = srcᵀ for the n×n row-major src, by 4×4 tiles
// (four rows read and four columns written per step).
func transposeInto(dst, src []float64, n int) {
	dst, src = dst[:n*n], src[:n*n]
	i := 0
	for ; i+4 <= n; i += 4 {
		r0, r1, r2, r3 := src[i*n:(i+1)*n], src[(i+1)*n:(i+2)*n], src[(i+2)*n:(i+3)*n], src[(i+3)*n:(i+4)*n]
		r1, r2, r3 = r1[:len(r0)], r2[:len(r0)], r3[:len(r0)]
		for j, a := range r0 {
			d := dst[j*n+i : j*n+i+4]
			d[0], d[1], d[2], d[3] = a, r1[j], r2[j], r3[j]
		}
	}
	for ; i < n; i++ {
		for j, a := range src[i*n : (i+1)*n] {
			dst[j*n+i] = a
		}
	}
}

// congruenceDense is congruenceRows for a dense v: P = A X by the dot
// kernel (X symmetric: A Xᵀ), then the upper triangle of P Aᵀ (two sign
// flips of SubABt cancel). x, p and y are n×n scratch.
func congruenceDense(dst []float64, n int, a, v, x, p, y []float64) {
	smatRows(x, n, v)
	clear(p)
	dense.SubABt(p, n, a, n, x, n, n, n, n) // −A X
	clear(y)
	const rb = 12
	for i0 := 0; i0 < n; i0 += rb {
		i1 := min(i0+rb, n)
		dense.SubABt(y[i0*n+i0:], n, p[i0*n:], n, a[i0*n:], n, i1-i0, n-i0, n)
	}
	q := 0
	for j := range n {
		yj := y[j*n+j : j*n+n]
		dst[q] = yj[0]
		out := dst[q+1 : q+len(yj)]
		for t, w := range yj[1:] {
			out[t] = math.Sqrt2 * w
		}
		q += len(yj)
	}
}

// scratchPool recycles the n×n scratch matrices of the PSD operations
// (several per interior-point iteration; a pool rather than buffers in
// the scaling, which a Solution's derivatives may use concurrently).
var scratchPool sync.Pool

// getScratch returns k zeroed-or-not slices of length l (the callers
// overwrite or clear them); putScratch returns them.
func getScratch(l, k int) *[]float64 {
	if p, ok := scratchPool.Get().(*[]float64); ok && cap(*p) >= l*k {
		*p = (*p)[:l*k]
		return p
	}
	b := make([]float64, l*k)
	return &b
}

func putScratch(p *[]float64) { scratchPool.Put(p) }
