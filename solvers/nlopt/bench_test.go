//go:build nlopt && cgo

package nlopt

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/solvers/nlp"
)

// BenchmarkTutorial times one solve of NLopt's tutorial problem per
// algorithm (XTolRel 1e-10), reporting evaluations per solve.
func BenchmarkTutorial(b *testing.B) {
	cases := []struct {
		name string
		s    Settings
		box  bool
	}{
		{"LD_MMA", Settings{Algorithm: LD_MMA, XTolRel: 1e-10}, false},
		{"LD_SLSQP", Settings{Algorithm: LD_SLSQP, XTolRel: 1e-10}, false},
		{"LD_CCSAQ", Settings{Algorithm: LD_CCSAQ, XTolRel: 1e-10}, false},
		{"LN_COBYLA", Settings{Algorithm: LN_COBYLA, XTolRel: 1e-10}, false},
		{"AUGLAG_EQ+LD_MMA", Settings{Algorithm: AUGLAG_EQ, XTolRel: 1e-10, Local: &Settings{Algorithm: LD_MMA, XTolRel: 1e-10}}, false},
		{"LN_AUGLAG+LN_COBYLA", Settings{Algorithm: LN_AUGLAG, XTolRel: 1e-10, Local: &Settings{Algorithm: LN_COBYLA, XTolRel: 1e-10}}, false},
		{"GN_ISRES(20000 evals)", Settings{Algorithm: GN_ISRES, MaxEval: 20000, Seed: 1}, true},
		{"GN_ORIG_DIRECT_L(2000 evals)", Settings{Algorithm: GN_ORIG_DIRECT_L, MaxEval: 2000}, true},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			p := tutorial(true)
			x0 := []float64{1.234, 5.678}
			if c.box {
				p.Lower, p.Upper = []float64{-1, 0}, []float64{1, 6}
				x0 = []float64{0.5, 1}
			}
			var res *Result
			var err error
			for b.Loop() {
				res, err = Minimize(context.Background(), p, x0, &c.s)
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(res.Evaluations), "evals/op")
			b.ReportMetric(math.Hypot(res.X[0]-tutorialX[0], res.X[1]-tutorialX[1]), "x-err")
		})
	}
}

// BenchmarkCallback measures the cost of one objective evaluation through
// the cgo trampoline: L-BFGS on a separable quadratic in 2 variables,
// whose own arithmetic is negligible.
func BenchmarkCallback(b *testing.B) {
	p := &Problem{Dim: 2, Objective: func(x, grad []float64) float64 {
		if grad != nil {
			grad[0], grad[1] = 2*(x[0]-1), 20*(x[1]+2)
		}
		return (x[0]-1)*(x[0]-1) + 10*(x[1]+2)*(x[1]+2)
	}}
	s := &Settings{Algorithm: LN_NELDERMEAD, MaxEval: 1000, XTolRel: 1e-300, FTolAbs: -0}
	evals := 0
	for b.Loop() {
		res, err := Minimize(context.Background(), p, []float64{5, 5}, s)
		if err != nil {
			b.Fatal(err)
		}
		evals += res.Evaluations
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(evals), "ns/eval")
}

// allocation is the inner problem of examples/design at size n with random
// data: maximize Σ e^{θᵢ} log(1 + xᵢ/cᵢ) s.t. Σx ≤ B, Σ rᵢxᵢ² ≤ R, x ≥ 0.
func allocation(n int, hand bool, rng *rand.Rand) *nlp.Problem {
	return allocationRisk(n, hand, rng, 0.9)
}

