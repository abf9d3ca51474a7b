package sorting

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// bceRowRef is the per-entry formula of SortBCE's row loss before bceRow
// (one log1p per entry), kept as the reference of TestBCERowMatchesPerEntry.
func bceRowRef(p, g []float64, t int, scale float64) float64 {
	var loss float64
	for j, v := range p {
		var l, dl float64
		if j == t {
			l = math.Log(v)
			if l > bceLogFloor {
				dl = -1 / v
			} else {
				l = bceLogFloor
			}
		} else {
			l = log1pNeg(v)
			if l > bceLogFloor {
				dl = 1 / (1 - v)
			} else {
				l = bceLogFloor
			}
		}
		loss -= l
		g[j] = dl * scale
	}
	return loss * scale
}

// TestBCERowMatchesPerEntry compares the row loss of the fused BCE with
// the per-entry formula on random rows mixing every regime: tiny entries,
// the series/product boundary 1/64, entries next to 1, the floor e^−100,
// exact 0 and 1, rows long enough for the product to be rescaled.
func TestBCERowMatchesPerEntry(t *testing.T) {
	rng := rand.New(rand.NewPCG(61, 62))
	special := []float64{0, 1e-300, 5e-324, 1e-17, 1e-8, 1.0 / 64, math.Nextafter(1.0/64, 0), math.Nextafter(1.0/64, 1),
		0.5, 1 - 1e-15, 1 - 1e-30, 1, math.Nextafter(1, 0), 1 - math.Exp(-100), 1 - 1.01*math.Exp(-100), 1 - 0.99*math.Exp(-100)}
	for trial := range 3000 {
		n := 1 + rng.IntN(64)
		if trial%10 == 0 {
			n = 200 + rng.IntN(300)
		}
		p := make([]float64, n)
		for j := range p {
			switch rng.IntN(4) {
			case 0:
				p[j] = special[rng.IntN(len(special))]
			case 1:
				p[j] = math.Pow(10, -20*rng.Float64())
			case 2:
				p[j] = 1 - math.Pow(10, -40*rng.Float64())
			default:
				p[j] = rng.Float64()
			}
		}
		if trial%7 == 0 { // near-exact: tiny off-target entries, a target next to 1
			for j := range p {
				p[j] = 1e-12 * rng.Float64()
			}
		}
		tgt := rng.IntN(n+2) - 1 // also outside the block
		if trial%7 == 0 && tgt >= 0 && tgt < n {
			p[tgt] = 1 - 1e-14*rng.Float64()
		}
		scale := 1 / float64(n*n)
		gRef := make([]float64, n)
		want := bceRowRef(p, gRef, tgt, scale)
		for _, f := range []func(p, g []float64, t int, scale float64) float64{bceRow, bceRowScalar} {
			p0 := append([]float64(nil), p...)
			g := make([]float64, n)
			got := f(p, g, tgt, scale)
			require.InDelta(t, want, got, 1e-12*math.Abs(want)+1e-300, "trial %d: loss", trial)
			require.Equal(t, gRef, g, "trial %d: gradient", trial)
			require.Equal(t, p0, p, "trial %d: p modified", trial)
		}
	}
}

// bceRows returns the rows of relaxed permutation matrices of the P-SORT
// protocol (bitonic, n = 32, Cauchy, steepness 10) and their targets.
func bceRows(tb testing.TB) (rows [][]float64, targets []int) {
	rng := rand.New(rand.NewPCG(63, 64))
	const n = 32
	net, err := NewNetwork(Bitonic, n)
	require.NoError(tb, err)
	for range 20 {
		x := randVec(rng, n)
		r, err := net.Sort(x, true, nil)
		require.NoError(tb, err)
		perm := Argsort(x, false)
		for i := range n {
			rows = append(rows, r.P.RawRowView(i))
			targets = append(targets, perm[i])
		}
	}
	return rows, targets
}

// BenchmarkBCERow times the row loss of the fused BCE per entry of P
// (ns/op is per row of 32 entries), against the per-entry formula.
func BenchmarkBCERow(b *testing.B) {
	rows, targets := bceRows(b)
	g := make([]float64, 32)
	for _, c := range []struct {
		name string
		f    func(p, g []float64, t int, scale float64) float64
	}{{"NegLog1mSum", bceRow}, {"scalar product", bceRowScalar}, {"per-entry", bceRowRef}} {
		b.Run(c.name, func(b *testing.B) {
			var s float64
			i := 0
			for b.Loop() {
				s += c.f(rows[i], g, targets[i], 1.0/1024)
				if i++; i == len(rows) {
					i = 0
				}
			}
			if math.IsNaN(s) {
				b.Fatal(s)
			}
		})
	}
}

// BenchmarkRelax times the Cauchy relaxation α = 1/2 + arctan(βd)/π with
// its derivative on a different random gap each call (ns/op per swap):
// the sigmoid cost of a network's value pass.
func BenchmarkRelax(b *testing.B) {
	rng := rand.New(rand.NewPCG(65, 66))
	d := make([]float64, 4096)
	for i := range d {
		d[i] = rng.NormFloat64()
	}
	for _, s := range []Sigmoid{Cauchy, Logistic} {
		b.Run(s.String(), func(b *testing.B) {
			var acc float64
			i := 0
			for b.Loop() {
				a, da := relax(s, 10, 0.25, d[i&4095])
				acc += a + da
				i++
			}
			if math.IsNaN(acc) {
				b.Fatal(acc)
			}
		})
	}
}
