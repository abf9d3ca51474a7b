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
			require.InDeltaSlice(t, mr, m, 1e-13, "trial %d: buffer", trial)
			require.InDeltaSlice(t, dr, d, 1e-13, "trial %d: differences", trial)

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
			require.InDeltaSlice(t, gr, g, 1e-12, "trial %d: cotangent", trial)
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
