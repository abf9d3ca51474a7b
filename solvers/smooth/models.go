package smooth

import (
	"fmt"
	"math"
	"reflect"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"
)

// Strengths says how many regularization strengths a model has, and so
// the length of its parameter vector θ. It is the module's one name for
// this idea (packages solvers/prox and bilevel use it too).
type Strengths int

const (
	// Shared is one strength for all weights: θ has length 1.
	Shared Strengths = iota
	// PerFeature is one strength per feature: θ has one entry per
	// feature (for a multinomial model, shared by the classes).
	PerFeature
	// PerClass is one strength per class (multinomial models only).
	PerClass
)

func (s Strengths) String() string {
	switch s {
	case Shared:
		return "shared"
	case PerFeature:
		return "per-feature"
	case PerClass:
		return "per-class"
	}
	return fmt.Sprintf("Strengths(%d)", int(s))
}

// L2 describes how the parameters θ of a ready model set its l2
// regularization ½ Σⱼ λⱼ wⱼ².
//
//   - Strengths Shared: θ has length 1 and λⱼ = λ(θ₀) for every j;
//     PerFeature: θ has length d (one per feature), λⱼ = λ(θⱼ); PerClass
//     (Multinomial only): θ has length K, λⱼₖ = λ(θₖ).
//   - LogScale false: λ(t) = t (t must be ≥ 0); LogScale true: λ(t) = eᵗ,
//     the usual parametrization for hyperparameter search.
//   - Intercept (Ridge, Logistic): the model gets an unpenalized
//     intercept b, the last weight (N = d + 1): the predictions are
//     xᵢᵀw + b. θ is unchanged (its strengths are the d features').
type L2 struct {
	Strengths Strengths
	LogScale  bool
	Intercept bool
}

// params returns the length of θ for d features.
func (r L2) params(d int) int {
	if r.Strengths == PerFeature {
		return d
	}
	return 1
}

// check rejects a Strengths value the linear models do not have.
func (r L2) check() error {
	if r.Strengths != Shared && r.Strengths != PerFeature {
		return fmt.Errorf("%w: Strengths %v (want Shared or PerFeature)", ErrInvalid, r.Strengths)
	}
	return nil
}

// strength returns λ(t) and dλ/dt.
func (r L2) strength(t float64) (float64, float64) {
	if r.LogScale {
		e := math.Exp(t)
		return e, e
	}
	return t, 1
}

// lambda returns λⱼ and dλⱼ/dθ for feature j.
func (r L2) lambda(theta []float64, j int) (float64, float64) {
	t := theta[0]
	if r.Strengths == PerFeature {
		t = theta[j]
	}
	return r.strength(t)
}

// checkTheta validates θ's length (p) and, on the linear scale, its sign.
func (r L2) checkTheta(theta []float64, p int) error {
	if len(theta) != p {
		return fmt.Errorf("%w: len(θ)=%d, want %d", ErrDims, len(theta), p)
	}
	if !r.LogScale {
		for _, t := range theta {
			if t < 0 {
				return fmt.Errorf("%w: negative regularization %v", ErrInvalid, t)
			}
		}
	}
	return nil
}

// linearModel holds a row-major design matrix (with a trailing column of
// ones when the model has an intercept) and the cache of Xw.
type linearModel struct {
	n, d  int // rows, weights (features + intercept)
	f     int // penalized features: d, or d − 1 with an intercept
	x     blas64.General
	y     []float64
	reg   L2
	lastW []float64
	z     []float64 // Xw at lastW
	valid bool
	buf   []float64      // length n
	xs    blas64.General // scaled rows for gram, allocated on first use
}

