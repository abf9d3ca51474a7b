package pto_test

import (
	"context"
	"fmt"
	"math/rand/v2"

	"github.com/optlayers/optlayers/layers/nn"
	"github.com/optlayers/optlayers/layers/pto"
)

// Train a linear model with SPO+ on the PyEPO shortest-path task and compare
// its test regret with the two-stage least-squares baseline.
func Example() {
	grid := pto.ShortestPath{Rows: 5, Cols: 5}
	x, c, _ := pto.GenShortestPath(rand.New(rand.NewPCG(1, 4)), 2000, 5, grid.Dim(), 6, 0.5)
	data, _ := pto.NewDataset(grid, x, c, 0)
	train, test := data.Split(1000)
	for _, m := range []struct {
		name string
		loss pto.Loss
	}{{"two-stage", pto.MSE{}}, {"SPO+", pto.SPOPlus{Oracle: grid}}} {
		model, _ := nn.NewLinear(5, grid.Dim(), rand.New(rand.NewPCG(1, 1)))
		_, _ = pto.Train(context.Background(), model, m.loss, train, &pto.TrainSettings{Epochs: 10})
		regret, _ := pto.ModelRegret(grid, model, test, 0)
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
	z, _ := g.Solve(w, cost)
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
