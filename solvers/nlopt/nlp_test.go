//go:build nlopt && cgo

package nlopt

import (
	"context"
	"math"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/solvers/nlp"
)

// tutorialNLP is NLopt's tutorial with θ = (a₁, b₁, a₂, b₂):
// minimize √x₂ subject to (aᵢx₁ + bᵢ)³ − x₂ ≤ 0, x₂ ≥ 0.
func tutorialNLP() *nlp.Problem {
	return &nlp.Problem{
		Dim: 2, Params: 4, NumIneq: 2,
		Lower:     []float64{math.Inf(-1), 0},
		Objective: func(x, th []float64) float64 { return math.Sqrt(x[1]) },
		Grad: func(dst, x, th []float64) {
			dst[0], dst[1] = 0, 0.5/math.Sqrt(x[1])
		},
		Ineq: func(dst, x, th []float64) {
			for i := range 2 {
				u := th[2*i]*x[0] + th[2*i+1]
				dst[i] = u*u*u - x[1]
			}
		},
		IneqJac: func(dst *mat.Dense, x, th []float64) {
			for i := range 2 {
				u := th[2*i]*x[0] + th[2*i+1]
				dst.Set(i, 0, 3*th[2*i]*u*u)
				dst.Set(i, 1, -1)
			}
		},
	}
}

// tutorialJacobian is the closed form: x₁ = (b₂ − b₁)/(a₁ − a₂),
// x₂ = (a₁x₁ + b₁)³.
func tutorialJacobian(th []float64) (x []float64, J *mat.Dense) {
	a1, b1, a2, b2 := th[0], th[1], th[2], th[3]
	d := a1 - a2
	x1 := (b2 - b1) / d
	u := a1*x1 + b1
	dx1 := []float64{-x1 / d, -1 / d, x1 / d, 1 / d}
	J = mat.NewDense(2, 4, nil)
	for j := range 4 {
		du := a1 * dx1[j]
		switch j {
		case 0:
			du += x1
		case 1:
			du++
		}
		J.Set(0, j, dx1[j])
		J.Set(1, j, 3*u*u*du)
	}
	return []float64{x1, u * u * u}, J
}

func TestTutorialSensitivityClosedForm(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	thetas := [][]float64{{2, 0, -1, 1}}
	for range 4 {
		thetas = append(thetas, []float64{2 + 0.3*rng.NormFloat64(), 0.1 * rng.NormFloat64(), -1 + 0.3*rng.NormFloat64(), 1 + 0.1*rng.NormFloat64()})
	}
	for _, alg := range []Algorithm{LD_SLSQP, LD_MMA, LD_CCSAQ} {
		for _, th := range thetas {
			sol, res, err := SolveNLP(context.Background(), tutorialNLP(), th, []float64{1.234, 5.678}, &Settings{Algorithm: alg, XTolRel: 1e-12}, nil)
			require.NoError(t, err, "%v θ=%v", alg, th)
			wantX, wantJ := tutorialJacobian(th)
			assert.InDeltaSlice(t, wantX, res.X, 1e-7)
			assert.Equal(t, []int{0, 1}, sol.Active)
			J, err := sol.Jacobian()
			require.NoError(t, err)
			requireDenseNear(t, wantJ, J, 1e-5, alg, th)
		}
	}
}

// ellipse: a problem without a closed form, θ = (c ∈ R³, r, s):
//
//	minimize ½‖x − c‖² + 0.1 Σ xᵢ⁴ + 0.3 exp(x₀ − x₂)
//	subject to x₀² + 2x₁² + x₂² ≤ r, x₀ + x₁ + x₂ = s.
//
// Only values and the objective gradient are given; the rest is finite
// differences.
func ellipse() *nlp.Problem {
	return &nlp.Problem{
		Dim: 3, Params: 5, NumIneq: 1, NumEq: 1,
		Objective: func(x, th []float64) float64 {
			var f float64
			for i, v := range x {
				f += 0.5*(v-th[i])*(v-th[i]) + 0.1*v*v*v*v
			}
			return f + 0.3*math.Exp(x[0]-x[2])
		},
		Grad: func(dst, x, th []float64) {
			for i, v := range x {
				dst[i] = v - th[i] + 0.4*v*v*v
			}
			e := 0.3 * math.Exp(x[0]-x[2])
			dst[0] += e
			dst[2] -= e
		},
		Ineq: func(dst, x, th []float64) { dst[0] = x[0]*x[0] + 2*x[1]*x[1] + x[2]*x[2] - th[3] },
		Eq:   func(dst, x, th []float64) { dst[0] = x[0] + x[1] + x[2] - th[4] },
	}
}

