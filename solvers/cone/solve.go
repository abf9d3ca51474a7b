package cone

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/optlayers/optlayers/internal/guard"
	"github.com/optlayers/optlayers/sparse"
)

// errInternal is matched by the error of an internal panic caught by
// Solve's last-resort guard (a bug, reported rather than crashing).
var errInternal = errors.New("cone: internal error")

// Solve solves the cone program pb,
//
//	minimize ½xᵀQx + pᵀx  subject to  Ax + s = b,  s ∈ K,
//
// by the homogeneous-embedding interior point of Clarabel (Goulart & Chen,
// "Clarabel: an interior-point solver for conic programs with quadratic
// objectives", 2024): Mehrotra's predictor-corrector on the symmetric
// cones (Nesterov–Todd scaling), the primal-dual scaling with the
// third-order corrector of Dahl & Andersen (2022) on the exponential and
// power cones, a sparse quasi-definite KKT system factored by sparse.LDL,
// and Ruiz equilibration. See ipm.go, kkt.go and equilibrate.go for the
// details.
//
// The point returned is on the user's data: X, S and Y (the multiplier of
// Ax + s = b, Y ∈ K*) are unscaled, and Residuals and Status are
// recomputed from them. Status is Optimal only if every residual passes
// Settings.Tol; Infeasible (ErrInfeasible) and Unbounded (ErrUnbounded)
// only with a certificate that passed its check on the user's data
// (Solution.Certificate); otherwise NotConverged (ErrNotConverged) with
// the best iterate, or Canceled with the context's error wrapped.
//
// Bad input gives ErrInvalid (nil problem, nil or invalid K, a Free
// block in K, a Q that is not positive semidefinite, bad settings), ErrDims (empty or mismatched dimensions) or
// ErrNaN (non-finite P, B or warm start), with a nil Solution.
func Solve(ctx context.Context, pb *Problem, s *Settings) (sol *Solution, err error) {
	defer guard.Recover(&err, errInternal)
	return solve(ctx, pb, s, nil)
}

// solve is Solve, with the KKT analysis of pr when pr is not nil.
func solve(ctx context.Context, pb *Problem, s *Settings, pr *Prepared) (*Solution, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	set, err := checkSettings(s)
	if err != nil {
		return nil, err
	}
	set.prep = pr
	blocks, err := validateProblem(pb)
	if err != nil {
		return nil, err
	}
	if err := checkStart(pb, set.WarmStart); err != nil {
		return nil, err
	}
	w, err := newIPM(ctx, pb, set, blocks)
	if err != nil {
		return nil, err
	}
	return w.run()
}

func checkSettings(s *Settings) (Settings, error) {
	var set Settings
	if s != nil {
		set = *s
	}
	if math.IsNaN(set.Tol) || set.Tol < 0 || math.IsInf(set.Tol, 0) {
		return set, fmt.Errorf("%w: Settings.Tol = %v", ErrInvalid, set.Tol)
	}
	if set.Tol == 0 {
		set.Tol = 1e-8
	}
	if set.MaxIter < 0 {
		return set, fmt.Errorf("%w: Settings.MaxIter = %d", ErrInvalid, set.MaxIter)
	}
	if set.MaxIter == 0 {
		set.MaxIter = 200
	}
	if set.Workers < 0 {
		return set, fmt.Errorf("%w: Settings.Workers = %d", ErrInvalid, set.Workers)
	}
	return set, nil
}

