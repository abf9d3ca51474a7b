package project

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/diff/fd"
	"gonum.org/v1/gonum/mat"
)

// testSet is a set with an independent optimality certificate.
type testSet struct {
	name string
	set  Set
	// certify reports the largest violation of membership and of the
	// variational inequality ⟨y − x, z − x⟩ ≤ 0 (z ∈ C) for x = P(y),
	// computed without the package's algorithms.
	certify func(x, y []float64) float64
	// scale of the random points y.
	scale float64
}

func randVec(rng *rand.Rand, n int, scale float64) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = scale * rng.NormFloat64()
	}
	return v
}

func randPositive(rng *rand.Rand, n int, lo, hi float64) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = lo + (hi-lo)*rng.Float64()
	}
	return v
}

// boxCertificate: membership in [l, u] and the separable support function
// of the box, σ(g) = Σ max(gᵢlᵢ, gᵢuᵢ) ≤ ⟨g, x⟩ with g = y − x.
func boxCertificate(l, u func(i int) float64) func(x, y []float64) float64 {
	return func(x, y []float64) float64 {
		viol, sigma, gx := 0.0, 0.0, 0.0
		for i := range x {
			viol = max(viol, l(i)-x[i], x[i]-u(i))
			g := y[i] - x[i]
			switch {
			case g > 0:
				sigma += g * u(i)
			case g < 0:
				sigma += g * l(i)
			}
			gx += g * x[i]
		}
		return max(viol, sigma-gx)
	}
}

// vertexCertificate checks membership (by the caller's predicate) and the
// variational inequality at the listed vertices of a polytope, which
// suffices since ⟨y − x, z⟩ is linear in z.
func vertexCertificate(member func(x []float64) float64, vertices func(n int) [][]float64) func(x, y []float64) float64 {
	return func(x, y []float64) float64 {
		viol := member(x)
		for _, z := range vertices(len(x)) {
			s := 0.0
			for i := range x {
				s += (y[i] - x[i]) * (z[i] - x[i])
			}
			viol = max(viol, s)
		}
		return viol
	}
}

// bruteBoxSection projects onto {l ≤ x ≤ u, ⟨w,x⟩ = c} by enumerating the
// 3ⁿ assignments of each coordinate to its lower bound, its upper bound or
// the free set, solving the equality on the free set, and keeping the
// feasible candidate closest to y.
func bruteBoxSection(y, l, u, w []float64, c float64) []float64 {
	n := len(y)
	best, bestDist := []float64(nil), math.Inf(1)
	state := make([]int, n)
	x := make([]float64, n)
	total := 1
	for range n {
		total *= 3
	}
	for code := range total {
		k := code
		for i := range n {
			state[i] = k % 3
			k /= 3
		}
		num, den := -c, 0.0
		for i := range n {
			switch state[i] {
			case 0:
				num += w[i] * l[i]
			case 1:
				num += w[i] * u[i]
			default:
				num += w[i] * y[i]
				den += w[i] * w[i]
			}
		}
		tau := 0.0
		if den > 0 {
			tau = num / den
		} else if math.Abs(num) > 1e-9 {
			continue
		}
		feasible := true
		for i := range n {
			switch state[i] {
			case 0:
				x[i] = l[i]
			case 1:
				x[i] = u[i]
			default:
				x[i] = y[i] - tau*w[i]
				if x[i] < l[i]-1e-12 || x[i] > u[i]+1e-12 {
					feasible = false
				}
			}
		}
		if !feasible {
			continue
		}
		d := 0.0
		for i := range n {
			d += (x[i] - y[i]) * (x[i] - y[i])
		}
		if d < bestDist {
			bestDist, best = d, slices.Clone(x)
		}
	}
	return best
}

