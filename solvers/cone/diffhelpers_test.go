package cone

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/sparse"
)

// Instances with a known optimal point for the derivative tests: pick
// x, a complementary pair s ∈ K, y ∈ K* (⟨s, y⟩ = 0) block by block, then
// p = −Qx − Aᵀy and b = Ax + s make (x, y, s) optimal (the KKT conditions
// of a convex program are sufficient).

// complementaryPair returns s ∈ K, y ∈ K* with ⟨s, y⟩ = 0 and, unless
// degenerate, strict complementarity (s + y in the interior of the
// "sum" structure: each direction has exactly one of s, y nonzero).
// kind 0 mixes the cases; 1 puts s in the interior (y = 0); 2 puts y in
// the interior (s = 0).
func complementaryPair(rng *rand.Rand, k Cone, kind int) (s, y []float64) {
	d := k.Dim()
	s, y = make([]float64, d), make([]float64, d)
	pick := func() int {
		if kind != 0 {
			return kind
		}
		return rng.IntN(3) // 0: both on the boundary where the cone has one
	}
	switch c := k.(type) {
	case Zero:
		copy(y, randVec(rng, d, 1))
	case Free:
		copy(s, randVec(rng, d, 1))
	case Nonnegative:
		for i := range d {
			if (kind == 0 && rng.IntN(2) == 0) || kind == 1 {
				s[i] = 0.5 + rng.Float64()
			} else {
				y[i] = 0.5 + rng.Float64()
			}
		}
	case SecondOrder:
		switch pick() {
		case 1:
			copy(s, interiorPoint(rng, k))
		case 2:
			copy(y, interiorPoint(rng, k))
		default:
			if d == 1 {
				s[0] = 1 + rng.Float64()
				break
			}
			u := randVec(rng, d-1, 1)
			nu := nrm2(u)
			al, be := 0.5+rng.Float64(), 0.5+rng.Float64()
			s[0], y[0] = al, be
			for i, v := range u {
				s[i+1] = al * v / nu
				y[i+1] = -be * v / nu
			}
		}
	case PSD:
		n := c.N
		q := randOrthogonal(rng, n)
		sig, gam := make([]float64, n), make([]float64, n)
		for i := range n {
			w := pick()
			if kind == 0 {
				w = 1 + rng.IntN(2)
			}
			if w == 1 {
				sig[i] = 0.5 + rng.Float64()
			} else {
				gam[i] = 0.5 + rng.Float64()
			}
		}
		copy(s, svecFromEig(q, sig))
		copy(y, svecFromEig(q, gam))
	case Exp:
		expPair(rng, pick(), s, y)
	case ExpDual:
		expPair(rng, swapKind(pick()), y, s)
	case Power:
		powPair(rng, c.Alpha, pick(), s, y)
	case PowerDual:
		powPair(rng, c.Alpha, swapKind(pick()), y, s)
	default:
		panic(fmt.Sprintf("complementaryPair: %T", k))
	}
	return s, y
}

func swapKind(k int) int {
	switch k {
	case 1:
		return 2
	case 2:
		return 1
	}
	return k
}

// expPair sets a complementary pair of K_exp (into a) and K*_exp (into b).
func expPair(rng *rand.Rand, kind int, a, b []float64) {
	switch kind {
	case 1:
		copy(a, interiorPoint(rng, Exp{}))
	case 2:
		copy(b, interiorPoint(rng, ExpDual{}))
	default:
		// a = σ(ρ, 1, e^ρ) on ∂K, b = μ(−e^ρ, (ρ − 1)e^ρ, 1) on ∂K*.
		rho := rng.Float64()*2 - 1
		sg, mu := 0.5+rng.Float64(), 0.5+rng.Float64()
		er := math.Exp(rho)
		a[0], a[1], a[2] = sg*rho, sg, sg*er
		b[0], b[1], b[2] = -mu*er, mu*(rho-1)*er, mu
	}
}

// powPair sets a complementary pair of K_α (into a) and K*_α (into b).
func powPair(rng *rand.Rand, al float64, kind int, a, b []float64) {
	switch kind {
	case 1:
		copy(a, interiorPoint(rng, Power{al}))
	case 2:
		copy(b, interiorPoint(rng, PowerDual{al}))
	default:
		// a = (x, y, ±x^α y^{1−α}) on ∂K, b = μ(α x^{α−1}y^{1−α},
		// (1−α)x^α y^{−α}, ∓1) on ∂K*.
		x, y := 0.5+rng.Float64(), 0.5+rng.Float64()
		sg := 1.0
		if rng.IntN(2) == 0 {
			sg = -1
		}
		mu := 0.5 + rng.Float64()
		a[0], a[1], a[2] = x, y, sg*math.Pow(x, al)*math.Pow(y, 1-al)
		b[0] = mu * al * math.Pow(x, al-1) * math.Pow(y, 1-al)
		b[1] = mu * (1 - al) * math.Pow(x, al) * math.Pow(y, -al)
		b[2] = -sg * mu
	}
}

