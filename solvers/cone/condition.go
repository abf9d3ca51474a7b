package cone

import (
	"fmt"
	"math"

	"github.com/optlayers/optlayers/implicit"
)

// Condition returns the residual-map condition of the layout's cone
// programs: F(z, θ) with z = (x, y, s) of length LenZ() and θ of length
// Len(), which the module's engine (implicit.VJP, implicit.JVP)
// differentiates, and which Solution.VJP and JVP solve directly. Residual
// writes NaN for arguments of the wrong length or with non-finite
// projections.
//
// At a solution (x, y, s) of the program of Problem (Qx + p + Aᵀy = 0,
// Ax + s = b, s ∈ K, y ∈ K*, ⟨s, y⟩ = 0) the vector v = y − s determines
// y and s by Moreau's decomposition, y = Π_{K*}(v) and s = Π_{K*}(v) − v
// (= Π_K(−v)). The residual map of the homogeneous embedding (Busseti,
// Moursi & Boyd, "Solution refinement at regular points of conic
// problems", Comput. Optim. Appl. 74, 2019; Agrawal, Barratt, Boyd,
// Busseti & Moursi, "Differentiating through a cone program", J. Appl.
// Numer. Optim. 1(2), 2019), extended to a quadratic objective as in
// Healey, Nobel & Boyd, "Differentiating through a quadratic cone program"
// (arXiv:2508.17522, 2025), is, at the embedding's normalization τ = 1,
//
//	N(x, v) = ( Qx + p + Aᵀ Π_{K*}(v),
//	            Ax − b + Π_{K*}(v) − v ),
//
// whose zeros are the solutions. The embedding itself is positively
// homogeneous, so its Jacobian is singular along the ray through the
// solution (diffcp solves it by LSQR and then removes the ray, dx = du −
// x dw); on the slice τ = 1 the ray is gone and the row of the duality gap
// is implied by the other rows (strong duality), so N is square and the
// derivative is the same. To differentiate z = (x, y, s), the condition
// adds the row that recovers y (and so s = y − v) from v:
//
//	F(z, θ) = ( Qx + p + Aᵀ Π_{K*}(y − s),
//	            Ax − b + Π_{K*}(y − s) − (y − s),
//	            y − Π_{K*}(y − s) ).
//
// Its Jacobian in z, with D* = DΠ_{K*}(y − s) and dv = dy − ds,
//
//	∂F dz = ( Q dx + Aᵀ D* dv,  A dx + (D* − I) dv,  dy − D* dv ),
//
// is nonsingular exactly when N's is (the third row gives dy from dv), and
// ∂F/∂θ dθ = (dQ x + dp + dAᵀ Π_{K*}(y − s), dA x − db, 0).
//
// Only the projection onto the dual cone and its derivative (Product.Dual:
// each dual cone's Project, JVP and VJP) appear: Π_K(−v) is written as
// Π_{K*}(v) − v, so that the derivative of the s-part is I − D* with the
// same element of the generalized Jacobian. (Two elements chosen
// independently for Π_K and Π_{K*} need not add up to I at a degenerate
// point — the orthant at vᵢ = 0 uses 0 for both — and would make ∂F
// singular there.) At a point where strict complementarity fails, v lies
// on a boundary between the cases of Π_{K*} and D* is the element each
// dual cone documents: for the orthant (yᵢ = sᵢ = 0) the element 0, which
// treats the row as inactive (yᵢ stays 0, sᵢ moves); for the second-order
// cone the identity where v is on the cone's boundary (s = 0: the block
// moves as if s stayed 0) and 0 on the polar boundary (y = 0); for the PSD
// cone Bᵢⱼ = 0 on pairs of zero eigenvalues of y − s. Each is the
// derivative of one side, so one-sided differences agree with it along
// the directions that keep that side's structure.
func (l *Layout) Condition() (implicit.Condition, error) {
	if err := l.valid(); err != nil {
		return nil, err
	}
	dual, ok := l.K.Dual().(*Product)
	if !ok {
		return nil, fmt.Errorf("%w: the dual of the Layout's cone is not a Product", ErrInvalid)
	}
	return &residualMap{l: l, dual: dual}, nil
}

// Condition returns the residual-map condition of the solved problem, the
// point z = (x, y, s) and θ (see Layout). For a Solution without a problem
// (nil, or not returned by Solve) the condition has dimensions 0×0.
func (s *Solution) Condition() (implicit.Condition, []float64, []float64) {
	l := s.Layout()
	c, err := l.Condition()
	if err != nil {
		return &residualMap{l: &Layout{}}, nil, nil
	}
	return c, s.Point(), s.Theta()
}

// residualMap is F(z, θ) of the package documentation above.
type residualMap struct {
	l    *Layout
	dual *Product
}

