// Command shortestpath runs the predict-then-optimize benchmark of PyEPO
// (Tang & Khalil 2024) on a 5×5 grid shortest-path problem: a linear model
// 5 → 40 predicts the arc costs from 5 features, the decision is the
// shortest path under the predicted costs, and methods are compared by the
// normalized regret of their decisions on 1000 test points.
//
// Protocol (BENCHMARKS.md, PTO): polynomial degrees 1, 2, 4, 6; noise
// half-width 0.5; 1000 training and 1000 test points drawn from one
// generator call; 3 seeds; Adam, batch 32. Methods: two-stage least squares
// (MSE), SPO+, DBB, NID, PFYL, DPO, NCE and CMAP (package layers/pto). The
// program prints the regret table beside PyEPO's published figures, the
// time per epoch of each method, and saves a PNG of regret against degree.
//
// The same pipeline runs on other problems by changing the task: -task
// knapsack (0-1 knapsack, 32 items, capacity 20, PyEPO's generator) or
// -task portfolio (PyEPO's mean-variance portfolio with a risk budget, 50
// assets, an oracle built on solvers/qp). Methods that need more than an
// oracle (MOM needs an LP basis, QPTL a polyhedron) print "—" where they do
// not apply. The learning-to-rank losses (LTR-pt, LTR-pair, LTR-list),
// IntOpt (log-barrier LP layer of package layers) and QPTL (a QP per pair
// and step) run only when named in -methods.
//
// Usage:
//
//	go run ./examples/shortestpath [-quick] [-png shortestpath.png] [-task shortestpath|knapsack|portfolio] [-epochs 20] [-lr 0.01] [-seeds 3] [-n 1000]
//
// How long it takes on a 2-core machine: the full shortest-path run (4
// degrees × 3 seeds × 9 methods × 20 epochs) about 30 s; -task knapsack
// about 6–7 min; -task portfolio 2–3 hours (each oracle call is a search
// over a dozen QPs, and PFYL and DPO call it 10 times per pair and epoch).
// -quick runs one degree, one seed and 5 epochs (knapsack on 500 training
// and 500 test points; portfolio 2 epochs on 100 and 100) in seconds;
// -seeds 1, -epochs 5, -n 200 or -methods SPO+,PFYL shorten any run.
// Progress — a line per method and per epoch (at most one every 2 s)
// with an estimate of the time left, or a redrawn status line on a
// terminal — goes to stderr; the tables go to stdout.
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
	"strings"
	"time"

	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/internal/plotutil"
	"github.com/optlayers/optlayers/layers"
	"github.com/optlayers/optlayers/layers/nn"
	"github.com/optlayers/optlayers/layers/pto"
)

// A task is a problem family: its oracle and its data generator.
type task struct {
	features int
	// generate draws n pairs for one (seed, degree) and returns the oracle.
	generate func(rng *rand.Rand, n, deg int) (pto.Oracle, *mat.Dense, *mat.Dense, error)
	// reference regrets (%) by degree and method, if published
	reference map[int]map[string]float64
}

var tasks = map[string]task{
	"shortestpath": {
		features: 5,
		generate: func(rng *rand.Rand, n, deg int) (pto.Oracle, *mat.Dense, *mat.Dense, error) {
			g := pto.ShortestPath{Rows: 5, Cols: 5}
			x, c, err := pto.GenShortestPath(rng, n, 5, g.Dim(), deg, 0.5)
			return g, x, c, err
		},
		// PyEPO's figures as quoted in BENCHMARKS.md (PTO): test regret (%),
		// noise half-width 0.5, mean of 3 seeds.
		reference: map[int]map[string]float64{
			1: {"2S-LR": 15.57, "SPO+": 16.13, "DBB": 16.98, "PFYL": 16.60},
			2: {"2S-LR": 10.61, "SPO+": 11.04, "DBB": 12.73, "PFYL": 10.94},
			4: {"2S-LR": 8.58, "SPO+": 7.78, "DBB": 10.61, "PFYL": 7.60},
			6: {"2S-LR": 12.06, "SPO+": 7.81, "DBB": 11.46, "PFYL": 7.73},
		},
	},
	"portfolio": {
		features: 5,
		generate: func(rng *rand.Rand, n, deg int) (pto.Oracle, *mat.Dense, *mat.Dense, error) {
			cov, x, r, err := pto.GenPortfolio(rng, n, 5, 50, deg, 1)
			if err != nil {
				return nil, nil, nil, err
			}
			o, err := pto.NewPortfolio(cov, 2.25)
			return o, x, r, err
		},
	},
	"knapsack": {
		features: 5,
		generate: func(rng *rand.Rand, n, deg int) (pto.Oracle, *mat.Dense, *mat.Dense, error) {
			w, x, c, err := pto.GenKnapsack(rng, n, 5, 32, deg, 0.5)
			if err != nil {
				return nil, nil, nil, err
			}
			k, err := pto.NewKnapsack(w, 2000) // capacity 20.00 in hundredths
			return k, x, c, err
		},
	},
}