func randOrthogonal(rng *rand.Rand, n int) *mat.Dense {
	g := mat.NewDense(n, n, randVec(rng, n*n, 1))
	var qr mat.QR
	qr.Factorize(g)
	var q mat.Dense
	qr.QTo(&q)
	return &q
}

func svecFromEig(q *mat.Dense, lam []float64) []float64 {
	n := len(lam)
	m := mat.NewSymDense(n, nil)
	for i := range n {
		for j := i; j < n; j++ {
			v := 0.0
			for k := range n {
				v += q.At(i, k) * lam[k] * q.At(j, k)
			}
			m.SetSym(i, j, v)
		}
	}
	out := make([]float64, n*(n+1)/2)
	if err := Svec(out, m); err != nil {
		panic(err)
	}
	return out
}

// diffInstance is a problem with a known optimal (x, y, s).
type diffInstance struct {
	name    string
	pb      *Problem
	x, y, s []float64
}

// solution returns the instance as an Optimal Solution (as Solve would).
func (d *diffInstance) solution() *Solution {
	return &Solution{X: append([]float64(nil), d.x...), Y: append([]float64(nil), d.y...),
		S: append([]float64(nil), d.s...), Status: Optimal, pb: d.pb}
}

// optimalInstance builds a problem over the product of cones with n
// variables, A of density dens (every row with at least one entry, every
// column too) and Q = MᵀM + shift·I of rank qrank (nil for qrank 0).
func optimalInstance(rng *rand.Rand, name string, cones []Cone, n, qrank int, shift, dens float64, kind int) *diffInstance {
	// Random data can make a degenerate instance (dependent active rows,
	// too few curvature directions): draw again until ∂zF is well
	// conditioned (cond < 1e9), so that the derivative exists.
	for range 50 {
		in := drawInstance(rng, name, cones, n, qrank, shift, dens, kind)
		if in.conditioned(1e9) {
			return in
		}
	}
	panic("optimalInstance: no well-conditioned instance of " + name)
}

// conditioned reports whether the dense ∂zF at the instance's solution has
// a condition number below c.
func (d *diffInstance) conditioned(c float64) bool {
	sol := d.solution()
	cond, z, theta := sol.Condition()
	dz, _, err := cond.Linearize(z, theta)
	if err != nil {
		return false
	}
	nz := len(z)
	j := mat.NewDense(nz, nz, nil)
	e, col := make([]float64, nz), make([]float64, nz)
	for k := range nz {
		clear(e)
		e[k] = 1
		dz.Apply(col, e)
		j.SetCol(k, col)
	}
	var lu mat.LU
	lu.Factorize(j)
	return lu.Cond() < c
}

func drawInstance(rng *rand.Rand, name string, cones []Cone, n, qrank int, shift, dens float64, kind int) *diffInstance {
	k, err := NewProduct(cones...)
	if err != nil {
		panic(err)
	}
	m := k.Dim()
	s, y := make([]float64, 0, m), make([]float64, 0, m)
	for _, c := range cones {
		sb, yb := complementaryPair(rng, c, kind)
		s, y = append(s, sb...), append(y, yb...)
	}
	// A unique, nondegenerate solution needs at least as many variables
	// as active directions (D* eigenvalue 1) and, without Q, at most the
	// active plus the intermediate ones.
	act, inter := countDirections(k, s, y)
	if qrank == 0 {
		n = act + (inter+1)/2
	}
	n = max(n, act, 1)
	x := randVec(rng, n, 1)
	ad := mat.NewDense(m, n, nil)
	for i := range m {
		ad.Set(i, rng.IntN(n), rng.NormFloat64())
		for j := range n {
			if rng.Float64() < dens {
				ad.Set(i, j, rng.NormFloat64())
			}
		}
	}
	for j := range n {
		ad.Set(rng.IntN(m), j, rng.NormFloat64())
	}
	a, err := sparse.FromDense(ad)
	if err != nil {
		panic(err)
	}
	pb := &Problem{A: a, K: k, P: make([]float64, n), B: make([]float64, m)}
	if qrank > 0 {
		mm := mat.NewDense(qrank, n, randVec(rng, qrank*n, 1))
		var g mat.Dense
		g.Mul(mm.T(), mm)
		qs := mat.NewSymDense(n, nil)
		for i := range n {
			for j := i; j < n; j++ {
				v := g.At(i, j)
				if i == j {
					v += shift
				}
				qs.SetSym(i, j, v)
			}
		}
		if pb.Q, err = sparse.SymFromDense(qs); err != nil {
			panic(err)
		}
		if err := pb.Q.MulVec(pb.P, x); err != nil {
			panic(err)
		}
	}
	aty := make([]float64, n)
	if err := a.MulTransVec(aty, y); err != nil {
		panic(err)
	}
	for j := range n {
		pb.P[j] = -pb.P[j] - aty[j]
	}
	if err := a.MulVec(pb.B, x); err != nil {
		panic(err)
	}
	for i := range m {
		pb.B[i] += s[i]
	}
	return &diffInstance{name: name, pb: pb, x: x, y: y, s: s}
}

