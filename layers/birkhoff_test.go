package layers

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/diff/fd"
	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/implicit"
	"github.com/optlayers/optlayers/internal/testutil"
	"github.com/optlayers/optlayers/sinkhorn"
)

func randUnit(rng *rand.Rand, n, m int) *mat.Dense {
	c := mat.NewDense(n, m, nil)
	for i := range n {
		for j := range m {
			c.Set(i, j, rng.Float64())
		}
	}
	return c
}

func randNormal(rng *rand.Rand, n, d int) *mat.Dense {
	x := mat.NewDense(n, d, nil)
	for i := range n {
		for k := range d {
			x.Set(i, k, rng.NormFloat64())
		}
	}
	return x
}

func scaledBy(m *mat.Dense, h float64) *mat.Dense {
	var out mat.Dense
	out.Scale(h, m)
	return &out
}

func elemMul(a, b *mat.Dense) *mat.Dense {
	var out mat.Dense
	out.MulElem(a, b)
	return &out
}

func TestBirkhoffGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(30, 1))
	for range 3 {
		n := 3 + rng.IntN(4)
		s := randUnit(rng, n, n)
		l := &Birkhoff{Tau: 0.2, Settings: &sinkhorn.Settings{Tol: 1e-14, Norm: sinkhorn.LInf, MaxIter: 100000, Mode: sinkhorn.LogDomain}}
		out, err := l.Forward(context.Background(), s)
		require.NoError(t, err)
		rows, cols := make([]float64, n), make([]float64, n)
		for i := range n {
			for j := range n {
				rows[i] += out.P.At(i, j)
				cols[j] += out.P.At(i, j)
			}
		}
		for i := range n {
			assert.InDelta(t, 1, rows[i], 1e-12)
			assert.InDelta(t, 1, cols[i], 1e-12)
		}
		gp := randUnit(rng, n, n)
		gs, err := out.Backward(gp)
		require.NoError(t, err)
		ds := randUnit(rng, n, n)
		want := fd.Derivative(func(h float64) float64 {
			sh := mat.DenseCopyOf(s)
			sh.Add(sh, scaledBy(ds, h))
			o, err := l.Forward(context.Background(), sh)
			require.NoError(t, err)
			return mat.Sum(elemMul(o.P, gp))
		}, 0, &fd.Settings{Formula: fd.Central, Step: 1e-5})
		assert.InDelta(t, want, mat.Sum(elemMul(gs, ds)), 1e-6*max(1, math.Abs(want)))
	}
}

// Re-basin (Peña et al. 2023): two copies of a one-hidden-layer network
// whose hidden units are permuted; learn the permutation by gradient
// descent on the scores of a Birkhoff layer.
func TestRebasinRecoversPermutation(t *testing.T) {
	for seed := range uint64(5) {
		rng := rand.New(rand.NewPCG(31, seed))
		h, d, o := 10, 12, 4
		w1a, w2a := randNormal(rng, h, d), randNormal(rng, o, h)
		perm := rng.Perm(h)
		pi := mat.NewDense(h, h, nil)
		for i, j := range perm {
			pi.Set(i, j, 1)
		}
		var w1b, w2b mat.Dense
		w1b.Mul(pi, w1a)
		w2b.Mul(w2a, pi.T())
		noise := randNormal(rng, h, d)
		noise.Scale(0.1, noise)
		w1b.Add(&w1b, noise)

		l := &Birkhoff{Tau: 0.5, Settings: &sinkhorn.Settings{Tol: 1e-10, Anderson: 5}}
		scores := mat.NewDense(h, h, nil)
		loss := func(p *mat.Dense) (float64, *mat.Dense) {
			var r1, r2, g1, g2 mat.Dense
			r1.Mul(p, w1a)
			r1.Sub(&r1, &w1b)
			r2.Mul(w2a, p.T())
			r2.Sub(&r2, &w2b)
			g1.Mul(&r1, w1a.T())
			g2.Mul(r2.T(), w2a)
			g1.Add(&g1, &g2)
			g1.Scale(2, &g1)
			return mat.Norm(&r1, 2)*mat.Norm(&r1, 2) + mat.Norm(&r2, 2)*mat.Norm(&r2, 2), &g1
		}
		var first, last float64
		for step := range 30 {
			out, err := l.Forward(context.Background(), scores)
			require.NoError(t, err)
			v, gp := loss(out.P)
			if step == 0 {
				first = v
			}
			last = v
			gs, err := out.Backward(gp)
			require.NoError(t, err)
			// Normalized gradient step.
			scores.Sub(scores, scaledBy(gs, 0.5/(mat.Norm(gs, math.Inf(1))+1e-12)))
		}
		out, err := l.Forward(context.Background(), scores)
		require.NoError(t, err)
		got, err := RoundToPermutation(out.P)
		require.NoError(t, err)
		assert.Equal(t, perm, got, "seed %d", seed)
		assert.Less(t, last, first/10, "seed %d", seed)
	}
}

