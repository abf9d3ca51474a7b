package gomlx

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/optlayers/optlayers/implicit"
	"github.com/optlayers/optlayers/solvers/smooth"
)

// BenchmarkConditionVJP times one engine VJP (linearize, solve, pull
// back) on a hand-written condition of the module and on the same
// condition written in GoMLX.
func BenchmarkConditionVJP(b *testing.B) {
	rng := rand.New(rand.NewPCG(5, 5))
	be := testBackend(b)
	for _, d := range []int{5, 20} {
		x, y := data(rng, 100, d, false)
		pb, err := smooth.Ridge(x, y, smooth.L2{})
		if err != nil {
			b.Fatal(err)
		}
		xl, yl := data(rng, 100, d, true)
		pbl, err := smooth.Logistic(xl, yl, smooth.L2{})
		if err != nil {
			b.Fatal(err)
		}
		w, g := randn(rng, d, 1), randn(rng, d, 1)
		for _, c := range []struct {
			name string
			cond implicit.Condition
		}{
			{"ridge/hand", smooth.Condition(pb)},
			{"ridge/gomlx", ridgeGoMLX(b, be, x, y, false, nil)},
			{"ridge/gomlx-matrix-free", ridgeGoMLX(b, be, x, y, false, &Settings{MatrixFree: true})},
			{"logistic/hand", smooth.Condition(pbl)},
			{"logistic/gomlx", logisticGoMLX(b, be, xl, yl, nil)},
			{"logistic/gomlx-matrix-free", logisticGoMLX(b, be, xl, yl, &Settings{MatrixFree: true})},
		} {
			b.Run(c.name+"/d="+itoa(d), func(b *testing.B) {
				for b.Loop() {
					if _, err := implicit.VJP(context.Background(), c.cond, w, []float64{0.3}, g, nil); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}
