// Command shortestpath runs the predict-then-optimize protocol of the
// root module's examples/shortestpath (PyEPO's 5×5 grid shortest path,
// Tang & Khalil 2024) with the cost predictor a GoMLX model, trained by
// GoMLX's Adam through the optlayers losses, beside the native pipeline
// (layers/nn and pto.Train) on the same data.
//
// Each training step is the two-graph step of package gomlx: graph 1
// predicts the costs ĉ = model(x) of a batch; the host evaluates the
// decision-focused loss of each pair (SPO+, PFYL, … of package
// layers/pto, which call the shortest-path oracle) and its gradient g on
// ĉ; graph 2 differentiates the surrogate ⟨ĉ(w), g⟩/batch and applies
// GoMLX's Adam to the model's variables. The table gives the test
// normalized regret of both pipelines and their time per training step.
//
// Usage:
//
//	go run ./examples/shortestpath [-quick] [-png gomlx-shortestpath.png] [-epochs 20] [-seeds 3] [-n 1000] [-hidden 16] [-lr 0.01] [-methods 2S-LR,SPO+,PFYL]
//
// -quick runs degree 4, one seed, 3 epochs on 200 pairs (about a
// second). The full run (4 degrees × 3 seeds × 3 methods × 2 models × 2
// pipelines, 20 epochs) takes about a minute on the project's 2-core
// machine. Both pipelines evaluate the losses on one goroutine, so the
// time per step compares the model and its gradient: native Go code
// against two GoMLX graph executions and their tensor conversions.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"math"
	"math/rand/v2"
	"os"
	"strings"
	"time"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/backends/simplego"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	mlctx "github.com/gomlx/gomlx/pkg/ml/context"
	mllayers "github.com/gomlx/gomlx/pkg/ml/layers"
	"github.com/gomlx/gomlx/pkg/ml/layers/activations"
	"github.com/gomlx/gomlx/pkg/ml/train/optimizers"
	"gonum.org/v1/gonum/mat"

	optgomlx "github.com/optlayers/optlayers/gomlx"
	"github.com/optlayers/optlayers/internal/plotutil"
	"github.com/optlayers/optlayers/layers/nn"
	"github.com/optlayers/optlayers/layers/pto"
)

type method struct {
	name string
	loss func(o pto.Oracle) pto.Loss
}

var methods = []method{
	{"2S-LR", func(pto.Oracle) pto.Loss { return pto.MSE{} }},
	{"SPO+", func(o pto.Oracle) pto.Loss { return pto.SPOPlus{Oracle: o} }},
	{"PFYL", func(o pto.Oracle) pto.Loss { return pto.PFYL{Oracle: o, Samples: 10, Sigma: 1} }},
	{"DBB", func(o pto.Oracle) pto.Loss { return pto.DBB{Oracle: o, Lambda: 10.0 / 32} }},
}

// gomlxModel is a GoMLX cost predictor (linear, or one hidden ReLU layer)
// with its two compiled graphs.
type gomlxModel struct {
	ctx            *mlctx.Context
	predict, train *mlctx.Exec
}

func newGoMLXModel(backend backends.Backend, out, hidden int, lr float64, seed int64) (*gomlxModel, error) {
	ctx := mlctx.New().Checked(false) // both graphs create or reuse the same variables
	if err := ctx.SetRNGStateFromSeed(seed); err != nil {
		return nil, err
	}
	forward := func(ctx *mlctx.Context, x *graph.Node) *graph.Node {
		if hidden > 0 {
			x = activations.Relu(mllayers.DenseWithBias(ctx.In("hidden"), x, hidden))
		}
		return mllayers.DenseWithBias(ctx.In("out"), x, out)
	}
	opt := optimizers.Adam().LearningRate(lr).Done()
	m := &gomlxModel{ctx: ctx}
	var err error
	if m.predict, err = mlctx.NewExec(backend, ctx, forward); err != nil {
		return nil, err
	}
	m.train, err = mlctx.NewExec(backend, ctx, func(ctx *mlctx.Context, x, g *graph.Node) *graph.Node {
		loss := optgomlx.Surrogate(forward(ctx, x), g)
		opt.UpdateGraph(ctx, x.Graph(), loss)
		return loss
	})
	return m, err
}

