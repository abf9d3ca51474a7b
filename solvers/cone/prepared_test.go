package cone

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/optlayers/optlayers/sparse"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// revaluedProblem returns a problem with pb's structure (K, dimensions,
// patterns of Q and A) and new values: A's entries and P, B scaled by
// random factors in [0.7, 1.3], Q's diagonal raised by up to 0.5 (it stays
// positive semidefinite).
func revaluedProblem(rng *rand.Rand, pb *Problem) *Problem {
	f := func() float64 { return 0.7 + 0.6*rng.Float64() }
	out := &Problem{K: pb.K, A: pb.A.Clone(), P: make([]float64, len(pb.P)), B: make([]float64, len(pb.B))}
	for i, v := range pb.P {
		out.P[i] = v * f()
	}
	for i, v := range pb.B {
		out.B[i] = v * f()
	}
	_, _, av := out.A.Raw()
	for p := range av {
		av[p] *= f()
	}
	if pb.Q != nil {
		out.Q = pb.Q.Clone()
		cp, ri, qv := out.Q.Upper().Raw()
		for j := 0; j+1 < len(cp); j++ {
			for p := cp[j]; p < cp[j+1]; p++ {
				if ri[p] == j {
					qv[p] += 0.5 * rng.Float64()
				}
			}
		}
	}
	return out
}

// feasible sets pb's B and P from an interior primal and dual pair of the
// symmetric (self-dual) cones of K: the program then has an optimum.
func feasible(rng *rand.Rand, pb *Problem) *Problem {
	n, m := pb.Dims()
	x0 := randVec(rng, n, 1)
	s0 := interiorPoint(rng, pb.K)
	y0 := interiorPoint(rng, pb.K)
	pb.B = make([]float64, m)
	_ = pb.A.MulVec(pb.B, x0)
	for i := range pb.B {
		pb.B[i] += s0[i]
	}
	aty := make([]float64, n)
	_ = pb.A.MulTransVec(aty, y0)
	pb.P = make([]float64, n)
	for j := range aty {
		pb.P[j] = -aty[j]
	}
	if pb.Q != nil {
		qx := make([]float64, n)
		_ = pb.Q.MulVec(qx, x0)
		for j := range qx {
			pb.P[j] -= qx[j]
		}
	}
	return pb
}

// sameSolution requires bit-identical results of two solves.
func sameSolution(t *testing.T, want, got *Solution, wantErr, gotErr error, name string) {
	t.Helper()
	require.Equal(t, fmt.Sprint(wantErr), fmt.Sprint(gotErr), name)
	if want == nil || got == nil {
		require.Equal(t, want == nil, got == nil, name)
		return
	}
	assert.Equal(t, want.Status, got.Status, name)
	assert.Equal(t, want.Iterations, got.Iterations, name)
	assert.Equal(t, want.X, got.X, name)
	assert.Equal(t, want.S, got.S, name)
	assert.Equal(t, want.Y, got.Y, name)
	assert.Equal(t, want.Residuals, got.Residuals, name)
	assert.Equal(t, want.Certificate, got.Certificate, name)
}

// preparedCases are problems of every cone type on both KKT paths.
func preparedCases(t *testing.T) []struct {
	name string
	pb   *Problem
	s    Settings
} {
	rng := rand.New(rand.NewPCG(16, 3))
	type c = struct {
		name string
		pb   *Problem
		s    Settings
	}
	var out []c
	for _, quad := range []bool{false, true} {
		pb := feasible(rng, kktTestProblem(t, rng, quad, 0.3))
		out = append(out,
			c{fmt.Sprintf("symmetric/quad=%v/sparse", quad), pb, Settings{kkt: kktForceSparse}},
			c{fmt.Sprintf("symmetric/quad=%v/auto", quad), pb, Settings{}},
			c{fmt.Sprintf("symmetric/quad=%v/workers=2", quad), pb, Settings{kkt: kktForceSparse, Workers: 2}})
	}
	for _, d := range nonsymInstances(16, 6) {
		out = append(out, c{"nonsym/" + d.name, d.pb, Settings{}})
	}
	return out
}

