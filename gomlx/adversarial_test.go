package gomlx

import (
	"context"
	"errors"
	"math"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/optlayers/optlayers/implicit"
	"github.com/optlayers/optlayers/internal/testutil"
	"github.com/optlayers/optlayers/layers"
	"github.com/optlayers/optlayers/solvers/project"
)

// TestAdversarial tries every exported entry point with nil, empty,
// mismatched, NaN/Inf, huge and bad-setting input.
func TestAdversarial(t *testing.T) {
	b := testBackend(t)
	ctx := context.Background()
	mul := func(x, theta *graph.Node) *graph.Node { return graph.Mul(x, theta) }
	cond, err := NewCondition(b, 2, 2, mul, nil)
	if err != nil {
		t.Fatal(err)
	}
	sparsemax := Layer{Func: layers.Projection{Set: project.Simplex{Radius: 1}, N: 3}}
	th := func(v ...float64) *tensors.Tensor { return tensors.FromFlatDataAndDimensions(v, len(v)/3, 3) }
	out, err := sparsemax.Forward(ctx, th(1, 2, 3))
	if err != nil {
		t.Fatal(err)
	}
	noErr := func() error { return nil }
	finiteTensor := func(tt *tensors.Tensor) func() error {
		return func() error { return testutil.Finite("tensor", tensors.MustCopyFlatData[float64](tt)) }
	}
	linearize := func(x, theta []float64) func(context.Context) (func() error, error) {
		return func(context.Context) (func() error, error) {
			_, _, err := cond.Linearize(x, theta)
			return noErr, err
		}
	}
	forward := func(l Layer, t *tensors.Tensor) func(context.Context) (func() error, error) {
		return func(ctx context.Context) (func() error, error) {
			o, err := l.Forward(ctx, t)
			if err != nil {
				return nil, err
			}
			return finiteTensor(o.Y), nil
		}
	}
	backward := func(o *Output, g *tensors.Tensor) func(context.Context) (func() error, error) {
		return func(ctx context.Context) (func() error, error) {
			gt, err := o.Backward(ctx, g)
			if err != nil {
				return nil, err
			}
			return finiteTensor(gt), nil
		}
	}
	huge := 1e300
	testutil.RunAdversarial(t, []testutil.Case{
		{Name: "NewCondition nil backend", Want: ErrInvalid, Call: func(context.Context) (func() error, error) {
			_, err := NewCondition(nil, 2, 2, mul, nil)
			return nil, err
		}},
		{Name: "NewCondition nil func", Want: ErrInvalid, Call: func(context.Context) (func() error, error) {
			_, err := NewCondition(b, 2, 2, nil, nil)
			return nil, err
		}},
		{Name: "NewCondition negative n", Want: ErrInvalid, Call: func(context.Context) (func() error, error) {
			_, err := NewCondition(b, -1, 2, mul, nil)
			return nil, err
		}},
		{Name: "NewCondition wrong output shape", Want: ErrDims, Call: func(context.Context) (func() error, error) {
			_, err := NewCondition(b, 2, 3, func(_, theta *graph.Node) *graph.Node { return theta }, nil)
			return nil, err
		}},
		{Name: "NewCondition float32 output", Want: ErrDims, Call: func(context.Context) (func() error, error) {
			_, err := NewCondition(b, 2, 2, func(x, _ *graph.Node) *graph.Node { return graph.ConvertDType(x, dtypes.Float32) }, nil)
			return nil, err
		}},
		{Name: "NewCondition panicking func", Want: ErrCallback, Call: func(context.Context) (func() error, error) {
			_, err := NewCondition(b, 2, 2, func(_, _ *graph.Node) *graph.Node { panic(errors.New("boom")) }, nil)
			return nil, err
		}},
		{Name: "NewObjective vector objective", Want: ErrDims, Call: func(context.Context) (func() error, error) {
			_, err := NewObjective(b, 2, 2, mul, nil)
			return nil, err
		}},
		{Name: "NewObjective nil", Want: ErrInvalid, Call: func(context.Context) (func() error, error) {
			_, err := NewObjective(b, 2, 2, nil, nil)
			return nil, err
		}},
		{Name: "Linearize nil x", Want: ErrDims, Call: linearize(nil, []float64{1, 1})},
		{Name: "Linearize short θ", Want: ErrDims, Call: linearize([]float64{1, 1}, []float64{1})},
		{Name: "Linearize NaN", Want: ErrNaN, Call: linearize([]float64{math.NaN(), 1}, []float64{1, 1})},
		{Name: "Linearize Inf", Want: ErrNaN, Call: linearize([]float64{1, 1}, []float64{math.Inf(-1), 1})},
		{Name: "Condition.VJP short u", Want: ErrDims, Call: func(context.Context) (func() error, error) {
			return nil, cond.VJP(make([]float64, 2), make([]float64, 2), []float64{1, 1}, []float64{1, 1}, []float64{1})
		}},
		{Name: "Condition.VJP NaN u", Want: ErrNaN, Call: func(context.Context) (func() error, error) {
			return nil, cond.VJP(make([]float64, 2), make([]float64, 2), []float64{1, 1}, []float64{1, 1}, []float64{math.NaN(), 1})
		}},
		{Name: "engine VJP at 1e300", Any: []error{implicit.ErrNaN, implicit.ErrSolve}, Call: func(ctx context.Context) (func() error, error) {
			g, err := implicit.VJP(ctx, cond, []float64{huge, huge}, []float64{huge, huge}, []float64{huge, 1}, nil)
			return func() error { return testutil.Finite("VJP", g) }, err
		}},
		{Name: "engine VJP singular", Any: []error{implicit.ErrSolve, implicit.ErrNaN}, Call: func(ctx context.Context) (func() error, error) {
			g, err := implicit.VJP(ctx, cond, []float64{1, 1}, []float64{0, 0}, []float64{1, 1}, nil)
			return func() error { return testutil.Finite("VJP", g) }, err
		}},
		{Name: "Forward nil Func", Want: ErrInvalid, Call: forward(Layer{}, th(1, 2, 3))},
		{Name: "Forward negative Workers", Want: ErrInvalid, Call: forward(Layer{Func: sparsemax.Func, Workers: -1}, th(1, 2, 3))},
		{Name: "Forward nil θ", Want: ErrInvalid, Call: forward(sparsemax, nil)},
		{Name: "Forward rank-1 θ", Want: ErrDims, Call: forward(sparsemax, tensors.FromFlatDataAndDimensions([]float64{1, 2, 3}, 3))},
		{Name: "Forward wrong width", Want: ErrDims, Call: forward(sparsemax, tensors.FromFlatDataAndDimensions([]float64{1, 2}, 1, 2))},
		{Name: "Forward empty batch", Want: ErrDims, Call: forward(sparsemax, tensors.FromShape(shapes.Make(dtypes.Float64, 0, 3)))},
		{Name: "Forward float32", Want: ErrInvalid, Call: forward(sparsemax, tensors.FromFlatDataAndDimensions([]float32{1, 2, 3}, 1, 3))},
		{Name: "Forward NaN", Want: ErrNaN, Call: forward(sparsemax, th(1, math.NaN(), 3))},
		{Name: "Forward 1e300", Any: []error{ErrNaN, ErrInvalid}, Call: forward(sparsemax, th(huge, -huge, huge))},
		{Name: "Forward canceled", Want: context.Canceled, Call: func(context.Context) (func() error, error) {
			_, err := sparsemax.Forward(testutil.Canceled(), th(1, 2, 3))
			return nil, err
		}},
		{Name: "Backward nil Output", Want: ErrInvalid, Call: backward(nil, th(1, 2, 3))},
		{Name: "Backward zero Output", Want: ErrInvalid, Call: backward(&Output{}, th(1, 2, 3))},
		{Name: "Backward nil cotangent", Want: ErrInvalid, Call: backward(out, nil)},
		{Name: "Backward wrong rows", Want: ErrDims, Call: backward(out, th(1, 2, 3, 4, 5, 6))},
		{Name: "Backward NaN", Want: ErrNaN, Call: backward(out, th(math.Inf(1), 2, 3))},
		{Name: "Backward 1e300", Any: []error{ErrNaN}, Call: backward(out, th(huge, -huge, huge))},
		{Name: "BirkhoffFunc nil layer", Want: ErrInvalid, Call: forward(Layer{Func: BirkhoffFunc{N: 2}}, tensors.FromFlatDataAndDimensions([]float64{1, 2, 3, 4}, 1, 4))},
		{Name: "BirkhoffFunc NaN", Want: ErrNaN, Call: forward(Layer{Func: BirkhoffFunc{Layer: &layers.Birkhoff{Tau: 1}, N: 2}}, tensors.FromFlatDataAndDimensions([]float64{1, math.NaN(), 3, 4}, 1, 4))},
		{Name: "BirkhoffFunc zero τ", Any: []error{ErrInvalid, ErrCallback}, Call: forward(Layer{Func: BirkhoffFunc{Layer: &layers.Birkhoff{}, N: 2}}, tensors.FromFlatDataAndDimensions([]float64{1, 2, 3, 4}, 1, 4))},
		{Name: "Jacobian nil Output", Want: ErrInvalid, Call: func(ctx context.Context) (func() error, error) {
			var o *Output
			_, err := o.Jacobian(ctx)
			return nil, err
		}},
		{Name: "Attach wrong shapes in a graph", Want: errAny, Call: func(context.Context) (func() error, error) {
			e, err := graph.NewExec(b, func(theta, y, jac *graph.Node) *graph.Node { return Attach(theta, y, jac) })
			if err != nil {
				return nil, err
			}
			_, err = e.Exec(th(1, 2, 3), th(1, 2, 3), th(1, 2, 3))
			if err != nil {
				err = errors.Join(errAny, err)
			}
			return noErr, err
		}},
	})
}

// errAny marks the GoMLX graph-building errors (GoMLX's own, with no
// sentinel), which Exec returns instead of panicking.
var errAny = errors.New("gomlx graph error")
