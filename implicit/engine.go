package implicit

import (
	"context"
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/implicit/linsolve"
	"github.com/optlayers/optlayers/internal/guard"
)

// Method selects how the engine solves linear systems with A = ∂ₓF.
type Method int

const (
	// Auto uses A's own factorization when A implements Factorized (and
	// Ridge is zero); otherwise a dense LU up to n = DenseCrossover (200
	// for matrix-free operators, 1000 for explicit matrices) and GMRES
	// above, falling back to a dense LU (n ≤ 5000) if GMRES fails, for
	// example on an indefinite KKT matrix where unpreconditioned GMRES
	// stagnates.
	Auto Method = iota
	// DenseLU materializes A (n products) and factorizes it with LU.
	DenseLU
	// DenseCholesky materializes A and factorizes it with Cholesky; A must
	// be symmetric positive definite (its symmetric part is used).
	DenseCholesky
	// DenseQR materializes A and uses a QR factorization.
	DenseQR
	// CG runs conjugate gradients; A must be symmetric positive definite.
	CG
	// NormalCG runs CG on the normal equations; any nonsingular A.
	NormalCG
	// GMRES runs restarted GMRES; any nonsingular A.
	GMRES
	// BiCGSTAB runs stabilized bi-conjugate gradients; any nonsingular A.
	BiCGSTAB
	// Neumann truncates the Neumann series of A⁻¹; an approximation whose
	// residual is reported but never treated as a failure.
	Neumann
)

var methodNames = [...]string{"Auto", "DenseLU", "DenseCholesky", "DenseQR", "CG", "NormalCG", "GMRES", "BiCGSTAB", "Neumann"}

func (m Method) String() string {
	if m >= 0 && int(m) < len(methodNames) {
		return methodNames[m]
	}
	return fmt.Sprintf("Method(%d)", int(m))
}

// DefaultDenseCrossover is the dimension up to which Auto factorizes a
// materialized ∂ₓF densely rather than running GMRES.
const DefaultDenseCrossover = 200

// DefaultDenseMatrixCrossover is the crossover used instead when ∂ₓF is an
// explicit matrix (linsolve.Matrix), which costs nothing to materialize.
const DefaultDenseMatrixCrossover = 1000

// maxDenseFallback is the largest n for which Auto falls back to a dense
// LU when its Krylov solve fails.
const maxDenseFallback = 5000

// Settings controls the engine. A nil *Settings or the zero value means the
// defaults documented on each field.
type Settings struct {
	// Method is the linear solver for systems with A = ∂ₓF. Default Auto.
	Method Method
	// Ridge adds a Tikhonov term: the engine solves with A + Ridge·I. It
	// regularizes conditions whose ∂ₓF is singular or nearly so (for
	// example at a non-strict solution), at the price of a bias of order
	// Ridge. A Factorized A is materialized when Ridge is non-zero.
	Ridge float64
	// Tol is the relative residual at which iterative methods stop.
	// Default 1e-10.
	Tol float64
	// MaxIter caps iterative methods. Default max(10·n, 100).
	MaxIter int
	// Restart is the GMRES restart length. Default min(n, 50).
	Restart int
	// Precond is an optional preconditioner for iterative methods.
	Precond linsolve.Preconditioner
	// WarmStart, if non-nil, is the initial guess of iterative methods for
	// the system they solve: the adjoint u in Aᵀu = g for VJP, the tangent
	// dx for JVP. Pass the previous solution (Linearization.LastSolution)
	// when solving a sequence of nearby problems.
	WarmStart []float64
	// NeumannTerms and NeumannStep are the number of terms K and scaling α
	// of the Neumann series α Σ (I − αA)ᵏ. Defaults 50 and 1 (−1 for
	// conditions built by FixedPoint, where A = ∂ₓT − I).
	NeumannTerms int
	NeumannStep  float64
	// DenseCrossover overrides DefaultDenseCrossover for Auto.
	DenseCrossover int
}

func (s *Settings) orDefault() Settings {
	if s == nil {
		return Settings{}
	}
	return *s
}

