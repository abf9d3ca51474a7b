package nlp

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/diff/fd"
	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/implicit"
)

func randVec(rng *rand.Rand, n int) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = rng.NormFloat64()
	}
	return v
}

func requireDenseNear(t *testing.T, want, got mat.Matrix, tol float64, msg ...any) {
	t.Helper()
	r, c := want.Dims()
	gr, gc := got.Dims()
	require.Equal(t, [2]int{r, c}, [2]int{gr, gc}, msg...)
	for i := range r {
		for j := range c {
			require.InDelta(t, want.At(i, j), got.At(i, j), tol, "entry (%d,%d) %v", i, j, msg)
		}
	}
}

// halfspace: minimize ½‖x − θ‖² subject to aᵀx ≤ b (b is θ's last entry).
// x* = θ − max(0, aᵀθ − b)/‖a‖² a.
func halfspace(a []float64, hand bool) *Problem {
	n := len(a)
	p := &Problem{
		Dim: n, Params: n + 1, NumIneq: 1,
		Objective: func(x, th []float64) float64 {
			var s float64
			for i := range x {
				s += 0.5 * (x[i] - th[i]) * (x[i] - th[i])
			}
			return s
		},
		Ineq: func(dst, x, th []float64) { dst[0] = dot(a, x) - th[n] },
	}
	if hand {
		p.Grad = func(dst, x, th []float64) {
			for i := range x {
				dst[i] = x[i] - th[i]
			}
		}
		p.IneqJac = func(dst *mat.Dense, x, th []float64) { dst.SetRow(0, a) }
		p.IneqTheta = func(dst *mat.Dense, x, th []float64) { dst.Set(0, n, -1) }
		p.Hessian = func(dst *mat.Dense, x, th, l, nu []float64) {
			for i := range n {
				dst.Set(i, i, 1)
			}
		}
		p.Mixed = func(dst *mat.Dense, x, th, l, nu []float64) {
			for i := range n {
				dst.Set(i, i, -1)
			}
		}
	}
	return p
}

func TestHalfspaceClosedForm(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := range 12 {
		n := 2 + trial%5
		a := randVec(rng, n)
		theta := randVec(rng, n+1)
		aa := dot(a, a)
		viol := dot(a, theta[:n]) - theta[n]
		if trial%3 == 2 {
			theta[n] = dot(a, theta[:n]) + 0.5 // inactive
			viol = -0.5
		} else if viol < 0.1 {
			theta[n] = dot(a, theta[:n]) - 0.5 - rng.Float64()
			viol = dot(a, theta[:n]) - theta[n]
		}
		x := make([]float64, n)
		for i := range n {
			x[i] = theta[i] - math.Max(0, viol)/aa*a[i]
		}
		want := mat.NewDense(n, n+1, nil)
		for i := range n {
			want.Set(i, i, 1)
			if viol > 0 {
				for j := range n {
					want.Set(i, j, want.At(i, j)-a[i]*a[j]/aa)
				}
				want.Set(i, n, a[i]/aa)
			}
		}
		for _, hand := range []bool{true, false} {
			sol, err := NewSolution(halfspace(a, hand), x, theta, nil)
			require.NoError(t, err)
			if viol > 0 {
				assert.Equal(t, []int{0}, sol.Active)
				assert.InDelta(t, viol/aa, sol.Lambda[0], 1e-8)
			} else {
				assert.Empty(t, sol.Active)
				assert.Zero(t, sol.Lambda[0])
			}
			J, err := sol.Jacobian()
			require.NoError(t, err)
			tol := 1e-12
			if !hand {
				tol = 1e-6
			}
			requireDenseNear(t, want, J, tol, "trial %d hand %v", trial, hand)
			// VJP and JVP agree with the Jacobian.
			g := randVec(rng, n)
			vjp, err := sol.VJPX(g)
			require.NoError(t, err)
			var wantV mat.VecDense
			wantV.MulVec(J.T(), mat.NewVecDense(n, g))
			assert.InDeltaSlice(t, wantV.RawVector().Data, vjp, 1e-9)
		}
	}
}

