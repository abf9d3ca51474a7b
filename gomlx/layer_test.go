package gomlx

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/backends/simplego"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/layers"
	"github.com/optlayers/optlayers/solvers/lp"
	"github.com/optlayers/optlayers/solvers/perturbed"
	"github.com/optlayers/optlayers/solvers/project"
	"github.com/optlayers/optlayers/solvers/qp"
	"github.com/optlayers/optlayers/sorting"
)

func testBackend(t testing.TB) backends.Backend {
	t.Helper()
	b, err := simplego.New("ops_sequential")
	require.NoError(t, err)
	return b
}

func randn(rng *rand.Rand, n int, scale float64) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = scale * rng.NormFloat64()
	}
	return v
}

// model is the GoMLX model of the tests: θ = θ₀ + A·W + 1·biasᵀ for a
// batch of features A ([batch, k]) and parameters W ([k, in]) and bias
// ([in]); θ₀ ([batch, in]) keeps θ inside the layer's domain.
func model(w, bias, a, theta0 *graph.Node) *graph.Node {
	return graph.Add(graph.Add(theta0, graph.Dot(a, w)), graph.ExpandDims(bias, 0))
}

// pipeline is a GoMLX model feeding a layer, with the loss
// ½‖y − target‖² on its output.
type pipeline struct {
	layer            Layer
	batch, k, in     int
	a, theta0, targ  []float64
	thetaExec, grad2 *graph.Exec
	grad1            *graph.Exec
}

func newPipeline(t *testing.T, b backends.Backend, rng *rand.Rand, f layers.Func, batch, k int, theta0 []float64) *pipeline {
	in, out := f.Dims()
	p := &pipeline{layer: Layer{Func: f}, batch: batch, k: k, in: in,
		a: randn(rng, batch*k, 1), theta0: theta0, targ: randn(rng, batch*out, 1)}
	var err error
	p.thetaExec, err = graph.NewExec(b, model)
	require.NoError(t, err)
	// the two-graph step's second graph: ∇ of ⟨θ(W, bias), gθ⟩
	p.grad2, err = graph.NewExec(b, func(w, bias, a, theta0, gt *graph.Node) (*graph.Node, *graph.Node) {
		g := graph.Gradient(Surrogate(model(w, bias, a, theta0), gt), w, bias)
		return g[0], g[1]
	})
	require.NoError(t, err)
	// one graph with the layer attached as an op by its Jacobian
	p.grad1, err = graph.NewExec(b, func(in []*graph.Node) (*graph.Node, *graph.Node) {
		w, bias, y, jac, targ := in[0], in[1], in[4], in[5], in[6]
		yy := Attach(model(w, bias, in[2], in[3]), y, jac)
		d := graph.Sub(yy, targ)
		loss := graph.MulScalar(graph.ReduceAllSum(graph.Mul(d, d)), 0.5)
		g := graph.Gradient(loss, w, bias)
		return g[0], g[1]
	})
	require.NoError(t, err)
	return p
}

func (p *pipeline) tensors(w, bias []float64) []any {
	return []any{
		tensors.FromFlatDataAndDimensions(w, p.k, p.in),
		tensors.FromFlatDataAndDimensions(bias, p.in),
		tensors.FromFlatDataAndDimensions(p.a, p.batch, p.k),
		tensors.FromFlatDataAndDimensions(p.theta0, p.batch, p.in),
	}
}

// forward runs the model graph and the layer; it returns the output and
// the loss.
func (p *pipeline) forward(t *testing.T, w, bias []float64) (*Output, float64) {
	theta, err := p.thetaExec.Exec1(p.tensors(w, bias)...)
	require.NoError(t, err)
	o, err := p.layer.Forward(context.Background(), theta)
	require.NoError(t, err)
	y := tensors.MustCopyFlatData[float64](o.Y)
	var loss float64
	for i, v := range y {
		loss += 0.5 * (v - p.targ[i]) * (v - p.targ[i])
	}
	return o, loss
}

