package conformance

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/optlayers/optlayers/implicit"
	"github.com/optlayers/optlayers/implicit/linsolve"

	"gonum.org/v1/gonum/mat"
)

// linear is the test double z*(θ) = tanh(Mθ) with condition
// F(z, θ) = atanh(z) − Mθ, its derivatives hand-written; flaw breaks one
// of them on purpose.
type linear struct {
	m     *mat.Dense
	theta []float64
	z     []float64
	flaw  string
}

var errDims = errors.New("double: dimension mismatch")

func newLinear(m *mat.Dense, theta []float64, flaw string) *linear {
	r, _ := m.Dims()
	z := make([]float64, r)
	v := mat.NewVecDense(r, nil)
	v.MulVec(m, mat.NewVecDense(len(theta), theta))
	for i := range z {
		z[i] = math.Tanh(v.AtVec(i))
		if flaw == "batch" && i == 0 {
			z[i] += 1e-14 * float64(len(theta)%2) // depends on nothing stable
		}
	}
	return &linear{m: m, theta: append([]float64(nil), theta...), z: z, flaw: flaw}
}

func (l *linear) Condition() (implicit.Condition, []float64, []float64) {
	r, c := l.m.Dims()
	cond := &implicit.ConditionFunc{N: r, P: c,
		ResidualFunc: func(dst, z, theta []float64) {
			v := mat.NewVecDense(r, nil)
			v.MulVec(l.m, mat.NewVecDense(c, theta))
			for i := range dst {
				dst[i] = math.Atanh(z[i]) - v.AtVec(i)
			}
		},
		LinearizeFunc: func(z, theta []float64) (implicit.Operator, implicit.Operator, error) {
			d := mat.NewDense(r, r, nil)
			for i := range r {
				d.Set(i, i, 1/(1-z[i]*z[i]))
			}
			neg := mat.NewDense(r, c, nil)
			neg.Scale(-1, l.m)
			return linsolve.NewMatrix(d), linsolve.NewMatrix(neg), nil
		}}
	z := append([]float64(nil), l.z...)
	if l.flaw == "condition" {
		z[0] += 0.1
	}
	return cond, z, append([]float64(nil), l.theta...)
}

func (l *linear) VJP(dst, g []float64) error {
	r, c := l.m.Dims()
	if len(dst) != c || len(g) != r {
		return errDims
	}
	if l.flaw != "nan" {
		for _, v := range g {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return errors.New("NaN")
			}
		}
	}
	w := make([]float64, r)
	for i := range w {
		w[i] = g[i] * (1 - l.z[i]*l.z[i])
	}
	out := mat.NewVecDense(c, dst)
	out.MulVec(l.m.T(), mat.NewVecDense(r, w))
	switch l.flaw {
	case "sign":
		for i := range dst {
			dst[i] = -dst[i]
		}
	case "missing":
		dst[c-1] = 0
	}
	return nil
}

func (l *linear) JVP(dst, d []float64) error {
	r, c := l.m.Dims()
	if len(dst) != r || len(d) != c {
		return errDims
	}
	for _, v := range d {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return errors.New("NaN")
		}
	}
	out := mat.NewVecDense(r, dst)
	out.MulVec(l.m, mat.NewVecDense(c, d))
	for i := range dst {
		dst[i] *= 1 - l.z[i]*l.z[i]
		if l.flaw == "jvp" && i == 0 {
			dst[i] *= 2
		}
	}
	return nil
}

func doubleCase(flaw string) Case {
	m := mat.NewDense(3, 4, []float64{0.3, -0.2, 0.5, 0.1, 0.7, 0.4, -0.6, 0.2, -0.1, 0.8, 0.3, -0.5})
	c := Case{
		Name:  "double/" + flaw,
		Theta: []float64{0.4, -0.3, 0.2, 0.9},
		Solve: func(ctx context.Context, theta []float64) (implicit.Differentiable, error) {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			if flaw == "fd" {
				// The solve returns the wrong function of θ: its
				// derivatives do not match the hand-written ones.
				theta = append([]float64(nil), theta...)
				theta[0] *= 1.5
			}
			return newLinear(m, theta, flaw), nil
		},
		Cancelable: true,
	}
	c.Batch = func(ctx context.Context, thetas [][]float64, workers int) ([]implicit.Differentiable, error) {
		out := make([]implicit.Differentiable, len(thetas))
		for i, th := range thetas {
			l := newLinear(m, th, flaw)
			if flaw == "batch" && workers > 1 {
				l.z[0] += 1e-13
			}
			out[i] = l
		}
		return out, nil
	}
	return c
}