// ball: minimize ½‖x − c‖² subject to ‖x‖² ≤ r², θ = (c, r). For ‖c‖ > r,
// x* = r c/‖c‖, ∂x*/∂c = (r/‖c‖)(I − ĉĉᵀ), ∂x*/∂r = ĉ, λ = (‖c‖/r − 1)/2.
func ball(n int, hand bool) *Problem {
	p := &Problem{
		Dim: n, Params: n + 1, NumIneq: 1,
		Objective: func(x, th []float64) float64 {
			var s float64
			for i := range x {
				s += 0.5 * (x[i] - th[i]) * (x[i] - th[i])
			}
			return s
		},
		Ineq: func(dst, x, th []float64) { dst[0] = dot(x, x) - th[n]*th[n] },
	}
	if hand {
		p.Grad = func(dst, x, th []float64) {
			for i := range x {
				dst[i] = x[i] - th[i]
			}
		}
		p.IneqJac = func(dst *mat.Dense, x, th []float64) {
			for i := range n {
				dst.Set(0, i, 2*x[i])
			}
		}
		p.IneqTheta = func(dst *mat.Dense, x, th []float64) { dst.Set(0, n, -2*th[n]) }
		p.Hessian = func(dst *mat.Dense, x, th, l, nu []float64) {
			for i := range n {
				dst.Set(i, i, 1+2*l[0])
			}
		}
		p.Mixed = func(dst *mat.Dense, x, th, l, nu []float64) {
			for i := range n {
				dst.Set(i, i, -1)
			}
		}
	}
	return p
}

func TestBallClosedForm(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for trial := range 10 {
		n := 2 + trial%4
		c := randVec(rng, n)
		nc := math.Sqrt(dot(c, c))
		r := nc * (0.3 + 0.5*rng.Float64())
		theta := append(append([]float64(nil), c...), r)
		x := make([]float64, n)
		for i := range n {
			x[i] = r * c[i] / nc
		}
		want := mat.NewDense(n, n+1, nil)
		for i := range n {
			for j := range n {
				v := -c[i] * c[j] / (nc * nc)
				if i == j {
					v++
				}
				want.Set(i, j, r/nc*v)
			}
			want.Set(i, n, c[i]/nc)
		}
		for _, hand := range []bool{true, false} {
			sol, err := NewSolution(ball(n, hand), x, theta, nil)
			require.NoError(t, err)
			assert.InDelta(t, (nc/r-1)/2, sol.Lambda[0], 1e-7)
			J, err := sol.Jacobian()
			require.NoError(t, err)
			tol := 1e-11
			if !hand {
				tol = 2e-6
			}
			requireDenseNear(t, want, J, tol, "trial %d hand %v", trial, hand)
		}
	}
}

// simplex: minimize ½‖x − θ‖² subject to Σx = 1, x ≥ 0: the Euclidean
// projection onto the probability simplex, x* = max(θ − τ, 0), with
// Jacobian I_S − 11ᵀ/|S| on the support S and zero elsewhere.
func simplexProblem(n int) *Problem {
	lower := make([]float64, n)
	return &Problem{
		Dim: n, Params: n, NumEq: 1, Lower: lower,
		Grad: func(dst, x, th []float64) {
			for i := range x {
				dst[i] = x[i] - th[i]
			}
		},
		Eq: func(dst, x, th []float64) {
			dst[0] = -1
			for _, v := range x {
				dst[0] += v
			}
		},
	}
}

func projectSimplex(theta []float64) []float64 {
	u := slices.Clone(theta)
	slices.Sort(u)
	slices.Reverse(u)
	var cum, tau float64
	for k, v := range u {
		cum += v
		if t := (cum - 1) / float64(k+1); v-t > 0 {
			tau = t
		}
	}
	x := make([]float64, len(theta))
	for i, v := range theta {
		x[i] = math.Max(v-tau, 0)
	}
	return x
}

