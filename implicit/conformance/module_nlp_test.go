package conformance_test

// The KKT solutions of solvers/nlp, each as an *nlp.Solution (z = (x, λ_A, ν)
// of Solution.Z, θ the problem's parameters, condition the KKT system at the
// active set), with exact solvers (closed forms, Newton) handed to nlp.Solve
// and exact constraint Jacobians (the multipliers are computed from them;
// finite-difference Jacobians would make them noisy at the 1e-11 level,
// too much for the central differences of z = (x, λ_A, ν)):
//
//	solvers/nlp  *nlp.Solution: projection onto a ball of radius θ_r
//	             (θ = (y, r), one active nonlinear inequality), onto a
//	             halfspace aᵀx ≤ b (θ = (y, b)), onto the probability
//	             simplex (θ = y; an equality and active lower bounds), and
//	             an unconstrained quartic (θ = (c, s), no multipliers)

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/optlayers/optlayers/implicit"
	"github.com/optlayers/optlayers/implicit/conformance"
	"github.com/optlayers/optlayers/solvers/nlp"

	"gonum.org/v1/gonum/mat"
)

func TestModuleNLP(t *testing.T) {
	conformance.Run(t, nlpCases())
}

func nlpCase(name string, p *nlp.Problem, solver nlp.Solver, theta []float64) conformance.Case {
	return conformance.Case{
		Name: "nlp/" + name, Theta: theta, Cancelable: true,
		Solve: func(ctx context.Context, th []float64) (implicit.Differentiable, error) {
			sol, err := nlp.Solve(ctx, p, solver, th, nil, nil)
			if err != nil {
				return nil, err
			}
			return sol, nil
		},
	}
}

// distance is ½‖x − y‖² with y = θ[:n].
func distance(n int) (func(x, th []float64) float64, func(dst, x, th []float64)) {
	f := func(x, th []float64) float64 {
		s := 0.0
		for i := range n {
			s += (x[i] - th[i]) * (x[i] - th[i])
		}
		return s / 2
	}
	g := func(dst, x, th []float64) {
		for i := range n {
			dst[i] = x[i] - th[i]
		}
	}
	return f, g
}

