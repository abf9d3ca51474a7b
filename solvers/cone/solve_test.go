package cone

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/optlayers/optlayers/internal/maros"
	"github.com/optlayers/optlayers/solvers/qp"
	"github.com/optlayers/optlayers/solvers/smooth"
	"github.com/optlayers/optlayers/sparse"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/mat"
)

// rowsProblem builds a Problem from dense rows of A (m×n), b, p and an
// optional dense Q.
func rowsProblem(t testing.TB, a [][]float64, b, p []float64, q [][]float64, cones ...Cone) *Problem {
	t.Helper()
	m, n := len(a), len(p)
	var ri, ci []int
	var v []float64
	for i, row := range a {
		require.Len(t, row, n)
		for j, x := range row {
			if x != 0 {
				ri, ci, v = append(ri, i), append(ci, j), append(v, x)
			}
		}
	}
	am, err := sparse.FromTriplets(m, n, ri, ci, v, nil)
	require.NoError(t, err)
	var qm *sparse.SymCSC
	if q != nil {
		var qr, qc []int
		var qv []float64
		for i := range q {
			for j := i; j < n; j++ {
				if q[i][j] != 0 {
					qr, qc, qv = append(qr, i), append(qc, j), append(qv, q[i][j])
				}
			}
		}
		qm, err = sparse.SymFromTriplets(n, qr, qc, qv, nil)
		require.NoError(t, err)
	}
	k, err := NewProduct(cones...)
	require.NoError(t, err)
	return &Problem{Q: qm, P: p, A: am, B: b, K: k}
}

// builder assembles rows s = b − Ax block by block.
type builder struct {
	n     int
	rows  [][]float64
	b     []float64
	cones []Cone
}

// add appends rows: each row is (coefficients of x in s, constant), i.e.
// sᵢ = cᵢ + gᵢᵀx, so A's row is −gᵢ and bᵢ = cᵢ.
func (bd *builder) add(k Cone, rows ...[]float64) {
	for _, r := range rows {
		row := make([]float64, bd.n)
		for j := range bd.n {
			row[j] = -r[j]
		}
		bd.rows = append(bd.rows, row)
		bd.b = append(bd.b, r[bd.n])
	}
	bd.cones = append(bd.cones, k)
}

// lin returns a row (g, c) with g = e_j·coef for the given pairs and
// constant c.
func (bd *builder) lin(c float64, pairs ...any) []float64 {
	r := make([]float64, bd.n+1)
	for i := 0; i < len(pairs); i += 2 {
		r[pairs[i].(int)] += pairs[i+1].(float64)
	}
	r[bd.n] = c
	return r
}

func (bd *builder) problem(t testing.TB, p []float64, q [][]float64) *Problem {
	return rowsProblem(t, bd.rows, bd.b, p, q, bd.cones...)
}

func solveOK(t *testing.T, pb *Problem, s *Settings) *Solution {
	t.Helper()
	sol, err := Solve(context.Background(), pb, s)
	require.NoError(t, err)
	require.Equal(t, Optimal, sol.Status)
	checkInCones(t, pb, sol.S, sol.Y, 1e-8)
	return sol
}

// The solutions of the exponential- and power-cone tests are checked to
// 2e-5 and their objectives to 1e-7: with a strictly concave objective
// along the feasible set a residual ε moves the maximizer by O(√ε)
// (Tol 1e-10…1e-11 here), while the objective is accurate to O(ε).

