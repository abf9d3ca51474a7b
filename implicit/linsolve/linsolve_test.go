package linsolve

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/mat"
)

func randDense(rng *rand.Rand, r, c int) *mat.Dense {
	m := mat.NewDense(r, c, nil)
	for i := range r {
		for j := range c {
			m.Set(i, j, rng.NormFloat64())
		}
	}
	return m
}

func randVec(rng *rand.Rand, n int) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = rng.NormFloat64()
	}
	return v
}

// spd returns LLᵀ/n + shift·I.
func spd(rng *rand.Rand, n int, shift float64) *mat.SymDense {
	l := randDense(rng, n, n)
	var s mat.SymDense
	s.SymOuterK(1/float64(n), l)
	for i := range n {
		s.SetSym(i, i, s.At(i, i)+shift)
	}
	return &s
}

// nonsym returns a well-conditioned nonsymmetric matrix I·shift + G/√n.
func nonsym(rng *rand.Rand, n int, shift float64) *mat.Dense {
	g := randDense(rng, n, n)
	g.Scale(1/math.Sqrt(float64(n)), g)
	for i := range n {
		g.Set(i, i, g.At(i, i)+shift)
	}
	return g
}

// illCond returns U diag(σ) Vᵀ with singular values spread over [1/κ, 1].
func illCond(rng *rand.Rand, n int, kappa float64, symmetric bool) *mat.Dense {
	var qu, qv mat.QR
	qu.Factorize(randDense(rng, n, n))
	qv.Factorize(randDense(rng, n, n))
	var u, v mat.Dense
	qu.QTo(&u)
	qv.QTo(&v)
	if symmetric {
		v = u
	}
	d := mat.NewDiagDense(n, nil)
	for i := range n {
		d.SetDiag(i, math.Pow(kappa, -float64(i)/float64(n-1)))
	}
	var m mat.Dense
	m.Product(&u, d, v.T())
	return &m
}

func denseSolve(t *testing.T, a mat.Matrix, b []float64) []float64 {
	var x mat.VecDense
	require.NoError(t, x.SolveVec(a, mat.NewVecDense(len(b), b)))
	return x.RawVector().Data
}

func relErr(x, ref []float64) float64 {
	var d, r float64
	for i := range x {
		d += (x[i] - ref[i]) * (x[i] - ref[i])
		r += ref[i] * ref[i]
	}
	return math.Sqrt(d / r)
}

type solverFunc func(ctx context.Context, dst []float64, a Operator, b []float64, s *Settings) (Result, error)

func TestIterativeAgainstDense(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const n = 60
	cases := []struct {
		name string
		a    mat.Matrix
		sym  bool
		tol  float64 // expected relative error of x
		stop float64 // relative residual asked of the solver
	}{
		{"spd", spd(rng, n, 0.5), true, 1e-8, 1e-13},
		{"nonsymmetric", nonsym(rng, n, 2), false, 1e-8, 1e-13},
		// κ = 1e6: the residual cannot go much below ε·κ, and x is accurate to about κ·tol.
		{"ill-conditioned-1e6-symmetric", illCond(rng, n, 1e6, true), true, 1e-3, 1e-10},
		{"ill-conditioned-1e6", illCond(rng, n, 1e6, false), false, 1e-3, 1e-10},
	}
	solvers := map[string]solverFunc{"CG": CG, "NormalCG": NormalCG, "GMRES": GMRES, "BiCGSTAB": BiCGSTAB}
	for _, c := range cases {
		b := randVec(rng, n)
		want := denseSolve(t, c.a, b)
		for name, solve := range solvers {
			if name == "CG" && !c.sym {
				continue
			}
			if name == "NormalCG" && c.tol > 1e-6 {
				continue // squared condition number 1e12: CGNR is not meant for this
			}
			if name == "BiCGSTAB" && c.tol > 1e-6 {
				continue // BiCGSTAB stagnates on spread spectra; GMRES is the robust choice
			}
			t.Run(fmt.Sprintf("%s/%s", c.name, name), func(t *testing.T) {
				x := make([]float64, n)
				res, err := solve(context.Background(), x, NewMatrix(c.a), b, &Settings{Tol: c.stop, MaxIter: 20 * n, Restart: n})
				require.NoError(t, err)
				assert.Less(t, relErr(x, want), c.tol)
				assert.Greater(t, res.Iterations, 0)
				// The reported residual is the true residual.
				if name != "NormalCG" {
					r := make([]float64, n)
					NewMatrix(c.a).Apply(r, x)
					for i := range r {
						r[i] = b[i] - r[i]
					}
					assert.InDelta(t, norm(r)/norm(b), res.Residual, 1e-10+res.Residual)
				}
			})
		}
	}
}

