package conformance_test

// The solutions of parametrized convex problems (package convex), as
// *convex.Solution with z = (x*, y*, s*) of the canonical cone program and
// θ the problem's parameters in the order of Problem.Parameters:
//
//	convex  *convex.Solution: a QP with a parameter matrix (least squares
//	        with a ridge and an equality), an SOCP (norm constraint), an
//	        SDP (a symmetric PSD variable); when the cone solver solves
//	        them: entropy, log-sum-exp (exponential cones), geometric mean
//	        (power cones)

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/optlayers/optlayers/convex"
	"github.com/optlayers/optlayers/implicit"
	"github.com/optlayers/optlayers/implicit/conformance"
)

func TestModuleConvex(t *testing.T) {
	cases := convexCases()
	// The exponential- and power-cone cases are registered when the cone
	// solver solves them at their θ (its first version does not; see
	// /work/notes/model.md): a case left out is logged, never passed.
	for _, c := range convexNonsymCases() {
		if _, err := c.Solve(context.Background(), c.Theta); err != nil {
			t.Logf("%s not registered: %v", c.Name, err)
			continue
		}
		cases = append(cases, c)
	}
	conformance.Run(t, cases)
}

// convexNonsymCases: entropy (exponential cones), log-sum-exp of a
// parametrized affine map plus a ridge, a geometric mean (power cones).
func convexNonsymCases() []conformance.Case {
	rng := rand.New(rand.NewPCG(16, 62))
	var cases []conformance.Case
	{
		n := 4
		c := convex.NewParameter("c", n)
		x := convex.NewVariable("x", n)
		obj := convex.Entropy(x).Sum().Sub(c.Dot(x))
		pb, err := convex.NewProblem(convex.Maximize(obj), x.Sum().Eq(convex.Const(1)))
		if err != nil {
			panic(err)
		}
		cases = append(cases, convexCase("entropy", pb, randVec(rng, pb.NumParams(), 1)))
	}
	{
		n := 3
		A := convex.NewMatrixParameter("A", 5, n)
		x := convex.NewVariable("x", n)
		obj := convex.LogSumExp(A.MatMul(x)).Add(convex.SumSquares(x))
		pb, err := convex.NewProblem(convex.Minimize(obj))
		if err != nil {
			panic(err)
		}
		cases = append(cases, convexCase("logsumexp", pb, randVec(rng, pb.NumParams(), 1)))
	}
	{
		n := 3
		c := convex.NewParameter("c", n)
		x := convex.NewVariable("x", n)
		pb, err := convex.NewProblem(convex.Maximize(convex.GeoMean(x).Sub(c.Dot(x))), x.Sum().Le(convex.Const(3)))
		if err != nil {
			panic(err)
		}
		cases = append(cases, convexCase("geomean", pb, []float64{0.1, 0.2, 0.3}))
	}
	return cases
}

func convexCase(name string, pb *convex.Problem, theta []float64) conformance.Case {
	s := &convex.Settings{Tol: 1e-8, Refine: 3}
	return conformance.Case{
		Name:       "convex/" + name,
		Theta:      theta,
		Cancelable: true,
		Tol:        1e-4,
		Solve: func(ctx context.Context, th []float64) (implicit.Differentiable, error) {
			sol, err := pb.SolveParams(ctx, th, s)
			if err != nil {
				return nil, err
			}
			return sol, nil
		},
		Batch: func(ctx context.Context, ths [][]float64, workers int) ([]implicit.Differentiable, error) {
			bs := *s
			bs.Workers = workers
			sols, err := pb.SolveBatch(ctx, ths, &bs)
			out := make([]implicit.Differentiable, len(sols))
			for i, r := range sols {
				if r != nil {
					out[i] = r
				}
			}
			return out, err
		},
	}
}

func convexCases() []conformance.Case {
	rng := rand.New(rand.NewPCG(16, 61))
	var cases []conformance.Case

	// Ridge least squares with an equality: a QP whose data A enters Q's
	// copy rows.
	{
		m, n := 6, 3
		A := convex.NewMatrixParameter("A", m, n)
		b := convex.NewParameter("b", m)
		x := convex.NewVariable("x", n)
		obj := convex.SumSquares(A.MatMul(x).Sub(b)).Add(convex.SumSquares(x))
		pb, err := convex.NewProblem(convex.Minimize(obj), x.Sum().Eq(convex.Const(0.5)))
		if err != nil {
			panic(err)
		}
		cases = append(cases, convexCase("ridge-lsq", pb, randVec(rng, pb.NumParams(), 1)))
	}
	// An SOCP: a linear objective over a ball intersected with a halfspace.
	{
		n := 4
		c := convex.NewParameter("c", n)
		g := convex.NewParameter("g", n)
		x := convex.NewVariable("x", n)
		pb, err := convex.NewProblem(convex.Minimize(c.Dot(x)), convex.Norm2(x).Le(convex.Const(1)), g.Dot(x).Le(convex.Const(0.2)))
		if err != nil {
			panic(err)
		}
		cases = append(cases, convexCase("socp", pb, randVec(rng, pb.NumParams(), 1)))
	}
	// An SDP: min tr(CX) + ‖X‖²_F s.t. X ≽ 0, tr(X) = 1 with a
	// parameter C (PSD cones, a symmetric variable).
	{
		n := 3
		C := convex.NewMatrixParameter("C", n, n)
		X := convex.NewMatrixVariable("X", n, n, convex.Symmetric())
		obj := C.MatMul(X).Trace().Add(convex.SumSquares(X))
		pb, err := convex.NewProblem(convex.Minimize(obj), X.Succeq(convex.Const(0)), X.Trace().Eq(convex.Const(1)))
		if err != nil {
			panic(err)
		}
		cases = append(cases, convexCase("sdp", pb, randVec(rng, pb.NumParams(), 1)))
	}
	return cases
}