// TestEntropyMaximization: max Σ −xᵢ log xᵢ over the simplex is at the
// uniform point (value log k); with x₁ ≤ c < 1/k active the others share
// 1 − c equally. Conic form: −xᵢ log xᵢ ≥ tᵢ ⟺ (tᵢ, xᵢ, 1) ∈ Exp.
func TestEntropyMaximization(t *testing.T) {
	for _, k := range []int{2, 5, 12} {
		for _, cap := range []float64{0, 0.03} { // 0: no extra constraint
			n := 2 * k // x then t
			bd := &builder{n: n}
			for i := range k {
				bd.add(Exp{}, bd.lin(0, k+i, 1.0), bd.lin(0, i, 1.0), bd.lin(1))
			}
			sum := bd.lin(-1)
			for i := range k {
				sum[i] = 1
			}
			bd.add(Zero{1}, sum) // Σx − 1 = 0
			want := make([]float64, k)
			if cap > 0 {
				bd.add(Nonnegative{1}, bd.lin(cap, 0, -1.0)) // cap − x₁ ≥ 0
				want[0] = cap
				for i := 1; i < k; i++ {
					want[i] = (1 - cap) / float64(k-1)
				}
			} else {
				for i := range want {
					want[i] = 1 / float64(k)
				}
			}
			p := make([]float64, n)
			for i := range k {
				p[k+i] = -1
			}
			sol := solveOK(t, bd.problem(t, p, nil), &Settings{Tol: 1e-10})
			val := 0.0
			for _, x := range want {
				val -= x * math.Log(x)
			}
			require.InDelta(t, -val, sol.Objective, 1e-7, "k=%d cap=%v", k, cap)
			for i := range k {
				require.InDelta(t, want[i], sol.X[i], 2e-5, "k=%d cap=%v x%d", k, cap, i)
			}
		}
	}
}

// TestGeometricMean: max x₁^α x₂^{1−α} s.t. x₁ + x₂ ≤ 1 is at x = (α, 1−α)
// with value α^α(1−α)^{1−α} (weighted AM–GM), through Power{α}:
// (x₁, x₂, t) ∈ Power. The dual power cone gives the same through the
// dual form max t s.t. (x₁/α, x₂/(1−α), t) ∈ PowerDual{α}.
func TestGeometricMean(t *testing.T) {
	for _, a := range []float64{0.2, 0.5, 0.7} {
		want := math.Pow(a, a) * math.Pow(1-a, 1-a)
		bd := &builder{n: 3}
		bd.add(Power{a}, bd.lin(0, 0, 1.0), bd.lin(0, 1, 1.0), bd.lin(0, 2, 1.0))
		bd.add(Nonnegative{1}, bd.lin(1, 0, -1.0, 1, -1.0))
		sol := solveOK(t, bd.problem(t, []float64{0, 0, -1}, nil), &Settings{Tol: 1e-11})
		require.InDelta(t, -want, sol.Objective, 1e-7, "α=%v", a)
		require.InDelta(t, a, sol.X[0], 2e-5)
		require.InDelta(t, 1-a, sol.X[1], 2e-5)
		// PowerDual{α} = {(u, v, w): (u/α)^α (v/(1−α))^{1−α} ≥ |w|}: with
		// u = αx₁, v = (1−α)x₂ the same problem.
		bd = &builder{n: 3}
		bd.add(PowerDual{a}, bd.lin(0, 0, a), bd.lin(0, 1, 1-a), bd.lin(0, 2, 1.0))
		bd.add(Nonnegative{1}, bd.lin(1, 0, -1.0, 1, -1.0))
		sol = solveOK(t, bd.problem(t, []float64{0, 0, -1}, nil), nil)
		require.InDelta(t, -want, sol.Objective, 1e-7, "dual α=%v", a)
		require.InDelta(t, a, sol.X[0], 2e-5)
	}
}

// TestPNorm: min ‖x‖_p s.t. aᵀx = 1 has value 1/‖a‖_q (q = p/(p−1)) at
// xᵢ = sign(aᵢ)|aᵢ|^{q−1}/‖a‖_q^q (Hölder). Conic form: |xᵢ| ≤
// rᵢ^{1/p} t^{1−1/p}, (rᵢ, t, xᵢ) ∈ Power{1/p}, Σrᵢ = t.
func TestPNorm(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, p := range []float64{1.5, 3, 4.5} {
		k := 5
		a := randVec(rng, k, 1)
		q := p / (p - 1)
		nq := 0.0
		for _, v := range a {
			nq += math.Pow(math.Abs(v), q)
		}
		nqn := math.Pow(nq, 1/q)
		n := 2*k + 1 // x, r, t
		bd := &builder{n: n}
		for i := range k {
			bd.add(Power{1 / p}, bd.lin(0, k+i, 1.0), bd.lin(0, 2*k, 1.0), bd.lin(0, i, 1.0))
		}
		eqr := bd.lin(0, 2*k, -1.0)
		for i := range k {
			eqr[k+i] = 1
		}
		bd.add(Zero{1}, eqr)
		ax := bd.lin(-1)
		for i := range k {
			ax[i] = a[i]
		}
		bd.add(Zero{1}, ax)
		c := make([]float64, n)
		c[2*k] = 1
		sol := solveOK(t, bd.problem(t, c, nil), &Settings{Tol: 1e-11})
		require.InDelta(t, 1/nqn, sol.Objective, 1e-7, "p=%v", p)
		for i := range k {
			want := math.Copysign(math.Pow(math.Abs(a[i]), q-1), a[i]) / nq
			require.InDelta(t, want, sol.X[i], 1e-6, "p=%v x%d", p, i)
		}
	}
}