func TestSensitivityMatchesResolve(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	set := &Settings{Algorithm: LD_SLSQP, XTolRel: 1e-13}
	activeSeen := 0
	for trial := range 4 {
		th := []float64{1 + 0.2*rng.NormFloat64(), 1 + 0.2*rng.NormFloat64(), 0.5 + 0.2*rng.NormFloat64(), 0.2 + 0.05*rng.Float64(), 0.5 + 0.05*rng.NormFloat64()}
		p := ellipse()
		sol, _, err := SolveNLP(context.Background(), p, th, nil, set, nil)
		require.NoError(t, err)
		activeSeen += len(sol.Active)
		J, err := sol.Jacobian()
		require.NoError(t, err)
		// Central differences, re-solving with NLopt from the same cold
		// start (warm starts at x* make SLSQP return x* unchanged at times).
		const h = 1e-3
		fdJ := mat.NewDense(3, 5, nil)
		for j := range 5 {
			tp := append([]float64(nil), th...)
			tp[j] += h
			rp, err := Minimize(context.Background(), mustFromNLP(t, p, tp), []float64{0, 0, 0}, set)
			require.NoError(t, err)
			tp[j] -= 2 * h
			rm, err := Minimize(context.Background(), mustFromNLP(t, p, tp), []float64{0, 0, 0}, set)
			require.NoError(t, err)
			for i := range 3 {
				fdJ.Set(i, j, (rp.X[i]-rm.X[i])/(2*h))
			}
		}
		requireDenseNear(t, fdJ, J, 2e-5, "trial %d", trial)
		// A wrong sign or a missing mixed term would be far off: the
		// Jacobian is not small.
		assert.Greater(t, mat.Norm(J, math.Inf(1)), 0.1)
	}
	assert.GreaterOrEqual(t, activeSeen, 2, "the ellipse constraint should be active in most trials")
}

func mustFromNLP(t *testing.T, p *nlp.Problem, th []float64) *Problem {
	q, err := FromNLP(p, th, 0)
	require.NoError(t, err)
	return q
}

func TestNLPConcurrent(t *testing.T) {
	var wg sync.WaitGroup
	out := make([]*mat.Dense, 16)
	errs := make([]error, 16)
	for k := range out {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sol, _, err := SolveNLP(context.Background(), tutorialNLP(), []float64{2, 0, -1, 1}, []float64{1.234, 5.678}, &Settings{XTolRel: 1e-12}, nil)
			if err != nil {
				errs[k] = err
				return
			}
			out[k], errs[k] = sol.Jacobian()
		}()
	}
	wg.Wait()
	_, want := tutorialJacobian([]float64{2, 0, -1, 1})
	for k := range out {
		require.NoError(t, errs[k])
		requireDenseNear(t, want, out[k], 1e-5)
	}
}

func TestFromNLPErrors(t *testing.T) {
	p := tutorialNLP()
	_, err := FromNLP(p, []float64{1}, 0)
	require.ErrorIs(t, err, ErrInvalidArgs)
	p.Objective = nil
	_, err = FromNLP(p, []float64{2, 0, -1, 1}, 0)
	require.ErrorIs(t, err, ErrInvalidArgs)
	_, err = FromNLP(&nlp.Problem{}, nil, 0)
	require.ErrorIs(t, err, nlp.ErrInvalid)
}

func requireDenseNear(t *testing.T, want, got mat.Matrix, tol float64, msg ...any) {
	t.Helper()
	r, c := want.Dims()
	gr, gc := got.Dims()
	require.Equal(t, [2]int{r, c}, [2]int{gr, gc})
	for i := range r {
		for j := range c {
			require.InDelta(t, want.At(i, j), got.At(i, j), tol, "entry (%d,%d) %v", i, j, msg)
		}
	}
}

// TestAllocationSensitivityWithBounds checks ∂x*/∂θ of the allocation
// problem of examples/design (budget, quadratic risk limit, x ≥ 0, several
// allocations at zero) against central differences of NLopt re-solves,
// with hand and with finite-difference second derivatives.
func TestAllocationSensitivityWithBounds(t *testing.T) {
	const n = 6
	set := &Settings{Algorithm: LD_SLSQP, XTolRel: 1e-13}
	boundsSeen, riskSeen := 0, 0
	for seed := range uint64(4) {
		rng := rand.New(rand.NewPCG(seed, 99))
		theta := make([]float64, n)
		for i := range theta {
			theta[i] = 1.2 * rng.NormFloat64()
		}
		theta[seed] = -4 // a disliked activity: its allocation is zero
		dataSeed := rng.Uint64()
		risk := []float64{0.9, 3, 1.5, 10}[seed] // the risk limit binds or not
		prob := func(hand bool) *nlp.Problem {
			return allocationRisk(n, hand, rand.New(rand.NewPCG(dataSeed, 2)), risk)
		}
		sol, _, err := SolveNLP(context.Background(), prob(true), theta, nil, set, nil)
		require.NoError(t, err)
		t.Logf("seed %d: active %v, at zero %v", seed, sol.Active, sol.ActiveLower)
		boundsSeen += len(sol.ActiveLower)
		riskSeen += len(sol.Active)
		J, err := sol.Jacobian()
		require.NoError(t, err)
		solFD, err := nlp.NewSolution(prob(false), sol.X, theta, nil)
		require.NoError(t, err)
		J2, err := solFD.Jacobian()
		require.NoError(t, err)
		requireDenseNear(t, J, J2, 1e-6, "hand vs FD second derivatives, seed", seed)
		const h = 3e-3 // the re-solves are accurate to ~1e-8 only
		fdJ := mat.NewDense(n, n, nil)
		for j := range n {
			tp := append([]float64(nil), theta...)
			tp[j] += h
			xp, err := NLPSolver(set)(context.Background(), prob(true), tp, nil)
			require.NoError(t, err)
			tp[j] -= 2 * h
			xm, err := NLPSolver(set)(context.Background(), prob(true), tp, nil)
			require.NoError(t, err)
			for i := range n {
				fdJ.Set(i, j, (xp[i]-xm[i])/(2*h))
			}
		}
		requireDenseNear(t, fdJ, J, 1e-5, "seed", seed)
	}
	assert.Positive(t, boundsSeen, "some allocations at zero")
	assert.Positive(t, riskSeen, "budget or risk constraint active")
}