func TestPreconditionedAndWarmStart(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const n = 80
	// Badly scaled SPD matrix: Jacobi fixes the scaling.
	a := spd(rng, n, 1)
	d := make([]float64, n)
	for i := range n {
		d[i] = math.Pow(10, 3*float64(i)/n)
	}
	s := mat.NewSymDense(n, nil)
	for i := range n {
		for j := i; j < n; j++ {
			s.SetSym(i, j, a.At(i, j)*math.Sqrt(d[i]*d[j]))
		}
	}
	b := randVec(rng, n)
	want := denseSolve(t, s, b)
	diag := make([]float64, n)
	for i := range n {
		diag[i] = s.At(i, i)
	}
	x := make([]float64, n)
	plain, err := CG(context.Background(), x, NewMatrix(s), b, &Settings{Tol: 1e-12, MaxIter: 10000})
	require.NoError(t, err)
	pre, err := CG(context.Background(), x, NewMatrix(s), b, &Settings{Tol: 1e-12, Precond: Jacobi(diag)})
	require.NoError(t, err)
	assert.Less(t, relErr(x, want), 1e-8)
	assert.Less(t, pre.Iterations, plain.Iterations, "Jacobi should reduce CG iterations")
	for name, solve := range map[string]solverFunc{"GMRES": GMRES, "BiCGSTAB": BiCGSTAB} {
		_, err := solve(context.Background(), x, NewMatrix(s), b, &Settings{Tol: 1e-12, Precond: Jacobi(diag), MaxIter: 5000})
		require.NoError(t, err, name)
		assert.Less(t, relErr(x, want), 1e-7, name)
	}
	// A warm start at the solution converges at once.
	res, err := GMRES(context.Background(), x, NewMatrix(s), b, &Settings{Tol: 1e-8, WarmStart: want})
	require.NoError(t, err)
	assert.Equal(t, 0, res.Iterations)
}

func TestNonConvergence(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	const n = 50
	a := illCond(rng, n, 1e8, false)
	b := randVec(rng, n)
	for name, solve := range map[string]solverFunc{"CG": CG, "NormalCG": NormalCG, "GMRES": GMRES, "BiCGSTAB": BiCGSTAB} {
		x := make([]float64, n)
		res, err := solve(context.Background(), x, NewMatrix(a), b, &Settings{Tol: 1e-14, MaxIter: 5})
		require.Error(t, err, name)
		assert.True(t, errors.Is(err, ErrNotConverged) || errors.Is(err, ErrBreakdown), "%s: %v", name, err)
		assert.True(t, finite(x), name)
		assert.Greater(t, res.Residual, 1e-14, name)
	}
	// CG on an indefinite matrix breaks down with a clear error.
	ind := mat.NewDiagDense(3, []float64{1, -1, 2})
	x := make([]float64, 3)
	_, err := CG(context.Background(), x, NewMatrix(ind), []float64{1, 1, 1}, nil)
	assert.True(t, errors.Is(err, ErrBreakdown), "%v", err)
	// Shape and NaN errors.
	_, err = GMRES(context.Background(), make([]float64, 2), NewMatrix(ind), []float64{1, 1, 1}, nil)
	assert.True(t, errors.Is(err, ErrDims))
	_, err = BiCGSTAB(context.Background(), x, NewMatrix(ind), []float64{1, math.NaN(), 1}, nil)
	assert.True(t, errors.Is(err, ErrNaN))
}

