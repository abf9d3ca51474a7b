package nn

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// FuzzMLP runs NewMLP, Forward, Backward and an optimizer step on
// arbitrary sizes, activations, inputs, cotangents and settings: never a
// panic, never a non-finite output or parameter with a nil error, and a
// failed step leaves the parameters unchanged.
func FuzzMLP(f *testing.F) {
	f.Add([]byte{2, 3, 1, 1, 0}, 0.01, 0.9)
	f.Add([]byte{1, 1, 9, 0, 1, 0, 0, 0, 0, 0, 0xf0, 0x7f}, -1.0, 1.0)
	f.Add([]byte{4, 0, 2, 2, 1}, math.NaN(), 0.0)
	f.Fuzz(func(t *testing.T, data []byte, lr, beta float64) {
		if len(data) < 5 {
			return
		}
		sizes := []int{int(data[0]%5) - 1, int(data[1]%5) - 1, int(data[2] % 4)}
		act := Activation(int(data[3]%5) - 1)
		useSGD := data[4]&1 != 0
		data = data[5:]
		m, err := NewMLP(sizes, act, rand.New(rand.NewPCG(1, 2)))
		if err != nil {
			return
		}
		in, out := m.Dims()
		val := func(i int) float64 {
			if 8*i+8 <= len(data) {
				return math.Float64frombits(binary.LittleEndian.Uint64(data[8*i:]))
			}
			return float64(i%3) - 1
		}
		x := mat.NewDense(2, in, nil)
		for i := range x.RawMatrix().Data {
			x.RawMatrix().Data[i] = val(i)
		}
		p, err := m.Forward(x)
		if err != nil {
			return
		}
		for _, v := range p.Output().RawMatrix().Data {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Fatalf("Forward: non-finite output with a nil error")
			}
		}
		dy := mat.NewDense(2, out, nil)
		for i := range dy.RawMatrix().Data {
			dy.RawMatrix().Data[i] = val(2*in + i)
		}
		grad := make([]float64, len(m.Params()))
		gx, err := p.Backward(grad, dy, true)
		if err != nil {
			return
		}
		for _, v := range append(gx.RawMatrix().Data, grad...) {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Fatalf("Backward: non-finite gradient with a nil error")
			}
		}
		var o Optimizer = &Adam{LearningRate: lr, Beta1: beta}
		if useSGD {
			o = &SGD{LearningRate: lr, Momentum: beta}
		}
		before := append([]float64(nil), m.Params()...)
		if err := o.Step(m.Params(), grad); err != nil {
			for i, v := range m.Params() {
				if v != before[i] {
					t.Fatalf("failed step changed parameter %d", i)
				}
			}
		}
	})
}