func newLinearModel(x mat.Matrix, y []float64, reg L2) (*linearModel, error) {
	if err := reg.check(); err != nil {
		return nil, err
	}
	if x == nil {
		return nil, fmt.Errorf("%w: nil X", ErrDims)
	}
	if v := reflect.ValueOf(x); v.Kind() == reflect.Pointer && v.IsNil() {
		return nil, fmt.Errorf("%w: nil X (%T)", ErrDims, x)
	}
	n, f := x.Dims()
	if n == 0 || f == 0 {
		return nil, fmt.Errorf("%w: empty design matrix %d×%d", ErrDims, n, f)
	}
	if len(y) != n {
		return nil, fmt.Errorf("%w: X has %d rows, len(y)=%d", ErrDims, n, len(y))
	}
	d := f
	if reg.Intercept {
		d++
	}
	xd := mat.NewDense(n, d, nil)
	xd.Slice(0, n, 0, f).(*mat.Dense).Copy(x)
	for i := range n {
		row := xd.RawRowView(i)
		if !finite(row[:f]) {
			return nil, fmt.Errorf("%w: in X row %d", ErrNaN, i)
		}
		if reg.Intercept {
			row[f] = 1
		}
	}
	if !finite(y) {
		return nil, fmt.Errorf("%w: in y", ErrNaN)
	}
	return &linearModel{
		n: n, d: d, f: f, x: xd.RawMatrix(), y: append([]float64(nil), y...), reg: reg,
		lastW: make([]float64, d), z: make([]float64, n), buf: make([]float64, n),
	}, nil
}

// xw returns Xw, cached for the last w.
func (m *linearModel) xw(w []float64) []float64 {
	if m.valid && equal(w, m.lastW) {
		return m.z
	}
	blas64.Gemv(blas.NoTrans, 1, m.x, blas64.Vector{N: m.d, Inc: 1, Data: w}, 0, blas64.Vector{N: m.n, Inc: 1, Data: m.z})
	copy(m.lastW, w)
	m.valid = true
	return m.z
}

// xtv sets dst = α Xᵀ v + β dst.
func (m *linearModel) xtv(dst []float64, alpha float64, v []float64, beta float64) {
	blas64.Gemv(blas.Trans, alpha, m.x, blas64.Vector{N: m.n, Inc: 1, Data: v}, beta, blas64.Vector{N: m.d, Inc: 1, Data: dst})
}

func (m *linearModel) xv(dst []float64, v []float64) {
	blas64.Gemv(blas.NoTrans, 1, m.x, blas64.Vector{N: m.d, Inc: 1, Data: v}, 0, blas64.Vector{N: m.n, Inc: 1, Data: dst})
}

func (m *linearModel) penalty(w, theta []float64) float64 {
	var s float64
	for j, v := range w[:m.f] {
		l, _ := m.reg.lambda(theta, j)
		s += 0.5 * l * v * v
	}
	return s
}

func (m *linearModel) addPenaltyGrad(dst, w, theta []float64) {
	for j, v := range w[:m.f] {
		l, _ := m.reg.lambda(theta, j)
		dst[j] += l * v
	}
}

func (m *linearModel) addPenaltyHess(dst, v, theta []float64) {
	for j, vj := range v[:m.f] {
		l, _ := m.reg.lambda(theta, j)
		dst[j] += l * vj
	}
}

func (m *linearModel) mixedVec(dst, w, theta, dtheta []float64) {
	if m.reg.Intercept {
		dst[m.f] = 0
	}
	if m.reg.Strengths == PerFeature {
		for j := range m.f {
			_, dl := m.reg.lambda(theta, j)
			dst[j] = dl * w[j] * dtheta[j]
		}
		return
	}
	_, dl := m.reg.lambda(theta, 0)
	for j := range m.f {
		dst[j] = dl * w[j] * dtheta[0]
	}
}

func (m *linearModel) mixedVecT(dst, w, theta, u []float64) {
	if m.reg.Strengths == PerFeature {
		for j := range dst {
			_, dl := m.reg.lambda(theta, j)
			dst[j] = dl * w[j] * u[j]
		}
		return
	}
	_, dl := m.reg.lambda(theta, 0)
	dst[0] = dl * dot(w[:m.f], u[:m.f])
}

