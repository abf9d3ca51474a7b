package nn

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"
)

// Errors returned by the package.
var (
	ErrDims = errors.New("nn: dimension mismatch")
	ErrNaN  = errors.New("nn: NaN or Inf in input")
	// ErrInvalid reports an invalid argument or setting: a nil or zero
	// model, pass or matrix, an unknown Activation or Metric, a negative or
	// NaN learning rate, momentum, β or ε.
	ErrInvalid = errors.New("nn: invalid argument")
)

// Activation is the elementwise nonlinearity of the hidden layers.
type Activation int

const (
	ReLU     Activation = iota // max(0, t)
	Tanh                       // tanh(t)
	Identity                   // t (a deep linear model)
)

func (a Activation) apply(t float64) float64 {
	switch a {
	case Tanh:
		return math.Tanh(t)
	case Identity:
		return t
	default:
		return max(t, 0)
	}
}

// derivFromOutput returns σ′ at the pre-activation whose image is h.
func (a Activation) derivFromOutput(h float64) float64 {
	switch a {
	case Tanh:
		return 1 - h*h
	case Identity:
		return 1
	default:
		if h > 0 {
			return 1
		}
		return 0
	}
}

// MLP is a multilayer perceptron with dense layers. The zero value is not
// usable; build one with [NewMLP] or [NewLinear].
type MLP struct {
	sizes  []int
	act    Activation
	params []float64
	offW   []int // offset of W_k in params
	offB   []int // offset of b_k in params
}

// NewLinear returns the affine model y = W x + b from Rⁱⁿ to Rᵒᵘᵗ,
// initialized from rng (nil means a fixed seed).
func NewLinear(in, out int, rng *rand.Rand) (*MLP, error) {
	return NewMLP([]int{in, out}, ReLU, rng)
}

// NewMLP returns a perceptron with layer sizes sizes[0] → … → sizes[L]
// (at least two sizes, all positive) and activation act on hidden layers.
// Weights and biases are drawn from U(−1/√in, 1/√in) of each layer using
// rng (nil means a fixed seed).
func NewMLP(sizes []int, act Activation, rng *rand.Rand) (*MLP, error) {
	if len(sizes) < 2 {
		return nil, fmt.Errorf("%w: need at least input and output sizes, got %v", ErrDims, sizes)
	}
	for _, s := range sizes {
		if s <= 0 {
			return nil, fmt.Errorf("%w: layer sizes must be positive, got %v", ErrDims, sizes)
		}
	}
	total := 0
	for k := 1; k < len(sizes); k++ {
		if sizes[k] > maxParams/sizes[k-1] || total > maxParams-sizes[k]*(sizes[k-1]+1) {
			return nil, fmt.Errorf("%w: layer sizes %v need more than %d parameters", ErrDims, sizes, maxParams)
		}
		total += sizes[k] * (sizes[k-1] + 1)
	}
	if act != ReLU && act != Tanh && act != Identity {
		return nil, fmt.Errorf("%w: unknown Activation %d", ErrInvalid, int(act))
	}
	if rng == nil {
		rng = rand.New(rand.NewPCG(1, 2))
	}
	m := &MLP{sizes: append([]int(nil), sizes...), act: act}
	n := 0
	for k := 1; k < len(sizes); k++ {
		m.offW = append(m.offW, n)
		n += sizes[k] * sizes[k-1]
		m.offB = append(m.offB, n)
		n += sizes[k]
	}
	m.params = make([]float64, n)
	for k := 1; k < len(sizes); k++ {
		bound := 1 / math.Sqrt(float64(sizes[k-1]))
		end := m.offB[k-1] + sizes[k]
		for i := m.offW[k-1]; i < end; i++ {
			m.params[i] = bound * (2*rng.Float64() - 1)
		}
	}
	return m, nil
}

// maxParams bounds the number of parameters of an MLP (2³⁰, 8 GiB; less
// on 32-bit platforms).
var maxParams = int(min(uint64(1)<<30, uint64(math.MaxInt)/16))

// Dims returns the input and output dimensions ((0, 0) for a nil or zero
// MLP).
func (m *MLP) Dims() (in, out int) {
	if m == nil || len(m.sizes) < 2 {
		return 0, 0
	}
	return m.sizes[0], m.sizes[len(m.sizes)-1]
}

// Sizes returns a copy of the layer sizes.
func (m *MLP) Sizes() []int { return append([]int(nil), m.sizes...) }

// Params returns the flat parameter vector (layer by layer: W row-major
// out×in, then b). It aliases the model: writing to it changes the model.
func (m *MLP) Params() []float64 { return m.params }

// Layer returns views of the weight matrix (out×in) and bias of layer k
// (0-based, k < len(Sizes())−1); they alias the parameters. An index out
// of range panics, as a slice index does.
func (m *MLP) Layer(k int) (*mat.Dense, []float64) {
	in, out := m.sizes[k], m.sizes[k+1]
	w := mat.NewDense(out, in, m.params[m.offW[k]:m.offW[k]+out*in])
	return w, m.params[m.offB[k] : m.offB[k]+out]
}

// Pass holds the activations of one forward evaluation.
type Pass struct {
	m *MLP
	h []*mat.Dense // h[0] = X, h[k] = output of layer k
}

// Output returns the model outputs, one row per input row. The matrix is
// owned by the pass. A nil or zero Pass has no output (nil).
func (p *Pass) Output() *mat.Dense {
	if p == nil || len(p.h) == 0 {
		return nil
	}
	return p.h[len(p.h)-1]
}

