package cone

import (
	"context"
	"errors"
	"fmt"
	"math"
	"testing"

	"github.com/optlayers/optlayers/internal/testutil"
	"github.com/optlayers/optlayers/sparse"
	"gonum.org/v1/gonum/mat"
)

// Adversarial input for every exported entry point: each call returns a
// documented sentinel, or a result that passes an independent check
// (finite, and in the cone for a projection), never a panic.

var nan, inf = math.NaN(), math.Inf(1)

func fill(n int, v float64) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = v
	}
	return out
}

// coneMethods calls every method of k on y (as point, direction, tangent)
// and returns the first error, with a check of the outputs.
type coneCall struct {
	name string
	call func(k Cone, y []float64) (func() error, error)
}

func coneCalls() []coneCall {
	out := func(k Cone) []float64 { return make([]float64, max(k.Dim(), 0)) }
	finiteCheck := func(name string, v ...[]float64) func() error {
		return func() error { return testutil.Finite(name, v...) }
	}
	return []coneCall{
		{"Project", func(k Cone, y []float64) (func() error, error) {
			x := out(k)
			err := k.Project(x, y)
			return func() error {
				if err := testutil.Finite("Project", x); err != nil {
					return err
				}
				c := max(maxAbs(y), 1e-300)
				if !inConeT(k, divided(x, c), 1e-8) {
					return fmt.Errorf("Π(y) = %v not in the cone", x)
				}
				return nil
			}, err
		}},
		{"JVP", func(k Cone, y []float64) (func() error, error) {
			x, d := out(k), out(k)
			_ = k.Project(x, y)
			err := k.JVP(d, x, y, y)
			return finiteCheck("JVP", d), err
		}},
		{"VJP", func(k Cone, y []float64) (func() error, error) {
			x, d := out(k), out(k)
			_ = k.Project(x, y)
			err := k.VJP(d, x, y, y)
			return finiteCheck("VJP", d), err
		}},
		{"Dist", func(k Cone, y []float64) (func() error, error) {
			d, err := k.Dist(y)
			return finiteCheck("Dist", []float64{d}), err
		}},
		{"Contains", func(k Cone, y []float64) (func() error, error) {
			_, err := k.Contains(y, 1e-9)
			return func() error { return nil }, err
		}},
		{"Barrier", func(k Cone, y []float64) (func() error, error) {
			f, err := k.Barrier(y)
			return finiteCheck("Barrier", []float64{f}), err
		}},
		{"BarrierGrad", func(k Cone, y []float64) (func() error, error) {
			g := out(k)
			err := k.BarrierGrad(g, y)
			return finiteCheck("BarrierGrad", g), err
		}},
		{"BarrierHess", func(k Cone, y []float64) (func() error, error) {
			h := out(k)
			err := k.BarrierHess(h, y, y)
			return finiteCheck("BarrierHess", h), err
		}},
		{"BarrierThird", func(k Cone, y []float64) (func() error, error) {
			h := out(k)
			err := k.BarrierThird(h, y, y, y)
			return finiteCheck("BarrierThird", h), err
		}},
		{"MaxStep", func(k Cone, y []float64) (func() error, error) {
			a, err := k.MaxStep(y, y, 1)
			return func() error {
				if !(a >= 0 && a <= 1) {
					return fmt.Errorf("step %v outside [0, 1]", a)
				}
				return nil
			}, err
		}},
		{"Scaling", func(k Cone, y []float64) (func() error, error) {
			sc, err := k.Scaling(y, y)
			return func() error {
				if sc == nil {
					return errors.New("nil scaling")
				}
				return testutil.Finite("Scaling", sc.Lambda())
			}, err
		}},
		{"Identity", func(k Cone, y []float64) (func() error, error) {
			e := make([]float64, len(y))
			err := k.Identity(e)
			return finiteCheck("Identity", e), err
		}},
	}
}

