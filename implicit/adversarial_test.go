package implicit

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"testing"
	"time"

	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/implicit/linsolve"
	"github.com/optlayers/optlayers/internal/testutil"
)

// linCond is F(x, θ) = A x − B θ with A = [[2, 1], [1, 3]] and B 2×3, so
// x* = A⁻¹ B θ and the VJP of g is Bᵀ A⁻ᵀ g.
func linCond() *ConditionFunc {
	a := mat.NewDense(2, 2, []float64{2, 1, 1, 3})
	b := mat.NewDense(2, 3, []float64{1, 0, 2, 0, 1, -1})
	return &ConditionFunc{N: 2, P: 3,
		ResidualFunc: func(dst, x, th []float64) {
			dst[0] = 2*x[0] + x[1] - th[0] - 2*th[2]
			dst[1] = x[0] + 3*x[1] - th[1] + th[2]
		},
		LinearizeFunc: func(x, th []float64) (Operator, Operator, error) {
			nb := mat.DenseCopyOf(b)
			nb.Scale(-1, nb)
			return linsolve.NewMatrix(a), linsolve.NewMatrix(nb), nil
		}}
}

// linVJP is the exact VJP of linCond: Bᵀ A⁻ᵀ g.
func linVJP(g []float64) []float64 {
	// A⁻¹ = [[3, −1], [−1, 2]] / 5 (A symmetric).
	u := []float64{(3*g[0] - g[1]) / 5, (-g[0] + 2*g[1]) / 5}
	return []float64{u[0], u[1], 2*u[0] - u[1]}
}

func near(got, want []float64, tol float64) error {
	if len(got) != len(want) {
		return fmt.Errorf("length %d, want %d", len(got), len(want))
	}
	for i := range got {
		if math.Abs(got[i]-want[i]) > tol*math.Max(1, math.Abs(want[i])) {
			return fmt.Errorf("entry %d = %v, want %v", i, got[i], want[i])
		}
	}
	return nil
}

func panicky(what string) *ConditionFunc {
	c := linCond()
	switch what {
	case "residual":
		c.ResidualFunc = func(dst, x, th []float64) { panic("residual boom") }
	case "linearize":
		c.LinearizeFunc = func(x, th []float64) (Operator, Operator, error) { panic(errors.New("linearize boom")) }
	case "apply":
		c.LinearizeFunc = func(x, th []float64) (Operator, Operator, error) {
			bad := linsolve.NewFunc(2, 3, func(dst, v []float64) { panic("apply boom") }, func(dst, u []float64) { panic("applyT boom") })
			return linsolve.NewMatrix(mat.NewDense(2, 2, []float64{2, 1, 1, 3})), bad, nil
		}
	}
	return c
}

func panickyDx() *ConditionFunc {
	c := linCond()
	c.LinearizeFunc = func(x, th []float64) (Operator, Operator, error) {
		bad := linsolve.NewFunc(2, 2, func(dst, v []float64) { panic("apply boom") }, func(dst, u []float64) { panic("applyT boom") })
		return bad, linsolve.Zero{Rows: 2, Cols: 3}, nil
	}
	return c
}

var x2, th3, g2 = []float64{0, 0}, []float64{1, 2, 3}, []float64{1, -1}

func vjpCase(name string, c Condition, x, th, g []float64, s *Settings, want error) testutil.Case {
	return testutil.Case{Name: "VJP/" + name, Want: want, Call: func(context.Context) (func() error, error) {
		v, err := VJP(context.Background(), c, x, th, g, s)
		return func() error { return testutil.Finite("VJP", v) }, err
	}}
}

