// Command design fits the preferences of a constrained resource-allocation
// model to observed decisions: a bilevel problem whose inner problem is a
// nonlinear constrained program solved by NLopt, differentiated through
// its KKT conditions (package solvers/nlp), as DiffOpt.jl does for JuMP
// models.
//
// In each of K scenarios an agent splits a budget B over n activities,
//
//	x*(θ) = argmax Σᵢ wᵢ log(1 + xᵢ/cᵢ)  subject to  Σᵢ xᵢ ≤ B,
//	        Σᵢ rᵢ xᵢ² ≤ R,  x ≥ 0,           wᵢ = exp(θᵢ),
//
// with scenario-specific costs c, risk weights r and limits B, R; the
// preferences θ are shared. Given decisions x̂ₖ observed (with noise) from
// an unknown θ_true, the outer problem is
//
//	minimize L(θ) = (1/K) Σₖ ‖x*ₖ(θ) − x̂ₖ‖²,
//
// solved by gradient descent with backtracking, the gradient coming from
// one VJP per scenario through the KKT system of the NLopt solution. The
// model only sees θ up to an additive constant (scaling w does not move
// the argmax), so errors are measured on centred θ.
//
// The program prints the descent (step, loss, θ error, gradient norm),
// compares the implicit gradient with central finite differences of L
// (re-solving with NLopt) and with the gradient from finite-difference
// second derivatives, times both, and saves a PNG of the descent.
//
// Usage (NLopt is linked only with the build tag):
//
//	go run -tags nlopt ./examples/design [-quick] [-png design.png] [-n 8] [-k 12] [-steps 60]
//
// The full run takes about a second on a 2-core machine, -quick (5
// activities, 6 scenarios, 15 steps) a fraction of one; -steps and -k
// shorten any run.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"math"
	"math/rand/v2"
	"os"
	"time"

	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/internal/parallel"
	"github.com/optlayers/optlayers/internal/plotutil"
	"github.com/optlayers/optlayers/solvers/nlopt"
	"github.com/optlayers/optlayers/solvers/nlp"
)

// scenario is one allocation problem; θ is its parameter vector.
type scenario struct {
	B, R float64
	c, r []float64
}

// problem returns the inner program as an nlp.Problem (a minimization of
// the negated utility). With hand false only values and the gradient are
// given, and second derivatives come from finite differences.
func (sc scenario) problem(hand bool) *nlp.Problem {
	n := len(sc.c)
	p := &nlp.Problem{
		Dim: n, Params: n, NumIneq: 2,
		Lower: make([]float64, n),
		Objective: func(x, th []float64) float64 {
			var u float64
			for i := range x {
				u += math.Exp(th[i]) * math.Log1p(x[i]/sc.c[i])
			}
			return -u
		},
		Grad: func(dst, x, th []float64) {
			for i := range x {
				dst[i] = -math.Exp(th[i]) / (sc.c[i] + x[i])
			}
		},
		Ineq: func(dst, x, th []float64) {
			dst[0], dst[1] = -sc.B, -sc.R
			for i, v := range x {
				dst[0] += v
				dst[1] += sc.r[i] * v * v
			}
		},
		IneqJac: func(dst *mat.Dense, x, th []float64) {
			for i, v := range x {
				dst.Set(0, i, 1)
				dst.Set(1, i, 2*sc.r[i]*v)
			}
		},
	}
	if hand {
		p.IneqTheta = func(dst *mat.Dense, x, th []float64) {} // constraints do not depend on θ
		p.Hessian = func(dst *mat.Dense, x, th, lambda, nu []float64) {
			for i, v := range x {
				d := sc.c[i] + v
				dst.Set(i, i, math.Exp(th[i])/(d*d)+2*lambda[1]*sc.r[i])
			}
		}
		p.Mixed = func(dst *mat.Dense, x, th, lambda, nu []float64) {
			for i, v := range x {
				dst.Set(i, i, -math.Exp(th[i])/(sc.c[i]+v))
			}
		}
	}
	return p
}

var solverSettings = &nlopt.Settings{Algorithm: nlopt.LD_SLSQP, XTolRel: 1e-12}

// model holds the scenarios, the observations and warm starts.
type model struct {
	scen []scenario
	obs  [][]float64
	warm [][]float64
	hand bool
}

