package cone

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/solvers/qp"
	"github.com/optlayers/optlayers/sparse"
)

// A QP of package qp (L ≤ Ax ≤ U, LB ≤ x ≤ UB) written as a cone program:
// the equality rows as a Zero block, then every finite upper bound as
// aᵢx + s = Uᵢ and every finite lower bound as −aᵢx + s = −Lᵢ in a
// Nonnegative block (the variable bounds likewise with unit rows).
type qpAsCone struct {
	pb   *Problem
	src  []int     // per cone row: the qp row i (< m) or m + j for a bound on x_j
	sign []float64 // +1 (equality, upper) or −1 (lower)
	// position in qp's θ of the bound a cone row's b is (±) that bound
	bpos []int
}

func newQPAsCone(t *testing.T, pb *qp.SparseProblem, l *qp.SparseLayout) *qpAsCone {
	n, m := pb.Dims()
	nq := 0
	if l.QPattern[0] != nil {
		nq = len(l.QPattern[1])
	}
	lo := nq + n + len(l.APattern[1])
	up := lo + len(l.LIndex)
	lb := up + len(l.UIndex)
	ub := lb + len(l.LBIndex)
	posL, posU, posLB, posUB := map[int]int{}, map[int]int{}, map[int]int{}, map[int]int{}
	for k, i := range l.LIndex {
		posL[i] = lo + k
	}
	for k, i := range l.UIndex {
		posU[i] = up + k
	}
	for k, j := range l.LBIndex {
		posLB[j] = lb + k
	}
	for k, j := range l.UBIndex {
		posUB[j] = ub + k
	}
	c := &qpAsCone{}
	var bs []float64
	add := func(src int, sg float64, bound float64, pos int) {
		c.src, c.sign, c.bpos = append(c.src, src), append(c.sign, sg), append(c.bpos, pos)
		bs = append(bs, sg*bound)
	}
	neq := 0
	for i := range m {
		if pb.L[i] == pb.U[i] {
			add(i, 1, pb.U[i], posU[i])
			neq++
		}
	}
	for i := range m {
		if pb.L[i] == pb.U[i] {
			continue
		}
		if !math.IsInf(pb.U[i], 1) {
			add(i, 1, pb.U[i], posU[i])
		}
		if !math.IsInf(pb.L[i], -1) {
			add(i, -1, pb.L[i], posL[i])
		}
	}
	for j := range n {
		if !math.IsInf(pb.UB[j], 1) {
			add(m+j, 1, pb.UB[j], posUB[j])
		}
		if !math.IsInf(pb.LB[j], -1) {
			add(m+j, -1, pb.LB[j], posLB[j])
		}
	}
	mc := len(c.src)
	ad := mat.NewDense(mc, n, nil)
	for r, src := range c.src {
		if src >= m {
			ad.Set(r, src-m, c.sign[r])
			continue
		}
		for j := range n {
			ad.Set(r, j, c.sign[r]*pb.A.At(src, j))
		}
	}
	a, err := sparse.FromDense(ad)
	require.NoError(t, err)
	var cones []Cone
	if neq > 0 {
		cones = append(cones, Zero{neq})
	}
	cones = append(cones, Nonnegative{mc - neq})
	k, err := NewProduct(cones...)
	require.NoError(t, err)
	c.pb = &Problem{Q: pb.Q, P: pb.P, A: a, B: bs, K: k}
	return c
}

// solution maps qp's (x, y, z_B) to the cone program's (x, y, s).
func (c *qpAsCone) solution(qs *qp.SparseSolution) *Solution {
	n, m := len(qs.X), len(qs.Y)
	mc := len(c.src)
	y := make([]float64, mc)
	for r, src := range c.src {
		var v float64
		if src < m {
			v = qs.Y[src]
		} else {
			v = qs.Z[src-m]
		}
		// qp's multiplier is positive at an upper bound, negative at a
		// lower one (equalities: either sign).
		if _, eq := c.pb.K.Cones()[0].(Zero); eq && r < c.pb.K.Offsets()[1] {
			y[r] = v
			continue
		}
		y[r] = math.Max(c.sign[r]*v, 0)
	}
	s := append([]float64(nil), c.pb.B...)
	neg := make([]float64, n)
	for j := range n {
		neg[j] = -qs.X[j]
	}
	_ = c.pb.A.MulVecScaled(s, 1, neg, 1)
	return &Solution{X: append([]float64(nil), qs.X...), Y: y, S: s, Status: Optimal, pb: c.pb}
}

// thetaFromQP maps a direction on qp's θ to the cone program's θ.
func (c *qpAsCone) thetaFromQP(t *testing.T, ql *qp.SparseLayout, d []float64) []float64 {
	l, err := NewLayout(c.pb)
	require.NoError(t, err)
	out := make([]float64, l.Len())
	dq, dp, da, db, _ := l.Parts(out)
	nq := len(dq)
	n := l.N
	m := ql.M
	copy(dq, d[:nq])
	copy(dp, d[nq:nq+n])
	qa := d[nq+n:]
	// qp's A values by (row, column).
	qA := map[[2]int]float64{}
	cp, ri := ql.APattern[0], ql.APattern[1]
	for j := range n {
		for k := cp[j]; k < cp[j+1]; k++ {
			qA[[2]int{ri[k], j}] = qa[k]
		}
	}
	acp, ari := l.APattern[0], l.APattern[1]
	for j := range n {
		for k := acp[j]; k < acp[j+1]; k++ {
			r := ari[k]
			if src := c.src[r]; src < m {
				da[k] = c.sign[r] * qA[[2]int{src, j}]
			}
		}
	}
	for r := range db {
		db[r] = c.sign[r] * d[c.bpos[r]]
	}
	return out
}

