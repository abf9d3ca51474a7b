package cone

import (
	"context"
	"errors"
	"math"
	"testing"

	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/sparse"
)

// certCase is an infeasible or unbounded instance with the status Solve
// must report.
type certCase struct {
	name string
	pb   func(t *testing.T) *Problem
	want Status
}

// certCases has an infeasible and an unbounded instance for every cone
// type (rows written as sᵢ = cᵢ + gᵢᵀx, see builder).
func certCases() []certCase {
	return []certCase{
		{"orthant/infeasible", func(t *testing.T) *Problem { // x ≥ 1, x ≤ 0
			bd := &builder{n: 1}
			bd.add(Nonnegative{2}, bd.lin(-1, 0, 1.0), bd.lin(0, 0, -1.0))
			return bd.problem(t, []float64{1}, nil)
		}, Infeasible},
		{"orthant/unbounded", func(t *testing.T) *Problem { // min −x₁ − x₂, x ≥ 0, x₁ − x₂ ≥ −1
			bd := &builder{n: 2}
			bd.add(Nonnegative{3}, bd.lin(0, 0, 1.0), bd.lin(0, 1, 1.0), bd.lin(1, 0, 1.0, 1, -1.0))
			return bd.problem(t, []float64{-1, -1}, nil)
		}, Unbounded},
		{"zero+orthant/infeasible", func(t *testing.T) *Problem { // x₁ + x₂ = −1, x ≥ 0
			bd := &builder{n: 2}
			bd.add(Zero{1}, bd.lin(1, 0, 1.0, 1, 1.0))
			bd.add(Nonnegative{2}, bd.lin(0, 0, 1.0), bd.lin(0, 1, 1.0))
			return bd.problem(t, []float64{1, 1}, nil)
		}, Infeasible},
		{"soc/infeasible", func(t *testing.T) *Problem { // ‖x‖ ≤ −1
			bd := &builder{n: 2}
			bd.add(SecondOrder{3}, bd.lin(-1), bd.lin(0, 0, 1.0), bd.lin(0, 1, 1.0))
			return bd.problem(t, []float64{0, 0}, nil)
		}, Infeasible},
		{"soc/unbounded", func(t *testing.T) *Problem { // min −x₁ s.t. |x₁| ≤ x₂
			bd := &builder{n: 2}
			bd.add(SecondOrder{2}, bd.lin(0, 1, 1.0), bd.lin(0, 0, 1.0))
			return bd.problem(t, []float64{-1, 0}, nil)
		}, Unbounded},
		{"psd/infeasible", func(t *testing.T) *Problem { // [[x, 1], [1, −x]] ⪰ 0
			bd := &builder{n: 1}
			bd.add(PSD{2}, bd.lin(0, 0, 1.0), bd.lin(math.Sqrt2), bd.lin(0, 0, -1.0))
			return bd.problem(t, []float64{0}, nil)
		}, Infeasible},
		{"psd/unbounded", func(t *testing.T) *Problem { // min −x s.t. diag(x, 1) ⪰ 0
			bd := &builder{n: 1}
			bd.add(PSD{2}, bd.lin(0, 0, 1.0), bd.lin(0), bd.lin(1))
			return bd.problem(t, []float64{-1}, nil)
		}, Unbounded},
		{"exp/infeasible", func(t *testing.T) *Problem { // (x, y, −1) ∈ Exp
			bd := &builder{n: 2}
			bd.add(Exp{}, bd.lin(0, 0, 1.0), bd.lin(0, 1, 1.0), bd.lin(-1))
			return bd.problem(t, []float64{0, 0}, nil)
		}, Infeasible},
		{"exp/unbounded", func(t *testing.T) *Problem { // min x s.t. (x, y, y) ∈ Exp: ray (−1, 0)
			bd := &builder{n: 2}
			bd.add(Exp{}, bd.lin(0, 0, 1.0), bd.lin(1, 1, 1.0), bd.lin(1, 1, 1.0))
			return bd.problem(t, []float64{1, 0}, nil)
		}, Unbounded},
		{"expdual/infeasible", func(t *testing.T) *Problem { // (u, v, −1) ∈ K*_exp
			bd := &builder{n: 2}
			bd.add(ExpDual{}, bd.lin(0, 0, 1.0), bd.lin(0, 1, 1.0), bd.lin(-1))
			return bd.problem(t, []float64{0, 0}, nil)
		}, Infeasible},
		{"expdual/unbounded", func(t *testing.T) *Problem { // min −v s.t. (−1, v, w) ∈ K*_exp, w ≥ e^{−v−1}… ray (v, w) = (1, 0)
			bd := &builder{n: 2}
			bd.add(ExpDual{}, bd.lin(-1), bd.lin(0, 0, 1.0), bd.lin(1, 1, 1.0))
			return bd.problem(t, []float64{-1, 0}, nil)
		}, Unbounded},
		{"power/infeasible", func(t *testing.T) *Problem { // (−1, y, z) ∈ Power
			bd := &builder{n: 2}
			bd.add(Power{0.3}, bd.lin(-1), bd.lin(0, 0, 1.0), bd.lin(0, 1, 1.0))
			return bd.problem(t, []float64{0, 0}, nil)
		}, Infeasible},
		{"power/unbounded", func(t *testing.T) *Problem { // min −z s.t. (x, x, z) ∈ Power: ray (1, 1)
			bd := &builder{n: 2}
			bd.add(Power{0.3}, bd.lin(0, 0, 1.0), bd.lin(0, 0, 1.0), bd.lin(0, 1, 1.0))
			return bd.problem(t, []float64{0, -1}, nil)
		}, Unbounded},
		{"powerdual/infeasible", func(t *testing.T) *Problem { // (u, −1, w) ∈ PowerDual
			bd := &builder{n: 2}
			bd.add(PowerDual{0.6}, bd.lin(0, 0, 1.0), bd.lin(-1), bd.lin(0, 1, 1.0))
			return bd.problem(t, []float64{0, 0}, nil)
		}, Infeasible},
		{"powerdual/unbounded", func(t *testing.T) *Problem { // min −w s.t. (u, u, w) ∈ PowerDual
			bd := &builder{n: 2}
			bd.add(PowerDual{0.6}, bd.lin(0, 0, 1.0), bd.lin(0, 0, 1.0), bd.lin(0, 1, 1.0))
			return bd.problem(t, []float64{0, -1}, nil)
		}, Unbounded},
	}
}