// TestLogSumExp: min_x log Σᵢ exp(aᵢᵀx + bᵢ) (random aᵢ and ±eⱼ, so the
// aᵢ positively span Rᵈ and the minimum exists) in conic form t ≥ lse ⟺
// Σ exp(aᵢᵀx + bᵢ − t) ≤ 1: (aᵢᵀx + bᵢ − t, 1, uᵢ) ∈ Exp, Σu ≤ 1. The
// minimizer is checked by its own optimality condition Aᵀ softmax(Ax + b)
// = 0 and by the value t = lse(Ax + b).
func TestLogSumExp(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, sz := range [][2]int{{2, 6}, {4, 15}} {
		d, m := sz[0], sz[1]
		// ±e_j among the rows: they positively span Rᵈ, so the minimum
		// exists.
		A := make([][]float64, m)
		for i := range A {
			A[i] = randVec(rng, d, 1)
		}
		for j := range d {
			e, f := make([]float64, d), make([]float64, d)
			e[j], f[j] = 1, -1
			A = append(A, e, f)
		}
		m = len(A)
		b := randVec(rng, m, 1)
		n := d + 1 + m // x, t, u
		bd := &builder{n: n}
		for i := range m {
			r := bd.lin(b[i], d, -1.0)
			for j := range d {
				r[j] = A[i][j]
			}
			bd.add(Exp{}, r, bd.lin(1), bd.lin(0, d+1+i, 1.0))
		}
		sum := bd.lin(1)
		for i := range m {
			sum[d+1+i] = -1
		}
		bd.add(Nonnegative{1}, sum)
		c := make([]float64, n)
		c[d] = 1
		sol := solveOK(t, bd.problem(t, c, nil), &Settings{Tol: 1e-11})
		x := sol.X[:d]
		z := make([]float64, m)
		mx := math.Inf(-1)
		for i := range m {
			z[i] = dot(A[i], x) + b[i]
			mx = math.Max(mx, z[i])
		}
		se := 0.0
		for i := range z {
			se += math.Exp(z[i] - mx)
		}
		lse := mx + math.Log(se)
		require.InDelta(t, lse, sol.Objective, 1e-7)
		g := make([]float64, d)
		for i := range m {
			w := math.Exp(z[i]-mx) / se
			for j := range d {
				g[j] += w * A[i][j]
			}
		}
		for j := range d {
			require.InDelta(t, 0, g[j], 1e-6, "gradient of lse at the minimizer")
		}
	}
}

// TestLogisticRegression: l2-regularized logistic regression
// (1/N)Σ log(1 + exp(−yᵢxᵢᵀw)) + ½λ‖w‖² in conic form, with the quadratic
// term in Q: log(1 + e^u) ≤ t ⟺ e^{−t} + e^{u−t} ≤ 1 ⟺ a + b ≤ 1,
// (−t, 1, a) ∈ Exp, (u − t, 1, b) ∈ Exp. Against solvers/smooth's
// Logistic fit (Newton to ‖∇f‖∞ ≤ 1e-12).
func TestLogisticRegression(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	pb, ref := logisticConic(t, rng, 40, 0.1, []float64{1, -2, 0.5}, 1e-11)
	sol := solveOK(t, pb, &Settings{Tol: 1e-10})
	require.InDelta(t, ref.F, sol.Objective, 1e-8)
	for j := range ref.X {
		require.InDelta(t, ref.X[j], sol.X[j], 1e-6, "w%d", j)
	}
}

