package cone

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// Scaling is a primal-dual scaling of an interior pair (s, z): an
// invertible linear map W on Rᵈ with
//
//	W s = W⁻ᵀ z = λ,
//
// so that WᵀW maps s to z and ⟨λ, λ⟩ = ⟨s, z⟩. For a symmetric cone W is
// the Nesterov–Todd scaling (WᵀW = ∇²f(w) at the scaling point w with
// ∇²f(w) s = z) and λ lies in the interior of the cone; for the
// non-symmetric cones WᵀW is the inverse of a dual-Hessian approximation
// H with H z = s (see the package documentation).
//
// All methods take vectors of length Dim; dst must not alias v.
type Scaling interface {
	Dim() int
	// Apply sets dst = W v.
	Apply(dst, v []float64)
	// ApplyT sets dst = Wᵀ v.
	ApplyT(dst, v []float64)
	// ApplyInv sets dst = W⁻¹ v.
	ApplyInv(dst, v []float64)
	// ApplyInvT sets dst = W⁻ᵀ v.
	ApplyInvT(dst, v []float64)
	// Lambda returns λ = W s (the caller may not modify it).
	Lambda() []float64
}

// ScalingMatrix returns W of sc as a dense d×d matrix (one Apply per
// column), for assembling the block −WᵀW of a KKT system; nil for a nil
// or empty sc.
func ScalingMatrix(sc Scaling) *mat.Dense {
	if sc == nil || sc.Dim() < 1 {
		return nil
	}
	d := sc.Dim()
	w := mat.NewDense(d, d, nil)
	e := make([]float64, d)
	col := make([]float64, d)
	for j := range d {
		clear(e)
		e[j] = 1
		sc.Apply(col, e)
		w.SetCol(j, col)
	}
	return w
}

// diagScaling is W = diag(w).
type diagScaling struct{ w, lam []float64 }

func (d *diagScaling) Dim() int          { return len(d.w) }
func (d *diagScaling) Lambda() []float64 { return d.lam }
func (d *diagScaling) Apply(dst, v []float64) {
	for i := range dst {
		dst[i] = d.w[i] * v[i]
	}
}
func (d *diagScaling) ApplyT(dst, v []float64) { d.Apply(dst, v) }
func (d *diagScaling) ApplyInv(dst, v []float64) {
	for i := range dst {
		dst[i] = v[i] / d.w[i]
	}
}
func (d *diagScaling) ApplyInvT(dst, v []float64) { d.ApplyInv(dst, v) }

// denseScaling is a general W with its inverse, both dense.
type denseScaling struct {
	w, winv *mat.Dense
	lam     []float64
}

func (d *denseScaling) Dim() int          { r, _ := d.w.Dims(); return r }
func (d *denseScaling) Lambda() []float64 { return d.lam }
func (d *denseScaling) Apply(dst, v []float64) {
	mat.NewVecDense(len(dst), dst).MulVec(d.w, mat.NewVecDense(len(v), v))
}
func (d *denseScaling) ApplyT(dst, v []float64) {
	mat.NewVecDense(len(dst), dst).MulVec(d.w.T(), mat.NewVecDense(len(v), v))
}
func (d *denseScaling) ApplyInv(dst, v []float64) {
	mat.NewVecDense(len(dst), dst).MulVec(d.winv, mat.NewVecDense(len(v), v))
}
func (d *denseScaling) ApplyInvT(dst, v []float64) {
	mat.NewVecDense(len(dst), dst).MulVec(d.winv.T(), mat.NewVecDense(len(v), v))
}

// blockScaling is the block-diagonal scaling of a Product.
type blockScaling struct {
	off []int
	sc  []Scaling // nil for Zero/Free blocks: W = I there
	lam []float64
}

func (b *blockScaling) Dim() int          { return len(b.lam) }
func (b *blockScaling) Lambda() []float64 { return b.lam }
func (b *blockScaling) each(dst, v []float64, f func(Scaling, []float64, []float64)) {
	for i, s := range b.sc {
		lo, hi := b.off[i], b.off[i+1]
		if s == nil {
			copy(dst[lo:hi], v[lo:hi])
			continue
		}
		f(s, dst[lo:hi], v[lo:hi])
	}
}
func (b *blockScaling) Apply(dst, v []float64) { b.each(dst, v, Scaling.Apply) }
func (b *blockScaling) ApplyT(dst, v []float64) {
	b.each(dst, v, Scaling.ApplyT)
}
func (b *blockScaling) ApplyInv(dst, v []float64) {
	b.each(dst, v, Scaling.ApplyInv)
}
func (b *blockScaling) ApplyInvT(dst, v []float64) {
	b.each(dst, v, Scaling.ApplyInvT)
}

// ---- the scaling of the non-symmetric cones ----