func TestAdversarialBirkhoff(t *testing.T) {
	s := mat.NewDense(3, 3, []float64{3, 1, 0, 0, 1, 3, 1, 3, 0})
	perm := func(name string, p mat.Matrix, want error) testutil.Case {
		return testutil.Case{Name: "RoundToPermutation/" + name, Want: want, Call: func(context.Context) (func() error, error) {
			got, err := RoundToPermutation(p)
			return func() error {
				n, _ := p.Dims()
				seen := make([]bool, n)
				for _, j := range got {
					if j < 0 || j >= n || seen[j] {
						return fmt.Errorf("%v is not a permutation", got)
					}
					seen[j] = true
				}
				if len(got) != n {
					return fmt.Errorf("%v has length %d, want %d", got, len(got), n)
				}
				return nil
			}, err
		}}
	}
	cases := []testutil.Case{
		perm("nil", nil, ErrDims),
		perm("empty", &mat.Dense{}, ErrDims),
		perm("2×3", mat.NewDense(2, 3, nil), ErrDims),
		perm("NaN", mat.NewDense(2, 2, []float64{math.NaN(), 0, 0, 1}), ErrNaN),
		perm("Inf", mat.NewDense(2, 2, []float64{1, 0, math.Inf(-1), 1}), ErrNaN),
		perm("all equal", mat.NewDense(3, 3, nil), nil),
		perm("1e300", mat.NewDense(2, 2, []float64{1e300, -1e300, 0, 1e300}), nil),
		perm("ok", s, nil),
		{Name: "Forward/nil layer", Want: ErrInvalid, Call: func(ctx context.Context) (func() error, error) {
			var l *Birkhoff
			_, err := l.Forward(ctx, s)
			return nil, err
		}},
		{Name: "Forward/nil scores", Want: ErrDims, Call: func(ctx context.Context) (func() error, error) {
			_, err := (&Birkhoff{Tau: 1}).Forward(ctx, nil)
			return nil, err
		}},
		{Name: "Forward/not square", Want: ErrDims, Call: func(ctx context.Context) (func() error, error) {
			_, err := (&Birkhoff{Tau: 1}).Forward(ctx, mat.NewDense(2, 3, nil))
			return nil, err
		}},
		{Name: "Forward/τ 0", Want: sinkhorn.ErrEpsilon, Call: func(ctx context.Context) (func() error, error) {
			_, err := (&Birkhoff{}).Forward(ctx, s)
			return nil, err
		}},
		{Name: "Forward/τ NaN", Want: sinkhorn.ErrEpsilon, Call: func(ctx context.Context) (func() error, error) {
			_, err := (&Birkhoff{Tau: math.NaN()}).Forward(ctx, s)
			return nil, err
		}},
		{Name: "Forward/NaN scores", Want: sinkhorn.ErrNaN, Call: func(ctx context.Context) (func() error, error) {
			_, err := (&Birkhoff{Tau: 1}).Forward(ctx, mat.NewDense(2, 2, []float64{math.NaN(), 0, 0, 0}))
			return nil, err
		}},
		{Name: "Forward/bad settings", Want: sinkhorn.ErrInvalid, Call: func(ctx context.Context) (func() error, error) {
			_, err := (&Birkhoff{Tau: 1, Settings: &sinkhorn.Settings{Tol: -1}}).Forward(ctx, s)
			return nil, err
		}},
		{Name: "Forward/bad Diff", Want: ErrInvalid, Call: func(ctx context.Context) (func() error, error) {
			_, err := (&Birkhoff{Tau: 1, Diff: &sinkhorn.DiffSettings{Ridge: -1}}).Forward(ctx, s)
			return nil, err
		}},
		{Name: "Forward/canceled", Want: context.Canceled, Call: func(context.Context) (func() error, error) {
			_, err := (&Birkhoff{Tau: 1}).Forward(testutil.Canceled(), s)
			return nil, err
		}},
		{Name: "Backward/nil output", Want: ErrDims, Call: func(context.Context) (func() error, error) {
			var o *BirkhoffOutput
			_, err := o.Backward(s)
			return nil, err
		}},
		{Name: "Backward/zero output", Want: ErrDims, Call: func(context.Context) (func() error, error) {
			_, err := (&BirkhoffOutput{}).Backward(s)
			return nil, err
		}},
		{Name: "Backward/nil gradient", Want: ErrDims, Call: func(ctx context.Context) (func() error, error) {
			o, err := (&Birkhoff{Tau: 1}).Forward(ctx, s)
			if err != nil {
				return nil, err
			}
			_, err = o.Backward(nil)
			return nil, err
		}},
		{Name: "Backward/NaN gradient", Want: ErrNaN, Call: func(ctx context.Context) (func() error, error) {
			o, err := (&Birkhoff{Tau: 1}).Forward(ctx, s)
			if err != nil {
				return nil, err
			}
			_, err = o.Backward(mat.NewDense(3, 3, []float64{math.NaN(), 0, 0, 0, 0, 0, 0, 0, 0}))
			return nil, err
		}},
		{Name: "Forward+Backward/ok", Call: func(ctx context.Context) (func() error, error) {
			o, err := (&Birkhoff{Tau: 0.5}).Forward(ctx, s)
			if err != nil {
				return nil, err
			}
			g, err := o.Backward(mat.NewDense(3, 3, []float64{1, 0, 0, 0, 0, 0, 0, 0, 0}))
			return func() error {
				if err := testutil.Finite("P", o.P.RawMatrix().Data); err != nil {
					return err
				}
				for i := range 3 {
					if rs := mat.Sum(o.P.RowView(i)); math.Abs(rs-1) > 1e-6 {
						return fmt.Errorf("row %d of P sums to %v", i, rs)
					}
				}
				return testutil.Finite("grad", g.RawMatrix().Data)
			}, err
		}},
	}
	testutil.RunAdversarial(t, cases)
}