// eval returns L(θ) and, if grad is non-nil, sets grad = ∇L(θ). The
// scenarios are solved concurrently; the result does not depend on the
// number of goroutines.
func (m *model) eval(ctx context.Context, theta, grad []float64) (float64, error) {
	k := len(m.scen)
	losses := make([]float64, k)
	grads := make([][]float64, k)
	errs := make([]error, k)
	parallel.For(k, 0, func(s int) {
		sol, _, err := nlopt.SolveNLP(ctx, m.scen[s].problem(m.hand), theta, m.warm[s], solverSettings, nil)
		if err != nil {
			errs[s] = fmt.Errorf("scenario %d: %w", s, err)
			return
		}
		m.warm[s] = sol.X
		g := make([]float64, len(sol.X))
		for i, v := range sol.X {
			d := v - m.obs[s][i]
			losses[s] += d * d
			g[i] = 2 * d
		}
		if grad != nil {
			grads[s], errs[s] = sol.VJPX(g)
		}
	})
	var loss float64
	for s := range k {
		if errs[s] != nil {
			return 0, errs[s]
		}
		loss += losses[s] / float64(k)
	}
	if grad != nil {
		clear(grad)
		for s := range k {
			for j, v := range grads[s] {
				grad[j] += v / float64(k)
			}
		}
	}
	return loss, nil
}

// solveAt returns x*(θ) of every scenario (cold starts).
func solveAt(ctx context.Context, scen []scenario, theta []float64) ([][]float64, error) {
	solve := nlopt.NLPSolver(solverSettings)
	out := make([][]float64, len(scen))
	for s, sc := range scen {
		x, err := solve(ctx, sc.problem(true), theta, nil)
		if err != nil {
			return nil, fmt.Errorf("scenario %d: %w", s, err)
		}
		out[s] = x
	}
	return out, nil
}

func centredError(theta, truth []float64) float64 {
	var mt, mu float64
	for i := range theta {
		mt += theta[i] / float64(len(theta))
		mu += truth[i] / float64(len(theta))
	}
	var s float64
	for i := range theta {
		d := (theta[i] - mt) - (truth[i] - mu)
		s += d * d
	}
	return math.Sqrt(s)
}

func norm(v []float64) float64 {
	var s float64
	for _, x := range v {
		s += x * x
	}
	return math.Sqrt(s)
}

func main() {
	quick := flag.Bool("quick", false, "small smoke run (5 activities, 6 scenarios, 15 steps; well under a second)")
	pngPath := flag.String("png", "design.png", "where to save the PNG")
	n := flag.Int("n", 8, "activities")
	k := flag.Int("k", 12, "scenarios")
	steps := flag.Int("steps", 60, "gradient steps")
	noise := flag.Float64("noise", 0.002, "standard deviation of the observation noise")
	flag.Parse()
	if !nlopt.Available {
		fmt.Println("examples/design needs NLopt: build with -tags nlopt (and cgo, libnlopt-dev)")
		return
	}
	if *quick {
		*n, *k, *steps = 5, 6, 15
	}
	if err := run(*n, *k, *steps, *noise, *pngPath); err != nil {
		log.Fatal(err)
	}
}

