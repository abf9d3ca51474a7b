// Command robustportfolio trains a robust portfolio layer end to end: a
// linear model predicts the assets' expected returns μ̂ from features, the
// decision is the second-order-cone program
//
//	maximize μ̂ᵀw − γ‖Lᵀw‖₂  subject to  1ᵀw = 1, w ≥ 0      (Σ = LLᵀ)
//
// (a mean–risk portfolio whose risk is the standard deviation, which is
// also the worst case of μᵀw over the uncertainty ellipsoid
// {μ̂ + γLu : ‖u‖ ≤ 1}), and the model is trained on the decision's
// realized utility rᵀw − γ‖Lᵀw‖ through the derivative of the cone program
// (cone.Solution.VJP), not on the accuracy of μ̂.
//
// Data: PyEPO's portfolio generator (layers/pto.GenPortfolio: 5 features,
// 20 assets, polynomial degree 4, noise level 1), 500 training and 500
// test pairs. Training runs Adam on the decision loss −(rᵀw − γt) of each
// training pair: the solution x = (w, t) of the cone program gives the
// cotangent ∂loss/∂x = (−r, γ), and the VJP returns the gradient with
// respect to the cost vector p = (−μ̂, γ), hence μ̂ and the model. The
// model never sees a return as a regression target. Two runs: from
// μ̂ = 0 (the minimum-risk portfolio whatever the features) and from the
// two-stage model (least squares of the returns on the features). The
// program prints the normalized test regret Σ [f(w*(r); r) − f(w(μ̂); r)] /
// Σ |f(w*(r); r)| (f(w; r) = rᵀw − γ‖Lᵀw‖, w*(r) the decision under the
// realized returns) before and after training, and saves a PNG of the
// regret by epoch. On this generator the end-to-end model trained from
// μ̂ = 0 reaches the regret of the two-stage model (20.3 % → 4.7 %, least
// squares 4.65 %), and fine-tuning the two-stage model does not improve it
// further (4.75 %): the linear model's least-squares fit is already close
// to the best linear decision rule here.
//
//	go run ./examples/robustportfolio [-quick] [-png robustportfolio.png] [-epochs 8] [-n 500] [-gamma 2] [-lr 3e-4] [-deg 4]
//
// The full run (two trainings of 8 epochs, one cone program of 21
// variables and 42 rows per pair and epoch on every core) takes 15–20 s on
// a 2-core machine and prints a line per epoch to stderr as it goes;
// -quick (2 epochs of 100 pairs) about a second.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"sync"
	"time"

	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/internal/plotutil"
	"github.com/optlayers/optlayers/layers/pto"
	"github.com/optlayers/optlayers/solvers/cone"
	"github.com/optlayers/optlayers/sparse"
)

// layer is the cone program with x = (w, t), for fixed Σ = LLᵀ and γ:
//
//	minimize −μ̂ᵀw + γt  s.t.  1ᵀw + s₀ = 1 (s₀ ∈ {0}),  −w + s = 0 (s ≥ 0),
//	                          (−t, −Lᵀw) + s = 0 (s ∈ second-order cone).
type layer struct {
	m     int // assets
	gamma float64
	a     *sparse.CSC
	b     []float64
	k     *cone.Product
}

func newLayer(cov *mat.SymDense, gamma float64) (*layer, error) {
	m := cov.SymmetricDim()
	var ch mat.Cholesky
	if !ch.Factorize(cov) {
		return nil, fmt.Errorf("the covariance is not positive definite")
	}
	var l mat.TriDense
	ch.LTo(&l)
	rows := 1 + m + 1 + m
	a := mat.NewDense(rows, m+1, nil)
	for j := range m {
		a.Set(0, j, 1)     // budget
		a.Set(1+j, j, -1)  // long only
		for i := range m { // rows 2+m+i: −(Lᵀw)ᵢ = −Σⱼ L_ji wⱼ
			if v := l.At(j, i); v != 0 {
				a.Set(2+m+i, j, -v)
			}
		}
	}
	a.Set(1+m, m, -1) // the SOC's first entry is t
	sa, err := sparse.FromDense(a)
	if err != nil {
		return nil, err
	}
	b := make([]float64, rows)
	b[0] = 1
	k, err := cone.NewProduct(cone.Zero{N: 1}, cone.Nonnegative{N: m}, cone.SecondOrder{N: m + 1})
	if err != nil {
		return nil, err
	}
	return &layer{m: m, gamma: gamma, a: sa, b: b, k: k}, nil
}

