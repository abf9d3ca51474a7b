package sorting

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/diff/fd"
	"gonum.org/v1/gonum/mat"
)

var allSigmoids = []Sigmoid{Cauchy, Logistic, LogisticART, Reciprocal, Optimal, Gaussian}

// referenceComparators lists the comparators (min wire, max wire) of the
// network on N wires in a valid execution order, built independently of
// NewNetwork: Batcher's recursive bitonic sorter, or odd-even
// transposition.
func referenceComparators(kind NetworkKind, n int) (int, [][2]int) {
	var cs [][2]int
	if kind == OddEven {
		for k := range n {
			for i := k % 2; i+1 < n; i += 2 {
				cs = append(cs, [2]int{i, i + 1})
			}
		}
		return n, cs
	}
	wires := 1
	for wires < n {
		wires *= 2
	}
	var merge func(lo, cnt int, up bool)
	merge = func(lo, cnt int, up bool) {
		if cnt < 2 {
			return
		}
		k := cnt / 2
		for i := lo; i < lo+k; i++ {
			if up {
				cs = append(cs, [2]int{i, i + k})
			} else {
				cs = append(cs, [2]int{i + k, i})
			}
		}
		merge(lo, k, up)
		merge(lo+k, k, up)
	}
	var sortRec func(lo, cnt int, up bool)
	sortRec = func(lo, cnt int, up bool) {
		if cnt < 2 {
			return
		}
		k := cnt / 2
		sortRec(lo, k, true)
		sortRec(lo+k, k, false)
		merge(lo, cnt, up)
	}
	sortRec(0, wires, true)
	return wires, cs
}

// denseReference runs the relaxed network the way diffsort does: each
// conditional swap is an N×N matrix multiplying the values and the
// permutation matrix, padding wires hold 1e300.
func denseReference(kind NetworkKind, x []float64, s NetworkSettings) ([]float64, *mat.Dense) {
	n := len(x)
	wires, cs := referenceComparators(kind, n)
	v := mat.NewVecDense(wires, nil)
	for i := range wires {
		if i < n {
			v.SetVec(i, x[i])
		} else {
			v.SetVec(i, 1e300)
		}
	}
	p := mat.NewDense(wires, wires, nil)
	for i := range wires {
		p.Set(i, i, 1)
	}
	l := mat.NewDense(wires, wires, nil)
	for _, c := range cs {
		i, j := c[0], c[1]
		al, _ := relax(s.Sigmoid, s.Steepness, s.ARTLambda, v.AtVec(j)-v.AtVec(i))
		l.Zero()
		for k := range wires {
			l.Set(k, k, 1)
		}
		l.Set(i, i, al)
		l.Set(i, j, 1-al)
		l.Set(j, i, 1-al)
		l.Set(j, j, al)
		var nv mat.VecDense
		nv.MulVec(l, v)
		v.CopyVec(&nv)
		var np mat.Dense
		np.Mul(l, p)
		p.Copy(&np)
	}
	vals := make([]float64, n)
	pm := mat.NewDense(n, n, nil)
	for pos := range n {
		src := pos
		if s.Descending {
			src = n - 1 - pos
		}
		vals[pos] = v.AtVec(src)
		for j := range n {
			pm.Set(pos, j, p.At(src, j))
		}
	}
	return vals, pm
}

func TestNetworkMatchesDenseReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	for _, kind := range []NetworkKind{OddEven, Bitonic} {
		for _, n := range []int{1, 2, 3, 5, 8, 13, 16, 32} {
			net, err := NewNetwork(kind, n)
			require.NoError(t, err)
			for _, sig := range allSigmoids {
				if sig == Optimal && kind == Bitonic && n&(n-1) != 0 {
					// The optimal sigmoid's 1/(16v) tail cannot emulate an
					// infinite padding value with a finite one.
					continue
				}
				for _, desc := range []bool{false, true} {
					s := NetworkSettings{Sigmoid: sig, Steepness: 10, ARTLambda: 0.25, Descending: desc}
					x := randVec(rng, n)
					r, err := net.Sort(x, true, &s)
					require.NoError(t, err)
					wantV, wantP := denseReference(kind, x, s)
					name := fmt.Sprintf("%v n=%d %v desc=%v", kind, n, sig, desc)
					assert.InDeltaSlice(t, wantV, r.Values, 1e-12, name)
					assert.True(t, mat.EqualApprox(wantP, r.P, 1e-12), name)
					// Values = P x.
					var px mat.VecDense
					px.MulVec(r.P, mat.NewVecDense(n, x))
					assert.InDeltaSlice(t, px.RawVector().Data, r.Values, 1e-12, name)
				}
			}
		}
	}
}

func TestNetworkDoublyStochasticAndExactLimit(t *testing.T) {
	rng := rand.New(rand.NewPCG(33, 34))
	for _, kind := range []NetworkKind{OddEven, Bitonic} {
		for _, n := range []int{3, 7, 16, 33} {
			net, err := NewNetwork(kind, n)
			require.NoError(t, err)
			for _, sig := range allSigmoids {
				x := randVec(rng, n)
				r, err := net.Sort(x, true, &NetworkSettings{Sigmoid: sig, Steepness: 3})
				require.NoError(t, err)
				for i := range n {
					assert.InDelta(t, 1, mat.Sum(r.P.RowView(i)), 1e-12)
					assert.InDelta(t, 1, mat.Sum(r.P.ColView(i)), 1e-12)
				}
				assert.GreaterOrEqual(t, mat.Min(r.P), 0.0)
				// High steepness: the exact sort. The heavy-tailed
				// families need a larger steepness for the same error.
				for _, desc := range []bool{false, true} {
					r, err := net.Sort(x, true, &NetworkSettings{Sigmoid: sig, Steepness: 1e14, Descending: desc})
					require.NoError(t, err)
					perm := Argsort(x, desc)
					for pos, i := range perm {
						assert.InDelta(t, x[i], r.Values[pos], 1e-9, "%v %v n=%d", kind, sig, n)
						assert.InDelta(t, 1, r.P.At(pos, i), 1e-9)
					}
				}
			}
		}
	}
}

func TestNetworkBackwardFD(t *testing.T) {
	rng := rand.New(rand.NewPCG(35, 36))
	for _, kind := range []NetworkKind{OddEven, Bitonic} {
		for _, n := range []int{2, 5, 8, 11} {
			net, err := NewNetwork(kind, n)
			require.NoError(t, err)
			for _, sig := range allSigmoids {
				for _, desc := range []bool{false, true} {
					s := &NetworkSettings{Sigmoid: sig, Steepness: 1.5, Descending: desc}
					x := randVec(rng, n)
					gv := randVec(rng, n)
					gp := mat.NewDense(n, n, randVec(rng, n*n))
					loss := func(x []float64) float64 {
						r, err := net.Sort(x, true, s)
						require.NoError(t, err)
						return mat.Dot(mat.NewVecDense(n, gv), mat.NewVecDense(n, r.Values)) + mat.Sum(elemMul(gp, r.P))
					}
					want := fd.Gradient(nil, loss, x, &fd.Settings{Formula: fd.Central, Step: 1e-5})
					r, err := net.Sort(x, true, s)
					require.NoError(t, err)
					got, err := r.Backward(gv, gp)
					require.NoError(t, err)
					name := fmt.Sprintf("%v n=%d %v desc=%v", kind, n, sig, desc)
					assert.InDeltaSlice(t, want, got, 1e-7*(1+maxAbsSlice(want)), name)
					// Values only, and matrix only, add up.
					g1, err := r.Backward(gv, nil)
					require.NoError(t, err)
					g2, err := r.Backward(nil, gp)
					require.NoError(t, err)
					for i := range got {
						assert.InDelta(t, got[i], g1[i]+g2[i], 1e-12)
					}
				}
			}
		}
	}
}

