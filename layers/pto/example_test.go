package pto_test

import (
	"context"
	"fmt"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/layers/nn"
	"github.com/optlayers/optlayers/layers/pto"
)

// Train a linear model with SPO+ on the PyEPO shortest-path task and compare
// its test regret with the two-stage least-squares baseline.
func Example() {
	grid := pto.ShortestPath{Rows: 5, Cols: 5}
	x, c, _ := pto.GenShortestPath(rand.New(rand.NewPCG(1, 4)), 2000, 5, grid.Dim(), 6, 0.5)
	data, _ := pto.NewDataset(context.Background(), grid, x, c, nil)
	train, test := data.Split(1000)
	for _, m := range []struct {
		name string
		loss pto.Loss
	}{{"two-stage", pto.MSE{}}, {"SPO+", pto.SPOPlus{Oracle: grid}}} {
		model, _ := nn.NewLinear(5, grid.Dim(), rand.New(rand.NewPCG(1, 1)))
		_, _ = pto.Train(context.Background(), model, m.loss, train, &pto.TrainSettings{Epochs: 10})
		regret, _ := pto.ModelRegret(context.Background(), grid, model, test, nil)
		fmt.Printf("%-9s regret %.1f%%\n", m.name, 100*regret)
	}
	// Output:
	// two-stage regret 12.1%
	// SPO+      regret 6.9%
}

// The exact oracle of the grid: a dynamic program over the DAG.
func ExampleShortestPath() {
	g := pto.ShortestPath{Rows: 3, Cols: 3}
	cost := make([]float64, g.Dim())
	for k := range cost {
		cost[k] = 1
	}
	cost[g.East(0, 0)], cost[g.East(0, 1)] = 0.1, 0.1 // cheap top row
	w := make([]float64, g.Dim())
	z, _ := g.Solve(context.Background(), w, cost)
	fmt.Printf("cost %.1f, path arcs:", z)
	for k, a := range g.Arcs() {
		if w[k] == 1 {
			fmt.Printf(" %d→%d", a[0], a[1])
		}
	}
	fmt.Println()
	// Output:
	// cost 2.2, path arcs: 0→1 1→2 2→5 5→8
}

// Inverse linear programming with the Maximum Optimality Margin loss: from
// one observed shortest path, learn costs under which it is optimal (a
// model with a constant feature is a single cost vector).
func ExampleNewMOM() {
	grid := pto.ShortestPath{Rows: 3, Cols: 3}
	// the observed decision: the path that goes south first, then east
	observed := make([]float64, grid.Dim())
	for _, a := range []int{grid.South(0, 0), grid.South(1, 0), grid.East(2, 0), grid.East(2, 1)} {
		observed[a] = 1
	}
	// any cost vector that makes it optimal generates the data
	cost := make([]float64, grid.Dim())
	for k := range cost {
		cost[k] = 1 - observed[k]*0.5
	}
	data, _ := pto.NewDataset(context.Background(), grid, mat.NewDense(1, 1, []float64{1}), mat.NewDense(1, grid.Dim(), cost), &pto.Settings{Workers: 1})
	loss, _ := pto.NewMOM(context.Background(), grid, data, 1)
	model, _ := nn.NewLinear(1, grid.Dim(), rand.New(rand.NewPCG(1, 1)))
	_, _ = pto.Train(context.Background(), model, loss, data, &pto.TrainSettings{Epochs: 300, Optimizer: &nn.Adam{LearningRate: 0.05}})
	learned := make([]float64, grid.Dim())
	model.Predict(learned, []float64{1})
	w := make([]float64, grid.Dim())
	_, _ = grid.Solve(context.Background(), w, learned)
	fmt.Println("observed path recovered:", fmt.Sprint(w) == fmt.Sprint(observed))
	// Output:
	// observed path recovered: true
}

// SurCo-zero: a risk-averse route minimizing mean + (shared risk)² over the
// grid paths, found by descending a linear surrogate cost through the
// shortest-path solver (8.106 is the optimum over all 20 paths).
func ExampleSurCoZero() {
	grid := pto.ShortestPath{Rows: 4, Cols: 4}
	rng := rand.New(rand.NewPCG(5, 1))
	mean := make([]float64, grid.Dim())
	risk := make([]float64, grid.Dim())
	for k := range mean {
		mean[k] = 1 + rng.Float64()
		risk[k] = rng.NormFloat64()
	}
	f := func(grad, w []float64) float64 {
		m, r := 0.0, 0.0
		for k := range w {
			m += mean[k] * w[k]
			r += risk[k] * w[k]
		}
		for k := range grad {
			grad[k] = mean[k] + 2*r*risk[k]
		}
		return m + r*r
	}
	wLin := make([]float64, grid.Dim())
	_, _ = grid.Solve(context.Background(), wLin, mean)
	res, _ := pto.SurCoZero(context.Background(), grid, f, nil, &pto.SurCoSettings{Iterations: 100})
	fmt.Printf("shortest mean path: f = %.3f\nSurCo-zero:         f = %.3f\n", f(nil, wLin), res.Value)
	// Output:
	// shortest mean path: f = 8.898
	// SurCo-zero:         f = 8.106
}