func TestNeumann(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	const n = 30
	// M = I − W with ‖W‖ ≈ 0.5: the series converges geometrically.
	w := randDense(rng, n, n)
	w.Scale(0.25/math.Sqrt(float64(n)), w)
	m := mat.NewDense(n, n, nil)
	m.Sub(eye(n), w)
	b := randVec(rng, n)
	want := denseSolve(t, m, b)
	x := make([]float64, n)
	res, err := Neumann(context.Background(), x, NewMatrix(m), b, &Settings{Terms: 80, Tol: 1e-12})
	require.NoError(t, err)
	assert.Less(t, relErr(x, want), 1e-11)
	few, err := Neumann(context.Background(), x, NewMatrix(m), b, &Settings{Terms: 3})
	assert.True(t, errors.Is(err, ErrNotConverged))
	assert.Greater(t, few.Residual, res.Residual)
}

func eye(n int) *mat.Dense {
	m := mat.NewDense(n, n, nil)
	for i := range n {
		m.Set(i, i, 1)
	}
	return m
}

func TestFactorizations(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	const n = 40
	a := nonsym(rng, n, 1)
	s := spd(rng, n, 0.1)
	b := randVec(rng, n)
	lu, err := NewLU(a)
	require.NoError(t, err)
	x := make([]float64, n)
	require.NoError(t, lu.Solve(x, b))
	assert.Less(t, relErr(x, denseSolve(t, a, b)), 1e-12)
	require.NoError(t, lu.SolveT(x, b))
	assert.Less(t, relErr(x, denseSolve(t, a.T(), b)), 1e-12)

	ch, err := NewCholesky(s)
	require.NoError(t, err)
	require.NoError(t, ch.Solve(x, b))
	assert.Less(t, relErr(x, denseSolve(t, s, b)), 1e-12)

	// QR least squares against the normal equations.
	tall := randDense(rng, 2*n, n)
	bt := randVec(rng, 2*n)
	qr, err := NewQR(tall)
	require.NoError(t, err)
	require.NoError(t, qr.Solve(x, bt))
	var ata mat.Dense
	ata.Mul(tall.T(), tall)
	atb := make([]float64, n)
	NewMatrix(tall).ApplyT(atb, bt)
	assert.Less(t, relErr(x, denseSolve(t, &ata, atb)), 1e-10)
	// Transposed QR solve: minimum-norm solution of Mᵀy = c.
	y := make([]float64, 2*n)
	c := randVec(rng, n)
	require.NoError(t, qr.SolveT(y, c))
	back := make([]float64, n)
	qr.ApplyT(back, y)
	assert.Less(t, relErr(back, c), 1e-10)

	// Errors.
	sing := mat.NewDense(2, 2, []float64{1, 2, 2, 4})
	_, err = NewLU(sing)
	assert.True(t, errors.Is(err, ErrSingular), "%v", err)
	_, err = NewCholesky(mat.NewSymDense(2, []float64{1, 2, 2, 1}))
	assert.True(t, errors.Is(err, ErrNotPositiveDefinite), "%v", err)
	_, err = NewLU(mat.NewDense(2, 3, nil))
	assert.True(t, errors.Is(err, ErrDims))
	_, err = NewLU(mat.NewDense(1, 1, []float64{math.Inf(1)}))
	assert.True(t, errors.Is(err, ErrNaN))
	assert.True(t, errors.Is(lu.Solve(make([]float64, 3), b), ErrDims))
}

