package layers

import (
	"context"
	"fmt"
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/internal/testutil"
	"github.com/optlayers/optlayers/sinkhorn"
	"github.com/optlayers/optlayers/solvers/lp"
	"github.com/optlayers/optlayers/solvers/perturbed"
	"github.com/optlayers/optlayers/solvers/project"
	"github.com/optlayers/optlayers/solvers/qp"
	"github.com/optlayers/optlayers/sorting"
)

// TestAdversarialFuncs calls every Func of the package directly (not
// through Layer, which checks θ first) with bad lengths, NaN/Inf and
// 1e±300 parameters, and calls its Tape with bad cotangents.
func TestAdversarialFuncs(t *testing.T) {
	box := &lp.Problem{C: []float64{0, 0}, G: mat.NewDense(1, 2, []float64{1, 1}), H: []float64{1}, Lower: []float64{0, 0}, Upper: []float64{1, 1}}
	pert, err := NewLP(box, Perturbed, 0)
	if err != nil {
		t.Fatal(err)
	}
	qpl, err := NewQP(&qp.Problem{Q: mat.NewSymDense(2, []float64{2, 0, 0, 2}), P: []float64{0, 0},
		G: mat.NewDense(1, 2, []float64{1, 1}), H: []float64{1}}, QPLinear, nil)
	if err != nil {
		t.Fatal(err)
	}
	qpa := &QP{Template: qpl.Template, Params: QPAll}
	qpaTheta, err := qp.LayoutOf(qpl.Template).Pack(nil, qpl.Template)
	if err != nil {
		t.Fatal(err)
	}
	funcs := []struct {
		name string
		f    Func
	}{
		{"QP", qpl}, {"QPAll", qpa},
		{"LP quadratic", &LP{Template: box}}, {"LP barrier", &LP{Template: box, Smoothing: Barrier}}, {"LP perturbed", pert},
		{"Projection", Projection{N: 2, Set: project.Simplex{Radius: 1}}},
		{"Sinkhorn", &Sinkhorn{N: 1, M: 2, Epsilon: 0.5}},
		{"SoftSort", SoftSort{N: 2, Epsilon: 0.5}}, {"SoftRank", SoftSort{N: 2, Kind: Rank, Epsilon: 0.5}},
		{"PerturbedArgmax", &PerturbedArgmax{N: 2}},
	}
	var cases []testutil.Case
	for _, fn := range funcs {
		in, out := fn.f.Dims()
		theta := func(v float64) []float64 {
			th := make([]float64, in)
			for i := range th {
				th[i] = v * float64(i%3+1) / 3
			}
			if fn.f == Func(qpa) {
				// Q must stay positive semidefinite: scale the packed data.
				for i := range th {
					th[i] = qpaTheta[i] * math.Abs(v)
					if math.IsNaN(v) || math.IsInf(v, 0) {
						th[i] = v
					}
				}
			}
			return th
		}
		fwd := func(dst, th []float64) func(context.Context) (func() error, error) {
			return func(ctx context.Context) (func() error, error) {
				tape, err := fn.f.Forward(ctx, dst, th)
				if err != nil {
					return nil, err
				}
				return func() error {
					if tape == nil {
						return fmt.Errorf("nil tape")
					}
					return testutil.Finite(fn.name, dst)
				}, nil
			}
		}
		vjp := func(d, g []float64) func(context.Context) (func() error, error) {
			return func(ctx context.Context) (func() error, error) {
				tape, err := fn.f.Forward(ctx, make([]float64, out), theta(1))
				if err != nil {
					return nil, err
				}
				if err := tape.VJP(d, g); err != nil {
					return nil, err
				}
				return func() error { return testutil.Finite(fn.name+" VJP", d) }, nil
			}
		}
		add := func(name string, want error, f func(context.Context) (func() error, error), any ...error) {
			cases = append(cases, testutil.Case{Name: fn.name + "/" + name, Want: want, Any: any, Call: f})
		}
		add("valid", nil, fwd(make([]float64, out), theta(1)))
		add("dst length", ErrDims, fwd(make([]float64, out+1), theta(1)))
		add("nil theta", ErrDims, fwd(make([]float64, out), nil))
		add("NaN theta", nil, fwd(make([]float64, out), theta(math.NaN())), anyErr...)
		add("Inf theta", nil, fwd(make([]float64, out), theta(math.Inf(1))), anyErr...)
		add("1e300 theta", nil, fwd(make([]float64, out), theta(1e300)), anyErr...)
		add("1e-300 theta", nil, fwd(make([]float64, out), theta(1e-300)), anyErr...)
		add("VJP valid", nil, vjp(make([]float64, in), make([]float64, out)))
		add("VJP dst length", ErrDims, vjp(make([]float64, in+1), make([]float64, out)))
		add("VJP g length", ErrDims, vjp(make([]float64, in), nil))
		add("VJP NaN g", nil, vjp(make([]float64, in), nanVec(out)), anyErr...)
	}
	testutil.RunAdversarial(t, cases)
}

// anyErr lists the documented sentinels with which the wrapped solvers
// (qp, lp, project, sinkhorn, sorting, perturbed) report NaN, overflow or
// a problem that NaN or 1e±300 data make infeasible, unbounded or
// nonconvex; a direct call may fail with any of them, but never panic nor
// return a non-finite result with a nil error.
var anyErr = []error{
	ErrNaN, ErrDims, ErrInvalid,
	qp.ErrNaN, qp.ErrUnbounded, qp.ErrInfeasible, qp.ErrNotConverged, qp.ErrNotConvex, qp.ErrSingular,
	project.ErrNaN, sinkhorn.ErrNaN, sinkhorn.ErrNumerical, sinkhorn.ErrNotConverged,
	sorting.ErrNaN, perturbed.ErrInvalid, perturbed.ErrOracle,
}

func nanVec(n int) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = math.NaN()
	}
	return v
}
