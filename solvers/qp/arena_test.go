package qp

import (
	"context"
	"flag"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/mat"
)

// TestMain runs the package's tests with poisoned arena arrays (see
// arenaPoison): every array a solve takes without zeroing starts as NaN.
// Not when benchmarks are asked for: filling the arrays costs time.
func TestMain(m *testing.M) {
	flag.Parse()
	if f := flag.Lookup("test.bench"); f == nil || f.Value.String() == "" {
		arenaPoison = true
	}
	os.Exit(m.Run())
}

func TestSizeClass(t *testing.T) {
	prev := -1
	for n := arenaMin; n < 1<<16; n++ {
		c, capacity := sizeClass(n)
		require.GreaterOrEqual(t, capacity, n)
		require.Less(t, float64(capacity-n), float64(n)/8+1, "n=%d capacity=%d", n, capacity)
		require.GreaterOrEqual(t, c, prev, "classes not monotone at n=%d", n)
		prev = c
		// An array of the class's capacity maps back to the class.
		c2, cap2 := sizeClass(capacity)
		require.Equal(t, c, c2, "n=%d", n)
		require.Equal(t, capacity, cap2)
	}
	c, _ := sizeClass(math.MaxInt32)
	require.Less(t, c, len(floatPools))
}

// hashOutputs hashes every number of the solutions and gradients.
func hashOutputs(sols []*Solution, grads []*Gradient) uint64 {
	h := fnv.New64a()
	put := func(v ...float64) {
		for _, x := range v {
			b := math.Float64bits(x)
			h.Write([]byte{byte(b), byte(b >> 8), byte(b >> 16), byte(b >> 24), byte(b >> 32), byte(b >> 40), byte(b >> 48), byte(b >> 56)})
		}
	}
	dense := func(m *mat.Dense) {
		if m != nil {
			put(m.RawMatrix().Data...)
		}
	}
	for i, s := range sols {
		put(s.X...)
		put(s.Nu...)
		put(s.Lambda...)
		put(s.Slack...)
		put(s.Objective, s.Residuals.Primal, s.Residuals.Dual, s.Residuals.Gap, float64(s.Iterations), float64(s.Status))
		g := grads[i]
		dense(g.Q)
		put(g.P...)
		dense(g.A)
		put(g.B...)
		dense(g.G)
		put(g.H...)
	}
	return h.Sum64()
}

// TestRelease checks that solves in released (reused, poisoned) memory
// give the same numbers, bit for bit, as solves in fresh memory, for
// per-instance and shared matrices, and that a released Solution or
// Gradient is empty and reports ErrInvalid.
func TestRelease(t *testing.T) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(7, 8))
	for _, c := range []struct{ batch, n, neq, m int }{{6, 10, 0, 10}, {5, 40, 8, 30}, {3, 120, 0, 70}, {4, 30, 5, 0}} {
		probs := make([]*Problem, c.batch)
		gx := make([][]float64, c.batch)
		for i := range probs {
			probs[i] = randomQP(rng, c.n, c.neq, c.m)
			gx[i] = randVec(rng, c.n)
		}
		shared := make([]*Problem, c.batch)
		for i := range shared {
			pb := *probs[0]
			pb.P = randVec(rng, c.n)
			shared[i] = &pb
		}
		for _, batch := range [][]*Problem{probs, shared} {
			run := func() ([]*Solution, []*Gradient, uint64) {
				sols, err := SolveBatch(ctx, batch, nil)
				require.NoError(t, err)
				grads, err := BackwardBatch(sols, gx, nil, nil, nil)
				require.NoError(t, err)
				return sols, grads, hashOutputs(sols, grads)
			}
			_, _, fresh := run()
			for round := range 3 {
				sols, grads, h := run()
				require.Equal(t, fresh, h, "n=%d round %d: results changed in reused memory", c.n, round)
				for i := range sols {
					sols[i].Release()
					sols[i].Release() // twice: nothing
					grads[i].Release()
					require.Nil(t, sols[i].X)
					require.Nil(t, grads[i].Q)
					_, err := sols[i].Backward(gx[i], nil, nil)
					require.ErrorIs(t, err, ErrInvalid)
				}
			}
		}
	}
	var s *Solution
	s.Release()
	var g *Gradient
	g.Release()
	(&Solution{}).Release()
	(&Gradient{}).Release()
}

// TestReleaseKeepsOthers: releasing one Solution leaves the others of
// its batch, and its Gradients, intact.
func TestReleaseKeepsOthers(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	probs := []*Problem{randomQP(rng, 30, 4, 25), randomQP(rng, 30, 4, 25)}
	gx := [][]float64{randVec(rng, 30), randVec(rng, 30)}
	sols, err := SolveBatch(context.Background(), probs, nil)
	require.NoError(t, err)
	grads, err := BackwardBatch(sols, gx, nil, nil, nil)
	require.NoError(t, err)
	want := hashOutputs(sols[1:], grads[1:])
	g0 := append([]float64(nil), grads[0].P...)
	sols[0].Release()
	// Reuse the released memory for another solve.
	other, err := Solve(context.Background(), randomQP(rng, 30, 4, 25), nil)
	require.NoError(t, err)
	require.Equal(t, want, hashOutputs(sols[1:], grads[1:]))
	require.Equal(t, g0, grads[0].P)
	again, err := sols[1].Backward(gx[1], nil, nil)
	require.NoError(t, err)
	require.Equal(t, grads[1].P, again.P)
	other.Release()
}
