package perturbed

import (
	"context"
	"math"
)

// The 5×5 grid of the PTO protocol (BENCHMARKS.md): for each row i, first
// the horizontal arcs v→v+1 (j < 4), then, if i < 4, the vertical arcs
// v→v+5 for every column j, v = 5i+j. Source 0, sink 24.
const gridArcs = 40

var gridArcList = func() [][2]int {
	var arcs [][2]int
	for i := range 5 {
		for j := range 4 {
			v := 5*i + j
			arcs = append(arcs, [2]int{v, v + 1})
		}
		if i < 4 {
			for j := range 5 {
				v := 5*i + j
				arcs = append(arcs, [2]int{v, v + 5})
			}
		}
	}
	return arcs
}()

// gridIncoming[v] lists the arcs entering v.
var gridIncoming = func() [25][]int {
	var in [25][]int
	for a, arc := range gridArcList {
		in[arc[1]] = append(in[arc[1]], a)
	}
	return in
}()

// shortestPathOracle writes the arc indicator of a shortest 0→24 path for
// the arc costs (dynamic programming on the DAG, nodes in index order).
func shortestPathOracle(_ context.Context, dst, cost []float64) error {
	var dist [25]float64
	var pred [25]int
	for v := 1; v < 25; v++ {
		dist[v] = math.Inf(1)
		for _, a := range gridIncoming[v] {
			if d := dist[gridArcList[a][0]] + cost[a]; d < dist[v] {
				dist[v], pred[v] = d, a
			}
		}
	}
	clear(dst)
	for v := 24; v != 0; v = gridArcList[pred[v]][0] {
		dst[pred[v]] = 1
	}
	return nil
}