// decide solves the layer for the predicted returns mu.
func (ly *layer) decide(ctx context.Context, mu []float64) (*cone.Solution, error) {
	p := make([]float64, ly.m+1)
	for j, v := range mu {
		p[j] = -v
	}
	p[ly.m] = ly.gamma
	sol, err := cone.Solve(ctx, &cone.Problem{P: p, A: ly.a, B: ly.b, K: ly.k}, &cone.Settings{Tol: 1e-9, Workers: 1})
	if err != nil {
		return nil, err
	}
	return sol, nil
}

// utility is f(w; r) = rᵀw − γt with t = ‖Lᵀw‖ at the solution.
func (ly *layer) utility(sol *cone.Solution, r []float64) float64 {
	u := -ly.gamma * sol.X[ly.m]
	for j, v := range r {
		u += v * sol.X[j]
	}
	return u
}

// model is μ̂ = W x + c.
type model struct {
	m, p  int
	theta []float64 // W (m×p, by rows), then c (m)
}

func (md *model) predict(x []float64) []float64 {
	mu := make([]float64, md.m)
	for i := range md.m {
		v := md.theta[md.m*md.p+i]
		for j := range md.p {
			v += md.theta[i*md.p+j] * x[j]
		}
		mu[i] = v
	}
	return mu
}

// leastSquares fits W, c to the returns (the two-stage baseline).
func leastSquares(x, r *mat.Dense) *model {
	n, p := x.Dims()
	_, m := r.Dims()
	xa := mat.NewDense(n, p+1, nil)
	for i := range n {
		for j := range p {
			xa.Set(i, j, x.At(i, j))
		}
		xa.Set(i, p, 1)
	}
	var beta mat.Dense // (p+1)×m
	if err := beta.Solve(xa, r); err != nil {
		log.Fatal(err)
	}
	md := &model{m: m, p: p, theta: make([]float64, m*p+m)}
	for i := range m {
		for j := range p {
			md.theta[i*p+j] = beta.At(j, i)
		}
		md.theta[m*p+i] = beta.At(p, i)
	}
	return md
}

// parallel runs f(i) for i < n on the machine's cores; the first error wins.
func parallel(n int, f func(i int) error) error {
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		next int
		ferr error
	)
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				i := next
				next++
				stop := ferr != nil
				mu.Unlock()
				if i >= n || stop {
					return
				}
				if err := f(i); err != nil {
					mu.Lock()
					if ferr == nil {
						ferr = err
					}
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	return ferr
}

// regret returns the normalized test regret of md's decisions (best[i] is
// f(w*(rᵢ); rᵢ), precomputed).
func regret(ctx context.Context, ly *layer, md *model, x, r *mat.Dense, best []float64) (float64, error) {
	n, _ := x.Dims()
	reg := make([]float64, n)
	err := parallel(n, func(i int) error {
		sol, err := ly.decide(ctx, md.predict(x.RawRowView(i)))
		if err != nil {
			return fmt.Errorf("test pair %d: %w", i, err)
		}
		reg[i] = best[i] - ly.utility(sol, r.RawRowView(i))
		return nil
	})
	num, den := 0.0, 0.0
	for i := range n {
		num += reg[i]
		den += math.Abs(best[i])
	}
	return num / den, err
}

