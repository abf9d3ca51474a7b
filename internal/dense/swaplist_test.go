package dense

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestSwapListMatchesRecordByRecord runs random swap lists (rows of a
// 16×w buffer, widths 0 to w, several records per row pair, weights in
// [0, 1] and 0, 1, 1e-300) through SwapMixList / SwapUnmixList, assembly
// and pure Go, and through the record-by-record reference formulas: the
// buffers, differences and weight derivatives agree to 1e-13 of their
// scale.
func TestSwapListMatchesRecordByRecord(t *testing.T) {
	both(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(85, 86))
		for trial := range 300 {
			rows, w := 16, 1+rng.IntN(40)
			nrec := rng.IntN(60)
			alpha := make([]float64, nrec+1)
			for i := range alpha {
				alpha[i] = rng.Float64()
				if rng.IntN(6) == 0 {
					alpha[i] = []float64{0, 1, 1e-300}[rng.IntN(3)]
				}
			}
			list := make([]SwapRec, nrec)
			total := 0
			for i := range list {
				p := rng.IntN(rows)
				q := (p + 1 + rng.IntN(rows-1)) % rows
				a := rng.IntN(w + 1)
				b := a + rng.IntN(w+1-a)
				list[i] = SwapRec{P: int32(p*w + a), Q: int32(q*w + a), N: int32(b - a), K: int32(rng.IntN(len(alpha)))}
				total += b - a
			}
			m := make([]float64, rows*w)
			for i := range m {
				m[i] = rng.Float64()
			}
			mr := append([]float64(nil), m...)
			d, dr := make([]float64, total+3), make([]float64, total+3)
			SwapMixList(m, d, alpha, list)
			off := 0
			for _, r := range list {
				n := int(r.N)
				swapRef(mr[r.P:int(r.P)+n], mr[r.Q:int(r.Q)+n], dr[off:off+n], alpha[r.K])
				off += n
			}
			require.Equal(t, mr, m, "trial %d: buffer", trial)
			require.Equal(t, dr, d, "trial %d: differences", trial)

			g := make([]float64, rows*w)
			for i := range g {
				g[i] = rng.NormFloat64()
			}
			gr := append([]float64(nil), g...)
			ga, gar := make([]float64, len(alpha)), make([]float64, len(alpha))
			SwapUnmixList(g, d, alpha, ga, list)
			off = total
			for k := len(list) - 1; k >= 0; k-- {
				r := list[k]
				n := int(r.N)
				off -= n
				acc, _ := unswapRef(gr[r.P:int(r.P)+n], gr[r.Q:int(r.Q)+n], d[off:off+n], alpha[r.K])
				gar[r.K] += acc
			}
			require.Equal(t, gr, g, "trial %d: cotangent", trial)
			require.InDeltaSlice(t, gar, ga, 1e-12, "trial %d: dα", trial)
			if math.IsNaN(ga[0]) {
				t.Fatal("NaN")
			}
		}
	})
}

// TestSwapListBounds checks that a record reaching outside the buffers
// panics instead of reading out of bounds.
func TestSwapListBounds(t *testing.T) {
	m, d, a := make([]float64, 8), make([]float64, 8), []float64{0.5}
	require.Panics(t, func() { SwapMixList(m, d, a, []SwapRec{{P: 0, Q: 6, N: 4}}) })
	require.Panics(t, func() { SwapMixList(m, d, a, []SwapRec{{P: 0, Q: 4, N: 4, K: 1}}) })
	require.Panics(t, func() { SwapMixList(m, d[:3], a, []SwapRec{{P: 0, Q: 4, N: 4}}) })
	require.Panics(t, func() { SwapUnmixList(m, d, a, nil, []SwapRec{{P: 0, Q: 4, N: 4}}) })
	require.NotPanics(t, func() { SwapMixList(m, nil, a, []SwapRec{{P: 0, Q: 4, N: 0}}) })
}

// FuzzSwapList runs a swap list built from the fuzzer's bytes through the
// assembly and the pure-Go kernels (or the pure-Go ones twice) and
// requires the same buffers and derivatives to 1e-12.
func FuzzSwapList(f *testing.F) {
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7, 8}, 0.3)
	f.Add([]byte{0, 255, 17, 3}, 1.0)
	f.Fuzz(func(t *testing.T, b []byte, alpha float64) {
		if !(alpha >= 0 && alpha <= 1) || len(b) > 400 {
			return
		}
		const rows, w = 8, 12
		var list []SwapRec
		for i := 0; i+3 < len(b); i += 4 {
			p, q := int(b[i])%rows, int(b[i+1])%rows
			if p == q {
				continue
			}
			a := int(b[i+2]) % (w + 1)
			n := int(b[i+3]) % (w + 1 - a)
			list = append(list, SwapRec{P: int32(p*w + a), Q: int32(q*w + a), N: int32(n), K: int32(i / 4 % 3)})
		}
		al := []float64{alpha, 1 - alpha, alpha / 2}
		run := func(asm bool) (m, d, g, ga []float64) {
			saved := useAsm
			useAsm = asm && saved
			defer func() { useAsm = saved }()
			m, g = make([]float64, rows*w), make([]float64, rows*w)
			for i := range m {
				m[i], g[i] = float64(i%5)/4, float64(i%7)-3
			}
			d, ga = make([]float64, rows*w*len(list)+1), make([]float64, 3)
			SwapMixList(m, d, al, list)
			SwapUnmixList(g, d, al, ga, list)
			return m, d, g, ga
		}
		m1, d1, g1, ga1 := run(true)
		m2, d2, g2, ga2 := run(false)
		require.InDeltaSlice(t, m2, m1, 1e-12)
		require.InDeltaSlice(t, d2, d1, 1e-12)
		require.InDeltaSlice(t, g2, g1, 1e-9)
		require.InDeltaSlice(t, ga2, ga1, 1e-9)
	})
}
