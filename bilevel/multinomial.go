package bilevel

import (
	"context"
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/implicit"
	"github.com/optlayers/optlayers/implicit/linsolve"
	"github.com/optlayers/optlayers/solvers/smooth"
)

// Multinomial is l2-regularized multinomial (softmax) logistic regression
// without intercept. The weights W (d features × K classes) are stored
// row-major in w (w[j·K+k] = W_jk) and
//
//	g(W, θ) = (1/m) Σᵢ [log Σₖ exp(xᵢᵀW_k) − xᵢᵀW_{yᵢ}] + ½ Σⱼₖ λⱼₖ W_jk²,
//
// with λⱼₖ = exp(θ₀) (Shared), exp(θⱼ) (PerFeature) or exp(θₖ)
// (PerClass). It is a smooth.Problem with exact gradient, Hessian-vector
// and mixed products, solved by smooth.Minimize (truncated Newton-CG) and
// differentiated through smooth.Condition; the engine materializes the
// Hessian and factorizes it up to d·K = 300 and runs GMRES (or CG, if
// asked) above.
type Multinomial struct {
	dat     *data
	k       int
	labels  []int
	penalty Penalty
	pb      *smooth.Problem
	lf      float64
	scale   float64

	z  *mat.Dense // rows × K scratch
	zv *mat.Dense
}

// NewMultinomial returns the multinomial model of the training data
// (x, labels) with labels in 0, …, K−1 (at least two classes present).
// penalty is Shared, PerFeature or PerClass.
func NewMultinomial(x mat.Matrix, labels []float64, penalty Penalty) (*Multinomial, error) {
	if penalty != Shared && penalty != PerFeature && penalty != PerClass {
		return nil, fmt.Errorf("%w: unknown penalty %v", ErrInvalid, penalty)
	}
	if _, _, err := checkShape(x, labels); err != nil {
		return nil, err
	}
	k, lab, err := classLabels(labels)
	if err != nil {
		return nil, err
	}
	if k < 2 {
		return nil, fmt.Errorf("%w: only one class in the training labels", ErrLabels)
	}
	d, err := newData(x, labels)
	if err != nil {
		return nil, err
	}
	m := &Multinomial{dat: d, k: k, labels: lab, penalty: penalty,
		z: mat.NewDense(d.rows, k, nil), zv: mat.NewDense(d.rows, k, nil)}
	m.lf = d.maxEig() / 2
	_, p := m.Dims()
	m.pb = &smooth.Problem{N: d.d * k, P: p,
		Func:      m.value,
		Grad:      func(dst, w, theta []float64) { m.gradient(dst, w, theta) },
		HessVec:   m.hessVec,
		MixedVec:  m.mixedVec,
		MixedVecT: m.mixedVecT,
	}
	g := make([]float64, d.d*k)
	m.gradient(g, make([]float64, d.d*k), make([]float64, p))
	m.scale = math.Max(maxAbs(g), 1e-300)
	return m, nil
}

// classLabels checks labels 0…K−1 and returns K.
func classLabels(y []float64) (int, []int, error) {
	lab := make([]int, len(y))
	k := 0
	for i, v := range y {
		if v != math.Trunc(v) || v < 0 || v > 1e6 {
			return 0, nil, fmt.Errorf("%w: label %v at row %d is not a class index 0, 1, …", ErrLabels, v, i)
		}
		lab[i] = int(v)
		k = max(k, lab[i]+1)
	}
	seen := make([]bool, k)
	distinct := 0
	for _, l := range lab {
		if !seen[l] {
			seen[l] = true
			distinct++
		}
	}
	if distinct < 2 {
		return distinct, lab, fmt.Errorf("%w: only one class present", ErrLabels)
	}
	return k, lab, nil
}

// Classes returns K.
func (m *Multinomial) Classes() int {
	if m == nil || m.dat == nil {
		return 0
	}
	return m.k
}

// Dims returns d·K weights and the number of hyperparameters.
func (m *Multinomial) Dims() (n, p int) {
	if m == nil || m.dat == nil {
		return 0, 0
	}
	switch m.penalty {
	case PerFeature:
		p = m.dat.d
	case PerClass:
		p = m.k
	default:
		p = 1
	}
	return m.dat.d * m.k, p
}

// Problem returns the inner problem as a smooth.Problem.
func (m *Multinomial) Problem() *smooth.Problem {
	if m == nil || m.dat == nil {
		return nil
	}
	return m.pb
}

func (m *Multinomial) lambdaIndex(j, k int) int {
	switch m.penalty {
	case PerFeature:
		return j
	case PerClass:
		return k
	}
	return 0
}

