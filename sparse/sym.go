package sparse

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// SymCSC is an n×n symmetric matrix stored by its upper triangle in
// compressed sparse column form: column j holds the entries S_ij with i ≤ j,
// row indices strictly increasing. Each stored off-diagonal entry stands for
// both S_ij and S_ji. The zero value is a 0×0 matrix.
type SymCSC struct {
	up CSC
}

var _ mat.Symmetric = (*SymCSC)(nil)

// NewSymCSC builds an n×n symmetric matrix from the compressed-column arrays
// of its upper triangle, validated as NewCSC does plus rowIdx ≤ column. It
// takes ownership of the slices.
func NewSymCSC(n int, colPtr, rowIdx []int, values []float64) (*SymCSC, error) {
	u, err := NewCSC(n, n, colPtr, rowIdx, values)
	if err != nil {
		return nil, err
	}
	for j := 0; j < n; j++ {
		if hi := colPtr[j+1]; hi > colPtr[j] && rowIdx[hi-1] > j {
			return nil, fmt.Errorf("%w: entry (%d, %d) below the diagonal", ErrInvalid, rowIdx[hi-1], j)
		}
	}
	return &SymCSC{up: *u}, nil
}

// SymFromTriplets builds an n×n symmetric matrix from triplets that may lie
// in either triangle: (i, j) with i > j is stored as (j, i). After that
// mapping, repeated pairs are summed or rejected as s says (so giving both
// (i, j) and (j, i) sums them). Explicit zeros are kept unless s.DropZeros.
func SymFromTriplets(n int, ri, ci []int, v []float64, s *TripletSettings) (*SymCSC, error) {
	if len(ri) != len(ci) || len(ri) != len(v) {
		return nil, fmt.Errorf("%w: triplet slices of lengths %d, %d, %d", ErrDims, len(ri), len(ci), len(v))
	}
	r := make([]int, len(ri))
	c := make([]int, len(ci))
	for k := range ri {
		i, j := ri[k], ci[k]
		if i > j {
			i, j = j, i
		}
		r[k], c[k] = i, j
	}
	u, err := FromTriplets(n, n, r, c, v, s)
	if err != nil {
		return nil, err
	}
	return &SymCSC{up: *u}, nil
}

// SymFromDense converts a mat.Symmetric, keeping the nonzero entries of its
// upper triangle.
func SymFromDense(m mat.Symmetric) (*SymCSC, error) {
	if m == nil {
		return nil, fmt.Errorf("%w: nil matrix", ErrInvalid)
	}
	n := m.SymmetricDim()
	if err := checkDims(n, n); err != nil {
		return nil, err
	}
	colPtr := make([]int, n+1)
	var rowIdx []int
	var values []float64
	for j := 0; j < n; j++ {
		for i := 0; i <= j; i++ {
			v := m.At(i, j)
			if v == 0 {
				continue
			}
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("%w: entry (%d, %d) is %v", ErrNaN, i, j, v)
			}
			rowIdx = append(rowIdx, i)
			values = append(values, v)
		}
		colPtr[j+1] = len(rowIdx)
	}
	return &SymCSC{up: CSC{rows: n, cols: n, colPtr: colPtr, rowIdx: rowIdx, values: values}}, nil
}

// Dims returns (n, n).
func (s *SymCSC) Dims() (rows, cols int) { return s.up.rows, s.up.cols }

// SymmetricDim returns n.
func (s *SymCSC) SymmetricDim() int { return s.up.rows }

// At returns S_ij = S_ji; it panics with mat.ErrIndexOutOfRange outside
// the matrix.
func (s *SymCSC) At(i, j int) float64 {
	if i > j {
		i, j = j, i
	}
	return s.up.At(i, j)
}

// T returns s itself (a symmetric matrix is its own transpose).
func (s *SymCSC) T() mat.Matrix { return s }

// NNZ returns the number of stored entries of the upper triangle.
func (s *SymCSC) NNZ() int { return s.up.NNZ() }

