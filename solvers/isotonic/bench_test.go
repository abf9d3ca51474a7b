package isotonic

import (
	"math/rand/v2"
	"testing"
)

func BenchmarkProject(b *testing.B) {
	for _, n := range []int{100, 1000, 100000} {
		rng := rand.New(rand.NewPCG(1, uint64(n)))
		z, w := randVec(rng, n, 1), randVec(rng, n, 1)
		g := randVec(rng, n, 1)
		out, gz, gw := make([]float64, n), make([]float64, n), make([]float64, n)
		for _, reg := range []Regularization{L2, KL} {
			b.Run(reg.String()+"/n="+itoa(n), func(b *testing.B) {
				for b.Loop() {
					p, err := Project(out, z, w, reg)
					if err != nil {
						b.Fatal(err)
					}
					if err := p.Backward(gz, gw, g); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

func BenchmarkRegression(b *testing.B) {
	n := 100000
	rng := rand.New(rand.NewPCG(3, 4))
	y := randVec(rng, n, 1)
	for i := range y {
		y[i] += 1e-4 * float64(i)
	}
	v := make([]float64, n)
	for b.Loop() {
		if _, err := Regression(v, y, nil, false); err != nil {
			b.Fatal(err)
		}
	}
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var d []byte
	for ; n > 0; n /= 10 {
		d = append([]byte{byte('0' + n%10)}, d...)
	}
	return string(d)
}