// gradients returns ∇(W, bias) of the loss by the two-graph step and by
// the one-graph Attach path.
func (p *pipeline) gradients(t *testing.T, w, bias []float64) (two, one []float64) {
	o, _ := p.forward(t, w, bias)
	y := tensors.MustCopyFlatData[float64](o.Y)
	gy := make([]float64, len(y))
	for i, v := range y {
		gy[i] = v - p.targ[i]
	}
	_, out := p.layer.Func.Dims()
	gt, err := o.Backward(context.Background(), tensors.FromFlatDataAndDimensions(gy, p.batch, out))
	require.NoError(t, err)
	res, err := p.grad2.Exec(append(p.tensors(w, bias), gt)...)
	require.NoError(t, err)
	two = append(tensors.MustCopyFlatData[float64](res[0]), tensors.MustCopyFlatData[float64](res[1])...)

	jac, err := o.Jacobian(context.Background())
	require.NoError(t, err)
	res, err = p.grad1.Exec(append(p.tensors(w, bias), o.Y, jac,
		tensors.FromFlatDataAndDimensions(p.targ, p.batch, out))...)
	require.NoError(t, err)
	one = append(tensors.MustCopyFlatData[float64](res[0]), tensors.MustCopyFlatData[float64](res[1])...)
	return two, one
}

// checkPipeline compares both GoMLX gradients of the model's parameters
// with each other, with the native chain rule (layers.Output.Backward
// times the model's Jacobian, by hand) and, when step > 0, with central
// differences of the whole pipeline (graph and solve) in random
// directions.
func checkPipeline(t *testing.T, name string, p *pipeline, rng *rand.Rand, step, tol float64) {
	t.Helper()
	w, bias := randn(rng, p.k*p.in, 0.1), randn(rng, p.in, 0.1)
	two, one := p.gradients(t, w, bias)
	for i := range two {
		require.InDelta(t, two[i], one[i], 1e-9*(1+math.Abs(two[i])), "%s: two-graph vs Attach at %d", name, i)
	}
	// native: gθ from package layers on θ computed in Go, then ∂θ/∂W = A.
	th := mat.NewDense(p.batch, p.in, nil)
	for r := range p.batch {
		for j := range p.in {
			s := p.theta0[r*p.in+j] + bias[j]
			for l := range p.k {
				s += p.a[r*p.k+l] * w[l*p.in+j]
			}
			th.Set(r, j, s)
		}
	}
	no, err := layers.Layer{Func: p.layer.Func}.Forward(context.Background(), th)
	require.NoError(t, err)
	gy := mat.DenseCopyOf(no.Y)
	_, out := p.layer.Func.Dims()
	gy.Sub(gy, mat.NewDense(p.batch, out, p.targ))
	gt, err := no.Backward(context.Background(), gy)
	require.NoError(t, err)
	for l := range p.k {
		for j := range p.in {
			var s float64
			for r := range p.batch {
				s += p.a[r*p.k+l] * gt.At(r, j)
			}
			require.InDelta(t, s, two[l*p.in+j], 1e-9*(1+math.Abs(s)), "%s: native dW[%d,%d]", name, l, j)
		}
	}
	for j := range p.in {
		s := mat.Sum(gt.ColView(j))
		require.InDelta(t, s, two[p.k*p.in+j], 1e-9*(1+math.Abs(s)), "%s: native dbias[%d]", name, j)
	}
	if step == 0 {
		return
	}
	for range 3 {
		dw, db := randn(rng, len(w), 1), randn(rng, len(bias), 1)
		at := func(h float64) float64 {
			w2, b2 := append([]float64(nil), w...), append([]float64(nil), bias...)
			for i := range w2 {
				w2[i] += h * dw[i]
			}
			for i := range b2 {
				b2[i] += h * db[i]
			}
			_, loss := p.forward(t, w2, b2)
			return loss
		}
		want := (at(step) - at(-step)) / (2 * step)
		var got float64
		for i, v := range dw {
			got += two[i] * v
		}
		for i, v := range db {
			got += two[len(w)+i] * v
		}
		require.InDelta(t, want, got, tol*(1+math.Abs(want)), "%s: central differences", name)
	}
}

