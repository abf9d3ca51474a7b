package cone

import (
	"context"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/optlayers/optlayers/sparse"
)

// kktTestProblem is a random problem with every symmetric block kind
// (Zero, orthant, second-order, PSD), a quadratic objective if quad, and
// a sparse A whose density is dens.
func kktTestProblem(t *testing.T, rng *rand.Rand, quad bool, dens float64) *Problem {
	t.Helper()
	cones := []Cone{Zero{3}, Nonnegative{6}, SecondOrder{5}, SecondOrder{3}, PSD{3}, PSD{4}}
	k, err := NewProduct(cones...)
	require.NoError(t, err)
	n, m := 14, k.Dim()
	var ri, ci []int
	var v []float64
	for i := range m {
		any := false
		for j := range n {
			if rng.Float64() < dens || (!any && j == n-1) {
				ri, ci, v = append(ri, i), append(ci, j), append(v, rng.NormFloat64())
				any = true
			}
		}
	}
	a, err := sparse.FromTriplets(m, n, ri, ci, v, nil)
	require.NoError(t, err)
	pb := &Problem{P: randVec(rng, n, 1), A: a, B: randVec(rng, m, 1), K: k}
	if quad {
		var qr, qc []int
		var qv []float64
		for j := range n {
			qr, qc, qv = append(qr, j), append(qc, j), append(qv, 1+rng.Float64())
			if j > 0 {
				qr, qc, qv = append(qr, j-1), append(qc, j), append(qv, 0.3*rng.NormFloat64())
			}
		}
		pb.Q, err = sparse.SymFromTriplets(n, qr, qc, qv, nil)
		require.NoError(t, err)
	}
	return pb
}

// setRandomScaling gives both systems the NT scalings of random interior
// (s, z) pairs, scaled by 10^U(−sp, sp) per block.
func setRandomScaling(t *testing.T, rng *rand.Rand, blocks []block, sp float64, ks ...*kktSystem) {
	t.Helper()
	for i, bk := range blocks {
		d := bk.hi - bk.lo
		if bk.kind == bkZero {
			continue
		}
		s, z := interiorPoint(rng, bk.c), interiorPoint(rng, bk.c)
		f := math.Pow(10, sp*(2*rng.Float64()-1))
		for j := range s {
			s[j] *= f
			z[j] /= f
		}
		switch bk.kind {
		case bkNonneg:
			w := make([]float64, d)
			for j := range w {
				w[j] = math.Sqrt(z[j] / s[j])
			}
			for _, k := range ks {
				k.setDiagW(bk, w)
			}
		case bkSOC:
			sc, err := bk.c.Scaling(s, z)
			require.NoError(t, err)
			wm, wi := make([]float64, d*d), make([]float64, d*d)
			socW(wm, wi, sc.(*socScaling))
			for _, k := range ks {
				k.setSOCW(i, bk, sc.(*socScaling), wm)
			}
		case bkPSD:
			sc, err := bk.c.Scaling(s, z)
			require.NoError(t, err)
			for _, k := range ks {
				k.setPSDW(i, bk, sc.(*psdScaling))
			}
		}
	}
}

func kktSolveBoth(t *testing.T, rng *rand.Rand, n, m int, a, b *kktSystem) (xa, ua, xb, ub []float64) {
	t.Helper()
	rx, ru := randVec(rng, n, 1), randVec(rng, m, 1)
	xa, ua, xb, ub = make([]float64, n), make([]float64, m), make([]float64, n), make([]float64, m)
	require.NoError(t, a.solve(xa, ua, rx, ru))
	require.NoError(t, b.solve(xb, ub, rx, ru))
	return
}

func relDiffKKT(a, b []float64) float64 {
	num, den := 0.0, 0.0
	for i := range a {
		num = math.Max(num, math.Abs(a[i]-b[i]))
		den = math.Max(den, math.Abs(b[i]))
	}
	return num / math.Max(den, 1e-300)
}