func TestSimplexBoundsAndEquality(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for trial := range 10 {
		n := 3 + trial%6
		theta := randVec(rng, n)
		x := projectSimplex(theta)
		var support []int
		for i, v := range x {
			if v > 0 {
				support = append(support, i)
			}
		}
		if len(support) == n || slices.ContainsFunc(x, func(v float64) bool { return v > 0 && v < 1e-3 }) {
			continue // want some active bounds, and no near-degenerate ones
		}
		sol, err := NewSolution(simplexProblem(n), x, theta, nil)
		require.NoError(t, err)
		assert.Len(t, sol.ActiveLower, n-len(support))
		want := mat.NewDense(n, n, nil)
		for _, i := range support {
			for _, j := range support {
				v := -1 / float64(len(support))
				if i == j {
					v++
				}
				want.Set(i, j, v)
			}
		}
		J, err := sol.Jacobian()
		require.NoError(t, err)
		requireDenseNear(t, want, J, 1e-6, "trial %d", trial)
		// Bound multipliers are non-negative and complementary.
		for i := range n {
			assert.GreaterOrEqual(t, sol.LowerMult[i], 0.0)
			if x[i] > 0 {
				assert.Zero(t, sol.LowerMult[i])
			}
		}
	}
}

// nonlinear is a problem with θ everywhere and no closed form, for
// derivative checks of the condition itself:
//
//	f = Σ θ₀ xᵢ⁴/4 + θ₁ x₀x₁ + Σ (xᵢ − θ₂)²
//	g₀ = x₀² + θ₃ x₁² − 1,  g₁ = sin(x₂) − θ₀ x₀
//	h₀ = x₀ + x₁ x₂ − θ₁
func nonlinear(hand bool) *Problem {
	p := &Problem{
		Dim: 3, Params: 4, NumIneq: 2, NumEq: 1,
		Objective: func(x, th []float64) float64 {
			var s float64
			for _, v := range x {
				s += th[0]*v*v*v*v/4 + (v-th[2])*(v-th[2])
			}
			return s + th[1]*x[0]*x[1]
		},
		Ineq: func(dst, x, th []float64) {
			dst[0] = x[0]*x[0] + th[3]*x[1]*x[1] - 1
			dst[1] = math.Sin(x[2]) - th[0]*x[0]
		},
		Eq: func(dst, x, th []float64) { dst[0] = x[0] + x[1]*x[2] - th[1] },
	}
	if !hand {
		return p
	}
	p.Grad = func(dst, x, th []float64) {
		for i, v := range x {
			dst[i] = th[0]*v*v*v + 2*(v-th[2])
		}
		dst[0] += th[1] * x[1]
		dst[1] += th[1] * x[0]
	}
	p.IneqJac = func(dst *mat.Dense, x, th []float64) {
		dst.Set(0, 0, 2*x[0])
		dst.Set(0, 1, 2*th[3]*x[1])
		dst.Set(1, 0, -th[0])
		dst.Set(1, 2, math.Cos(x[2]))
	}
	p.IneqTheta = func(dst *mat.Dense, x, th []float64) {
		dst.Set(0, 3, x[1]*x[1])
		dst.Set(1, 0, -x[0])
	}
	p.EqJac = func(dst *mat.Dense, x, th []float64) {
		dst.Set(0, 0, 1)
		dst.Set(0, 1, x[2])
		dst.Set(0, 2, x[1])
	}
	p.EqTheta = func(dst *mat.Dense, x, th []float64) { dst.Set(0, 1, -1) }
	p.Hessian = func(dst *mat.Dense, x, th, l, nu []float64) {
		for i, v := range x {
			dst.Set(i, i, 3*th[0]*v*v+2)
		}
		dst.Set(0, 1, th[1])
		dst.Set(1, 0, th[1])
		dst.Set(0, 0, dst.At(0, 0)+2*l[0])
		dst.Set(1, 1, dst.At(1, 1)+2*th[3]*l[0])
		dst.Set(2, 2, dst.At(2, 2)-math.Sin(x[2])*l[1])
		dst.Set(1, 2, dst.At(1, 2)+nu[0])
		dst.Set(2, 1, dst.At(2, 1)+nu[0])
	}
	p.Mixed = func(dst *mat.Dense, x, th, l, nu []float64) {
		for i, v := range x {
			dst.Set(i, 0, v*v*v)
			dst.Set(i, 2, -2)
		}
		dst.Set(0, 1, x[1])
		dst.Set(1, 1, x[0])
		dst.Set(0, 0, dst.At(0, 0)-l[1])
		dst.Set(1, 3, 2*x[1]*l[0])
	}
	return p
}

