package bilevel

import (
	"context"
	"encoding/binary"
	"math"
	"testing"

	"github.com/optlayers/optlayers/solvers/smooth"
	"gonum.org/v1/gonum/mat"
)

// FuzzModels builds every model from arbitrary bytes (shapes, values with
// NaN/Inf/huge numbers, θ) and checks that fitting and differentiating
// never panic and never return NaN with a nil error.
func FuzzModels(f *testing.F) {
	f.Add([]byte{3, 2, 1, 0, 5, 9, 200, 13, 7, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20})
	f.Add(make([]byte, 64))
	nan := make([]byte, 8)
	binary.LittleEndian.PutUint64(nan, math.Float64bits(math.NaN()))
	f.Add(append([]byte{4, 3, 0}, append(nan, make([]byte, 80)...)...))
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) < 3 {
			return
		}
		rows, d, kind := 1+int(b[0]%6), 1+int(b[1]%4), int(b[2]%7)
		b = b[3:]
		next := func(i int) float64 {
			if 8*(i+1) <= len(b) {
				return math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:]))
			}
			if i < len(b) {
				return float64(int8(b[i])) / 16
			}
			return float64(i%5) - 2
		}
		k := 0
		x := mat.NewDense(rows, d, nil)
		for i := range rows {
			for j := range d {
				x.Set(i, j, next(k))
				k++
			}
		}
		y := make([]float64, rows)
		signs := make([]float64, rows)
		classes := make([]float64, rows)
		for i := range rows {
			y[i] = next(k)
			k++
			signs[i] = 1
			if i%2 == 1 || y[i] < 0 {
				signs[i] = -1
			}
			classes[i] = float64(i % 3)
		}
		theta0 := next(k)
		var (
			m   Model
			c   Criterion
			err error
		)
		switch kind {
		case 0:
			m, err = NewRidge(x, y, smooth.Shared)
		case 1:
			m, err = NewRidge(x, y, smooth.PerFeature)
		case 2:
			m, err = NewLasso(x, y, smooth.Shared)
		case 3:
			m, err = NewElasticNet(x, y)
		case 4:
			m, err = NewLogistic(x, signs, smooth.PerFeature)
		case 5:
			m, err = NewSparseLogistic(x, signs, smooth.Shared)
		default:
			m, err = NewMultinomial(x, classes, smooth.PerClass)
		}
		if err != nil {
			return
		}
		switch kind {
		case 4, 5:
			c, err = NewLogLoss(x, signs)
		case 6:
			c, err = NewMultiLogLoss(x, classes, m.(*SmoothModel).Classes())
		default:
			c, err = NewMSE(x, y)
		}
		if err != nil {
			return
		}
		n, p := m.Dims()
		theta := make([]float64, p)
		for j := range theta {
			theta[j] = theta0
		}
		w := make([]float64, n)
		ctx := context.Background()
		_, err = m.Fit(ctx, w, theta, 1e-6)
		if err != nil {
			return
		}
		if !finite(w) {
			t.Fatalf("Fit returned NaN with a nil error")
		}
		for _, meth := range []Method{Implicit, ImplicitForward, UnrolledReverse, Neumann, OneStep} {
			g := make([]float64, p)
			wc := append([]float64(nil), w...)
			v, _, err := Hypergradient(ctx, m, c, theta, wc, g, &HypergradSettings{Method: meth, Steps: 20})
			if err == nil && (!finite(g) || math.IsNaN(v)) {
				t.Fatalf("%v returned NaN with a nil error", meth)
			}
		}
		h, err := NewHeldOut(m, c, nil)
		if err != nil {
			return
		}
		res, err := Optimize(ctx, h, theta, &Settings{MaxIter: 4})
		if err == nil && (!finite(res.Theta) || math.IsNaN(res.Value)) {
			t.Fatalf("Optimize returned NaN with a nil error")
		}
	})
}

// FuzzOptimizeSettings runs the outer optimizers and the searches with
// arbitrary settings (bounds, starts, learning rates, budgets, NaN/Inf):
// no panic, and no NaN with a nil error.
func FuzzOptimizeSettings(f *testing.F) {
	f.Add(0.0, -10.0, 5.0, 0.5, uint8(0), uint8(10))
	f.Add(3.0, 5.0, -5.0, 0.0, uint8(1), uint8(3))
	f.Add(math.NaN(), math.Inf(-1), math.Inf(1), 1e9, uint8(2), uint8(40))
	x, y, xv, yv := regression(1, 30, 4)
	f.Fuzz(func(t *testing.T, theta0, lo, hi, lr float64, alg, evals uint8) {
		m, err := NewRidge(x, y, smooth.Shared)
		if err != nil {
			t.Fatal(err)
		}
		c, err := NewMSE(xv, yv)
		if err != nil {
			t.Fatal(err)
		}
		h, err := NewHeldOut(m, c, nil)
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		res, err := Optimize(ctx, h, []float64{theta0}, &Settings{Algorithm: Algorithm(alg % 4), Lower: []float64{lo}, Upper: []float64{hi},
			LearningRate: lr, MaxIter: int(evals % 30)})
		if err == nil && (!finite(res.Theta) || math.IsNaN(res.Value)) {
			t.Fatalf("Optimize returned NaN with a nil error: %+v", res)
		}
		sr, err := RandomSearch(ctx, h, []float64{lo}, []float64{hi}, int(evals%8), 1, 0)
		if err == nil && math.IsNaN(sr.BestValue()) {
			t.Fatalf("RandomSearch returned NaN with a nil error")
		}
		gr, err := GridSearch(ctx, h, Grid1D(Linspace(lo, hi, int(evals%8))), 0)
		if err == nil && math.IsNaN(gr.BestValue()) {
			t.Fatalf("GridSearch returned NaN with a nil error")
		}
	})
}