// logisticConic draws N samples xᵢ ~ N(0, I) in len(wTrue) dimensions with
// labels yᵢ = ±1, P(yᵢ = 1) = σ(xᵢᵀwTrue), and returns the conic form of
// TestLogisticRegression (variables w, t, a, b) and solvers/smooth's
// Newton fit of the same regression to refTol.
func logisticConic(t *testing.T, rng *rand.Rand, N int, lambda float64, wTrue []float64, refTol float64) (*Problem, *smooth.Result) {
	t.Helper()
	d := len(wTrue)
	X := mat.NewDense(N, d, nil)
	y := make([]float64, N)
	for i := range N {
		for j := range d {
			X.Set(i, j, rng.NormFloat64())
		}
		pr := 1 / (1 + math.Exp(-mat.Dot(X.RowView(i), mat.NewVecDense(d, wTrue))))
		y[i] = -1
		if rng.Float64() < pr {
			y[i] = 1
		}
	}
	spb, err := smooth.Logistic(X, y, smooth.L2{})
	require.NoError(t, err)
	ref, err := smooth.Minimize(context.Background(), spb, []float64{lambda}, make([]float64, d), &smooth.Settings{Method: smooth.NewtonCG, Tol: refTol})
	require.NoError(t, err)

	n := d + 3*N // w, t, a, b
	bd := &builder{n: n}
	tI, aI, bI := d, d+N, d+2*N
	for i := range N {
		bd.add(Exp{}, bd.lin(0, tI+i, -1.0), bd.lin(1), bd.lin(0, aI+i, 1.0))
		r := bd.lin(0, tI+i, -1.0)
		for j := range d {
			r[j] = -y[i] * X.At(i, j)
		}
		bd.add(Exp{}, r, bd.lin(1), bd.lin(0, bI+i, 1.0))
		bd.add(Nonnegative{1}, bd.lin(1, aI+i, -1.0, bI+i, -1.0))
	}
	c := make([]float64, n)
	for i := range N {
		c[tI+i] = 1 / float64(N)
	}
	q := make([][]float64, n)
	for i := range q {
		q[i] = make([]float64, n)
	}
	for j := range d {
		q[j][j] = lambda
	}
	return bd.problem(t, c, q), ref
}

// TestQPAgainstSparseQP: LPs and QPs solved by qp.SolveSparse (double-
// sided form) and by Solve (equalities as a Zero block, every finite side
// a Nonnegative row) give the same x and objective.
func TestQPAgainstSparseQP(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for trial := range 6 {
		n, m := 6+trial, 8+trial
		quad := trial%2 == 1
		A := make([][]float64, m)
		x0 := randVec(rng, n, 1)
		l, u := make([]float64, m), make([]float64, m)
		for i := range A {
			A[i] = randVec(rng, n, 1)
			ax := dot(A[i], x0)
			switch i % 3 {
			case 0:
				l[i], u[i] = ax, ax // equality
			case 1:
				l[i], u[i] = ax-rng.Float64(), math.Inf(1)
			default:
				l[i], u[i] = ax-1, ax+rng.Float64()
			}
		}
		p := randVec(rng, n, 1)
		var qd [][]float64
		if quad {
			F := mat.NewDense(n, n, nil)
			for i := range n {
				for j := range n {
					F.Set(i, j, rng.NormFloat64())
				}
			}
			var qq mat.Dense
			qq.Mul(F.T(), F)
			qd = make([][]float64, n)
			for i := range n {
				qd[i] = make([]float64, n)
				for j := range n {
					qd[i][j] = qq.At(i, j) / float64(n)
				}
			}
		}
		lb, ub := make([]float64, n), make([]float64, n)
		for j := range n {
			lb[j], ub[j] = x0[j]-2, x0[j]+2
		}
		// qp form.
		am := rowsProblem(t, A, make([]float64, m), p, qd, Nonnegative{m})
		spb := &qp.SparseProblem{Q: am.Q, P: p, A: am.A, L: l, U: u, LB: lb, UB: ub}
		ref, err := qp.SolveSparse(context.Background(), spb, &qp.SparseSettings{Tol: 1e-10})
		require.NoError(t, err)
		// cone form.
		bd := &builder{n: n}
		var eq, in [][]float64
		for i := range m {
			g := make([]float64, n+1)
			if l[i] == u[i] {
				for j := range n {
					g[j] = -A[i][j]
				}
				g[n] = u[i]
				eq = append(eq, g)
				continue
			}
			if !math.IsInf(u[i], 1) {
				for j := range n {
					g[j] = -A[i][j]
				}
				g[n] = u[i]
				in = append(in, g)
			}
			h := make([]float64, n+1)
			for j := range n {
				h[j] = A[i][j]
			}
			h[n] = -l[i]
			in = append(in, h)
		}
		for j := range n {
			in = append(in, bd.lin(ub[j], j, -1.0), bd.lin(-lb[j], j, 1.0))
		}
		bd.add(Zero{len(eq)}, eq...)
		bd.add(Nonnegative{len(in)}, in...)
		sol := solveOK(t, bd.problem(t, p, qd), &Settings{Tol: 1e-10})
		require.InDelta(t, ref.Objective, sol.Objective, 1e-7*math.Max(1, math.Abs(ref.Objective)), "trial %d", trial)
		require.Less(t, relDiff(sol.X, ref.X), 1e-7, "trial %d", trial)
	}
}

