package implicit

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/implicit/linsolve"
)

// weightedRidge is F(w, λ) = (XᵀX/m + diag λ) w − Xᵀy/m, one λ per feature,
// with the Hessian formed once (dense) and ∂θF = diag(w).
type weightedRidge struct {
	xtx *mat.SymDense
	xty []float64
}

func newWeightedRidge(rng *rand.Rand, m, n int) (*weightedRidge, []float64, []float64) {
	x := randDense(rng, m, n)
	y := randVec(rng, m)
	xtx := mat.NewSymDense(n, nil)
	xtx.SymOuterK(1/float64(m), x.T())
	var xty mat.VecDense
	xty.MulVec(x.T(), mat.NewVecDense(m, y))
	xty.ScaleVec(1/float64(m), &xty)
	lambda := make([]float64, n)
	for i := range lambda {
		lambda[i] = 0.05 + 0.1*rng.Float64()
	}
	r := &weightedRidge{xtx: xtx, xty: xty.RawVector().Data}
	h := r.hessian(lambda)
	var w mat.VecDense
	if err := w.SolveVec(h, mat.NewVecDense(n, r.xty)); err != nil {
		panic(err)
	}
	return r, w.RawVector().Data, lambda
}

func (r *weightedRidge) Dims() (int, int) { n := len(r.xty); return n, n }

func (r *weightedRidge) hessian(lambda []float64) *mat.SymDense {
	h := mat.NewSymDense(len(lambda), nil)
	h.CopySym(r.xtx)
	for i, l := range lambda {
		h.SetSym(i, i, h.At(i, i)+l)
	}
	return h
}

func (r *weightedRidge) Residual(dst, w, lambda []float64) {
	n := len(w)
	mat.NewVecDense(n, dst).MulVec(r.hessian(lambda), mat.NewVecDense(n, w))
	for i := range dst {
		dst[i] -= r.xty[i]
	}
}

func (r *weightedRidge) Linearize(w, lambda []float64) (Operator, Operator, error) {
	return linsolve.NewMatrix(r.hessian(lambda)), linsolve.Diagonal(append([]float64(nil), w...)), nil
}

// BenchmarkRidgeVJPvsJacobian compares one VJP (the gradient of a scalar
// criterion with respect to 1000 per-feature λ) with forming the dense
// 1000×1000 Jacobian.
func BenchmarkRidgeVJPvsJacobian(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	const m, n = 2000, 1000
	r, w, lambda := newWeightedRidge(rng, m, n)
	g := randVec(rng, n)
	for _, method := range []Method{DenseCholesky, CG} {
		b.Run(fmt.Sprintf("VJP/%v", method), func(b *testing.B) {
			s := &Settings{Method: method, Tol: 1e-10}
			for b.Loop() {
				if _, err := VJP(context.Background(), r, w, lambda, g, s); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("Jacobian/DenseCholesky", func(b *testing.B) {
		s := &Settings{Method: DenseCholesky}
		for b.Loop() {
			if _, err := Jacobian(context.Background(), r, w, lambda, s); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkLinearSolvers times one solve with an SPD matrix LLᵀ/n + 0.1·I
// (condition number about 40) and a nonsymmetric I + G/(2√n), by dense
// factorization and by Krylov methods, to place the Auto crossover.
func BenchmarkLinearSolvers(b *testing.B) {
	for _, n := range []int{50, 100, 200, 400, 800, 1600} {
		rng := rand.New(rand.NewPCG(uint64(n), 7))
		l := randDense(rng, n, n)
		s := mat.NewSymDense(n, nil)
		s.SymOuterK(1/float64(n), l)
		for i := range n {
			s.SetSym(i, i, s.At(i, i)+0.1)
		}
		g := randDense(rng, n, n)
		g.Scale(0.5/math.Sqrt(float64(n)), g)
		for i := range n {
			g.Set(i, i, g.At(i, i)+1)
		}
		rhs := randVec(rng, n)
		x := make([]float64, n)
		set := &linsolve.Settings{Tol: 1e-10}
		b.Run(fmt.Sprintf("SPD/n=%d/LU", n), func(b *testing.B) {
			for b.Loop() {
				f, err := linsolve.NewLU(s)
				if err != nil {
					b.Fatal(err)
				}
				_ = f.Solve(x, rhs)
			}
		})
		b.Run(fmt.Sprintf("SPD/n=%d/Cholesky", n), func(b *testing.B) {
			for b.Loop() {
				f, err := linsolve.NewCholesky(s)
				if err != nil {
					b.Fatal(err)
				}
				_ = f.Solve(x, rhs)
			}
		})
		b.Run(fmt.Sprintf("SPD/n=%d/CG", n), func(b *testing.B) {
			for b.Loop() {
				if _, err := linsolve.CG(context.Background(), x, linsolve.NewMatrix(s), rhs, set); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("Nonsym/n=%d/LU", n), func(b *testing.B) {
			for b.Loop() {
				f, err := linsolve.NewLU(g)
				if err != nil {
					b.Fatal(err)
				}
				_ = f.Solve(x, rhs)
			}
		})
		b.Run(fmt.Sprintf("Nonsym/n=%d/GMRES", n), func(b *testing.B) {
			for b.Loop() {
				if _, err := linsolve.GMRES(context.Background(), x, linsolve.NewMatrix(g), rhs, set); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("Nonsym/n=%d/BiCGSTAB", n), func(b *testing.B) {
			for b.Loop() {
				if _, err := linsolve.BiCGSTAB(context.Background(), x, linsolve.NewMatrix(g), rhs, set); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
