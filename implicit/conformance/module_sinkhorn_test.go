package conformance_test

// The differentiable results of package sinkhorn:
//
//	sinkhorn  *sinkhorn.Result: z = the potentials (f, g), θ = (C, a, b) for
//	          a cost matrix (balanced, along mass-preserving directions, and
//	          unbalanced) and (X, Y, a, b) for point clouds
//	          *sinkhorn.Unrolled: z = the last iterates after T iterations,
//	          θ as for Result (z − Φ_T(θ) = 0, the recursion's own derivatives)
//	          *sinkhorn.DivergenceResult: z = (S_ε), θ = (X, Y, a, b) or (C,
//	          CostXX, CostYY, a, b) (z − S_ε(θ) = 0, the envelope gradient)
//	layers    *layers.BirkhoffOutput (the Birkhoff layer, on sinkhorn):
//	          z = vec(P), θ = vec(S), the plan's own condition
//	          (double-centred log P − S/τ and the marginals)

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/optlayers/optlayers/implicit"
	"github.com/optlayers/optlayers/implicit/conformance"
	"github.com/optlayers/optlayers/layers"
	"github.com/optlayers/optlayers/sinkhorn"

	"gonum.org/v1/gonum/mat"
)

func TestModuleSinkhorn(t *testing.T) {
	conformance.Run(t, sinkhornCases())
}

// otInstance is a sinkhorn problem with its flat θ (the layout of
// sinkhorn.Condition) and the map back from θ.
type otInstance struct {
	name     string
	theta    []float64
	unpack   func(theta []float64) *sinkhorn.Problem
	balanced bool
	n, m     int
}

// direction returns the case's direction: Gaussian, with Σda = Σdb for
// a balanced problem.
func (in otInstance) direction() func(*rand.Rand) []float64 {
	n, m, p := in.n, in.m, len(in.theta)
	var dir func(*rand.Rand) []float64
	if in.balanced {
		// Keep Σa = Σb: the balanced problem has no solution otherwise.
		dir = func(rng *rand.Rand) []float64 {
			d := randVec(rng, p, 1)
			sa, sb := 0.0, 0.0
			for _, v := range d[p-n-m : p-m] {
				sa += v
			}
			for _, v := range d[p-m:] {
				sb += v
			}
			for j := p - m; j < p; j++ {
				d[j] += (sa - sb) / float64(m)
			}
			return d
		}
	}
	return dir
}

func unrolledCase(in otInstance, iters int) conformance.Case {
	return conformance.Case{
		Name:       fmt.Sprintf("sinkhorn/Unrolled T=%d %s", iters, in.name),
		Theta:      in.theta,
		Direction:  in.direction(),
		Cancelable: true,
		Solve: func(ctx context.Context, th []float64) (implicit.Differentiable, error) {
			u, err := sinkhorn.SolveUnrolled(ctx, in.unpack(th), iters)
			if err != nil {
				return nil, err
			}
			return u, nil
		},
	}
}

func sinkhornCase(in otInstance, set *sinkhorn.Settings) conformance.Case {
	return conformance.Case{
		Name:       "sinkhorn/" + in.name,
		Theta:      in.theta,
		Direction:  in.direction(),
		Cancelable: true,
		Solve: func(ctx context.Context, th []float64) (implicit.Differentiable, error) {
			r, err := sinkhorn.Solve(ctx, in.unpack(th), set)
			if err != nil {
				return nil, err
			}
			return r, nil
		},
		// sinkhorn.SolveBatch runs Settings.Workers goroutines, each
		// solve single-threaded.
		Batch: func(ctx context.Context, ths [][]float64, workers int) ([]implicit.Differentiable, error) {
			pbs := make([]*sinkhorn.Problem, len(ths))
			for i, th := range ths {
				pbs[i] = in.unpack(th)
			}
			s := *set
			s.Workers = workers
			rs, err := sinkhorn.SolveBatch(ctx, pbs, &s)
			if err != nil {
				return nil, err
			}
			out := make([]implicit.Differentiable, len(rs))
			for i, r := range rs {
				out[i] = r
			}
			return out, nil
		},
	}
}

func positive(rng *rand.Rand, n int) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = 0.5 + rng.Float64()
	}
	return v
}

func costInstance(rng *rand.Rand, n, m int, tau float64) otInstance {
	c := positive(rng, n*m)
	a, b := positive(rng, n), positive(rng, m)
	balanced := tau == 0
	if balanced {
		sa, sb := 0.0, 0.0
		for _, v := range a {
			sa += v
		}
		for _, v := range b {
			sb += v
		}
		for j := range b {
			b[j] *= sa / sb
		}
	}
	theta := append(append(append([]float64(nil), c...), a...), b...)
	return otInstance{
		name:     fmt.Sprintf("cost %d×%d τ=%v", n, m, tau),
		theta:    theta,
		balanced: balanced, n: n, m: m,
		unpack: func(th []float64) *sinkhorn.Problem {
			return &sinkhorn.Problem{
				Cost:    mat.NewDense(n, m, append([]float64(nil), th[:n*m]...)),
				A:       append([]float64(nil), th[n*m:n*m+n]...),
				B:       append([]float64(nil), th[n*m+n:]...),
				Epsilon: 0.3, TauA: tau, TauB: tau,
			}
		},
	}
}

