package conformance_test

// The projections of solvers/project, each as a *project.Result (z = P(y),
// θ = y, or θ = (y, φ) with the set's parameters φ for a Parametric set),
// two random instances per set:
//
//	solvers/project  *project.Result: Simplex, L1Ball, L2Ball, LInfBall, Box,
//	                 Hyperplane, Halfspace, BoxSection, Affine, Polyhedron,
//	                 Transport (along mass-preserving directions),
//	                 NonNegative (θ = y), L2Sphere, L1Sphere, SparseSimplex
//	                 (θ = y, the non-convex sets)

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/optlayers/optlayers/implicit"
	"github.com/optlayers/optlayers/implicit/conformance"
	"github.com/optlayers/optlayers/solvers/project"

	"gonum.org/v1/gonum/mat"
)

func TestModuleProject(t *testing.T) {
	conformance.Run(t, projectCases())
}

// projectCase registers the projection onto s at y: θ = y for a plain set,
// θ = (y, φ) for a Parametric one, rebuilt by WithParams at each θ.
func projectCase(name string, s project.Set, y []float64, dir func(*rand.Rand) []float64) conformance.Case {
	n := len(y)
	theta := append([]float64(nil), y...)
	par, isPar := s.(project.Parametric)
	if isPar {
		theta = append(theta, par.Params()...)
	}
	at := func(th []float64) (project.Set, error) {
		if !isPar {
			return s, nil
		}
		return par.WithParams(th[n:])
	}
	return conformance.Case{
		Name:       "project/" + name,
		Theta:      theta,
		Direction:  dir,
		Cancelable: true,
		Solve: func(ctx context.Context, th []float64) (implicit.Differentiable, error) {
			set, err := at(th)
			if err != nil {
				return nil, err
			}
			r, err := project.Solve(ctx, set, th[:n])
			if err != nil {
				return nil, err
			}
			return r, nil
		},
		Batch: func(ctx context.Context, ths [][]float64, workers int) ([]implicit.Differentiable, error) {
			// One set per batch: the batch varies y (θ[:n]) at the
			// parameters of the first item.
			set, err := at(ths[0])
			if err != nil {
				return nil, err
			}
			ys := make([][]float64, len(ths))
			for i, th := range ths {
				ys[i] = th[:n]
			}
			rs, err := project.SolveBatch(ctx, set, ys, &project.Settings{Workers: workers})
			out := make([]implicit.Differentiable, len(rs))
			for i, r := range rs {
				out[i] = r
			}
			return out, err
		},
	}
}

func randVec(rng *rand.Rand, n int, scale float64) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = scale * rng.NormFloat64()
	}
	return v
}

func randMat(rng *rand.Rand, r, c int) *mat.Dense {
	return mat.NewDense(r, c, randVec(rng, r*c, 1))
}

func projectCases() []conformance.Case {
	rng := rand.New(rand.NewPCG(13, 21))
	var cases []conformance.Case
	for k := range 2 {
		n := 5 + 2*k
		tag := func(s string) string { return fmt.Sprintf("%s#%d", s, k) }
		w := make([]float64, n)
		for i := range w {
			w[i] = 0.5 + rng.Float64()
		}
		lo, hi := randVec(rng, n, 0.3), randVec(rng, n, 0.3)
		for i := range lo {
			lo[i] -= 1
			hi[i] += 1
		}
		cases = append(cases,
			projectCase(tag("Simplex"), project.Simplex{Radius: 1 + rng.Float64()}, randVec(rng, n, 1), nil),
			projectCase(tag("L1Ball"), project.L1Ball{Radius: 1 + rng.Float64()}, randVec(rng, n, 2), nil),
			projectCase(tag("L2Ball"), project.L2Ball{Radius: 1 + rng.Float64()}, randVec(rng, n, 2), nil),
			projectCase(tag("LInfBall"), project.LInfBall{Radius: 0.5 + rng.Float64()}, randVec(rng, n, 1), nil),
			projectCase(tag("Box"), project.Box{Lower: lo, Upper: hi}, randVec(rng, n, 2), nil),
			projectCase(tag("Hyperplane"), project.Hyperplane{Normal: randVec(rng, n, 1), Offset: rng.NormFloat64()}, randVec(rng, n, 1), nil),
			projectCase(tag("Halfspace"), project.Halfspace{Normal: randVec(rng, n, 1), Offset: -1 - rng.Float64()}, randVec(rng, n, 1), nil),
			projectCase(tag("BoxSection"), project.BoxSection{Lower: []float64{0}, Upper: []float64{0.6}, Weights: w, Value: 1}, randVec(rng, n, 1), nil),
			projectCase(tag("NonNegative"), project.NonNegative{}, randVec(rng, n, 1), nil),
			projectCase(tag("L2Sphere"), project.L2Sphere{Radius: 1 + rng.Float64()}, randVec(rng, n, 1), nil),
			projectCase(tag("L1Sphere"), project.L1Sphere{Radius: 1 + rng.Float64()}, randVec(rng, n, 2), nil),
			projectCase(tag("SparseSimplex"), project.SparseSimplex{Radius: 1, K: 2 + k}, randVec(rng, n, 1), nil),
		)

		a := randMat(rng, 2, n)
		b := make([]float64, 2)
		mat.NewVecDense(2, b).MulVec(a, mat.NewVecDense(n, randVec(rng, n, 1)))
		aff, err := project.NewAffine(a, b)
		if err != nil {
			panic(err)
		}
		cases = append(cases, projectCase(tag("Affine"), aff, randVec(rng, n, 1), nil))

		// A polyhedron with a few rows of G and one equality, feasible at 0.
		g := randMat(rng, 3, n)
		h := make([]float64, 3)
		for i := range h {
			h[i] = 0.2 + rng.Float64()
		}
		ae := randMat(rng, 1, n)
		poly, err := project.NewPolyhedron(g, h, ae, []float64{0.1 * rng.NormFloat64()}, nil)
		if err != nil {
			panic(err)
		}
		cases = append(cases, projectCase(tag("Polyhedron"), poly, randVec(rng, n, 2), nil))

		// Transport m×c with marginals of equal mass; the directions keep the
		// masses equal (other directions leave the set empty).
		m, c := 2+k, 3
		rows, cols := make([]float64, m), make([]float64, c)
		for i := range rows {
			rows[i] = 1 + rng.Float64()
		}
		s := 0.0
		for _, v := range rows {
			s += v
		}
		for j := range cols {
			cols[j] = s / float64(c)
		}
		yt := randVec(rng, m*c, 0.3)
		for i := range yt {
			yt[i] += s / float64(m*c)
		}
		dir := func(rng *rand.Rand) []float64 {
			d := randVec(rng, m*c+m+c, 1)
			sr, sc := 0.0, 0.0
			for _, v := range d[m*c : m*c+m] {
				sr += v
			}
			for _, v := range d[m*c+m:] {
				sc += v
			}
			for j := range c {
				d[m*c+m+j] += (sr - sc) / float64(c)
			}
			return d
		}
		cases = append(cases, projectCase(tag("Transport"), project.Transport{Rows: rows, Cols: cols}, yt, dir))
	}
	return cases
}
