// Command ranking learns to score images from ranking supervision only,
// the small-scale analogue of the four-digit MNIST sorting benchmark of
// Petersen et al. (2021) on the embedded 8×8 digits data: each training
// example is a set of n images with distinct labels, and the only
// supervision is the order of their labels (never the labels
// themselves). A scorer f (a one-hidden-layer network on the 64 pixels,
// or a linear map) is trained so that sorting the scores f(x₁), …, f(xₙ)
// reproduces that order, through one of several differentiable sorting
// relaxations of package sorting:
//
//   - bitonic / odd-even sorting networks (Cauchy sigmoid), binary
//     cross-entropy between the relaxed permutation matrix and the true one;
//   - soft ranks by permutahedron projection (l2), squared error to the
//     true ranks;
//   - NeuralSort, cross-entropy of the rows of P̂ against the true
//     permutation;
//   - Spearman loss (1 − correlation of soft ranks with the true ranks);
//   - optimal-transport soft ranks (Cuturi et al. 2019, through package
//     sinkhorn), squared error to the true ranks.
//
// The program reports, on held-out sets drawn from held-out images
// (rows with index % 3 == 0), the exact-match accuracy (the whole order
// is right) and the element-wise accuracy (fraction of positions right),
// and draws the held-out exact-match accuracy along training.
//
// Usage:
//
//	go run ./examples/ranking [-quick] [-png ranking.png] [-n 4] [-steps 3000] [-model mlp|linear]
//
// The full run (6 methods × 3000 steps) takes about 25 s on a 2-core
// machine, -quick (150 steps, 300 held-out sets) about a second; -steps
// and -eval shorten any run. Each method's row is printed when it
// finishes; progress within a method (every 1/30 of its steps, with an
// estimate of the time left) goes to stderr.
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
	"time"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/optlayers/optlayers/datasets"
	"github.com/optlayers/optlayers/internal/plotutil"
	"github.com/optlayers/optlayers/sinkhorn"
	"github.com/optlayers/optlayers/sorting"
)

func main() {
	quick := flag.Bool("quick", false, "smoke run (few steps, small evaluation)")
	pngPath := flag.String("png", "ranking.png", "where to save the training curves")
	n := flag.Int("n", 4, "images per set (2…10)")
	steps := flag.Int("steps", 3000, "training steps per method")
	batch := flag.Int("batch", 32, "sets per step")
	hidden := flag.Int("hidden", 32, "hidden units of the MLP scorer")
	model := flag.String("model", "mlp", "scorer: mlp or linear")
	lr := flag.Float64("lr", 3e-3, "Adam learning rate")
	evalSets := flag.Int("eval", 2000, "held-out sets")
	seed := flag.Uint64("seed", 1, "random seed")
	flag.Parse()
	if *quick {
		*steps, *evalSets = 150, 300
	}
	if *n < 2 || *n > 10 {
		log.Fatalf("-n must be in 2…10, got %d", *n)
	}
	if *model != "mlp" && *model != "linear" {
		log.Fatalf("-model must be mlp or linear, got %q", *model)
	}
	if err := run(*n, *steps, *batch, *hidden, *model, *lr, *evalSets, *seed, *pngPath); err != nil {
		log.Fatal(err)
	}
}

// savePlot draws the held-out exact-match curves with the legend in the
// lower right, out of the way of the curves.
func savePlot(path string, n int, curves []plotutil.Series) error {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("Learning to rank digits from order supervision (n=%d)", n)
	p.X.Label.Text = "training step"
	p.Y.Label.Text = "held-out exact-match accuracy"
	p.Y.Min, p.Y.Max = 0, 1
	p.Add(plotter.NewGrid())
	for i, c := range curves {
		xy := make(plotter.XYs, len(c.X))
		for k := range c.X {
			xy[k].X, xy[k].Y = c.X[k], c.Y[k]
		}
		l, err := plotter.NewLine(xy)
		if err != nil {
			return err
		}
		l.LineStyle.Color = plotutil.Palette[i%len(plotutil.Palette)]
		l.LineStyle.Width = vg.Points(1.5)
		p.Add(l)
		p.Legend.Add(c.Name, l)
	}
	p.Legend.Top = false
	p.Legend.XOffs = -vg.Points(10)
	p.Legend.YOffs = vg.Points(10)
	return p.Save(16*vg.Centimeter, 10*vg.Centimeter, path)
}

// data holds images scaled to [0, 1] grouped by label.
type data struct {
	x       *mat.Dense
	byLabel [10][]int
}

func load(d *datasets.Dataset) *data {
	r, c := d.X.Dims()
	out := &data{x: mat.NewDense(r, c, nil)}
	out.x.Scale(1.0/16, d.X)
	for i, y := range d.Y {
		out.byLabel[int(y)] = append(out.byLabel[int(y)], i)
	}
	return out
}