type adam struct {
	lr, b1, b2 float64
	m, v       []float64
	t          int
}

func (a *adam) step(theta, g []float64) {
	a.t++
	c1, c2 := 1-math.Pow(a.b1, float64(a.t)), 1-math.Pow(a.b2, float64(a.t))
	for i := range g {
		a.m[i] = a.b1*a.m[i] + (1-a.b1)*g[i]
		a.v[i] = a.b2*a.v[i] + (1-a.b2)*g[i]*g[i]
		theta[i] -= a.lr * (a.m[i] / c1) / (math.Sqrt(a.v[i]/c2) + 1e-12)
	}
}

// run holds what main's training runs share.
type run struct {
	ctx        context.Context
	ly         *layer
	xtr, rtr   *mat.Dense
	xte, rte   *mat.Dense
	best       []float64
	lr         float64
	batch      int
	rng        *rand.Rand
	start      time.Time
	assets, nf int
}

// train runs Adam on the decision loss from md and returns the test regret
// (%) before training and after each epoch.
func (rn *run) train(name string, md *model, epochs int) ([]float64, error) {
	reg, err := regret(rn.ctx, rn.ly, md, rn.xte, rn.rte, rn.best)
	if err != nil {
		return nil, err
	}
	regs := []float64{100 * reg}
	fmt.Fprintf(os.Stderr, "%s, epoch 0: test regret %.2f %% (%.1f s)\n", name, 100*reg, time.Since(rn.start).Seconds())
	n, _ := rn.xtr.Dims()
	opt := &adam{lr: rn.lr, b1: 0.9, b2: 0.999, m: make([]float64, len(md.theta)), v: make([]float64, len(md.theta))}
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	p, assets := rn.nf, rn.assets
	for ep := 1; ep <= epochs; ep++ {
		rn.rng.Shuffle(n, func(i, j int) { order[i], order[j] = order[j], order[i] })
		lossSum := 0.0
		for b0 := 0; b0 < n; b0 += rn.batch {
			idx := order[b0:min(b0+rn.batch, n)]
			grads := make([][]float64, len(idx))
			losses := make([]float64, len(idx))
			err := parallel(len(idx), func(k int) error {
				i := idx[k]
				xi, ri := rn.xtr.RawRowView(i), rn.rtr.RawRowView(i)
				sol, err := rn.ly.decide(rn.ctx, md.predict(xi))
				if err != nil {
					return err
				}
				losses[k] = -rn.ly.utility(sol, ri)
				// ∂loss/∂x = (−r, γ) on x = (w, t); nothing on y, s.
				l := sol.Layout()
				g := make([]float64, l.LenZ())
				for j, v := range ri {
					g[j] = -v
				}
				g[assets] = rn.ly.gamma
				dth := make([]float64, l.Len())
				if err := sol.VJP(dth, g); err != nil {
					return err
				}
				_, dp, _, _, err := l.Parts(dth)
				if err != nil {
					return err
				}
				// p = (−μ̂, γ): ∂loss/∂μ̂ = −∂loss/∂p; μ̂ = W x + c.
				gm := make([]float64, len(md.theta))
				for a := range assets {
					gmu := -dp[a]
					for j := range p {
						gm[a*p+j] = gmu * xi[j]
					}
					gm[assets*p+a] = gmu
				}
				grads[k] = gm
				return nil
			})
			if err != nil {
				return nil, err
			}
			g := make([]float64, len(md.theta))
			for k, gk := range grads {
				lossSum += losses[k]
				for j, v := range gk {
					g[j] += v / float64(len(idx))
				}
			}
			opt.step(md.theta, g)
		}
		reg, err := regret(rn.ctx, rn.ly, md, rn.xte, rn.rte, rn.best)
		if err != nil {
			return nil, err
		}
		regs = append(regs, 100*reg)
		fmt.Fprintf(os.Stderr, "%s, epoch %d/%d: training loss %.5f, test regret %.2f %% (%.1f s)\n",
			name, ep, epochs, lossSum/float64(n), 100*reg, time.Since(rn.start).Seconds())
	}
	return regs, nil
}