func toTensor(m *mat.Dense) *tensors.Tensor {
	r, c := m.Dims()
	return tensors.FromFlatDataAndDimensions(mat.DenseCopyOf(m).RawMatrix().Data, r, c)
}

func (m *gomlxModel) costs(x *mat.Dense) (*mat.Dense, error) {
	t, err := m.predict.Exec1(toTensor(x))
	if err != nil {
		return nil, err
	}
	flat, err := tensors.CopyFlatData[float64](t)
	if err != nil {
		return nil, err
	}
	r, _ := x.Dims()
	return mat.NewDense(r, len(flat)/r, flat), nil
}

// trainGoMLX runs the protocol's training (Adam, batch 32, the shuffles
// and loss streams of pto.Train) on the GoMLX model; it returns the mean
// time per step.
func trainGoMLX(m *gomlxModel, loss pto.Loss, train *pto.Dataset, epochs int, seed uint64) (time.Duration, error) {
	shuffle := rand.New(rand.NewPCG(seed, 0x5eed))
	_, in := train.X.Dims()
	_, out := train.C.Dims()
	var spent time.Duration
	steps := 0
	for epoch := 1; epoch <= epochs; epoch++ {
		for _, batch := range nn.Batches(train.Len(), 32, shuffle) {
			start := time.Now()
			xb := mat.NewDense(len(batch), in, nil)
			for r, i := range batch {
				copy(xb.RawRowView(r), train.X.RawRowView(i))
			}
			chat, err := m.costs(xb)
			if err != nil {
				return 0, err
			}
			g := mat.NewDense(len(batch), out, nil)
			for r, i := range batch {
				rng := rand.New(rand.NewPCG(seed, uint64(epoch)<<32|uint64(i)))
				if _, err := loss.Eval(context.Background(), g.RawRowView(r), chat.RawRowView(r), train, i, rng); err != nil {
					return 0, err
				}
			}
			g.Scale(1/float64(len(batch)), g)
			if _, err := m.train.Exec(toTensor(xb), toTensor(g)); err != nil {
				return 0, err
			}
			spent += time.Since(start)
			steps++
		}
	}
	return spent / time.Duration(max(steps, 1)), nil
}