func (c *residualMap) Dims() (int, int) { return c.l.LenZ(), c.l.Len() }

// Residual sets dst = F(z, θ).
func (c *residualMap) Residual(dst, z, theta []float64) {
	l := c.l
	if c.dual == nil || len(dst) != l.LenZ() || len(z) != l.LenZ() || len(theta) != l.Len() {
		fillNaN(dst)
		return
	}
	n, m := l.N, l.M
	x, y, s := z[:n], z[n:n+m], z[n+m:]
	q, p, a, b, _ := l.Parts(theta)
	v := make([]float64, m)
	for i := range v {
		v[i] = y[i] - s[i]
	}
	yp := make([]float64, m)
	if err := c.dual.Project(yp, v); err != nil {
		fillNaN(dst)
		return
	}
	fx, fy, fs := dst[:n], dst[n:n+m], dst[n+m:]
	copy(fx, p)
	l.mulQ(fx, q, x)
	l.mulAT(fx, a, yp)
	for i := range m {
		fy[i] = yp[i] - v[i] - b[i]
		fs[i] = y[i] - yp[i]
	}
	l.mulA(fy, a, x)
}

// Linearize returns ∂F/∂z and ∂F/∂θ at (z, θ).
func (c *residualMap) Linearize(z, theta []float64) (implicit.Operator, implicit.Operator, error) {
	l := c.l
	if c.dual == nil {
		return nil, nil, fmt.Errorf("%w: condition without a cone", ErrInvalid)
	}
	if len(z) != l.LenZ() || len(theta) != l.Len() {
		return nil, nil, fmt.Errorf("%w: z of length %d, θ of length %d (want %d, %d)", ErrDims, len(z), len(theta), l.LenZ(), l.Len())
	}
	if !finite(z) || !finite(theta) {
		return nil, nil, fmt.Errorf("%w: in z or θ", ErrNaN)
	}
	lin, err := c.at(z, theta)
	if err != nil {
		return nil, nil, err
	}
	return &rmDz{lin}, &rmDtheta{lin}, nil
}

// rmPoint is the residual map linearized at a point.
type rmPoint struct {
	c        *residualMap
	x        []float64 // the point's x (not copied)
	v, yp    []float64 // v = y − s and Π_{K*}(v)
	q, a     []float64 // θ's values of Q and A (not copied)
	tmp, tm2 []float64 // scratch of length m
}

func (c *residualMap) at(z, theta []float64) (*rmPoint, error) {
	l := c.l
	n, m := l.N, l.M
	y, s := z[n:n+m], z[n+m:]
	q, _, a, _, err := l.Parts(theta)
	if err != nil {
		return nil, err
	}
	pt := &rmPoint{c: c, x: z[:n], v: make([]float64, m), yp: make([]float64, m), q: q, a: a,
		tmp: make([]float64, m), tm2: make([]float64, m)}
	for i := range m {
		pt.v[i] = y[i] - s[i]
	}
	if err := c.dual.Project(pt.yp, pt.v); err != nil {
		return nil, fmt.Errorf("projection onto the dual cone at y − s: %w", err)
	}
	return pt, nil
}

// rmDz is ∂F/∂z (matrix-free, (n + 2m)²).
type rmDz struct{ *rmPoint }

func (o *rmDz) Dims() (int, int) { k := o.c.l.LenZ(); return k, k }

// Apply sets dst = ∂F/∂z · w.
func (o *rmDz) Apply(dst, w []float64) {
	l := o.c.l
	n, m := l.N, l.M
	wx, wy, ws := w[:n], w[n:n+m], w[n+m:]
	dv, t := o.tmp, o.tm2
	for i := range m {
		dv[i] = wy[i] - ws[i]
	}
	if err := o.c.dual.JVP(t, o.yp, o.v, dv); err != nil {
		fillNaN(dst)
		return
	}
	dx, dy, ds := dst[:n], dst[n:n+m], dst[n+m:]
	clear(dx)
	l.mulQ(dx, o.q, wx)
	l.mulAT(dx, o.a, t)
	for i := range m {
		dy[i] = t[i] - dv[i]
		ds[i] = wy[i] - t[i]
	}
	l.mulA(dy, o.a, wx)
}

