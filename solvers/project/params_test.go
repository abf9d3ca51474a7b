package project

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/diff/fd"
	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/implicit"
)

// paramJacobians returns ∂P/∂θ formed with ParamJVP (columns) and with
// ParamVJP (rows), and by central differences of Project(WithParams(θ)).
func paramJacobians(t *testing.T, s Parametric, x, y []float64) (jvp, vjp, num *mat.Dense) {
	theta := s.Params()
	n, p := len(y), len(theta)
	jvp, vjp, num = mat.NewDense(n, p, nil), mat.NewDense(n, p, nil), mat.NewDense(n, p, nil)
	e := make([]float64, p)
	col := make([]float64, n)
	for k := range p {
		clear(e)
		e[k] = 1
		require.NoError(t, s.ParamJVP(col, x, y, e))
		jvp.SetCol(k, col)
	}
	u := make([]float64, n)
	row := make([]float64, p)
	for i := range n {
		clear(u)
		u[i] = 1
		require.NoError(t, s.ParamVJP(row, x, y, u))
		vjp.SetRow(i, row)
	}
	fd.Jacobian(num, func(dst, th []float64) {
		ps, err := s.WithParams(th)
		require.NoError(t, err)
		require.NoError(t, ps.Project(dst, y))
	}, theta, &fd.JacobianSettings{Formula: fd.Central, Step: 1e-6})
	return jvp, vjp, num
}

// Derivatives with respect to the set parameters against central
// differences, ParamVJP against the transpose of ParamJVP, and the engine
// on ParamCondition against both.
func TestParamDerivatives(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	checked := map[string]int{}
	for _, n := range []int{1, 3, 6} {
		for trial := range 6 {
			for _, ts := range makeSets(rng, n) {
				ps, ok := ts.set.(Parametric)
				if !ok || ts.name == "Transport" {
					continue // transport: balanced directions only, TestTransportParams
				}
				y := randVec(rng, n, ts.scale*[]float64{0.5, 1, 2}[trial%3])
				if nearKink(t, ts.set, y, 1e-3) {
					continue
				}
				x := make([]float64, n)
				require.NoError(t, ps.Project(x, y))
				jvp, vjp, num := paramJacobians(t, ps, x, y)
				assert.True(t, mat.EqualApprox(jvp, num, 1e-6), "%s n=%d ParamJVP\n%v\nFD\n%v", ts.name, n,
					mat.Formatted(jvp), mat.Formatted(num))
				assert.True(t, mat.EqualApprox(vjp, jvp, 1e-12), "%s n=%d ParamVJP", ts.name, n)
				// Linearity: products with random (signed) vectors match
				// the matrices formed from unit vectors.
				dth := randVec(rng, len(ps.Params()), 1)
				jd := make([]float64, n)
				require.NoError(t, ps.ParamJVP(jd, x, y, dth))
				wantJD := mat.NewVecDense(n, nil)
				wantJD.MulVec(jvp, mat.NewVecDense(len(dth), dth))
				assert.InDeltaSlice(t, wantJD.RawVector().Data, jd, 1e-12, "%s ParamJVP linearity", ts.name)
				uu := randVec(rng, n, 1)
				ju := make([]float64, len(dth))
				require.NoError(t, ps.ParamVJP(ju, x, y, uu))
				wantJU := mat.NewVecDense(len(dth), nil)
				wantJU.MulVec(vjp.T(), mat.NewVecDense(n, uu))
				assert.InDeltaSlice(t, wantJU.RawVector().Data, ju, 1e-12, "%s ParamVJP linearity", ts.name)

				if n > 3 {
					continue // the engine check below is slower; small n suffice
				}
				c, err := ParamCondition(ps, n, 0.5)
				require.NoError(t, err)
				theta := append(append([]float64(nil), y...), ps.Params()...)
				chk, err := implicit.Check(c, x, theta, nil)
				require.NoError(t, err, ts.name)
				assert.Less(t, chk.Worst(), 1e-6, "%s check %+v", ts.name, chk)
				dtheta := randVec(rng, len(theta), 1)
				got, err := implicit.JVP(context.Background(), c, x, theta, dtheta, nil)
				require.NoError(t, err, ts.name)
				want := make([]float64, n)
				tmp := make([]float64, n)
				require.NoError(t, ps.JVP(want, x, y, dtheta[:n]))
				require.NoError(t, ps.ParamJVP(tmp, x, y, dtheta[n:]))
				for i := range want {
					want[i] += tmp[i]
				}
				assert.InDeltaSlice(t, want, got, 1e-9, "%s engine JVP", ts.name)
				u := randVec(rng, n, 1)
				gotT, err := implicit.VJP(context.Background(), c, x, theta, u, nil)
				require.NoError(t, err, ts.name)
				wantT := make([]float64, len(theta))
				require.NoError(t, ps.VJP(wantT[:n], x, y, u))
				require.NoError(t, ps.ParamVJP(wantT[n:], x, y, u))
				assert.InDeltaSlice(t, wantT, gotT, 1e-9, "%s engine VJP", ts.name)
				checked[ts.name]++
			}
		}
	}
	for _, name := range []string{"Box", "Box/one-sided", "LInfBall", "L2Ball", "Hyperplane", "Halfspace",
		"Simplex", "L1Ball", "BoxSection", "CappedSimplex", "Affine", "Polyhedron", "L2Sphere", "L1Sphere",
		"SparseSimplex"} {
		assert.GreaterOrEqual(t, checked[name], 3, name)
	}
}