// gram sets dst = Xᵀ diag(s) X / n (s nil means the identity, s ≥ 0)
// plus diag(λ), by one rank-n update (BLAS Syrk) of the rows of X scaled
// by √(sᵢ/n).
func (m *linearModel) gram(dst *mat.SymDense, s []float64, theta []float64) {
	d := m.d
	if m.xs.Data == nil {
		m.xs = blas64.General{Rows: m.n, Cols: d, Stride: d, Data: make([]float64, m.n*d)}
	}
	inv := 1 / float64(m.n)
	for i := range m.n {
		c := inv
		if s != nil {
			c *= s[i]
		}
		c = math.Sqrt(c)
		xi := m.x.Data[i*m.x.Stride : i*m.x.Stride+d]
		row := m.xs.Data[i*d : (i+1)*d]
		for j, v := range xi {
			row[j] = c * v
		}
	}
	raw := dst.RawSymmetric()
	blas64.Syrk(blas.Trans, 1, m.xs, 0, raw)
	for j := range m.f {
		l, _ := m.reg.lambda(theta, j)
		raw.Data[j*raw.Stride+j] += l
	}
}

func (m *linearModel) validTheta(theta []float64) error {
	return m.reg.checkTheta(theta, m.reg.params(m.f))
}

func equal(a, b []float64) bool {
	for i, v := range a {
		if v != b[i] {
			return false
		}
	}
	return true
}

// Ridge returns the ridge-regression objective
//
//	f(w, θ) = (1/2n) ‖y − Xw‖² + ½ Σⱼ λⱼ(θ) wⱼ²
//
// with w ∈ Rᵈ, X n×d, and θ as described by reg. The problem has exact
// Hessian, Hessian-vector and mixed products; its minimizer is
// (XᵀX/n + diag(λ))⁻¹ Xᵀy/n. X and y are copied. The returned problem is
// not safe for concurrent use.
func Ridge(x mat.Matrix, y []float64, reg L2) (*Problem, error) {
	m, err := newLinearModel(x, y, reg)
	if err != nil {
		return nil, err
	}
	inv := 1 / float64(m.n)
	pb := &Problem{
		N: m.d, P: reg.params(m.f), CheckTheta: m.validTheta,
		Func: func(w, theta []float64) float64 {
			z := m.xw(w)
			var s float64
			for i, zi := range z {
				r := m.y[i] - zi
				s += r * r
			}
			return 0.5*inv*s + m.penalty(w, theta)
		},
		Grad: func(dst, w, theta []float64) {
			z := m.xw(w)
			for i, zi := range z {
				m.buf[i] = zi - m.y[i]
			}
			m.xtv(dst, inv, m.buf, 0)
			m.addPenaltyGrad(dst, w, theta)
		},
		HessVec: func(dst, w, theta, v []float64) {
			m.xv(m.buf, v)
			m.xtv(dst, inv, m.buf, 0)
			m.addPenaltyHess(dst, v, theta)
		},
		Hessian: func(dst *mat.SymDense, w, theta []float64) { m.gram(dst, nil, theta) },
		MixedVec: func(dst, w, theta, dtheta []float64) {
			m.mixedVec(dst, w, theta, dtheta)
		},
		MixedVecT: func(dst, w, theta, u []float64) {
			m.mixedVecT(dst, w, theta, u)
		},
	}
	if m.d <= m.n && m.d <= 256 {
		// Gradients and Hessian products from G = XᵀX/n and Xᵀy/n,
		// O(d²) instead of O(nd); f keeps the residual form, which does
		// not cancel.
		g := mat.NewSymDense(m.d, nil)
		reg := m.reg
		m.reg = L2{} // λ = 0
		m.gram(g, nil, []float64{0})
		m.reg = reg
		gv := mat.NewVecDense(m.d, nil)
		b := make([]float64, m.d)
		m.xtv(b, inv, m.y, 0)
		apply := func(dst, v []float64) {
			gv.MulVec(g, mat.NewVecDense(m.d, v))
			copy(dst, gv.RawVector().Data)
		}
		pb.Grad = func(dst, w, theta []float64) {
			apply(dst, w)
			for j := range dst {
				dst[j] -= b[j]
			}
			m.addPenaltyGrad(dst, w, theta)
		}
		pb.HessVec = func(dst, w, theta, v []float64) {
			apply(dst, v)
			m.addPenaltyHess(dst, v, theta)
		}
		pb.Hessian = func(dst *mat.SymDense, w, theta []float64) {
			dst.CopySym(g)
			for j := range m.f {
				l, _ := m.reg.lambda(theta, j)
				dst.SetSym(j, j, dst.At(j, j)+l)
			}
		}
	}
	return guardModel(pb), nil
}