// conjugateGrad computes x = −∇f*(z), the minimizer of ⟨z, x⟩ + f(x) over
// int K, by damped Newton from the cone's identity (the damping 1/(1+δ)
// with the Newton decrement δ keeps every iterate inside, by
// self-concordance), and returns it with H = ∇²f(x) (so ∇²f*(z) = H⁻¹).
func conjugateGrad(k Cone, z []float64) ([]float64, *mat.SymDense, error) {
	d := k.Dim()
	x := make([]float64, d)
	if err := k.Identity(x); err != nil {
		return nil, nil, err
	}
	g := make([]float64, d)
	h := mat.NewSymDense(d, nil)
	col := make([]float64, d)
	e := make([]float64, d)
	hess := func() error {
		for j := range d {
			clear(e)
			e[j] = 1
			if err := k.BarrierHess(col, x, e); err != nil {
				return err
			}
			for i := 0; i <= j; i++ {
				h.SetSym(i, j, col[i])
			}
		}
		return nil
	}
	var chol mat.Cholesky
	dx := mat.NewVecDense(d, nil)
	prevDelta := math.Inf(1)
	for range 1000 { // damped phase: O(f(x₀) − f*) steps; quadratic after
		if err := k.BarrierGrad(g, x); err != nil {
			return nil, nil, err
		}
		for i := range g {
			g[i] += z[i] // gradient of ⟨z, x⟩ + f(x)
		}
		if err := hess(); err != nil {
			return nil, nil, err
		}
		if !chol.Factorize(h) {
			return nil, nil, fmt.Errorf("%w: barrier Hessian not positive definite", ErrNotConverged)
		}
		// An ill-conditioned H (x far out) still gives the Newton step:
		// gonum's Condition is a warning, the result is computed.
		if err := chol.SolveVecTo(dx, mat.NewVecDense(d, g)); !condOK(err) || !finite(dx.RawVector().Data) {
			return nil, nil, fmt.Errorf("%w: %v", ErrNotConverged, err)
		}
		delta := math.Sqrt(math.Max(0, dot(g, dx.RawVector().Data)))
		step := 1.0
		if delta > 0.25 {
			step = 1 / (1 + delta)
		}
		for i := range x {
			x[i] -= step * dx.AtVec(i)
		}
		// Converged at δ < 1e-13, or at the rounding floor: far out (z
		// near the boundary of K*, x* large) the barrier's cancellation
		// leaves δ ≈ 1e-16·‖x‖ or more (δ ≈ 1e-7 at ‖x‖ ≈ 5e7 is seen on
		// the iterates of Solve), and quadratic convergence stops (δ no
		// longer halves). δ < 1e-6 puts the barrier within 1e-12 of its
		// minimum.
		if delta < 1e-13 || (delta < 1e-6 && delta > 0.5*prevDelta) {
			if err := hess(); err != nil {
				return nil, nil, err
			}
			return x, h, nil
		}
		prevDelta = delta
	}
	return nil, nil, fmt.Errorf("%w: conjugate barrier gradient", ErrNotConverged)
}

// nonsymScaling builds, for a non-symmetric cone K with barrier f and
// degree ν, the scaling of the package documentation: with μ = ⟨s,z⟩/ν,
// s̃ = −∇f*(z), z̃ = −∇f(s), δs = s − μs̃, δz = z − μz̃ and H* = ∇²f*(z),
//
//	H = ssᵀ/⟨s,z⟩ + δsδsᵀ/⟨δs,δz⟩ + μ⟨a,H*a⟩ aaᵀ,   a = z × z̃/‖z × z̃‖,
//
// (H z = s, H z̃ = s̃), falling back to the rank-two update
// H = μH* + ssᵀ/⟨s,z⟩ − μH*zzᵀH*/⟨z,H*z⟩ (H z = s) near the central path
// where ⟨δs,δz⟩ or ‖z × z̃‖ vanish. Then H = LLᵀ and W = L⁻¹.
//
// The construction is homogeneous: it runs on ŝ = s/σ, ẑ = z/ζ (σ, ζ the
// max-norms) and scales back, W = √(ζ/σ)Ŵ and λ = √(σζ)λ̂.
func nonsymScaling(k Cone, s, z []float64) (Scaling, error) {
	d := k.Dim()
	if d != 3 {
		return nil, fmt.Errorf("%w: non-symmetric scaling is for 3-d cones", ErrInvalid)
	}
	sig, zet := maxAbsVec(s), maxAbsVec(z)
	if !(sig > 0 && zet > 0) {
		return nil, fmt.Errorf("%w: zero point", ErrInvalid)
	}
	sc, err := nonsymScalingUnit(k, dividedVec(s, sig), dividedVec(z, zet))
	if err != nil {
		return nil, err
	}
	ds := sc.(*denseScaling)
	r := math.Sqrt(zet) / math.Sqrt(sig)
	ds.w.Scale(r, ds.w)
	ds.winv.Scale(1/r, ds.winv)
	g := math.Sqrt(sig) * math.Sqrt(zet)
	for i := range ds.lam {
		ds.lam[i] *= g
	}
	if !finite(ds.lam) || !finite(ds.w.RawMatrix().Data) || !finite(ds.winv.RawMatrix().Data) {
		return nil, fmt.Errorf("%w: scaling overflows", ErrNaN)
	}
	return ds, nil
}