// The cone program's derivatives equal qp.SolveSparse's own on QPs and LPs
// written as cone programs: VJP (mapped back to qp's θ) and JVP.
func TestDerivativesMatchSparseQP(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, tc := range []struct {
		name   string
		n, m   int
		rank   int
		eq     bool
		bounds bool
	}{
		{"QP", 6, 5, 6, false, true},
		{"QP with equalities", 8, 8, 8, true, true},
		{"QP, singular Q", 7, 6, 3, false, true},
		{"LP at a vertex", 5, 7, 0, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			qpb := randomQPForCone(rng, tc.n, tc.m, tc.rank, tc.eq)
			qs, err := qp.SolveSparse(context.Background(), qpb, &qp.SparseSettings{Tol: 1e-12})
			require.NoError(t, err)
			ql := qs.Layout()
			c := newQPAsCone(t, qpb, ql)
			sol := c.solution(qs)
			l := sol.Layout()
			n, m := tc.n, tc.m
			for trial := range 3 {
				// JVP: map a qp direction.
				d := randVec(rng, ql.Len(), 1)
				// Equality rows: move L and U together (qp's θ has both).
				nq := len(ql.QPattern[1])
				lo := nq + n + len(ql.APattern[1])
				up := lo + len(ql.LIndex)
				for k, i := range ql.LIndex {
					for k2, i2 := range ql.UIndex {
						if i == i2 && qpb.L[i] == qpb.U[i] {
							d[lo+k] = d[up+k2]
						}
					}
				}
				wantZ := make([]float64, ql.LenZ())
				require.NoError(t, qs.JVP(wantZ, d))
				gotZ := make([]float64, l.LenZ())
				require.NoError(t, sol.JVP(gotZ, c.thetaFromQP(t, ql, d)))
				require.Greater(t, maxAbs(wantZ[:n]), 1e-2, "a direction that moves x")
				assert.Less(t, diffRel(wantZ[:n], gotZ[:n]), 1e-7, "dx (trial %d)", trial)
				// Multipliers: qp's yᵢ is the signed sum of the cone's.
				gotY := make([]float64, m+n)
				for r, src := range c.src {
					gotY[src] += c.sign[r] * gotZ[n+r]
				}
				assert.Less(t, diffRel(wantZ[n:], gotY), 1e-7, "d(y, z_B) (trial %d)", trial)

				// VJP: a cotangent on qp's z mapped to the cone's.
				g := randVec(rng, ql.LenZ(), 1)
				want := make([]float64, ql.Len())
				require.NoError(t, qs.VJP(want, g))
				gc := make([]float64, l.LenZ())
				copy(gc, g[:n])
				for r, src := range c.src {
					gc[n+r] = c.sign[r] * g[n+src]
				}
				got := make([]float64, l.Len())
				require.NoError(t, sol.VJP(got, gc))
				// ⟨VJP, d⟩ is the same number in both layouts.
				wd, gd := dot(want, d), dot(got, c.thetaFromQP(t, ql, d))
				assert.InDelta(t, wd, gd, 1e-7*(1+math.Abs(wd)), "⟨∇θ, d⟩ (trial %d)", trial)
				// Q and p blocks are the same parameters.
				assert.Less(t, diffRel(want[:nq+n], got[:nq+n]), 1e-7, "∇Q, ∇p (trial %d)", trial)
			}
		})
	}
}

// randomQPForCone is a feasible QP around a random point (Q = MᵀM +
// 0.3·I of the given rank, nil for rank 0): one-sided, two-sided and
// (eq) equality rows, bounds ±1.5 on some variables.
func randomQPForCone(rng *rand.Rand, n, m, rank int, eq bool) *qp.SparseProblem {
	x0 := make([]float64, n)
	for i := range x0 {
		x0[i] = math.Max(-1.4, math.Min(1.4, 0.5*rng.NormFloat64()))
	}
	inf := math.Inf(1)
	pb := &qp.SparseProblem{P: randVec(rng, n, 1), LB: make([]float64, n), UB: make([]float64, n)}
	if rank > 0 {
		mm := mat.NewDense(rank, n, randVec(rng, rank*n, 1))
		var g mat.Dense
		g.Mul(mm.T(), mm)
		q := mat.NewSymDense(n, nil)
		for i := range n {
			for j := i; j < n; j++ {
				v := g.At(i, j)
				if i == j {
					v += 0.3
				}
				q.SetSym(i, j, v)
			}
		}
		pb.Q, _ = sparse.SymFromDense(q)
	}
	for i := range n {
		pb.LB[i], pb.UB[i] = -1.5, 1.5
		if rank == 0 {
			continue // an LP keeps both bounds (bounded)
		}
		switch i % 3 {
		case 1:
			pb.LB[i] = -inf
		case 2:
			pb.UB[i] = inf
		}
	}
	a := mat.NewDense(m, n, nil)
	for i := range m {
		for j := range n {
			if rng.Float64() < 0.5 || j == i%n {
				a.Set(i, j, rng.NormFloat64())
			}
		}
	}
	pb.A, _ = sparse.FromDense(a)
	ax := make([]float64, m)
	_ = pb.A.MulVec(ax, x0)
	pb.L, pb.U = make([]float64, m), make([]float64, m)
	for i := range m {
		switch {
		case eq && i%4 == 0:
			pb.L[i], pb.U[i] = ax[i], ax[i]
		case i%3 == 0:
			pb.L[i], pb.U[i] = ax[i]-0.1-rng.Float64(), ax[i]+0.1*rng.Float64()
		case i%3 == 1:
			pb.L[i], pb.U[i] = -inf, ax[i]+0.1*rng.Float64()
		default:
			pb.L[i], pb.U[i] = ax[i]-0.1*rng.Float64(), inf
		}
	}
	return pb
}
