package prox

import (
	"context"
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/solvers/smooth"
)

// Logistic is sparse (l1-regularized) logistic regression
//
//	minimize_w  (1/n) Σᵢ log(1 + exp(−yᵢ xᵢᵀw)) + Σⱼ λⱼ|wⱼ| + (λ₂/2) ‖w‖²,
//
// X n×d, labels yᵢ ∈ {−1, +1}, with λⱼ and λ₂ given by θ as the
// [Penalty] says (the layout of [Lasso]). [Logistic.Solve] runs a
// proximal Newton method; the solution is differentiated through the
// proximal-gradient fixed point of [Logistic.Composite] ([Condition],
// solved on the support).
//
// A Logistic holds a column-major copy of X and is read-only after
// construction: one Logistic may be solved from several goroutines.
type Logistic struct {
	n, d    int
	penalty Penalty
	dense   *mat.Dense
	xc      []float64 // column j is xc[j*n : (j+1)*n]
	y       []float64
	colSq   []float64 // ‖X_j‖²/n
	lmax    float64   // ‖∇f(0)‖∞
	lip     float64   // ‖X‖₂²/(4n), the Lipschitz constant of ∇f
}

var errNilLogistic = fmt.Errorf("%w: nil Logistic", ErrInvalid)

// NewLogistic validates and copies X (n×d) and the labels y (±1).
func NewLogistic(x mat.Matrix, y []float64, penalty Penalty) (*Logistic, error) {
	if err := penalty.check(); err != nil {
		return nil, err
	}
	if _, err := smooth.LogisticLoss(x, y); err != nil { // shapes, NaN, labels
		return nil, fromSmooth(err)
	}
	n, d := x.Dims()
	l := &Logistic{n: n, d: d, penalty: penalty, dense: mat.DenseCopyOf(x), xc: make([]float64, n*d),
		y: append([]float64(nil), y...), colSq: make([]float64, d)}
	inv := 1 / float64(n)
	for j := range d {
		col := l.xc[j*n : (j+1)*n]
		mat.Col(col, j, l.dense)
		l.colSq[j] = dot(col, col) * inv
		// ∇f(0) = −Xᵀy/(2n).
		l.lmax = math.Max(l.lmax, math.Abs(dot(col, y))*inv/2)
	}
	if !finite(l.colSq) {
		return nil, fmt.Errorf("%w: X too large (‖Xⱼ‖² overflows); rescale the data", ErrNaN)
	}
	l.lip = powerIteration(l.xc, n, d) / 4
	return l, nil
}

// fromSmooth maps the errors of package smooth onto this package's.
func fromSmooth(err error) error {
	switch {
	case errors.Is(err, smooth.ErrNaN):
		return fmt.Errorf("%w: %w", ErrNaN, err)
	case errors.Is(err, smooth.ErrDims):
		return fmt.Errorf("%w: %w", ErrDims, err)
	}
	return fmt.Errorf("%w: %w", ErrInvalid, err)
}

// Dims returns the number of features d and of parameters p.
func (l *Logistic) Dims() (d, p int) {
	if l == nil || l.d == 0 {
		return 0, 0
	}
	return l.d, l.penalty.numParams(l.d)
}

// LambdaMax returns ‖∇f(0)‖∞ = ‖Xᵀy‖∞/(2n), the smallest shared λ (with
// λ₂ = 0) for which w = 0 is the solution.
func (l *Logistic) LambdaMax() float64 {
	if l == nil || l.d == 0 {
		return math.NaN()
	}
	return l.lmax
}

// Lipschitz returns an estimate of ‖X‖₂²/(4n), the Lipschitz constant of
// the loss's gradient (power iteration).
func (l *Logistic) Lipschitz() float64 {
	if l == nil || l.d == 0 {
		return math.NaN()
	}
	return l.lip
}

// Composite returns the problem as f + g: f the logistic loss
// (smooth.LogisticLoss, no parameters) and g the penalty's regularizer,
// so θ has the same layout. Each call builds a new problem (copying X);
// use one per goroutine.
func (l *Logistic) Composite() *Composite {
	if l == nil || l.d == 0 {
		return nil
	}
	f, err := smooth.LogisticLoss(l.dense, l.y)
	if err != nil {
		panic(err) // validated by NewLogistic
	}
	return &Composite{F: f, G: l.penalty.regularizer()}
}

