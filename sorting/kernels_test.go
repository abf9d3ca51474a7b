package sorting

import (
	"fmt"
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

// sortBCEOld is SortBCE as it was before the vector kernels: one relax
// per swap, separate multiply and add for every mixed entry, one log1p per
// entry of the loss, on full rows of P (a single column block). It is the
// reference of TestSortBCEMatchesOldFormulas.
func sortBCEOld(net *Network, x []float64, perm []int, s NetworkSettings) (values []float64, p []float64, loss float64, grad []float64) {
	n, m := net.n, len(net.swaps)
	v := append([]float64(nil), x...)
	alpha, dal, gap := make([]float64, m), make([]float64, m), make([]float64, m)
	for k, sw := range net.swaps {
		a, b := v[sw.p], v[sw.q]
		al, da := relax(s.Sigmoid, s.Steepness, s.ARTLambda, b-a)
		alpha[k], dal[k], gap[k] = al, da, a-b
		v[sw.p] = b + al*(a-b)
		v[sw.q] = a - al*(a-b)
	}
	mt := make([]float64, n*n)
	for i := range n {
		mt[i*n+i] = 1
	}
	diffs := make([][]float64, m)
	for k, sw := range net.swaps {
		rp, rq := mt[int(sw.p)*n:int(sw.p)*n+n], mt[int(sw.q)*n:int(sw.q)*n+n]
		diffs[k] = make([]float64, n)
		for c := range n {
			a, b := rp[c], rq[c]
			diffs[k][c] = a - b
			rp[c] = b + alpha[k]*(a-b)
			rq[c] = a - alpha[k]*(a-b)
		}
	}
	values, p = make([]float64, n), make([]float64, n*n)
	outRow := make([]int, n)
	for pos := range n {
		slot := net.out[pos]
		row := pos
		if s.Descending {
			row = n - 1 - pos
		}
		values[row] = v[slot]
		outRow[slot] = row
		copy(p[row*n:row*n+n], mt[slot*n:slot*n+n])
	}
	g := make([]float64, n*n) // ∂L/∂(rows of mt), by slot
	for slot := range n {
		loss += bceRowRef(mt[slot*n:slot*n+n], g[slot*n:slot*n+n], perm[outRow[slot]], 1/float64(n*n))
	}
	galpha := make([]float64, m)
	for k := m - 1; k >= 0; k-- {
		sw := net.swaps[k]
		gp, gq := g[int(sw.p)*n:int(sw.p)*n+n], g[int(sw.q)*n:int(sw.q)*n+n]
		for c := range n {
			a, b := gp[c], gq[c]
			galpha[k] += (a - b) * diffs[k][c]
			gp[c] = b + alpha[k]*(a-b)
			gq[c] = a - alpha[k]*(a-b)
		}
	}
	gv := make([]float64, n)
	for k := m - 1; k >= 0; k-- {
		sw := net.swaps[k]
		al := alpha[k]
		gp, gq := gv[sw.p], gv[sw.q]
		t := dal[k] * ((gp-gq)*gap[k] + galpha[k])
		gv[sw.p] = gq + al*(gp-gq) - t
		gv[sw.q] = gp - al*(gp-gq) + t
	}
	return values, p, loss, gv
}

// TestSortBCEMatchesOldFormulas compares SortBCE (vector sigmoids, swap
// lists and row losses) with the per-entry formulas it replaced, on both
// networks, several n (tails of the 4-wide kernels, one and several column
// blocks), every sigmoid, both orders, steepness from 1e-300 to 1e300 and
// inputs with entries of ±1e300: values, P, loss and gradient to 1e-12
// (relative to the scale of each).
func TestSortBCEMatchesOldFormulas(t *testing.T) {
	rng := rand.New(rand.NewPCG(67, 68))
	for _, kind := range []NetworkKind{Bitonic, OddEven} {
		for _, n := range []int{2, 3, 7, 17, 32, 33, 70} {
			net, err := NewNetwork(kind, n)
			require.NoError(t, err)
			for trial := range 12 {
				x := randVec(rng, n)
				if trial%4 == 1 {
					x[rng.IntN(n)] = 1e300
					x[rng.IntN(n)] = -1e300
				}
				steep := []float64{10, 1e-300, 1e300, 0.5 + 20*rng.Float64()}[trial%4]
				sig := Sigmoid(trial % len(sigmoidNames))
				if trial%3 == 0 {
					sig = Cauchy
				}
				s := NetworkSettings{Sigmoid: sig, Steepness: steep, ARTLambda: 0.25, Descending: trial%2 == 1}
				perm := rng.Perm(n)
				got, err := net.SortBCE(x, perm, true, &s)
				if err != nil {
					require.ErrorIs(t, err, ErrNaN, "%v n=%d trial %d", kind, n, trial) // overflow reported as such
					continue
				}
				vals, p, loss, grad := sortBCEOld(net, x, perm, s)
				name := fmt.Sprintf("%v n=%d trial %d %v β=%g", kind, n, trial, sig, steep)
				scale := func(v []float64) float64 {
					m := 0.0
					for _, e := range v {
						m = math.Max(m, math.Abs(e))
					}
					return m
				}
				require.InDeltaSlice(t, vals, got.Values, 1e-12*scale(vals)+1e-300, "%s: values", name)
				require.InDeltaSlice(t, p, got.P.RawMatrix().Data, 1e-12, "%s: P", name)
				require.InDelta(t, loss, got.Loss, 1e-12*math.Abs(loss)+1e-300, "%s: loss", name)
				require.InDeltaSlice(t, grad, got.Grad, 1e-12*scale(grad)+1e-300, "%s: gradient", name)
			}
		}
	}
}
