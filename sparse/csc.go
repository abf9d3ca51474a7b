package sparse

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"

	"gonum.org/v1/gonum/mat"
)

// Sentinel errors. Every error returned by this package matches one of them
// with errors.Is.
var (
	// ErrDims reports mismatched or negative dimensions, or vector lengths
	// that do not match the matrix.
	ErrDims = errors.New("sparse: dimension mismatch")
	// ErrNaN reports a NaN or ±Inf value in the input.
	ErrNaN = errors.New("sparse: NaN or Inf value")
	// ErrInvalid reports a malformed structure (column pointers, row
	// indices out of range, unsorted or repeated) or a bad argument.
	ErrInvalid = errors.New("sparse: invalid structure or argument")
)

// MaxDim is the largest number of rows or columns accepted (2³¹−1): larger
// dimensions give ErrDims rather than an allocation failure.
const MaxDim = 1<<31 - 1

func checkDims(rows, cols int) error {
	if rows < 0 || cols < 0 {
		return fmt.Errorf("%w: negative dimensions %d×%d", ErrDims, rows, cols)
	}
	if rows > MaxDim || cols > MaxDim {
		return fmt.Errorf("%w: dimensions %d×%d exceed MaxDim", ErrDims, rows, cols)
	}
	return nil
}

// CSC is a rows×cols float64 matrix in compressed sparse column form. The
// row indices of column j are rowIdx[colPtr[j]:colPtr[j+1]], strictly
// increasing, and values holds the matching entries. A CSC is immutable
// through its methods except ScaleRows and ScaleCols, which change values in
// place. The zero value is a 0×0 matrix.
type CSC struct {
	rows, cols int
	colPtr     []int
	rowIdx     []int
	values     []float64
}

var _ mat.Matrix = (*CSC)(nil)

// DuplicatePolicy says what FromTriplets does with repeated (i, j) pairs.
type DuplicatePolicy int

const (
	// SumDuplicates adds the values of repeated entries (the default).
	SumDuplicates DuplicatePolicy = iota
	// ErrorOnDuplicates returns an error wrapping ErrInvalid.
	ErrorOnDuplicates
)

// TripletSettings configures FromTriplets and SymFromTriplets. The zero value
// (or nil) sums duplicates and keeps explicit zeros.
type TripletSettings struct {
	Duplicates DuplicatePolicy
	// DropZeros removes entries whose (summed) value is exactly zero. By
	// default they are kept as structural entries: a KKT pattern often needs
	// them.
	DropZeros bool
}

// NewCSC builds a rows×cols matrix from raw compressed-column arrays after
// validating them: len(colPtr) = cols+1, colPtr[0] = 0, colPtr
// non-decreasing, colPtr[cols] = len(rowIdx) = len(values), row indices in
// [0, rows) and strictly increasing within each column, every value finite.
// NewCSC takes ownership of the three slices: the caller must not modify them
// afterwards.
func NewCSC(rows, cols int, colPtr, rowIdx []int, values []float64) (*CSC, error) {
	if err := checkDims(rows, cols); err != nil {
		return nil, err
	}
	if len(colPtr) != cols+1 {
		return nil, fmt.Errorf("%w: len(colPtr) = %d, want cols+1 = %d", ErrInvalid, len(colPtr), cols+1)
	}
	if len(rowIdx) != len(values) {
		return nil, fmt.Errorf("%w: len(rowIdx) = %d != len(values) = %d", ErrInvalid, len(rowIdx), len(values))
	}
	if colPtr[0] != 0 || colPtr[cols] != len(rowIdx) {
		return nil, fmt.Errorf("%w: colPtr must start at 0 and end at nnz = %d", ErrInvalid, len(rowIdx))
	}
	for j := 0; j < cols; j++ {
		lo, hi := colPtr[j], colPtr[j+1]
		if lo > hi || hi > len(rowIdx) {
			return nil, fmt.Errorf("%w: colPtr decreasing at column %d", ErrInvalid, j)
		}
		prev := -1
		for p := lo; p < hi; p++ {
			i := rowIdx[p]
			if i < 0 || i >= rows {
				return nil, fmt.Errorf("%w: row index %d out of range [0, %d) in column %d", ErrInvalid, i, rows, j)
			}
			if i <= prev {
				return nil, fmt.Errorf("%w: row indices of column %d not strictly increasing", ErrInvalid, j)
			}
			prev = i
		}
	}
	for p, v := range values {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("%w: value %v at position %d", ErrNaN, v, p)
		}
	}
	return &CSC{rows: rows, cols: cols, colPtr: colPtr, rowIdx: rowIdx, values: values}, nil
}