// Prepared.Solve gives Solve's result bit for bit on problems with the
// prepared structure and new values, from concurrent goroutines (run with
// -race), on every cone type and both KKT paths.
func TestPreparedMatchesSolve(t *testing.T) {
	rng := rand.New(rand.NewPCG(16, 4))
	sparseSeen := false
	for _, c := range preparedCases(t) {
		pr, err := Prepare(c.pb, &c.s)
		require.NoError(t, err, c.name)
		if c.s.kkt == kktForceSparse || c.name[:6] == "nonsym" {
			require.NotNil(t, pr.pat, "%s: the sparse path keeps its analysis", c.name)
			sparseSeen = true
		}
		const nv = 3
		pbs := make([]*Problem, nv)
		for i := range pbs {
			pbs[i] = revaluedProblem(rng, c.pb)
		}
		pbs[0] = c.pb
		want := make([]*Solution, nv)
		wantErr := make([]error, nv)
		for i, pb := range pbs {
			want[i], wantErr[i] = Solve(context.Background(), pb, &c.s)
		}
		got := make([]*Solution, nv)
		gotErr := make([]error, nv)
		var wg sync.WaitGroup
		for i, pb := range pbs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				got[i], gotErr[i] = pr.Solve(context.Background(), pb, &c.s)
			}()
		}
		wg.Wait()
		for i := range pbs {
			sameSolution(t, want[i], got[i], wantErr[i], gotErr[i], fmt.Sprintf("%s/%d", c.name, i))
		}
		// The first problem's solution is Optimal (a test that compares
		// failures only would not show much).
		require.NoError(t, wantErr[0], c.name)
	}
	require.True(t, sparseSeen)
}

// A Prepared refuses a problem of another structure with ErrInvalid or
// ErrDims, never a wrong answer.
func TestPreparedMismatch(t *testing.T) {
	rng := rand.New(rand.NewPCG(16, 5))
	base := kktTestProblem(t, rng, true, 0.3)
	for _, kkt := range []int{kktForceSparse, kktAuto} {
		s := &Settings{kkt: kkt}
		pr, err := Prepare(base, s)
		require.NoError(t, err)
		solve := func(pb *Problem, s *Settings) error {
			_, err := pr.Solve(context.Background(), pb, s)
			return err
		}
		require.NoError(t, solve(revaluedProblem(rng, base), s))
		// one more entry in A
		pb := revaluedProblem(rng, base)
		ad := pb.A.Dense()
		for i := range ad.RawMatrix().Rows {
			if ad.At(i, 0) == 0 {
				ad.Set(i, 0, 1)
				break
			}
		}
		pb.A, err = sparse.FromDense(ad)
		require.NoError(t, err)
		assert.ErrorIs(t, solve(pb, s), ErrInvalid, "A pattern")
		// Q removed
		pb = revaluedProblem(rng, base)
		pb.Q = nil
		assert.ErrorIs(t, solve(pb, s), ErrInvalid, "no Q")
		// another Q pattern
		pb = revaluedProblem(rng, base)
		n := len(pb.P)
		pb.Q, err = sparse.SymFromTriplets(n, []int{0, 0}, []int{0, n - 1}, []float64{1, 0.1}, nil)
		require.NoError(t, err)
		assert.ErrorIs(t, solve(pb, s), ErrInvalid, "Q pattern")
		// another cone, same dimension
		pb = revaluedProblem(rng, base)
		pb.K, err = NewProduct(Zero{3}, Nonnegative{6}, SecondOrder{4}, SecondOrder{4}, PSD{3}, PSD{4})
		require.NoError(t, err)
		assert.ErrorIs(t, solve(pb, s), ErrInvalid, "cone")
		// other dimensions
		pb = kktTestProblem(t, rng, true, 0.3)
		pb.P = append(pb.P, 1)
		pb.A, err = sparse.FromTriplets(len(pb.B), len(pb.P), []int{0}, []int{0}, []float64{1}, nil)
		require.NoError(t, err)
		pb.Q = nil
		assert.ErrorIs(t, solve(pb, s), ErrDims, "dims")
		// other workers
		assert.ErrorIs(t, solve(revaluedProblem(rng, base), &Settings{kkt: kkt, Workers: resolveWorkers(0) + 1}), ErrInvalid, "workers")
		// other path
		assert.ErrorIs(t, solve(revaluedProblem(rng, base), &Settings{kkt: kktForceDense}), ErrInvalid, "path")
	}
	var nilPr *Prepared
	_, err := nilPr.Solve(context.Background(), base, nil)
	assert.ErrorIs(t, err, ErrInvalid)
}