func (s *Settings) linsolve(warm []float64) *linsolve.Settings {
	return &linsolve.Settings{
		Tol:       s.Tol,
		MaxIter:   s.MaxIter,
		Restart:   s.Restart,
		Precond:   s.Precond,
		WarmStart: warm,
		Terms:     s.NeumannTerms,
		Step:      s.NeumannStep,
	}
}

// Linearization is a condition linearized at a point (x, θ), ready to
// answer many VJP, JVP and Jacobian queries. It keeps the factorization it
// computes (or the one ∂ₓF came with), so repeated queries cost one
// triangular solve each for dense methods. A Linearization is not safe for
// concurrent use.
type Linearization struct {
	n, p   int
	dx     Operator
	dtheta Operator
	s      Settings
	fact   linsolve.Factorized
	last   []float64
	// dense is set when Auto fell back from a failed Krylov solve.
	dense bool
	// Stats of the last linear solve.
	LastResult linsolve.Result
}

// Linearize linearizes c at (x, θ). It returns ErrInvalid for a nil c, a
// ConditionFunc without LinearizeFunc, a Linearize returning a nil
// operator or invalid settings (s may be nil: the defaults), and
// ErrCallback when c panics.
func Linearize(c Condition, x, theta []float64, s *Settings) (l *Linearization, err error) {
	if err := checkCondition(c, false); err != nil {
		return nil, err
	}
	if err := s.validate(); err != nil {
		return nil, err
	}
	defer guard.Recover(&err, ErrCallback)
	n, p := c.Dims()
	if n < 0 || p < 0 {
		return nil, fmt.Errorf("%w: condition dimensions %d×%d", ErrDims, n, p)
	}
	if len(x) != n || len(theta) != p {
		return nil, fmt.Errorf("%w: condition is %d×%d, len(x)=%d, len(θ)=%d", ErrDims, n, p, len(x), len(theta))
	}
	if !finite(x) || !finite(theta) {
		return nil, fmt.Errorf("%w: in x or θ", ErrNaN)
	}
	dx, dtheta, err := c.Linearize(x, theta)
	if err != nil {
		return nil, fmt.Errorf("implicit: linearize: %w", err)
	}
	if dx == nil || dtheta == nil {
		return nil, fmt.Errorf("%w: Linearize returned a nil operator", ErrInvalid)
	}
	if r, cc := dx.Dims(); r != n || cc != n {
		return nil, fmt.Errorf("%w: ∂ₓF is %d×%d, want %d×%d", ErrDims, r, cc, n, n)
	}
	if r, cc := dtheta.Dims(); r != n || cc != p {
		return nil, fmt.Errorf("%w: ∂θF is %d×%d, want %d×%d", ErrDims, r, cc, n, p)
	}
	return &Linearization{n: n, p: p, dx: dx, dtheta: dtheta, s: s.orDefault()}, nil
}

// Dims returns (n, p); (0, 0) for a nil l.
func (l *Linearization) Dims() (n, p int) {
	if l == nil {
		return 0, 0
	}
	return l.n, l.p
}

// Operators returns ∂ₓF and ∂θF (nil for a nil l).
func (l *Linearization) Operators() (dx, dtheta Operator) {
	if l == nil {
		return nil, nil
	}
	return l.dx, l.dtheta
}

// LastSolution returns the solution of the last linear solve (a copy), to
// be used as Settings.WarmStart of a later, similar solve; nil for a nil l.
func (l *Linearization) LastSolution() []float64 {
	if l == nil {
		return nil
	}
	return append([]float64(nil), l.last...)
}

func (l *Linearization) method() Method {
	m := l.s.Method
	if m != Auto {
		return m
	}
	if l.dense {
		return DenseLU
	}
	if _, ok := l.dx.(linsolve.Factorized); ok && l.s.Ridge == 0 {
		return Auto
	}
	cross := l.s.DenseCrossover
	if cross <= 0 {
		cross = DefaultDenseCrossover
		if _, explicit := l.dx.(linsolve.Matrix); explicit {
			// Materializing an explicit matrix is a copy, not n products.
			cross = DefaultDenseMatrixCrossover
		}
	}
	if l.n <= cross {
		return DenseLU
	}
	return GMRES
}