// FromTriplets builds a rows×cols matrix from coordinate triplets
// (ri[k], ci[k], v[k]). Repeated pairs are summed (or rejected, see
// TripletSettings); explicit zeros are kept unless s.DropZeros. The inputs
// are not modified nor retained. Cost O(nnz + rows + cols) time and memory
// plus the sorting of columns that are not
// in row order (a counting sort by column, then a per-column sort).
func FromTriplets(rows, cols int, ri, ci []int, v []float64, s *TripletSettings) (*CSC, error) {
	if err := checkDims(rows, cols); err != nil {
		return nil, err
	}
	if len(ri) != len(ci) || len(ri) != len(v) {
		return nil, fmt.Errorf("%w: triplet slices of lengths %d, %d, %d", ErrDims, len(ri), len(ci), len(v))
	}
	var set TripletSettings
	if s != nil {
		set = *s
	}
	if set.Duplicates != SumDuplicates && set.Duplicates != ErrorOnDuplicates {
		return nil, fmt.Errorf("%w: unknown duplicate policy %d", ErrInvalid, set.Duplicates)
	}
	for k := range ri {
		if ri[k] < 0 || ri[k] >= rows || ci[k] < 0 || ci[k] >= cols {
			return nil, fmt.Errorf("%w: triplet %d at (%d, %d) outside %d×%d", ErrInvalid, k, ri[k], ci[k], rows, cols)
		}
		if math.IsNaN(v[k]) || math.IsInf(v[k], 0) {
			return nil, fmt.Errorf("%w: triplet %d at (%d, %d) is %v", ErrNaN, k, ri[k], ci[k], v[k])
		}
	}
	nnz := len(ri)
	// Counting sort by column (stable), then sort each column by row: the
	// per-column sort is skipped when a column is already in order, the
	// common case for data read column by column.
	colPtr := make([]int, cols+1)
	for _, j := range ci {
		colPtr[j+1]++
	}
	for j := 0; j < cols; j++ {
		colPtr[j+1] += colPtr[j]
	}
	rowIdx := make([]int, nnz)
	values := make([]float64, nnz)
	next := slices.Clone(colPtr[:cols])
	for k, j := range ci {
		rowIdx[next[j]] = ri[k]
		values[next[j]] = v[k]
		next[j]++
	}
	for j := 0; j < cols; j++ {
		sortColumn(rowIdx[colPtr[j]:colPtr[j+1]], values[colPtr[j]:colPtr[j+1]])
	}
	// Merge duplicates (adjacent now) and drop zeros, compacting in place.
	w := 0
	for j := 0; j < cols; j++ {
		lo, hi := colPtr[j], colPtr[j+1]
		colPtr[j] = w
		for p := lo; p < hi; p++ {
			if w > colPtr[j] && rowIdx[w-1] == rowIdx[p] {
				if set.Duplicates == ErrorOnDuplicates {
					return nil, fmt.Errorf("%w: duplicate entry (%d, %d)", ErrInvalid, rowIdx[p], j)
				}
				values[w-1] += values[p]
				continue
			}
			rowIdx[w] = rowIdx[p]
			values[w] = values[p]
			w++
		}
		if set.DropZeros {
			k := colPtr[j]
			for p := colPtr[j]; p < w; p++ {
				if values[p] != 0 {
					rowIdx[k] = rowIdx[p]
					values[k] = values[p]
					k++
				}
			}
			w = k
		}
	}
	colPtr[cols] = w
	for p := 0; p < w; p++ {
		if math.IsInf(values[p], 0) {
			return nil, fmt.Errorf("%w: summed duplicates overflow", ErrNaN)
		}
	}
	return &CSC{rows: rows, cols: cols, colPtr: colPtr, rowIdx: rowIdx[:w:w], values: values[:w:w]}, nil
}

// sortColumn sorts the pairs (r[k], v[k]) by r, stably (so summed
// duplicates add in input order).
func sortColumn(r []int, v []float64) {
	if slices.IsSorted(r) {
		return
	}
	if len(r) <= 32 {
		for a := 1; a < len(r); a++ {
			ra, va := r[a], v[a]
			b := a
			for b > 0 && r[b-1] > ra {
				r[b], v[b] = r[b-1], v[b-1]
				b--
			}
			r[b], v[b] = ra, va
		}
		return
	}
	sort.Stable(pairs{r, v})
}

type pairs struct {
	r []int
	v []float64
}

func (p pairs) Len() int           { return len(p.r) }
func (p pairs) Less(a, b int) bool { return p.r[a] < p.r[b] }
func (p pairs) Swap(a, b int) {
	p.r[a], p.r[b] = p.r[b], p.r[a]
	p.v[a], p.v[b] = p.v[b], p.v[a]
}