func qpTemplate(rng *rand.Rand, n, m int) *qp.Problem {
	l := mat.NewDense(n, n, randn(rng, n*n, 1))
	q := mat.NewSymDense(n, nil)
	q.SymOuterK(1/float64(n), l)
	for i := range n {
		q.SetSym(i, i, q.At(i, i)+0.1)
	}
	g := mat.NewDense(m, n, randn(rng, m*n, 1))
	h := make([]float64, m)
	for i := range h {
		h[i] = 0.1 + 0.5*rng.Float64()
	}
	return &qp.Problem{Q: q, P: make([]float64, n), G: g, H: h}
}

// repeatRows is batch copies of row, plus noise on the columns from lo.
func repeatRows(rng *rand.Rand, row []float64, batch, lo int, noise float64) []float64 {
	out := make([]float64, 0, batch*len(row))
	for range batch {
		r := append([]float64(nil), row...)
		for j := lo; j < len(r); j++ {
			r[j] += noise * rng.NormFloat64()
		}
		out = append(out, r...)
	}
	return out
}

func TestLayerQP(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 1))
	b := testBackend(t)
	for trial := range 3 {
		n, m := 5+trial, 7+trial
		tpl := qpTemplate(rng, n, m)
		f, err := layers.NewQP(tpl, layers.QPLinear, &qp.Settings{Tol: 1e-12})
		require.NoError(t, err)
		// θ = (p, h): p random, h near the template's (strictly feasible at 0)
		row := append(randn(rng, n, 1), tpl.H...)
		p := newPipeline(t, b, rng, f, 4, 3, repeatRows(rng, row, 4, n, 0))
		checkPipeline(t, "QP", p, rng, 1e-6, 1e-6)
	}
}

func TestLayersOthers(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 2))
	b := testBackend(t)
	n := 6
	ones, up, g := make([]float64, n), make([]float64, n), make([]float64, n)
	for i := range ones {
		ones[i], up[i] = 1, 1
	}
	g[0], g[1] = 1, 1
	lpTpl := &lp.Problem{C: make([]float64, n), A: mat.NewDense(1, n, ones), B: []float64{2},
		G: mat.NewDense(1, n, g), H: []float64{1.2}, Lower: make([]float64, n), Upper: up}
	for _, sm := range []layers.LPSmoothing{layers.Quadratic, layers.Barrier} {
		f, err := layers.NewLP(lpTpl, sm, 0.5)
		require.NoError(t, err)
		p := newPipeline(t, b, rng, f, 3, 2, randn(rng, 3*n, 1))
		checkPipeline(t, "LP smoothed", p, rng, 1e-6, 1e-5)
	}
	for name, f := range map[string]layers.Func{
		"sparsemax": layers.Projection{Set: project.Simplex{Radius: 1}, N: 7},
		"l2 ball":   layers.Projection{Set: project.L2Ball{Radius: 0.5}, N: 7},
		"soft sort": layers.SoftSort{N: 7, Epsilon: 0.3},
		"soft rank": layers.SoftSort{N: 7, Kind: layers.Rank, Epsilon: 0.3, Settings: &sorting.SoftSettings{Descending: true}},
		"sinkhorn":  &layers.Sinkhorn{N: 3, M: 4, Epsilon: 0.5},
		"birkhoff":  BirkhoffFunc{Layer: &layers.Birkhoff{Tau: 0.5}, N: 3},
	} {
		in, _ := f.Dims()
		p := newPipeline(t, b, rng, f, 3, 2, randn(rng, 3*in, 1))
		checkPipeline(t, name, p, rng, 1e-6, 1e-5)
	}
	// The perturbed LP and argmax: their VJPs estimate the gradient of the smoothed
	// map, not of its Monte Carlo forward (piecewise constant in θ): check
	// them against the native layers only.
	plp, err := layers.NewLP(lpTpl, layers.Perturbed, 1)
	require.NoError(t, err)
	plp.Samples = 50
	checkPipeline(t, "LP perturbed", newPipeline(t, b, rng, plp, 3, 2, randn(rng, 3*n, 1)), rng, 0, 0)
	f := &layers.PerturbedArgmax{N: 4, Settings: perturbed.Settings{Samples: 200, Sigma: 0.5, Noise: perturbed.Gumbel, Seed: 3}}
	p := newPipeline(t, b, rng, f, 3, 2, randn(rng, 3*4, 1))
	checkPipeline(t, "perturbed argmax", p, rng, 0, 0)
}
