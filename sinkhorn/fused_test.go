package sinkhorn

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestFusedKernelPassSameBits checks that the fused kernel iteration
// (kernelFusedPass) gives the same iterates, bit for bit, as the row pass,
// the relaxation and the column pass run one after the other: same
// potentials, iteration counts and errors, balanced and
// unbalanced, with and without over-relaxation, with one and two workers,
// on sizes that are and are not multiples of the row block and of the
// kernel chunk, and on small ε where re-absorptions happen.
func TestFusedKernelPassSameBits(t *testing.T) {
	rng := rand.New(rand.NewPCG(51, 1))
	defer func() { fuseKernelPasses = true }()
	for trial, sz := range [][2]int{{7, 5}, {64, 33}, {257, 130}, {600, 520}} {
		n, m := sz[0], sz[1]
		pb := &Problem{Cost: randCost(rng, n, m), A: randWeights(rng, n, 1), B: randWeights(rng, m, 1), Epsilon: 0.01 + 0.05*rng.Float64()}
		if trial == 1 {
			pb.TauA, pb.TauB = 0.5, 2
		}
		for _, s := range []Settings{
			{Mode: Kernel, Workers: 1},
			{Mode: Kernel, Workers: 2, Momentum: 1.4},
			{Mode: Kernel, Workers: 2, AdaptiveMomentum: true},
			{Mode: Kernel, Workers: 1, EpsilonScaling: 0.5, AbsorbThreshold: 2},
		} {
			var res [2]*Result
			for k, fuse := range []bool{false, true} {
				fuseKernelPasses = fuse
				s := s
				r, err := Solve(context.Background(), pb, &s)
				require.NoError(t, err, "trial %d %+v", trial, s)
				res[k] = r
			}
			a, b := res[0], res[1]
			require.Equal(t, a.Iterations, b.Iterations, "trial %d %+v", trial, s)
			require.Equal(t, a.F, b.F, "trial %d %+v", trial, s)
			require.Equal(t, a.G, b.G, "trial %d %+v", trial, s)
			require.Equal(t, a.Error, b.Error, "trial %d %+v", trial, s)
		}
	}
}

// TestFusedNewtonSameBits is TestFusedKernelPassSameBits for the Newton
// steps (their Schur-complement products, kernelSchurOp).
func TestFusedNewtonSameBits(t *testing.T) {
	rng := rand.New(rand.NewPCG(51, 2))
	defer func() { fuseKernelPasses = true }()
	for trial, sz := range [][2]int{{30, 20}, {300, 270}} {
		n, m := sz[0], sz[1]
		pb := &Problem{Cost: randCost(rng, n, m), A: randWeights(rng, n, 1), B: randWeights(rng, m, 1), Epsilon: 0.01}
		for _, w := range []int{1, 2} {
			s := Settings{Mode: Kernel, Workers: w, EpsilonScaling: 0.5, Newton: true, NewtonStart: 1e-3, MaxIter: 20000}
			var res [2]*Result
			for k, fuse := range []bool{false, true} {
				fuseKernelPasses = fuse
				s := s
				r, err := Solve(context.Background(), pb, &s)
				require.NoError(t, err, "trial %d workers %d", trial, w)
				res[k] = r
			}
			require.Equal(t, res[0].Iterations, res[1].Iterations, "trial %d workers %d", trial, w)
			require.Equal(t, res[0].F, res[1].F, "trial %d workers %d", trial, w)
			require.Equal(t, res[0].G, res[1].G, "trial %d workers %d", trial, w)
		}
	}
}