func elemMul(a, b *mat.Dense) *mat.Dense {
	var c mat.Dense
	c.MulElem(a, b)
	return &c
}

func maxAbsSlice(v []float64) float64 {
	m := 0.0
	for _, x := range v {
		m = math.Max(m, math.Abs(x))
	}
	return m
}

// TestNetworkMonotonic checks the property of the monotonic families
// (Petersen et al. 2022): every relaxed sorted output is non-decreasing in
// every input, so gradients of a loss on the outputs have the right sign.
func TestNetworkMonotonic(t *testing.T) {
	rng := rand.New(rand.NewPCG(37, 38))
	for _, kind := range []NetworkKind{OddEven, Bitonic} {
		for _, n := range []int{4, 9, 16} {
			net, err := NewNetwork(kind, n)
			require.NoError(t, err)
			for _, sig := range []Sigmoid{Cauchy, Reciprocal, Optimal} {
				require.True(t, sig.Monotonic())
				for trial := range 20 {
					x := randVec(rng, n)
					if trial%2 == 0 {
						for i := range x {
							x[i] *= 0.05 // many close values
						}
					}
					r, err := net.Sort(x, false, &NetworkSettings{Sigmoid: sig, Steepness: 5})
					require.NoError(t, err)
					for pos := range n {
						e := make([]float64, n)
						e[pos] = 1
						g, err := r.Backward(e, nil)
						require.NoError(t, err)
						for j := range n {
							require.GreaterOrEqual(t, g[j], -1e-12, "%v %v n=%d ∂out%d/∂x%d", kind, sig, n, pos, j)
						}
						// Each output is a convex combination: gradient sums to 1.
						var sum float64
						for _, v := range g {
							sum += v
						}
						assert.InDelta(t, 1, sum, 1e-10)
					}
				}
			}
		}
	}
	// The logistic family is not monotonic: find a counterexample, which
	// shows the test above can fail.
	net, _ := NewNetwork(OddEven, 3)
	found := false
	for trial := 0; trial < 2000 && !found; trial++ {
		x := randVec(rng, 3)
		r, err := net.Sort(x, false, &NetworkSettings{Sigmoid: Logistic, Steepness: 1})
		require.NoError(t, err)
		for pos := range 3 {
			e := make([]float64, 3)
			e[pos] = 1
			g, _ := r.Backward(e, nil)
			for _, v := range g {
				if v < -1e-6 {
					found = true
				}
			}
		}
	}
	assert.True(t, found, "expected a negative derivative for the logistic family")
}

func TestNetworkStraightThrough(t *testing.T) {
	rng := rand.New(rand.NewPCG(39, 40))
	net, err := NewNetwork(Bitonic, 10)
	require.NoError(t, err)
	x := randVec(rng, 10)
	s := &NetworkSettings{Steepness: 2, StraightThrough: true, Descending: true}
	r, err := net.Sort(x, true, s)
	require.NoError(t, err)
	perm := Argsort(x, true)
	for pos, i := range perm {
		assert.Equal(t, x[i], r.Values[pos])
		assert.Equal(t, 1.0, r.P.At(pos, i))
	}
	relaxed, err := net.Sort(x, true, &NetworkSettings{Steepness: 2, Descending: true})
	require.NoError(t, err)
	gv := randVec(rng, 10)
	g1, err := r.Backward(gv, nil)
	require.NoError(t, err)
	g2, err := relaxed.Backward(gv, nil)
	require.NoError(t, err)
	assert.Equal(t, g2, g1)
}