// forceActive returns a Solution of p at an arbitrary point, every
// inequality active, skipping the KKT checks: for derivative checks of
// the condition away from solutions.
func forceActive(p *Problem, x, theta []float64) *Solution {
	s := &Solution{X: x, Theta: theta, Lambda: make([]float64, p.NumIneq), Nu: make([]float64, p.NumEq), p: p, ev: newEvaluator(p)}
	for i := range p.NumIneq {
		s.rows = append(s.rows, activeRow{rowIneq, i})
		s.Active = append(s.Active, i)
	}
	return s
}

func TestConditionDerivativesMatchFD(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for trial := range 6 {
		x := randVec(rng, 3)
		theta := []float64{1 + rng.Float64(), rng.NormFloat64(), rng.NormFloat64(), 0.5 + rng.Float64()}
		z := append(slices.Clone(x), rng.Float64(), rng.Float64(), rng.NormFloat64())
		var conds [2]implicit.Condition
		for k, hand := range []bool{true, false} {
			c := condOf(forceActive(nonlinear(hand), x, theta))
			conds[k] = c
			res, err := implicit.Check(c, z, theta, nil)
			require.NoError(t, err)
			tol := 1e-7
			if !hand {
				tol = 1e-5 // second differences of function values
			}
			assert.Less(t, res.Worst(), tol, "trial %d hand %v: %+v", trial, hand, res)
		}
		// Hand derivatives and the finite-difference fallback agree.
		a1, b1, err := conds[0].Linearize(z, theta)
		require.NoError(t, err)
		a2, b2, err := conds[1].Linearize(z, theta)
		require.NoError(t, err)
		requireDenseNear(t, denseOf(a1), denseOf(a2), 1e-6)
		requireDenseNear(t, denseOf(b1), denseOf(b2), 1e-6)
	}
}

func denseOf(op implicit.Operator) *mat.Dense {
	r, c := op.Dims()
	out := mat.NewDense(r, c, nil)
	e := make([]float64, c)
	col := make([]float64, r)
	for j := range c {
		e[j] = 1
		op.Apply(col, e)
		e[j] = 0
		out.SetCol(j, col)
	}
	return out
}

// TestSensitivityAgainstResolve differentiates the ball projection
// through a generic condition and compares with central differences of
// the closed-form solution map computed by gonum's fd.
func TestSensitivityAgainstResolve(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	n := 4
	c := randVec(rng, n)
	r := 0.5 * math.Sqrt(dot(c, c))
	theta := append(slices.Clone(c), r)
	solve := func(th []float64) []float64 {
		nc := math.Sqrt(dot(th[:n], th[:n]))
		x := make([]float64, n)
		for i := range n {
			x[i] = th[n] * th[i] / nc
		}
		return x
	}
	sol, err := NewSolution(ball(n, false), solve(theta), theta, nil)
	require.NoError(t, err)
	J, err := sol.Jacobian()
	require.NoError(t, err)
	want := mat.NewDense(n, n+1, nil)
	fd.Jacobian(want, func(dst, th []float64) { copy(dst, solve(th)) }, theta, &fd.JacobianSettings{Formula: fd.Central})
	requireDenseNear(t, want, J, 1e-6)
}

