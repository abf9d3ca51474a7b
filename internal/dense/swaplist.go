package dense

import "fmt"

// SwapRec is one relaxed swap of a list run by SwapMixList and
// SwapUnmixList: rows starting at offsets P and Q of the buffer, N
// entries long, with mixing weight alpha[K].
type SwapRec struct {
	P, Q, N, K int32
}

// checkSwapList panics when a record of list would reach outside m, d or
// alpha (len(d) must be at least the sum of the widths).
func checkSwapList(m, d, alpha []float64, list []SwapRec) {
	total := 0
	for _, r := range list {
		if r.P < 0 || r.Q < 0 || r.N < 0 || r.K < 0 || int(r.P)+int(r.N) > len(m) || int(r.Q)+int(r.N) > len(m) || int(r.K) >= len(alpha) {
			panic(fmt.Sprintf("dense: swap record %+v outside m (%d) or alpha (%d)", r, len(m), len(alpha)))
		}
		total += int(r.N)
	}
	if total > len(d) {
		panic(fmt.Sprintf("dense: swap list needs %d differences, len(d) = %d", total, len(d)))
	}
}

// SwapMixList applies SwapMix for each record of list in order, row P
// against row Q of m with weight alpha[K], storing the differences one
// after the other in d: a whole pass of a sorting network over a block of
// rows in one call (one assembly loop with AVX/FMA, no call per swap).
// The rows of one record must not overlap; records are applied in order,
// so later ones see the updates of earlier ones.
func SwapMixList(m, d, alpha []float64, list []SwapRec) {
	checkSwapList(m, d, alpha, list)
	if len(list) == 0 {
		return
	}
	if useAsm {
		var dummy float64
		dp := &dummy // d may be empty when every width is 0
		if len(d) > 0 {
			dp = &d[0]
		}
		swapMixListAVX(&m[0], dp, &alpha[0], &list[0], len(list))
		return
	}
	off := 0
	for _, r := range list {
		n := int(r.N)
		swapMixGo(m[r.P:int(r.P)+n], m[r.Q:int(r.Q)+n], d[off:off+n], alpha[r.K])
		off += n
	}
}

// SwapUnmixList runs SwapUnmix for the records of list in reverse order on
// the cotangent buffer g, with the differences SwapMixList stored in d,
// and adds each record's derivative with respect to its weight to
// galpha[K].
func SwapUnmixList(g, d, alpha, galpha []float64, list []SwapRec) {
	checkSwapList(g, d, alpha, list)
	if len(galpha) < len(alpha) {
		panic(fmt.Sprintf("dense: len(galpha) = %d < len(alpha) = %d", len(galpha), len(alpha)))
	}
	if len(list) == 0 {
		return
	}
	total := 0
	for _, r := range list {
		total += int(r.N)
	}
	if useAsm {
		var dummy float64
		dp := &dummy
		if len(d) > 0 {
			dp = &d[0]
		}
		swapUnmixListAVX(&g[0], dp, &alpha[0], &galpha[0], &list[0], len(list), total)
		return
	}
	off := total
	for t := len(list) - 1; t >= 0; t-- {
		r := list[t]
		n := int(r.N)
		off -= n
		galpha[r.K] += swapUnmixGo(g[r.P:int(r.P)+n], g[r.Q:int(r.Q)+n], d[off:off+n], alpha[r.K])
	}
}

// swapMixGo and swapUnmixGo are the pure-Go bodies of SwapMix and
// SwapUnmix.
func swapMixGo(p, q, d []float64, alpha float64) {
	q, d = q[:len(p)], d[:len(p)]
	for i, x := range p {
		y := q[i]
		diff := x - y
		d[i] = diff
		p[i] = y + alpha*diff
		q[i] = x - alpha*diff
	}
}

func swapUnmixGo(gp, gq, d []float64, alpha float64) float64 {
	n := len(gp)
	gq, d = gq[:n], d[:n]
	var acc0, acc1 float64
	i := 0
	for ; i+2 <= n; i += 2 {
		a0, a1 := gp[i], gp[i+1]
		b0, b1 := gq[i], gq[i+1]
		h0, h1 := a0-b0, a1-b1
		acc0 += h0 * d[i]
		acc1 += h1 * d[i+1]
		gp[i], gp[i+1] = b0+alpha*h0, b1+alpha*h1
		gq[i], gq[i+1] = a0-alpha*h0, a1-alpha*h1
	}
	for ; i < n; i++ {
		x, y := gp[i], gq[i]
		h := x - y
		acc0 += h * d[i]
		gp[i] = y + alpha*h
		gq[i] = x - alpha*h
	}
	return acc0 + acc1
}