func TestNetworkBatch(t *testing.T) {
	rng := rand.New(rand.NewPCG(41, 42))
	net, err := NewNetwork(Bitonic, 12)
	require.NoError(t, err)
	b := 5
	x := mat.NewDense(b, 12, randVec(rng, b*12))
	for _, workers := range []int{1, 3} {
		s := &NetworkSettings{Workers: workers}
		nb, err := net.SortBatch(context.Background(), x, true, s)
		require.NoError(t, err)
		perms := make([][]int, b)
		ps := make([]*mat.Dense, b)
		for i := range b {
			perms[i] = Argsort(x.RawRowView(i), false)
			ps[i] = nb.Results[i].P
		}
		loss, grads, err := PermutationBCEBatch(context.Background(), ps, perms, &BatchSettings{Workers: workers})
		require.NoError(t, err)
		gx, err := nb.Backward(context.Background(), nil, grads)
		require.NoError(t, err)
		// Against a finite-difference gradient of the mean BCE.
		f := func(flat []float64) float64 {
			xx := mat.NewDense(b, 12, flat)
			nb, err := net.SortBatch(context.Background(), xx, true, s)
			require.NoError(t, err)
			var sum float64
			for i := range b {
				l, err := PermutationBCE(nil, nb.Results[i].P, perms[i])
				require.NoError(t, err)
				sum += l
			}
			return sum / float64(b)
		}
		assert.InDelta(t, f(x.RawMatrix().Data), loss, 1e-14)
		want := fd.Gradient(nil, f, append([]float64(nil), x.RawMatrix().Data...), &fd.Settings{Formula: fd.Central, Step: 1e-6})
		assert.InDeltaSlice(t, want, gx.RawMatrix().Data, 1e-7)
	}
}

func TestPermutationBCE(t *testing.T) {
	p := mat.NewDense(2, 2, []float64{0.9, 0.1, 0.1, 0.9})
	g := mat.NewDense(2, 2, nil)
	l, err := PermutationBCE(g, p, []int{0, 1})
	require.NoError(t, err)
	assert.InDelta(t, -math.Log(0.9), l, 1e-15)
	assert.InDelta(t, -1/0.9/4, g.At(0, 0), 1e-15)
	assert.InDelta(t, 1/0.9/4, g.At(0, 1), 1e-15)
	// Clamped logarithm at exact 0/1 entries: finite loss, zero gradient.
	l, err = PermutationBCE(g, mat.NewDense(2, 2, []float64{0, 1, 1, 0}), []int{0, 1})
	require.NoError(t, err)
	assert.InDelta(t, 100, l, 1e-12)
	assert.Equal(t, 0.0, g.At(0, 0))
	_, err = PermutationBCE(nil, p, []int{0, 0})
	assert.True(t, errors.Is(err, ErrInvalid))
	_, err = PermutationBCE(nil, mat.NewDense(2, 2, []float64{math.NaN(), 0, 0, 1}), []int{0, 1})
	assert.True(t, errors.Is(err, ErrNaN))
}