func run(n, k, steps int, noise float64, pngPath string) error {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(2026, 9))
	truth := make([]float64, n)
	for i := range truth {
		truth[i] = rng.NormFloat64()
	}
	scen := make([]scenario, k)
	for s := range scen {
		sc := scenario{B: 1 + rng.Float64(), c: make([]float64, n), r: make([]float64, n)}
		for i := range n {
			sc.c[i] = 0.1 + 0.4*rng.Float64()
			sc.r[i] = 0.5 + rng.Float64()
		}
		// Make the risk limit bind in about half of the scenarios.
		sc.R = sc.B * sc.B / float64(n) * (0.8 + 2*rng.Float64())
		scen[s] = sc
	}
	exact, err := solveAt(ctx, scen, truth)
	if err != nil {
		return err
	}
	obs := make([][]float64, k)
	for s := range obs {
		obs[s] = make([]float64, n)
		for i := range n {
			obs[s][i] = exact[s][i] + noise*rng.NormFloat64()
		}
	}
	// Active constraints at the truth, for the record.
	var riskActive, atZero int
	for s, sc := range scen {
		sol, err := nlp.NewSolution(sc.problem(true), exact[s], truth, nil)
		if err != nil {
			return fmt.Errorf("KKT at the truth, scenario %d: %w", s, err)
		}
		for _, a := range sol.Active {
			if a == 1 {
				riskActive++
			}
		}
		atZero += len(sol.ActiveLower)
	}
	fmt.Printf("design: %d activities, %d scenarios, NLopt %v, risk limit active in %d scenarios, %d allocations at zero\n\n",
		n, k, nlopt.LD_SLSQP, riskActive, atZero)

	m := &model{scen: scen, obs: obs, warm: make([][]float64, k), hand: true}
	theta := make([]float64, n) // uniform preferences
	grad := make([]float64, n)

	// Gradient check at the start: implicit vs finite differences of L.
	t0 := time.Now()
	loss, err := m.eval(ctx, theta, grad)
	if err != nil {
		return err
	}
	tImplicit := time.Since(t0)
	fdModel := &model{scen: scen, obs: obs, warm: make([][]float64, k)}
	noHand := &model{scen: scen, obs: obs, warm: make([][]float64, k), hand: false}
	gradFDH := make([]float64, n)
	if _, err := noHand.eval(ctx, theta, gradFDH); err != nil {
		return err
	}
	const h = 1e-3 // the solves are accurate to about 1e-10
	gradFD := make([]float64, n)
	t0 = time.Now()
	for j := range n {
		tp := append([]float64(nil), theta...)
		tp[j] += h
		lp, err := fdModel.evalCold(ctx, tp)
		if err != nil {
			return err
		}
		tp[j] -= 2 * h
		lm, err := fdModel.evalCold(ctx, tp)
		if err != nil {
			return err
		}
		gradFD[j] = (lp - lm) / (2 * h)
	}
	tFD := time.Since(t0)
	fmt.Println("gradient of L at θ = 0")
	fmt.Printf("%4s %14s %14s %14s %12s\n", "j", "implicit", "central FD", "FD Hessian", "|diff FD|")
	var worst float64
	for j := range n {
		d := math.Abs(grad[j] - gradFD[j])
		worst = math.Max(worst, d)
		fmt.Printf("%4d %14.8f %14.8f %14.8f %12.2e\n", j, grad[j], gradFD[j], gradFDH[j], d)
	}
	fmt.Printf("max |implicit − FD| = %.2e (relative %.2e)\n", worst, worst/math.Max(norm(gradFD), 1e-300))
	fmt.Printf("time: implicit gradient %v (%d solves + %d VJPs), finite differences %v (%d solves)\n\n",
		tImplicit.Round(time.Microsecond), k, k, tFD.Round(time.Microsecond), 2*n*k)

	// Gradient descent with backtracking.
	fmt.Printf("%5s %14s %12s %12s %10s\n", "step", "loss", "θ error", "‖∇L‖", "step size")
	var xs, logLoss, logErr []float64
	record := func(step int, loss float64, lr float64, print bool) {
		e := centredError(theta, truth)
		if print {
			fmt.Printf("%5d %14.6e %12.6f %12.4e %10.3g\n", step, loss, e, norm(grad), lr)
		}
		xs = append(xs, float64(step))
		logLoss = append(logLoss, math.Log10(loss))
		logErr = append(logErr, math.Log10(e))
	}
	lr := 1.0
	record(0, loss, 0, true)
	trial := make([]float64, n)
	for step := 1; step <= steps; step++ {
		g2 := norm(grad) * norm(grad)
		accepted := false
		for range 30 {
			for j := range n {
				trial[j] = theta[j] - lr*grad[j]
			}
			lt, err := m.eval(ctx, trial, nil)
			if err == nil && lt <= loss-1e-4*lr*g2 {
				accepted = true
				break
			}
			lr /= 2
		}
		if !accepted {
			fmt.Println("no further decrease along −∇L: converged")
			break
		}
		copy(theta, trial)
		if loss, err = m.eval(ctx, theta, grad); err != nil {
			return err
		}
		record(step, loss, lr, step%max(1, steps/15) == 0 || step == steps)
		lr *= 2
	}
	noiseFloor := noise * noise * float64(n)
	fmt.Printf("\nfinal θ error %.4f (start %.4f); loss %.3e, noise floor ≈ %.3e\n",
		centredError(theta, truth), centredError(make([]float64, n), truth), loss, noiseFloor)
	err = plotutil.Save(pngPath, "Fitting allocation preferences through NLopt + KKT", "gradient step", "log10",
		16, 10,
		plotutil.Series{Name: "log10 loss", X: xs, Y: logLoss},
		plotutil.Series{Name: "log10 θ error (centred)", X: xs, Y: logErr},
	)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "saved %s\n", pngPath)
	return nil
}

// evalCold evaluates L(θ) with cold starts (for finite differences, which
// must not depend on the path of earlier solves).
func (m *model) evalCold(ctx context.Context, theta []float64) (float64, error) {
	for s := range m.warm {
		m.warm[s] = nil
	}
	return m.eval(ctx, theta, nil)
}