// TestDenseKKTMatchesSparse: the dense normal-equations path and the
// sparse LDLᵀ of the scaled KKT matrix solve the same system — with the
// identity scaling, with random NT scalings spread over 10^±3 per block,
// and after the dense path hands its scaling over to the sparse one
// (toSparse, the fallback on a failed dense factorization).
func TestDenseKKTMatchesSparse(t *testing.T) {
	rng := rand.New(rand.NewPCG(41, 42))
	for trial := range 6 {
		pb := kktTestProblem(t, rng, trial%2 == 1, 0.3)
		blocks, err := validateProblem(pb)
		require.NoError(t, err)
		eq := equilibrate(pb, blocks)
		n, m := pb.Dims()
		dk, err := newKKT(eq, blocks, 1, kktForceDense)
		require.NoError(t, err)
		require.NotNil(t, dk.dn)
		sk, err := newKKT(eq, blocks, 1, kktForceSparse)
		require.NoError(t, err)
		require.Nil(t, sk.dn)
		require.NoError(t, dk.factor())
		require.NoError(t, sk.factor())
		xa, ua, xb, ub := kktSolveBoth(t, rng, n, m, dk, sk)
		assert.Less(t, relDiffKKT(xa, xb), 1e-9, "trial %d identity x", trial)
		assert.Less(t, relDiffKKT(ua, ub), 1e-9, "trial %d identity u", trial)
		for rep := range 3 {
			setRandomScaling(t, rng, blocks, float64(rep), dk, sk)
			require.NoError(t, dk.factor())
			require.NoError(t, sk.factor())
			require.NotNil(t, dk.dn)
			xa, ua, xb, ub := kktSolveBoth(t, rng, n, m, dk, sk)
			assert.Less(t, relDiffKKT(xa, xb), 1e-8, "trial %d rep %d x", trial, rep)
			assert.Less(t, relDiffKKT(ua, ub), 1e-8, "trial %d rep %d u", trial, rep)
		}
		// Hand over and compare again with the same scaling.
		require.NoError(t, dk.toSparse())
		require.Nil(t, dk.dn)
		xa, ua, xb, ub = kktSolveBoth(t, rng, n, m, dk, sk)
		assert.Less(t, relDiffKKT(xa, xb), 1e-9, "trial %d after toSparse x", trial)
		assert.Less(t, relDiffKKT(ua, ub), 1e-9, "trial %d after toSparse u", trial)
	}
}

// TestDenseKKTNormalEquations: the assembled H equals Q̃ + Ā_cᵀĀ_c formed
// column by column from the operator (applyAbar on unit vectors), for
// random scalings — the low-rank form of the second-order blocks and the
// PSD products checked against W applied directly.
func TestDenseKKTNormalEquations(t *testing.T) {
	rng := rand.New(rand.NewPCG(43, 44))
	for trial := range 4 {
		pb := kktTestProblem(t, rng, trial%2 == 0, 0.4)
		blocks, err := validateProblem(pb)
		require.NoError(t, err)
		eq := equilibrate(pb, blocks)
		n, m := pb.Dims()
		k, err := newKKT(eq, blocks, 1, kktForceDense)
		require.NoError(t, err)
		setRandomScaling(t, rng, blocks, 2, k)
		dn := k.dn
		dn.assemble()
		// Ā e_j through the blocks' scalings applied by the cones'
		// own operators (socScaling.Apply, psdScaling.Apply).
		cols := make([][]float64, n)
		for j := range n {
			e := make([]float64, n)
			e[j] = 1
			t0 := make([]float64, m)
			_ = eq.a.MulVec(t0, e)
			col := make([]float64, m)
			for b, bk := range blocks {
				db := &dn.blocks[b]
				switch bk.kind {
				case bkNonneg:
					for i := bk.lo; i < bk.hi; i++ {
						col[i] = db.w[i-bk.lo] * t0[i]
					}
				case bkSOC, bkPSD:
					db.sc.Apply(col[bk.lo:bk.hi], t0[bk.lo:bk.hi])
				}
			}
			cols[j] = col
		}
		for i := range n {
			for j := i; j < n; j++ {
				want := dot(cols[i], cols[j])
				if eq.q != nil {
					want += eq.q.At(i, j)
				}
				got := dn.h[i*dn.ld+j]
				require.InDelta(t, want, got, 1e-10*math.Max(1, math.Abs(want)), "trial %d H[%d,%d]", trial, i, j)
			}
		}
	}
}

