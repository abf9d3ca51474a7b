// Command imaml runs implicit model-agnostic meta-learning (iMAML,
// Rajeswaran, Finn, Kakade & Levine, NeurIPS 2019) on few-shot sinusoid
// regression (Finn, Abbeel & Levine, ICML 2017) with a GoMLX MLP, and
// compares its meta-gradient with first-order MAML and with unrolled
// differentiation through the same inner steps.
//
// A task is y = A sin(x − φ), A ∈ [0.1, 5], φ ∈ [0, π], x ∈ [−5, 5], seen
// through K = 10 support points and judged on 10 query points. The model
// is an MLP 1 → 40 → 40 → 1 (ReLU). Adaptation to a task is the inner
// problem
//
//	ϕ*(θ) = argmin_ϕ L_support(ϕ) + (λ/2)‖ϕ − θ‖²,
//
// solved approximately by k steps of gradient descent from ϕ = θ (one
// GoMLX graph). The meta-objective is the query loss L_query(ϕ*(θ)),
// averaged over a meta-batch of tasks, minimized by Adam. Its gradient:
//
//   - iMAML: by the implicit function theorem on the inner problem's
//     stationarity condition, dϕ*/dθ = (I + ∇²L_support/λ)⁻¹, so the
//     meta-gradient g solves (I + ∇²L_support(ϕ)/λ) g = ∇L_query(ϕ),
//     by conjugate gradients (implicit/linsolve.CG) on exact GoMLX
//     Hessian-vector products (reverse over reverse). Memory does not
//     grow with k.
//   - FOMAML: g = ∇L_query(ϕ) (dϕ/dθ ≈ I).
//   - unrolled: GoMLX's reverse mode through the k inner steps (one graph
//     whose size grows with k).
//
// The table gives, per method, the meta-test loss (query MSE after
// adaptation on fresh tasks, mean over tasks), the time per meta-step and
// the bytes the Go heap allocated per meta-step; the PNG the meta-test
// loss along training.
//
// Usage:
//
//	go run ./examples/imaml [-quick] [-png imaml.png] [-steps 400] [-k 10] [-alpha 0.005] [-lambda 4] [-cg 5] [-lr 0.001]
//
// -quick runs 10 meta-steps and evaluates on 10 tasks (a few seconds);
// the full run takes about 2 minutes on the project's 2-core machine.
// iMAML's implicit gradient is exact only at an exact inner minimizer:
// with few small inner steps (the default k = 10) it is the weakest of
// the three, and it gains on the others as k grows (-k 40), while the
// unrolled graph, its time and its memory grow with k (gomlx/README.md
// has the figures).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"time"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/backends/simplego"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/optlayers/optlayers/implicit/linsolve"
	"github.com/optlayers/optlayers/internal/plotutil"
	"github.com/optlayers/optlayers/layers/nn"
)

// The MLP's parameters are separate graph inputs (no slicing inside a
// differentiated graph: simplego has no gradient for Slice).
var shapes = [][]int{{1, 40}, {40}, {40, 40}, {40}, {40, 1}, {1}}

const nparts = 6

func size(s []int) int {
	n := 1
	for _, d := range s {
		n *= d
	}
	return n
}

func numParams() int {
	n := 0
	for _, s := range shapes {
		n += size(s)
	}
	return n
}

// forward is the MLP on x ([N, 1]).
func forward(p []*graph.Node, x *graph.Node) *graph.Node {
	h := graph.Max(graph.Add(graph.Dot(x, p[0]), graph.ExpandDims(p[1], 0)), graph.ScalarZero(x.Graph(), x.DType()))
	h = graph.Max(graph.Add(graph.Dot(h, p[2]), graph.ExpandDims(p[3], 0)), graph.ScalarZero(x.Graph(), x.DType()))
	return graph.Add(graph.Dot(h, p[4]), graph.ExpandDims(p[5], 0))
}

func mse(p []*graph.Node, x, y *graph.Node) *graph.Node {
	d := graph.Sub(forward(p, x), y)
	return graph.ReduceAllMean(graph.Mul(d, d))
}

// inner is the inner objective L_support(ϕ) + (λ/2)‖ϕ − θ‖².
func inner(phi, theta []*graph.Node, x, y *graph.Node, lambda float64) *graph.Node {
	loss := mse(phi, x, y)
	for i := range phi {
		d := graph.Sub(phi[i], theta[i])
		loss = graph.Add(loss, graph.MulScalar(graph.ReduceAllSum(graph.Mul(d, d)), lambda/2))
	}
	return loss
}

