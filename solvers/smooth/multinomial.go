package smooth

import (
	"fmt"
	"math"
	"reflect"

	"gonum.org/v1/gonum/mat"
)

// Multinomial returns the l2-regularized multinomial (softmax) logistic
// regression objective
//
//	f(W, θ) = (1/n) Σᵢ [log Σₖ exp(xᵢᵀW_k) − xᵢᵀW_{yᵢ}] + ½ Σⱼₖ λⱼₖ(θ) W_jk²
//
// for X n×d and class labels yᵢ ∈ {0, …, K−1} (K = classes; 0 means one
// more than the largest label). The weights W (d features × K classes)
// are stored row-major in x: x[j·K+k] = W_jk, so N = d·K. λⱼₖ is λ(θ₀)
// (Shared), λ(θⱼ) (PerFeature) or λ(θₖ) (PerClass), λ as reg.LogScale
// says; reg.Intercept is not supported (ErrInvalid).
//
// The gradient is (1/n) Xᵀ(P − Y) + λ ∘ W with P the row-wise softmax
// of XW and Y the one-hot labels; the Hessian-vector product is
// (1/n) Xᵀ(P ∘ (XV) − P ∘ rowsum(P ∘ XV)) + λ ∘ V and the mixed
// derivative ∂θ∇f = λ'(θ) ∘ W, all exact. There is no dense Hessian
// (N = d·K grows fast): [Condition] hands the engine the matrix-free
// Hessian. X and the labels are copied; the problem keeps scratch memory
// and is not safe for concurrent use.
//
// Reference: C. M. Bishop, Pattern Recognition and Machine Learning,
// Springer 2006, §4.3.4.
func Multinomial(x mat.Matrix, labels []float64, classes int, reg L2) (*Problem, error) {
	if reg.Intercept {
		return nil, fmt.Errorf("%w: Multinomial has no intercept option", ErrInvalid)
	}
	if reg.Strengths < Shared || reg.Strengths > PerClass {
		return nil, fmt.Errorf("%w: Strengths %v", ErrInvalid, reg.Strengths)
	}
	if x == nil {
		return nil, fmt.Errorf("%w: nil X", ErrDims)
	}
	if v := reflect.ValueOf(x); v.Kind() == reflect.Pointer && v.IsNil() {
		return nil, fmt.Errorf("%w: nil X (%T)", ErrDims, x)
	}
	n, d := x.Dims()
	if n == 0 || d == 0 {
		return nil, fmt.Errorf("%w: empty design matrix %d×%d", ErrDims, n, d)
	}
	if len(labels) != n {
		return nil, fmt.Errorf("%w: X has %d rows, len(labels)=%d", ErrDims, n, len(labels))
	}
	if classes < 0 {
		return nil, fmt.Errorf("%w: classes = %d", ErrInvalid, classes)
	}
	lab := make([]int, n)
	top := 0
	for i, v := range labels {
		if v != math.Trunc(v) || v < 0 || v > 1e6 || (classes > 0 && int(v) >= classes) {
			return nil, fmt.Errorf("%w: label %v at row %d is not a class index 0, 1, …", ErrInvalid, v, i)
		}
		lab[i] = int(v)
		top = max(top, lab[i]+1)
	}
	k := classes
	if k == 0 {
		k = top
	}
	xd := mat.DenseCopyOf(x)
	for i := range n {
		if !finite(xd.RawRowView(i)) {
			return nil, fmt.Errorf("%w: in X row %d", ErrNaN, i)
		}
	}
	m := &multinomial{x: xd, xt: mat.DenseCopyOf(xd.T()), n: n, d: d, k: k, labels: lab, reg: reg,
		z: mat.NewDense(n, k, nil), zv: mat.NewDense(n, k, nil)}
	p := 1
	switch reg.Strengths {
	case PerFeature:
		p = d
	case PerClass:
		p = k
	}
	return guardModel(&Problem{N: d * k, P: p,
		CheckTheta: func(theta []float64) error { return reg.checkTheta(theta, p) },
		Func:       m.value,
		Grad:       m.gradient,
		HessVec:    m.hessVec,
		MixedVec:   m.mixedVec,
		MixedVecT:  m.mixedVecT,
	}), nil
}

type multinomial struct {
	x, xt   *mat.Dense // n×d and d×n
	n, d, k int
	labels  []int
	reg     L2
	z, zv   *mat.Dense // n×K scratch
}

// index returns the entry of θ that sets λⱼₖ.
func (m *multinomial) index(j, k int) int {
	switch m.reg.Strengths {
	case PerFeature:
		return j
	case PerClass:
		return k
	}
	return 0
}

// probabilities sets m.z to the row-wise softmax of XW and returns the
// mean loss.
func (m *multinomial) probabilities(w []float64) float64 {
	m.z.Mul(m.x, mat.NewDense(m.d, m.k, w))
	var loss float64
	for i := range m.n {
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
	return loss / float64(m.n)
}

func (m *multinomial) value(w, theta []float64) float64 {
	f := m.probabilities(w)
	for j := range m.d {
		for c := range m.k {
			l, _ := m.reg.strength(theta[m.index(j, c)])
			v := w[j*m.k+c]
			f += 0.5 * l * v * v
		}
	}
	return f
}

func (m *multinomial) gradient(dst, w, theta []float64) {
	m.probabilities(w)
	for i, l := range m.labels {
		m.z.Set(i, l, m.z.At(i, l)-1)
	}
	m.z.Scale(1/float64(m.n), m.z)
	mat.NewDense(m.d, m.k, dst).Mul(m.xt, m.z)
	for j := range m.d {
		for c := range m.k {
			l, _ := m.reg.strength(theta[m.index(j, c)])
			dst[j*m.k+c] += l * w[j*m.k+c]
		}
	}
}

func (m *multinomial) hessVec(dst, w, theta, v []float64) {
	m.probabilities(w)
	m.zv.Mul(m.x, mat.NewDense(m.d, m.k, v))
	for i := range m.n {
		p := m.z.RawRowView(i)
		a := m.zv.RawRowView(i)
		var pa float64
		for c := range p {
			pa += p[c] * a[c]
		}
		for c := range p {
			a[c] = p[c] * (a[c] - pa) / float64(m.n)
		}
	}
	mat.NewDense(m.d, m.k, dst).Mul(m.xt, m.zv)
	for j := range m.d {
		for c := range m.k {
			l, _ := m.reg.strength(theta[m.index(j, c)])
			dst[j*m.k+c] += l * v[j*m.k+c]
		}
	}
}

// mixedVec sets dst = (∂θ∇f) dθ: entry (j,k) is λ'ⱼₖ W_jk dθ_{index(j,k)}.
func (m *multinomial) mixedVec(dst, w, theta, dtheta []float64) {
	for j := range m.d {
		for c := range m.k {
			t := m.index(j, c)
			_, dl := m.reg.strength(theta[t])
			dst[j*m.k+c] = dl * w[j*m.k+c] * dtheta[t]
		}
	}
}

func (m *multinomial) mixedVecT(dst, w, theta, u []float64) {
	clear(dst)
	for j := range m.d {
		for c := range m.k {
			t := m.index(j, c)
			_, dl := m.reg.strength(theta[t])
			dst[t] += dl * w[j*m.k+c] * u[j*m.k+c]
		}
	}
}