// TestKKTPathChoice: the rule of the dense path takes the cvxopt
// side-by-side instances (dense Schur complements) and leaves a large
// sparse LP, and problems with exponential cones, to the sparse path.
func TestKKTPathChoice(t *testing.T) {
	for _, in := range cvxoptInstances(t, "") {
		if !strings.HasSuffix(in.Name, "large") {
			continue
		}
		pb := in.problem(t)
		blocks, err := validateProblem(pb)
		require.NoError(t, err)
		assert.True(t, useDenseKKT(equilibrate(pb, blocks), blocks), in.Name)
	}
	// A banded LP: each row couples three neighbouring variables.
	n := 3000
	var ri, ci []int
	var v []float64
	for i := range n {
		for j := max(0, i-1); j <= min(n-1, i+1); j++ {
			ri, ci, v = append(ri, i), append(ci, j), append(v, 1)
		}
	}
	a, err := sparse.FromTriplets(n, n, ri, ci, v, nil)
	require.NoError(t, err)
	k, err := NewProduct(Nonnegative{n})
	require.NoError(t, err)
	lp := &Problem{P: make([]float64, n), A: a, B: make([]float64, n), K: k}
	blocks, err := validateProblem(lp)
	require.NoError(t, err)
	assert.False(t, useDenseKKT(equilibrate(lp, blocks), blocks), "banded LP")
	small := &Problem{P: make([]float64, 200), A: a, B: make([]float64, n), K: k}
	_ = small
	ke, err := NewProduct(Nonnegative{2}, Exp{})
	require.NoError(t, err)
	ae, err := sparse.FromTriplets(5, 2, []int{0, 1, 2, 3, 4}, []int{0, 1, 0, 1, 0}, []float64{1, 1, 1, 1, 1}, nil)
	require.NoError(t, err)
	ep := &Problem{P: []float64{1, 1}, A: ae, B: make([]float64, 5), K: ke}
	blocks, err = validateProblem(ep)
	require.NoError(t, err)
	assert.False(t, useDenseKKT(equilibrate(ep, blocks), blocks), "exponential cone")
}

// TestDenseKKTSolveAgrees: Solve on the dense and the sparse path gives
// the same solutions on the cvxopt instances and random problems with
// every symmetric block kind, equality rows and quadratic objectives.
func TestDenseKKTSolveAgrees(t *testing.T) {
	var pbs []*Problem
	var names []string
	for _, in := range cvxoptInstances(t, "") {
		if strings.HasSuffix(in.Name, "small") || strings.HasSuffix(in.Name, "medium") {
			pbs, names = append(pbs, in.problem(t)), append(names, in.Name)
		}
	}
	rng := rand.New(rand.NewPCG(45, 46))
	for trial := range 4 {
		pb := kktTestProblem(t, rng, trial%2 == 1, 0.5)
		// A feasible b: A x₀ + s₀ with s₀ interior (0 on the Zero rows).
		x0 := randVec(rng, len(pb.P), 1)
		_ = pb.A.MulVec(pb.B, x0)
		s0 := interiorPoint(rng, pb.K)
		for i := 3; i < len(pb.B); i++ {
			pb.B[i] += s0[i]
		}
		pbs, names = append(pbs, pb), append(names, "random")
	}
	for i, pb := range pbs {
		ss, err := Solve(context.Background(), pb, &Settings{Tol: 1e-9, kkt: kktForceSparse})
		require.NoError(t, err, names[i])
		sd, err := Solve(context.Background(), pb, &Settings{Tol: 1e-9, kkt: kktForceDense})
		require.NoError(t, err, names[i])
		require.Equal(t, ss.Status, sd.Status, names[i])
		if ss.Status != Optimal {
			continue
		}
		assert.InDelta(t, ss.Objective, sd.Objective, 1e-7*math.Max(1, math.Abs(ss.Objective)), names[i])
		assert.Less(t, relDiffKKT(sd.X, ss.X), 1e-5, names[i])
	}
}

// TestParallelChunks: every index of [0, n) is visited exactly once, each
// goroutine index is below nw, for serial and parallel cases.
func TestParallelChunks(t *testing.T) {
	for _, c := range [][3]int{{1, 10, 3}, {2, 0, 1}, {2, 1, 1}, {2, 10, 3}, {2, 120, 7}, {3, 100, 1}, {4, 5, 10}, {2, 9, 0}} {
		nw, n, chunk := c[0], c[1], c[2]
		var mu sync.Mutex
		seen := make([]int, n)
		parallelChunks(nw, n, chunk, func(w, lo, hi int) {
			require.True(t, w >= 0 && w < max(nw, 1))
			mu.Lock()
			defer mu.Unlock()
			for i := lo; i < hi; i++ {
				seen[i]++
			}
		})
		for i, s := range seen {
			require.Equal(t, 1, s, "nw=%d n=%d chunk=%d index %d", nw, n, chunk, i)
		}
	}
}