func pointInstance(rng *rand.Rand, n, m, d int) otInstance {
	x, y := randVec(rng, n*d, 1), randVec(rng, m*d, 1)
	a, b := make([]float64, n), make([]float64, m)
	for i := range a {
		a[i] = 1 / float64(n)
	}
	for j := range b {
		b[j] = 1 / float64(m)
	}
	theta := append(append(append(append([]float64(nil), x...), y...), a...), b...)
	k := (n + m) * d
	return otInstance{
		name:     fmt.Sprintf("points %d,%d in R^%d", n, m, d),
		theta:    theta,
		balanced: true, n: n, m: m,
		unpack: func(th []float64) *sinkhorn.Problem {
			return &sinkhorn.Problem{
				X:       mat.NewDense(n, d, append([]float64(nil), th[:n*d]...)),
				Y:       mat.NewDense(m, d, append([]float64(nil), th[n*d:k]...)),
				A:       append([]float64(nil), th[k:k+n]...),
				B:       append([]float64(nil), th[k+n:]...),
				Epsilon: 0.5,
			}
		},
	}
}

func sinkhornCases() []conformance.Case {
	rng := rand.New(rand.NewPCG(13, 23))
	set := &sinkhorn.Settings{Tol: 1e-13, MaxIter: 100000}
	return []conformance.Case{
		sinkhornCase(costInstance(rng, 4, 3, 0), set),
		sinkhornCase(costInstance(rng, 3, 5, 0), set),
		sinkhornCase(costInstance(rng, 4, 4, 0.8), set),
		sinkhornCase(pointInstance(rng, 4, 3, 2), set),
		sinkhornCase(pointInstance(rng, 3, 3, 2), set),
		birkhoffCase(rng, 3, 0.7, set),
		birkhoffCase(rng, 4, 0.4, set),
		unrolledCase(costInstance(rng, 4, 3, 0), 5),
		unrolledCase(costInstance(rng, 3, 4, 0.6), 20),
		unrolledCase(pointInstance(rng, 4, 3, 2), 10),
		divergenceCase(pointInstance(rng, 4, 3, 2), set),
		divergencePointsUnbalanced(rng, set),
		divergenceCostCase(rng, 3, 4, set),
	}
}

func divergenceCase(in otInstance, set *sinkhorn.Settings) conformance.Case {
	return conformance.Case{
		Name:       "sinkhorn/Divergence " + in.name,
		Theta:      in.theta,
		Direction:  in.direction(),
		Cancelable: true,
		Solve: func(ctx context.Context, th []float64) (implicit.Differentiable, error) {
			_, dr, err := sinkhorn.Divergence(ctx, in.unpack(th), set)
			if err != nil {
				return nil, err
			}
			return dr, nil
		},
	}
}

func divergencePointsUnbalanced(rng *rand.Rand, set *sinkhorn.Settings) conformance.Case {
	in := pointInstance(rng, 3, 4, 2)
	unpack := in.unpack
	in.unpack = func(th []float64) *sinkhorn.Problem {
		pb := unpack(th)
		pb.TauA, pb.TauB = 0.7, 1.3
		return pb
	}
	in.balanced = false
	in.name += " τ=(0.7, 1.3)"
	return divergenceCase(in, set)
}

// divergenceCostCase is a cost-matrix divergence with squared distances
// between random points; its directions keep CostXX and CostYY symmetric
// and Σa = Σb.
func divergenceCostCase(rng *rand.Rand, n, m int, set *sinkhorn.Settings) conformance.Case {
	x, y := randVec(rng, n*2, 1), randVec(rng, m*2, 1)
	sq := func(u, v []float64, r, c int) []float64 {
		out := make([]float64, r*c)
		for i := range r {
			for j := range c {
				dx, dy := u[2*i]-v[2*j], u[2*i+1]-v[2*j+1]
				out[i*c+j] = dx*dx + dy*dy
			}
		}
		return out
	}
	a, b := make([]float64, n), make([]float64, m)
	for i := range a {
		a[i] = 1 / float64(n)
	}
	for j := range b {
		b[j] = 1 / float64(m)
	}
	theta := append(append(append(append(sq(x, y, n, m), sq(x, x, n, n)...), sq(y, y, m, m)...), a...), b...)
	o1, o2, o3 := n*m, n*m+n*n, n*m+n*n+m*m
	unpack := func(th []float64) *sinkhorn.Problem {
		c := append([]float64(nil), th...)
		return &sinkhorn.Problem{
			Cost: mat.NewDense(n, m, c[:o1]), CostXX: mat.NewDense(n, n, c[o1:o2]), CostYY: mat.NewDense(m, m, c[o2:o3]),
			A: c[o3 : o3+n], B: c[o3+n:], Epsilon: 0.5,
		}
	}
	in := otInstance{name: fmt.Sprintf("cost %d×%d", n, m), theta: theta, unpack: unpack, balanced: true, n: n, m: m}
	mass := in.direction()
	cs := divergenceCase(in, set)
	cs.Direction = func(rng *rand.Rand) []float64 {
		d := mass(rng)
		for _, blk := range []struct{ off, k int }{{o1, n}, {o2, m}} {
			for i := range blk.k {
				for j := range i {
					v := (d[blk.off+i*blk.k+j] + d[blk.off+j*blk.k+i]) / 2
					d[blk.off+i*blk.k+j], d[blk.off+j*blk.k+i] = v, v
				}
			}
		}
		return d
	}
	return cs
}

func birkhoffCase(rng *rand.Rand, n int, tau float64, set *sinkhorn.Settings) conformance.Case {
	l := &layers.Birkhoff{Tau: tau, Settings: set}
	return conformance.Case{
		Name:       fmt.Sprintf("layers/Birkhoff n=%d τ=%v", n, tau),
		Theta:      randVec(rng, n*n, 1),
		Cancelable: true,
		Solve: func(ctx context.Context, th []float64) (implicit.Differentiable, error) {
			o, err := l.Forward(ctx, mat.NewDense(n, n, append([]float64(nil), th...)))
			if err != nil {
				return nil, err
			}
			return o, nil
		},
	}
}
