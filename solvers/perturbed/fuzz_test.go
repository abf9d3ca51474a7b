package perturbed

import (
	"context"
	"encoding/binary"
	"math"
	"testing"
)

func FuzzForward(f *testing.F) {
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}, 1.0, uint8(0), uint8(5))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xf0, 0x7f}, math.NaN(), uint8(1), uint8(0))
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0xf0, 0x7f, 0, 0, 0, 0, 0, 0, 0xf0, 0xff}, 1e308, uint8(3), uint8(9))
	f.Fuzz(func(t *testing.T, raw []byte, sigma float64, flags, samples uint8) {
		var theta []float64
		for len(raw) >= 8 && len(theta) < 16 {
			theta = append(theta, math.Float64frombits(binary.LittleEndian.Uint64(raw)))
			raw = raw[8:]
		}
		dim := len(theta)
		if flags&4 != 0 {
			dim++ // length mismatch
		}
		opt := &Optimizer{Oracle: argmaxOracle, Dim: dim, Settings: &Settings{
			Samples: int(samples) - 2, Sigma: sigma, Noise: Noise(flags & 1), Minimize: flags&2 != 0,
			ControlVariate: flags&8 != 0, Workers: int(flags>>4) % 3, Antithetic: flags&64 != 0}}
		if flags&2 != 0 {
			opt.Oracle = argminOracle
		}
		ctx := context.Background()
		r, err := opt.Forward(ctx, theta)
		if err == nil {
			if !finite(r.Mean) || math.IsNaN(r.Value) || math.IsInf(r.Value, 0) {
				t.Fatalf("non-finite result with nil error: %v %v", r.Mean, r.Value)
			}
			g := make([]float64, dim)
			if err := r.VJP(g, theta); err == nil && !finite(g) {
				t.Fatalf("non-finite VJP with nil error")
			}
		}
		y := make([]float64, len(theta))
		if len(y) > 0 {
			y[0] = 1
		}
		loss, grad, err := opt.FenchelYoung(ctx, theta, y)
		if err == nil && (math.IsNaN(loss) || math.IsInf(loss, 0) || !finite(grad)) {
			t.Fatalf("non-finite loss with nil error")
		}
	})
}

// FuzzProducts drives the Jacobian products (VJP, JVP, Jacobian) of a
// Result with arbitrary θ, σ, cotangents and oracle scales (outputs
// c·one-hot, c up to the float64 range): never a panic, never a
// non-finite product with a nil error.
func FuzzProducts(f *testing.F) {
	f.Add(0.5, -0.2, 1.0, 1.0, 1.0, uint8(0))
	f.Add(9.094e307, 1.398e-76, 2.5e307, 9.094e307, 1.0, uint8(2))
	f.Add(1.0, 0.0, 1e-300, 1e308, 1e307, uint8(9))
	f.Fuzz(func(t *testing.T, t0, t1, sigma, g0, scale float64, flags uint8) {
		theta := []float64{t0, t1, 0}
		oracle := func(_ context.Context, dst, cost []float64) error {
			k := 0
			for i := range cost {
				if (flags&2 != 0 && cost[i] < cost[k]) || (flags&2 == 0 && cost[i] > cost[k]) {
					k = i
				}
			}
			clear(dst)
			dst[k] = scale
			return nil
		}
		opt := &Optimizer{Oracle: oracle, Dim: 3, Settings: &Settings{
			Samples: int(flags>>4) + 1, Sigma: sigma, Noise: Noise(flags & 1), Minimize: flags&2 != 0,
			ControlVariate: flags&8 != 0}}
		r, err := opt.Forward(context.Background(), theta)
		if err != nil {
			return
		}
		g := []float64{g0, 1, -g0}
		dst := make([]float64, 3)
		if err := r.VJP(dst, g); err == nil && !finite(dst) {
			t.Fatalf("non-finite VJP with nil error: %v", dst)
		}
		if err := r.JVP(dst, g); err == nil && !finite(dst) {
			t.Fatalf("non-finite JVP with nil error: %v", dst)
		}
		if j, err := r.Jacobian(); err == nil && !finite(j.RawMatrix().Data) {
			t.Fatalf("non-finite Jacobian with nil error")
		}
	})
}