type method struct {
	name string
	loss func(o pto.Oracle, train *pto.Dataset) (pto.Loss, error)
	// optIn methods run only when named in -methods (they are slow).
	optIn bool
}

// errSkip marks a method that does not apply to the task's oracle.
var errSkip = errors.New("method does not apply")

var dbbLambda float64

var methods = []method{
	{"2S-LR", func(pto.Oracle, *pto.Dataset) (pto.Loss, error) { return pto.MSE{}, nil }, false},
	{"SPO+", func(o pto.Oracle, _ *pto.Dataset) (pto.Loss, error) { return pto.SPOPlus{Oracle: o}, nil }, false},
	{"DBB", func(o pto.Oracle, _ *pto.Dataset) (pto.Loss, error) {
		return pto.DBB{Oracle: o, Lambda: dbbLambda}, nil
	}, false},
	{"NID", func(o pto.Oracle, _ *pto.Dataset) (pto.Loss, error) { return pto.NID{Oracle: o}, nil }, false},
	{"PFYL", func(o pto.Oracle, _ *pto.Dataset) (pto.Loss, error) {
		return pto.PFYL{Oracle: o, Samples: 10, Sigma: 1}, nil
	}, false},
	{"DPO", func(o pto.Oracle, _ *pto.Dataset) (pto.Loss, error) {
		return pto.DPO{Oracle: o, Samples: 10, Sigma: 1}, nil
	}, false},
	{"MOM", func(o pto.Oracle, tr *pto.Dataset) (pto.Loss, error) {
		b, ok := o.(pto.BasisOracle)
		if !ok {
			return nil, errSkip
		}
		return pto.NewMOM(context.Background(), b, tr, 1)
	}, false},
	{"NCE", func(o pto.Oracle, tr *pto.Dataset) (pto.Loss, error) { return pto.NewNCE(o, tr, 0.05) }, false},
	{"CMAP", func(o pto.Oracle, tr *pto.Dataset) (pto.Loss, error) { return pto.NewCMAP(o, tr, 0.05) }, false},
	{"LTR-pt", func(o pto.Oracle, tr *pto.Dataset) (pto.Loss, error) { return pto.NewPointwise(o, tr, 0.05) }, true},
	{"LTR-pair", func(o pto.Oracle, tr *pto.Dataset) (pto.Loss, error) { return pto.NewPairwise(o, tr, 0.05, 0.1) }, true},
	{"LTR-list", func(o pto.Oracle, tr *pto.Dataset) (pto.Loss, error) { return pto.NewListwise(o, tr, 0.05, 1) }, true},
	{"IntOpt", func(o pto.Oracle, _ *pto.Dataset) (pto.Loss, error) {
		p, ok := o.(pto.Polyhedral)
		if !ok {
			return nil, errSkip
		}
		l, err := layers.NewLP(pto.LPTemplate(p), layers.Barrier, 0.1)
		return pto.LayerLoss{Oracle: o, Layer: l}, err
	}, true},
	{"QPTL", func(o pto.Oracle, _ *pto.Dataset) (pto.Loss, error) {
		p, ok := o.(pto.Polyhedral)
		if !ok {
			return nil, errSkip
		}
		return pto.QPTL{Oracle: p, Mu: 1}, nil
	}, true},
}