// Upper returns the upper triangle as a CSC sharing storage with s;
// read-only.
func (s *SymCSC) Upper() *CSC { return &s.up }

// Full returns the whole matrix (both triangles) as a new CSC.
func (s *SymCSC) Full() *CSC {
	n := s.up.rows
	cp := s.up.ptr()
	var ri, ci []int
	var v []float64
	for j := 0; j < n; j++ {
		for p := cp[j]; p < cp[j+1]; p++ {
			i := s.up.rowIdx[p]
			ri, ci, v = append(ri, i), append(ci, j), append(v, s.up.values[p])
			if i != j {
				ri, ci, v = append(ri, j), append(ci, i), append(v, s.up.values[p])
			}
		}
	}
	f, _ := FromTriplets(n, n, ri, ci, v, nil) // valid by construction
	return f
}

// Clone returns a deep copy.
func (s *SymCSC) Clone() *SymCSC { return &SymCSC{up: *s.up.Clone()} }

// MulVec sets dst = S x using the stored triangle once per entry. len(x)
// and len(dst) must be n; dst must not overlap x.
func (s *SymCSC) MulVec(dst, x []float64) error {
	n := s.up.rows
	if len(x) != n || len(dst) != n {
		return fmt.Errorf("%w: S is %d×%d, len(x) = %d, len(dst) = %d", ErrDims, n, n, len(x), len(dst))
	}
	clear(dst)
	cp := s.up.ptr()
	for j := 0; j < n; j++ {
		xj := x[j]
		var acc float64
		for p := cp[j]; p < cp[j+1]; p++ {
			i := s.up.rowIdx[p]
			v := s.up.values[p]
			if i == j {
				acc += v * xj
				continue
			}
			dst[i] += v * xj
			acc += v * x[i]
		}
		dst[j] += acc
	}
	return nil
}

// Dense returns S as a new mat.SymDense (nil when n = 0).
func (s *SymCSC) Dense() *mat.SymDense {
	n := s.up.rows
	if n == 0 {
		return nil
	}
	d := mat.NewSymDense(n, nil)
	cp := s.up.ptr()
	for j := 0; j < n; j++ {
		for p := cp[j]; p < cp[j+1]; p++ {
			d.SetSym(s.up.rowIdx[p], j, s.up.values[p])
		}
	}
	return d
}

// ColNormsInf sets dst[j] = maxᵢ |S_ij| over the whole column (both
// triangles), which for a symmetric matrix are also the row norms; len(dst)
// must be n. It is what Ruiz equilibration of a KKT matrix needs from Q.
func (s *SymCSC) ColNormsInf(dst []float64) error {
	n := s.up.rows
	if len(dst) != n {
		return fmt.Errorf("%w: len(dst) = %d, want n = %d", ErrDims, len(dst), n)
	}
	clear(dst)
	cp := s.up.ptr()
	for j := 0; j < n; j++ {
		for p := cp[j]; p < cp[j+1]; p++ {
			a := math.Abs(s.up.values[p])
			i := s.up.rowIdx[p]
			dst[j] = math.Max(dst[j], a)
			dst[i] = math.Max(dst[i], a)
		}
	}
	return nil
}

// ScaleSym sets S = diag(d) S diag(d) in place, which keeps S symmetric;
// len(d) must be n and every d[i] finite.
func (s *SymCSC) ScaleSym(d []float64) error {
	n := s.up.rows
	if len(d) != n {
		return fmt.Errorf("%w: len(d) = %d, want n = %d", ErrDims, len(d), n)
	}
	if err := checkFinite(d); err != nil {
		return err
	}
	cp := s.up.ptr()
	for j := 0; j < n; j++ {
		for p := cp[j]; p < cp[j+1]; p++ {
			s.up.values[p] *= d[s.up.rowIdx[p]] * d[j]
		}
	}
	return nil
}