// coneFromSparseQP converts the double-sided QP to the cone form.
func coneFromSparseQP(t testing.TB, spb *qp.SparseProblem) *Problem {
	t.Helper()
	n, m := spb.Dims()
	at := spb.A.Transpose() // n×m: column i = row i of A
	var eqR, inR [][2][]any
	_ = eqR
	_ = inR
	type row struct {
		idx  []int
		vals []float64
		c    float64
	}
	var eqs, ins []row
	const big = 1e20
	for i := range m {
		idx, v := at.Col(i)
		lo, up := math.Inf(-1), math.Inf(1)
		if spb.L != nil {
			lo = spb.L[i]
		}
		if spb.U != nil {
			up = spb.U[i]
		}
		neg := func(v []float64) []float64 {
			o := make([]float64, len(v))
			for k := range v {
				o[k] = -v[k]
			}
			return o
		}
		if math.Abs(lo) < big && math.Abs(up) < big && up-lo < 1e-10 {
			eqs = append(eqs, row{idx, v, up}) // A x + s = u, s = 0
			continue
		}
		if math.Abs(up) < big {
			ins = append(ins, row{idx, v, up})
		}
		if math.Abs(lo) < big {
			ins = append(ins, row{idx, neg(v), -lo})
		}
	}
	for j := range n {
		lo, up := math.Inf(-1), math.Inf(1)
		if spb.LB != nil {
			lo = spb.LB[j]
		}
		if spb.UB != nil {
			up = spb.UB[j]
		}
		if math.Abs(lo) < big && math.Abs(up) < big && up-lo < 1e-10 {
			eqs = append(eqs, row{[]int{j}, []float64{1}, up})
			continue
		}
		if math.Abs(up) < big {
			ins = append(ins, row{[]int{j}, []float64{1}, up})
		}
		if math.Abs(lo) < big {
			ins = append(ins, row{[]int{j}, []float64{-1}, -lo})
		}
	}
	var ri, ci []int
	var vals, b []float64
	var cones []Cone
	r := 0
	for _, set := range [][]row{eqs, ins} {
		for _, rw := range set {
			for k, j := range rw.idx {
				ri, ci, vals = append(ri, r), append(ci, j), append(vals, rw.vals[k])
			}
			b = append(b, rw.c)
			r++
		}
	}
	if len(eqs) > 0 {
		cones = append(cones, Zero{len(eqs)})
	}
	if len(ins) > 0 {
		cones = append(cones, Nonnegative{len(ins)})
	}
	a, err := sparse.FromTriplets(r, n, ri, ci, vals, nil)
	require.NoError(t, err)
	k, err := NewProduct(cones...)
	require.NoError(t, err)
	return &Problem{Q: spb.Q, P: spb.P, A: a, B: b, K: k}
}

