package gomlx

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	mlctx "github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/context/checkpoints"
	"github.com/gomlx/gomlx/pkg/ml/train"
	"github.com/gomlx/gomlx/pkg/ml/train/optimizers"
	"github.com/stretchr/testify/require"

	"github.com/optlayers/optlayers/layers"
	"github.com/optlayers/optlayers/solvers/qp"
)

// TestTrainer runs the two-graph step inside GoMLX's own training loop,
// unchanged: train.Trainer with a model producing the QP layer's θ, the
// Surrogate as its loss and the layer's pulled-back cotangent as its
// label. Each step must move the weights by exactly −lr times the
// gradient of ½‖y − target‖² through the layer, computed by hand.
func TestTrainer(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 5))
	b := testBackend(t)
	const n, m, k, batch, lr = 4, 5, 3, 6, 0.05
	tpl := qpTemplate(rng, n, m)
	f, err := layers.NewQP(tpl, layers.QPLinear, &qp.Settings{Tol: 1e-12})
	require.NoError(t, err)
	in, _ := f.Dims()
	layer := Layer{Func: f}
	x := randn(rng, batch*k, 1)
	theta0 := repeatRows(rng, append(randn(rng, n, 1), tpl.H...), batch, n, 0)
	target := randn(rng, batch*n, 1)
	w := randn(rng, k*in, 0.1)

	ctx := mlctx.New()
	ctx.VariableWithValue("w", tensors.FromFlatDataAndDimensions(w, k, in))
	modelFn := func(ctx *mlctx.Context, _ any, inputs []*graph.Node) []*graph.Node {
		wv := ctx.Reuse().VariableWithShape("w", shapes.Make(dtypes.Float64, k, in)).ValueGraph(inputs[0].Graph())
		return []*graph.Node{graph.Add(inputs[1], graph.Dot(inputs[0], wv))}
	}
	lossFn := func(labels, predictions []*graph.Node) *graph.Node { return Surrogate(predictions[0], labels[0]) }
	trainer := train.NewTrainer(b, ctx, modelFn, lossFn,
		optimizers.StochasticGradientDescent().WithDecay(false).WithLearningRate(lr).Done(), nil, nil)

	for step := range 3 {
		// θ = θ₀ + xW, the layer and the loss's cotangent on the host
		theta := append([]float64(nil), theta0...)
		for r := range batch {
			for j := range in {
				for l := range k {
					theta[r*in+j] += x[r*k+l] * w[l*in+j]
				}
			}
		}
		o, err := layer.Forward(context.Background(), tensors.FromFlatDataAndDimensions(theta, batch, in))
		require.NoError(t, err)
		gy := tensors.MustCopyFlatData[float64](o.Y)
		for i := range gy {
			gy[i] -= target[i]
		}
		gt, err := o.Backward(context.Background(), tensors.FromFlatDataAndDimensions(gy, batch, n))
		require.NoError(t, err)
		_, err = trainer.TrainStep(nil,
			[]*tensors.Tensor{tensors.FromFlatDataAndDimensions(x, batch, k), tensors.FromFlatDataAndDimensions(theta0, batch, in)},
			[]*tensors.Tensor{gt})
		require.NoError(t, err)
		// the expected SGD step: W ← W − lr·xᵀgθ
		g := tensors.MustCopyFlatData[float64](gt)
		want := append([]float64(nil), w...)
		for l := range k {
			for j := range in {
				var s float64
				for r := range batch {
					s += x[r*k+l] * g[r*in+j]
				}
				want[l*in+j] -= lr * s
			}
		}
		got := tensors.MustCopyFlatData[float64](ctx.InspectVariable(ctx.Scope(), "w").MustValue())
		for i := range want {
			require.InDelta(t, want[i], got[i], 1e-12*(1+math.Abs(want[i])), "step %d: w[%d]", step, i)
		}
		w = got
	}

	// GoMLX's checkpoints work unchanged: save the trained context, load
	// it into a fresh one, and the restored weights are bit-identical and
	// train on identically.
	dir := t.TempDir()
	h, err := checkpoints.Build(ctx).Dir(dir).Done()
	require.NoError(t, err)
	require.NoError(t, h.Save())
	ctx2 := mlctx.New()
	_, err = checkpoints.Load(ctx2).Dir(dir).Immediate().Done()
	require.NoError(t, err)
	restored := tensors.MustCopyFlatData[float64](ctx2.InspectVariable(ctx2.Scope(), "w").MustValue())
	require.Equal(t, w, restored)
	step := func(c *mlctx.Context) []float64 {
		tr := train.NewTrainer(b, c, modelFn, lossFn,
			optimizers.StochasticGradientDescent().WithDecay(false).WithLearningRate(lr).Done(), nil, nil)
		g := make([]float64, batch*in)
		for i := range g {
			g[i] = 0.01 * float64(i%7-3)
		}
		_, err := tr.TrainStep(nil,
			[]*tensors.Tensor{tensors.FromFlatDataAndDimensions(x, batch, k), tensors.FromFlatDataAndDimensions(theta0, batch, in)},
			[]*tensors.Tensor{tensors.FromFlatDataAndDimensions(g, batch, in)})
		require.NoError(t, err)
		return tensors.MustCopyFlatData[float64](c.InspectVariable(c.Scope(), "w").MustValue())
	}
	require.Equal(t, step(ctx), step(ctx2))
}