func nlpCases() []conformance.Case {
	rng := rand.New(rand.NewPCG(13, 23))
	var cases []conformance.Case

	// Ball: ‖x‖² ≤ r², x* = r y/‖y‖ when ‖y‖ > r.
	const nb = 4
	f, g := distance(nb)
	ball := &nlp.Problem{Dim: nb, Params: nb + 1, NumIneq: 1, Objective: f, Grad: g,
		Ineq: func(dst, x, th []float64) {
			s := 0.0
			for _, v := range x {
				s += v * v
			}
			dst[0] = s - th[nb]*th[nb]
		},
		IneqJac: func(dst *mat.Dense, x, _ []float64) {
			for j, v := range x {
				dst.Set(0, j, 2*v)
			}
		}}
	ballSolver := func(_ context.Context, _ *nlp.Problem, th, _ []float64) ([]float64, error) {
		y, r := th[:nb], th[nb]
		ny := 0.0
		for _, v := range y {
			ny += v * v
		}
		ny = math.Sqrt(ny)
		x := slices.Clone(y)
		if ny > r {
			for i := range x {
				x[i] *= r / ny
			}
		}
		return x, nil
	}
	th := make([]float64, nb+1)
	for i := range nb {
		th[i] = 1.5 * rng.NormFloat64()
	}
	th[nb] = 0.7
	cases = append(cases, nlpCase("ball", ball, ballSolver, th))

	// Halfspace aᵀx ≤ b: x* = y − max(0, aᵀy − b) a/‖a‖².
	const nh = 5
	a := make([]float64, nh)
	for i := range a {
		a[i] = rng.NormFloat64()
	}
	aa := 0.0
	for _, v := range a {
		aa += v * v
	}
	f, g = distance(nh)
	half := &nlp.Problem{Dim: nh, Params: nh + 1, NumIneq: 1, Objective: f, Grad: g,
		Ineq: func(dst, x, th []float64) {
			s := 0.0
			for i := range nh {
				s += a[i] * x[i]
			}
			dst[0] = s - th[nh]
		},
		IneqJac: func(dst *mat.Dense, _, _ []float64) { dst.SetRow(0, a) }}
	halfSolver := func(_ context.Context, _ *nlp.Problem, th, _ []float64) ([]float64, error) {
		s := -th[nh]
		for i := range nh {
			s += a[i] * th[i]
		}
		x := slices.Clone(th[:nh])
		if s > 0 {
			for i := range x {
				x[i] -= s * a[i] / aa
			}
		}
		return x, nil
	}
	th = make([]float64, nh+1)
	for i := range nh {
		th[i] = rng.NormFloat64()
	}
	th[nh] = -1.5 // aᵀy > b for most y: the constraint is active
	for s := 0.0; ; th[nh] -= 1 {
		s = -th[nh]
		for i := range nh {
			s += a[i] * th[i]
		}
		if s > 0.5 {
			break
		}
	}
	cases = append(cases, nlpCase("halfspace", half, halfSolver, th))

	// Simplex: Σx = 1, x ≥ 0; x* = max(y − τ, 0) (sort-based τ).
	const ns = 6
	f, g = distance(ns)
	simplex := &nlp.Problem{Dim: ns, Params: ns, NumEq: 1, Objective: f, Grad: g,
		Lower: make([]float64, ns), Upper: []float64{math.Inf(1), math.Inf(1), math.Inf(1), math.Inf(1), math.Inf(1), math.Inf(1)},
		Eq: func(dst, x, _ []float64) {
			s := -1.0
			for _, v := range x {
				s += v
			}
			dst[0] = s
		},
		EqJac: func(dst *mat.Dense, _, _ []float64) {
			for j := range ns {
				dst.Set(0, j, 1)
			}
		}}
	simplexSolver := func(_ context.Context, _ *nlp.Problem, th, _ []float64) ([]float64, error) {
		u := slices.Clone(th)
		slices.Sort(u)
		slices.Reverse(u)
		cum, tau := 0.0, 0.0
		for k, v := range u {
			cum += v
			if t := (cum - 1) / float64(k+1); v > t {
				tau = t
			}
		}
		x := make([]float64, ns)
		for i, v := range th {
			x[i] = math.Max(v-tau, 0)
		}
		return x, nil
	}
	th = make([]float64, ns)
	for i := range th {
		th[i] = 0.5 * rng.NormFloat64()
	}
	cases = append(cases, nlpCase("simplex", simplex, simplexSolver, th))

	// Unconstrained: f = Σ (xᵢ − cᵢ)⁴/4 + s‖x‖²/2, solved per coordinate by Newton.
	const nq = 3
	quartic := &nlp.Problem{Dim: nq, Params: nq + 1,
		Objective: func(x, th []float64) float64 {
			v := 0.0
			for i := range nq {
				d := x[i] - th[i]
				v += d*d*d*d/4 + th[nq]*x[i]*x[i]/2
			}
			return v
		},
		Grad: func(dst, x, th []float64) {
			for i := range nq {
				d := x[i] - th[i]
				dst[i] = d*d*d + th[nq]*x[i]
			}
		}}
	quarticSolver := func(_ context.Context, _ *nlp.Problem, th, _ []float64) ([]float64, error) {
		x := make([]float64, nq)
		for i := range nq {
			// (x − c)³ + s x = 0: strictly increasing in x, Newton from c.
			xi := th[i]
			for range 100 {
				d := xi - th[i]
				step := (d*d*d + th[nq]*xi) / (3*d*d + th[nq])
				xi -= step
				if math.Abs(step) < 1e-16*math.Max(1, math.Abs(xi)) {
					break
				}
			}
			x[i] = xi
		}
		return x, nil
	}
	th = []float64{rng.NormFloat64(), rng.NormFloat64(), rng.NormFloat64(), 0.8}
	cases = append(cases, nlpCase("unconstrained quartic", quartic, quarticSolver, th))
	return cases
}
