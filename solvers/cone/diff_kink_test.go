package cone

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/implicit"
	"github.com/optlayers/optlayers/sparse"
)

// Degenerate points. The projection problem
//
//	minimize ½‖x − c‖²  s.t.  x ∈ K   (Q = I, p = −c, A = −I, b = 0, s = x)
//
// has the solution x(c) = Π_K(c), y = x − c, and fails strict
// complementarity exactly when c lies on a boundary between the cases of
// Π_K (c ∈ ∂K: y = 0 and s = c on the boundary; c on the boundary of the
// polar cone: x = 0 with y = −c on the boundary of K*). There Π_K has one-sided
// derivatives only; the derivative of the solution must be the one-sided
// derivative of the side that the documented element of DΠ_{K*} stands
// for, checked here against one-sided differences of Π_K itself (an
// independent closed form) along directions into that side, and its VJP
// must be the adjoint of that JVP.
func TestDegenerateDerivatives(t *testing.T) {
	inv := 1 / math.Sqrt2
	for _, tc := range []struct {
		name string
		k    Cone
		c    []float64 // on a case boundary of Π_K
		d    []float64 // a direction of c into the side of the element
		away []float64 // a direction into the other side (one-sided differences differ)
	}{
		// Orthant, c₁ = 0: element 0 of DΠ_{K*} at v = 0 keeps y₁ = 0 (the
		// row inactive, s₁ moves): the side c₁ > 0.
		{"orthant c on the boundary", Nonnegative{3}, []float64{0, 2, -1}, []float64{1, 0.3, 0.2}, []float64{-1, 0.3, 0.2}},
		// SOC, c ∈ ∂K: v = −c on the polar boundary of K* = K, element 0:
		// y stays 0, x = c moves freely: the side c + εd ∈ int K.
		{"SOC c on the boundary", SecondOrder{3}, []float64{5, 3, 4}, []float64{1, 0, 0}, []float64{-1, 0, 0}},
		// SOC, −c ∈ ∂K (c on the polar boundary): x = 0, y = −c ∈ ∂K, v = y
		// on the boundary of K*, element I: s = x stays 0, the side
		// c + εd ∈ int K°.
		{"SOC c on the polar boundary", SecondOrder{3}, []float64{-5, 3, 4}, []float64{-1, 0, 0}, []float64{1, 0, 0}},
		// PSD, c = diag(1, 0) (rank one): v = −c has the eigenvalues −1, 0;
		// element B = 0 on the zero eigenvalue: y stays 0, the side where
		// the zero eigenvalue becomes positive.
		{"PSD c of rank one", PSD{2}, []float64{1, 0, 0}, []float64{0.2, 0.3 * inv, 1}, []float64{0.2, 0.3 * inv, -1}},
		// Exp, c on ∂K_exp: (1, 1, e); element of ExpDual at −c (∂ of
		// the polar): y stays 0, the side into int K.
		{"Exp c on the boundary", Exp{}, []float64{1, 1, math.E}, []float64{0, 0, 1}, []float64{0, 0, -1}},
		// Power, c on ∂K_α.
		{"Power c on the boundary", Power{0.5}, []float64{4, 1, 2}, []float64{0, 0, -1}, []float64{0, 0, 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := tc.k.Dim()
			k, err := NewProduct(tc.k)
			require.NoError(t, err)
			eye := mat.NewSymDense(d, nil)
			negI := mat.NewDense(d, d, nil)
			for i := range d {
				eye.SetSym(i, i, 1)
				negI.Set(i, i, -1)
			}
			q, _ := sparse.SymFromDense(eye)
			a, _ := sparse.FromDense(negI)
			x := make([]float64, d)
			require.NoError(t, tc.k.Project(x, tc.c))
			pb := &Problem{Q: q, P: neg(tc.c), A: a, B: make([]float64, d), K: k}
			y := make([]float64, d)
			for i := range y {
				y[i] = x[i] - tc.c[i]
			}
			sol := &Solution{X: x, Y: y, S: append([]float64(nil), x...), Status: Optimal, pb: pb}
			l := sol.Layout()
			// dθ moves p = −c by −d (c by +d).
			dir := func(dc []float64) []float64 {
				th := make([]float64, l.Len())
				_, tp, _, _, _ := l.Parts(th)
				for i := range tp {
					tp[i] = -dc[i]
				}
				return th
			}
			oneSided := func(dc []float64) []float64 {
				const h = 1e-7
				cp := make([]float64, d)
				for i := range cp {
					cp[i] = tc.c[i] + h*dc[i]
				}
				xp := make([]float64, d)
				require.NoError(t, tc.k.Project(xp, cp))
				for i := range xp {
					xp[i] = (xp[i] - x[i]) / h
				}
				return xp
			}
			tan := make([]float64, l.LenZ())
			require.NoError(t, sol.JVP(tan, dir(tc.d)))
			want := oneSided(tc.d)
			assert.Less(t, diffRel(want, tan[:d]), 1e-5, "JVP = one-sided difference on the element's side: %v vs %v", tan[:d], want)
			other := oneSided(tc.away)
			tanA := make([]float64, l.LenZ())
			require.NoError(t, sol.JVP(tanA, dir(tc.away)))
			assert.Greater(t, diffRel(other, tanA[:d]), 1e-3, "the other side differs (a genuine kink): %v vs %v", tanA[:d], other)

			// The VJP is the adjoint of the same element, and the engine on
			// the residual map (whose ∂F uses the same element) agrees.
			g := randVec(newRand(), l.LenZ(), 1)
			vj := make([]float64, l.Len())
			require.NoError(t, sol.VJP(vj, g))
			dd := randVec(newRand(), l.Len(), 1)
			jv := make([]float64, l.LenZ())
			require.NoError(t, sol.JVP(jv, dd))
			assert.InDelta(t, dot(g, jv), dot(vj, dd), 1e-9*(1+math.Abs(dot(g, jv))))
			c, z, theta := sol.Condition()
			eng, err := implicit.VJP(t.Context(), c, z, theta, g, nil)
			require.NoError(t, err)
			assert.Less(t, diffRel(eng, vj), 1e-9, "engine vs direct route at the degenerate point")
		})
	}
}