// adapt is k steps of gradient descent with step alpha on the inner
// objective, from ϕ = θ.
func adapt(theta []*graph.Node, x, y *graph.Node, k int, alpha, lambda float64) []*graph.Node {
	phi := append([]*graph.Node(nil), theta...)
	for range k {
		g := graph.Gradient(inner(phi, theta, x, y, lambda), phi...)
		for i := range phi {
			phi[i] = graph.Sub(phi[i], graph.MulScalar(g[i], alpha))
		}
	}
	return phi
}

// graphs are the compiled graphs of the experiment.
type graphs struct {
	adapt    *graph.Exec // θ, xs, ys → ϕ
	query    *graph.Exec // ϕ, xq, yq → L_query, ∇L_query
	hvp      *graph.Exec // ϕ, xs, ys, v → v + ∇²L_support v / λ
	unrolled *graph.Exec // θ, xs, ys, xq, yq → L_query(ϕ_k(θ)), ∇θ
}

func compile(b backends.Backend, k int, alpha, lambda float64) (*graphs, error) {
	var g graphs
	var err error
	if g.adapt, err = graph.NewExec(b, func(in []*graph.Node) []*graph.Node {
		return adapt(in[:nparts], in[nparts], in[nparts+1], k, alpha, lambda)
	}); err != nil {
		return nil, err
	}
	if g.query, err = graph.NewExec(b, func(in []*graph.Node) []*graph.Node {
		loss := mse(in[:nparts], in[nparts], in[nparts+1])
		return append([]*graph.Node{loss}, graph.Gradient(loss, in[:nparts]...)...)
	}); err != nil {
		return nil, err
	}
	if g.hvp, err = graph.NewExec(b, func(in []*graph.Node) []*graph.Node {
		phi, x, y, v := in[:nparts], in[nparts], in[nparts+1], in[nparts+2:]
		grad := graph.Gradient(mse(phi, x, y), phi...)
		dot := graph.ReduceAllSum(graph.Mul(grad[0], v[0]))
		for i := 1; i < nparts; i++ {
			dot = graph.Add(dot, graph.ReduceAllSum(graph.Mul(grad[i], v[i])))
		}
		hv := graph.Gradient(dot, phi...)
		out := make([]*graph.Node, nparts)
		for i := range out {
			out[i] = graph.Add(v[i], graph.MulScalar(hv[i], 1/lambda))
		}
		return out
	}); err != nil {
		return nil, err
	}
	g.unrolled, err = graph.NewExec(b, func(in []*graph.Node) []*graph.Node {
		theta := in[:nparts]
		phi := adapt(theta, in[nparts], in[nparts+1], k, alpha, lambda)
		loss := mse(phi, in[nparts+2], in[nparts+3])
		return append([]*graph.Node{loss}, graph.Gradient(loss, theta...)...)
	})
	return &g, err
}

// split and join convert a flat parameter vector to and from the
// per-layer tensors.
func split(flat []float64) []any {
	out := make([]any, 0, nparts)
	off := 0
	for _, s := range shapes {
		out = append(out, tensors.FromFlatDataAndDimensions(flat[off:off+size(s)], s...))
		off += size(s)
	}
	return out
}

func join(dst []float64, ts []*tensors.Tensor) {
	off := 0
	for _, t := range ts {
		off += copy(dst[off:], tensors.MustCopyFlatData[float64](t))
	}
}

type task struct{ xs, ys, xq, yq *tensors.Tensor }

func sample(rng *rand.Rand, k, q int) task {
	amp, phase := 0.1+4.9*rng.Float64(), math.Pi*rng.Float64()
	draw := func(n int) (*tensors.Tensor, *tensors.Tensor) {
		x, y := make([]float64, n), make([]float64, n)
		for i := range x {
			x[i] = -5 + 10*rng.Float64()
			y[i] = amp * math.Sin(x[i]-phase)
		}
		return tensors.FromFlatDataAndDimensions(x, n, 1), tensors.FromFlatDataAndDimensions(y, n, 1)
	}
	var t task
	t.xs, t.ys = draw(k)
	t.xq, t.yq = draw(q)
	return t
}

