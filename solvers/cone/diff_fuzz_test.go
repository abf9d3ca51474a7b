package cone

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/optlayers/optlayers/internal/testutil"
)

// fuzzInstance is a small instance with a known optimal point over cones
// chosen by which.
func fuzzInstance(seed uint64, which uint8) *diffInstance {
	rng := rand.New(rand.NewPCG(seed, 99))
	sets := [][]Cone{
		{Zero{1}, Nonnegative{3}},
		{SecondOrder{3}, Nonnegative{1}},
		{PSD{2}},
		{Exp{}, Nonnegative{1}},
		{Power{0.35}, ExpDual{}},
		{PowerDual{0.6}, SecondOrder{2}},
	}
	cs := sets[int(which)%len(sets)]
	return drawInstance(rng, "fuzz", cs, 3, int(which/8)%3, 0.3, 0.5, int(which/32)%3)
}

// FuzzConeLayout: Layout.Problem with an arbitrary θ (wrong lengths,
// NaN/Inf, huge values), then Pack and the condition's residual and
// linearization: no panic; a nil error means a round trip and finite
// numbers.
func FuzzConeLayout(f *testing.F) {
	f.Add(uint64(1), uint8(0), []byte{1, 2, 3, 4, 5, 6, 7, 8}, 0)
	f.Add(uint64(2), uint8(9), []byte{0, 0, 0, 0, 0, 0, 0xf0, 0x7f}, 1)
	f.Add(uint64(3), uint8(2), []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xef, 0x7f}, -1)
	f.Fuzz(func(t *testing.T, seed uint64, which uint8, raw []byte, extra int) {
		in := fuzzInstance(seed, which)
		l, err := NewLayout(in.pb)
		if err != nil {
			t.Fatal(err)
		}
		theta, _ := l.Theta(in.pb)
		// Overwrite a prefix of θ with the fuzzed values; extra changes
		// the length.
		for i, v := range fuzzFloats(raw, min(len(raw)/8, len(theta))) {
			theta[i] = v
		}
		switch {
		case extra > 0:
			theta = append(theta, 1)
		case extra < 0:
			theta = theta[:len(theta)-1]
		}
		pb, err := l.Problem(theta)
		if err != nil {
			return
		}
		back := make([]float64, l.Len())
		if err := l.Pack(back, pb); err != nil {
			t.Fatalf("Pack of Problem(θ): %v", err)
		}
		for i := range back {
			if back[i] != theta[i] {
				t.Fatalf("round trip θ[%d] = %v, want %v", i, back[i], theta[i])
			}
		}
		c, err := l.Condition()
		if err != nil {
			t.Fatal(err)
		}
		z := append(append(append([]float64(nil), in.x...), in.y...), in.s...)
		r := make([]float64, l.LenZ())
		c.Residual(r, z, theta)
		dz, dth, err := c.Linearize(z, theta)
		if err != nil {
			return
		}
		w := make([]float64, l.LenZ())
		for i := range w {
			w[i] = 1
		}
		out := make([]float64, l.LenZ())
		dz.Apply(out, w)
		dz.ApplyT(out, w)
		dth.Apply(out, theta)
		dth.ApplyT(make([]float64, l.Len()), w)
	})
}

// FuzzConeVJP: VJP, JVP and Refine of a solution with arbitrary cotangents and
// directions (NaN/Inf, 1e±300) and a perturbed point: no panic, and a nil
// error means finite derivatives.
func FuzzConeVJP(f *testing.F) {
	f.Add(uint64(1), uint8(0), []byte{1, 2, 3, 4, 5, 6, 7, 8}, 0.0)
	f.Add(uint64(5), uint8(1), []byte{0, 0, 0, 0, 0, 0, 0xf8, 0x7f}, 1e-3)
	f.Add(uint64(6), uint8(35), []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xef, 0x7f, 1, 0, 0, 0, 0, 0, 0, 0}, math.Inf(1))
	f.Add(uint64(7), uint8(66), []byte{}, 1e300)
	f.Fuzz(func(t *testing.T, seed uint64, which uint8, raw []byte, shift float64) {
		in := fuzzInstance(seed, which)
		sol := in.solution()
		if len(sol.Y) > 0 {
			sol.Y[0] += shift // a point off the solution (or NaN/Inf)
		}
		l := sol.Layout()
		vals := fuzzFloats(raw, len(raw)/8)
		g := make([]float64, l.LenZ())
		for i := range g {
			g[i] = 1
			if i < len(vals) {
				g[i] = vals[i]
			}
		}
		dst := make([]float64, l.Len())
		if err := sol.VJP(dst, g); err == nil {
			if err := testutil.Finite("VJP", dst); err != nil {
				t.Fatal(err)
			}
		}
		d := make([]float64, l.Len())
		for i := range d {
			d[i] = 1
			if i < len(vals) {
				d[i] = vals[len(vals)-1-i]
			}
		}
		tan := make([]float64, l.LenZ())
		if err := sol.JVP(tan, d); err == nil {
			if err := testutil.Finite("JVP", tan); err != nil {
				t.Fatal(err)
			}
		}
		if res, err := sol.Refine(context.Background(), 2); err == nil {
			if err := testutil.Finite("Refine", sol.X, sol.Y, sol.S, []float64{res}); err != nil {
				t.Fatal(err)
			}
		}
	})
}