func TestAdversarialEngine(t *testing.T) {
	nilOps := linCond()
	nilOps.LinearizeFunc = func(x, th []float64) (Operator, Operator, error) { return nil, nil, nil }
	wrongDims := linCond()
	wrongDims.LinearizeFunc = func(x, th []float64) (Operator, Operator, error) {
		return linsolve.Identity(3), linsolve.Zero{Rows: 2, Cols: 3}, nil
	}
	noLin := linCond()
	noLin.LinearizeFunc = nil
	singular := linCond()
	singular.LinearizeFunc = func(x, th []float64) (Operator, Operator, error) {
		return linsolve.Zero{Rows: 2, Cols: 2}, linsolve.Zero{Rows: 2, Cols: 3}, nil
	}
	huge := linCond()
	huge.LinearizeFunc = func(x, th []float64) (Operator, Operator, error) {
		return linsolve.Diagonal{1e-300, 1e-300}, linsolve.NewMatrix(mat.NewDense(2, 3, []float64{1e300, 0, 0, 0, 1e300, 0})), nil
	}
	empty := &ConditionFunc{N: 0, P: 2, ResidualFunc: func(dst, x, th []float64) {},
		LinearizeFunc: func(x, th []float64) (Operator, Operator, error) {
			return linsolve.Zero{}, linsolve.Zero{Rows: 0, Cols: 2}, nil
		}}
	nan := math.NaN()
	inf := math.Inf(1)
	cases := []testutil.Case{
		vjpCase("nil condition", nil, x2, th3, g2, nil, ErrInvalid),
		vjpCase("nil *ConditionFunc", (*ConditionFunc)(nil), x2, th3, g2, nil, ErrInvalid),
		vjpCase("no LinearizeFunc", noLin, x2, th3, g2, nil, ErrInvalid),
		vjpCase("nil operators", nilOps, x2, th3, g2, nil, ErrInvalid),
		vjpCase("operators of the wrong shape", wrongDims, x2, th3, g2, nil, ErrDims),
		vjpCase("Numerical nil residual", Numerical(1, 1, nil), []float64{0}, []float64{0}, []float64{1}, nil, ErrInvalid),
		vjpCase("Numerical negative n", Numerical(-1, 1, func(dst, x, th []float64) {}), nil, []float64{0}, nil, nil, ErrDims),
		vjpCase("FixedPoint(nil)", FixedPoint(nil), x2, th3, g2, nil, ErrInvalid),
		vjpCase("FixedPoint empty MapFunc", FixedPoint(&MapFunc{N: 2, P: 3}), x2, th3, g2, nil, ErrInvalid),
		vjpCase("FixedPoint nil operators", FixedPoint(&MapFunc{N: 2, P: 3, LinearizeFunc: func(x, th []float64) (Operator, Operator, error) { return nil, nil, nil }}), x2, th3, g2, nil, ErrInvalid),
		vjpCase("len x", linCond(), []float64{0}, th3, g2, nil, ErrDims),
		vjpCase("len theta", linCond(), x2, th3[:2], g2, nil, ErrDims),
		vjpCase("len g", linCond(), x2, th3, []float64{1}, nil, ErrDims),
		vjpCase("nil g", linCond(), x2, th3, nil, nil, ErrDims),
		vjpCase("NaN x", linCond(), []float64{nan, 0}, th3, g2, nil, ErrNaN),
		vjpCase("Inf theta", linCond(), x2, []float64{1, inf, 0}, g2, nil, ErrNaN),
		vjpCase("NaN g", linCond(), x2, th3, []float64{nan, 0}, nil, ErrNaN),
		vjpCase("singular", singular, x2, th3, g2, nil, ErrSolve),
		vjpCase("singular CG", singular, x2, th3, g2, &Settings{Method: CG}, ErrSolve),
		vjpCase("1e±300 overflow", huge, x2, th3, g2, nil, ErrNaN),
		vjpCase("1e300 cotangent", linCond(), x2, th3, []float64{1e300, -1e300}, nil, nil),
		vjpCase("Tol -1", linCond(), x2, th3, g2, &Settings{Tol: -1}, ErrInvalid),
		vjpCase("Tol NaN", linCond(), x2, th3, g2, &Settings{Tol: nan}, ErrInvalid),
		vjpCase("MaxIter -1", linCond(), x2, th3, g2, &Settings{MaxIter: -1}, ErrInvalid),
		vjpCase("Restart -1", linCond(), x2, th3, g2, &Settings{Restart: -1}, ErrInvalid),
		vjpCase("Ridge NaN", linCond(), x2, th3, g2, &Settings{Ridge: nan}, ErrInvalid),
		vjpCase("NeumannStep Inf", linCond(), x2, th3, g2, &Settings{NeumannStep: inf}, ErrInvalid),
		vjpCase("NeumannTerms -1", linCond(), x2, th3, g2, &Settings{NeumannTerms: -1}, ErrInvalid),
		vjpCase("Method(99)", linCond(), x2, th3, g2, &Settings{Method: 99}, ErrInvalid),
		vjpCase("Method(-1)", linCond(), x2, th3, g2, &Settings{Method: -1}, ErrInvalid),
		vjpCase("WarmStart length", linCond(), x2, th3, g2, &Settings{Method: GMRES, WarmStart: []float64{1}}, ErrDims),
		vjpCase("panicking LinearizeFunc", panicky("linearize"), x2, th3, g2, nil, ErrCallback),
		vjpCase("panicking operator", panicky("apply"), x2, th3, g2, nil, ErrCallback),
		vjpCase("panicking ∂ₓF in GMRES", panickyDx(), x2, th3, g2, &Settings{Method: GMRES}, ErrCallback),
		vjpCase("panicking ∂ₓF in Auto", panickyDx(), x2, th3, g2, nil, ErrCallback),
		vjpCase("panicking Numerical residual", Numerical(1, 1, func(dst, x, th []float64) { panic("boom") }), []float64{0}, []float64{0}, []float64{1}, nil, ErrCallback),
		{Name: "VJP/valid", Call: func(context.Context) (func() error, error) {
			v, err := VJP(context.Background(), linCond(), x2, th3, g2, nil)
			return func() error { return near(v, linVJP(g2), 1e-12) }, err
		}},
		{Name: "VJP/n = 0", Call: func(context.Context) (func() error, error) {
			v, err := VJP(context.Background(), empty, nil, []float64{1, 2}, nil, nil)
			return func() error { return near(v, []float64{0, 0}, 0) }, err
		}},
		{Name: "JVP/n = 0", Call: func(context.Context) (func() error, error) {
			v, err := JVP(context.Background(), empty, nil, []float64{1, 2}, []float64{1, 1}, nil)
			return func() error { return near(v, nil, 0) }, err
		}},
		{Name: "Jacobian/n = 0", Call: func(context.Context) (func() error, error) {
			j, err := Jacobian(context.Background(), empty, nil, []float64{1, 2}, nil)
			return func() error {
				if r, c := j.Dims(); r != 0 || c != 0 {
					return fmt.Errorf("Jacobian is %d×%d", r, c)
				}
				return nil
			}, err
		}},
		{Name: "JVP/Numerical n = 0", Call: func(context.Context) (func() error, error) {
			v, err := JVP(context.Background(), Numerical(0, 1, func(dst, x, th []float64) {}), nil, []float64{1}, []float64{1}, nil)
			return func() error { return near(v, nil, 0) }, err
		}},
		{Name: "Jacobian/Numerical n = 0", Call: func(context.Context) (func() error, error) {
			_, err := Jacobian(context.Background(), Numerical(0, 1, func(dst, x, th []float64) {}), nil, []float64{1}, nil)
			return func() error { return nil }, err
		}},
		{Name: "JVP/nil condition", Want: ErrInvalid, Call: func(context.Context) (func() error, error) {
			_, err := JVP(context.Background(), nil, x2, th3, th3, nil)
			return nil, err
		}},
		{Name: "JVP/NaN direction", Want: ErrNaN, Call: func(context.Context) (func() error, error) {
			_, err := JVP(context.Background(), linCond(), x2, th3, []float64{nan, 0, 0}, nil)
			return nil, err
		}},
		{Name: "JVP/len direction", Want: ErrDims, Call: func(context.Context) (func() error, error) {
			_, err := JVP(context.Background(), linCond(), x2, th3, nil, nil)
			return nil, err
		}},
		{Name: "JVP/panicking operator", Want: ErrCallback, Call: func(context.Context) (func() error, error) {
			_, err := JVP(context.Background(), panicky("apply"), x2, th3, th3, nil)
			return nil, err
		}},
		{Name: "Jacobian/nil condition", Want: ErrInvalid, Call: func(context.Context) (func() error, error) {
			_, err := Jacobian(context.Background(), nil, x2, th3, nil)
			return nil, err
		}},
		{Name: "Jacobian/panicking operator", Want: ErrCallback, Call: func(context.Context) (func() error, error) {
			_, err := Jacobian(context.Background(), panicky("apply"), x2, th3, &Settings{Method: GMRES})
			return nil, err
		}},
		{Name: "Linearization/nil receiver", Want: ErrInvalid, Call: func(context.Context) (func() error, error) {
			var l *Linearization
			n, p := l.Dims()
			_, _ = l.Operators()
			_ = l.LastSolution()
			if n != 0 || p != 0 {
				return nil, errors.New("dims of nil")
			}
			if err := l.Adjoint(nil, nil); !errors.Is(err, ErrInvalid) {
				return nil, err
			}
			if err := l.JVP(nil, nil); !errors.Is(err, ErrInvalid) {
				return nil, err
			}
			if _, err := l.Jacobian(); !errors.Is(err, ErrInvalid) {
				return nil, err
			}
			return nil, l.VJP(nil, nil)
		}},
		{Name: "Linearization/Adjoint len", Want: ErrDims, Call: func(context.Context) (func() error, error) {
			l, err := Linearize(linCond(), x2, th3, nil)
			if err != nil {
				return nil, err
			}
			return nil, l.Adjoint(make([]float64, 2), nil)
		}},
		{Name: "VJP/8 goroutines", Call: func(context.Context) (func() error, error) {
			c := linCond()
			var wg sync.WaitGroup
			errs := make([]error, 8)
			for k := range 8 {
				wg.Go(func() {
					g := []float64{float64(k), 1}
					v, err := VJP(context.Background(), c, x2, th3, g, nil)
					if err == nil {
						err = near(v, linVJP(g), 1e-12)
					}
					errs[k] = err
				})
			}
			wg.Wait()
			return func() error { return nil }, errors.Join(errs...)
		}},
	}
	testutil.RunAdversarial(t, cases)
}