// Solve minimizes the problem at θ by the proximal Newton method of Yuan,
// Ho and Lin (2012, "newGLMNET"): at each step the loss is replaced by
// its quadratic model, the l1 subproblem is solved approximately by
// coordinate descent over the active coordinates (nonzero or violating
// the optimality conditions), at most 100 sweeps, and a backtracking line
// search on the true objective accepts the step. It stops when the
// optimality violation maxⱼ dist(−∇ⱼf − λ₂wⱼ, λⱼ∂|wⱼ|) is at most s.Tol
// (absolute; default 1e-8), after at most s.MaxIter Newton steps
// (default 500; the other fields of Settings are not used). init, when
// non-nil, is a warm start; θ and init are not modified.
//
// The result is an implicit.Differentiable (like [Minimize]'s) with step
// StepSize = 1/(L + λ₂), L = [Logistic.Lipschitz]; its Residual is the
// final optimality violation and Iterations the Newton steps. A
// cancelled ctx or the iteration cap returns the last iterate with
// ErrNotConverged.
func (l *Logistic) Solve(ctx context.Context, theta, init []float64, s *Settings) (*Result, error) {
	if l == nil || l.d == 0 {
		return nil, errNilLogistic
	}
	if s != nil {
		if err := s.check(); err != nil {
			return nil, err
		}
	}
	if err := l.penalty.checkTheta(theta, l.penalty.numParams(l.d)); err != nil {
		return nil, err
	}
	w := make([]float64, l.d)
	if init != nil {
		if len(init) != l.d {
			return nil, fmt.Errorf("%w: init has length %d, want %d", ErrDims, len(init), l.d)
		}
		if !finite(init) {
			return nil, fmt.Errorf("%w: in init", ErrNaN)
		}
		copy(w, init)
	}
	tol, maxIter := 1e-8, 500
	if s != nil && s.Tol > 0 {
		tol = s.Tol
	}
	if s != nil && s.MaxIter > 0 {
		maxIter = s.MaxIter
	}
	lam := l.penalty.strengths(theta)
	lam1 := make([]float64, l.d)
	for j := range lam1 {
		if l.penalty.Strengths == smooth.PerFeature {
			lam1[j] = lam[j]
		} else {
			lam1[j] = lam[0]
		}
	}
	lam2 := 0.0
	if l.penalty.ElasticNet {
		lam2 = lam[1]
	}
	res := &Result{X: w, StepSize: 1 / (math.Max(l.lip, 1e-12) + lam2), c: l.Composite(), theta: append([]float64(nil), theta...)}
	it, viol, f, err := l.newton(ctx, w, lam1, lam2, tol, maxIter)
	res.Iterations, res.Residual, res.Objective = it, viol, f
	res.Converged = err == nil
	if err != nil && errors.Is(err, ErrNaN) {
		return nil, err
	}
	return res, err
}