// FromDense converts any mat.Matrix to CSC, keeping its nonzero entries. It
// reads every entry through At, O(rows·cols).
func FromDense(m mat.Matrix) (*CSC, error) {
	if m == nil {
		return nil, fmt.Errorf("%w: nil matrix", ErrInvalid)
	}
	r, c := m.Dims()
	if err := checkDims(r, c); err != nil {
		return nil, err
	}
	colPtr := make([]int, c+1)
	var rowIdx []int
	var values []float64
	for j := 0; j < c; j++ {
		for i := 0; i < r; i++ {
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
	return &CSC{rows: r, cols: c, colPtr: colPtr, rowIdx: rowIdx, values: values}, nil
}

// Dims returns the dimensions of the matrix.
func (a *CSC) Dims() (rows, cols int) { return a.rows, a.cols }

// NNZ returns the number of stored entries (explicit zeros included).
func (a *CSC) NNZ() int { return len(a.rowIdx) }

// At returns entry (i, j), by binary search in column j: O(log nnz(j)). It
// panics with mat.ErrIndexOutOfRange for indices outside the matrix, as
// gonum's matrices do.
func (a *CSC) At(i, j int) float64 {
	if i < 0 || i >= a.rows || j < 0 || j >= a.cols {
		panic(mat.ErrIndexOutOfRange)
	}
	lo, hi := a.colPtr[j], a.colPtr[j+1]
	if p, ok := slices.BinarySearch(a.rowIdx[lo:hi], i); ok {
		return a.values[lo+p]
	}
	return 0
}

// T returns the implicit transpose (a mat.Transpose view, no copy).
func (a *CSC) T() mat.Matrix { return mat.Transpose{Matrix: a} }

// Col returns the row indices and values of column j, without copying. The
// slices are read-only: writing through them breaks the matrix's
// invariants. It returns nil slices when j is out of range.
func (a *CSC) Col(j int) (rows []int, values []float64) {
	if j < 0 || j >= a.cols {
		return nil, nil
	}
	lo, hi := a.colPtr[j], a.colPtr[j+1]
	return a.rowIdx[lo:hi:hi], a.values[lo:hi:hi]
}

// Raw returns the three storage arrays without copying; read-only.
func (a *CSC) Raw() (colPtr, rowIdx []int, values []float64) {
	return a.ptr(), a.rowIdx, a.values
}

// Clone returns a deep copy.
func (a *CSC) Clone() *CSC {
	return &CSC{rows: a.rows, cols: a.cols, colPtr: slices.Clone(a.colPtr), rowIdx: slices.Clone(a.rowIdx), values: slices.Clone(a.values)}
}

func (a *CSC) ptr() []int {
	if a.colPtr == nil { // zero value
		return []int{0}
	}
	return a.colPtr
}

// Transpose returns Aᵀ as a new CSC (equivalently, A in compressed sparse
// row form), in O(nnz + rows + cols).
func (a *CSC) Transpose() *CSC {
	cp := a.ptr()
	t := &CSC{rows: a.cols, cols: a.rows, colPtr: make([]int, a.rows+1), rowIdx: make([]int, len(a.rowIdx)), values: make([]float64, len(a.values))}
	for _, i := range a.rowIdx {
		t.colPtr[i+1]++
	}
	for i := 0; i < a.rows; i++ {
		t.colPtr[i+1] += t.colPtr[i]
	}
	next := slices.Clone(t.colPtr[:a.rows])
	for j := 0; j < a.cols; j++ {
		for p := cp[j]; p < cp[j+1]; p++ {
			i := a.rowIdx[p]
			t.rowIdx[next[i]] = j
			t.values[next[i]] = a.values[p]
			next[i]++
		}
	}
	return t
}

// MulVec sets dst = A x. len(x) must be cols and len(dst) rows; dst must not
// overlap x.
func (a *CSC) MulVec(dst, x []float64) error { return a.MulVecScaled(dst, 1, x, 0) }

// MulVecScaled sets dst = alpha·A x + beta·dst. With beta = 0 the previous
// content of dst is ignored (NaN in dst does not propagate). dst must not
// overlap x.
func (a *CSC) MulVecScaled(dst []float64, alpha float64, x []float64, beta float64) error {
	if len(x) != a.cols || len(dst) != a.rows {
		return fmt.Errorf("%w: A is %d×%d, len(x) = %d, len(dst) = %d", ErrDims, a.rows, a.cols, len(x), len(dst))
	}
	scaleDst(dst, beta)
	cp := a.ptr()
	for j := 0; j < a.cols; j++ {
		xj := alpha * x[j]
		if xj == 0 {
			continue
		}
		lo, hi := cp[j], cp[j+1]
		ri := a.rowIdx[lo:hi]
		vs := a.values[lo:hi]
		for p, i := range ri {
			dst[i] += vs[p] * xj
		}
	}
	return nil
}

// MulTransVec sets dst = Aᵀ x. len(x) must be rows and len(dst) cols; dst
// must not overlap x.
func (a *CSC) MulTransVec(dst, x []float64) error { return a.MulTransVecScaled(dst, 1, x, 0) }

// MulTransVecScaled sets dst = alpha·Aᵀ x + beta·dst (beta = 0 ignores dst's
// content). dst must not overlap x.
func (a *CSC) MulTransVecScaled(dst []float64, alpha float64, x []float64, beta float64) error {
	if len(x) != a.rows || len(dst) != a.cols {
		return fmt.Errorf("%w: A is %d×%d, len(x) = %d, len(dst) = %d", ErrDims, a.rows, a.cols, len(x), len(dst))
	}
	cp := a.ptr()
	for j := 0; j < a.cols; j++ {
		lo, hi := cp[j], cp[j+1]
		ri := a.rowIdx[lo:hi]
		vs := a.values[lo:hi]
		var s float64
		for p, i := range ri {
			s += vs[p] * x[i]
		}
		if beta == 0 {
			dst[j] = alpha * s
		} else {
			dst[j] = alpha*s + beta*dst[j]
		}
	}
	return nil
}

func scaleDst(dst []float64, beta float64) {
	switch beta {
	case 0:
		clear(dst)
	case 1:
	default:
		for i := range dst {
			dst[i] *= beta
		}
	}
}

// ScaleRows sets A = diag(d) A in place; len(d) must be rows and every d[i]
// finite.
func (a *CSC) ScaleRows(d []float64) error {
	if len(d) != a.rows {
		return fmt.Errorf("%w: len(d) = %d, want rows = %d", ErrDims, len(d), a.rows)
	}
	if err := checkFinite(d); err != nil {
		return err
	}
	for p, i := range a.rowIdx {
		a.values[p] *= d[i]
	}
	return nil
}

// ScaleCols sets A = A diag(d) in place; len(d) must be cols and every d[j]
// finite.
func (a *CSC) ScaleCols(d []float64) error {
	if len(d) != a.cols {
		return fmt.Errorf("%w: len(d) = %d, want cols = %d", ErrDims, len(d), a.cols)
	}
	if err := checkFinite(d); err != nil {
		return err
	}
	cp := a.ptr()
	for j := 0; j < a.cols; j++ {
		for p := cp[j]; p < cp[j+1]; p++ {
			a.values[p] *= d[j]
		}
	}
	return nil
}

// ColNormsInf sets dst[j] = maxᵢ |A_ij| (0 for an empty column); len(dst)
// must be cols.
func (a *CSC) ColNormsInf(dst []float64) error {
	if len(dst) != a.cols {
		return fmt.Errorf("%w: len(dst) = %d, want cols = %d", ErrDims, len(dst), a.cols)
	}
	cp := a.ptr()
	for j := 0; j < a.cols; j++ {
		var m float64
		for p := cp[j]; p < cp[j+1]; p++ {
			m = math.Max(m, math.Abs(a.values[p]))
		}
		dst[j] = m
	}
	return nil
}

// RowNormsInf sets dst[i] = maxⱼ |A_ij| (0 for an empty row); len(dst) must
// be rows.
func (a *CSC) RowNormsInf(dst []float64) error {
	if len(dst) != a.rows {
		return fmt.Errorf("%w: len(dst) = %d, want rows = %d", ErrDims, len(dst), a.rows)
	}
	clear(dst)
	for p, i := range a.rowIdx {
		dst[i] = math.Max(dst[i], math.Abs(a.values[p]))
	}
	return nil
}

// Dense returns A as a new mat.Dense. A matrix with a zero dimension has no
// mat.Dense form; Dense returns nil then.
func (a *CSC) Dense() *mat.Dense {
	if a.rows == 0 || a.cols == 0 {
		return nil
	}
	d := mat.NewDense(a.rows, a.cols, nil)
	cp := a.ptr()
	for j := 0; j < a.cols; j++ {
		for p := cp[j]; p < cp[j+1]; p++ {
			d.Set(a.rowIdx[p], j, a.values[p])
		}
	}
	return d
}

func checkFinite(d []float64) error {
	for i, v := range d {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("%w: d[%d] = %v", ErrNaN, i, v)
		}
	}
	return nil
}