func TestAdversarialCheck(t *testing.T) {
	call := func(c Condition, x, th []float64, s *CheckSettings) func(context.Context) (func() error, error) {
		return func(context.Context) (func() error, error) {
			r, err := Check(c, x, th, s)
			return func() error {
				if w := r.Worst(); !(w < 1e-6) {
					return fmt.Errorf("worst error %v", w)
				}
				return nil
			}, err
		}
	}
	nilOps := linCond()
	nilOps.LinearizeFunc = func(x, th []float64) (Operator, Operator, error) { return nil, nil, nil }
	noRes := linCond()
	noRes.ResidualFunc = nil
	testutil.RunAdversarial(t, []testutil.Case{
		{Name: "valid", Call: call(linCond(), x2, th3, nil)},
		{Name: "nil condition", Want: ErrInvalid, Call: call(nil, x2, th3, nil)},
		{Name: "Numerical nil", Want: ErrInvalid, Call: call(Numerical(1, 1, nil), []float64{0}, []float64{0}, nil)},
		{Name: "no ResidualFunc", Want: ErrInvalid, Call: call(noRes, x2, th3, nil)},
		{Name: "nil operators", Want: ErrInvalid, Call: call(nilOps, x2, th3, nil)},
		{Name: "FixedPoint(nil)", Want: ErrInvalid, Call: call(FixedPoint(nil), x2, th3, nil)},
		{Name: "len x", Want: ErrDims, Call: call(linCond(), nil, th3, nil)},
		{Name: "NaN x", Want: ErrNaN, Call: call(linCond(), []float64{math.NaN(), 0}, th3, nil)},
		{Name: "Step NaN", Want: ErrInvalid, Call: call(linCond(), x2, th3, &CheckSettings{Step: math.NaN()})},
		{Name: "Step -1", Want: ErrInvalid, Call: call(linCond(), x2, th3, &CheckSettings{Step: -1})},
		{Name: "panicking residual", Want: ErrCallback, Call: call(panicky("residual"), x2, th3, nil)},
		{Name: "panicking linearize", Want: ErrCallback, Call: call(panicky("linearize"), x2, th3, nil)},
		{Name: "n = 0", Call: call(Numerical(0, 1, func(dst, x, th []float64) {}), nil, []float64{1}, nil)},
	})
}