func TestParamBadInput(t *testing.T) {
	y := []float64{1, 2, 3}
	x := make([]float64, 3)
	for _, s := range []Parametric{Simplex{1}, L1Ball{1}, L2Ball{1}, LInfBall{1}, Box{Lower: []float64{0}},
		Hyperplane{[]float64{1, 1, 1}, 0}, Halfspace{[]float64{1, 1, 1}, 0}, CappedSimplex(1, 1)} {
		require.NoError(t, s.Project(x, y))
		p := len(s.Params())
		assert.ErrorIs(t, s.ParamJVP(make([]float64, 3), x, y, make([]float64, p+1)), ErrDims, "%T", s)
		assert.ErrorIs(t, s.ParamVJP(make([]float64, p), x, y, []float64{1, 2}), ErrDims, "%T", s)
		nan := make([]float64, p)
		nan[0] = 0 / zero()
		assert.ErrorIs(t, s.ParamJVP(make([]float64, 3), x, y, nan), ErrNaN, "%T", s)
		_, err := s.WithParams(make([]float64, p+2))
		assert.ErrorIs(t, err, ErrDims, "%T", s)
	}
}

func zero() float64 { return 0 }

// Transport marginals: derivatives along balanced directions (Σda = Σdb)
// against central differences; ParamVJP is the adjoint of ParamJVP on
// balanced directions.
func TestTransportParams(t *testing.T) {
	rng := rand.New(rand.NewPCG(81, 82))
	m, k := 4, 5
	checked := 0
	for range 10 {
		a, b := randPositive(rng, m, 0.5, 1.5), randPositive(rng, k, 0.5, 1.5)
		floats.Scale(floats.Sum(a)/floats.Sum(b), b)
		tr := Transport{Rows: a, Cols: b}
		y := randVec(rng, m*k, 1)
		if nearKink(t, tr, y, 1e-3) {
			continue
		}
		x := make([]float64, m*k)
		require.NoError(t, tr.Project(x, y))
		// A balanced direction.
		d := randVec(rng, m+k, 1)
		shift := (floats.Sum(d[:m]) - floats.Sum(d[m:])) / float64(m+k)
		for i := range d[:m] {
			d[i] -= shift
		}
		for j := range d[m:] {
			d[m+j] += shift
		}
		require.InDelta(t, floats.Sum(d[:m]), floats.Sum(d[m:]), 1e-12)
		got := make([]float64, m*k)
		require.NoError(t, tr.ParamJVP(got, x, y, d))
		theta := tr.Params()
		const h = 1e-6
		xp, xm := make([]float64, m*k), make([]float64, m*k)
		tp, tm := make([]float64, m+k), make([]float64, m+k)
		floats.AddScaledTo(tp, theta, h, d)
		floats.AddScaledTo(tm, theta, -h, d)
		sp, err := tr.WithParams(tp)
		require.NoError(t, err)
		sm, err := tr.WithParams(tm)
		require.NoError(t, err)
		require.NoError(t, sp.Project(xp, y))
		require.NoError(t, sm.Project(xm, y))
		for i := range got {
			assert.InDelta(t, (xp[i]-xm[i])/(2*h), got[i], 1e-6, "entry %d", i)
		}
		// Adjoint on balanced directions: ⟨u, J d⟩ = ⟨Jᵀu, d⟩.
		u := randVec(rng, m*k, 1)
		gu := make([]float64, m+k)
		require.NoError(t, tr.ParamVJP(gu, x, y, u))
		assert.InDelta(t, floats.Dot(u, got), floats.Dot(gu, d), 1e-10)
		checked++
	}
	assert.GreaterOrEqual(t, checked, 5)
}
