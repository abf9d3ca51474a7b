package gomlx

import (
	"context"
	"encoding/binary"
	"errors"
	"math"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/optlayers/optlayers/implicit"
	"github.com/optlayers/optlayers/layers"
	"github.com/optlayers/optlayers/solvers/project"
)

// floats decodes fuzz data into n floats: NaN, ±Inf, 0, raw bits or
// values in [−5, 5).
func floats(b []byte, n int) []float64 {
	v := make([]float64, n)
	for i := range v {
		if len(b) < 2 {
			v[i] = 0.5
			continue
		}
		switch b[0] % 12 {
		case 0:
			v[i], b = math.NaN(), b[1:]
		case 1:
			v[i], b = math.Inf(1), b[1:]
		case 2:
			v[i], b = 0, b[1:]
		case 3:
			if len(b) >= 9 {
				v[i], b = math.Float64frombits(binary.LittleEndian.Uint64(b[1:])), b[9:]
				continue
			}
			v[i], b = -1, b[1:]
		default:
			v[i], b = float64(binary.LittleEndian.Uint16(b))/6553.6-5, b[2:]
		}
	}
	return v
}

func finiteAll(vs ...[]float64) bool {
	for _, v := range vs {
		if !finite(v) {
			return false
		}
	}
	return true
}

// FuzzCondition: a GoMLX condition F(x, θ) = x³/3 + θ∘x − 1 at fuzzed
// points gives the Go formula's residual, a Linearize error for
// non-finite input, engine derivatives that are an error or finite, and
// the closed-form pullback from Condition.VJP.
func FuzzCondition(f *testing.F) {
	f.Add([]byte{7, 9, 200, 4, 5, 6, 7, 8, 9, 10, 11, 12})
	f.Add([]byte{0, 1, 2, 3})
	f.Add([]byte{3, 0, 0, 0, 0, 0, 0, 0xf0, 0x7f, 5, 5, 5, 5})
	b := testBackend(f)
	const n = 3
	c, err := NewCondition(b, n, n, func(x, theta *graph.Node) *graph.Node {
		cube := graph.MulScalar(graph.Mul(x, graph.Mul(x, x)), 1.0/3)
		return graph.AddScalar(graph.Add(cube, graph.Mul(theta, x)), -1)
	}, nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		v := floats(data, 3*n)
		x, theta, g := v[:n], v[n:2*n], v[2*n:]
		_, _, err := c.Linearize(x, theta)
		if !finiteAll(x, theta) {
			if err == nil {
				t.Fatal("non-finite point linearized without error")
			}
			return
		}
		if err != nil {
			// only a Jacobian x² + θ that overflows may fail here
			overflow := false
			for i := range x {
				overflow = overflow || math.IsInf(x[i]*x[i]+theta[i], 0)
			}
			if !overflow || !errors.Is(err, ErrNaN) {
				t.Fatal(err)
			}
			return
		}
		r := make([]float64, n)
		c.Residual(r, x, theta)
		for i := range r {
			want := x[i]*x[i]*x[i]/3 + theta[i]*x[i] - 1
			if !(math.Abs(r[i]-want) <= 1e-12*(1+math.Abs(want))) && !(math.IsInf(want, 0) || math.IsNaN(want)) {
				t.Fatalf("residual %d: %v, want %v", i, r[i], want)
			}
		}
		d, err := implicit.VJP(context.Background(), c, x, theta, g, nil)
		if err == nil && !finite(d) {
			t.Fatalf("VJP %v with nil error", d)
		}
		// the condition's own pullback: ∂ₓFᵀg = (x² + θ)∘g, ∂θFᵀg = x∘g
		gx, gt := make([]float64, n), make([]float64, n)
		err = c.VJP(gx, gt, x, theta, g)
		if !finite(g) {
			if err == nil {
				t.Fatal("non-finite cotangent pulled back without error")
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		for i := range gx {
			wx, wt := (x[i]*x[i]+theta[i])*g[i], x[i]*g[i]
			if math.IsInf(wx, 0) || math.IsNaN(wx) || math.IsInf(wt, 0) {
				continue
			}
			if math.Abs(gx[i]-wx) > 1e-12*(math.Abs(x[i]*x[i]*g[i])+math.Abs(theta[i]*g[i])+1) || math.Abs(gt[i]-wt) > 1e-12*(1+math.Abs(wt)) {
				t.Fatalf("pullback %d: (%v, %v), want (%v, %v)", i, gx[i], gt[i], wx, wt)
			}
		}
	})
}

// FuzzLayer: the sparsemax layer and the 2×2 Birkhoff layer (both with
// in = out = 4) fed a fuzzed batch return an error or finite outputs,
// and their Jacobians agree with their Backward.
func FuzzLayer(f *testing.F) {
	f.Add([]byte{7, 9, 200, 4, 5, 6, 7, 8, 9, 10, 11, 12}, uint8(2))
	f.Add([]byte{0, 1, 2, 3}, uint8(1))
	f.Add([]byte{7, 9, 200, 4, 5, 6, 7, 8, 9, 10, 11, 12}, uint8(130))
	sparsemax := Layer{Func: layers.Projection{Set: project.Simplex{Radius: 1}, N: 4}}
	birkhoff := Layer{Func: BirkhoffFunc{Layer: &layers.Birkhoff{Tau: 0.5}, N: 2}}
	f.Fuzz(func(t *testing.T, data []byte, batch uint8) {
		l := sparsemax
		if batch >= 128 {
			l = birkhoff
		}
		rows := 1 + int(batch%4)
		th := floats(data, rows*4)
		o, err := l.Forward(context.Background(), tensors.FromFlatDataAndDimensions(th, rows, 4))
		if err != nil {
			return
		}
		y := tensors.MustCopyFlatData[float64](o.Y)
		if !finite(y) {
			t.Fatalf("output %v with nil error", y)
		}
		g := floats(data[min(len(data), 3):], rows*4)
		gt, err := o.Backward(context.Background(), tensors.FromFlatDataAndDimensions(g, rows, 4))
		if err != nil {
			// Birkhoff's implicit backward pass may fail on a degenerate
			// plan (entries underflowing to 0 at extreme scores: a
			// singular block of its Schur complement), as an error.
			if finite(g) && l.Func == sparsemax.Func {
				t.Fatalf("finite cotangent: %v", err)
			}
			return
		}
		jac, err := o.Jacobian(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		gv, jv := tensors.MustCopyFlatData[float64](gt), tensors.MustCopyFlatData[float64](jac)
		for r := range rows {
			for i := range 4 {
				var s, scale float64 // scale bounds the rounding of the sum
				for k := range 4 {
					s += jv[(r*4+k)*4+i] * g[r*4+k]
					scale += math.Abs(jv[(r*4+k)*4+i] * g[r*4+k])
				}
				// the backward pass itself rounds at the scale of g
				gmax := 0.0
				for k := range 4 {
					gmax = math.Max(gmax, math.Abs(g[r*4+k]))
				}
				if math.Abs(s-gv[r*4+i]) > 1e-9*(1+scale)+1e-13*gmax {
					t.Fatalf("row %d: Jᵀg %v, Backward %v", r, s, gv[r*4+i])
				}
			}
		}
	})
}
