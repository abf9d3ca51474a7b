package convex

import (
	"context"
	"math"
	"strings"
	"testing"
)

// buildFuzz builds a model from a byte program: a stack machine over a
// few variables, parameters and constants and every operation and atom.
func buildFuzz(prog []byte, val float64) (Objective, []*Constraint) {
	x := NewVariable("x", 3)
	y := NewVariable("y", 3, Nonneg())
	X := NewMatrixVariable("X", 3, 3, Symmetric())
	p := NewParameter("p", 3)
	w := NewParameter("w", 1, Nonneg())
	A := NewMatrixParameter("A", 3, 3)
	stack := []*Expr{x.Expr, y.Expr}
	var cons []*Constraint
	pop := func() *Expr {
		if len(stack) == 0 {
			return x.Expr
		}
		e := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		return e
	}
	for i, c := range prog {
		if i > 64 {
			break
		}
		switch c % 40 {
		case 0:
			stack = append(stack, x.Expr)
		case 1:
			stack = append(stack, y.Expr)
		case 2:
			stack = append(stack, X.Expr)
		case 3:
			stack = append(stack, p.Expr)
		case 4:
			stack = append(stack, w.Expr)
		case 5:
			stack = append(stack, A.Expr)
		case 6:
			stack = append(stack, Const(val))
		case 7:
			a, b := pop(), pop()
			stack = append(stack, a.Add(b))
		case 8:
			a, b := pop(), pop()
			stack = append(stack, a.Sub(b))
		case 9:
			a, b := pop(), pop()
			stack = append(stack, a.Mul(b))
		case 10:
			a, b := pop(), pop()
			stack = append(stack, a.MatMul(b))
		case 11:
			stack = append(stack, pop().Neg())
		case 12:
			stack = append(stack, pop().Sum())
		case 13:
			stack = append(stack, pop().T())
		case 14:
			stack = append(stack, pop().Index(int(val)))
		case 15:
			stack = append(stack, pop().Diag())
		case 16:
			stack = append(stack, pop().Trace())
		case 17:
			a, b := pop(), pop()
			stack = append(stack, VStack(a, b))
		case 18:
			stack = append(stack, Norm2(pop()))
		case 19:
			stack = append(stack, Norm1(pop()))
		case 20:
			stack = append(stack, Abs(pop()))
		case 21:
			stack = append(stack, Exp(pop()))
		case 22:
			stack = append(stack, Log(pop()))
		case 23:
			stack = append(stack, Entropy(pop()))
		case 24:
			stack = append(stack, SumSquares(pop()))
		case 25:
			stack = append(stack, Power(pop(), val))
		case 26:
			stack = append(stack, Pnorm(pop(), val))
		case 27:
			stack = append(stack, Huber(pop(), val))
		case 28:
			a, b := pop(), pop()
			stack = append(stack, Maximum(a, b))
		case 29:
			stack = append(stack, LogSumExp(pop()))
		case 30:
			stack = append(stack, GeoMean(pop()))
		case 31:
			stack = append(stack, LambdaMax(pop()))
		case 32:
			stack = append(stack, LogDet(pop()))
		case 33:
			a, b := pop(), pop()
			stack = append(stack, QuadOverLin(a, b))
		case 34:
			a, b := pop(), pop()
			cons = append(cons, a.Le(b))
		case 35:
			a, b := pop(), pop()
			cons = append(cons, a.Eq(b))
		case 36:
			a, b := pop(), pop()
			cons = append(cons, SOC(a, b))
		case 37:
			a, b := pop(), pop()
			cons = append(cons, a.Succeq(b))
		case 38:
			stack = append(stack, pop().Reshape(int(val), 3))
		case 39:
			stack = append(stack, Min(pop()))
		}
	}
	e := pop()
	if len(prog) > 0 && prog[0]%2 == 1 {
		return Maximize(e), cons
	}
	return Minimize(e), cons
}

// FuzzModel: NewProblem on arbitrary models never panics, reports
// violations with a sentinel, and a model it accepts has finite cone data
// at finite parameter values; SolveParams on it returns a sentinel error
// or finite values and duals.
func FuzzModel(f *testing.F) {
	f.Add([]byte{0, 18}, 1.0)
	f.Add([]byte{1, 22, 12, 1}, 2.0)
	f.Add([]byte{5, 0, 10, 3, 8, 24, 0, 18, 6, 34}, 1.0)
	f.Add([]byte{2, 31, 2, 6, 37}, 0.0)
	f.Add([]byte{2, 32, 1}, 0.0)
	f.Add([]byte{0, 0, 9}, 1.0)
	f.Add([]byte{3, 3, 9, 0, 10}, 1.0)
	f.Fuzz(func(t *testing.T, prog []byte, val float64) {
		obj, cons := buildFuzz(prog, val)
		pb, err := NewProblem(obj, cons...)
		if err != nil {
			if !isAny(err, ErrNotDCP, ErrNotDPP, ErrDims, ErrInvalid, ErrNaN) {
				t.Fatalf("error without a sentinel: %v", err)
			}
			if strings.Contains(err.Error(), "internal error") {
				t.Fatalf("recovered panic: %v", err)
			}
			return
		}
		th := make([]float64, pb.NumParams())
		for i := range th {
			th[i] = 0.5 + float64(i%3)
		}
		cp, err := pb.ConeProblem(th)
		if err != nil {
			if !isAny(err, ErrNaN) {
				t.Fatalf("ConeProblem: %v", err)
			}
			return
		}
		if !finite(cp.P) || !finite(cp.B) {
			t.Fatal("non-finite cone data")
		}
		// The solve: an error with a sentinel, or finite values and duals.
		sol, err := pb.SolveParams(context.Background(), th, &Settings{MaxIter: 60})
		if err != nil {
			if !isAny(err, ErrNotConverged, ErrInfeasible, ErrUnbounded, ErrNaN, ErrDims, ErrInvalid) {
				t.Fatalf("SolveParams: error without a sentinel: %v", err)
			}
			return
		}
		for _, v := range pb.Variables() {
			xv, err := sol.VarValue(v)
			if err != nil || !finite(xv) {
				t.Fatalf("value of %s: %v %v", v.Name(), xv, err)
			}
		}
		for _, c := range pb.Constraints() {
			d, err := sol.Dual(c)
			if err != nil || !finite(d) {
				t.Fatalf("dual of %v: %v %v", c, d, err)
			}
		}
		_ = math.Pi
	})
}

// FuzzParameterValue: SetValue with arbitrary values never panics and
// accepts only values that pass the attributes.
func FuzzParameterValue(f *testing.F) {
	f.Add(1.0, -1.0, 0.5, 2.0)
	f.Add(math.NaN(), 0.0, 0.0, 0.0)
	f.Fuzz(func(t *testing.T, a, b, c, d float64) {
		v := []float64{a, b, c, d}
		for _, p := range []*Parameter{NewMatrixParameter("P", 2, 2), NewMatrixParameter("S", 2, 2, PSD()), NewMatrixParameter("N", 2, 2, Nonneg())} {
			err := p.SetValue(v)
			if err == nil && !finite(p.Value()) {
				t.Fatal("non-finite value accepted")
			}
			if err != nil && !isAny(err, ErrNaN, ErrInvalid, ErrDims) {
				t.Fatalf("error without a sentinel: %v", err)
			}
		}
	})
}