func TestAdversarial(t *testing.T) {
	var cases []testutil.Case
	ok := func(k Cone, y []float64, call coneCall, name string, want error, anyOf ...error) {
		cases = append(cases, testutil.Case{
			Name: fmt.Sprintf("%s/%s/%s", coneName(k), call.name, name),
			Call: func(context.Context) (func() error, error) { return call.call(k, y) },
			Want: want,
			Any:  anyOf,
		})
	}
	cones := testCones()
	for _, k := range cones {
		d := k.Dim()
		for _, c := range coneCalls() {
			ok(k, nil, c, "nil", ErrDims)
			ok(k, make([]float64, d+1), c, "long", ErrDims)
			if c.name == "Identity" {
				continue // an output only
			}
			ok(k, fill(d, nan), c, "NaN", ErrNaN)
			ok(k, fill(d, inf), c, "Inf", ErrNaN)
			ok(k, fill(d, -inf), c, "-Inf", ErrNaN)
			// Extreme magnitudes: success with a valid result, or a
			// documented error (a point outside the interior for the
			// barrier functions, an overflow).
			for _, v := range []float64{1e300, -1e300, 1e-300, 5e-324, 0} {
				y := fill(d, v)
				if d > 1 {
					y[0] = 2 * v
				}
				ok(k, y, c, fmt.Sprintf("%g", v), nil, ErrInvalid, ErrNaN)
			}
		}
	}
	// Bad parameters.
	bad := []Cone{Nonnegative{0}, Nonnegative{-1}, SecondOrder{0}, PSD{0}, PSD{-3}, PSD{MaxPSDOrder + 1},
		Zero{0}, Free{-1}, Power{0}, Power{1}, Power{-0.5}, Power{2}, PowerDual{0}, PowerDual{1}, (*Product)(nil), &Product{}}
	for i, k := range bad {
		for _, c := range coneCalls() {
			ok(k, make([]float64, 3), c, fmt.Sprintf("bad-param#%d", i), ErrInvalid)
		}
	}
	for _, k := range []Cone{Power{nan}, PowerDual{inf}} {
		for _, c := range coneCalls() {
			ok(k, make([]float64, 3), c, "NaN-param", ErrNaN)
		}
	}
	// Bad limits and tolerances, mismatched second vectors.
	for _, k := range []Cone{Nonnegative{3}, SecondOrder{3}, PSD{2}, Exp{}, Power{0.5}, PowerDual{0.5}, ExpDual{}} {
		e := make([]float64, k.Dim())
		_ = k.Identity(e)
		for _, lim := range []float64{0, -1, nan, inf} {
			want := ErrInvalid
			if math.IsNaN(lim) || math.IsInf(lim, 0) {
				want = ErrNaN
			}
			cases = append(cases, testutil.Case{
				Name: fmt.Sprintf("%s/MaxStep/limit=%v", coneName(k), lim),
				Call: func(context.Context) (func() error, error) { _, err := k.MaxStep(e, e, lim); return nil, err },
				Want: want,
			})
		}
		cases = append(cases, testutil.Case{
			Name: coneName(k) + "/Contains/negative-tol",
			Call: func(context.Context) (func() error, error) { _, err := k.Contains(e, -1); return nil, err },
			Want: ErrInvalid,
		}, testutil.Case{
			Name: coneName(k) + "/MaxStep/short-ds",
			Call: func(context.Context) (func() error, error) { _, err := k.MaxStep(e, e[:1], 1); return nil, err },
			Want: ErrDims,
		}, testutil.Case{
			Name: coneName(k) + "/JVP/short-dst",
			Call: func(context.Context) (func() error, error) { return nil, k.JVP(e[:1], e, e, e) },
			Want: ErrDims,
		}, testutil.Case{
			Name: coneName(k) + "/Scaling/z-outside",
			Call: func(context.Context) (func() error, error) { _, err := k.Scaling(e, neg(e)); return nil, err },
			Want: ErrInvalid,
		})
	}
	// Jordan operations on symmetric cones: lengths, NaN, λ outside.
	for _, k := range []Symmetric{Nonnegative{3}, SecondOrder{3}, PSD{2}} {
		d := k.Dim()
		e := make([]float64, d)
		_ = k.Identity(e)
		cases = append(cases, testutil.Case{
			Name: coneName(k) + "/Jordan/short",
			Call: func(context.Context) (func() error, error) { return nil, k.Jordan(make([]float64, d), e[:1], e) },
			Want: ErrDims,
		}, testutil.Case{
			Name: coneName(k) + "/Jordan/NaN",
			Call: func(context.Context) (func() error, error) { return nil, k.Jordan(make([]float64, d), fill(d, nan), e) },
			Want: ErrNaN,
		}, testutil.Case{
			Name: coneName(k) + "/JordanDiv/outside",
			Call: func(context.Context) (func() error, error) { return nil, k.JordanDiv(make([]float64, d), neg(e), e) },
			Want: ErrInvalid,
		}, testutil.Case{
			Name: coneName(k) + "/JordanDiv/huge",
			Call: func(context.Context) (func() error, error) {
				x := make([]float64, d)
				err := k.JordanDiv(x, scaled(e, 1e-300), fill(d, 1e300))
				return func() error { return testutil.Finite("JordanDiv", x) }, err
			},
			Any: []error{ErrNaN},
		})
	}
	// Svec/Smat and NewProduct.
	cases = append(cases, testutil.Case{
		Name: "Smat/not-triangular",
		Call: func(context.Context) (func() error, error) { _, err := Smat(make([]float64, 5)); return nil, err },
		Want: ErrDims,
	}, testutil.Case{
		Name: "Smat/empty",
		Call: func(context.Context) (func() error, error) { _, err := Smat(nil); return nil, err },
		Want: ErrDims,
	}, testutil.Case{
		Name: "NewProduct/bad-block",
		Call: func(context.Context) (func() error, error) {
			_, err := NewProduct(SecondOrder{3}, Power{nan})
			return nil, err
		},
		Any:  []error{ErrNaN, ErrInvalid},
		Want: nil,
	})
	cases = append(cases, testutil.Case{
		Name: "ScalingMatrix/nil",
		Call: func(context.Context) (func() error, error) {
			if ScalingMatrix(nil) != nil {
				return nil, errors.New("non-nil matrix of a nil scaling")
			}
			return func() error { return nil }, nil
		},
	}, testutil.Case{
		Name: "SOCExpansion/nil-and-foreign",
		Call: func(context.Context) (func() error, error) {
			if _, _, _, ok := SOCExpansion(nil); ok {
				return nil, errors.New("ok for nil")
			}
			sc, err := Nonnegative{2}.Scaling([]float64{1, 2}, []float64{3, 4})
			if err != nil {
				return nil, err
			}
			if _, _, _, ok := SOCExpansion(sc); ok {
				return nil, errors.New("ok for an orthant scaling")
			}
			return func() error { return nil }, nil
		},
	}, testutil.Case{
		Name: "SOCExpansion/extreme",
		Call: func(context.Context) (func() error, error) {
			sc, err := SecondOrder{3}.Scaling([]float64{1e150, 1e149, 0}, []float64{1e-150, 0, 1e-151})
			if err != nil {
				return nil, err
			}
			e, p, q, _ := SOCExpansion(sc)
			return func() error { return testutil.Finite("SOCExpansion", []float64{e}, p, q) }, nil
		},
		Any: []error{ErrNaN},
	})
	testutil.RunAdversarial(t, cases)
}

