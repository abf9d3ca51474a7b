package qp

import (
	"context"
	"math/rand/v2"
	"testing"
)

func TestCountFactorizations(t *testing.T) {
	if !testing.Verbose() {
		t.Skip("diagnostic")
	}
	for _, c := range [][3]int{{10, 0, 10}, {50, 0, 50}, {200, 0, 100}, {50, 25, 50}} {
		rng := rand.New(rand.NewPCG(1, uint64(c[0])))
		factorCount.Store(0)
		iters := 0
		for range 16 {
			sol, err := Solve(context.Background(), randomQP(rng, c[0], c[1], c[2]), nil)
			if err != nil {
				t.Fatal(err)
			}
			iters += sol.Iterations
		}
		t.Log(c, "factorizations/instance", float64(factorCount.Load())/16, "iterations", float64(iters)/16)
	}
}