// scores sets m.z = XW and turns each row into probabilities; it returns
// the mean loss.
func (m *Multinomial) probabilities(w []float64) float64 {
	d := m.dat
	wm := mat.NewDense(d.d, m.k, w)
	m.z.Mul(d.x, wm)
	var loss float64
	for i := range d.rows {
		row := m.z.RawRowView(i)
		mx := math.Inf(-1)
		for _, v := range row {
			mx = math.Max(mx, v)
		}
		vy := row[m.labels[i]]
		var s float64
		for c, v := range row {
			row[c] = math.Exp(v - mx)
			s += row[c]
		}
		loss += mx + math.Log(s) - vy
		for c := range row {
			row[c] /= s
		}
	}
	return loss / float64(d.rows)
}

func (m *Multinomial) value(w, theta []float64) float64 {
	f := m.probabilities(w)
	for j := range m.dat.d {
		for c := range m.k {
			v := w[j*m.k+c]
			f += 0.5 * math.Exp(theta[m.lambdaIndex(j, c)]) * v * v
		}
	}
	return f
}

func (m *Multinomial) gradient(dst, w, theta []float64) {
	d := m.dat
	m.probabilities(w)
	for i, l := range m.labels {
		m.z.Set(i, l, m.z.At(i, l)-1)
	}
	m.z.Scale(1/float64(d.rows), m.z)
	g := mat.NewDense(d.d, m.k, dst)
	g.Mul(d.xt, m.z)
	for j := range d.d {
		for c := range m.k {
			dst[j*m.k+c] += math.Exp(theta[m.lambdaIndex(j, c)]) * w[j*m.k+c]
		}
	}
}

func (m *Multinomial) hessVec(dst, w, theta, v []float64) {
	d := m.dat
	m.probabilities(w)
	vm := mat.NewDense(d.d, m.k, v)
	m.zv.Mul(d.x, vm)
	for i := range d.rows {
		p := m.z.RawRowView(i)
		a := m.zv.RawRowView(i)
		var pa float64
		for c := range p {
			pa += p[c] * a[c]
		}
		for c := range p {
			a[c] = p[c] * (a[c] - pa) / float64(d.rows)
		}
	}
	mat.NewDense(d.d, m.k, dst).Mul(d.xt, m.zv)
	for j := range d.d {
		for c := range m.k {
			dst[j*m.k+c] += math.Exp(theta[m.lambdaIndex(j, c)]) * v[j*m.k+c]
		}
	}
}

// mixedVec sets dst = (∂θ∇g) dθ: entry (j,k) is λⱼₖ W_jk dθ_{index(j,k)}.
func (m *Multinomial) mixedVec(dst, w, theta, dtheta []float64) {
	for j := range m.dat.d {
		for c := range m.k {
			t := m.lambdaIndex(j, c)
			dst[j*m.k+c] = math.Exp(theta[t]) * w[j*m.k+c] * dtheta[t]
		}
	}
}

func (m *Multinomial) mixedVecT(dst, w, theta, u []float64) {
	clear(dst)
	for j := range m.dat.d {
		for c := range m.k {
			t := m.lambdaIndex(j, c)
			dst[t] += math.Exp(theta[t]) * w[j*m.k+c] * u[j*m.k+c]
		}
	}
}

// Fit runs truncated Newton-CG (smooth.Minimize) from w until
// ‖∇g‖∞ ≤ max(tol·‖∇g(0)‖∞, 1e-14) (default tol 1e-10), at most 5000
// iterations.
func (m *Multinomial) Fit(ctx context.Context, w, theta []float64, tol float64) (int, error) {
	if m == nil || m.dat == nil {
		return 0, errNilModel
	}
	n, p := m.Dims()
	if err := checkW(w, n); err != nil {
		return 0, err
	}
	if err := checkTheta(theta, p); err != nil {
		return 0, err
	}
	if err := checkTol("tol", tol); err != nil {
		return 0, err
	}
	if tol <= 0 {
		tol = 1e-10
	}
	res, err := smooth.Minimize(ctx, m.pb, theta, w, &smooth.Settings{Method: smooth.NewtonCG, Tol: math.Max(tol*m.scale, 1e-14), MaxIter: 5000})
	if res != nil {
		copy(w, res.X)
	}
	if err != nil {
		if res != nil && errors.Is(err, smooth.ErrNotConverged) && ctx.Err() == nil {
			return res.Iterations, fmt.Errorf("%w: %w", ErrNotConverged, err)
		}
		if res != nil {
			return res.Iterations, err
		}
		return 0, err
	}
	return res.Iterations, nil
}

// Condition returns ∇g(w, θ) = 0 (smooth.Condition).
func (m *Multinomial) Condition() implicit.Condition {
	if m == nil || m.dat == nil {
		return guard(nilCondition{})
	}
	return guard(smooth.Condition(m.pb))
}