func TestNetworkErrors(t *testing.T) {
	_, err := NewNetwork(Bitonic, 0)
	assert.True(t, errors.Is(err, ErrDims))
	_, err = NewNetwork(NetworkKind(9), 4)
	assert.True(t, errors.Is(err, ErrInvalid))
	net, err := NewNetwork(OddEven, 3)
	require.NoError(t, err)
	_, err = net.Sort([]float64{1, 2}, false, nil)
	assert.True(t, errors.Is(err, ErrDims))
	_, err = net.Sort([]float64{1, math.NaN(), 2}, false, nil)
	assert.True(t, errors.Is(err, ErrNaN))
	_, err = net.Sort([]float64{1, math.Inf(1), 2}, false, nil)
	assert.True(t, errors.Is(err, ErrNaN))
	for _, st := range []float64{-1, math.NaN(), math.Inf(1)} {
		_, err = net.Sort([]float64{1, 2, 3}, false, &NetworkSettings{Steepness: st})
		assert.True(t, errors.Is(err, ErrStrength))
	}
	_, err = net.Sort([]float64{1, 2, 3}, false, &NetworkSettings{Sigmoid: 42})
	assert.True(t, errors.Is(err, ErrInvalid))
	_, err = net.Sort([]float64{1, 2, 3}, false, &NetworkSettings{ARTLambda: 2})
	assert.True(t, errors.Is(err, ErrInvalid))
	r, err := net.Sort([]float64{1, 2, 3}, false, nil)
	require.NoError(t, err)
	_, err = r.Backward(nil, mat.NewDense(3, 3, nil))
	assert.True(t, errors.Is(err, ErrInvalid))
	_, err = r.Backward([]float64{1}, nil)
	assert.True(t, errors.Is(err, ErrDims))
	_, err = net.SortBatch(context.Background(), mat.NewDense(2, 4, nil), false, nil)
	assert.True(t, errors.Is(err, ErrDims))
	// Overflowing values are reported.
	_, err = net.Sort([]float64{1.7e308, -1.7e308, 1.7e308}, false, &NetworkSettings{Sigmoid: Logistic, Steepness: 1e-300})
	assert.True(t, errors.Is(err, ErrNaN))
}

func FuzzNetwork(f *testing.F) {
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}, uint8(0), 10.0)
	f.Fuzz(func(t *testing.T, data []byte, mode uint8, steep float64) {
		x := bytesToFloats(data)
		if len(x) == 0 || len(x) > 64 {
			return
		}
		net, err := NewNetwork(NetworkKind(mode%2), len(x))
		if err != nil {
			t.Fatal(err)
		}
		s := &NetworkSettings{Sigmoid: Sigmoid((mode / 2) % 6), Steepness: steep, Descending: mode&64 != 0, StraightThrough: mode&128 != 0}
		r, err := net.Sort(x, true, s)
		if err != nil {
			return
		}
		if !allFinite(r.Values) || !allFinite(r.P.RawMatrix().Data) {
			t.Fatalf("non-finite output with nil error")
		}
		g, err := r.Backward(r.Values, r.P)
		if err == nil && !allFinite(g) {
			t.Fatalf("non-finite gradient with nil error")
		}
	})
}

func TestLog1pNeg(t *testing.T) {
	for _, v := range []float64{0, 1e-300, 1e-10, 1e-4, 0.005, 1.0 / 64 * 0.999, 1.0 / 64, 0.3, 0.999999, 1} {
		want := math.Log1p(-v)
		got := log1pNeg(v)
		if v == 1 {
			assert.True(t, math.IsInf(got, -1))
			continue
		}
		assert.InDelta(t, 0, (got-want)/math.Max(math.Abs(want), 1e-300), 4e-16, "v=%v", v)
	}
}

func TestSortBCEMatchesUnfused(t *testing.T) {
	rng := rand.New(rand.NewPCG(43, 44))
	for _, kind := range []NetworkKind{OddEven, Bitonic} {
		for _, n := range []int{1, 2, 7, 16, 70, 300} {
			if kind == OddEven && n > 70 {
				continue // n layers: slow under -race, and the bitonic case covers many blocks
			}
			net, err := NewNetwork(kind, n)
			require.NoError(t, err)
			for _, sig := range []Sigmoid{Cauchy, LogisticART, Optimal} {
				for _, desc := range []bool{false, true} {
					s := &NetworkSettings{Sigmoid: sig, Descending: desc, Steepness: 4}
					x := randVec(rng, n)
					perm := Argsort(x, desc)
					if n > 2 {
						perm[0], perm[1] = perm[1], perm[0] // not always the true order
					}
					fr, err := net.SortBCE(x, perm, true, s)
					require.NoError(t, err)
					r, err := net.Sort(x, true, s)
					require.NoError(t, err)
					gp := mat.NewDense(n, n, nil)
					loss, err := PermutationBCE(gp, r.P, perm)
					require.NoError(t, err)
					g, err := r.Backward(nil, gp)
					require.NoError(t, err)
					name := fmt.Sprintf("%v n=%d %v desc=%v", kind, n, sig, desc)
					assert.InDelta(t, loss, fr.Loss, 1e-12*math.Max(1, loss), name)
					assert.InDeltaSlice(t, r.Values, fr.Values, 1e-12, name)
					assert.True(t, mat.EqualApprox(r.P, fr.P, 1e-12), name)
					assert.InDeltaSlice(t, g, fr.Grad, 1e-12*(1+maxAbsSlice(g)), name)
				}
			}
		}
	}
	net, _ := NewNetwork(Bitonic, 4)
	_, err := net.SortBCE([]float64{1, 2, 3, 4}, []int{0, 1, 2, 2}, false, nil)
	assert.True(t, errors.Is(err, ErrInvalid))
	_, err = net.SortBCE([]float64{1, 2, 3, 4}, []int{0, 1, 2, 3}, false, &NetworkSettings{StraightThrough: true})
	assert.True(t, errors.Is(err, ErrInvalid))
}