// Forward evaluates the model on the rows of x (batch×in). A nil or zero
// MLP or a nil x is ErrInvalid.
func (m *MLP) Forward(x mat.Matrix) (*Pass, error) {
	if m == nil || len(m.sizes) < 2 {
		return nil, fmt.Errorf("%w: MLP not built by NewMLP or NewLinear", ErrInvalid)
	}
	if x == nil {
		return nil, fmt.Errorf("%w: nil input matrix", ErrInvalid)
	}
	if d, ok := x.(*mat.Dense); ok && d == nil {
		return nil, fmt.Errorf("%w: nil input matrix", ErrInvalid)
	}
	r, c := x.Dims()
	if c != m.sizes[0] {
		return nil, fmt.Errorf("%w: input has %d columns, model expects %d", ErrDims, c, m.sizes[0])
	}
	xd := mat.DenseCopyOf(x)
	for _, v := range xd.RawMatrix().Data {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, ErrNaN
		}
	}
	p := &Pass{m: m, h: []*mat.Dense{xd}}
	prev := xd
	for k := 0; k+1 < len(m.sizes); k++ {
		w, b := m.Layer(k)
		out := mat.NewDense(r, m.sizes[k+1], nil)
		out.Mul(prev, w.T())
		last := k+2 == len(m.sizes)
		raw := out.RawMatrix()
		for i := 0; i < r; i++ {
			row := raw.Data[i*raw.Stride : i*raw.Stride+raw.Cols]
			for j := range row {
				row[j] += b[j]
				if !last {
					row[j] = m.act.apply(row[j])
				}
			}
		}
		p.h = append(p.h, out)
		prev = out
	}
	for i := range r {
		for _, v := range prev.RawRowView(i) {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("%w: output row %d overflows (scale the input or the parameters down)", ErrNaN, i)
			}
		}
	}
	return p, nil
}

// Predict writes the model output for one input row into dst (len out).
// dst and x must not alias. It has no error return: len(x) must be the
// input size and len(dst) the output size (use Forward for checked input);
// a mismatch panics, as a slice index does.
func (m *MLP) Predict(dst, x []float64) {
	cur := x
	for k := 0; k+1 < len(m.sizes); k++ {
		in, out := m.sizes[k], m.sizes[k+1]
		w := m.params[m.offW[k] : m.offW[k]+out*in]
		b := m.params[m.offB[k] : m.offB[k]+out]
		next := dst
		if k+2 < len(m.sizes) {
			next = make([]float64, out)
		}
		for i := 0; i < out; i++ {
			s := b[i]
			row := w[i*in : (i+1)*in]
			for j, v := range row {
				s += v * cur[j]
			}
			if k+2 < len(m.sizes) {
				s = m.act.apply(s)
			}
			next[i] = s
		}
		cur = next
	}
}

// Backward adds to grad (len(Params())) the gradient of a scalar loss whose
// cotangent on the outputs is dy (batch×out), and returns ∂ℓ/∂X if wantX.
//
// A nil p (or one not returned by Forward) or a nil dy is ErrInvalid; NaN
// or Inf in dy is ErrNaN.
func (p *Pass) Backward(grad []float64, dy mat.Matrix, wantX bool) (*mat.Dense, error) {
	if p == nil || p.m == nil || len(p.h) == 0 {
		return nil, fmt.Errorf("%w: Pass not returned by MLP.Forward", ErrInvalid)
	}
	if dy == nil {
		return nil, fmt.Errorf("%w: nil cotangent matrix", ErrInvalid)
	}
	if d, ok := dy.(*mat.Dense); ok && d == nil {
		return nil, fmt.Errorf("%w: nil cotangent matrix", ErrInvalid)
	}
	m := p.m
	out := p.Output()
	r, c := out.Dims()
	if dr, dc := dy.Dims(); dr != r || dc != c {
		return nil, fmt.Errorf("%w: cotangent is %d×%d, output is %d×%d", ErrDims, dr, dc, r, c)
	}
	if len(grad) != len(m.params) {
		return nil, fmt.Errorf("%w: grad has length %d, model has %d parameters", ErrDims, len(grad), len(m.params))
	}
	delta := mat.DenseCopyOf(dy)
	for i := range r {
		for _, v := range delta.RawRowView(i) {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("%w: cotangent row %d", ErrNaN, i)
			}
		}
	}
	for k := len(m.sizes) - 2; k >= 0; k-- {
		in, outk := m.sizes[k], m.sizes[k+1]
		// ∂W = δᵀ H_{k−1}
		gw := mat.NewDense(outk, in, grad[m.offW[k]:m.offW[k]+outk*in])
		var tmp mat.Dense
		tmp.Mul(delta.T(), p.h[k])
		gw.Add(gw, &tmp)
		gb := grad[m.offB[k] : m.offB[k]+outk]
		raw := delta.RawMatrix()
		for i := 0; i < r; i++ {
			row := raw.Data[i*raw.Stride : i*raw.Stride+outk]
			for j, v := range row {
				gb[j] += v
			}
		}
		if k == 0 && !wantX {
			break
		}
		w, _ := m.Layer(k)
		next := mat.NewDense(r, in, nil)
		next.Mul(delta, w)
		if k > 0 {
			hr := p.h[k].RawMatrix()
			nr := next.RawMatrix()
			for i := 0; i < r; i++ {
				for j := 0; j < in; j++ {
					nr.Data[i*nr.Stride+j] *= m.act.derivFromOutput(hr.Data[i*hr.Stride+j])
				}
			}
		}
		delta = next
	}
	for i, v := range grad {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("%w: gradient entry %d overflows", ErrNaN, i)
		}
	}
	if !wantX {
		return nil, nil
	}
	for i := range r {
		for _, v := range delta.RawRowView(i) {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("%w: input cotangent row %d overflows", ErrNaN, i)
			}
		}
	}
	return delta, nil
}