// metaGradient adds the meta-gradient of one task to grad and returns
// the task's query loss after adaptation.
func metaGradient(g *graphs, method string, theta []float64, t task, cgIter int, grad []float64) (float64, error) {
	n := len(theta)
	th := split(theta)
	if method == "unrolled" {
		out, err := g.unrolled.Exec(append(th, t.xs, t.ys, t.xq, t.yq)...)
		if err != nil {
			return 0, err
		}
		tmp := make([]float64, n)
		join(tmp, out[1:])
		for i := range grad {
			grad[i] += tmp[i]
		}
		return tensors.MustCopyFlatData[float64](out[0])[0], nil
	}
	phiT, err := g.adapt.Exec(append(th, t.xs, t.ys)...)
	if err != nil {
		return 0, err
	}
	phi := make([]any, nparts)
	for i, p := range phiT {
		phi[i] = p
	}
	out, err := g.query.Exec(append(phi, t.xq, t.yq)...)
	if err != nil {
		return 0, err
	}
	gq := make([]float64, n)
	join(gq, out[1:])
	loss := tensors.MustCopyFlatData[float64](out[0])[0]
	if method == "FOMAML" {
		for i := range grad {
			grad[i] += gq[i]
		}
		return loss, nil
	}
	// iMAML: (I + ∇²L_support/λ) m = ∇L_query by CG on GoMLX HVPs.
	var hvpErr error
	apply := func(dst, v []float64) {
		res, err := g.hvp.Exec(append(append(append([]any(nil), phi...), t.xs, t.ys), split(v)...)...)
		if err != nil {
			hvpErr = err
			clear(dst)
			return
		}
		join(dst, res)
	}
	op := linsolve.NewFunc(n, n, apply, apply) // symmetric
	m := make([]float64, n)
	_, err = linsolve.CG(context.Background(), m, op, gq, &linsolve.Settings{MaxIter: cgIter, Tol: 1e-10})
	if hvpErr != nil {
		return 0, hvpErr
	}
	// A CG stopped at MaxIter gives its best iterate, the truncated solve
	// iMAML uses. Away from an exact inner minimizer I + ∇²L/λ may be
	// indefinite (negative curvature of the network's loss): CG then
	// breaks down, and we keep its best iterate, or the first-order
	// direction if it has none; such tasks are counted.
	switch {
	case err == nil, errors.Is(err, linsolve.ErrNotConverged):
	case errors.Is(err, linsolve.ErrBreakdown):
		breakdowns++
		if allZero(m) {
			copy(m, gq)
		}
	default:
		return 0, err
	}
	for i := range grad {
		grad[i] += m[i]
	}
	return loss, nil
}

// breakdowns counts the iMAML solves where CG met negative curvature.
var breakdowns int

func allZero(v []float64) bool {
	for _, x := range v {
		if x != 0 {
			return false
		}
	}
	return true
}

// evaluate is the mean query loss after adaptation on tasks.
func evaluate(g *graphs, theta []float64, tasks []task) (float64, error) {
	var s float64
	th := split(theta)
	for _, t := range tasks {
		phiT, err := g.adapt.Exec(append(th, t.xs, t.ys)...)
		if err != nil {
			return 0, err
		}
		phi := make([]any, nparts)
		for i, p := range phiT {
			phi[i] = p
		}
		out, err := g.query.Exec(append(phi, t.xq, t.yq)...)
		if err != nil {
			return 0, err
		}
		s += tensors.MustCopyFlatData[float64](out[0])[0]
	}
	return s / float64(len(tasks)), nil
}

func initParams(rng *rand.Rand) []float64 {
	theta := make([]float64, 0, numParams())
	for _, s := range shapes {
		scale := 0.0
		if len(s) == 2 {
			scale = math.Sqrt(1 / float64(s[0])) // LeCun initialization
		}
		for range size(s) {
			theta = append(theta, scale*rng.NormFloat64())
		}
	}
	return theta
}