func FuzzSortBCE(f *testing.F) {
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}, uint8(1), 10.0)
	f.Fuzz(func(t *testing.T, data []byte, mode uint8, steep float64) {
		x := bytesToFloats(data)
		if len(x) == 0 || len(x) > 64 {
			return
		}
		net, err := NewNetwork(NetworkKind(mode%2), len(x))
		if err != nil {
			t.Fatal(err)
		}
		perm := make([]int, len(x))
		for i := range perm {
			perm[i] = (i + int(mode)) % len(x)
		}
		s := &NetworkSettings{Sigmoid: Sigmoid((mode / 2) % 6), Steepness: steep, Descending: mode&64 != 0}
		r, err := net.SortBCE(x, perm, true, s)
		if err != nil {
			return
		}
		if math.IsNaN(r.Loss) || math.IsInf(r.Loss, 0) || !allFinite(r.Grad) || !allFinite(r.Values) {
			t.Fatalf("non-finite output with nil error")
		}
		if _, err := PermutationBCE(nil, r.P, perm); err != nil {
			t.Fatalf("PermutationBCE rejects a relaxed permutation matrix: %v", err)
		}
	})
}

func TestSortLoss(t *testing.T) {
	rng := rand.New(rand.NewPCG(45, 46))
	for _, n := range []int{5, 40} {
		net, err := NewNetwork(Bitonic, n)
		require.NoError(t, err)
		x := randVec(rng, n)
		perm := Argsort(x, false)
		// Squared error to the true permutation matrix.
		sq := func(i, j int, p float64) (float64, float64) {
			t := 0.0
			if perm[i] == j {
				t = 1
			}
			return (p - t) * (p - t), 2 * (p - t)
		}
		s := &NetworkSettings{Sigmoid: Reciprocal, Steepness: 3}
		fr, err := net.SortLoss(x, sq, true, s)
		require.NoError(t, err)
		r, err := net.Sort(x, true, s)
		require.NoError(t, err)
		gp := mat.NewDense(n, n, nil)
		var want float64
		for i := range n {
			for j := range n {
				l, d := sq(i, j, r.P.At(i, j))
				want += l
				gp.Set(i, j, d)
			}
		}
		g, err := r.Backward(nil, gp)
		require.NoError(t, err)
		assert.InDelta(t, want, fr.Loss, 1e-12)
		assert.InDeltaSlice(t, g, fr.Grad, 1e-12)
		f := func(x []float64) float64 {
			r, err := net.SortLoss(x, sq, false, s)
			require.NoError(t, err)
			return r.Loss
		}
		assert.InDeltaSlice(t, fd.Gradient(nil, f, x, &fd.Settings{Formula: fd.Central, Step: 1e-6}), fr.Grad, 1e-7)
	}
	net, _ := NewNetwork(OddEven, 3)
	_, err := net.SortLoss([]float64{1, 2, 3}, nil, false, nil)
	assert.True(t, errors.Is(err, ErrInvalid))
	_, err = net.SortLoss([]float64{1, 2, 3}, func(int, int, float64) (float64, float64) { return math.NaN(), 0 }, false, nil)
	assert.True(t, errors.Is(err, ErrNaN))
}

