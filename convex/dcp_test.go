package convex

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/mat"
)

// The curvature and sign tables of the DCP rules on small expressions.
func TestCurvatureSignTable(t *testing.T) {
	x := NewVariable("x", 3)
	y := NewVariable("y", 3, Nonneg())
	z := NewVariable("z", 1)
	X := NewMatrixVariable("X", 2, 2, Symmetric())
	p := NewParameter("p", 3)
	w := NewParameter("w", 1, Nonneg())
	cases := []struct {
		e    *Expr
		curv Curvature
		sign Sign
	}{
		{Const(2), Constant, Nonnegative},
		{Const(-2), Constant, Nonpositive},
		{Const(0), Constant, ZeroSign},
		{p.Expr, Constant, AnySign},
		{w.Expr, Constant, Nonnegative},
		{x.Expr, Affine, AnySign},
		{y.Expr, Affine, Nonnegative},
		{x.Add(p), Affine, AnySign},
		{y.Add(w), Affine, Nonnegative},
		{y.Neg(), Affine, Nonpositive},
		{Norm2(x), Convex, Nonnegative},
		{Norm2(x).Neg(), Concave, Nonpositive},
		{Norm1(x).Add(Norm2(x)), Convex, Nonnegative},
		{w.Mul(Norm2(x)), Convex, Nonnegative},
		{Const(-3).Mul(Norm2(x)), Concave, Nonpositive},
		{Log(y).Sum(), Concave, AnySign},
		{Exp(x).Sum(), Convex, Nonnegative},
		{Exp(Norm2(x)), Convex, Nonnegative},           // increasing of convex
		{Log(Log(y).Sum()), Concave, AnySign},          // increasing of concave
		{Square(y), Convex, Nonnegative},               // even power of affine
		{Norm2(Square(y)), Convex, Nonnegative},        // norm of nonneg convex
		{Sqrt(y), Concave, Nonnegative},                // 0 < p < 1
		{InvPos(z), Convex, Nonnegative},               // p < 0, decreasing
		{InvPos(Sqrt(y)), Convex, Nonnegative},         // decreasing of concave
		{QuadOverLin(x, Sqrt(z)), Convex, Nonnegative}, // decreasing in a concave denominator
		{Maximum(x, Norm2(x)), Convex, Nonnegative},
		{Minimum(Log(y), Const(0)), Concave, Nonpositive},
		{Max(x), Convex, AnySign},
		{Min(y), Concave, Nonnegative},
		{Huber(x, 1), Convex, Nonnegative},
		{Entropy(y).Sum(), Concave, AnySign},
		{GeoMean(y), Concave, Nonnegative},
		{LogSumExp(x), Convex, AnySign},
		{LambdaMax(X), Convex, AnySign},
		{LambdaMin(X), Concave, AnySign},
		{LogDet(X), Concave, AnySign},
		{X.Trace(), Affine, AnySign},
		{HStack(x, p), Affine, AnySign},
		{VStack(y, Const(1)), Affine, Nonnegative},
		{VStack(Norm2(x), Norm1(x)), Convex, Nonnegative},
		{x.Index(1), Affine, AnySign},
		{Pnorm(x, 3), Convex, Nonnegative},
		{QuadForm(x, Eye(3)), Convex, Nonnegative},
		{QuadForm(x, Eye(3).Neg()), Concave, Nonpositive},
		{Power(y, 3), Convex, Nonnegative},
		{Pos(x), Convex, Nonnegative},
		{NegPart(x), Convex, Nonnegative},
		{Abs(x).Sum(), Convex, Nonnegative},
	}
	for _, c := range cases {
		require.NoError(t, c.e.Err(), "%v", c.e)
		assert.Equal(t, c.curv, c.e.Curvature(), "curvature of %v", c.e)
		assert.Equal(t, c.sign, c.e.Sign(), "sign of %v", c.e)
	}
}

type badModel struct {
	name  string
	build func() error
	want  error
	names string // the sub-expression the message must name
}

func modelErr(obj Objective, cons ...*Constraint) func() error {
	return func() error { _, err := NewProblem(obj, cons...); return err }
}

