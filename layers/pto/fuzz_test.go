package pto

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// Pool, QP and basis losses and the portfolio oracle on arbitrary
// predictions: never a panic, never NaN with a nil error.
func FuzzLossesAndPortfolio(f *testing.F) {
	f.Add(1.0, -1.0, 0.5, 2.0)
	f.Add(math.NaN(), 0.0, math.Inf(1), -1e308)
	f.Add(1e300, -1e300, 0.0, 0.0)
	f.Fuzz(func(t *testing.T, a, b, e, s float64) {
		g := ShortestPath{3, 3}
		x := mat.NewDense(3, 2, []float64{1, 2, 3, 4, 5, 6})
		c := mat.NewDense(3, g.Dim(), nil)
		for k := range c.RawMatrix().Data {
			c.RawMatrix().Data[k] = 1 + float64(k%5)
		}
		d, err := NewDataset(context.Background(), g, x, c, &Settings{Workers: 1})
		if err != nil {
			t.Fatal(err)
		}
		chat := make([]float64, g.Dim())
		for k := range chat {
			chat[k] = []float64{a, b, e, s}[k%4]
		}
		nce, _ := NewNCE(g, d, 0.5)
		cmap, _ := NewCMAP(g, d, 0.5)
		mom, _ := NewMOM(context.Background(), g, d, 1)
		for _, l := range []Loss{nce, cmap, mom, QPTL{Oracle: g}, NID{g}, DPO{Oracle: g, Samples: 2}} {
			grad := make([]float64, g.Dim())
			v, err := l.Eval(context.Background(), grad, chat, d, 1, rand.New(rand.NewPCG(1, 1)))
			if err == nil && (math.IsNaN(v) || math.IsInf(v, 0)) {
				t.Fatalf("%T: loss %v with nil error", l, v)
			}
		}
		cov := mat.NewSymDense(3, []float64{1, 0.1, 0, 0.1, 2, 0.2, 0, 0.2, 1.5})
		p, err := NewPortfolio(cov, math.Abs(s))
		if err != nil {
			return
		}
		w := make([]float64, 3)
		z, err := p.Solve(context.Background(), w, []float64{a, b, e})
		if err == nil && (math.IsNaN(z) || math.IsInf(z, 0)) {
			t.Fatalf("portfolio objective %v with nil error", z)
		}
	})
}