func main() {
	quick := flag.Bool("quick", false, "smoke run: degree 4, one seed, 3 epochs, 200 pairs")
	png := flag.String("png", "gomlx-shortestpath.png", "where to save the regret figure")
	epochs := flag.Int("epochs", 20, "training epochs")
	seeds := flag.Int("seeds", 3, "seeds")
	ntrain := flag.Int("n", 1000, "training (and test) pairs")
	hidden := flag.Int("hidden", 16, "hidden units of the MLP model (the linear model always runs)")
	lr := flag.Float64("lr", 1e-2, "Adam learning rate")
	only := flag.String("methods", "2S-LR,SPO+,PFYL", "comma-separated methods: 2S-LR,SPO+,PFYL,DBB")
	flag.Parse()
	degs := []int{1, 2, 4, 6}
	if *quick {
		degs, *seeds, *epochs, *ntrain = []int{4}, 1, 3, 200
	}
	var ms []method
	for _, m := range methods {
		if strings.Contains(","+*only+",", ","+m.name+",") {
			ms = append(ms, m)
		}
	}
	backend, err := simplego.New("ops_sequential")
	if err != nil {
		log.Fatal(err)
	}
	models := []struct {
		name   string
		hidden int
	}{{"linear", 0}, {fmt.Sprintf("MLP %d", *hidden), *hidden}}

	type key struct{ model, method, pipe string }
	regret := map[key][]float64{} // per degree, mean over seeds
	step := map[key]time.Duration{}
	runs := map[key]int{}
	start := time.Now()
	for _, deg := range degs {
		sum := map[key]float64{}
		for seed := range *seeds {
			rng := rand.New(rand.NewPCG(uint64(seed), uint64(deg)))
			o := pto.ShortestPath{Rows: 5, Cols: 5}
			x, c, err := pto.GenShortestPath(rng, 2**ntrain, 5, o.Dim(), deg, 0.5)
			if err != nil {
				log.Fatal(err)
			}
			all, err := pto.NewDataset(context.Background(), o, x, c, nil)
			if err != nil {
				log.Fatal(err)
			}
			train, test := all.Split(*ntrain)
			for _, md := range models {
				for _, m := range ms {
					fmt.Fprintf(os.Stderr, "deg %d seed %d %s %s\n", deg, seed, md.name, m.name)
					// native: layers/nn and pto.Train
					sizes := []int{5, o.Dim()}
					if md.hidden > 0 {
						sizes = []int{5, md.hidden, o.Dim()}
					}
					native, err := nn.NewMLP(sizes, nn.ReLU, rand.New(rand.NewPCG(uint64(seed), 1)))
					if err != nil {
						log.Fatal(err)
					}
					res, err := pto.Train(context.Background(), native, m.loss(o), train, &pto.TrainSettings{
						Epochs: *epochs, BatchSize: 32, Optimizer: &nn.Adam{LearningRate: *lr}, Seed: uint64(seed), Workers: 1})
					if err != nil {
						log.Fatal(err)
					}
					r, err := pto.ModelRegret(context.Background(), o, native, test, nil)
					if err != nil {
						log.Fatal(err)
					}
					k := key{md.name, m.name, "native"}
					sum[k] += 100 * r / float64(*seeds)
					step[k] += res.EpochDuration / time.Duration((*ntrain+31)/32)
					runs[k]++
					// GoMLX
					gm, err := newGoMLXModel(backend, o.Dim(), md.hidden, *lr, int64(seed))
					if err != nil {
						log.Fatal(err)
					}
					perStep, err := trainGoMLX(gm, m.loss(o), train, *epochs, uint64(seed))
					if err != nil {
						log.Fatal(err)
					}
					chat, err := gm.costs(test.X)
					if err != nil {
						log.Fatal(err)
					}
					r, err = pto.Regret(context.Background(), o, chat, test, nil)
					if err != nil {
						log.Fatal(err)
					}
					k = key{md.name, m.name, "GoMLX"}
					sum[k] += 100 * r / float64(*seeds)
					step[k] += perStep
					runs[k]++
				}
			}
		}
		for k, v := range sum {
			regret[k] = append(regret[k], v)
		}
	}

	fmt.Printf("shortest path 5×5: test normalized regret (%%), mean of %d seed(s), %d epochs, %d training pairs, Adam lr %g, batch 32\n\n",
		*seeds, *epochs, *ntrain, *lr)
	fmt.Printf("%-8s %-6s %-7s", "model", "method", "pipe")
	for _, d := range degs {
		fmt.Printf(" %7s", fmt.Sprintf("deg %d", d))
	}
	fmt.Printf(" %12s\n", "ms/step")
	var series []plotutil.Series
	xs := make([]float64, len(degs))
	for i, d := range degs {
		xs[i] = float64(d)
	}
	for _, md := range models {
		for _, m := range ms {
			for _, pipe := range []string{"native", "GoMLX"} {
				k := key{md.name, m.name, pipe}
				fmt.Printf("%-8s %-6s %-7s", md.name, m.name, pipe)
				for _, v := range regret[k] {
					fmt.Printf(" %7.2f", v)
				}
				fmt.Printf(" %12.3f\n", float64(step[k].Microseconds())/1000/float64(max(runs[k], 1)))
				if len(series) < len(plotutil.Palette) {
					series = append(series, plotutil.Series{Name: md.name + " " + m.name + " " + pipe, X: xs, Y: regret[k], Points: len(degs) == 1})
				}
			}
		}
	}
	fmt.Printf("total wall time %.1f s\n", time.Since(start).Seconds())
	if math.IsNaN(xs[0]) {
		return
	}
	if err := plotutil.Save(*png, "PTO shortest path: native vs GoMLX model", "polynomial degree", "normalized regret (%)", 14, 10, series...); err != nil {
		fmt.Fprintln(os.Stderr, "plot:", err)
		os.Exit(1)
	}
	fmt.Println("saved", *png)
}