// TestMarosMeszaros: small problems of the Maros–Mészáros set (testdata/
// maros, copied from the repository's other packages) against
// qp.SolveSparse: same objective to 1e-7 relative.
func TestMarosMeszaros(t *testing.T) {
	for _, name := range []string{"HS21", "QSHARE2B", "QSCAGR7", "QRECIPE", "DPKLO1"} {
		t.Run(name, func(t *testing.T) {
			c, err := maros.LoadFile("testdata/maros/" + name + ".qps.gz")
			require.NoError(t, err)
			spb := c.Sparse()
			ref, err := qp.SolveSparse(context.Background(), spb, &qp.SparseSettings{Tol: 1e-9})
			require.NoError(t, err)
			pb := coneFromSparseQP(t, spb)
			sol, err := Solve(context.Background(), pb, &Settings{Tol: 1e-9})
			require.NoError(t, err)
			require.Equal(t, Optimal, sol.Status)
			t.Logf("%s: n=%d m=%d, %d iterations, objective %.12g (sparse QP %.12g)", name, len(pb.P), len(pb.B), sol.Iterations, sol.Objective+c.Constant, ref.Objective+c.Constant)
			require.InDelta(t, ref.Objective, sol.Objective, 1e-7*math.Max(1, math.Abs(ref.Objective)))
		})
	}
}

var _ = errors.Is