// sortSimplex is the classic O(n log n) projection onto the simplex of
// radius r (Held et al. 1974): sort decreasingly and take the largest k
// with u_k − (Σ_{j≤k} u_j − r)/k > 0.
func sortSimplex(y []float64, r float64) []float64 {
	u := slices.Clone(y)
	slices.Sort(u)
	slices.Reverse(u)
	sum, tau := 0.0, 0.0
	for k, v := range u {
		sum += v
		if t := (sum - r) / float64(k+1); v-t > 0 {
			tau = t
		}
	}
	x := make([]float64, len(y))
	for i, v := range y {
		x[i] = max(v-tau, 0)
	}
	return x
}

// denseJacobian forms ∂P(y) column by column with JVP (or row by row with
// VJP when transpose is set).
func denseJacobian(t *testing.T, s Set, x, y []float64, transpose bool) *mat.Dense {
	n := len(y)
	j := mat.NewDense(n, n, nil)
	e := make([]float64, n)
	col := make([]float64, n)
	for k := range n {
		clear(e)
		e[k] = 1
		if transpose {
			require.NoError(t, s.VJP(col, x, y, e))
			j.SetRow(k, col)
		} else {
			require.NoError(t, s.JVP(col, x, y, e))
			j.SetCol(k, col)
		}
	}
	return j
}

// fdJacobian is the central-difference Jacobian of Project at y.
func fdJacobian(t *testing.T, s Set, y []float64) *mat.Dense {
	n := len(y)
	j := mat.NewDense(n, n, nil)
	fd.Jacobian(j, func(dst, z []float64) {
		require.NoError(t, s.Project(dst, z))
	}, y, &fd.JacobianSettings{Formula: fd.Central, Step: 1e-6})
	return j
}

// nearKink reports whether the Jacobian changes within δ of y along some
// coordinate direction: then central differences straddle a kink.
func nearKink(t *testing.T, s Set, y []float64, delta float64) bool {
	n := len(y)
	x := make([]float64, n)
	require.NoError(t, s.Project(x, y))
	j0 := denseJacobian(t, s, x, y, false)
	z := slices.Clone(y)
	xz := make([]float64, n)
	for k := range n {
		for _, sign := range []float64{-1, 1} {
			copy(z, y)
			z[k] += sign * delta
			require.NoError(t, s.Project(xz, z))
			j := denseJacobian(t, s, xz, z, false)
			if !mat.EqualApprox(j0, j, 1e-2) {
				return true
			}
		}
	}
	return false
}

// bruteL1Sphere projects onto {‖x‖₁ = r} by enumerating the facets
// {s ∘ x ≥ 0, sᵀx = r}, s ∈ {±1}ⁿ, each a simplex in an orthant.
func bruteL1Sphere(y []float64, r float64) []float64 {
	n := len(y)
	best, bestDist := []float64(nil), math.Inf(1)
	sy := make([]float64, n)
	for code := range 1 << n {
		for i := range n {
			s := 1.0
			if code>>i&1 == 1 {
				s = -1
			}
			sy[i] = s * y[i]
		}
		x := sortSimplex(sy, r)
		d := 0.0
		for i := range n {
			if code>>i&1 == 1 {
				x[i] = -x[i]
			}
			d += (x[i] - y[i]) * (x[i] - y[i])
		}
		if d < bestDist {
			best, bestDist = x, d
		}
	}
	return best
}

// bruteSparseSimplex projects onto the k-sparse simplex by enumerating
// the supports of size k.
func bruteSparseSimplex(y []float64, r float64, k int) []float64 {
	n := len(y)
	best, bestDist := []float64(nil), math.Inf(1)
	for code := range 1 << n {
		if bits(code) != k {
			continue
		}
		var sub []float64
		for i := range n {
			if code>>i&1 == 1 {
				sub = append(sub, y[i])
			}
		}
		px := sortSimplex(sub, r)
		x := make([]float64, n)
		j := 0
		for i := range n {
			if code>>i&1 == 1 {
				x[i] = px[j]
				j++
			}
		}
		d := 0.0
		for i := range n {
			d += (x[i] - y[i]) * (x[i] - y[i])
		}
		if d < bestDist {
			best, bestDist = x, d
		}
	}
	return best
}

func bits(c int) int {
	k := 0
	for ; c != 0; c &= c - 1 {
		k++
	}
	return k
}
