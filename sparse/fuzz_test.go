package sparse

import (
	"encoding/binary"
	"math"
	"testing"
)

// decodeInts turns fuzz bytes into small ints (some negative or too large).
func decodeInts(b []byte, limit int) []int {
	m := max(limit+2, 2)
	out := make([]int, len(b))
	for k, c := range b {
		out[k] = int(int8(c)) % m
	}
	return out
}

func decodeFloats(b []byte) []float64 {
	out := make([]float64, len(b)/8)
	for k := range out {
		out[k] = math.Float64frombits(binary.LittleEndian.Uint64(b[8*k:]))
	}
	return out
}

// FuzzNewCSC: arbitrary raw arrays give an error or a matrix whose products
// and transpose work; never a panic.
func FuzzNewCSC(f *testing.F) {
	f.Add(2, 2, []byte{0, 1, 3}, []byte{1, 0, 1}, make([]byte, 24))
	f.Add(0, 0, []byte{0}, []byte{}, []byte{})
	f.Add(3, 1, []byte{0, 2}, []byte{2, 1}, make([]byte, 16))
	f.Fuzz(func(t *testing.T, rows, cols int, cp, ri, vb []byte) {
		rows, cols = rows%50, cols%50
		a, err := NewCSC(rows, cols, decodeInts(cp, 60), decodeInts(ri, rows), decodeFloats(vb))
		if err != nil {
			return
		}
		exercise(t, a)
	})
}

// FuzzFromTriplets: arbitrary triplets give an error or a valid matrix.
func FuzzFromTriplets(f *testing.F) {
	f.Add(3, 3, []byte{0, 1, 2, 0}, []byte{0, 1, 2, 0}, make([]byte, 32), false, false)
	f.Add(1, 4, []byte{0}, []byte{3}, make([]byte, 8), true, true)
	f.Fuzz(func(t *testing.T, rows, cols int, ri, ci, vb []byte, dropZeros, errDup bool) {
		rows, cols = rows%50, cols%50
		s := &TripletSettings{DropZeros: dropZeros}
		if errDup {
			s.Duplicates = ErrorOnDuplicates
		}
		v := decodeFloats(vb)
		r, c := decodeInts(ri, rows), decodeInts(ci, cols)
		n := min(len(r), len(c), len(v))
		a, err := FromTriplets(rows, cols, r[:n], c[:n], v[:n], s)
		if err == nil {
			cp, rix, vals := a.Raw()
			if _, err := NewCSC(rows, cols, cp, rix, vals); err != nil {
				t.Fatalf("FromTriplets built an invalid matrix: %v", err)
			}
			exercise(t, a)
		}
		if rows == cols {
			if q, err := SymFromTriplets(rows, r[:n], c[:n], v[:n], s); err == nil {
				x := make([]float64, rows)
				if err := q.MulVec(x, make([]float64, rows)); err != nil {
					t.Fatal(err)
				}
				_ = q.Full()
			}
		}
	})
}

func exercise(t *testing.T, a *CSC) {
	rows, cols := a.Dims()
	x := make([]float64, cols)
	y := make([]float64, rows)
	for j := range x {
		x[j] = 1
	}
	if err := a.MulVec(y, x); err != nil {
		t.Fatal(err)
	}
	if err := a.MulTransVec(x, y); err != nil {
		t.Fatal(err)
	}
	tr := a.Transpose()
	if tr.NNZ() != a.NNZ() {
		t.Fatalf("transpose has %d entries, want %d", tr.NNZ(), a.NNZ())
	}
	_ = a.Dense()
}