func main() {
	quick := flag.Bool("quick", false, "smoke run: degree 4, one seed, 5 epochs (knapsack: -n 500; portfolio: 2 epochs, -n 100); explicit -epochs, -seeds, -n win")
	png := flag.String("png", "shortestpath.png", "where to save the regret-vs-degree figure")
	taskName := flag.String("task", "shortestpath", "problem: shortestpath, knapsack or portfolio")
	epochs := flag.Int("epochs", 20, "training epochs")
	lr := flag.Float64("lr", 1e-2, "Adam learning rate")
	seeds := flag.Int("seeds", 3, "number of seeds")
	ntrain := flag.Int("n", 1000, "training (and test) points")
	hidden := flag.Int("hidden", 0, "hidden units of a one-hidden-layer ReLU MLP (0: the linear model of the protocol)")
	workers := flag.Int("workers", 0, "goroutines per batch (0 = GOMAXPROCS)")
	only := flag.String("methods", "", "comma-separated methods (default: all but the opt-in LTR-pt, LTR-pair, LTR-list and QPTL): 2S-LR,SPO+,DBB,NID,PFYL,DPO,MOM,NCE,CMAP,LTR-pt,LTR-pair,LTR-list,QPTL")
	// PyEPO's λ = 10 multiplies the gradient of the batch-mean loss, that
	// is c/32 per pair with batch 32: the same step as λ = 10/32 on c.
	flag.Float64Var(&dbbLambda, "dbb-lambda", 10.0/32, "DBB interpolation strength λ (per-pair loss)")
	flag.Parse()

	tk, ok := tasks[*taskName]
	if !ok {
		log.Fatalf("unknown task %q", *taskName)
	}
	degs := []int{1, 2, 4, 6}
	if *quick {
		set := map[string]bool{}
		flag.Visit(func(f *flag.Flag) { set[f.Name] = true })
		degs = []int{4}
		if !set["seeds"] {
			*seeds = 1
		}
		if !set["epochs"] {
			*epochs = 5
			if *taskName == "portfolio" {
				*epochs = 2
			}
		}
		if !set["n"] {
			switch *taskName {
			case "knapsack":
				*ntrain = 500
			case "portfolio":
				*ntrain = 100
			}
		}
	}
	var ms []method
	for _, m := range methods {
		if (*only == "" && !m.optIn) || strings.Contains(","+*only+",", ","+m.name+",") {
			ms = append(ms, m)
		}
	}

	prog := plotutil.NewProgress("shortestpath")
	for _, m := range ms {
		prog.Expect(m.name, len(degs)**seeds**epochs)
	}
	prog.Start(fmt.Sprintf("task %s: %d degree(s) × %d seed(s) × %d method(s) × %d epochs, %d training points",
		*taskName, len(degs), *seeds, len(ms), *epochs, *ntrain))

	regret := map[string][]float64{} // method → mean regret per degree
	spread := map[string][]float64{} // method → standard deviation over seeds
	epochTime := map[string]time.Duration{}
	runs := 0
	start := time.Now()
	for _, deg := range degs {
		sum := map[string]float64{}
		sq := map[string]float64{} // for the seed standard deviation
		for seed := 0; seed < *seeds; seed++ {
			rng := rand.New(rand.NewPCG(uint64(seed), uint64(deg)))
			prog.Start(fmt.Sprintf("deg %d seed %d: generating and solving %d pairs", deg, seed, 2**ntrain))
			o, x, c, err := tk.generate(rng, 2**ntrain, deg)
			if err != nil {
				log.Fatal(err)
			}
			all, err := pto.NewDataset(context.Background(), o, x, c, &pto.Settings{Workers: *workers})
			if err != nil {
				log.Fatal(err)
			}
			train, test := all.Split(*ntrain)
			for _, m := range ms {
				loss, err := m.loss(o, train)
				if errors.Is(err, errSkip) {
					sum[m.name] = math.NaN()
					prog.Skip(m.name, *epochs)
					continue
				}
				if err != nil {
					log.Fatal(err)
				}
				sizes := []int{tk.features, o.Dim()}
				if *hidden > 0 {
					sizes = []int{tk.features, *hidden, o.Dim()}
				}
				model, err := nn.NewMLP(sizes, nn.ReLU, rand.New(rand.NewPCG(uint64(seed), 1)))
				if err != nil {
					log.Fatal(err)
				}
				prog.Start(fmt.Sprintf("deg %d seed %d: %s", deg, seed, m.name))
				res, err := pto.Train(context.Background(), model, loss, train, &pto.TrainSettings{
					Epochs: *epochs, BatchSize: 32, Optimizer: &nn.Adam{LearningRate: *lr},
					Seed: uint64(seed), Workers: *workers,
					AfterEpoch: func(epoch int, loss float64) error {
						prog.Step(m.name, fmt.Sprintf("deg %d seed %d: %s epoch %d/%d, training loss %.4g", deg, seed, m.name, epoch, *epochs, loss))
						return nil
					},
				})
				if err != nil {
					log.Fatal(err)
				}
				r, err := pto.ModelRegret(context.Background(), o, model, test, &pto.Settings{Workers: *workers})
				if err != nil {
					log.Fatal(err)
				}
				sum[m.name] += 100 * r / float64(*seeds)
				sq[m.name] += 100 * r * 100 * r / float64(*seeds)
				epochTime[m.name] += res.EpochDuration
			}
			runs++
		}
		for _, m := range ms {
			regret[m.name] = append(regret[m.name], sum[m.name])
			spread[m.name] = append(spread[m.name], math.Sqrt(max(sq[m.name]-sum[m.name]*sum[m.name], 0)*float64(*seeds)/float64(max(*seeds-1, 1))))
		}
	}

	prog.Done()
	fmt.Printf("task %s: test normalized regret (%%), mean of %d seed(s), %d epochs, Adam lr %g, batch 32\n\n",
		*taskName, *seeds, *epochs, *lr)
	fmt.Printf("%-4s", "deg")
	for _, m := range ms {
		fmt.Printf(" %8s", m.name)
	}
	if tk.reference != nil {
		fmt.Printf("   | PyEPO: %6s %6s %6s %6s", "2S-LR", "SPO+", "DBB", "PFYL")
	}
	fmt.Println()
	for k, deg := range degs {
		fmt.Printf("%-4d", deg)
		for _, m := range ms {
			if v := regret[m.name][k]; math.IsNaN(v) {
				fmt.Printf(" %8s", "—")
			} else {
				fmt.Printf(" %8.2f", v)
			}
		}
		if ref, ok := tk.reference[deg]; ok {
			fmt.Printf("   |        %6.2f %6.2f %6.2f %6.2f", ref["2S-LR"], ref["SPO+"], ref["DBB"], ref["PFYL"])
		}
		fmt.Println()
	}
	if *seeds > 1 {
		fmt.Printf("\nstandard deviation over the %d seeds:\n", *seeds)
		for k, deg := range degs {
			fmt.Printf("%-4d", deg)
			for _, m := range ms {
				if v := spread[m.name][k]; math.IsNaN(v) {
					fmt.Printf(" %8s", "—")
				} else {
					fmt.Printf(" %8.2f", v)
				}
			}
			fmt.Println()
		}
	}
	fmt.Printf("\ntime per epoch (%d pairs, mean over runs):\n", *ntrain)
	for _, m := range ms {
		if math.IsNaN(regret[m.name][0]) {
			continue
		}
		fmt.Printf("  %-6s %8.2f ms\n", m.name, float64(epochTime[m.name].Microseconds())/1000/float64(runs))
	}
	fmt.Printf("total wall time %.1f s\n", time.Since(start).Seconds())

	xs := make([]float64, len(degs))
	for i, d := range degs {
		xs[i] = float64(d)
	}
	var series []plotutil.Series
	for _, m := range ms {
		if math.IsNaN(regret[m.name][0]) {
			continue
		}
		if len(series) == len(plotutil.Palette) {
			fmt.Printf("(the figure shows the first %d methods)\n", len(series))
			break
		}
		series = append(series, plotutil.Series{Name: m.name, X: xs, Y: regret[m.name], Points: len(degs) == 1})
	}
	if err := plotutil.Save(*png, fmt.Sprintf("PTO %s: test regret", *taskName), "polynomial degree", "normalized regret (%)", 14, 10, series...); err != nil {
		fmt.Fprintln(os.Stderr, "plot:", err)
		os.Exit(1)
	}
	fmt.Println("saved", *png)
}