// validate checks the problem and returns its blocks (nested products
// flattened).
func validateProblem(pb *Problem) ([]block, error) {
	if pb == nil {
		return nil, fmt.Errorf("%w: nil problem", ErrInvalid)
	}
	if pb.K == nil {
		return nil, fmt.Errorf("%w: nil cone K", ErrInvalid)
	}
	if err := pb.K.valid(); err != nil {
		return nil, err
	}
	n, m := pb.Dims()
	if n == 0 {
		return nil, fmt.Errorf("%w: no variables (len(P) = 0)", ErrDims)
	}
	if m == 0 {
		return nil, fmt.Errorf("%w: no constraints (len(B) = 0)", ErrDims)
	}
	if pb.K.Dim() != m {
		return nil, fmt.Errorf("%w: K has dimension %d, len(B) = %d", ErrDims, pb.K.Dim(), m)
	}
	if pb.A == nil {
		return nil, fmt.Errorf("%w: nil A", ErrDims)
	}
	if r, c := pb.A.Dims(); r != m || c != n {
		return nil, fmt.Errorf("%w: A is %d×%d, want %d×%d", ErrDims, r, c, m, n)
	}
	if pb.Q != nil {
		if r, c := pb.Q.Dims(); r != n || c != n {
			return nil, fmt.Errorf("%w: Q is %d×%d, want %d×%d", ErrDims, r, c, n, n)
		}
	}
	if err := checkQ(pb.Q); err != nil {
		return nil, err
	}
	if !finite(pb.P) {
		return nil, fmt.Errorf("%w: P", ErrNaN)
	}
	if !finite(pb.B) {
		return nil, fmt.Errorf("%w: B", ErrNaN)
	}
	var blocks []block
	var add func(p *Product, off int) error
	add = func(p *Product, off int) error {
		for i, c := range p.cones {
			lo := off + p.off[i]
			bk := block{c: c, lo: lo, hi: lo + c.Dim(), nu: c.Degree()}
			switch k := c.(type) {
			case Zero:
				bk.kind = bkZero
			case Nonnegative:
				bk.kind = bkNonneg
			case SecondOrder:
				bk.kind = bkSOC
			case PSD:
				bk.kind = bkPSD
			case Exp, ExpDual, Power, PowerDual:
				bk.kind = bkNonsym
			case *Product:
				if err := add(k, lo); err != nil {
					return err
				}
				continue
			case Free:
				return fmt.Errorf("%w: block %d is Free (an unconstrained slack): drop its rows", ErrInvalid, i)
			default:
				return fmt.Errorf("%w: block %d: cone type %T is not supported by Solve", ErrInvalid, i, c)
			}
			blocks = append(blocks, bk)
		}
		return nil
	}
	if err := add(pb.K, 0); err != nil {
		return nil, err
	}
	return blocks, nil
}

// checkQ refuses a Q that is not positive semidefinite: the LDLᵀ of
// Q + εI, ε = 1e-8·max(1, max|Qᵢⱼ|), has a pivot ≤ 0 (replaced by the
// dynamic regularization, which counts it) exactly when Q has an
// eigenvalue below about −ε. Without the check an indefinite Q would let
// the iteration stop at a KKT point that is not a minimum.
func checkQ(q *sparse.SymCSC) error {
	if q == nil || q.NNZ() == 0 {
		return nil
	}
	n := q.SymmetricDim()
	_, _, v := q.Upper().Raw()
	eps := 1e-8 * math.Max(1, normInf(v))
	signs := make([]int8, n)
	for i := range signs {
		signs[i] = 1
	}
	f, err := sparse.NewLDL(q, signs, &sparse.LDLSettings{StaticReg: eps, DynamicTol: -1, DynamicReg: eps, MaxIter: -1})
	if err != nil {
		return fmt.Errorf("%w: Q: %v", ErrInvalid, err)
	}
	if f.Stats().Dynamic > 0 {
		return fmt.Errorf("%w: Q is not positive semidefinite", ErrInvalid)
	}
	return nil
}

func checkStart(pb *Problem, ws *Start) error {
	if ws == nil {
		return nil
	}
	n, m := pb.Dims()
	if len(ws.X) != n {
		return fmt.Errorf("%w: WarmStart.X has length %d, want %d", ErrDims, len(ws.X), n)
	}
	if ws.S != nil && len(ws.S) != m {
		return fmt.Errorf("%w: WarmStart.S has length %d, want %d", ErrDims, len(ws.S), m)
	}
	if ws.Y != nil && len(ws.Y) != m {
		return fmt.Errorf("%w: WarmStart.Y has length %d, want %d", ErrDims, len(ws.Y), m)
	}
	if !finite(ws.X) || !finite(ws.S) || !finite(ws.Y) {
		return fmt.Errorf("%w: WarmStart", ErrNaN)
	}
	return nil
}

// stallIters is the number of iterations without halving the score
// after which run stops on a problem with non-symmetric blocks.
const stallIters = 40