func TestErrors(t *testing.T) {
	a := []float64{1, 2}
	p := halfspace(a, true)
	theta := []float64{1, 1, 0}
	x := []float64{0.6, -0.8} // aᵀθ − b = 3 > 0: x* = θ − 3/5 a = (0.4, −0.2)
	_, err := NewSolution(p, x, theta, nil)
	require.ErrorIs(t, err, ErrNotKKT, "not stationary")
	_, err = NewSolution(p, []float64{2, 2}, theta, nil)
	require.ErrorIs(t, err, ErrNotKKT, "infeasible")
	// The unconstrained minimizer violates the constraint; a feasible
	// point on the far side of the line has a negative multiplier, dropped,
	// and then fails stationarity.
	_, err = NewSolution(p, []float64{1, -0.5}, theta, nil)
	require.ErrorIs(t, err, ErrNotKKT)
	sol, err := NewSolution(p, []float64{0.4, -0.2}, theta, nil)
	require.NoError(t, err)
	assert.InDelta(t, 0.6, sol.Lambda[0], 1e-12)

	_, err = NewSolution(p, []float64{1}, theta, nil)
	require.ErrorIs(t, err, ErrDims)
	_, err = NewSolution(p, x, []float64{1}, nil)
	require.ErrorIs(t, err, ErrDims)
	_, err = NewSolution(p, []float64{math.NaN(), 0}, theta, nil)
	require.ErrorIs(t, err, ErrNaN)
	_, err = NewSolution(&Problem{Dim: 2}, x, nil, nil)
	require.ErrorIs(t, err, ErrInvalid)
	_, err = NewSolution(&Problem{Dim: 2, Grad: p.Grad, NumIneq: 1}, x, nil, nil)
	require.ErrorIs(t, err, ErrInvalid)
	_, err = NewSolution(&Problem{Dim: 2, Grad: p.Grad, Lower: []float64{1, 1}, Upper: []float64{0, 0}}, x, nil, nil)
	require.ErrorIs(t, err, ErrInvalid)
	bad := halfspace(a, true)
	bad.Ineq = func(dst, x, th []float64) { dst[0] = math.NaN() }
	_, err = NewSolution(bad, []float64{0.4, -0.2}, theta, nil)
	require.ErrorIs(t, err, ErrNaN)
	_, err = sol.VJPX([]float64{1})
	require.ErrorIs(t, err, ErrDims)
	_, err = sol.JVPX([]float64{1})
	require.ErrorIs(t, err, ErrDims)

	// Degenerate: the same constraint twice (LICQ fails).
	dup := halfspace(a, true)
	dup.NumIneq = 2
	dup.Ineq = func(dst, x, th []float64) { dst[0] = dot(a, x) - th[2]; dst[1] = dst[0] }
	dup.IneqJac = func(dst *mat.Dense, x, th []float64) { dst.SetRow(0, a); dst.SetRow(1, a) }
	dup.IneqTheta = func(dst *mat.Dense, x, th []float64) { dst.Set(0, 2, -1); dst.Set(1, 2, -1) }
	sol, err = NewSolution(dup, []float64{0.4, -0.2}, theta, nil)
	require.ErrorIs(t, err, ErrDegenerate)
	require.NotNil(t, sol)
	assert.InDelta(t, 0.6, sol.Lambda[0]+sol.Lambda[1], 1e-12)
	_, err = sol.Jacobian()
	require.Error(t, err, "singular KKT matrix")
	// A ridge makes it usable.
	sol, err = NewSolution(dup, []float64{0.4, -0.2}, theta, &Settings{Implicit: &implicit.Settings{Ridge: 1e-9}})
	require.ErrorIs(t, err, ErrDegenerate)
	J, err := sol.Jacobian()
	require.NoError(t, err)
	assert.InDelta(t, 1-1.0/5, J.At(0, 0), 1e-6)
	assert.False(t, errors.Is(err, ErrNaN))
}

func TestMultiplierJVP(t *testing.T) {
	// Halfspace, active: λ = (aᵀc − b)/‖a‖², so dλ/dθ = (a, −1)/‖a‖².
	rng := rand.New(rand.NewPCG(15, 16))
	a := randVec(rng, 3)
	theta := append(randVec(rng, 3), 0)
	theta[3] = dot(a, theta[:3]) - 1
	aa := dot(a, a)
	x := make([]float64, 3)
	for i := range x {
		x[i] = theta[i] - a[i]/aa
	}
	for _, hand := range []bool{true, false} {
		sol, err := NewSolution(halfspace(a, hand), x, theta, nil)
		require.NoError(t, err)
		for j := range 4 {
			d := make([]float64, 4)
			d[j] = 1
			dl, dn, dlo, dup, err := sol.MultiplierJVP(d)
			require.NoError(t, err)
			want := -1 / aa
			if j < 3 {
				want = a[j] / aa
			}
			assert.InDelta(t, want, dl[0], 1e-6)
			assert.Empty(t, dn)
			assert.Nil(t, dlo)
			assert.Nil(t, dup)
		}
	}
	// Simplex: ν = τ − ... check against central differences of the
	// recovered multiplier.
	theta = []float64{0.9, 0.4, -0.5, 0.1}
	nu := func(th []float64) float64 {
		s, err := NewSolution(simplexProblem(4), projectSimplex(th), th, nil)
		require.NoError(t, err)
		return s.Nu[0]
	}
	sol, err := NewSolution(simplexProblem(4), projectSimplex(theta), theta, nil)
	require.NoError(t, err)
	for j := range 4 {
		d := make([]float64, 4)
		d[j] = 1
		_, dn, dlo, _, err := sol.MultiplierJVP(d)
		require.NoError(t, err)
		require.Len(t, dlo, 4)
		tp, tm := slices.Clone(theta), slices.Clone(theta)
		tp[j] += 1e-6
		tm[j] -= 1e-6
		assert.InDelta(t, (nu(tp)-nu(tm))/2e-6, dn[0], 1e-6, "j=%d", j)
	}
	_, _, _, _, err = sol.MultiplierJVP([]float64{1})
	require.ErrorIs(t, err, ErrDims)
}