// LeastSquares returns f(w) = (1/2n) ‖y − Xw‖² with no parameters
// (P = 0): the smooth part of lasso-type problems. X and y are copied.
func LeastSquares(x mat.Matrix, y []float64) (*Problem, error) {
	pb, err := Ridge(x, y, L2{})
	if err != nil {
		return nil, err
	}
	return withoutParams(pb), nil
}

// LogisticLoss returns f(w) = (1/n) Σᵢ log(1 + exp(−yᵢ xᵢᵀw)), labels
// ±1, with no parameters (P = 0): the smooth part of sparse logistic
// regression. X and y are copied.
func LogisticLoss(x mat.Matrix, y []float64) (*Problem, error) {
	pb, err := Logistic(x, y, L2{})
	if err != nil {
		return nil, err
	}
	return withoutParams(pb), nil
}

// withoutParams fixes the l2 strength of a ready model at 0 and drops it
// from θ.
func withoutParams(pb *Problem) *Problem {
	zero := []float64{0}
	f, g, hv, h := pb.Func, pb.Grad, pb.HessVec, pb.Hessian
	pb.P = 0
	pb.CheckTheta = nil
	pb.Func = func(w, _ []float64) float64 { return f(w, zero) }
	pb.Grad = func(dst, w, _ []float64) { g(dst, w, zero) }
	pb.HessVec = func(dst, w, _, v []float64) { hv(dst, w, zero, v) }
	pb.Hessian = func(dst *mat.SymDense, w, _ []float64) { h(dst, w, zero) }
	pb.MixedVec = func(dst, _, _, _ []float64) { clear(dst) }
	pb.MixedVecT = func(dst, _, _, _ []float64) { clear(dst) }
	return guardModel(pb)
}