// allocationRisk is allocation with the risk limit R = risk·B²/n.
func allocationRisk(n int, hand bool, rng *rand.Rand, risk float64) *nlp.Problem {
	c, r := make([]float64, n), make([]float64, n)
	for i := range n {
		c[i], r[i] = 0.1+0.4*rng.Float64(), 0.5+rng.Float64()
	}
	B := 1.5
	R := B * B / float64(n) * risk
	p := &nlp.Problem{
		Dim: n, Params: n, NumIneq: 2, Lower: make([]float64, n),
		Objective: func(x, th []float64) float64 {
			var u float64
			for i := range x {
				u += math.Exp(th[i]) * math.Log1p(x[i]/c[i])
			}
			return -u
		},
		Grad: func(dst, x, th []float64) {
			for i := range x {
				dst[i] = -math.Exp(th[i]) / (c[i] + x[i])
			}
		},
		Ineq: func(dst, x, th []float64) {
			dst[0], dst[1] = -B, -R
			for i, v := range x {
				dst[0] += v
				dst[1] += r[i] * v * v
			}
		},
		IneqJac: func(dst *mat.Dense, x, th []float64) {
			for i, v := range x {
				dst.Set(0, i, 1)
				dst.Set(1, i, 2*r[i]*v)
			}
		},
	}
	if hand {
		p.IneqTheta = func(dst *mat.Dense, x, th []float64) {}
		p.Hessian = func(dst *mat.Dense, x, th, l, nu []float64) {
			for i, v := range x {
				d := c[i] + v
				dst.Set(i, i, math.Exp(th[i])/(d*d)+2*l[1]*r[i])
			}
		}
		p.Mixed = func(dst *mat.Dense, x, th, l, nu []float64) {
			for i, v := range x {
				dst.Set(i, i, -math.Exp(th[i])/(c[i]+v))
			}
		}
	}
	return p
}

// BenchmarkSensitivity compares, on the allocation problem with n
// activities and p = n parameters, one NLopt solve, the full Jacobian
// ∂x*/∂θ by the KKT implicit derivative (hand second derivatives, or
// finite-difference ones), one VJP, and the Jacobian by central finite
// differences re-solving with NLopt (2p solves).
func BenchmarkSensitivity(b *testing.B) {
	for _, n := range []int{8, 32} {
		rng := rand.New(rand.NewPCG(uint64(n), 1))
		theta := make([]float64, n)
		for i := range theta {
			theta[i] = 0.5 * rng.NormFloat64()
		}
		seed := rng.Uint64()
		set := &Settings{Algorithm: LD_SLSQP, XTolRel: 1e-12}
		prob := func(hand bool) *nlp.Problem { return allocation(n, hand, rand.New(rand.NewPCG(seed, 2))) }
		x0 := make([]float64, n)
		sol, _, err := SolveNLP(context.Background(), prob(true), theta, x0, set, nil)
		if err != nil {
			b.Fatal(err)
		}
		name := func(s string) string { return s + "/n=" + itoa(n) }
		b.Run(name("solve"), func(b *testing.B) {
			for b.Loop() {
				if _, err := Minimize(context.Background(), mustFrom(b, prob(true), theta), x0, set); err != nil {
					b.Fatal(err)
				}
			}
		})
		for _, hand := range []bool{true, false} {
			label := "jacobian-implicit-hand"
			if !hand {
				label = "jacobian-implicit-fdsecond"
			}
			b.Run(name(label), func(b *testing.B) {
				for b.Loop() {
					s, err := nlp.NewSolution(prob(hand), sol.X, theta, nil)
					if err != nil {
						b.Fatal(err)
					}
					if _, err := s.Jacobian(); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
		b.Run(name("vjp-implicit-hand"), func(b *testing.B) {
			g := make([]float64, n)
			g[0] = 1
			for b.Loop() {
				s, err := nlp.NewSolution(prob(true), sol.X, theta, nil)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := s.VJPX(g); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(name("jacobian-fd-resolve"), func(b *testing.B) {
			const h = 1e-4
			for b.Loop() {
				tp := append([]float64(nil), theta...)
				for j := range n {
					tp[j] = theta[j] + h
					if _, err := Minimize(context.Background(), mustFrom(b, prob(true), tp), sol.X, set); err != nil {
						b.Fatal(err)
					}
					tp[j] = theta[j] - h
					if _, err := Minimize(context.Background(), mustFrom(b, prob(true), tp), sol.X, set); err != nil {
						b.Fatal(err)
					}
					tp[j] = theta[j]
				}
			}
		})
	}
}

func mustFrom(b *testing.B, p *nlp.Problem, th []float64) *Problem {
	q, err := FromNLP(p, th, 0)
	if err != nil {
		b.Fatal(err)
	}
	return q
}

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}
