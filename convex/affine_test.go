package convex

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/sparse"
)

// The affine forms of the canonicalization against the direct evaluation
// of the expressions (two independent code paths), at random values of
// the variables and parameters, for every affine operation.
func TestAffineFormsMatchEvaluation(t *testing.T) {
	rng := rand.New(rand.NewPCG(16, 9))
	x := NewVariable("x", 4)
	X := NewMatrixVariable("X", 3, 3)
	S := NewMatrixVariable("S", 3, 3, Symmetric())
	y := NewVariable("y", 3, Nonneg())
	p := NewParameter("p", 4)
	P := NewMatrixParameter("P", 3, 4)
	w := NewParameter("w", 1)
	sp, err := sparse.FromDense(mat.NewDense(3, 4, []float64{0, 1, 0, 2, 0, 0, 3, 0, -1, 0, 0, 0}))
	require.NoError(t, err)
	exprs := []*Expr{
		x.Add(p),
		x.Sub(p).Scale(-2.5),
		P.MatMul(x),
		ConstMat(sp).MatMul(x).Add(y),
		x.Mul(p),
		w.Mul(x).Add(Const(1)),
		X.MatMul(P),
		P.T().MatMul(X).Sum(),
		X.T(),
		X.Trace().Add(S.Trace()),
		S.Diag(),
		y.Diag(),
		X.Reshape(9, 1).Slice(2, 7),
		X.Submatrix(0, 2, 1, 3),
		X.At(2, 1).Mul(w),
		HStack(X, S, y),
		VStack(x, y, p.Slice(0, 2)),
		x.Pick([]int{3, 0, 0}),
		X.SumRows(),
		S.SumCols(),
		x.Dot(p),
		Eye(3).MatMul(S).Sub(X.T()),
		Ones(3, 3).Mul(S).Neg(),
		Sum(x, p, Const(2)),
	}
	for k, e := range exprs {
		require.NoError(t, e.Err(), "expression %d: %v", k, e)
		pb, err := NewProblem(Minimize(e.Sum()))
		require.NoError(t, err, "%v", e)
		b := &builder{pb: pb, memo: map[*Expr]lin{}, vars: map[*Variable]lin{}, q: map[[2]int32]term{}, p: map[int32]term{}}
		for _, v := range pb.vars {
			b.varLin(v)
		}
		l, err := b.canon(e)
		require.NoError(t, err)
		require.Len(t, l, e.Size())
		for range 3 {
			xv := randVec(rng, b.nx, 1)
			th := randVec(rng, pb.NumParams(), 1)
			sol := &Solution{pb: pb, theta: th, x: xv}
			want, err := sol.Value(e)
			require.NoError(t, err)
			got := make([]float64, len(l))
			for i, tm := range l {
				got[i] = tm.eval(xv, th)
			}
			assert.InDeltaSlice(t, want, got, 1e-12, "%v", e)
		}
	}
}