// FuzzPreparedSolve: on a problem with arbitrary values, Prepared.Solve
// returns Solve's result bit for bit (or its error) when the structure is
// the prepared one, and an error when an entry of A is dropped; never a
// panic.
func FuzzPreparedSolve(f *testing.F) {
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}, uint8(0), uint8(0))
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0xf0, 0x3f, 0, 0, 0, 0, 0, 0, 0xf0, 0xbf}, uint8(1), uint8(0))
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0xf8, 0x7f}, uint8(1), uint8(3))
	f.Add([]byte{}, uint8(2), uint8(2))
	f.Fuzz(func(t *testing.T, raw []byte, which, drop uint8) {
		cones := [][]Cone{{Nonnegative{3}}, {Exp{}}, {Zero{1}, Power{0.3}}}
		ks := cones[int(which)%len(cones)]
		var m int
		for _, c := range ks {
			m += c.Dim()
		}
		m += 1 // an orthant row
		k, err := NewProduct(append(append([]Cone(nil), ks...), Nonnegative{1})...)
		if err != nil {
			t.Fatal(err)
		}
		vals := fuzzFloats(raw, 2*m+2+m)
		if !finite(vals) {
			return // non-finite data is refused by the matrix constructors
		}
		// A is dense m×2 (explicit zeros kept) but for a dropped entry.
		pattern := func(skip int) *sparse.CSC {
			var ri, ci []int
			var v []float64
			for i := range m {
				for j := range 2 {
					if i*2+j == skip {
						continue
					}
					x := 1.0 + float64(i+j)
					if vals[i*2+j] != 0 {
						x = vals[i*2+j]
					}
					ri, ci, v = append(ri, i), append(ci, j), append(v, x)
				}
			}
			a, err := sparse.FromTriplets(m, 2, ri, ci, v, nil)
			if err != nil {
				t.Fatal(err)
			}
			return a
		}
		pb := &Problem{A: pattern(-1), P: vals[2*m : 2*m+2], B: vals[2*m+2:], K: k}
		s := &Settings{MaxIter: 30}
		ref := &Problem{A: pattern(-1), P: []float64{1, 1}, B: fill(m, 1), K: k}
		pr, err := Prepare(ref, s)
		if err != nil {
			t.Fatalf("Prepare: %v", err)
		}
		want, werr := Solve(context.Background(), pb, s)
		got, gerr := pr.Solve(context.Background(), pb, s)
		if fmt.Sprint(werr) != fmt.Sprint(gerr) {
			t.Fatalf("errors differ: %v, %v", werr, gerr)
		}
		if (want == nil) != (got == nil) || want != nil && (fmt.Sprint(want.X, want.Y, want.S, want.Iterations) != fmt.Sprint(got.X, got.Y, got.S, got.Iterations)) {
			t.Fatalf("solutions differ")
		}
		pb.A = pattern(int(drop) % (2 * m))
		if _, err := pr.Solve(context.Background(), pb, s); err == nil {
			t.Fatalf("a dropped entry of A was accepted")
		}
	})
}