// run iterates until a status is reached.
func (w *ipm) run() (*Solution, error) {
	if w.logger != nil {
		w.logger.Info("cone: solve", "n", w.n, "m", w.m, "blocks", len(w.blocks),
			"nnzA", w.pb.A.NNZ(), "nonsymmetric", w.nonsym)
	}
	if err := w.start(); err != nil {
		return w.fail(err)
	}
	for w.iter = 0; ; w.iter++ {
		w.residuals()
		if done, sol, err := w.evaluate(); done {
			return sol, err
		}
		// With non-symmetric blocks, stop with the best iterate once the
		// score has not halved in stallIters iterations (seen near Tol
		// 1e-10, where the iterates' residuals stop improving or grow
		// again, and with steps blocked at the boundary) instead of running
		// to MaxIter.
		if w.nonsym && w.iter-w.progressIter >= stallIters {
			return w.notConverged(fmt.Errorf("%w: insufficient progress (best score %.3g, not halved in %d iterations) at iteration %d", ErrNotConverged, w.bestScore, stallIters, w.iter))
		}
		if w.iter >= w.set.MaxIter {
			return w.notConverged(fmt.Errorf("%w: %d iterations", ErrNotConverged, w.iter))
		}
		if err := w.ctx.Err(); err != nil {
			sol := w.bestSolution()
			sol.Status = Canceled
			return sol, fmt.Errorf("cone: canceled after %d iterations: %w", w.iter, err)
		}
		a, err := w.step()
		if err != nil {
			return w.fail(err)
		}
		if a <= minStep {
			return w.notConverged(fmt.Errorf("%w: step length %.3g at iteration %d", ErrNotConverged, a, w.iter))
		}
		w.update(a)
		if w.logger != nil {
			w.logger.Debug("cone: iteration", "iter", w.iter, "mu", w.mu, "step", a,
				"tau", w.tau, "kappa", w.kappa, "primal", w.lastRes.Primal, "dual", w.lastRes.Dual, "gap", w.lastRes.Gap)
		}
	}
}

// fail ends the iteration on a numerical error: the best iterate with
// ErrNotConverged wrapping the cause.
func (w *ipm) fail(err error) (*Solution, error) {
	return w.notConverged(fmt.Errorf("%w: iteration %d: %w", ErrNotConverged, w.iter, err))
}

func (w *ipm) notConverged(err error) (*Solution, error) {
	sol := w.bestSolution()
	sol.Status = NotConverged
	if w.logger != nil {
		w.logger.Info("cone: not converged", "iterations", w.iter, "err", err)
	}
	return sol, err
}

func (w *ipm) bestSolution() *Solution {
	if w.best == nil {
		// No finite evaluated iterate: the unscaled current point if it is
		// finite, else zeros (never a non-finite point).
		sol := w.unscaled()
		if !finite(sol.X) || !finite(sol.S) || !finite(sol.Y) {
			clear(sol.X)
			clear(sol.S)
			clear(sol.Y)
		}
		w.userResiduals(sol)
		if !finite([]float64{sol.Objective, sol.Residuals.Primal, sol.Residuals.Dual, sol.Residuals.Gap}) {
			sol.Objective = 0
			sol.Residuals = Residuals{Primal: math.Inf(1), Dual: math.Inf(1), Gap: math.Inf(1)}
		}
		return sol
	}
	sol := *w.best
	sol.Iterations = w.iter
	return &sol
}

// unscaled returns (x, s, y) = (Dx/τ, E⁻¹s/τ, Ez/(cτ)) with the problem.
func (w *ipm) unscaled() *Solution {
	eq := w.eq
	t := w.tau
	if !(t > 0) {
		t = 1
	}
	sol := &Solution{X: make([]float64, w.n), S: make([]float64, w.m), Y: make([]float64, w.m), pb: w.pb, Iterations: w.iter}
	for j := range sol.X {
		sol.X[j] = eq.d[j] * w.x[j] / t
	}
	for i := range sol.S {
		sol.S[i] = w.s[i] / (eq.e[i] * t)
		sol.Y[i] = eq.e[i] * w.z[i] / (eq.c * t)
	}
	return sol
}