// Logistic returns the l2-regularized logistic-regression objective
//
//	f(w, θ) = (1/n) Σᵢ log(1 + exp(−yᵢ xᵢᵀw)) + ½ Σⱼ λⱼ(θ) wⱼ²
//
// with labels yᵢ ∈ {−1, +1} (see datasets.Signs), w ∈ Rᵈ and θ as
// described by reg. Its gradient is −(1/n) Xᵀ(y ∘ σ(−m)) + λ ∘ w with
// margins m = y ∘ Xw, its Hessian (1/n) Xᵀ diag(σ(m)σ(−m)) X + diag(λ)
// and its mixed derivative ∂θⱼ∇f = λ'(θ) ∘ w. All are exact; evaluations
// at the same w share one product Xw. X and y are copied. The returned
// problem is not safe for concurrent use (build one per goroutine).
func Logistic(x mat.Matrix, y []float64, reg L2) (*Problem, error) {
	m, err := newLinearModel(x, y, reg)
	if err != nil {
		return nil, err
	}
	for i, v := range y {
		if v != 1 && v != -1 {
			return nil, fmt.Errorf("%w: label %v at row %d is not ±1", ErrInvalid, v, i)
		}
	}
	inv := 1 / float64(m.n)
	// One exponential per sample serves the loss, the gradient and the
	// Hessian at the same w: e = exp(−|mᵢ|) gives
	// log(1+exp(−mᵢ)) = max(−mᵢ, 0) + log1p(e) and σ(−mᵢ).
	var (
		statW  = make([]float64, m.d)
		statOK bool
		loss   float64
		sneg   = make([]float64, m.n) // σ(−mᵢ)
		curv   = make([]float64, m.n) // σ(mᵢ)σ(−mᵢ)
	)
	stats := func(w []float64) {
		if statOK && equal(w, statW) {
			return
		}
		z := m.xw(w)
		var s float64
		for i, zi := range z {
			mi := m.y[i] * zi
			e := math.Exp(-math.Abs(mi))
			if mi >= 0 {
				s += math.Log1p(e)
				sneg[i] = e / (1 + e)
			} else {
				s += -mi + math.Log1p(e)
				sneg[i] = 1 / (1 + e)
			}
			curv[i] = sneg[i] * (1 - sneg[i])
		}
		loss = s * inv
		copy(statW, w)
		statOK = true
	}
	return guardModel(&Problem{
		N: m.d, P: reg.params(m.f), CheckTheta: m.validTheta,
		Func: func(w, theta []float64) float64 {
			stats(w)
			return loss + m.penalty(w, theta)
		},
		Grad: func(dst, w, theta []float64) {
			stats(w)
			for i := range m.buf {
				m.buf[i] = -m.y[i] * sneg[i]
			}
			m.xtv(dst, inv, m.buf, 0)
			m.addPenaltyGrad(dst, w, theta)
		},
		HessVec: func(dst, w, theta, v []float64) {
			stats(w)
			m.xv(m.buf, v)
			for i := range m.buf {
				m.buf[i] *= curv[i]
			}
			m.xtv(dst, inv, m.buf, 0)
			m.addPenaltyHess(dst, v, theta)
		},
		Hessian: func(dst *mat.SymDense, w, theta []float64) {
			stats(w)
			m.gram(dst, curv, theta)
		},
		MixedVec: func(dst, w, theta, dtheta []float64) {
			m.mixedVec(dst, w, theta, dtheta)
		},
		MixedVecT: func(dst, w, theta, u []float64) {
			m.mixedVecT(dst, w, theta, u)
		},
	}), nil
}

// guardModel makes the functions of a ready model safe to call directly
// with vectors of the wrong lengths: values are NaN, outputs are filled
// with NaN (Minimize and Condition validate before calling them).
func guardModel(pb *Problem) *Problem {
	n, p := pb.N, pb.P
	ok := func(x, theta []float64) bool { return len(x) == n && len(theta) == p }
	f, g, hv, h, mv, mvt := pb.Func, pb.Grad, pb.HessVec, pb.Hessian, pb.MixedVec, pb.MixedVecT
	pb.Func = func(x, theta []float64) float64 {
		if !ok(x, theta) {
			return math.NaN()
		}
		return f(x, theta)
	}
	pb.Grad = func(dst, x, theta []float64) {
		if !ok(x, theta) || len(dst) != n {
			nanFill(dst)
			return
		}
		g(dst, x, theta)
	}
	if hv != nil {
		pb.HessVec = func(dst, x, theta, v []float64) {
			if !ok(x, theta) || len(dst) != n || len(v) != n {
				nanFill(dst)
				return
			}
			hv(dst, x, theta, v)
		}
	}
	if h != nil {
		pb.Hessian = func(dst *mat.SymDense, x, theta []float64) {
			if dst == nil || dst.IsEmpty() {
				return
			}
			if !ok(x, theta) || dst.SymmetricDim() != n {
				k := dst.SymmetricDim()
				for i := range k {
					for j := i; j < k; j++ {
						dst.SetSym(i, j, math.NaN())
					}
				}
				return
			}
			h(dst, x, theta)
		}
	}
	if mv != nil {
		pb.MixedVec = func(dst, x, theta, dtheta []float64) {
			if !ok(x, theta) || len(dst) != n || len(dtheta) != p {
				nanFill(dst)
				return
			}
			mv(dst, x, theta, dtheta)
		}
	}
	if mvt != nil {
		pb.MixedVecT = func(dst, x, theta, u []float64) {
			if !ok(x, theta) || len(dst) != p || len(u) != n {
				nanFill(dst)
				return
			}
			mvt(dst, x, theta, u)
		}
	}
	return pb
}

func nanFill(v []float64) {
	for i := range v {
		v[i] = math.NaN()
	}
}
