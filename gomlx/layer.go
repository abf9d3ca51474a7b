package gomlx

import (
	"context"
	"errors"
	"fmt"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/layers"
)

// Layer runs a layer of package layers (any layers.Func: QP, LP,
// Projection, Sinkhorn, SoftSort, PerturbedArgmax, …) on parameters
// produced by a GoMLX graph. The solve runs on the host, between two
// graph executions; see the package documentation for the two ways of
// feeding its derivative back into GoMLX's autodiff ([Surrogate] and
// [Attach]).
type Layer struct {
	Func    layers.Func
	Workers int // goroutines over the batch; 0 = GOMAXPROCS, negative is ErrInvalid
}

// Output is the result of [Layer.Forward].
type Output struct {
	// Y is the batch of solutions, a [batch, out] float64 tensor.
	Y *tensors.Tensor

	native         *layers.Output
	batch, in, out int
}

// matrix returns t, a rank-2 float64 tensor, as a rows×cols matrix.
func matrix(t *tensors.Tensor, what string) (*mat.Dense, error) {
	if t == nil {
		return nil, fmt.Errorf("%w: nil %s tensor", ErrInvalid, what)
	}
	s := t.Shape()
	if s.DType != dtypes.Float64 {
		return nil, fmt.Errorf("%w: %s has dtype %s, want Float64", ErrInvalid, what, s.DType)
	}
	if s.Rank() != 2 {
		return nil, fmt.Errorf("%w: %s has shape %s, want rank 2 [batch, dim]", ErrDims, what, s)
	}
	flat, err := tensors.CopyFlatData[float64](t)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrCallback, what, err)
	}
	r, c := s.Dimensions[0], s.Dimensions[1]
	if r == 0 || c == 0 {
		return nil, fmt.Errorf("%w: %s has shape %s (empty)", ErrDims, what, s)
	}
	return mat.NewDense(r, c, flat), nil
}

// wrap maps the errors of package layers onto this package's sentinels,
// keeping the original in the chain.
func wrap(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, layers.ErrDims):
		return fmt.Errorf("%w: %w", ErrDims, err)
	case errors.Is(err, layers.ErrNaN):
		return fmt.Errorf("%w: %w", ErrNaN, err)
	case errors.Is(err, layers.ErrInvalid):
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	case errors.Is(err, layers.ErrCallback):
		return fmt.Errorf("%w: %w", ErrCallback, err)
	}
	return err
}

// Forward solves the layer on every row of theta, a [batch, in] float64
// tensor (typically the output of a GoMLX model's graph). A nil Func or
// theta, a non-float64 theta or a negative Workers is ErrInvalid, a shape
// other than [batch, in] ErrDims, a non-finite θ ErrNaN; the solver's
// own errors are returned wrapped.
func (l Layer) Forward(ctx context.Context, theta *tensors.Tensor) (*Output, error) {
	if l.Func == nil {
		return nil, fmt.Errorf("%w: nil Func", ErrInvalid)
	}
	if l.Workers < 0 {
		return nil, fmt.Errorf("%w: Workers=%d", ErrInvalid, l.Workers)
	}
	th, err := matrix(theta, "θ")
	if err != nil {
		return nil, err
	}
	in, out := l.Func.Dims()
	batch, c := th.Dims()
	if c != in {
		return nil, fmt.Errorf("%w: θ has %d columns, the layer takes %d", ErrDims, c, in)
	}
	o, err := layers.Layer{Func: l.Func, Workers: l.Workers}.Forward(ctx, th)
	if err != nil {
		return nil, wrap(err)
	}
	return &Output{
		Y:      tensors.FromFlatDataAndDimensions(o.Y.RawMatrix().Data, batch, out),
		native: o, batch: batch, in: in, out: out,
	}, nil
}

