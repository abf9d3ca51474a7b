// Command mpc builds a model-predictive-control layer twice — as a convex
// model (package convex) and as hand-built QP data (package solvers/qp) —
// and checks that both give the same first control u₀(x₀) and the same
// derivative ∂u₀/∂x₀ of the policy, the quantities a learned controller
// backpropagates through (Amos, Jimenez, Sacks, Boots & Kolter,
// "Differentiable MPC for end-to-end planning and control", NeurIPS 2018).
//
// The plant is a double integrator x⁺ = Ax + Bu, the problem
//
//	minimize Σₖ ‖x_{k+1}‖² + ρ‖uₖ‖²  s.t.  x_{k+1} = Axₖ + Buₖ, |uₖ| ≤ 1,
//
// over a horizon of T steps from the parameter x₀.
//
//	go run ./examples/mpc [-png mpc.png]
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/convex"
	"github.com/optlayers/optlayers/internal/plotutil"
	"github.com/optlayers/optlayers/solvers/qp"
)

const (
	T   = 12
	rho = 0.1
	dt  = 0.2
)

var (
	plantA = mat.NewDense(2, 2, []float64{1, dt, 0, 1})
	plantB = mat.NewDense(2, 1, []float64{0.5 * dt * dt, dt})
)

// modelPolicy is the MPC layer as a model: the problem in a dozen lines,
// the derivative from Backward.
func modelPolicy() func(x0 []float64) (u0 float64, du0 []float64) {
	x := convex.NewMatrixVariable("x", 2, T+1)
	u := convex.NewMatrixVariable("u", 1, T)
	x0 := convex.NewParameter("x0", 2)
	A, B := convex.ConstMat(plantA), convex.ConstMat(plantB)
	cons := []*convex.Constraint{x.Submatrix(0, 2, 0, 1).Eq(x0), convex.NormInf(u).Le(convex.Const(1))}
	for k := range T {
		next := A.MatMul(x.Submatrix(0, 2, k, k+1)).Add(B.MatMul(u.At(0, k)))
		cons = append(cons, x.Submatrix(0, 2, k+1, k+2).Eq(next))
	}
	cost := convex.SumSquares(x.Submatrix(0, 2, 1, T+1)).Add(convex.SumSquares(u).Scale(rho))
	pb, err := convex.NewProblem(convex.Minimize(cost), cons...)
	if err != nil {
		log.Fatal(err)
	}
	return func(x0v []float64) (float64, []float64) {
		sol, err := pb.SolveParams(context.Background(), x0v, &convex.Settings{Tol: 1e-10})
		if err != nil {
			log.Fatal(err)
		}
		uv, _ := sol.VarValue(u)
		g := make([]float64, T)
		g[0] = 1
		gr, err := sol.Backward(map[*convex.Variable][]float64{u: g}, nil)
		if err != nil {
			log.Fatal(err)
		}
		return uv[0], gr.Of(x0)
	}
}

// handPolicy is the same layer with the QP data written out: unknowns
// z = (u₀…u_{T−1}, x₁…x_T), the dynamics as equality rows whose right
// side carries Ax₀, the input bounds as 2T inequality rows, and the chain
// rule from ∂/∂b back to x₀ by hand.
func handPolicy() func(x0 []float64) (u0 float64, du0 []float64) {
	n := T + 2*T
	xcol := func(k, i int) int { return T + 2*(k-1) + i } // column of x_k[i], k ≥ 1
	Q := mat.NewSymDense(n, nil)
	for j := range n {
		if j < T {
			Q.SetSym(j, j, 2*rho)
		} else {
			Q.SetSym(j, j, 2)
		}
	}
	Aeq := mat.NewDense(2*T, n, nil)
	for k := range T {
		for i := range 2 {
			r := 2*k + i
			Aeq.Set(r, xcol(k+1, i), 1)
			Aeq.Set(r, k, -plantB.At(i, 0))
			if k > 0 {
				for j := range 2 {
					Aeq.Set(r, xcol(k, j), -plantA.At(i, j))
				}
			}
		}
	}
	G := mat.NewDense(2*T, n, nil)
	h := make([]float64, 2*T)
	for k := range T {
		G.Set(k, k, 1)
		G.Set(T+k, k, -1)
		h[k], h[T+k] = 1, 1
	}
	return func(x0 []float64) (float64, []float64) {
		b := make([]float64, 2*T)
		for i := range 2 {
			b[i] = plantA.At(i, 0)*x0[0] + plantA.At(i, 1)*x0[1]
		}
		sol, err := qp.Solve(context.Background(), &qp.Problem{Q: Q, P: make([]float64, n), A: Aeq, B: b, G: G, H: h}, &qp.Settings{Tol: 1e-10})
		if err != nil {
			log.Fatal(err)
		}
		g := make([]float64, n)
		g[0] = 1
		gr, err := sol.Backward(g, nil, nil)
		if err != nil {
			log.Fatal(err)
		}
		// b₀ = A x₀: ∂/∂x₀ = Aᵀ ∂/∂b₀.
		du := []float64{
			plantA.At(0, 0)*gr.B[0] + plantA.At(1, 0)*gr.B[1],
			plantA.At(0, 1)*gr.B[0] + plantA.At(1, 1)*gr.B[1],
		}
		return sol.X[0], du
	}
}

func main() {
	flag.Bool("quick", false, "accepted for the CI smoke run (the full run is already short)")
	png := flag.String("png", "mpc.png", "where to save u₀ along x₀ = (s, 0) for both layers")
	flag.Parse()
	model, hand := modelPolicy(), handPolicy()
	fmt.Printf("%-12s  %9s %9s  %-20s  %-20s\n", "x₀", "u₀ model", "u₀ QP", "∂u₀/∂x₀ model", "∂u₀/∂x₀ QP")
	z := func(v float64) float64 { // print tiny values (and −0) as 0
		if math.Abs(v) < 5e-9 {
			return 0
		}
		return v
	}
	worst := 0.0
	for _, x0 := range [][]float64{{1, 0}, {0.5, -0.5}, {-2, 1}, {3, 0}, {0.1, 0.2}} {
		um, dm := model(x0)
		uh, dh := hand(x0)
		worst = math.Max(worst, math.Max(math.Abs(um-uh), math.Max(math.Abs(dm[0]-dh[0]), math.Abs(dm[1]-dh[1]))))
		fmt.Printf("(%4.1f, %4.1f)  %9.5f %9.5f  [%8.5f %8.5f]  [%8.5f %8.5f]\n", x0[0], x0[1], um, uh, z(dm[0]), z(dm[1]), z(dh[0]), z(dh[1]))
	}
	fmt.Printf("\nlargest difference between the two layers: %.1e\n", worst)
	sm, sh := plotutil.Series{Name: "u₀, convex model"}, plotutil.Series{Name: "u₀, hand-built QP", Points: true}
	for k := range 41 {
		s := -4 + 0.2*float64(k)
		um, _ := model([]float64{s, 0})
		uh, _ := hand([]float64{s, 0})
		sm.X, sm.Y = append(sm.X, s), append(sm.Y, um)
		sh.X, sh.Y = append(sh.X, s), append(sh.Y, uh)
	}
	if err := plotutil.Save(*png, "MPC policy u₀(x₀) from x₀ = (s, 0)", "s", "u₀", 14, 10, sm, sh); err != nil {
		log.Fatal(err)
	}
}
