package main

import (
	"math"
	"testing"
)

// The model layer and the hand-built QP layer agree on u₀(x₀) and
// ∂u₀/∂x₀, at saturated and unsaturated initial states.
func TestPoliciesAgree(t *testing.T) {
	model, hand := modelPolicy(), handPolicy()
	unsat := 0
	for _, x0 := range [][]float64{{1, 0}, {0.5, -0.5}, {-2, 1}, {0.1, 0.2}, {-0.3, 0.4}} {
		um, dm := model(x0)
		uh, dh := hand(x0)
		if math.Abs(um-uh) > 1e-7 || math.Abs(dm[0]-dh[0]) > 1e-6 || math.Abs(dm[1]-dh[1]) > 1e-6 {
			t.Errorf("x0 = %v: model (%v, %v), QP (%v, %v)", x0, um, dm, uh, dh)
		}
		if math.Abs(um) < 0.99 {
			unsat++
			if math.Abs(dm[0])+math.Abs(dm[1]) < 1e-3 {
				t.Errorf("x0 = %v: an unsaturated control with a zero derivative", x0)
			}
		}
	}
	if unsat < 2 {
		t.Errorf("only %d unsaturated instances", unsat)
	}
}