// Backward maps a cotangent gy on Y ([batch, out]) to the cotangent on θ
// ([batch, in]), (∂y/∂θ)ᵀ gy row by row, by the layer's own VJP (the
// QP layer reuses its KKT factorization). It is the host half of the
// two-graph step: feed the result to [Surrogate].
func (o *Output) Backward(ctx context.Context, gy *tensors.Tensor) (*tensors.Tensor, error) {
	if o == nil || o.native == nil {
		return nil, fmt.Errorf("%w: Output not returned by Layer.Forward", ErrInvalid)
	}
	g, err := matrix(gy, "cotangent")
	if err != nil {
		return nil, err
	}
	if r, c := g.Dims(); r != o.batch || c != o.out {
		return nil, fmt.Errorf("%w: cotangent is %d×%d, output is %d×%d", ErrDims, r, c, o.batch, o.out)
	}
	gt, err := o.native.Backward(ctx, g)
	if err != nil {
		return nil, wrap(err)
	}
	return tensors.FromFlatDataAndDimensions(gt.RawMatrix().Data, o.batch, o.in), nil
}

// Jacobian returns ∂y/∂θ of every row, a [batch, out, in] float64
// tensor, by out VJPs per row (one per unit cotangent): it costs out
// backward passes and batch·out·in floats, cheap for small layers, and
// is what [Attach] needs to put the layer inside a single differentiated
// graph.
func (o *Output) Jacobian(ctx context.Context) (*tensors.Tensor, error) {
	if o == nil || o.native == nil {
		return nil, fmt.Errorf("%w: Output not returned by Layer.Forward", ErrInvalid)
	}
	jac := make([]float64, o.batch*o.out*o.in)
	g := mat.NewDense(o.batch, o.out, nil)
	for k := range o.out {
		g.Zero()
		for b := range o.batch {
			g.Set(b, k, 1)
		}
		gt, err := o.native.Backward(ctx, g)
		if err != nil {
			return nil, wrap(err)
		}
		for b := range o.batch {
			copy(jac[(b*o.out+k)*o.in:(b*o.out+k+1)*o.in], gt.RawRowView(b))
		}
	}
	return tensors.FromFlatDataAndDimensions(jac, o.batch, o.out, o.in), nil
}

// Surrogate returns the scalar node ⟨θ, gθ⟩ with gθ held constant
// (StopGradient): its gradient with respect to anything θ depends on is
// the chain rule through the layer, (∂θ/∂w)ᵀ gθ. With gθ from
// [Output.Backward] of the loss's cotangent, minimizing Surrogate with a
// GoMLX optimizer takes exactly the step that minimizing the loss would.
// theta and gtheta must have the same shape. Like every GoMLX op it is
// called while a graph is built and panics there on mismatched shapes;
// graph.Exec (and train.Trainer) return that panic as an error.
//
// In GoMLX's train.Trainer, Surrogate is the loss function (labels[0] =
// gθ, predictions[0] = θ) and the optimizers work unchanged.
func Surrogate(theta, gtheta *graph.Node) *graph.Node {
	return graph.ReduceAllSum(graph.Mul(theta, graph.StopGradient(gtheta)))
}

// Attach returns a node equal to y ([batch, out], the host solution of
// the layer at theta) whose gradient with respect to theta ([batch, in])
// is the layer's: y + J(θ − stop(θ)) with jac = J ([batch, out, in], from
// [Output.Jacobian]). Its value is y exactly (θ − stop(θ) is 0) and its
// VJP is Jᵀv, so any GoMLX loss of y, any second layer and
// graph.Gradient see the layer as an op. It is the one-graph alternative
// to [Surrogate] when the dense Jacobian is cheap (small out·in). Like
// Surrogate it panics while the graph is built on mismatched shapes,
// which graph.Exec returns as an error.
func Attach(theta, y, jac *graph.Node) *graph.Node {
	delta := graph.Sub(theta, graph.StopGradient(theta))
	lin := graph.Einsum("boi,bi->bo", graph.StopGradient(jac), delta)
	return graph.Add(graph.StopGradient(y), lin)
}