// sample draws a set of n images with distinct labels: their row indices
// and labels.
func (d *data) sample(rng *rand.Rand, n int) ([]int, []float64) {
	labels := rng.Perm(10)[:n]
	idx := make([]int, n)
	ys := make([]float64, n)
	for k, l := range labels {
		rows := d.byLabel[l]
		idx[k] = rows[rng.IntN(len(rows))]
		ys[k] = float64(l)
	}
	return idx, ys
}

// scorer is a one-hidden-layer tanh network s(x) = w2ᵀ tanh(W1 x + b1), or
// a linear map s(x) = w2ᵀ x when hidden = 0. No output bias: every loss
// here is invariant to a common shift of the scores.
type scorer struct {
	hidden       int
	w1           *mat.Dense // hidden×64
	b1, w2       []float64
	params       [][]float64 // views for the optimizer
	m, v         [][]float64 // Adam moments
	t            int
	lastX, lastH *mat.Dense
}

func newScorer(rng *rand.Rand, hidden, in int) *scorer {
	s := &scorer{hidden: hidden}
	if hidden == 0 {
		s.w2 = make([]float64, in)
		for i := range s.w2 {
			s.w2[i] = rng.NormFloat64() / math.Sqrt(float64(in))
		}
		s.params = [][]float64{s.w2}
	} else {
		s.w1 = mat.NewDense(hidden, in, nil)
		for i := range hidden {
			for j := range in {
				s.w1.Set(i, j, rng.NormFloat64()/math.Sqrt(float64(in)))
			}
		}
		s.b1 = make([]float64, hidden)
		s.w2 = make([]float64, hidden)
		for i := range s.w2 {
			s.w2[i] = rng.NormFloat64() / math.Sqrt(float64(hidden))
		}
		s.params = [][]float64{s.w1.RawMatrix().Data, s.b1, s.w2}
	}
	for _, p := range s.params {
		s.m = append(s.m, make([]float64, len(p)))
		s.v = append(s.v, make([]float64, len(p)))
	}
	return s
}

// forward returns the scores of the rows of x (k×64).
func (s *scorer) forward(x *mat.Dense) []float64 {
	k, _ := x.Dims()
	out := make([]float64, k)
	s.lastX = x
	if s.hidden == 0 {
		mat.NewVecDense(k, out).MulVec(x, mat.NewVecDense(len(s.w2), s.w2))
		return out
	}
	h := mat.NewDense(k, s.hidden, nil)
	h.Mul(x, s.w1.T())
	for i := range k {
		row := h.RawRowView(i)
		for j := range row {
			row[j] = math.Tanh(row[j] + s.b1[j])
		}
	}
	s.lastH = h
	mat.NewVecDense(k, out).MulVec(h, mat.NewVecDense(s.hidden, s.w2))
	return out
}

// backward turns the gradient with respect to the last scores into an
// Adam step.
func (s *scorer) backward(ds []float64, lr float64) {
	k := len(ds)
	dsv := mat.NewVecDense(k, ds)
	grads := make([][]float64, len(s.params))
	if s.hidden == 0 {
		g := make([]float64, len(s.w2))
		mat.NewVecDense(len(g), g).MulVec(s.lastX.T(), dsv)
		grads[0] = g
	} else {
		gw2 := make([]float64, s.hidden)
		mat.NewVecDense(s.hidden, gw2).MulVec(s.lastH.T(), dsv)
		dz := mat.NewDense(k, s.hidden, nil)
		gb1 := make([]float64, s.hidden)
		for i := range k {
			hrow, drow := s.lastH.RawRowView(i), dz.RawRowView(i)
			for j := range drow {
				drow[j] = ds[i] * s.w2[j] * (1 - hrow[j]*hrow[j])
				gb1[j] += drow[j]
			}
		}
		var gw1 mat.Dense
		gw1.Mul(dz.T(), s.lastX)
		grads[0], grads[1], grads[2] = gw1.RawMatrix().Data, gb1, gw2
	}
	s.t++
	const b1, b2, eps = 0.9, 0.999, 1e-8
	c1, c2 := 1-math.Pow(b1, float64(s.t)), 1-math.Pow(b2, float64(s.t))
	for p, g := range grads {
		for i := range g {
			s.m[p][i] = b1*s.m[p][i] + (1-b1)*g[i]
			s.v[p][i] = b2*s.v[p][i] + (1-b2)*g[i]*g[i]
			s.params[p][i] -= lr * (s.m[p][i] / c1) / (math.Sqrt(s.v[p][i]/c2) + eps)
		}
	}
}