// diffInstances covers every cone type, with and without Q.
func diffInstances(rng *rand.Rand) []*diffInstance {
	type spec struct {
		name  string
		cones []Cone
		n, qr int
		kind  int
	}
	specs := []spec{
		{"LP", []Cone{Zero{2}, Nonnegative{8}}, 6, 0, 0},
		{"QP", []Cone{Zero{1}, Nonnegative{6}}, 5, 5, 0},
		{"SOC boundary pair", []Cone{Nonnegative{3}, SecondOrder{4}}, 5, 0, 0},
		{"SOC interior s", []Cone{SecondOrder{5}}, 3, 3, 1},
		{"SOC interior y", []Cone{Nonnegative{2}, SecondOrder{3}}, 3, 0, 2},
		{"SOC+Q", []Cone{Zero{1}, SecondOrder{3}, SecondOrder{5}}, 6, 2, 0},
		{"PSD", []Cone{PSD{3}}, 5, 0, 0},
		{"PSD+Q", []Cone{Nonnegative{2}, PSD{4}}, 7, 3, 0},
		{"Exp", []Cone{Exp{}, Exp{}, Nonnegative{2}}, 4, 0, 0},
		{"Exp interior", []Cone{Exp{}, Exp{}}, 3, 3, 1},
		{"ExpDual+Q", []Cone{ExpDual{}, Zero{1}}, 3, 3, 0},
		{"Power", []Cone{Power{0.3}, Power{0.7}, Nonnegative{1}}, 4, 0, 0},
		{"PowerDual+Q", []Cone{PowerDual{0.4}, Nonnegative{2}}, 4, 2, 0},
		{"mixed", []Cone{Zero{1}, Nonnegative{3}, SecondOrder{3}, PSD{2}, Exp{}, Power{0.5}, ExpDual{}, PowerDual{0.6}}, 8, 4, 0},
	}
	var out []*diffInstance
	for _, sp := range specs {
		out = append(out, optimalInstance(rng, sp.name, sp.cones, sp.n, sp.qr, 0.3, 0.4, sp.kind))
	}
	return out
}

func diffRel(a, b []float64) float64 {
	d, s := 0.0, 1.0
	for i := range a {
		d = math.Max(d, math.Abs(a[i]-b[i]))
		s = math.Max(s, math.Max(math.Abs(a[i]), math.Abs(b[i])))
	}
	return d / s
}

// countDirections returns the numbers of eigenvalues of D* = DΠ_{K*}(y − s)
// equal to 1 (active directions) and strictly between 0 and 1.
func countDirections(k *Product, s, y []float64) (act, inter int) {
	m := k.Dim()
	dual := k.Dual()
	v := make([]float64, m)
	for i := range v {
		v[i] = y[i] - s[i]
	}
	yp := make([]float64, m)
	if err := dual.Project(yp, v); err != nil {
		panic(err)
	}
	dm := mat.NewSymDense(m, nil)
	col, e := make([]float64, m), make([]float64, m)
	for j := range m {
		clear(e)
		e[j] = 1
		if err := dual.JVP(col, yp, v, e); err != nil {
			panic(err)
		}
		for i := 0; i <= j; i++ {
			dm.SetSym(i, j, col[i])
		}
	}
	var es mat.EigenSym
	if !es.Factorize(dm, false) {
		panic("eigen")
	}
	for _, l := range es.Values(nil) {
		switch {
		case l > 1-1e-9:
			act++
		case l > 1e-9:
			inter++
		}
	}
	return act, inter
}

func denseOf(r, c int, v []float64) *mat.Dense { return mat.NewDense(r, c, v) }

func newRand() *rand.Rand { return rand.New(rand.NewPCG(21, 22)) }

// polish refines a solution point z of the layout's problem at θ by
// Newton steps on the residual map (zeros of F are exactly the solutions,
// so this removes an interior-point solver's last 1e-8…1e-11 of error; the
// solution refinement of Busseti, Moursi & Boyd 2019): it returns the
// refined z and ‖F(z, θ)‖∞.
func polish(l *Layout, z, theta []float64, steps int) ([]float64, float64) {
	c, err := l.Condition()
	if err != nil {
		panic(err)
	}
	nz := len(z)
	z = append([]float64(nil), z...)
	r := make([]float64, nz)
	c.Residual(r, z, theta)
	res := maxAbs(r)
	for range steps {
		dz, _, err := c.Linearize(z, theta)
		if err != nil {
			break
		}
		j := mat.NewDense(nz, nz, nil)
		e, col := make([]float64, nz), make([]float64, nz)
		for k := range nz {
			clear(e)
			e[k] = 1
			dz.Apply(col, e)
			j.SetCol(k, col)
		}
		var step mat.VecDense
		if err := step.SolveVec(j, mat.NewVecDense(nz, r)); err != nil {
			break
		}
		zn := make([]float64, nz)
		for i := range zn {
			zn[i] = z[i] - step.AtVec(i)
		}
		rn := make([]float64, nz)
		c.Residual(rn, zn, theta)
		if !(maxAbs(rn) < res) {
			break
		}
		z, r, res = zn, rn, maxAbs(rn)
	}
	return z, res
}