// newton runs the proximal Newton iterations on w; it returns the number
// of steps, the last optimality violation and objective.
func (l *Logistic) newton(ctx context.Context, w, lam1 []float64, lam2, tol float64, maxIter int) (int, float64, float64, error) {
	n, d := l.n, l.d
	rows := float64(n)
	z := make([]float64, n)
	r := make([]float64, n)
	h := make([]float64, n)
	u := make([]float64, n)
	zt := make([]float64, n)
	g := make([]float64, d)
	delta := make([]float64, d)
	curv := make([]float64, d)
	wt := make([]float64, d)
	active := make([]int, 0, d)
	col := func(j int) []float64 { return l.xc[j*n : (j+1)*n] }
	objective := func(z, w []float64) float64 {
		var f float64
		for i, yi := range l.y {
			f += log1pExp(-yi * z[i])
		}
		f /= rows
		for j, v := range w {
			f += lam1[j]*math.Abs(v) + 0.5*lam2*v*v
		}
		return f
	}
	for j, v := range w {
		if v != 0 {
			axpy(v, col(j), z)
		}
	}
	fw := objective(z, w)
	viol := math.Inf(1)
	for outer := range maxIter {
		if err := ctx.Err(); err != nil {
			return outer, viol, fw, fmt.Errorf("%w: %w", ErrNotConverged, err)
		}
		for i, yi := range l.y {
			s := sigmoid(-yi * z[i])
			r[i] = -yi * s / rows
			h[i] = math.Max(s*(1-s), 1e-12) / rows
		}
		for j := range g {
			g[j] = dot(col(j), r) + lam2*w[j]
		}
		viol = l1Violation(w, g, lam1)
		if math.IsNaN(viol) || math.IsNaN(fw) {
			return outer, viol, fw, fmt.Errorf("%w: l1-logistic objective", ErrNaN)
		}
		if viol <= tol {
			return outer, viol, fw, nil
		}
		active = active[:0]
		for j := range w {
			if w[j] != 0 || math.Abs(g[j]) > lam1[j] {
				active = append(active, j)
				var a float64
				for i, x := range col(j) {
					a += h[i] * x * x
				}
				curv[j] = math.Max(a, 1e-12*l.colSq[j]) + lam2
			}
		}
		clear(delta)
		clear(u)
		for range 100 {
			var ch float64
			for _, j := range active {
				cj := col(j)
				var hu float64
				for i, x := range cj {
					hu += x * h[i] * u[i]
				}
				gj := g[j] + hu + lam2*delta[j]
				a := curv[j]
				cur := w[j] + delta[j]
				step := softThreshold(a*cur-gj, lam1[j])/a - cur
				if step != 0 {
					delta[j] += step
					axpy(step, cj, u)
					ch = math.Max(ch, math.Abs(step)*a)
				}
			}
			if ch <= 0.05*viol || ch <= 0.1*tol {
				break
			}
		}
		// Directional decrease bound D = gᵀδ + λ₁(‖w + δ‖₁ − ‖w‖₁).
		var dec float64
		for _, j := range active {
			dec += g[j]*delta[j] + lam1[j]*(math.Abs(w[j]+delta[j])-math.Abs(w[j]))
		}
		// Below the rounding error of f the Armijo test cannot be decided;
		// the full Newton step is then taken (Hager and Zhang's approximate
		// Wolfe conditions).
		tiny := -dec <= 1e-13*math.Max(1, math.Abs(fw))
		t := 1.0
		accepted := false
		for range 40 {
			for j := range w {
				wt[j] = w[j] + t*delta[j]
			}
			for i := range z {
				zt[i] = z[i] + t*u[i]
			}
			ft := objective(zt, wt)
			if ft <= fw+0.01*t*dec || (tiny && ft <= fw+1e-13*math.Max(1, math.Abs(fw))) {
				copy(w, wt)
				copy(z, zt)
				fw = ft
				accepted = true
				break
			}
			t /= 2
		}
		if !accepted {
			// No decrease representable in floating point: w is optimal to
			// the attainable accuracy.
			return outer + 1, viol, fw, nil
		}
	}
	return maxIter, viol, fw, fmt.Errorf("%w: proximal Newton after %d steps (violation %.3g > %.3g)", ErrNotConverged, maxIter, viol, tol)
}

// l1Violation returns the largest violation of the optimality condition
// 0 ∈ gⱼ + λⱼ∂|wⱼ| over the coordinates, g the smooth gradient.
func l1Violation(w, g, lam1 []float64) float64 {
	var v float64
	for j, wj := range w {
		if wj != 0 {
			v = math.Max(v, math.Abs(g[j]+math.Copysign(lam1[j], wj)))
		} else {
			v = math.Max(v, math.Abs(g[j])-lam1[j])
		}
	}
	return v
}

// log1pExp returns log(1 + eᵗ) without overflow.
func log1pExp(t float64) float64 {
	if t > 0 {
		return t + math.Log1p(math.Exp(-t))
	}
	return math.Log1p(math.Exp(t))
}

// sigmoid returns 1/(1 + e⁻ᵗ) without overflow.
func sigmoid(t float64) float64 {
	if t >= 0 {
		return 1 / (1 + math.Exp(-t))
	}
	e := math.Exp(t)
	return e / (1 + e)
}