// userResiduals fills Residuals and Objective on the user's data (the
// unscaled problem, recomputed from X, S, Y) and returns the score
// max(residual/scale): the primal residual against max(1, ‖Ax‖∞, ‖s‖∞,
// ‖b‖∞), the dual against max(1, ‖Qx‖∞, ‖p‖∞, ‖Aᵀy‖∞), the gap against
// max(1, min(|primal objective|, |dual objective|)); all scales 1 with
// Settings.Absolute. (S ∈ K and Y ∈ K* hold by construction: the
// iterates are interior and the unscaling is a positive scaling of each
// block.)
func (w *ipm) userResiduals(sol *Solution) float64 {
	pb := w.pb
	n, m := w.n, w.m
	x, s, y := sol.X, sol.S, sol.Y
	qx := make([]float64, n)
	if pb.Q != nil {
		_ = pb.Q.MulVec(qx, x)
	}
	ax := make([]float64, m)
	_ = pb.A.MulVec(ax, x)
	aty := make([]float64, n)
	_ = pb.A.MulTransVec(aty, y)
	rp, rd := 0.0, 0.0
	for i := range m {
		rp = math.Max(rp, math.Abs(ax[i]+s[i]-pb.B[i]))
	}
	for j := range n {
		rd = math.Max(rd, math.Abs(qx[j]+pb.P[j]+aty[j]))
	}
	xqx, px, by := dot(x, qx), dot(pb.P, x), dot(pb.B, y)
	gap := math.Abs(xqx + px + by)
	nanInf := func(v float64) float64 {
		if math.IsNaN(v) {
			return math.Inf(1)
		}
		return v
	}
	sol.Residuals = Residuals{Primal: nanInf(rp), Dual: nanInf(rd), Gap: nanInf(gap)}
	sol.Objective = 0.5*xqx + px
	sp, sd, sg := 1.0, 1.0, 1.0
	if !w.set.Absolute {
		sp = math.Max(1, math.Max(normInf(ax), math.Max(normInf(s), normInf(pb.B))))
		sd = math.Max(1, math.Max(normInf(qx), math.Max(normInf(pb.P), normInf(aty))))
		// The gap is the difference of the primal and dual objectives,
		// ½xᵀQx + pᵀx and −½xᵀQx − bᵀy, and is measured against the
		// smaller of them (as Clarabel does), not against its terms: those
		// can be much larger than the objective and cancel (|pᵀx| ≈ 35,
		// |bᵀy| ≈ 46, xᵀQx ≈ 81 for an objective of 5.6 in a test), and a
		// gap of Tol times them let Status Optimal stand with the
		// objective off by 10·Tol relative.
		pobj, dobj := 0.5*xqx+px, -0.5*xqx-by
		sg = math.Max(1, math.Min(math.Abs(pobj), math.Abs(dobj)))
	}
	score := math.Max(rp/sp, math.Max(rd/sd, gap/sg))
	if math.IsNaN(score) {
		return math.Inf(1)
	}
	return score
}

// evaluate checks the current iterate for optimality and the certificates.
func (w *ipm) evaluate() (bool, *Solution, error) {
	sol := w.unscaled()
	score := w.userResiduals(sol)
	w.lastRes = sol.Residuals
	if score < 0.5*w.progressScore {
		w.progressScore, w.progressIter = score, w.iter
	}
	if score < w.bestScore && finite(sol.X) && finite(sol.S) && finite(sol.Y) {
		w.bestScore = score
		w.best = sol
	}
	if score <= w.set.Tol {
		sol.Status = Optimal
		if w.logger != nil {
			w.logger.Info("cone: optimal", "iterations", w.iter, "objective", sol.Objective,
				"primal", sol.Residuals.Primal, "dual", sol.Residuals.Dual, "gap", sol.Residuals.Gap)
		}
		return true, sol, nil
	}
	if cert, ok := w.infeasibility(); ok {
		out := w.bestSolution()
		out.Status = Infeasible
		out.Certificate = cert
		if w.logger != nil {
			w.logger.Info("cone: infeasible", "iterations", w.iter)
		}
		return true, out, fmt.Errorf("%w: certificate found at iteration %d", ErrInfeasible, w.iter)
	}
	if cert, ok := w.unboundedness(); ok {
		out := w.bestSolution()
		out.Status = Unbounded
		out.Certificate = cert
		if w.logger != nil {
			w.logger.Info("cone: unbounded", "iterations", w.iter)
		}
		return true, out, fmt.Errorf("%w: certificate found at iteration %d", ErrUnbounded, w.iter)
	}
	return false, nil, nil
}