// badModels is the table of hand-written models that must be refused,
// each with the sentinel and the sub-expression its error names.
func badModels() []badModel {
	x := NewVariable("x", 3)
	y := NewVariable("y", 3, Nonneg())
	v := NewVariable("v", 4)
	z := NewVariable("z", 1)
	X := NewMatrixVariable("X", 2, 2)
	A := NewMatrixParameter("A", 3, 3)
	B := NewMatrixParameter("B", 3, 3)
	p := NewParameter("p", 1)
	P := NewMatrixParameter("P", 3, 3, PSD())
	Pn := NewMatrixParameter("Pn", 3, 3)
	indef := ConstMat(mat.NewDense(3, 3, []float64{1, 0, 0, 0, -1, 0, 0, 0, 1}))
	var nilVar *Variable
	var nilExpr *Expr
	obj := Minimize(Norm2(x))
	return []badModel{
		{"minimize concave", modelErr(Minimize(Log(y).Sum())), ErrNotDCP, "Sum(Log(y))"},
		{"maximize convex", modelErr(Maximize(Norm2(x))), ErrNotDCP, "Maximize(Norm2(x))"},
		{"convex >= constant", modelErr(obj, Norm2(x).Ge(Const(1))), ErrNotDCP, "Norm2(x) >= 1"},
		{"concave <= constant", modelErr(obj, Log(y).Le(Const(1))), ErrNotDCP, "Log(y) <= 1"},
		{"constant <= concave? no: constant <= convex", modelErr(obj, Const(1).Le(Norm1(x))), ErrNotDCP, "1 <= Norm1(x)"},
		{"convex == constant", modelErr(obj, Norm2(x).Eq(Const(1))), ErrNotDCP, "Norm2(x) == 1"},
		{"variable times variable", modelErr(obj, x.Mul(x).Sum().Le(Const(1))), ErrNotDCP, "x * x"},
		{"quadratic by matmul", modelErr(Minimize(x.T().MatMul(x))), ErrNotDCP, "x.T @ x"},
		{"exp of concave", modelErr(Minimize(Exp(Log(y)).Sum())), ErrNotDCP, "Exp(Log(y))"},
		{"log of convex", modelErr(Maximize(Log(Exp(x)).Sum())), ErrNotDCP, "Log(Exp(x))"},
		{"abs of concave, sign unknown", modelErr(Minimize(Abs(Log(y)).Sum())), ErrNotDCP, "Abs(Log(y))"},
		{"norm of concave", modelErr(Minimize(Norm2(Sqrt(y)))), ErrNotDCP, "Norm2(Sqrt(y))"},
		{"sqrt of convex", modelErr(Maximize(Sqrt(Square(x)).Sum())), ErrNotDCP, "Sqrt(Square(x))"},
		{"entropy of non-affine", modelErr(Maximize(Entropy(Exp(x)).Sum())), ErrNotDCP, "Entropy(Exp(x))"},
		{"convex minus convex", modelErr(Minimize(Norm2(x).Sub(Norm1(x)))), ErrNotDCP, "Norm2(x) - Norm1(x)"},
		{"parameter times parameter", modelErr(Minimize(A.MatMul(B).MatMul(x).Sum())), ErrNotDPP, "A @ B"},
		{"parameter times parametrized", modelErr(Minimize(A.MatMul(B.MatMul(x)).Sum())), ErrNotDPP, "A @ (B @ x)"},
		{"coefficient of unknown sign", modelErr(Minimize(p.Mul(Norm2(x)))), ErrNotDCP, "p * Norm2(x)"},
		{"negative times convex minimized", modelErr(Minimize(Const(-1).Mul(Norm2(x)))), ErrNotDCP, "-1 * Norm2(x)"},
		{"indefinite quad form", modelErr(Minimize(QuadForm(x, indef))), ErrNotDCP, "P is indefinite"},
		{"quad form of a non-PSD parameter", modelErr(Minimize(QuadForm(x, Pn))), ErrNotDPP, "QuadForm(x, Pn)"},
		{"quad form of a parameter in a constraint", modelErr(obj, QuadForm(x, P).Le(Const(1))), ErrNotDPP, "QuadForm(x, P)"},
		{"quad form of convex", modelErr(Minimize(QuadForm(Square(x), Eye(3)))), ErrNotDCP, "QuadForm(Square(x), Eye(3))"},
		{"exp of a parameter as coefficient", modelErr(Minimize(Exp(p).Mul(z))), ErrNotDPP, "Exp(p)"},
		{"maximum of concave", modelErr(Minimize(Maximum(x, Log(y)).Sum())), ErrNotDCP, "Maximum(x, Log(y))"},
		{"quad over lin of convex denominator", modelErr(Minimize(QuadOverLin(x, Square(z)))), ErrNotDCP, "QuadOverLin(x, Square(z))"},
		{"logdet of convex", modelErr(Maximize(LogDet(Square(X)))), ErrNotDCP, "LogDet(Square(X))"},
		{"succeq of convex", modelErr(obj, Square(X).Succeq(Const(0))), ErrNotDCP, "Square(X) ≽ 0"},
		{"soc of convex", modelErr(obj, SOC(Norm1(x), x)), ErrNotDCP, "SOC(Norm1(x), x)"},
		{"stack of convex and concave", modelErr(Minimize(VStack(Norm2(x), Log(z)).Sum())), ErrNotDCP, "VStack(Norm2(x), Log(z))"},
		{"add shapes", modelErr(Minimize(x.Add(v).Sum())), ErrDims, "(x and v)"},
		{"matmul shapes", modelErr(Minimize(A.MatMul(v).Sum())), ErrDims, "MatMul: A is 3×3 and v is 4×1"},
		{"le shapes", modelErr(obj, x.Le(ConstVec([]float64{1, 2}))), ErrDims, "x <= Const(2×1)"},
		{"objective not scalar", modelErr(Minimize(x)), ErrDims, "Minimize(x)"},
		{"nil expression", modelErr(Minimize(Norm2(nilExpr))), ErrInvalid, "Norm2"},
		{"nil variable", modelErr(Minimize(Norm2(nilVar))), ErrInvalid, "Norm2"},
		{"nil constraint", modelErr(obj, nil), ErrInvalid, "constraint 0 is nil"},
		{"no objective", modelErr(Objective{}), ErrInvalid, "no objective"},
		{"matmul too large", modelErr(Minimize(NewMatrixParameter("Big", 1024, 1024).MatMul(NewMatrixVariable("V", 1024, 1024)).Sum())), ErrInvalid, "MatMul of Big"},
		{"no variable", modelErr(Minimize(p.Mul(Const(2)))), ErrInvalid, "has no variable"},
		{"NaN constant", modelErr(obj, x.Le(ConstVec([]float64{1, math.NaN(), 2}))), ErrNaN, "constant entry 1"},
		{"Inf constant", modelErr(obj, x.Le(Const(math.Inf(1)))), ErrNaN, "constant entry 0"},
		{"pnorm below 1", modelErr(Minimize(Pnorm(x, 0.5))), ErrInvalid, "Pnorm"},
		{"huber threshold", modelErr(Minimize(Huber(x, -1).Sum())), ErrInvalid, "Huber"},
		{"power NaN", modelErr(Minimize(Power(x, math.NaN()).Sum())), ErrInvalid, "Power(x, NaN)"},
		{"succeq not square", modelErr(obj, NewMatrixVariable("R", 2, 3).Succeq(Const(0))), ErrDims, "not square"},
		{"soc t not scalar", modelErr(obj, SOC(x, x)), ErrDims, "t = x is 3×1"},
		{"lambda max not square", modelErr(Minimize(LambdaMax(NewMatrixVariable("R", 2, 3)))), ErrDims, "LambdaMax of R"},
		{"geo mean of a matrix", modelErr(Maximize(GeoMean(X))), ErrDims, "GeoMean of X"},
		{"unknown attribute", modelErr(Minimize(NewVariable("u", 2, Attr(99)).Sum())), ErrInvalid, "variable u"},
		{"nonneg and nonpos", modelErr(Minimize(NewVariable("u", 2, Nonneg(), Nonpos()).Sum())), ErrInvalid, "variable u"},
		{"symmetric not square", modelErr(Minimize(NewMatrixVariable("S", 2, 3, Symmetric()).Sum())), ErrDims, "variable S"},
		{"bad shape", modelErr(Minimize(NewVariable("u", 0).Sum())), ErrDims, "variable u"},
		{"slice outside", modelErr(Minimize(x.Slice(2, 5).Sum())), ErrDims, "x[2:5]"},
		{"index outside", modelErr(Minimize(x.Index(-1))), ErrDims, "x[-1]"},
		{"reshape size", modelErr(Minimize(x.Reshape(2, 2).Sum())), ErrDims, "Reshape of x"},
		{"unset parameter", func() error {
			q := NewParameter("q", 3)
			pb, err := NewProblem(Minimize(q.Dot(x)), Norm2(x).Le(Const(1)))
			if err != nil {
				return err
			}
			_, err = pb.Theta()
			return err
		}, ErrInvalid, "parameter q has no value"},
		{"NaN parameter value", func() error { return NewParameter("q", 2).SetValue([]float64{1, math.NaN()}) }, ErrNaN, "parameter q"},
		{"parameter value length", func() error { return NewParameter("q", 2).SetValue([]float64{1}) }, ErrDims, "parameter q"},
		{"negative value of a Nonneg parameter", func() error { return NewParameter("q", 2, Nonneg()).SetValue([]float64{1, -1}) }, ErrInvalid, "parameter q is Nonneg"},
		{"indefinite value of a PSD parameter", func() error { return P.SetValue([]float64{1, 0, 0, 0, -1, 0, 0, 0, 1}) }, ErrInvalid, "parameter P is PSD"},
		{"theta length", func() error {
			pb, err := NewProblem(Minimize(A.MatMul(x).Sum()), Norm2(x).Le(Const(1)))
			if err != nil {
				return err
			}
			_, err = pb.ConeProblem(make([]float64, 3))
			return err
		}, ErrDims, "θ has 3 entries"},
		{"overflow at solve", func() error {
			pb, err := NewProblem(Minimize(A.MatMul(x).Scale(1e300).Sum()), Norm2(x).Le(Const(1)))
			if err != nil {
				return err
			}
			th := make([]float64, 9)
			for i := range th {
				th[i] = 1e300
			}
			_, err = pb.ConeProblem(th)
			return err
		}, ErrNaN, "overflows"},
	}
}

func TestBadModels(t *testing.T) {
	rows := badModels()
	require.GreaterOrEqual(t, len(rows), 30)
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			var err error
			require.NotPanics(t, func() { err = r.build() })
			require.Error(t, err)
			assert.True(t, errors.Is(err, r.want), "error %q does not match %v", err, r.want)
			assert.True(t, strings.Contains(err.Error(), r.names), "error %q does not name %q", err, r.names)
		})
	}
}