// ThetaGradient sets dst to ∂g/∂θ: ½ Σ λⱼₖ W_jk² grouped by
// hyperparameter.
func (m *Multinomial) ThetaGradient(dst, w, theta []float64) {
	if m == nil || m.dat == nil {
		nanFill(dst)
		return
	}
	if n, p := m.Dims(); len(dst) != p || badPoint(w, theta, n, p) != nil {
		nanFill(dst)
		return
	}
	clear(dst)
	for j := range m.dat.d {
		for c := range m.k {
			t := m.lambdaIndex(j, c)
			v := w[j*m.k+c]
			dst[t] += 0.5 * math.Exp(theta[t]) * v * v
		}
	}
}

// Iteration returns the gradient step w − η∇g(w, θ) with
// η = 1/(‖X‖²/2m + max λ).
func (m *Multinomial) Iteration(theta []float64) (implicit.Map, float64) {
	if m == nil || m.dat == nil {
		return invalidMap{0, 0, errNilModel}, math.NaN()
	}
	n, p := m.Dims()
	if err := checkTheta(theta, p); err != nil {
		return invalidMap{n, p, err}, math.NaN()
	}
	eta := 1 / (m.lf + maxExp(theta))
	return guardedMap{&implicit.MapFunc{N: n, P: p,
		MapF: func(dst, w, theta []float64) {
			m.gradient(dst, w, theta)
			for i := range dst {
				dst[i] = w[i] - eta*dst[i]
			}
		},
		LinearizeFunc: func(w, theta []float64) (implicit.Operator, implicit.Operator, error) {
			wc := append([]float64(nil), w...)
			tc := append([]float64(nil), theta...)
			tmp := make([]float64, n)
			apply := func(dst, v []float64) {
				m.hessVec(tmp, wc, tc, v)
				for i := range dst {
					dst[i] = v[i] - eta*tmp[i]
				}
			}
			dth := linsolve.NewFunc(n, p,
				func(dst, v []float64) {
					m.mixedVec(dst, wc, tc, v)
					for i := range dst {
						dst[i] *= -eta
					}
				},
				func(dst, u []float64) {
					m.mixedVecT(dst, wc, tc, u)
					for i := range dst {
						dst[i] *= -eta
					}
				})
			return linsolve.NewFunc(n, n, apply, apply), dth, nil
		},
	}}, eta
}

// MultiLogLoss is the held-out multinomial log-loss
// C(W) = (1/m) Σᵢ [log Σₖ exp(xᵢᵀW_k) − xᵢᵀW_{yᵢ}] with labels 0…K−1.
type MultiLogLoss struct {
	dat    *data
	k      int
	labels []int
	z      *mat.Dense
}

// NewMultiLogLoss returns the log-loss on the rows (x, labels) for K
// classes (labels must lie in 0…K−1; a held-out set may miss classes).
func NewMultiLogLoss(x mat.Matrix, labels []float64, classes int) (*MultiLogLoss, error) {
	lab := make([]int, len(labels))
	for i, v := range labels {
		if v != math.Trunc(v) || v < 0 || int(v) >= classes {
			return nil, fmt.Errorf("%w: label %v at row %d outside 0…%d", ErrLabels, v, i, classes-1)
		}
		lab[i] = int(v)
	}
	d, err := newData(x, labels)
	if err != nil {
		return nil, err
	}
	return &MultiLogLoss{dat: d, k: classes, labels: lab, z: mat.NewDense(d.rows, classes, nil)}, nil
}

// Dims returns d·K.
func (c *MultiLogLoss) Dims() int {
	if c == nil || c.dat == nil {
		return 0
	}
	return c.dat.d * c.k
}

// Value returns the mean log-loss and its gradient.
//
// w (and grad, when non-nil) must have length Dims; otherwise Value
// returns NaN (and fills grad with NaN).
func (c *MultiLogLoss) Value(w, grad []float64) float64 {
	if c == nil || c.dat == nil {
		nanFill(grad)
		return math.NaN()
	}
	if len(w) != c.Dims() || (grad != nil && len(grad) != c.Dims()) {
		nanFill(grad)
		return math.NaN()
	}
	d := c.dat
	c.z.Mul(d.x, mat.NewDense(d.d, c.k, w))
	var loss float64
	for i := range d.rows {
		row := c.z.RawRowView(i)
		mx := math.Inf(-1)
		for _, v := range row {
			mx = math.Max(mx, v)
		}
		vy := row[c.labels[i]]
		var s float64
		for k, v := range row {
			row[k] = math.Exp(v - mx)
			s += row[k]
		}
		loss += mx + math.Log(s) - vy
		for k := range row {
			row[k] /= s * float64(d.rows)
		}
		row[c.labels[i]] -= 1 / float64(d.rows)
	}
	if grad != nil {
		mat.NewDense(d.d, c.k, grad).Mul(d.xt, c.z)
	}
	return loss / float64(d.rows)
}