// method turns a batch of scores (B×n) and true permutations into a loss
// and its gradient with respect to the scores.
type method struct {
	name string
	loss func(ctx context.Context, scores *mat.Dense, labels [][]float64) (float64, *mat.Dense, error)
}

func methods(n int) ([]method, error) {
	bitonic, err := sorting.NewNetwork(sorting.Bitonic, n)
	if err != nil {
		return nil, err
	}
	oddEven, err := sorting.NewNetwork(sorting.OddEven, n)
	if err != nil {
		return nil, err
	}
	netLoss := func(net *sorting.Network) func(context.Context, *mat.Dense, [][]float64) (float64, *mat.Dense, error) {
		return func(ctx context.Context, scores *mat.Dense, labels [][]float64) (float64, *mat.Dense, error) {
			nb, err := net.SortBatch(ctx, scores, true, &sorting.NetworkSettings{Sigmoid: sorting.Cauchy, Steepness: 10})
			if err != nil {
				return 0, nil, err
			}
			ps := make([]*mat.Dense, len(labels))
			perms := make([][]int, len(labels))
			for i, r := range nb.Results {
				ps[i], perms[i] = r.P, sorting.Argsort(labels[i], false)
			}
			loss, grads, err := sorting.PermutationBCEBatch(ctx, ps, perms, nil)
			if err != nil {
				return 0, nil, err
			}
			g, err := nb.Backward(ctx, nil, grads)
			return loss, g, err
		}
	}
	softRank := func(ctx context.Context, scores *mat.Dense, labels [][]float64) (float64, *mat.Dense, error) {
		b, n := scores.Dims()
		r := mat.NewDense(b, n, nil)
		sb, err := sorting.SoftRankBatch(ctx, r, scores, 0.1, nil)
		if err != nil {
			return 0, nil, err
		}
		gr := mat.NewDense(b, n, nil)
		var loss float64
		for i := range b {
			for pos, j := range sorting.Argsort(labels[i], false) {
				d := r.At(i, j) - float64(pos+1)
				loss += d * d / float64(b*n)
				gr.Set(i, j, 2*d/float64(b*n))
			}
		}
		g := mat.NewDense(b, n, nil)
		return loss, g, sb.VJP(ctx, g, gr)
	}
	spearman := func(ctx context.Context, scores *mat.Dense, labels [][]float64) (float64, *mat.Dense, error) {
		b, n := scores.Dims()
		return sorting.SpearmanLossBatch(ctx, scores, mat.NewDense(b, n, flatten(labels)), 0.1, nil)
	}
	neuralSort := func(ctx context.Context, scores *mat.Dense, labels [][]float64) (float64, *mat.Dense, error) {
		b, n := scores.Dims()
		g := mat.NewDense(b, n, nil)
		var loss float64
		for i := range b {
			r, err := sorting.NeuralSort(scores.RawRowView(i), 1, nil)
			if err != nil {
				return 0, nil, err
			}
			gp := mat.NewDense(n, n, nil)
			for pos, j := range sorting.Argsort(labels[i], false) {
				p := math.Max(r.P.At(pos, j), 1e-300)
				loss -= math.Log(p) / float64(b*n)
				gp.Set(pos, j, -1/(p*float64(b*n)))
			}
			gs, err := r.Backward(gp)
			if err != nil {
				return 0, nil, err
			}
			g.SetRow(i, gs)
		}
		return loss, g, nil
	}
	otSettings := &sorting.OTSettings{Sinkhorn: &sinkhorn.Settings{Tol: 1e-8, EpsilonScaling: 0.5, MaxIter: 5000, Mode: sinkhorn.Kernel, Newton: true}}
	otRank := func(ctx context.Context, scores *mat.Dense, labels [][]float64) (float64, *mat.Dense, error) {
		b, n := scores.Dims()
		g := mat.NewDense(b, n, nil)
		var loss float64
		for i := range b {
			// A moderate tolerance is enough for training; a solve that
			// stops at MaxIter still gives a usable plan.
			r, err := sorting.OTSort(ctx, scores.RawRowView(i), 0.02, otSettings)
			if err != nil && !errors.Is(err, sinkhorn.ErrNotConverged) {
				return 0, nil, err
			}
			gr := make([]float64, n)
			for pos, j := range sorting.Argsort(labels[i], false) {
				d := r.Ranks[j] - float64(pos+1)
				loss += d * d / float64(b*n)
				gr[j] = 2 * d / float64(b*n)
			}
			gs, err := r.Backward(nil, gr)
			if err != nil {
				return 0, nil, err
			}
			g.SetRow(i, gs)
		}
		return loss, g, nil
	}
	return []method{
		{"bitonic network", netLoss(bitonic)},
		{"odd-even network", netLoss(oddEven)},
		{"soft rank (l2)", softRank},
		{"Spearman (soft rank)", spearman},
		{"NeuralSort", neuralSort},
		{"OT soft rank (Sinkhorn)", otRank},
	}, nil
}