// ApplyT sets dst = (∂F/∂z)ᵀ u.
func (o *rmDz) ApplyT(dst, u []float64) {
	l := o.c.l
	n, m := l.N, l.M
	ux, uy, us := u[:n], u[n:n+m], u[n+m:]
	r, w := o.tmp, o.tm2
	for i := range m {
		r[i] = uy[i] - us[i]
	}
	l.mulA(r, o.a, ux)
	if err := o.c.dual.VJP(w, o.yp, o.v, r); err != nil {
		fillNaN(dst)
		return
	}
	dx, dy, ds := dst[:n], dst[n:n+m], dst[n+m:]
	clear(dx)
	l.mulQ(dx, o.q, ux)
	l.mulAT(dx, o.a, uy)
	for i := range m {
		wi := w[i] - uy[i]
		dy[i] = wi + us[i]
		ds[i] = -wi
	}
}

// rmDtheta is ∂F/∂θ ((n + 2m) × Len()).
type rmDtheta struct{ *rmPoint }

func (o *rmDtheta) Dims() (int, int) { return o.c.l.LenZ(), o.c.l.Len() }

// Apply sets dst = ∂F/∂θ · dθ = (dQ x + dp + dAᵀ Π_{K*}(v), dA x − db, 0).
func (o *rmDtheta) Apply(dst, dth []float64) {
	l := o.c.l
	n, m := l.N, l.M
	dq, dp, da, db, _ := l.Parts(dth)
	fx, fy, fs := dst[:n], dst[n:n+m], dst[n+m:]
	copy(fx, dp)
	l.mulQ(fx, dq, o.x)
	l.mulAT(fx, da, o.yp)
	for i := range m {
		fy[i] = -db[i]
	}
	l.mulA(fy, da, o.x)
	clear(fs)
}

// ApplyT sets dst = (∂F/∂θ)ᵀ u: on Q's pattern uᵢxⱼ + uⱼxᵢ (uᵢxᵢ on the
// diagonal), u_x on p, Π_{K*}(v)ᵢ u_xⱼ + u_yᵢ xⱼ on A's pattern, −u_y on b.
func (o *rmDtheta) ApplyT(dst, u []float64) {
	l := o.c.l
	n, m := l.N, l.M
	gq, gp, ga, gb, _ := l.Parts(dst)
	ux, uy := u[:n], u[n:n+m]
	l.outerQ(gq, ux, o.x)
	copy(gp, ux)
	l.outerA(ga, o.yp, ux, uy, o.x)
	for i := range m {
		gb[i] = -uy[i]
	}
}

// mulQ adds Q x to dst, Q given by its stored values qv on QPattern.
func (l *Layout) mulQ(dst, qv, x []float64) {
	cp, ri := l.QPattern[0], l.QPattern[1]
	if cp == nil {
		return
	}
	for j := range l.N {
		for k := cp[j]; k < cp[j+1]; k++ {
			i := ri[k]
			dst[i] += qv[k] * x[j]
			if i != j {
				dst[j] += qv[k] * x[i]
			}
		}
	}
}

// mulA adds A x to dst (length M).
func (l *Layout) mulA(dst, av, x []float64) {
	cp, ri := l.APattern[0], l.APattern[1]
	if cp == nil {
		return
	}
	for j := range l.N {
		xj := x[j]
		for k := cp[j]; k < cp[j+1]; k++ {
			dst[ri[k]] += av[k] * xj
		}
	}
}

// mulAT adds Aᵀ y to dst (length N).
func (l *Layout) mulAT(dst, av, y []float64) {
	cp, ri := l.APattern[0], l.APattern[1]
	if cp == nil {
		return
	}
	for j := range l.N {
		t := 0.0
		for k := cp[j]; k < cp[j+1]; k++ {
			t += av[k] * y[ri[k]]
		}
		dst[j] += t
	}
}

// outerQ sets g (on Q's pattern) to the gradient of ⟨u, Q x⟩ with respect
// to Q's stored values: uᵢxⱼ + uⱼxᵢ off the diagonal, uᵢxᵢ on it.
func (l *Layout) outerQ(g, u, x []float64) {
	cp, ri := l.QPattern[0], l.QPattern[1]
	if cp == nil {
		return
	}
	for j := range l.N {
		for k := cp[j]; k < cp[j+1]; k++ {
			i := ri[k]
			g[k] = u[i] * x[j]
			if i != j {
				g[k] += u[j] * x[i]
			}
		}
	}
}

// outerA sets g (on A's pattern) to yᵢuⱼ + wᵢxⱼ: the gradient of
// ⟨u, Aᵀy⟩ + ⟨w, Ax⟩ with respect to A's stored values.
func (l *Layout) outerA(g, y, u, w, x []float64) {
	cp, ri := l.APattern[0], l.APattern[1]
	if cp == nil {
		return
	}
	for j := range l.N {
		for k := cp[j]; k < cp[j+1]; k++ {
			i := ri[k]
			g[k] = y[i]*u[j] + w[i]*x[j]
		}
	}
}

func fillNaN(v []float64) {
	for i := range v {
		v[i] = math.NaN()
	}
}