func caseByName(t *testing.T, name string) refCase {
	for _, c := range loadCases(t, "testdata/cvxopt_cases.json") {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no case %s", name)
	return refCase{}
}

// TestBadlyScaled: the SOCP socp-eq-30 with its orthant rows scaled by
// 10^U(−6, 6), each second-order block by one 10^U(−3, 3), the equality
// rows by 10^U(−6, 6) and the variables by 10^U(−3, 3): the solution maps
// back (x = Dx′) to the known one.
func TestBadlyScaled(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	c := caseByName(t, "socp-eq-30")
	pb, err := c.problem()
	require.NoError(t, err)
	n, m := pb.Dims()
	A := pb.A.Dense()
	r := make([]float64, m)
	off := pb.K.Offsets()
	for bi, k := range pb.K.Cones() {
		switch k.(type) {
		case SecondOrder:
			v := math.Pow(10, 6*rng.Float64()-3)
			for i := off[bi]; i < off[bi+1]; i++ {
				r[i] = v
			}
		default:
			for i := off[bi]; i < off[bi+1]; i++ {
				r[i] = math.Pow(10, 12*rng.Float64()-6)
			}
		}
	}
	d := make([]float64, n)
	for j := range d {
		d[j] = math.Pow(10, 6*rng.Float64()-3)
	}
	rows := make([][]float64, m)
	b := make([]float64, m)
	for i := range m {
		rows[i] = make([]float64, n)
		for j := range n {
			rows[i][j] = r[i] * A.At(i, j) * d[j]
		}
		b[i] = r[i] * pb.B[i]
	}
	p := make([]float64, n)
	for j := range n {
		p[j] = d[j] * pb.P[j]
	}
	spb := rowsProblem(t, rows, b, p, nil, pb.K.Cones()...)
	sol := solveOK(t, spb, &Settings{Tol: 1e-10})
	require.InDelta(t, c.ObjTrue, sol.Objective, 1e-7*math.Max(1, math.Abs(c.ObjTrue)))
	x := make([]float64, n)
	for j := range n {
		x[j] = d[j] * sol.X[j]
	}
	require.Less(t, relDiff(x, c.XTrue), 1e-6)
}

// TestRedundantEqualities: socp-eq-30 with every equality row twice (a
// rank-deficient equality block; the multipliers are not unique): the
// same x and objective.
func TestRedundantEqualities(t *testing.T) {
	c := caseByName(t, "socp-eq-30")
	pb, err := c.problem()
	require.NoError(t, err)
	n, m := pb.Dims()
	A := pb.A.Dense()
	ks := pb.K.Cones()
	meq := ks[0].(Zero).N
	var rows [][]float64
	var b []float64
	for i := range meq {
		for range 2 {
			rows = append(rows, mat.Row(nil, i, A))
			b = append(b, pb.B[i])
		}
	}
	for i := meq; i < m; i++ {
		rows = append(rows, mat.Row(nil, i, A))
		b = append(b, pb.B[i])
	}
	cones := append([]Cone{Zero{2 * meq}}, ks[1:]...)
	sol := solveOK(t, rowsProblem(t, rows, b, pb.P, nil, cones...), &Settings{Tol: 1e-10})
	require.InDelta(t, c.ObjTrue, sol.Objective, 1e-7*math.Max(1, math.Abs(c.ObjTrue)))
	require.Less(t, relDiff(sol.X, c.XTrue), 1e-7)
	_ = n
}

// TestDegenerateLP: min x₁ + x₂ s.t. x ≥ 0, x₁ + x₂ ≥ 0, x₁ − x₂ ≥ 0,
// 2x₁ + x₂ ≥ 0: the optimum x = 0 has five active constraints in R².
func TestDegenerateLP(t *testing.T) {
	bd := &builder{n: 2}
	bd.add(Nonnegative{5}, bd.lin(0, 0, 1.0), bd.lin(0, 1, 1.0), bd.lin(0, 0, 1.0, 1, 1.0), bd.lin(0, 0, 1.0, 1, -1.0), bd.lin(0, 0, 2.0, 1, 1.0))
	sol := solveOK(t, bd.problem(t, []float64{1, 1}, nil), nil)
	require.InDelta(t, 0, sol.Objective, 1e-8)
	require.InDelta(t, 0, sol.X[0], 1e-7)
	require.InDelta(t, 0, sol.X[1], 1e-7)
}

// TestLambdaMax: min t s.t. tI − M ⪰ 0 is λ_max(M), with the slack
// tI − M of rank N − 1 at the solution (a rank-deficient PSD solution).
func TestLambdaMax(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	for _, N := range []int{3, 6, 10} {
		M := mat.NewSymDense(N, nil)
		for i := range N {
			for j := i; j < N; j++ {
				M.SetSym(i, j, rng.NormFloat64())
			}
		}
		var es mat.EigenSym
		require.True(t, es.Factorize(M, false))
		vals := es.Values(nil)
		lmax := vals[len(vals)-1]
		// s = svec(tI − M) = t·svec(I) − svec(M).
		d := N * (N + 1) / 2
		rows := make([][]float64, d)
		b := make([]float64, d)
		sm := make([]float64, d)
		require.NoError(t, Svec(sm, M))
		id := make([]float64, d)
		require.NoError(t, PSD{N}.Identity(id))
		for i := range d {
			rows[i] = []float64{-id[i]}
			b[i] = -sm[i]
		}
		sol := solveOK(t, rowsProblem(t, rows, b, []float64{1}, nil, PSD{N}), &Settings{Tol: 1e-10})
		require.InDelta(t, lmax, sol.X[0], 1e-8*math.Max(1, math.Abs(lmax)), "N=%d", N)
	}
}

// TestSOCApex: min t s.t. ‖(x₁ − 1, x₂ + 2)‖ ≤ t: the slack is the apex of
// the cone at the solution t = 0, x = (1, −2).
func TestSOCApex(t *testing.T) {
	bd := &builder{n: 3}
	bd.add(SecondOrder{3}, bd.lin(0, 2, 1.0), bd.lin(-1, 0, 1.0), bd.lin(2, 1, 1.0))
	sol := solveOK(t, bd.problem(t, []float64{0, 0, 1}, nil), nil)
	require.InDelta(t, 0, sol.Objective, 1e-7)
	require.InDelta(t, 1, sol.X[0], 1e-6)
	require.InDelta(t, -2, sol.X[1], 1e-6)
}

// TestWarmStartAndCancel: a warm start from the solution gives the same
// solution; a canceled context stops with Status Canceled and the
// context's error.
func TestWarmStartAndCancel(t *testing.T) {
	c := caseByName(t, "qp-soc-40")
	pb, err := c.problem()
	require.NoError(t, err)
	cold := solveOK(t, pb, nil)
	warm := solveOK(t, pb, &Settings{WarmStart: &Start{X: cold.X, S: cold.S, Y: cold.Y}})
	require.Less(t, relDiff(warm.X, cold.X), 1e-5)
	t.Logf("cold %d iterations, warm %d", cold.Iterations, warm.Iterations)
	// X only.
	warm = solveOK(t, pb, &Settings{WarmStart: &Start{X: cold.X}})
	require.Less(t, relDiff(warm.X, cold.X), 1e-5)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	sol, err := Solve(ctx, pb, nil)
	require.ErrorIs(t, err, context.Canceled)
	require.Equal(t, Canceled, sol.Status)
	require.Len(t, sol.X, len(pb.P))
}
