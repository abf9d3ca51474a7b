package convex

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Atom by atom: with the argument a parameter a₀, minimize t s.t.
// f(a₀) ≤ t (maximize t s.t. t ≤ f(a₀) for a concave f) has t* = f(a₀),
// and ∂t*/∂a₀ = ∇f(a₀). Both are checked against the direct evaluation
// of f (Value) and its central differences: an independent answer for
// every cone the canonicalization uses (linear, second-order, power,
// exponential, PSD), values and derivatives.
func TestAtomsEpigraph(t *testing.T) {
	rng := rand.New(rand.NewPCG(16, 16))
	n := 4
	pos := func() []float64 {
		v := make([]float64, n)
		for i := range v {
			v[i] = 0.2 + rng.Float64()
		}
		return v
	}
	unit := func() []float64 {
		v := make([]float64, n)
		for i := range v {
			v[i] = 0.1 + 0.8*rng.Float64()
		}
		return v
	}
	gauss := func() []float64 { return randVec(rng, n, 1) }
	spd := func() []float64 {
		m := randVec(rng, 9, 1)
		out := make([]float64, 9)
		for i := range 3 {
			for j := range 3 {
				s := 0.0
				for k := range 3 {
					s += m[i+3*k] * m[j+3*k]
				}
				if i == j {
					s += 0.5
				}
				out[i+3*j] = s
			}
		}
		return out
	}
	psd := []float64{2, 0.5, 0, 0.5, 1, 0.2, 0, 0.2, 1.5}
	type atomCase struct {
		name    string
		shape   [2]int
		draw    func() []float64
		f       func(a *Parameter) *Expr
		concave bool
	}
	cases := []atomCase{
		{"Abs", [2]int{n, 1}, gauss, func(a *Parameter) *Expr { return Abs(a).Sum() }, false},
		{"Pos", [2]int{n, 1}, gauss, func(a *Parameter) *Expr { return Pos(a).Sum() }, false},
		{"NegPart", [2]int{n, 1}, gauss, func(a *Parameter) *Expr { return NegPart(a).Sum() }, false},
		{"Norm1", [2]int{n, 1}, gauss, func(a *Parameter) *Expr { return Norm1(a) }, false},
		{"Norm2", [2]int{n, 1}, gauss, func(a *Parameter) *Expr { return Norm2(a) }, false},
		{"NormInf", [2]int{n, 1}, gauss, func(a *Parameter) *Expr { return NormInf(a) }, false},
		{"Pnorm3", [2]int{n, 1}, gauss, func(a *Parameter) *Expr { return Pnorm(a, 3) }, false},
		{"Pnorm1.5", [2]int{n, 1}, gauss, func(a *Parameter) *Expr { return Pnorm(a, 1.5) }, false},
		{"SumSquares", [2]int{n, 1}, gauss, func(a *Parameter) *Expr { return SumSquares(a) }, false},
		{"QuadOverLin", [2]int{n, 1}, gauss, func(a *Parameter) *Expr { return QuadOverLin(a, Const(1.7)) }, false},
		{"QuadOverLinParam", [2]int{n + 1, 1}, func() []float64 { return append(gauss(), 0.5+rng.Float64()) }, func(a *Parameter) *Expr {
			return QuadOverLin(a.Slice(0, n), a.Index(n))
		}, false},
		{"QuadForm", [2]int{3, 1}, func() []float64 { return randVec(rng, 3, 1) }, func(a *Parameter) *Expr {
			return QuadForm(a, ConstMat(denseOf(3, 3, psd)))
		}, false},
		{"QuadFormNSD", [2]int{3, 1}, func() []float64 { return randVec(rng, 3, 1) }, func(a *Parameter) *Expr {
			return QuadForm(a, ConstMat(denseOf(3, 3, psd)).Neg())
		}, true},
		{"Square", [2]int{n, 1}, gauss, func(a *Parameter) *Expr { return Square(a).Sum() }, false},
		{"Power3", [2]int{n, 1}, pos, func(a *Parameter) *Expr { return Power(a, 3).Sum() }, false},
		{"Power4", [2]int{n, 1}, gauss, func(a *Parameter) *Expr { return Power(a, 4).Sum() }, false},
		{"InvPos", [2]int{n, 1}, pos, func(a *Parameter) *Expr { return InvPos(a).Sum() }, false},
		{"Sqrt", [2]int{n, 1}, pos, func(a *Parameter) *Expr { return Sqrt(a).Sum() }, true},
		{"Power0.3", [2]int{n, 1}, pos, func(a *Parameter) *Expr { return Power(a, 0.3).Sum() }, true},
		{"Max", [2]int{n, 1}, gauss, func(a *Parameter) *Expr { return Max(a) }, false},
		{"Min", [2]int{n, 1}, gauss, func(a *Parameter) *Expr { return Min(a) }, true},
		{"Maximum", [2]int{n, 1}, gauss, func(a *Parameter) *Expr { return Maximum(a, Const(0.1)).Sum() }, false},
		{"Minimum", [2]int{n, 1}, gauss, func(a *Parameter) *Expr { return Minimum(a, Const(0.1)).Sum() }, true},
		{"Huber", [2]int{n, 1}, func() []float64 { v := gauss(); v[0] = 2.5; return v }, func(a *Parameter) *Expr { return Huber(a, 1).Sum() }, false},
		{"LogSumExp", [2]int{n, 1}, gauss, func(a *Parameter) *Expr { return LogSumExp(a) }, false},
		{"Exp", [2]int{n, 1}, gauss, func(a *Parameter) *Expr { return Exp(a).Sum() }, false},
		{"Log", [2]int{n, 1}, pos, func(a *Parameter) *Expr { return Log(a).Sum() }, true},
		{"Entropy", [2]int{n, 1}, unit, func(a *Parameter) *Expr { return Entropy(a).Sum() }, true},
		{"GeoMean", [2]int{n, 1}, pos, func(a *Parameter) *Expr { return GeoMean(a) }, true},
		{"LambdaMax", [2]int{3, 3}, func() []float64 { return randVec(rng, 9, 1) }, func(a *Parameter) *Expr { return LambdaMax(a) }, false},
		{"LambdaMin", [2]int{3, 3}, func() []float64 { return randVec(rng, 9, 1) }, func(a *Parameter) *Expr { return LambdaMin(a) }, true},
		{"LogDet", [2]int{3, 3}, spd, func(a *Parameter) *Expr { return LogDet(a) }, true},
	}
	ctx := context.Background()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := NewMatrixParameter("a", c.shape[0], c.shape[1])
			tv := NewVariable("t", 1)
			f := c.f(a)
			require.NoError(t, f.Err())
			obj, con := Minimize(tv), f.Le(tv)
			if c.concave {
				obj, con = Maximize(tv), tv.Le(f)
			}
			pb, err := NewProblem(obj, con)
			require.NoError(t, err)
			for k := range 2 {
				a0 := c.draw()
				sol, err := pb.SolveParams(ctx, a0, atomSettings)
				require.NoError(t, err, "instance %d", k)
				want := mustVal(t, sol, f)[0]
				got, err := sol.VarValue(tv)
				require.NoError(t, err)
				assert.InDelta(t, want, got[0], 1e-7*(1+math.Abs(want)), "t* vs %s(a₀)", c.name)
				gr, err := sol.Backward(map[*Variable][]float64{tv: {1}}, nil)
				require.NoError(t, err)
				g := gr.Of(a)
				for i := range a0 {
					h := 1e-6
					ap, am := append([]float64(nil), a0...), append([]float64(nil), a0...)
					ap[i] += h
					am[i] -= h
					fp := evalAt(t, f, a, ap)
					fm := evalAt(t, f, a, am)
					fd := (fp - fm) / (2 * h)
					assert.InDelta(t, fd, g[i], 1e-5*(1+math.Abs(fd)), fmt.Sprintf("∂/∂a[%d]", i))
				}
			}
		})
	}
}

// evalAt evaluates a parameter-only expression at a = v.
func evalAt(t testing.TB, f *Expr, a *Parameter, v []float64) float64 {
	ev := &evaluator{memo: map[*Expr][]float64{}, params: func(p *Parameter) ([]float64, error) { return v, nil }}
	out, err := ev.eval(f)
	require.NoError(t, err)
	return out[0]
}

var atomSettings = tight
