package nlp

import (
	"math"
	"math/rand/v2"
	"testing"
)

// BenchmarkBallJacobian: projection onto a ball of radius r (θ = (c, r)),
// the full Jacobian ∂x*/∂θ from a given solution: multiplier recovery,
// KKT matrix, one LU, p solves. hand: all derivatives given; fd: only
// values and the objective gradient.
func BenchmarkBallJacobian(b *testing.B) {
	for _, n := range []int{10, 50, 200} {
		rng := rand.New(rand.NewPCG(uint64(n), 5))
		c := randVec(rng, n)
		nc := math.Sqrt(dot(c, c))
		theta := append(c, 0.5*nc)
		x := make([]float64, n)
		for i := range x {
			x[i] = 0.5 * c[i]
		}
		for _, hand := range []bool{true, false} {
			if !hand && n > 50 {
				continue
			}
			name := "hand"
			if !hand {
				name = "fd"
			}
			b.Run(name+"/n="+itoa(n), func(b *testing.B) {
				p := ball(n, hand)
				for b.Loop() {
					sol, err := NewSolution(p, x, theta, nil)
					if err != nil {
						b.Fatal(err)
					}
					if _, err := sol.Jacobian(); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
		b.Run("vjp-hand/n="+itoa(n), func(b *testing.B) {
			p := ball(n, true)
			g := randVec(rng, n)
			for b.Loop() {
				sol, err := NewSolution(p, x, theta, nil)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := sol.VJPX(g); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}
