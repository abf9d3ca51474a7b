package lp

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/mat"
)

// gridPolytope is the shortest-path polytope of the 5×5 grid of the PTO
// protocol (arcs right and down, source 0, sink 24): flow conservation
// (25 rows, one of them redundant) and 0 ≤ x ≤ 1.
func gridPolytope() (*Problem, [][2]int) {
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
	a := mat.NewDense(25, len(arcs), nil)
	for k, e := range arcs {
		a.Set(e[0], k, 1)
		a.Set(e[1], k, -1)
	}
	b := make([]float64, 25)
	b[0], b[24] = 1, -1
	lo, up := make([]float64, len(arcs)), make([]float64, len(arcs))
	for i := range up {
		up[i] = 1
	}
	return &Problem{A: a, B: b, Lower: lo, Upper: up}, arcs
}

// dagShortest is the shortest path length by dynamic programming over
// the DAG (vertices in increasing order).
func dagShortest(arcs [][2]int, cost []float64) float64 {
	dist := make([]float64, 25)
	for i := range dist {
		dist[i] = math.Inf(1)
	}
	dist[0] = 0
	for v := range 25 {
		for k, e := range arcs {
			if e[0] == v {
				dist[e[1]] = math.Min(dist[e[1]], dist[v]+cost[k])
			}
		}
	}
	return dist[24]
}

func TestShortestPathOracle(t *testing.T) {
	poly, arcs := gridPolytope()
	or, err := NewOracle(poly, nil)
	require.NoError(t, err)
	rng := rand.New(rand.NewPCG(19, 20))
	x := make([]float64, len(arcs))
	for range 20 {
		cost := make([]float64, len(arcs))
		for i := range cost {
			cost[i] = rng.Float64()
		}
		require.NoError(t, or(context.Background(), x, cost))
		got := 0.0
		for i, c := range cost {
			got += c * x[i]
		}
		require.InDelta(t, dagShortest(arcs, cost), got, 1e-8)
	}
	// Ties (all costs equal): any monotone path is optimal; the oracle
	// returns a point of the optimal face with the optimal cost 8.
	cost := make([]float64, len(arcs))
	for i := range cost {
		cost[i] = 1
	}
	require.NoError(t, or(context.Background(), x, cost))
	got := 0.0
	for _, v := range x {
		got += v
	}
	require.InDelta(t, 8, got, 1e-8)
}

func BenchmarkShortestPathOracle(b *testing.B) {
	poly, arcs := gridPolytope()
	or, err := NewOracle(poly, nil)
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	cost := make([]float64, len(arcs))
	for i := range cost {
		cost[i] = rng.Float64()
	}
	x := make([]float64, len(arcs))
	for b.Loop() {
		if err := or(context.Background(), x, cost); err != nil {
			b.Fatal(err)
		}
	}
}