func main() {
	quick := flag.Bool("quick", false, "smoke run: 10 meta-steps, 10 evaluation tasks")
	png := flag.String("png", "imaml.png", "where to save the meta-test loss curves")
	steps := flag.Int("steps", 400, "meta-steps")
	k := flag.Int("k", 10, "inner gradient steps (all methods)")
	alpha := flag.Float64("alpha", 0.005, "inner step size")
	lambda := flag.Float64("lambda", 4, "iMAML regularization λ of the inner problem (all methods)")
	cgIter := flag.Int("cg", 5, "conjugate-gradient iterations of iMAML")
	metaBatch := flag.Int("batch", 5, "tasks per meta-step")
	lr := flag.Float64("lr", 1e-3, "Adam learning rate of the meta-parameters")
	evalTasks := flag.Int("eval", 100, "fresh tasks of the meta-test")
	flag.Parse()
	if *quick {
		*steps, *evalTasks = 10, 10
	}
	b, err := simplego.New("ops_sequential")
	if err != nil {
		log.Fatal(err)
	}
	g, err := compile(b, *k, *alpha, *lambda)
	if err != nil {
		log.Fatal(err)
	}
	evalRng := rand.New(rand.NewPCG(7, 7))
	test := make([]task, *evalTasks)
	for i := range test {
		test[i] = sample(evalRng, 10, 100)
	}
	methods := []string{"FOMAML", "unrolled", "iMAML"}
	type result struct {
		loss0, loss float64
		perStep     time.Duration
		alloc       float64
		curve       plotutil.Series
	}
	results := map[string]*result{}
	for _, m := range methods {
		results[m] = &result{curve: plotutil.Series{Name: m}}
	}
	// every method starts from the same θ and sees the same tasks; the
	// methods alternate by meta-step so that load on the machine hits
	// them alike
	thetas := map[string][]float64{}
	opts := map[string]*nn.Adam{}
	for _, m := range methods {
		thetas[m] = initParams(rand.New(rand.NewPCG(1, 1)))
		opts[m] = &nn.Adam{LearningRate: *lr}
		l, err := evaluate(g, thetas[m], test)
		if err != nil {
			log.Fatal(err)
		}
		results[m].loss0 = l
	}
	taskRng := rand.New(rand.NewPCG(3, 3))
	evalEvery := max(*steps/10, 1)
	grad := make([]float64, numParams())
	start := time.Now()
	for step := 1; step <= *steps; step++ {
		batch := make([]task, *metaBatch)
		for i := range batch {
			batch[i] = sample(taskRng, 10, 10)
		}
		for _, m := range methods {
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			alloc0 := ms.TotalAlloc
			t0 := time.Now()
			clear(grad)
			for _, t := range batch {
				if _, err := metaGradient(g, m, thetas[m], t, *cgIter, grad); err != nil {
					log.Fatal(err)
				}
			}
			for i := range grad {
				grad[i] /= float64(*metaBatch)
			}
			if err := opts[m].Step(thetas[m], grad); err != nil {
				log.Fatal(err)
			}
			results[m].perStep += time.Since(t0)
			runtime.ReadMemStats(&ms)
			results[m].alloc += float64(ms.TotalAlloc - alloc0)
			if step%evalEvery == 0 || step == *steps {
				l, err := evaluate(g, thetas[m], test)
				if err != nil {
					log.Fatal(err)
				}
				results[m].loss = l
				results[m].curve.X = append(results[m].curve.X, float64(step))
				results[m].curve.Y = append(results[m].curve.Y, l)
			}
		}
		if step%evalEvery == 0 {
			fmt.Fprintf(os.Stderr, "meta-step %d/%d: iMAML %.3f FOMAML %.3f unrolled %.3f (%.0f s)\n", step, *steps,
				results["iMAML"].loss, results["FOMAML"].loss, results["unrolled"].loss, time.Since(start).Seconds())
		}
	}
	fmt.Printf("sinusoid regression, 10-shot: MLP 1-40-40-1 in GoMLX (simplego), %d meta-steps × %d tasks, k = %d inner steps (α %g, λ %g), Adam lr %g\n",
		*steps, *metaBatch, *k, *alpha, *lambda, *lr)
	fmt.Printf("meta-test: query MSE after adaptation, mean over %d fresh tasks\n\n", *evalTasks)
	fmt.Printf("%-9s %12s %12s %12s %14s\n", "method", "MSE before", "MSE after", "ms/step", "MB alloc/step")
	for _, m := range methods {
		r := results[m]
		fmt.Printf("%-9s %12.4f %12.4f %12.2f %14.2f\n", m, r.loss0, r.loss,
			float64(r.perStep.Microseconds())/1000/float64(*steps), r.alloc/float64(*steps)/1e6)
	}
	fmt.Printf("(iMAML: at most %d CG iterations on exact GoMLX Hessian-vector products; CG met negative curvature on %d of %d task solves)\n",
		*cgIter, breakdowns, *steps**metaBatch)
	var series []plotutil.Series
	for _, m := range methods {
		c := results[m].curve
		c.Points = len(c.X) == 1
		series = append(series, c)
	}
	if err := plotutil.Save(*png, "iMAML vs FOMAML vs unrolled: meta-test loss", "meta-step", "query MSE after adaptation", 14, 10, series...); err != nil {
		fmt.Fprintln(os.Stderr, "plot:", err)
		os.Exit(1)
	}
	fmt.Println("saved", *png)
}