// TestSolveAdversarial: bad input to Solve gives its sentinel, extreme
// but valid input a result that passes its check or a documented error,
// never a panic or a silent non-finite answer.
func TestSolveAdversarial(t *testing.T) {
	base := func() *Problem {
		a, _ := sparse.FromDense(mat.NewDense(3, 2, []float64{1, 0, 0, 1, -1, -1}))
		k, _ := NewProduct(Nonnegative{3})
		return &Problem{P: []float64{1, 2}, A: a, B: []float64{1, 1, 1}, K: k}
	}
	solveCheck := func(pb *Problem, s *Settings) func(ctx context.Context) (func() error, error) {
		return func(ctx context.Context) (func() error, error) {
			sol, err := Solve(ctx, pb, s)
			return func() error {
				if sol == nil {
					return errors.New("nil solution with a nil error")
				}
				if sol.Status != Optimal {
					return fmt.Errorf("status %v with a nil error", sol.Status)
				}
				return testutil.Finite("Solve", sol.X, sol.S, sol.Y, []float64{sol.Objective})
			}, err
		}
	}
	var cases []testutil.Case
	add := func(name string, pb func() *Problem, s *Settings, want error, anyOf ...error) {
		cases = append(cases, testutil.Case{Name: "Solve/" + name, Call: solveCheck(pb(), s), Want: want, Any: anyOf})
	}
	add("ok", base, nil, nil)
	add("nil-problem", func() *Problem { return nil }, nil, ErrInvalid)
	add("nil-K", func() *Problem { pb := base(); pb.K = nil; return pb }, nil, ErrInvalid)
	add("empty-K", func() *Problem { pb := base(); pb.K = &Product{}; return pb }, nil, ErrInvalid)
	add("free-block", func() *Problem { pb := base(); pb.K, _ = NewProduct(Nonnegative{2}, Free{1}); return pb }, nil, ErrInvalid)
	add("empty-P", func() *Problem { pb := base(); pb.P = nil; return pb }, nil, ErrDims)
	add("empty-B", func() *Problem { pb := base(); pb.B = nil; return pb }, nil, ErrDims)
	add("nil-A", func() *Problem { pb := base(); pb.A = nil; return pb }, nil, ErrDims)
	add("A-shape", func() *Problem {
		pb := base()
		pb.A, _ = sparse.FromDense(mat.NewDense(3, 3, nil))
		return pb
	}, nil, ErrDims)
	add("K-dim", func() *Problem { pb := base(); pb.K, _ = NewProduct(Nonnegative{4}); return pb }, nil, ErrDims)
	add("Q-shape", func() *Problem {
		pb := base()
		pb.Q, _ = sparse.SymFromDense(mat.NewSymDense(3, nil))
		return pb
	}, nil, ErrDims)
	add("Q-indefinite", func() *Problem {
		pb := base()
		pb.Q, _ = sparse.SymFromDense(mat.NewSymDense(2, []float64{1, 0, 0, -1}))
		return pb
	}, nil, ErrInvalid)
	add("P-NaN", func() *Problem { pb := base(); pb.P[0] = nan; return pb }, nil, ErrNaN)
	add("B-Inf", func() *Problem { pb := base(); pb.B[1] = inf; return pb }, nil, ErrNaN)
	for _, s := range []*Settings{{Tol: -1}, {Tol: nan}, {Tol: inf}, {MaxIter: -1}, {Workers: -2}} {
		add(fmt.Sprintf("settings/%+v", *s), base, s, ErrInvalid)
	}
	add("warm/short", base, &Settings{WarmStart: &Start{X: []float64{1}}}, ErrDims)
	add("warm/S-long", base, &Settings{WarmStart: &Start{X: []float64{1, 1}, S: make([]float64, 4)}}, ErrDims)
	add("warm/NaN", base, &Settings{WarmStart: &Start{X: []float64{nan, 1}}}, ErrNaN)
	add("warm/outside", base, &Settings{WarmStart: &Start{X: []float64{-5, 7}, S: []float64{-1, -1, -1}, Y: []float64{-3, 0, 0}}}, nil)
	add("MaxIter=1", base, &Settings{MaxIter: 1}, ErrNotConverged)
	for _, v := range []float64{1e300, -1e300, 1e-300, 5e-324} {
		add(fmt.Sprintf("P=%g", v), func() *Problem { pb := base(); pb.P[0] = v; return pb }, nil, nil, ErrNotConverged, ErrUnbounded, ErrInfeasible, ErrNaN, ErrSingular)
		add(fmt.Sprintf("B=%g", v), func() *Problem { pb := base(); pb.B[0] = v; return pb }, nil, nil, ErrNotConverged, ErrUnbounded, ErrInfeasible, ErrNaN, ErrSingular)
		add(fmt.Sprintf("A=%g", v), func() *Problem {
			pb := base()
			pb.A, _ = sparse.FromDense(mat.NewDense(3, 2, []float64{v, 0, 0, 1, -1, -1}))
			return pb
		}, nil, nil, ErrNotConverged, ErrUnbounded, ErrInfeasible, ErrNaN, ErrSingular)
	}
	for _, k := range []Cone{SecondOrder{3}, PSD{2}, Exp{}, ExpDual{}, Power{0.4}, PowerDual{0.4}} {
		add(fmt.Sprintf("cone/%s/zero-data", coneName(k)), func() *Problem {
			a, _ := sparse.FromDense(mat.NewDense(3, 2, nil))
			kk, _ := NewProduct(k)
			return &Problem{P: []float64{0, 0}, A: a, B: make([]float64, 3), K: kk}
		}, nil, nil, ErrNotConverged, ErrUnbounded, ErrInfeasible)
	}
	// Prepared.Solve: the errors of Solve, and a problem whose structure
	// differs from the prepared one's is refused.
	pr, err := Prepare(base(), nil)
	if err != nil {
		t.Fatal(err)
	}
	prep := func(name string, pr *Prepared, pb func() *Problem, s *Settings, want error) {
		cases = append(cases, testutil.Case{Name: "Prepared/" + name, Call: func(ctx context.Context) (func() error, error) {
			sol, err := pr.Solve(ctx, pb(), s)
			return func() error {
				if sol == nil || sol.Status != Optimal {
					return errors.New("no Optimal solution with a nil error")
				}
				return testutil.Finite("Prepared.Solve", sol.X, sol.S, sol.Y, []float64{sol.Objective})
			}, err
		}, Want: want})
	}
	prep("ok", pr, base, nil, nil)
	prep("nil-Prepared", nil, base, nil, ErrInvalid)
	prep("nil-problem", pr, func() *Problem { return nil }, nil, ErrInvalid)
	prep("P-NaN", pr, func() *Problem { pb := base(); pb.P[0] = nan; return pb }, nil, ErrNaN)
	prep("settings", pr, base, &Settings{Tol: -1}, ErrInvalid)
	prep("workers", pr, base, &Settings{Workers: resolveWorkers(0) + 1}, ErrInvalid)
	prep("A-pattern", pr, func() *Problem {
		pb := base()
		pb.A, _ = sparse.FromDense(mat.NewDense(3, 2, []float64{1, 1, 0, 1, -1, -1}))
		return pb
	}, nil, ErrInvalid)
	prep("A-explicit-zero-dropped", pr, func() *Problem {
		pb := base()
		pb.A, _ = sparse.FromTriplets(3, 2, []int{0, 1, 2}, []int{0, 1, 0}, []float64{1, 1, -1}, nil)
		return pb
	}, nil, ErrInvalid)
	prep("Q-added", pr, func() *Problem {
		pb := base()
		pb.Q, _ = sparse.SymFromDense(mat.NewSymDense(2, []float64{1, 0, 0, 1}))
		return pb
	}, nil, ErrInvalid)
	prep("K-split", pr, func() *Problem { pb := base(); pb.K, _ = NewProduct(Nonnegative{1}, Nonnegative{2}); return pb }, nil, ErrInvalid)
	prep("K-other", pr, func() *Problem { pb := base(); pb.K, _ = NewProduct(SecondOrder{3}); return pb }, nil, ErrInvalid)
	prep("dims", pr, func() *Problem {
		pb := base()
		pb.P = append(pb.P, 1)
		pb.A, _ = sparse.FromDense(mat.NewDense(3, 3, []float64{1, 0, 0, 0, 1, 0, -1, -1, 1}))
		return pb
	}, nil, ErrDims)
	for _, c := range []struct {
		name string
		pb   *Problem
		s    *Settings
		want error
	}{{"nil-problem", nil, nil, ErrInvalid}, {"settings", base(), &Settings{MaxIter: -1}, ErrInvalid},
		{"B-Inf", func() *Problem { pb := base(); pb.B[0] = inf; return pb }(), nil, ErrNaN}} {
		cases = append(cases, testutil.Case{Name: "Prepare/" + c.name, Call: func(context.Context) (func() error, error) {
			pr, err := Prepare(c.pb, c.s)
			return func() error {
				if pr == nil {
					return errors.New("nil Prepared with a nil error")
				}
				return nil
			}, err
		}, Want: c.want})
	}
	cases = append(cases, testutil.Case{
		Name: "Solve/canceled",
		Call: func(context.Context) (func() error, error) {
			_, err := Solve(testutil.Canceled(), base(), nil)
			return nil, err
		},
		Want: context.Canceled,
	})
	testutil.RunAdversarial(t, cases)
}