// TestCheckCatchesBrokenResults shows that every check can fail: each
// deliberately broken double is caught by the check meant for it, and
// the correct double passes them all.
func TestCheckCatchesBrokenResults(t *testing.T) {
	if f := Check(doubleCase("")); len(f) != 0 {
		t.Fatalf("the correct double fails: %v", f)
	}
	for flaw, check := range map[string]string{
		"sign":      "vjp vs central differences",
		"missing":   "vjp vs central differences",
		"jvp":       "jvp vs vjp",
		"condition": "condition",
		"nan":       "bad input",
		"batch":     "batch workers",
		"fd":        "vjp vs central differences",
	} {
		f := Check(doubleCase(flaw))
		found := false
		for _, e := range f {
			if strings.HasPrefix(e.Check, check) {
				found = true
			}
		}
		if !found {
			t.Errorf("flaw %q: check %q did not fail (failures: %v)", flaw, check, f)
		}
	}
	// A solve that ignores a canceled context is caught too.
	c := doubleCase("")
	solve := c.Solve
	c.Solve = func(_ context.Context, theta []float64) (implicit.Differentiable, error) {
		return solve(context.Background(), theta)
	}
	if f := Check(c); len(f) != 1 || f[0].Check != "cancellation" {
		t.Errorf("cancellation not caught: %v", f)
	}
	// A result whose context methods ignore the context is caught.
	c = engineCase(implicit.GMRES)
	solve = c.Solve
	c.Solve = func(ctx context.Context, theta []float64) (implicit.Differentiable, error) {
		r, err := solve(ctx, theta)
		if err != nil {
			return nil, err
		}
		return deafContext{r.(*implicit.Solution)}, nil
	}
	if f := Check(c); len(f) != 1 || f[0].Check != "derivative cancellation" {
		t.Errorf("ignored context not caught: %v", f)
	}
	// A panicking result is a failure, not a crash.
	c = doubleCase("")
	c.Solve = func(context.Context, []float64) (implicit.Differentiable, error) { panic("boom") }
	if f := Check(c); len(f) != 1 || !strings.Contains(fmt.Sprint(f), "panic") {
		t.Errorf("panic not reported: %v", f)
	}
}

// engineCase is the engine's own Solution (implicit.Problem) for the
// condition F(z, θ) = z + ½tanh(Mz) − Bθ, solved by fixed-point
// iteration, differentiated with the given method.
func engineCase(m implicit.Method) Case {
	const n, p = 6, 3
	mm := mat.NewDense(n, n, nil)
	bb := mat.NewDense(n, p, nil)
	for i := range n {
		for j := range n {
			mm.Set(i, j, 0.3*math.Sin(float64(3*i+j)))
		}
		for j := range p {
			bb.Set(i, j, math.Cos(float64(i+2*j)))
		}
	}
	cond := &implicit.ConditionFunc{N: n, P: p,
		ResidualFunc: func(dst, z, theta []float64) {
			mz := mat.NewVecDense(n, nil)
			mz.MulVec(mm, mat.NewVecDense(n, z))
			bt := mat.NewVecDense(n, nil)
			bt.MulVec(bb, mat.NewVecDense(p, theta))
			for i := range dst {
				dst[i] = z[i] + 0.5*math.Tanh(mz.AtVec(i)) - bt.AtVec(i)
			}
		},
		LinearizeFunc: func(z, theta []float64) (implicit.Operator, implicit.Operator, error) {
			mz := mat.NewVecDense(n, nil)
			mz.MulVec(mm, mat.NewVecDense(n, z))
			dx := mat.NewDense(n, n, nil)
			for i := range n {
				sech2 := 1 - math.Pow(math.Tanh(mz.AtVec(i)), 2)
				for j := range n {
					dx.Set(i, j, 0.5*sech2*mm.At(i, j))
				}
				dx.Set(i, i, dx.At(i, i)+1)
			}
			neg := mat.NewDense(n, p, nil)
			neg.Scale(-1, bb)
			return linsolve.NewMatrix(dx), linsolve.NewMatrix(neg), nil
		}}
	pb := &implicit.Problem{
		Condition: cond,
		Settings:  &implicit.Settings{Method: m, Tol: 1e-13},
		Tol:       1e-9,
		Solver: func(ctx context.Context, theta, _ []float64) ([]float64, error) {
			z := make([]float64, n)
			r := make([]float64, n)
			for range 200 {
				if err := ctx.Err(); err != nil {
					return nil, err
				}
				cond.ResidualFunc(r, z, theta)
				for i := range z {
					z[i] -= r[i]
				}
			}
			return z, nil
		},
	}
	return Case{
		Name:  "implicit/Problem " + m.String(),
		Theta: []float64{0.3, -0.2, 0.5},
		Solve: func(ctx context.Context, theta []float64) (implicit.Differentiable, error) {
			return pb.Solve(ctx, theta, nil)
		},
		Cancelable: true,
	}
}

// deafContext is a Solution whose context methods ignore the context.
type deafContext struct{ *implicit.Solution }

func (d deafContext) VJPContext(_ context.Context, dst, g []float64) error {
	return d.Solution.VJPContext(context.Background(), dst, g)
}

func (d deafContext) JVPContext(_ context.Context, dst, dtheta []float64) error {
	return d.Solution.JVPContext(context.Background(), dst, dtheta)
}

// TestEngineSolution runs the suite on the engine's own Solution, with a
// dense and with each Krylov method (the path that honours ctx).
func TestEngineSolution(t *testing.T) {
	var cases []Case
	for _, m := range []implicit.Method{implicit.Auto, implicit.GMRES, implicit.BiCGSTAB, implicit.NormalCG} {
		cases = append(cases, engineCase(m))
	}
	Run(t, cases)
}