func TestCheckDerivativesCatchesWrongHessian(t *testing.T) {
	n := 3
	c := []float64{2, -1, 1}
	nc := math.Sqrt(dot(c, c))
	theta := append(slices.Clone(c), 1)
	x := []float64{c[0] / nc, c[1] / nc, c[2] / nc}
	sol, err := NewSolution(ball(n, true), x, theta, nil)
	require.NoError(t, err)
	res, err := sol.CheckDerivatives()
	require.NoError(t, err)
	assert.Less(t, res.Worst(), 1e-7)
	bad := ball(n, true)
	bad.Hessian = func(dst *mat.Dense, x, th, l, nu []float64) { // forgets the constraint term
		for i := range n {
			dst.Set(i, i, 1)
		}
	}
	sol, err = NewSolution(bad, x, theta, nil)
	require.NoError(t, err)
	res, err = sol.CheckDerivatives()
	require.NoError(t, err)
	assert.Greater(t, res.X, 0.1)
}

func TestJacobianPathsAgree(t *testing.T) {
	// The dense multi-right-hand-side Jacobian and the engine's JVP/VJP
	// paths (LU, GMRES) give the same matrix, for p < n and p > n.
	rng := rand.New(rand.NewPCG(17, 18))
	for _, n := range []int{3, 12} {
		c := randVec(rng, n)
		nc := math.Sqrt(dot(c, c))
		theta := append(slices.Clone(c), 0.7*nc)
		x := make([]float64, n)
		for i := range x {
			x[i] = 0.7 * c[i]
		}
		fast, err := NewSolution(ball(n, true), x, theta, nil)
		require.NoError(t, err)
		J, err := fast.Jacobian()
		require.NoError(t, err)
		for _, m := range []implicit.Method{implicit.DenseLU, implicit.GMRES} {
			sol, err := NewSolution(ball(n, true), x, theta, &Settings{Implicit: &implicit.Settings{Method: m}})
			require.NoError(t, err)
			J2, err := sol.Jacobian()
			require.NoError(t, err)
			requireDenseNear(t, J, J2, 1e-8, m)
		}
	}
}

func TestNoParamsAndFixedVariables(t *testing.T) {
	// Params = 0: Jacobian is empty. A fixed variable (l = u) is handled.
	p := &Problem{
		Dim: 2, Lower: []float64{1, -5}, Upper: []float64{1, 5},
		Grad: func(dst, x, th []float64) { dst[0], dst[1] = 2*x[0]+3, 2*x[1] },
	}
	sol, err := NewSolution(p, []float64{1, 0}, nil, nil)
	require.NoError(t, err)
	assert.Equal(t, []int{0}, sol.ActiveLower)
	assert.InDelta(t, 5, sol.LowerMult[0], 1e-12)
	J, err := sol.Jacobian()
	require.NoError(t, err)
	r, c := J.Dims()
	assert.Zero(t, r*c)
}

// condOf returns the condition of s.Condition alone.
func condOf(s *Solution) implicit.Condition {
	c, _, _ := s.Condition()
	return c
}
