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