// factorization returns the Factorized operator to solve with, computing a
// dense factorization on first use.
func (l *Linearization) factorization(m Method) (linsolve.Factorized, error) {
	if l.fact != nil {
		return l.fact, nil
	}
	if m == Auto {
		l.fact = l.dx.(linsolve.Factorized)
		return l.fact, nil
	}
	a := linsolve.Dense(l.dx)
	if l.s.Ridge != 0 {
		for i := range l.n {
			a.Set(i, i, a.At(i, i)+l.s.Ridge)
		}
	}
	var (
		f   linsolve.Factorized
		err error
	)
	switch m {
	case DenseLU:
		f, err = linsolve.NewLU(a)
	case DenseQR:
		f, err = linsolve.NewQR(a)
	case DenseCholesky:
		sym := mat.NewSymDense(l.n, nil)
		for i := range l.n {
			for j := i; j < l.n; j++ {
				sym.SetSym(i, j, 0.5*(a.At(i, j)+a.At(j, i)))
			}
		}
		f, err = linsolve.NewCholesky(sym)
	}
	if err != nil {
		return nil, solveErr(m, err)
	}
	l.fact = f
	return f, nil
}

// solve sets dst = A⁻¹ b (trans false) or A⁻ᵀ b (trans true). A done
// ctx stops it before a factorization and within one iteration of a
// Krylov method, with an error matching ctx.Err() (and no dense fallback).
func (l *Linearization) solve(ctx context.Context, dst, b []float64, trans bool) error {
	if !finite(b) {
		return fmt.Errorf("%w: in the right-hand side", ErrNaN)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if l.n == 0 {
		return nil // no unknowns: the empty solution
	}
	m := l.method()
	switch m {
	case Auto, DenseLU, DenseCholesky, DenseQR:
		f, err := l.factorization(m)
		if err != nil {
			return err
		}
		if trans {
			err = f.SolveT(dst, b)
		} else {
			err = f.Solve(dst, b)
		}
		if err != nil {
			return solveErr(m, err)
		}
		l.LastResult = linsolve.Result{}
	default:
		a := linsolve.AddRidge(l.dx, l.s.Ridge)
		if trans {
			a = linsolve.Transpose(a)
		}
		warm := l.s.WarmStart
		if warm != nil && len(warm) != l.n {
			return fmt.Errorf("%w: warm start has length %d, want %d", ErrDims, len(warm), l.n)
		}
		ls := l.s.linsolve(warm)
		if _, ok := l.dx.(fixedPointDx); ok && m == Neumann && l.s.NeumannStep == 0 && l.s.Ridge == 0 {
			ls.Step = -1
		}
		var (
			res linsolve.Result
			err error
		)
		switch m {
		case CG:
			res, err = linsolve.CG(ctx, dst, a, b, ls)
		case NormalCG:
			res, err = linsolve.NormalCG(ctx, dst, a, b, ls)
		case GMRES:
			res, err = linsolve.GMRES(ctx, dst, a, b, ls)
		case BiCGSTAB:
			res, err = linsolve.BiCGSTAB(ctx, dst, a, b, ls)
		case Neumann:
			res, err = linsolve.Neumann(ctx, dst, a, b, ls)
			if err != nil && finite(dst) {
				err = nil // an approximation by design; the residual is reported
			}
		default:
			return fmt.Errorf("%w: unknown method %v", ErrSolve, m)
		}
		l.LastResult = res
		if err != nil && ctx.Err() != nil {
			return err
		}
		if err != nil && l.s.Method == Auto && !errors.Is(err, linsolve.ErrNaN) && !errors.Is(err, linsolve.ErrCallback) && l.n <= maxDenseFallback {
			l.dense = true
			return l.solve(ctx, dst, b, trans)
		}
		if err != nil {
			return solveErr(m, err)
		}
	}
	if !finite(dst) {
		return fmt.Errorf("%w: linear solve with ∂ₓF produced NaN or Inf", ErrNaN)
	}
	l.last = append(l.last[:0], dst...)
	return nil
}

// Adjoint sets dst (length n) to u = A⁻ᵀ g, the adjoint of the cotangent g.
// It is AdjointContext with a context that is never done.
func (l *Linearization) Adjoint(dst, g []float64) error {
	return l.AdjointContext(context.Background(), dst, g)
}

// AdjointContext is Adjoint that stops within one iteration of ctx being
// done (see [Linearization.VJPContext]).
func (l *Linearization) AdjointContext(ctx context.Context, dst, g []float64) (err error) {
	if l == nil {
		return fmt.Errorf("%w: nil Linearization", ErrInvalid)
	}
	defer guard.Recover(&err, ErrCallback)
	if len(dst) != l.n || len(g) != l.n {
		return fmt.Errorf("%w: adjoint with n=%d, len(g)=%d, len(dst)=%d", ErrDims, l.n, len(g), len(dst))
	}
	return l.solve(orBackground(ctx), dst, g, true)
}

// VJP sets dst (length p) to gθ = −(∂θF)ᵀ (∂ₓF)⁻ᵀ g: the gradient with
// respect to θ of ⟨g, x*(θ)⟩. It is VJPContext with a context that is
// never done: the contract's methods take none ([Differentiable]).
func (l *Linearization) VJP(dst, g []float64) error {
	return l.VJPContext(context.Background(), dst, g)
}

// VJPContext is VJP for a caller whose work can be cancelled: it returns
// an error matching ctx.Err() when ctx is done on entry, before a dense
// factorization, or during an iterative solve (within one iteration). A
// nil ctx is never done.
func (l *Linearization) VJPContext(ctx context.Context, dst, g []float64) (err error) {
	if l == nil {
		return fmt.Errorf("%w: nil Linearization", ErrInvalid)
	}
	ctx = orBackground(ctx)
	defer guard.Recover(&err, ErrCallback)
	if len(dst) != l.p || len(g) != l.n {
		return fmt.Errorf("%w: VJP with n=%d p=%d, len(g)=%d, len(dst)=%d", ErrDims, l.n, l.p, len(g), len(dst))
	}
	if l.n == 0 {
		clear(dst) // x* has no entries: ⟨g, x*⟩ is constant
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	u := make([]float64, l.n)
	if err := l.solve(ctx, u, g, true); err != nil {
		return err
	}
	l.dtheta.ApplyT(dst, u)
	for i := range dst {
		dst[i] = -dst[i]
	}
	if !finite(dst) {
		return fmt.Errorf("%w: (∂θF)ᵀu produced NaN or Inf", ErrNaN)
	}
	return nil
}

// JVP sets dst (length n) to dx = −(∂ₓF)⁻¹ (∂θF) dθ: the directional
// derivative of x*(θ) along dθ. It is JVPContext with a context that is
// never done.
func (l *Linearization) JVP(dst, dtheta []float64) error {
	return l.JVPContext(context.Background(), dst, dtheta)
}

// JVPContext is JVP that stops as [Linearization.VJPContext] does.
func (l *Linearization) JVPContext(ctx context.Context, dst, dtheta []float64) (err error) {
	if l == nil {
		return fmt.Errorf("%w: nil Linearization", ErrInvalid)
	}
	ctx = orBackground(ctx)
	defer guard.Recover(&err, ErrCallback)
	if len(dst) != l.n || len(dtheta) != l.p {
		return fmt.Errorf("%w: JVP with n=%d p=%d, len(dθ)=%d, len(dst)=%d", ErrDims, l.n, l.p, len(dtheta), len(dst))
	}
	if !finite(dtheta) {
		return fmt.Errorf("%w: in dθ", ErrNaN)
	}
	if l.n == 0 {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	b := make([]float64, l.n)
	l.dtheta.Apply(b, dtheta)
	for i := range b {
		b[i] = -b[i]
	}
	return l.solve(ctx, dst, b, false)
}

// Jacobian returns the dense n×p Jacobian ∂x*/∂θ. With a dense
// factorization it is one blocked solve with the p columns of −∂θF;
// otherwise it is formed with p JVPs when p ≤ n and with n VJPs when p > n.
// It is JacobianContext with a context that is never done.
func (l *Linearization) Jacobian() (*mat.Dense, error) {
	return l.JacobianContext(context.Background())
}

// JacobianContext is Jacobian that stops as [Linearization.VJPContext]
// does (each of its solves checks ctx).
func (l *Linearization) JacobianContext(ctx context.Context) (j *mat.Dense, err error) {
	if l == nil {
		return nil, fmt.Errorf("%w: nil Linearization", ErrInvalid)
	}
	ctx = orBackground(ctx)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if l.n == 0 || l.p == 0 {
		return &mat.Dense{}, nil
	}
	defer guard.Recover(&err, ErrCallback)
	out := mat.NewDense(l.n, l.p, nil)
	if m := l.method(); m == Auto || m == DenseLU || m == DenseCholesky {
		f, err := l.factorization(m)
		if err != nil {
			return nil, err
		}
		if ms, ok := f.(linsolve.MatrixSolver); ok {
			// One blocked solve with all p right-hand sides −∂θF.
			b := linsolve.Dense(l.dtheta)
			b.Scale(-1, b)
			if err := ms.SolveMat(out, b, false); err != nil {
				return nil, solveErr(m, err)
			}
			if !denseFinite(out) {
				return nil, fmt.Errorf("%w: Jacobian", ErrNaN)
			}
			return out, nil
		}
	}
	if l.p <= l.n {
		e := make([]float64, l.p)
		col := make([]float64, l.n)
		for j := range l.p {
			e[j] = 1
			if err := l.JVPContext(ctx, col, e); err != nil {
				return nil, err
			}
			e[j] = 0
			out.SetCol(j, col)
		}
		return out, nil
	}
	e := make([]float64, l.n)
	for i := range l.n {
		e[i] = 1
		if err := l.VJPContext(ctx, out.RawRowView(i), e); err != nil {
			return nil, err
		}
		e[i] = 0
	}
	return out, nil
}

// VJP returns gθ = −(∂θF)ᵀ (∂ₓF)⁻ᵀ g at (x, θ): the gradient with respect
// to θ of ⟨g, x*(θ)⟩, where x* solves c. It stops within one iteration of
// ctx being done, with an error matching ctx.Err(); a nil ctx is never
// done.
func VJP(ctx context.Context, c Condition, x, theta, g []float64, s *Settings) ([]float64, error) {
	l, err := Linearize(c, x, theta, s)
	if err != nil {
		return nil, err
	}
	_, p := l.Dims()
	dst := make([]float64, p)
	if err := l.VJPContext(ctx, dst, g); err != nil {
		return nil, err
	}
	return dst, nil
}

// JVP returns dx = −(∂ₓF)⁻¹ (∂θF) dθ at (x, θ): the derivative of x*(θ) in
// the direction dθ. It stops as VJP does when ctx is done.
func JVP(ctx context.Context, c Condition, x, theta, dtheta []float64, s *Settings) ([]float64, error) {
	l, err := Linearize(c, x, theta, s)
	if err != nil {
		return nil, err
	}
	n, _ := l.Dims()
	dst := make([]float64, n)
	if err := l.JVPContext(ctx, dst, dtheta); err != nil {
		return nil, err
	}
	return dst, nil
}

// Jacobian returns the dense n×p Jacobian ∂x*/∂θ at (x, θ). It stops as
// VJP does when ctx is done.
func Jacobian(ctx context.Context, c Condition, x, theta []float64, s *Settings) (*mat.Dense, error) {
	l, err := Linearize(c, x, theta, s)
	if err != nil {
		return nil, err
	}
	return l.JacobianContext(ctx)
}

// orBackground returns ctx, or a context that is never done for a nil
// ctx.
func orBackground(ctx context.Context) context.Context {
	if ctx == nil {
		return context.Background()
	}
	return ctx
}

func finite(x []float64) bool {
	for _, v := range x {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return false
		}
	}
	return true
}