func TestAdversarialProblem(t *testing.T) {
	solver := func(ctx context.Context, th, init []float64) ([]float64, error) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		// x* = A⁻¹ B θ of linCond.
		b0, b1 := th[0]+2*th[2], th[1]-th[2]
		return []float64{(3*b0 - b1) / 5, (-b0 + 2*b1) / 5}, nil
	}
	solve := func(ctx context.Context, pb *Problem, th []float64) (func() error, error) {
		sol, err := pb.Solve(ctx, th, nil)
		if err != nil {
			return nil, err
		}
		v := make([]float64, len(th))
		err = sol.VJP(v, g2)
		return func() error { return near(v, linVJP(g2), 1e-12) }, err
	}
	testutil.RunAdversarial(t, []testutil.Case{
		{Name: "valid", Call: func(ctx context.Context) (func() error, error) {
			return solve(ctx, &Problem{Solver: solver, Condition: linCond(), Tol: 1e-12}, th3)
		}},
		{Name: "nil problem", Want: ErrInvalid, Call: func(ctx context.Context) (func() error, error) {
			return solve(ctx, nil, th3)
		}},
		{Name: "no Solver", Want: ErrInvalid, Call: func(ctx context.Context) (func() error, error) {
			return solve(ctx, &Problem{Condition: linCond()}, th3)
		}},
		{Name: "no Condition", Want: ErrInvalid, Call: func(ctx context.Context) (func() error, error) {
			return solve(ctx, &Problem{Solver: solver}, th3)
		}},
		{Name: "Tol NaN", Want: ErrInvalid, Call: func(ctx context.Context) (func() error, error) {
			return solve(ctx, &Problem{Solver: solver, Condition: linCond(), Tol: math.NaN()}, th3)
		}},
		{Name: "bad Settings", Want: ErrInvalid, Call: func(ctx context.Context) (func() error, error) {
			return solve(ctx, &Problem{Solver: solver, Condition: linCond(), Settings: &Settings{Tol: -1}}, th3)
		}},
		{Name: "len theta", Want: ErrDims, Call: func(ctx context.Context) (func() error, error) {
			return solve(ctx, &Problem{Solver: solver, Condition: linCond()}, nil)
		}},
		{Name: "panicking Solver", Want: ErrCallback, Call: func(ctx context.Context) (func() error, error) {
			return solve(ctx, &Problem{Solver: func(context.Context, []float64, []float64) ([]float64, error) { panic("boom") }, Condition: linCond()}, th3)
		}},
		{Name: "panicking residual", Want: ErrCallback, Call: func(ctx context.Context) (func() error, error) {
			return solve(ctx, &Problem{Solver: solver, Condition: panicky("residual"), Tol: 1}, th3)
		}},
		{Name: "Solver returns NaN", Want: ErrNaN, Call: func(ctx context.Context) (func() error, error) {
			return solve(ctx, &Problem{Solver: func(context.Context, []float64, []float64) ([]float64, error) {
				return []float64{math.NaN(), 0}, nil
			}, Condition: linCond()}, th3)
		}},
		{Name: "wrong solution", Want: ErrResidual, Call: func(ctx context.Context) (func() error, error) {
			return solve(ctx, &Problem{Solver: func(context.Context, []float64, []float64) ([]float64, error) {
				return []float64{1e300, 0}, nil
			}, Condition: linCond(), Tol: 1e-9}, th3)
		}},
		{Name: "canceled", Want: context.Canceled, Call: func(context.Context) (func() error, error) {
			return solve(testutil.Canceled(), &Problem{Solver: solver, Condition: linCond()}, th3)
		}},
		{Name: "expiring ctx", Want: context.DeadlineExceeded, Call: func(ctx context.Context) (func() error, error) {
			ctx, cancel := context.WithTimeout(ctx, 10*time.Millisecond)
			defer cancel()
			return solve(ctx, &Problem{Solver: func(ctx context.Context, th, _ []float64) ([]float64, error) {
				<-ctx.Done()
				return nil, ctx.Err()
			}, Condition: linCond()}, th3)
		}},
		{Name: "nil Solution VJPContext", Want: ErrInvalid, Call: func(ctx context.Context) (func() error, error) {
			var s *Solution
			return nil, s.VJPContext(ctx, make([]float64, 3), g2)
		}},
		{Name: "nil Linearization contexts", Want: ErrInvalid, Call: func(ctx context.Context) (func() error, error) {
			var l *Linearization
			_, jerr := l.JacobianContext(ctx)
			return nil, errors.Join(l.VJPContext(ctx, nil, nil), l.JVPContext(ctx, nil, nil), l.AdjointContext(ctx, nil, nil), jerr)
		}},
		{Name: "Solution.JVPContext/canceled", Want: context.Canceled, Call: func(ctx context.Context) (func() error, error) {
			s, err := (&Problem{Solver: solver, Condition: linCond()}).Solve(ctx, th3, nil)
			if err != nil {
				return nil, err
			}
			return nil, s.JVPContext(testutil.Canceled(), make([]float64, 2), th3)
		}},
		{Name: "VJP/nil ctx", Call: func(context.Context) (func() error, error) {
			v, err := VJP(nil, linCond(), x2, th3, g2, nil)
			return func() error { return near(v, linVJP(g2), 1e-12) }, err
		}},
		{Name: "nil Solution", Want: ErrInvalid, Call: func(context.Context) (func() error, error) {
			var s *Solution
			err := s.VJP(make([]float64, 3), g2)
			return nil, err
		}},
	})
}

