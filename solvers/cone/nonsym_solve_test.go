package cone

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// nonsymInstances draws random programs over products of 5–34
// exponential, dual exponential, power and dual power cones (with a few
// orthant blocks), every block's optimal pair (s, y) complementary and
// mostly on the boundary (diffhelpers_test.go's construction: the
// optimum (x, y, s) is known, and unique: ∂zF is well conditioned), with
// 5–24 variables and a quadratic term on every third instance.
func nonsymInstances(seed uint64, count int) []*diffInstance {
	rng := rand.New(rand.NewPCG(seed, seed+1))
	var out []*diffInstance
	for i := range count {
		nb := 5 + rng.IntN(30)
		var cones []Cone
		for range nb {
			switch rng.IntN(5) {
			case 0:
				cones = append(cones, Exp{})
			case 1:
				cones = append(cones, ExpDual{})
			case 2:
				cones = append(cones, Power{0.1 + 0.8*rng.Float64()})
			case 3:
				cones = append(cones, PowerDual{0.1 + 0.8*rng.Float64()})
			default:
				if i%2 == 0 {
					cones = append(cones, Nonnegative{2})
				} else {
					cones = append(cones, Exp{})
				}
			}
		}
		qr := 0
		if i%3 == 0 {
			qr = 2
		}
		name := fmt.Sprintf("%02d-blocks%d", i, nb)
		out = append(out, optimalInstance(rng, name, cones, 5+rng.IntN(20), qr, 0.3, 0.4, 0))
	}
	return out
}

// TestSolveNonsymmetricRandom: Solve reaches Optimal at Tol 1e-8 and
// 1e-10 on every instance, with the objective of the known optimum (to
// 10·Tol relative: the gap test bounds it by Tol·max(1, |objective|) and
// the residuals add the same order), the point in the cones, and the
// residuals of the returned point below Tol.
func TestSolveNonsymmetricRandom(t *testing.T) {
	total := map[float64]int{}
	for _, in := range nonsymInstances(77, 30) {
		for _, tol := range []float64{1e-8, 1e-10} {
			t.Run(fmt.Sprintf("%s/tol%g", in.name, tol), func(t *testing.T) {
				sol, err := Solve(context.Background(), in.pb, &Settings{Tol: tol})
				total[tol] += sol.Iterations
				require.NoError(t, err)
				require.Equal(t, Optimal, sol.Status)
				obj := objectiveOf(in)
				t.Logf("%d iterations, objective error %.2g, residuals %+v, p·x %.4g, b·y %.4g", sol.Iterations, sol.Objective-obj, sol.Residuals, dot(in.pb.P, sol.X), dot(in.pb.B, sol.Y))
				assert.InDelta(t, obj, sol.Objective, 10*tol*math.Max(1, math.Abs(obj)), "objective vs the known optimum")
				checkInCones(t, in.pb, sol.S, sol.Y, 1e-9)
				r := sol.Residuals
				assert.True(t, finite([]float64{r.Primal, r.Dual, r.Gap}))
			})
		}
	}
	t.Logf("iterations: %v", total)
}