// dividedVec returns v/c, divided entry by entry: for a subnormal c, 1/c
// overflows while v/c, whose entries are at most 1 in magnitude here, does
// not.
func dividedVec(v []float64, c float64) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = x / c
	}
	return out
}

func scaleVec(v []float64, c float64) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = x * c
	}
	return out
}

func nonsymScalingUnit(k Cone, s, z []float64) (Scaling, error) {
	d := k.Dim()
	nu := float64(k.Degree())
	sz := dot(s, z)
	if !(sz > 0) {
		return nil, fmt.Errorf("%w: ⟨s, z⟩ = %v ≤ 0", ErrInvalid, sz)
	}
	mu := sz / nu
	st, hx, err := conjugateGrad(k, z)
	if err != nil {
		return nil, err
	}
	var hstar mat.SymDense // ∇²f*(z) = ∇²f(s̃)⁻¹
	{
		var ch mat.Cholesky
		if !ch.Factorize(hx) {
			return nil, fmt.Errorf("%w: barrier Hessian not positive definite", ErrNotConverged)
		}
		if err := ch.InverseTo(&hstar); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrNotConverged, err)
		}
	}
	zt := make([]float64, d)
	if err := k.BarrierGrad(zt, s); err != nil {
		return nil, err
	}
	for i := range zt {
		zt[i] = -zt[i]
	}
	ds, dz := make([]float64, d), make([]float64, d)
	for i := range ds {
		ds[i] = s[i] - mu*st[i]
		dz[i] = z[i] - mu*zt[i]
	}
	// ⟨δs, z⟩ = ⟨δz, s⟩ = 0 in exact arithmetic (⟨s̃, z⟩ = ⟨s, z̃⟩ = ν);
	// enforce it, so that H z = s holds to rounding even when s̃ carries
	// the Newton solve's error (z near the boundary of K*).
	cs, cz := dot(ds, z)/sz, dot(dz, s)/sz
	for i := range ds {
		ds[i] -= cs * s[i]
		dz[i] -= cz * z[i]
	}
	a := []float64{
		z[1]*zt[2] - z[2]*zt[1],
		z[2]*zt[0] - z[0]*zt[2],
		z[0]*zt[1] - z[1]*zt[0],
	}
	na := nrm2(a)
	dsdz := dot(ds, dz)
	h := mat.NewSymDense(d, nil)
	const tiny = 1e-10
	if dsdz > tiny*sz && na > tiny*nrm2(z)*nrm2(zt) {
		for i := range a {
			a[i] /= na
		}
		ha := make([]float64, d)
		mat.NewVecDense(d, ha).MulVec(&hstar, mat.NewVecDense(d, a))
		t := mu * dot(a, ha)
		for i := range d {
			for j := i; j < d; j++ {
				h.SetSym(i, j, s[i]*s[j]/sz+ds[i]*ds[j]/dsdz+t*a[i]*a[j])
			}
		}
	} else {
		hz := make([]float64, d)
		mat.NewVecDense(d, hz).MulVec(&hstar, mat.NewVecDense(d, z))
		zhz := dot(z, hz)
		for i := range d {
			for j := i; j < d; j++ {
				h.SetSym(i, j, mu*hstar.At(i, j)+s[i]*s[j]/sz-mu*hz[i]*hz[j]/zhz)
			}
		}
	}
	// Jacobi-scaled Cholesky H = D L̃L̃ᵀ D (D = diag(√Hᵢᵢ)): L = DL̃, and
	// W = L⁻¹ = L̃⁻¹D⁻¹ through a triangular inverse (near the boundary H
	// is badly scaled, not only ill-conditioned).
	dj := make([]float64, d)
	for i := range d {
		dj[i] = math.Sqrt(h.At(i, i))
		if !(dj[i] > 0) {
			return nil, fmt.Errorf("%w: scaling matrix not positive definite", ErrNotConverged)
		}
	}
	ht := mat.NewSymDense(d, nil)
	for i := range d {
		for j := i; j < d; j++ {
			ht.SetSym(i, j, h.At(i, j)/(dj[i]*dj[j]))
		}
	}
	var ch mat.Cholesky
	if !ch.Factorize(ht) {
		return nil, fmt.Errorf("%w: scaling matrix not positive definite", ErrNotConverged)
	}
	var lt mat.TriDense
	ch.LTo(&lt)
	var ltinv mat.TriDense
	if err := ltinv.InverseTri(&lt); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotConverged, err)
	}
	w := mat.NewDense(d, d, nil)    // W⁻¹ = L = D L̃
	linv := mat.NewDense(d, d, nil) // W = L̃⁻¹ D⁻¹
	for i := range d {
		for j := range d {
			w.Set(i, j, dj[i]*lt.At(i, j))
			linv.Set(i, j, ltinv.At(i, j)/dj[j])
		}
	}
	lam := make([]float64, d)
	mat.NewVecDense(d, lam).MulVec(linv, mat.NewVecDense(d, s))
	if !finite(lam) || !finite(linv.RawMatrix().Data) {
		return nil, fmt.Errorf("%w: scaling overflows", ErrNaN)
	}
	return &denseScaling{w: linv, winv: w, lam: lam}, nil
}