// TestCertificates: every infeasible or unbounded instance gets its
// status, its error (errors.Is ErrInfeasible / ErrUnbounded) and a
// certificate that passes the test's own check, written from the
// definitions with the test-side membership functions of helpers_test.go:
//
//	infeasible: bᵀy < 0, ‖Aᵀy‖∞ ≤ 1e-7·|bᵀy|, y ∈ K* (to 1e-7·‖y‖∞);
//	unbounded:  pᵀx < 0, ‖Qx‖∞ ≤ 1e-7·|pᵀx|, −Ax ∈ K (to 1e-7·‖x‖∞).
func TestCertificates(t *testing.T) {
	for _, c := range certCases() {
		t.Run(c.name, func(t *testing.T) {
			pb := c.pb(t)
			sol, err := Solve(context.Background(), pb, nil)
			require.Error(t, err)
			require.NotNil(t, sol)
			require.Equal(t, c.want, sol.Status, "err %v", err)
			n, m := pb.Dims()
			a := pb.A.Dense()
			switch c.want {
			case Infeasible:
				require.True(t, errors.Is(err, ErrInfeasible), "%v", err)
				y := sol.Certificate
				require.Len(t, y, m)
				by := 0.0
				for i := range m {
					by += pb.B[i] * y[i]
				}
				require.Less(t, by, 0.0)
				for j := range n {
					s := 0.0
					for i := range m {
						s += a.At(i, j) * y[i]
					}
					require.LessOrEqual(t, math.Abs(s), 1e-7*math.Abs(by), "Aᵀy")
				}
				requireInProduct(t, pb.K.Dual().(*Product), y, 1e-7*math.Max(1, maxAbs(y)))
			case Unbounded:
				require.True(t, errors.Is(err, ErrUnbounded), "%v", err)
				x := sol.Certificate
				require.Len(t, x, n)
				px := 0.0
				for j := range n {
					px += pb.P[j] * x[j]
				}
				require.Less(t, px, 0.0)
				ax := make([]float64, m)
				for i := range m {
					for j := range n {
						ax[i] -= a.At(i, j) * x[j]
					}
				}
				requireInProduct(t, pb.K, ax, 1e-7*math.Max(1, maxAbs(x)))
			}
			t.Logf("%s: %v after %d iterations", c.name, sol.Status, sol.Iterations)
		})
	}
}

// requireInProduct checks v ∈ K block by block with inConeT.
func requireInProduct(t *testing.T, k *Product, v []float64, tol float64) {
	t.Helper()
	off := k.Offsets()
	for i, c := range k.Cones() {
		require.True(t, inConeT(c, v[off[i]:off[i+1]], tol), "block %d (%T): %v", i, c, v[off[i]:off[i+1]])
	}
}

// TestRayFailsCheaply: the diagonal lower bound of the distance rejects
// rays whose −Ax has a negative orthant entry or PSD diagonal entry, and
// keeps a true ray and one whose −Ax is indefinite with a positive
// diagonal for the full check (which then accepts the first and rejects
// the second).
func TestRayFailsCheaply(t *testing.T) {
	r2 := math.Sqrt2
	// min −x s.t. Ax + s = b, s ∈ R₊ × PSD(2) (svec: x₁₁, √2x₂₁, x₂₂)
	mk := func(col []float64) *Problem {
		a, err := sparse.FromDense(mat.NewDense(4, 1, col))
		require.NoError(t, err)
		k, err := NewProduct(Nonnegative{1}, PSD{N: 2})
		require.NoError(t, err)
		return &Problem{P: []float64{-1}, A: a, B: []float64{1, 1, 0, 1}, K: k}
	}
	x := []float64{1}
	for _, c := range []struct {
		name       string
		col        []float64
		cheap, ray bool
	}{
		{"ray", []float64{-1, -1, 0, -1}, false, true},
		{"negative orthant entry", []float64{1, -1, 0, -1}, true, false},
		{"negative PSD diagonal", []float64{-1, -1, 0, 0.5}, true, false},
		{"indefinite, positive diagonal", []float64{-1, -1, -2 * r2, -1}, false, false},
	} {
		pb := mk(c.col)
		blocks, err := validateProblem(pb)
		require.NoError(t, err)
		require.Equal(t, c.cheap, rayFailsCheaply(pb, blocks, x, 1e-8), c.name)
		ok, _ := checkUnboundedCert(pb, x, 1e-8)
		require.Equal(t, c.ray, ok, c.name)
	}
}