// TestBirkhoffContract checks the sentinels of the contract's VJP and JVP
// and that the flat VJP is Backward (the derivatives themselves are
// checked by package implicit/conformance).
func TestBirkhoffContract(t *testing.T) {
	bo, err := (&Birkhoff{Tau: 0.5}).Forward(context.Background(), mat.NewDense(2, 2, []float64{1, 0, 0.3, 0.8}))
	require.NoError(t, err)
	var r implicit.Differentiable = bo
	c, z, th := r.Condition()
	require.NotNil(t, c)
	nz, np := c.Dims()
	require.Equal(t, len(z), nz)
	require.Equal(t, len(th), np)
	require.Equal(t, []float64{1, 0, 0.3, 0.8}, th)
	require.ErrorIs(t, r.VJP(make([]float64, np+1), make([]float64, nz)), ErrDims)
	require.ErrorIs(t, r.JVP(make([]float64, nz), make([]float64, np-1)), ErrDims)
	g := make([]float64, nz)
	g[0] = math.NaN()
	require.ErrorIs(t, r.VJP(make([]float64, np), g), ErrNaN)
	d := make([]float64, np)
	d[0] = math.Inf(-1)
	require.ErrorIs(t, r.JVP(make([]float64, nz), d), ErrNaN)
	var none *BirkhoffOutput
	cn, _, _ := none.Condition()
	require.Nil(t, cn)
	require.ErrorIs(t, none.VJP(nil, nil), ErrDims)
	require.ErrorIs(t, none.JVP(nil, nil), ErrDims)
	gp := mat.NewDense(2, 2, []float64{0.3, -1, 0.2, 0.5})
	typed, err := bo.Backward(gp)
	require.NoError(t, err)
	flat := make([]float64, 4)
	require.NoError(t, bo.VJP(flat, gp.RawMatrix().Data))
	require.Equal(t, typed.RawMatrix().Data, flat)
}