func TestAdversarialBatchError(t *testing.T) {
	errA := errors.New("a")
	var nilBE *BatchError
	testutil.RunAdversarial(t, []testutil.Case{
		{Name: "NewBatchError/nil", Call: func(context.Context) (func() error, error) {
			return func() error { return nil }, NewBatchError(nil)
		}},
		{Name: "NewBatchError/nil entries", Want: errA, Call: func(context.Context) (func() error, error) {
			return nil, NewBatchError([]error{nil, errA, nil})
		}},
		{Name: "BatchError/nil receiver Err", Call: func(context.Context) (func() error, error) {
			return func() error { return nil }, nilBE.Err(-1)
		}},
		{Name: "BatchError/mismatched fields", Want: errA, Call: func(context.Context) (func() error, error) {
			be := &BatchError{Indices: []int{0, 1, 2}, Errs: []error{errA}}
			_ = be.Error()
			return nil, be
		}},
	})
}

// TestConditionFuncWithoutLinearize: calling Linearize directly on a
// ConditionFunc with no LinearizeFunc is an error, not a nil-function panic.
func TestConditionFuncWithoutLinearize(t *testing.T) {
	c := &ConditionFunc{N: 1, P: 1, ResidualFunc: func(dst, x, th []float64) { dst[0] = x[0] - th[0] }}
	if _, _, err := c.Linearize([]float64{1}, []float64{1}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("error %v, want ErrInvalid", err)
	}
}
