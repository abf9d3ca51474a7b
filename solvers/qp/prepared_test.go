package qp

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/mat"
)

// A Prepared solve must give exactly what Solve gives, for both
// reductions, from many goroutines at once.
func TestPreparedMatchesSolve(t *testing.T) {
	rng := rand.New(rand.NewPCG(41, 42))
	for _, c := range []struct {
		n, neq, m int
		singular  bool
	}{{8, 0, 6, false}, {12, 4, 10, false}, {10, 3, 12, true}} {
		base := randomQP(rng, c.n, c.neq, c.m)
		if c.singular {
			lowRankWithBox(rng, base, 2, 5)
		}
		pr, err := Prepare(base)
		require.NoError(t, err)
		n, neq, m := pr.Dims()
		require.Equal(t, []int{c.n, c.neq, len(base.H)}, []int{n, neq, m})
		var wg sync.WaitGroup
		for k := range 6 {
			pb := *base
			pb.P = randVec(rng, n)
			pb.H = append([]float64(nil), base.H...)
			for i := range pb.H {
				pb.H[i] += 0.5 * rng.Float64()
			}
			want, err := Solve(context.Background(), &pb, nil)
			require.NoError(t, err)
			wg.Go(func() {
				got, err := pr.Solve(context.Background(), pb.P, pb.B, pb.H, nil)
				if !(err == nil && got.Status == Optimal) {
					t.Errorf("instance %d: %v", k, err)
					return
				}
				for i := range want.X {
					if got.X[i] != want.X[i] {
						t.Errorf("instance %d: x[%d] = %v, Solve gives %v", k, i, got.X[i], want.X[i])
						return
					}
				}
				gw, err1 := want.Backward(ones(n), nil, nil)
				gg, err2 := got.Backward(ones(n), nil, nil)
				if err1 != nil || err2 != nil || math.Abs(gw.H[0]-gg.H[0]) > 1e-12 {
					t.Errorf("instance %d: gradients differ or fail: %v %v", k, err1, err2)
				}
			})
		}
		wg.Wait()
	}
}

func TestPreparedBadInput(t *testing.T) {
	rng := rand.New(rand.NewPCG(43, 44))
	base := randomQP(rng, 5, 2, 4)
	pr, err := Prepare(base)
	require.NoError(t, err)
	_, err = pr.Solve(context.Background(), make([]float64, 4), base.B, base.H, nil)
	require.ErrorIs(t, err, ErrDims)
	_, err = pr.Solve(context.Background(), []float64{1, 2, math.NaN(), 4, 5}, base.B, base.H, nil)
	require.ErrorIs(t, err, ErrNaN)
	var nilPr *Prepared
	_, err = nilPr.Solve(context.Background(), base.P, base.B, base.H, nil)
	require.ErrorIs(t, err, ErrDims)
	// Indefinite Q is refused at Prepare.
	q := mat.NewSymDense(5, nil)
	for i := range 5 {
		q.SetSym(i, i, 1)
	}
	q.SetSym(2, 2, -1)
	bad := *base
	bad.Q = q
	_, err = Prepare(&bad)
	require.True(t, errors.Is(err, ErrNotConvex), "got %v", err)
	// Infeasible vectors are diagnosed as by Solve.
	g := mat.NewDense(2, 5, []float64{1, 0, 0, 0, 0, -1, 0, 0, 0, 0})
	inf := &Problem{Q: base.Q, P: base.P, G: g, H: []float64{-1, -1}}
	pr2, err := Prepare(inf)
	require.NoError(t, err)
	_, err = pr2.Solve(context.Background(), inf.P, nil, inf.H, nil)
	require.ErrorIs(t, err, ErrInfeasible)
}

func ones(n int) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = 1
	}
	return v
}
