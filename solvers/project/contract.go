package project

import (
	"context"
	"fmt"
	"slices"

	"github.com/optlayers/optlayers/implicit"
	"github.com/optlayers/optlayers/internal/batch"
)

var _ implicit.Differentiable = (*Result)(nil)

// resultEta is the step η of the fixed-point condition a Result exposes,
// F(x, θ) = P(x − η(x − y)) − x (see Condition). It lies in (0, 1], so the
// condition holds at x = P(y) for the convex and the non-convex sets alike,
// and it is not 1, so that ∂ₓF = (1 − η)∂P − I exercises the set's
// Jacobian rather than reducing to −I.
const resultEta = 0.5

// Result is a projection x = P(y) with its derivatives: the module's
// contract (implicit.Differentiable) for a projection. Build it with Solve.
//
// Its point is z = x ∈ Rⁿ. Its parameters are θ = y ∈ Rⁿ for a plain Set,
// and θ = (y, φ) ∈ R^{n+len(φ)} for a Parametric set, φ = Params() in the
// layout documented on each type (the radius, the bounds, the normal and
// offset, the right-hand sides, the marginals). Its condition is
// Condition(s, n, 1/2), or ParamCondition(s, n, 1/2) for a
// Parametric set; VJP and JVP are the set's closed forms VJP, JVP,
// ParamVJP and ParamJVP at (x, y), which give the same numbers.
type Result struct {
	set Set        // safe wrapper of the caller's set
	par Parametric // non-nil when θ = (y, φ)
	x   []float64
	y   []float64
	phi []float64
}

// Solve projects y onto s and returns the projection with its derivatives
// (see Result). ctx is checked before the projection and passed to the QP
// of a Polyhedron, the one projection of the package that runs long; an
// error matches ctx.Err() when it is done. Errors are those of s.Project
// (ErrDims, ErrNaN, ErrInvalid, ErrInfeasible, ErrNotConverged); a nil s is
// an error matching ErrInvalid. Solve keeps copies of y and of the set's
// parameters; the existing Project, JVP, VJP, ParamJVP and ParamVJP are
// the allocation-free path.
func Solve(ctx context.Context, s Set, y []float64) (*Result, error) {
	if s == nil {
		return nil, fmt.Errorf("%w: nil set", ErrInvalid)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	r := &Result{set: safeSet{s}, y: slices.Clone(y), x: make([]float64, len(y))}
	if p, ok := s.(*Polyhedron); ok && p != nil && p.n > 0 {
		if err := checkProject(r.x, r.y); err != nil {
			return nil, err
		}
		st, err := p.stateCtx(ctx, r.y)
		if err != nil {
			return nil, err
		}
		p.mu.Lock()
		p.last = st
		p.mu.Unlock()
		copy(r.x, st.x)
		if err := checkOutput(r.x); err != nil {
			return nil, err
		}
	} else if err := r.set.Project(r.x, r.y); err != nil {
		return nil, err
	}
	if p, ok := s.(Parametric); ok {
		sp := safeParam{safeSet{p}, p}
		phi, err := sp.params()
		if err != nil {
			return nil, err
		}
		r.par, r.phi = sp, slices.Clone(phi)
	}
	return r, nil
}

// SolveBatch is Solve for every vector of ys onto the same set, on
// s.Workers goroutines (see Settings). The results do not depend on
// Workers. The error is nil when every item succeeded and an
// *implicit.BatchError naming the failed ones otherwise; the results of
// the others are returned beside it.
func SolveBatch(ctx context.Context, set Set, ys [][]float64, s *Settings) ([]*Result, error) {
	workers, err := s.workers()
	if err != nil {
		return nil, err
	}
	out := make([]*Result, len(ys))
	err = batch.Run(ctx, len(ys), workers, func(i int) error {
		r, err := Solve(ctx, set, ys[i])
		out[i] = r
		return err
	})
	return out, err
}

// X returns a copy of the projection x = P(y).
func (r *Result) X() []float64 { return slices.Clone(r.x) }

// Len returns len(θ): n, plus len(φ) for a Parametric set.
func (r *Result) Len() int { return len(r.y) + len(r.phi) }

// Condition returns the fixed-point condition of the projection (see
// Result) with z = x and θ = y or (y, φ), as fresh copies.
func (r *Result) Condition() (implicit.Condition, []float64, []float64) {
	n := len(r.y)
	var c implicit.Condition
	if r.par != nil {
		c, _ = ParamCondition(r.par, n, resultEta)
	} else {
		c, _ = Condition(r.set, n, resultEta)
	}
	return c, slices.Clone(r.x), slices.Concat(r.y, r.phi)
}

func (r *Result) valid() error {
	if r == nil || r.set == nil {
		return fmt.Errorf("%w: use Solve", ErrInvalid)
	}
	return nil
}

// VJP sets dst (length Len()) to the gradient of ⟨g, P(y)⟩ with respect
// to θ: ∂P(y)ᵀg in dst[:n] and ParamVJP in dst[n:].
func (r *Result) VJP(dst, g []float64) error {
	if err := r.valid(); err != nil {
		return err
	}
	n := len(r.y)
	if len(dst) != r.Len() || len(g) != n {
		return fmt.Errorf("%w: VJP into %d entries with a cotangent of %d (want %d and %d)", ErrDims, len(dst), len(g), r.Len(), n)
	}
	if !finite(g) {
		return fmt.Errorf("%w: cotangent", ErrNaN)
	}
	if err := r.set.VJP(dst[:n], r.x, r.y, g); err != nil {
		return err
	}
	if r.par != nil {
		if err := r.par.ParamVJP(dst[n:], r.x, r.y, g); err != nil {
			return err
		}
	}
	return checkOutput(dst)
}

// JVP sets dst (length n) to the derivative of P(y) along dθ = (dy, dφ):
// ∂P(y)dy + ParamJVP(dφ).
func (r *Result) JVP(dst, dtheta []float64) error {
	if err := r.valid(); err != nil {
		return err
	}
	n := len(r.y)
	if len(dst) != n || len(dtheta) != r.Len() {
		return fmt.Errorf("%w: JVP into %d entries along %d (want %d and %d)", ErrDims, len(dst), len(dtheta), n, r.Len())
	}
	if !finite(dtheta) {
		return fmt.Errorf("%w: direction", ErrNaN)
	}
	if err := r.set.JVP(dst, r.x, r.y, dtheta[:n]); err != nil {
		return err
	}
	if r.par != nil {
		tmp := make([]float64, n)
		if err := r.par.ParamJVP(tmp, r.x, r.y, dtheta[n:]); err != nil {
			return err
		}
		for i := range dst {
			dst[i] += tmp[i]
		}
	}
	return checkOutput(dst)
}