func TestNetworkJVP(t *testing.T) {
	rng := rand.New(rand.NewPCG(47, 48))
	for _, kind := range []NetworkKind{OddEven, Bitonic} {
		for _, n := range []int{3, 6} {
			net, err := NewNetwork(kind, n)
			require.NoError(t, err)
			for _, sig := range allSigmoids {
				s := &NetworkSettings{Sigmoid: sig, Steepness: 1.5, Descending: n == 6}
				x, dx := randVec(rng, n), randVec(rng, n)
				r, err := net.Sort(x, true, s)
				require.NoError(t, err)
				dv, dp, err := r.Tangent(dx)
				require.NoError(t, err)
				// Central differences along dx.
				h := 1e-6
				xp, xm := make([]float64, n), make([]float64, n)
				for i := range x {
					xp[i], xm[i] = x[i]+h*dx[i], x[i]-h*dx[i]
				}
				rp, err := net.Sort(xp, true, s)
				require.NoError(t, err)
				rm, err := net.Sort(xm, true, s)
				require.NoError(t, err)
				for i := range n {
					assert.InDelta(t, (rp.Values[i]-rm.Values[i])/(2*h), dv[i], 1e-7)
					for j := range n {
						assert.InDelta(t, (rp.P.At(i, j)-rm.P.At(i, j))/(2*h), dp.At(i, j), 1e-7)
					}
				}
				// Adjoint identity ⟨g, J dx⟩ = ⟨Jᵀ g, dx⟩.
				gv := randVec(rng, n)
				gp := mat.NewDense(n, n, randVec(rng, n*n))
				gx, err := r.Backward(gv, gp)
				require.NoError(t, err)
				lhs := mat.Dot(mat.NewVecDense(n, gv), mat.NewVecDense(n, dv)) + mat.Sum(elemMul(gp, dp))
				rhs := mat.Dot(mat.NewVecDense(n, gx), mat.NewVecDense(n, dx))
				assert.InDelta(t, lhs, rhs, 1e-12*(1+math.Abs(lhs)))
			}
		}
	}
}

func TestRelaxSaturates(t *testing.T) {
	for _, sig := range allSigmoids {
		for _, d := range []float64{1e300, -1e300} {
			al, dal := relax(sig, 1e300, 0.25, d)
			want := 0.0
			if d > 0 {
				want = 1
			}
			assert.Equal(t, want, al, "%v d=%v", sig, d)
			assert.False(t, math.IsNaN(dal) || math.IsInf(dal, 0), "%v", sig)
		}
	}
}

func TestSortBCEBatchDeterministic(t *testing.T) {
	rng := rand.New(rand.NewPCG(49, 50))
	b, n := 6, 40
	x := mat.NewDense(b, n, randVec(rng, b*n))
	perms := make([][]int, b)
	for i := range b {
		perms[i] = Argsort(x.RawRowView(i), false)
	}
	var first []*BCEResult
	for _, workers := range []int{1, 4} {
		net, err := NewNetwork(Bitonic, n) // fresh: blocks built concurrently
		require.NoError(t, err)
		rs, err := net.SortBCEBatch(context.Background(), x, perms, false, &NetworkSettings{Workers: workers})
		require.NoError(t, err)
		if first == nil {
			first = rs
			continue
		}
		for i := range rs {
			assert.Equal(t, first[i].Loss, rs[i].Loss)
			assert.Equal(t, first[i].Grad, rs[i].Grad)
		}
	}
}