func main() {
	quick := flag.Bool("quick", false, "smoke run: 2 epochs of 100 training and 100 test pairs")
	png := flag.String("png", "robustportfolio.png", "where to save the regret-by-epoch figure")
	epochs := flag.Int("epochs", 8, "training epochs")
	ntrain := flag.Int("n", 500, "training (and test) pairs")
	gamma := flag.Float64("gamma", 2, "risk aversion γ (the radius of the uncertainty ellipsoid)")
	lr := flag.Float64("lr", 3e-4, "Adam learning rate")
	batch := flag.Int("batch", 20, "pairs per Adam step")
	deg := flag.Int("deg", 4, "polynomial degree of the generator (1: the linear model is well specified)")
	flag.Parse()
	if *quick {
		*epochs, *ntrain = 2, 100
	}
	const features, assets = 5, 20
	rn := &run{ctx: context.Background(), lr: *lr, batch: *batch, rng: rand.New(rand.NewPCG(2019, 15)),
		start: time.Now(), assets: assets, nf: features}
	cov, x, r, err := pto.GenPortfolio(rn.rng, 2**ntrain, features, assets, *deg, 1)
	if err != nil {
		log.Fatal(err)
	}
	n := *ntrain
	rn.xtr, rn.rtr = x.Slice(0, n, 0, features).(*mat.Dense), r.Slice(0, n, 0, assets).(*mat.Dense)
	rn.xte, rn.rte = x.Slice(n, 2*n, 0, features).(*mat.Dense), r.Slice(n, 2*n, 0, assets).(*mat.Dense)
	if rn.ly, err = newLayer(cov, *gamma); err != nil {
		log.Fatal(err)
	}
	// The best decision under the realized returns, for the regret.
	rn.best = make([]float64, n)
	if err := parallel(n, func(i int) error {
		sol, err := rn.ly.decide(rn.ctx, rn.rte.RawRowView(i))
		if err != nil {
			return err
		}
		rn.best[i] = rn.ly.utility(sol, rn.rte.RawRowView(i))
		return nil
	}); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("robust portfolio layer: %d assets, γ = %g, %d training and %d test pairs (PyEPO generator, degree %d)\n",
		assets, *gamma, n, n, *deg)

	// From scratch: μ̂ = 0 (the minimum-risk portfolio whatever the features).
	zero := &model{m: assets, p: features, theta: make([]float64, assets*features+assets)}
	scratch, err := rn.train("from scratch", zero, *epochs)
	if err != nil {
		log.Fatal(err)
	}
	// Fine-tuning the two-stage model (least squares of r on x).
	tuned, err := rn.train("from least squares", leastSquares(rn.xtr, rn.rtr), *epochs)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("\ntest normalized regret (%%)        before   after %d epochs\n", *epochs)
	fmt.Printf("  μ̂ = 0, trained end to end       %6.2f   %6.2f\n", scratch[0], scratch[len(scratch)-1])
	fmt.Printf("  two-stage least squares, tuned  %6.2f   %6.2f\n", tuned[0], tuned[len(tuned)-1])
	fmt.Printf("total wall time %.1f s\n", time.Since(rn.start).Seconds())
	ep := make([]float64, len(scratch))
	for i := range ep {
		ep[i] = float64(i)
	}
	if err := plotutil.Save(*png, "robust portfolio layer: test regret", "epoch", "normalized regret (%)", 14, 10,
		plotutil.Series{Name: "end to end from μ̂ = 0", X: ep, Y: scratch},
		plotutil.Series{Name: "end to end from least squares", X: ep, Y: tuned}); err != nil {
		log.Fatal(err)
	}
	fmt.Println("saved", *png)
}
