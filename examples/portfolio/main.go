// Command portfolio is the robust portfolio layer of cone-diff's
// examples/robustportfolio written as a convex model: a linear model
// predicts expected returns μ̂ = Wx + c from features, the decision is
//
//	maximize μ̂ᵀw − γt  s.t.  ‖Lᵀw‖₂ ≤ t, 1ᵀw = 1, w ≥ 0      (Σ = LLᵀ),
//
// and the model is trained end to end on the realized utility rᵀw − γt
// through layers.Convex (Adam, batches of 20 pairs), on PyEPO's portfolio
// generator (layers/pto.GenPortfolio: 5 features, 20 assets, degree 4,
// noise 1; 500 training and 500 test pairs). It prints the normalized
// test regret Σ[f(w*(r); r) − f(w(μ̂); r)] / Σ|f(w*(r); r)| by epoch,
// from μ̂ = 0. The layer is a dozen lines here; the hand-built version
// writes its cone data and the chain rule by hand.
//
//	go run ./examples/portfolio [-quick] [-png portfolio.png]
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/convex"
	"github.com/optlayers/optlayers/internal/plotutil"
	"github.com/optlayers/optlayers/layers"
	"github.com/optlayers/optlayers/layers/pto"
)

const (
	features, assets = 5, 20
	gamma            = 2.0
)

func main() {
	quick := flag.Bool("quick", false, "2 epochs of 100 pairs")
	png := flag.String("png", "portfolio.png", "where to save the regret curve")
	flag.Parse()
	n, epochs := 500, 8
	if *quick {
		n, epochs = 100, 2
	}
	rng := rand.New(rand.NewPCG(2019, 15))
	cov, x, r, err := pto.GenPortfolio(rng, 2*n, features, assets, 4, 1)
	if err != nil {
		log.Fatal(err)
	}
	var ch mat.Cholesky
	if !ch.Factorize(cov) {
		log.Fatal("covariance not positive definite")
	}
	var L mat.TriDense
	ch.LTo(&L)

	// The layer: θ = μ̂, y = (w, t).
	w := convex.NewVariable("w", assets, convex.Nonneg())
	t := convex.NewVariable("t", 1)
	mu := convex.NewParameter("mu", assets)
	pb, err := convex.NewProblem(convex.Maximize(mu.Dot(w).Sub(t.Scale(gamma))),
		convex.Norm2(convex.ConstMat(L.T()).MatMul(w)).Le(t), w.Sum().Eq(convex.Const(1)))
	if err != nil {
		log.Fatal(err)
	}
	fn, err := layers.NewConvex(pb, []*convex.Parameter{mu}, []*convex.Variable{w, t}, &convex.Settings{Tol: 1e-9})
	if err != nil {
		log.Fatal(err)
	}
	layer := layers.Layer{Func: fn}
	utility := func(y, r []float64) float64 {
		return mat.Dot(mat.NewVecDense(assets, y[:assets]), mat.NewVecDense(assets, r)) - gamma*y[assets]
	}
	decide := func(mus mat.Matrix) *layers.Output {
		o, err := layer.Forward(context.Background(), mus)
		if err != nil {
			log.Fatal(err)
		}
		return o
	}
	xtr, rtr := x.Slice(0, n, 0, features), r.Slice(0, n, 0, assets)
	xte, rte := x.Slice(n, 2*n, 0, features), r.Slice(n, 2*n, 0, assets)
	best := decide(rte) // w*(r): the decision under the realized returns

	// The model μ̂ = Wx + c (W: assets×features) and its test regret.
	W, c := mat.NewDense(assets, features, nil), mat.NewVecDense(assets, nil)
	predict := func(xs mat.Matrix) *mat.Dense {
		rows, _ := xs.Dims()
		var m mat.Dense
		m.Mul(xs, W.T())
		for i := range rows {
			for j := range assets {
				m.Set(i, j, m.At(i, j)+c.AtVec(j))
			}
		}
		return &m
	}
	regret := func() float64 {
		o := decide(predict(xte))
		num, den := 0.0, 0.0
		for i := range n {
			fb := utility(best.Y.RawRowView(i), rte.(*mat.Dense).RawRowView(i))
			num += fb - utility(o.Y.RawRowView(i), rte.(*mat.Dense).RawRowView(i))
			den += math.Abs(fb)
		}
		return 100 * num / den
	}
	curve := plotutil.Series{Name: "end to end from μ̂ = 0", X: []float64{0}, Y: []float64{regret()}}
	fmt.Printf("epoch 0: test regret %.2f %%\n", curve.Y[0])

	theta := append(append([]float64(nil), W.RawMatrix().Data...), c.RawVector().Data...)
	m1, m2 := make([]float64, len(theta)), make([]float64, len(theta))
	step, batch := 0, 20
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	for ep := 1; ep <= epochs; ep++ {
		rng.Shuffle(n, func(i, j int) { order[i], order[j] = order[j], order[i] })
		for b0 := 0; b0 < n; b0 += batch {
			idx := order[b0:min(b0+batch, n)]
			xb, rb := mat.NewDense(len(idx), features, nil), mat.NewDense(len(idx), assets, nil)
			for k, i := range idx {
				xb.SetRow(k, xtr.(*mat.Dense).RawRowView(i))
				rb.SetRow(k, rtr.(*mat.Dense).RawRowView(i))
			}
			o := decide(predict(xb))
			gy := mat.NewDense(len(idx), assets+1, nil) // ∂(−utility)/∂(w, t) = (−r, γ)
			for k := range idx {
				for j := range assets {
					gy.Set(k, j, -rb.At(k, j)/float64(len(idx)))
				}
				gy.Set(k, assets, gamma/float64(len(idx)))
			}
			gmu, err := o.Backward(context.Background(), gy)
			if err != nil {
				log.Fatal(err)
			}
			var gW mat.Dense
			gW.Mul(gmu.T(), xb) // ∂/∂W = Σ gμ̂ xᵀ, ∂/∂c = Σ gμ̂
			g := append(append([]float64(nil), gW.RawMatrix().Data...), make([]float64, assets)...)
			for j := range assets {
				g[assets*features+j] = mat.Sum(gmu.ColView(j))
			}
			step++
			for i := range theta { // Adam, lr 3e-4
				m1[i] = 0.9*m1[i] + 0.1*g[i]
				m2[i] = 0.999*m2[i] + 0.001*g[i]*g[i]
				theta[i] -= 3e-4 * (m1[i] / (1 - math.Pow(0.9, float64(step)))) / (math.Sqrt(m2[i]/(1-math.Pow(0.999, float64(step)))) + 1e-12)
			}
			copy(W.RawMatrix().Data, theta[:assets*features])
			copy(c.RawVector().Data, theta[assets*features:])
		}
		curve.X, curve.Y = append(curve.X, float64(ep)), append(curve.Y, regret())
		fmt.Printf("epoch %d: test regret %.2f %%\n", ep, curve.Y[ep])
	}
	if err := plotutil.Save(*png, "convex portfolio layer: test regret", "epoch", "normalized regret (%)", 14, 10, curve); err != nil {
		log.Fatal(err)
	}
}