func TestOperatorAlgebra(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	a := randDense(rng, 5, 5)
	b := randDense(rng, 5, 5)
	op := Sum(NewMatrix(a), Scaled(-2, NewMatrix(b)), AddRidge(Zero{5, 5}, 3))
	want := mat.NewDense(5, 5, nil)
	var sb mat.Dense
	sb.Scale(-2, b)
	want.Add(a, &sb)
	want.Add(want, func() *mat.Dense { e := eye(5); e.Scale(3, e); return e }())
	assert.True(t, mat.EqualApprox(Dense(op), want, 1e-14))
	assert.True(t, mat.EqualApprox(DenseT(op), want, 1e-14))
	assert.True(t, mat.EqualApprox(Dense(Transpose(op)), want.T(), 1e-14))
	lu, err := NewLU(a)
	require.NoError(t, err)
	tf, ok := Transpose(lu).(Factorized)
	require.True(t, ok)
	v := randVec(rng, 5)
	x := make([]float64, 5)
	require.NoError(t, tf.Solve(x, v))
	assert.Less(t, relErr(x, denseSolve(t, a.T(), v)), 1e-12)
	assert.Same(t, lu, Transpose(Transpose(lu)))
	f := NewFunc(2, 3, func(dst, v []float64) { dst[0], dst[1] = v[0], v[1]+v[2] }, nil)
	assert.Panics(t, func() { f.ApplyT(make([]float64, 3), []float64{1, 2}) })
	d := Diagonal{2, 4}
	require.NoError(t, d.Solve(x[:2], []float64{2, 2}))
	assert.Equal(t, []float64{1, 0.5}, x[:2])
	assert.True(t, errors.Is(Diagonal{0, 1}.Solve(x[:2], []float64{1, 1}), ErrSingular))
}

// countingOp counts the products of a and calls hook after each.
type countingOp struct {
	a     Operator
	calls int
	hook  func(calls int)
}

func (o *countingOp) Dims() (int, int) { return o.a.Dims() }
func (o *countingOp) Apply(dst, v []float64) {
	o.a.Apply(dst, v)
	o.calls++
	o.hook(o.calls)
}
func (o *countingOp) ApplyT(dst, u []float64) {
	o.a.ApplyT(dst, u)
	o.calls++
	o.hook(o.calls)
}

// Every iterative method stops within one iteration of a cancellation
// (CG, GMRES and Neumann one product, BiCGSTAB and NormalCG two), returns
// an error matching ctx.Err() and leaves a finite iterate in dst; a nil
// ctx is never done.
func TestIterativeCancel(t *testing.T) {
	rng := rand.New(rand.NewPCG(71, 72))
	n := 60
	l := mat.NewDense(n, n, nil)
	for i := range n {
		for j := range n {
			l.Set(i, j, rng.NormFloat64())
		}
	}
	a := mat.NewDense(n, n, nil)
	a.Mul(l, l.T())
	for i := range n {
		a.Set(i, i, a.At(i, i)+1)
	}
	b := make([]float64, n)
	for i := range b {
		b[i] = rng.NormFloat64()
	}
	perIter := map[string]int{"CG": 1, "NormalCG": 2, "GMRES": 1, "BiCGSTAB": 2, "Neumann": 1}
	for _, sv := range solvers {
		for _, at := range []int{1, 3, 7} {
			ctx, cancel := context.WithCancel(context.Background())
			op := &countingOp{a: NewMatrix(a), hook: func(calls int) {
				if calls == at {
					cancel()
				}
			}}
			x := make([]float64, n)
			_, err := sv.f(ctx, x, op, b, &Settings{Tol: 1e-300, MaxIter: 10000, Terms: 10000, Step: 1e-4})
			cancel()
			require.ErrorIs(t, err, context.Canceled, "%s canceled after %d products", sv.name, at)
			assert.LessOrEqual(t, op.calls-at, perIter[sv.name], "%s: products after the cancellation", sv.name)
			assert.True(t, finite(x), sv.name)
		}
		x := make([]float64, n)
		_, err := sv.f(nil, x, NewMatrix(a), b, &Settings{MaxIter: 3, Terms: 3})
		if err != nil {
			require.NotErrorIs(t, err, context.Canceled, sv.name)
		}
	}
}