func flatten(rows [][]float64) []float64 {
	var out []float64
	for _, r := range rows {
		out = append(out, r...)
	}
	return out
}

// evaluate returns the exact-match and element-wise accuracies of sorting
// the held-out sets by the scorer's scores.
func evaluate(s *scorer, d *data, sets [][]int, labels [][]float64) (exact, elem float64) {
	n := len(sets[0])
	_, c := d.x.Dims()
	x := mat.NewDense(len(sets)*n, c, nil)
	for i, set := range sets {
		for k, row := range set {
			x.SetRow(i*n+k, d.x.RawRowView(row))
		}
	}
	scores := s.forward(x)
	for i := range sets {
		pred := sorting.Argsort(scores[i*n:(i+1)*n], false)
		truth := sorting.Argsort(labels[i], false)
		ok := 0
		for k := range n {
			if pred[k] == truth[k] {
				ok++
			}
		}
		if ok == n {
			exact++
		}
		elem += float64(ok) / float64(n)
	}
	return exact / float64(len(sets)), elem / float64(len(sets))
}

func run(n, steps, batch, hidden int, model string, lr float64, evalSets int, seed uint64, pngPath string) error {
	digits, err := datasets.Load("digits")
	if err != nil {
		return err
	}
	trainSet, testSet := digits.Split()
	train, test := load(trainSet), load(testSet)
	_, in := train.x.Dims()
	if model == "linear" {
		hidden = 0
	}
	evalRng := rand.New(rand.NewPCG(seed, 99))
	var evSets [][]int
	var evLabels [][]float64
	for range evalSets {
		idx, ys := test.sample(evalRng, n)
		evSets, evLabels = append(evSets, idx), append(evLabels, ys)
	}
	ms, err := methods(n)
	if err != nil {
		return err
	}
	ctx := context.Background()
	evalEvery := max(steps/30, 1)
	evals := steps / evalEvery // evaluation points per method
	if steps%evalEvery != 0 {
		evals++
	}
	prog := plotutil.NewProgress("ranking")
	defer prog.Done()
	for _, m := range ms {
		prog.Expect(m.name, evals)
	}
	var curves []plotutil.Series
	fmt.Printf("Ranking supervision on digits: sets of n=%d images with distinct labels, %s scorer, %d steps × %d sets, %d held-out sets\n\n",
		n, model, steps, batch, evalSets)
	fmt.Printf("%-24s %10s %12s %12s %9s\n", "method", "final loss", "exact match", "element-wise", "time")
	for _, m := range ms {
		rng := rand.New(rand.NewPCG(seed, 7)) // same data and init for every method
		sc := newScorer(rng, hidden, in)
		curve := plotutil.Series{Name: m.name}
		start := time.Now()
		prog.Start(m.name)
		var loss float64
		for step := 1; step <= steps; step++ {
			x := mat.NewDense(batch*n, in, nil)
			labels := make([][]float64, batch)
			for i := range batch {
				idx, ys := train.sample(rng, n)
				for k, row := range idx {
					x.SetRow(i*n+k, train.x.RawRowView(row))
				}
				labels[i] = ys
			}
			scores := mat.NewDense(batch, n, sc.forward(x))
			l, g, err := m.loss(ctx, scores, labels)
			if err != nil {
				return fmt.Errorf("%s: step %d: %w", m.name, step, err)
			}
			loss = l
			sc.backward(g.RawMatrix().Data, lr)
			if step%evalEvery == 0 || step == steps {
				em, _ := evaluate(sc, test, evSets, evLabels)
				curve.X = append(curve.X, float64(step))
				curve.Y = append(curve.Y, em)
				prog.Step(m.name, fmt.Sprintf("%s step %d/%d, held-out exact match %.3f", m.name, step, steps, em))
			}
		}
		elapsed := time.Since(start)
		em, ew := evaluate(sc, test, evSets, evLabels)
		fmt.Printf("%-24s %10.4f %12.4f %12.4f %8.2fs\n", m.name, loss, em, ew, elapsed.Seconds())
		curves = append(curves, curve)
	}
	prog.Done()
	chance := 1.0
	for k := 2; k <= n; k++ {
		chance /= float64(k)
	}
	fmt.Printf("\n(chance: exact match %.4f, element-wise %.4f)\n", chance, 1/float64(n))
	if err := savePlot(pngPath, n, curves); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "saved %s\n", pngPath)
	return nil
}
