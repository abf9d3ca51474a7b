package cone

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/optlayers/optlayers/internal/testutil"
	"github.com/optlayers/optlayers/sparse"
)

// Adversarial input for the derivatives' entry points (Layout, the
// residual-map condition, VJP/JVP and their typed forms): documented
// sentinels or checked results, never a panic or a silent NaN.
func TestAdversarialDerivatives(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	in := optimalInstance(rng, "mixed", []Cone{Zero{1}, Nonnegative{3}, SecondOrder{3}, Exp{}}, 4, 3, 0.3, 0.5, 0)
	good := func() *Solution { return in.solution() }
	l, err := NewLayout(in.pb)
	if err != nil {
		t.Fatal(err)
	}
	theta, _ := l.Theta(in.pb)
	nz, nt := l.LenZ(), l.Len()
	finiteOut := func(name string, v ...[]float64) func() error {
		return func() error { return testutil.Finite(name, v...) }
	}
	withPB := func(f func(pb *Problem)) *Problem {
		pb := *in.pb
		f(&pb)
		return &pb
	}
	status := func(st Status) *Solution { s := good(); s.Status = st; return s }
	vjp := func(s *Solution, dst, g []float64) func(context.Context) (func() error, error) {
		return func(ctx context.Context) (func() error, error) {
			return finiteOut("VJP", dst), s.VJPContext(ctx, dst, g)
		}
	}
	jvp := func(s *Solution, dst, d []float64) func(context.Context) (func() error, error) {
		return func(ctx context.Context) (func() error, error) {
			return finiteOut("JVP", dst), s.JVPContext(ctx, dst, d)
		}
	}
	badPattern := *l
	badPattern.APattern = [2][]int{{0, 2, 1, 3, 4}, l.APattern[1]}

	// A degenerate LP: two copies of the same active row (linearly
	// dependent active constraints), so the multipliers are not unique.
	// min x s.t. x ≥ 1 twice: y = (½, ½) is one of many multipliers.
	aDup, _ := sparse.FromDense(denseOf(2, 1, []float64{-1, -1}))
	kDup, _ := NewProduct(Nonnegative{2})
	dup := &Solution{X: []float64{1}, Y: []float64{0.5, 0.5}, S: []float64{0, 0}, Status: Optimal,
		pb: &Problem{P: []float64{1}, A: aDup, B: []float64{-1, -1}, K: kDup}}
	// An LP whose minimizer is not unique: min 0·x on x ≤ 1 (no active row).
	aFree, _ := sparse.FromDense(denseOf(1, 1, []float64{1}))
	kFree, _ := NewProduct(Nonnegative{1})
	flat := &Solution{X: []float64{0}, Y: []float64{0}, S: []float64{1}, Status: Optimal,
		pb: &Problem{P: []float64{0}, A: aFree, B: []float64{1}, K: kFree}}

	cases := []testutil.Case{
		{Name: "NewLayout/nil", Call: func(context.Context) (func() error, error) { _, err := NewLayout(nil); return nil, err }, Want: ErrInvalid},
		{Name: "NewLayout/nil-cone", Call: func(context.Context) (func() error, error) {
			_, err := NewLayout(withPB(func(pb *Problem) { pb.K = nil }))
			return nil, err
		}, Want: ErrInvalid},
		{Name: "NewLayout/short-b", Call: func(context.Context) (func() error, error) {
			_, err := NewLayout(withPB(func(pb *Problem) { pb.B = pb.B[:2] }))
			return nil, err
		}, Want: ErrDims},
		{Name: "NewLayout/short-p", Call: func(context.Context) (func() error, error) {
			_, err := NewLayout(withPB(func(pb *Problem) { pb.P = pb.P[:1] }))
			return nil, err
		}, Want: ErrDims},
		{Name: "Layout/nil", Call: func(context.Context) (func() error, error) { _, err := (*Layout)(nil).Problem(nil); return nil, err }, Want: ErrInvalid},
		{Name: "Layout/zero", Call: func(context.Context) (func() error, error) { _, err := (&Layout{}).Problem(nil); return nil, err }, Want: ErrInvalid},
		{Name: "Layout/bad-pattern", Call: func(context.Context) (func() error, error) { _, err := badPattern.Problem(theta); return nil, err }, Want: ErrInvalid},
		{Name: "Layout.Problem/short", Call: func(context.Context) (func() error, error) { _, err := l.Problem(theta[1:]); return nil, err }, Want: ErrDims},
		{Name: "Layout.Problem/NaN", Call: func(context.Context) (func() error, error) { _, err := l.Problem(fill(nt, nan)); return nil, err }, Want: ErrNaN},
		{Name: "Layout.Problem/Inf", Call: func(context.Context) (func() error, error) { _, err := l.Problem(fill(nt, inf)); return nil, err }, Want: ErrNaN},
		{Name: "Layout.Problem/huge", Call: func(context.Context) (func() error, error) {
			pb, err := l.Problem(fill(nt, 1e300))
			if err != nil {
				return nil, err
			}
			return finiteOut("Problem", pb.P, pb.B), nil
		}},
		{Name: "Layout.Pack/other-pattern", Call: func(context.Context) (func() error, error) {
			a, _ := sparse.FromDense(denseOf(l.M, l.N, fill(l.M*l.N, 1)))
			return nil, l.Pack(make([]float64, nt), withPB(func(pb *Problem) { pb.A = a }))
		}, Want: ErrDims},
		{Name: "Layout.Pack/nil-Q", Call: func(context.Context) (func() error, error) {
			return nil, l.Pack(make([]float64, nt), withPB(func(pb *Problem) { pb.Q = nil }))
		}, Want: ErrDims},
		{Name: "Layout.Pack/short", Call: func(context.Context) (func() error, error) { return nil, l.Pack(make([]float64, 2), in.pb) }, Want: ErrDims},
		{Name: "Layout.Parts/short", Call: func(context.Context) (func() error, error) { _, _, _, _, err := l.Parts(theta[1:]); return nil, err }, Want: ErrDims},
		{Name: "Layout.PointParts/short", Call: func(context.Context) (func() error, error) { _, _, _, err := l.PointParts(nil); return nil, err }, Want: ErrDims},
		{Name: "Layout.Gradient/NaN", Call: func(context.Context) (func() error, error) { _, err := l.Gradient(fill(nt, nan)); return nil, err }, Want: ErrNaN},
		{Name: "Layout.Condition/nil", Call: func(context.Context) (func() error, error) { _, err := (*Layout)(nil).Condition(); return nil, err }, Want: ErrInvalid},
		{Name: "Condition/Residual-short", Call: func(context.Context) (func() error, error) {
			c, err := l.Condition()
			if err != nil {
				return nil, err
			}
			r := make([]float64, nz)
			c.Residual(r, make([]float64, 1), theta)
			for _, v := range r {
				if v == v {
					return nil, errors.New("finite residual for a short z")
				}
			}
			return func() error { return nil }, nil
		}},
		{Name: "Condition/Linearize-NaN", Call: func(context.Context) (func() error, error) {
			c, _ := l.Condition()
			_, _, err := c.Linearize(fill(nz, nan), theta)
			return nil, err
		}, Want: ErrNaN},
		{Name: "Condition/Linearize-short", Call: func(context.Context) (func() error, error) {
			c, _ := l.Condition()
			_, _, err := c.Linearize(make([]float64, 2), theta)
			return nil, err
		}, Want: ErrDims},
		{Name: "Solution.Condition/nil", Call: func(context.Context) (func() error, error) {
			c, z, th := (*Solution)(nil).Condition()
			if n, p := c.Dims(); n != 0 || p != 0 || z != nil || th != nil {
				return nil, errors.New("non-empty condition of a nil Solution")
			}
			if _, _, err := c.Linearize(nil, nil); err == nil {
				return nil, errors.New("Linearize of a nil Solution's condition")
			}
			return func() error { return nil }, nil
		}},
		{Name: "VJP/nil", Call: vjp(nil, make([]float64, nt), make([]float64, nz)), Want: ErrInvalid},
		{Name: "VJP/zero-Solution", Call: vjp(&Solution{}, make([]float64, nt), make([]float64, nz)), Want: ErrInvalid},
		{Name: "VJP/not-optimal", Call: vjp(status(NotConverged), make([]float64, nt), make([]float64, nz)), Want: ErrSingular},
		{Name: "VJP/infeasible", Call: vjp(status(Infeasible), make([]float64, nt), make([]float64, nz)), Want: ErrSingular},
		{Name: "VJP/canceled-status", Call: vjp(status(Canceled), make([]float64, nt), make([]float64, nz)), Want: ErrSingular},
		{Name: "VJP/short-dst", Call: vjp(good(), make([]float64, nt-1), make([]float64, nz)), Want: ErrDims},
		{Name: "VJP/short-g", Call: vjp(good(), make([]float64, nt), make([]float64, 1)), Want: ErrDims},
		{Name: "VJP/NaN", Call: vjp(good(), make([]float64, nt), fill(nz, nan)), Want: ErrNaN},
		{Name: "VJP/Inf", Call: vjp(good(), make([]float64, nt), fill(nz, inf)), Want: ErrNaN},
		{Name: "VJP/huge", Call: vjp(good(), make([]float64, nt), fill(nz, 1e300)), Any: []error{ErrNaN}},
		{Name: "VJP/tiny", Call: vjp(good(), make([]float64, nt), fill(nz, 1e-300))},
		{Name: "VJP/canceled", Call: func(context.Context) (func() error, error) {
			return nil, good().VJPContext(testutil.Canceled(), make([]float64, nt), make([]float64, nz))
		}, Want: context.Canceled},
		{Name: "VJP/NaN-solution", Call: func(ctx context.Context) (func() error, error) {
			s := good()
			s.X[0] = nan
			return nil, s.VJPContext(ctx, make([]float64, nt), make([]float64, nz))
		}, Want: ErrNaN},
		{Name: "VJP/short-solution", Call: func(ctx context.Context) (func() error, error) {
			s := good()
			s.Y = s.Y[:1]
			return nil, s.VJPContext(ctx, make([]float64, nt), make([]float64, nz))
		}, Want: ErrDims},
		{Name: "VJP/NaN-data", Call: func(ctx context.Context) (func() error, error) {
			s := good()
			s.pb = withPB(func(pb *Problem) { pb.P = fill(len(pb.P), nan) })
			return nil, s.VJPContext(ctx, make([]float64, nt), make([]float64, nz))
		}, Want: ErrNaN},
		{Name: "VJP/huge-data", Call: func(ctx context.Context) (func() error, error) {
			s := good()
			s.pb = withPB(func(pb *Problem) { pb.B = fill(len(pb.B), 1e300) })
			dst := make([]float64, nt)
			return finiteOut("VJP", dst), s.VJPContext(ctx, dst, fill(nz, 1))
		}, Any: []error{ErrNaN, ErrSingular}},
		{Name: "VJP/dependent-active-rows", Call: func(ctx context.Context) (func() error, error) {
			dst := make([]float64, 5)
			return finiteOut("VJP", dst), dup.VJPContext(ctx, dst, []float64{0, 1, -1, 0, 0})
		}, Want: ErrSingular},
		{Name: "VJP/non-unique-minimizer", Call: func(ctx context.Context) (func() error, error) {
			dst := make([]float64, 3)
			return finiteOut("VJP", dst), flat.VJPContext(ctx, dst, []float64{1, 0, 0})
		}, Want: ErrSingular},
		{Name: "JVP/nil", Call: jvp(nil, make([]float64, nz), make([]float64, nt)), Want: ErrInvalid},
		{Name: "JVP/not-optimal", Call: jvp(status(Unbounded), make([]float64, nz), make([]float64, nt)), Want: ErrSingular},
		{Name: "JVP/short-dst", Call: jvp(good(), make([]float64, 1), make([]float64, nt)), Want: ErrDims},
		{Name: "JVP/short-d", Call: jvp(good(), make([]float64, nz), make([]float64, 1)), Want: ErrDims},
		{Name: "JVP/NaN", Call: jvp(good(), make([]float64, nz), fill(nt, nan)), Want: ErrNaN},
		{Name: "JVP/huge", Call: jvp(good(), make([]float64, nz), fill(nt, 1e300)), Any: []error{ErrNaN}},
		{Name: "JVP/canceled", Call: func(context.Context) (func() error, error) {
			return nil, good().JVPContext(testutil.Canceled(), make([]float64, nz), make([]float64, nt))
		}, Want: context.Canceled},
		{Name: "JVP/non-unique-minimizer", Call: func(ctx context.Context) (func() error, error) {
			dst := make([]float64, 3)
			return finiteOut("JVP", dst), flat.JVPContext(ctx, dst, fill(3, 1))
		}, Want: ErrSingular},
		{Name: "Backward/short", Call: func(context.Context) (func() error, error) { _, err := good().Backward(nil, nil, nil); return nil, err }, Want: ErrDims},
		{Name: "Backward/NaN", Call: func(context.Context) (func() error, error) {
			_, err := good().Backward(fill(l.N, nan), nil, nil)
			return nil, err
		}, Want: ErrNaN},
		{Name: "Backward/nil-Solution", Call: func(context.Context) (func() error, error) {
			_, err := (*Solution)(nil).Backward(nil, nil, nil)
			return nil, err
		}, Want: ErrInvalid},
		{Name: "Backward/ok", Call: func(context.Context) (func() error, error) {
			g, err := good().Backward(fill(l.N, 1), nil, fill(l.M, -1))
			if err != nil {
				return nil, err
			}
			_, _, qv := g.Q.Upper().Raw()
			_, _, av := g.A.Raw()
			return finiteOut("Backward", qv, g.P, av, g.B), nil
		}},
		{Name: "Tangent/other-pattern", Call: func(context.Context) (func() error, error) {
			a, _ := sparse.FromDense(denseOf(l.M, l.N, fill(l.M*l.N, 1)))
			_, err := good().Tangent(&Problem{A: a})
			return nil, err
		}, Want: ErrDims},
		{Name: "Tangent/short-p", Call: func(context.Context) (func() error, error) {
			_, err := good().Tangent(&Problem{P: []float64{1}})
			return nil, err
		}, Want: ErrDims},
		{Name: "Tangent/NaN-b", Call: func(context.Context) (func() error, error) {
			_, err := good().Tangent(&Problem{B: fill(l.M, nan)})
			return nil, err
		}, Want: ErrNaN},
		{Name: "Tangent/nil-direction", Call: func(context.Context) (func() error, error) {
			tg, err := good().Tangent(nil)
			if err != nil {
				return nil, err
			}
			return func() error {
				if maxAbs(tg.X)+maxAbs(tg.Y)+maxAbs(tg.S) != 0 {
					return errors.New("nonzero tangent along the zero direction")
				}
				return nil
			}, nil
		}},
		{Name: "Refine/nil", Call: func(ctx context.Context) (func() error, error) {
			_, err := (*Solution)(nil).Refine(ctx, 0)
			return nil, err
		}, Want: ErrInvalid},
		{Name: "Refine/not-optimal", Call: func(ctx context.Context) (func() error, error) {
			_, err := status(NotConverged).Refine(ctx, 0)
			return nil, err
		}, Want: ErrSingular},
		{Name: "Refine/negative-steps", Call: func(ctx context.Context) (func() error, error) { _, err := good().Refine(ctx, -1); return nil, err }, Want: ErrInvalid},
		{Name: "Refine/canceled", Call: func(context.Context) (func() error, error) {
			s := good()
			s.Y[0] += 1e-3 // off the solution: a step is due
			_, err := s.Refine(testutil.Canceled(), 0)
			return nil, err
		}, Want: context.Canceled},
		{Name: "Refine/NaN-data", Call: func(ctx context.Context) (func() error, error) {
			s := good()
			s.pb = withPB(func(pb *Problem) { pb.B = fill(len(pb.B), nan) })
			_, err := s.Refine(ctx, 0)
			return nil, err
		}, Want: ErrNaN},
		{Name: "Refine/non-unique", Call: func(ctx context.Context) (func() error, error) {
			// min 0·x on x ≤ 1 from a point off the solution set: the
			// Newton system is singular; either a step in its range or
			// ErrSingular, never a NaN.
			s := *flat
			s.X, s.Y, s.S = []float64{0.5}, []float64{1e-3}, []float64{0.5}
			res, err := s.Refine(ctx, 0)
			return func() error { return testutil.Finite("Refine", s.X, s.Y, s.S, []float64{res}) }, err
		}, Any: []error{ErrSingular}},
		{Name: "Refine/perturbed", Call: func(ctx context.Context) (func() error, error) {
			s := good()
			s.X[0] += 1e-4
			s.Y[1] -= 1e-4
			res, err := s.Refine(ctx, 5)
			return func() error {
				if !(res < 1e-12) {
					return fmt.Errorf("residual %.3g after Refine", res)
				}
				return testutil.Finite("Refine", s.X, s.Y, s.S)
			}, err
		}},
	}
	testutil.RunAdversarial(t, cases)
}
