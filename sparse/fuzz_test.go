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

// FuzzAMD: any pattern gives a permutation, with or without the dense-row
// rule and aggressive absorption.
func FuzzAMD(f *testing.F) {
	f.Add(5, []byte{0, 1, 1, 2, 3, 4, 0, 4}, byte(0))
	f.Add(1, []byte{}, byte(1))
	f.Add(30, []byte{0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6}, byte(2))
	f.Fuzz(func(t *testing.T, n int, pairs []byte, mode byte) {
		n = (n%64 + 64) % 64
		var ri, ci []int
		for k := 0; k+1 < len(pairs) && n > 0; k += 2 {
			ri, ci = append(ri, int(pairs[k])%n), append(ci, int(pairs[k+1])%n)
		}
		s, err := SymFromTriplets(n, ri, ci, make([]float64, len(ri)), nil)
		if err != nil {
			t.Fatal(err)
		}
		o := &OrderSettings{NoAggressive: mode&1 != 0}
		if mode&2 != 0 {
			o.Dense = 0.5 // many rows count as dense
		}
		perm, inv, err := AMD(s, o)
		if err != nil {
			t.Fatal(err)
		}
		if len(perm) != n || len(inv) != n {
			t.Fatalf("lengths %d, %d for n = %d", len(perm), len(inv), n)
		}
		for k, i := range perm {
			if i < 0 || i >= n || inv[i] != k {
				t.Fatalf("not a permutation: %v", perm)
			}
		}
	})
}

// FuzzLDL: arbitrary symmetric matrices and signs give an error or a
// finite solve; never a panic. Refactor with the same pattern must work too.
// Both numeric kernels (up-looking and supernodal) are tried.
func FuzzLDL(f *testing.F) {
	f.Add(3, []byte{0, 0, 1, 1, 2, 2, 0, 2}, make([]byte, 32), []byte{1, 1, 255})
	f.Add(0, []byte{}, []byte{}, []byte{})
	f.Add(2, []byte{0, 1}, make([]byte, 8), []byte{1, 1})
	f.Fuzz(func(t *testing.T, n int, pairs, vb, sb []byte) {
		n = (n%40 + 40) % 40
		vals := decodeFloats(vb)
		var ri, ci []int
		var v []float64
		for k := 0; k+1 < len(pairs) && n > 0 && k/2 < len(vals); k += 2 {
			ri, ci, v = append(ri, int(pairs[k])%n), append(ci, int(pairs[k+1])%n), append(v, vals[k/2])
		}
		k, err := SymFromTriplets(n, ri, ci, v, nil)
		if err != nil {
			return // NaN or Inf values
		}
		signs := make([]int8, len(sb))
		for i, c := range sb {
			signs[i] = int8(c)
		}
		// both numeric kernels
		defer func(old int) { ldlKernel = old }(ldlKernel)
		for _, kern := range []int{kernelUpLooking, kernelSupernodal} {
			ldlKernel = kern
			l, err := NewLDL(k, signs, &LDLSettings{Workers: int(n % 3)})
			if err != nil {
				if l == nil {
					return
				}
				if err := l.Solve(make([]float64, n), make([]float64, n)); err == nil {
					t.Fatal("Solve after a failed factorization")
				}
				continue
			}
			b := make([]float64, n)
			for i := range b {
				b[i] = 1
			}
			x := make([]float64, n)
			if err := l.Solve(x, b); err != nil {
				continue // may overflow
			}
			for _, xi := range x {
				if math.IsNaN(xi) || math.IsInf(xi, 0) {
					t.Fatalf("Solve returned %v without an error", x)
				}
			}
			if err := l.Refactor(k); err != nil {
				t.Fatal(err)
			}
			// A clone refactored on the same values solves to the same bits.
			c := l.Clone()
			if err := c.Refactor(k); err != nil {
				t.Fatal(err)
			}
			y := make([]float64, n)
			if err := c.Solve(y, b); err != nil {
				t.Fatalf("the clone's Solve: %v", err)
			}
			for i := range x {
				if math.Float64bits(x[i]) != math.Float64bits(y[i]) {
					t.Fatalf("clone solve %v, original %v", y, x)
				}
			}
		}
	})
}
