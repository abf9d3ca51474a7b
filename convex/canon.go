package convex

import (
	"fmt"
	"math"
	"slices"
	"sort"

	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/solvers/cone"
	"github.com/optlayers/optlayers/sparse"
)

// Canonicalization (Smith form, as in CVXPY and Grant & Boyd's graph
// implementations): every affine expression becomes an affine form in the
// canonical variable x with coefficients affine in θ (type lin); every
// atom f(a) becomes a fresh variable t with cone constraints that state
// t ≥ f(a) (convex atoms) or t ≤ f(a) (concave atoms), which the DCP rules
// make tight at an optimum. Constraints become rows "expr ∈ K". The
// result is the cone program's data as an affine map of θ.

type blockKind int

const (
	bZero blockKind = iota
	bNonneg
	bSOC
	bPSD
	bExp
	bPow
)

type block struct {
	kind  blockKind
	alpha float64
	order int
	rows  []term
	con   int // index of the user constraint, −1 for an internal one
}

type builder struct {
	pb     *Problem
	nx     int
	memo   map[*Expr]lin
	vars   map[*Variable]lin
	blocks []block
	q      map[[2]int32]term
	p      map[int32]term
}

// canonical is the cone program as an affine map of θ.
type canonical struct {
	n, m       int
	k          *cone.Product
	qPtr, qIdx []int
	aPtr, aIdx []int
	nd         int // data length nnz(Q) + n + nnz(A) + m
	// The map d = d₀ + Mθ, M stored by rows (CSR over d).
	mapPtr  []int
	mapCol  []int
	mapVal  []float64
	d0      []float64
	conRows [][2]int // each user constraint's rows (offset, length) in y
	conPSD  []int    // order of a Succeq constraint's PSD block (0 otherwise)
}

func (b *builder) fresh(n int) lin {
	l := make(lin, n)
	for i := range l {
		l[i] = varTerm(b.nx+i, 1)
	}
	b.nx += n
	return l
}

func (b *builder) add(kind blockKind, rows []term, con int) {
	b.blocks = append(b.blocks, block{kind: kind, rows: rows, con: con})
}

func (b *builder) addPow(alpha float64, x, y, z term) {
	b.blocks = append(b.blocks, block{kind: bPow, alpha: alpha, rows: []term{x, y, z}, con: -1})
}

func (b *builder) addExp(x, y, z term) {
	b.blocks = append(b.blocks, block{kind: bExp, rows: []term{x, y, z}, con: -1})
}

func (b *builder) addPSD(n int, rows []term, con int) {
	b.blocks = append(b.blocks, block{kind: bPSD, order: n, rows: rows, con: con})
}

var one = constTerm(1)

// svecTerms returns svec of the symmetric part of the n×n matrix whose
// entry (i, j) is get(i, j): lower triangle by columns, off-diagonal
// entries (Mᵢⱼ + Mⱼᵢ)/2 times √2.
func svecTerms(n int, get func(i, j int) term) []term {
	out := make([]term, 0, n*(n+1)/2)
	for j := range n {
		for i := j; i < n; i++ {
			if i == j {
				out = append(out, get(i, i))
				continue
			}
			out = append(out, scale(plus(get(i, j), 1, get(j, i)), math.Sqrt2/2))
		}
	}
	return out
}

func (b *builder) varLin(v *Variable) lin {
	if l, ok := b.vars[v]; ok {
		return l
	}
	r, c := v.rows, v.cols
	l := make(lin, r*c)
	var under []term
	if v.attrs.sym {
		n := r
		cols := make(map[[2]int]int)
		for j := range n {
			for i := j; i < n; i++ {
				cols[[2]int{i, j}] = b.nx
				under = append(under, varTerm(b.nx, 1))
				b.nx++
			}
		}
		for j := range n {
			for i := range n {
				lo, hi := min(i, j), max(i, j)
				l[i+j*n] = varTerm(cols[[2]int{hi, lo}], 1)
			}
		}
	} else {
		for i := range l {
			l[i] = varTerm(b.nx+i, 1)
		}
		b.nx += len(l)
		under = l
	}
	b.vars[v] = l
	switch {
	case v.attrs.nonneg:
		b.add(bNonneg, under, -1)
	case v.attrs.nonpos:
		rows := make([]term, len(under))
		for i, t := range under {
			rows[i] = scale(t, -1)
		}
		b.add(bNonneg, rows, -1)
	}
	if v.attrs.psd {
		n := r
		b.addPSD(n, svecTerms(n, func(i, j int) term { return l[i+j*n] }), -1)
	}
	return l
}

func (b *builder) paramOffset(p *Parameter) int {
	for i, q := range b.pb.pars {
		if q == p {
			return b.pb.poff[i]
		}
	}
	panic("convex: parameter not collected")
}

// canon returns the affine form of e (for an atom, of its epigraph or
// hypograph variable).
func (b *builder) canon(e *Expr) (lin, error) {
	if l, ok := b.memo[e]; ok {
		return l, nil
	}
	l, err := b.canon1(e)
	if err != nil {
		return nil, err
	}
	b.memo[e] = l
	return l, nil
}

func (b *builder) args(e *Expr) ([]lin, error) {
	out := make([]lin, len(e.args))
	for i, a := range e.args {
		l, err := b.canon(a)
		if err != nil {
			return nil, err
		}
		out[i] = l
	}
	return out, nil
}

func (b *builder) canon1(e *Expr) (lin, error) {
	if e.err != nil {
		return nil, e.err
	}
	if e.op == opAtom {
		return b.canonAtom(e)
	}
	as, err := b.args(e)
	if err != nil {
		return nil, err
	}
	size := e.rows * e.cols
	out := make(lin, size)
	switch e.op {
	case opVar:
		return b.varLin(e.v), nil
	case opParam:
		off := b.paramOffset(e.par)
		for i := range out {
			out[i] = term{{none, int32(off + i)}: 1}
		}
	case opConst:
		for i := range out {
			out[i] = constTerm(e.val[i])
		}
	case opAdd:
		for i := range out {
			out[i] = plus(as[0].at(i), 1, as[1].at(i))
		}
	case opNeg:
		for i := range out {
			out[i] = scale(as[0][i], -1)
		}
	case opMul:
		for i := range out {
			t, err := product(as[0].at(i), as[1].at(i))
			if err != nil {
				return nil, fmt.Errorf("%w: %v", err, e)
			}
			out[i] = t
		}
	case opMatMul:
		A, B := as[0], as[1]
		r, k := e.args[0].rows, e.args[0].cols
		for j := range e.cols {
			for i := range r {
				acc := term{}
				for l := range k {
					ta, tb := A[i+l*r], B[l+j*k]
					if len(ta) == 0 || len(tb) == 0 {
						continue
					}
					t, err := product(ta, tb)
					if err != nil {
						return nil, fmt.Errorf("%w: %v", err, e)
					}
					for kk, v := range t {
						acc[kk] += v
					}
				}
				for kk, v := range acc {
					if v == 0 {
						delete(acc, kk)
					}
				}
				out[i+j*r] = acc
			}
		}
	case opGather:
		var cat lin
		if len(as) == 1 {
			cat = as[0]
		} else {
			for _, a := range as {
				cat = append(cat, a...)
			}
		}
		for i, q := range e.idx {
			if q < 0 {
				out[i] = term{}
			} else {
				out[i] = cat[q]
			}
		}
	case opSum:
		a := as[0]
		if e.idx == nil {
			out[0] = sumTerms(a, nil)
		} else {
			ts := make([]term, len(e.idx))
			for i, q := range e.idx {
				ts[i] = a[q]
			}
			out[0] = sumTerms(ts, nil)
		}
	default:
		return nil, fmt.Errorf("%w: %v: unknown operation %d", ErrInvalid, e, e.op)
	}
	return out, nil
}

// socSquare adds t ≥ ‖a‖² as ‖(t − 1, 2a)‖ ≤ t + 1 and returns t.
func (b *builder) socSquare(a []term) term {
	t := b.fresh(1)[0]
	rows := []term{plus(t, 1, one), plus(t, -1, one)}
	for _, x := range a {
		rows = append(rows, scale(x, 2))
	}
	b.add(bSOC, rows, -1)
	return t
}

// factor returns F with FᵀF = ±P (the sign of P's definiteness), P the
// n×n column-major symmetric constant.
func factor(n int, p []float64, neg bool) ([][]float64, error) {
	s := mat.NewSymDense(n, nil)
	for j := range n {
		for i := j; i < n; i++ {
			v := (p[i+j*n] + p[j+i*n]) / 2
			if neg {
				v = -v
			}
			s.SetSym(i, j, v)
		}
	}
	var eig mat.EigenSym
	if !eig.Factorize(s, true) {
		return nil, fmt.Errorf("%w: eigendecomposition failed", ErrInvalid)
	}
	vals := eig.Values(nil)
	var vecs mat.Dense
	eig.VectorsTo(&vecs)
	tol := 1e-12 * math.Max(1, vals[n-1])
	var F [][]float64
	for k, l := range vals {
		if l <= tol {
			continue
		}
		row := make([]float64, n)
		r := math.Sqrt(l)
		for i := range n {
			row[i] = r * vecs.At(i, k)
		}
		F = append(F, row)
	}
	return F, nil
}

func (b *builder) canonAtom(e *Expr) (lin, error) {
	as, err := b.args(e)
	if err != nil {
		return nil, err
	}
	size := e.rows * e.cols
	switch e.atom {
	case kAbs, kPos, kNegPart:
		t := b.fresh(size)
		var rows []term
		for i := range t {
			switch e.atom {
			case kAbs:
				rows = append(rows, plus(t[i], -1, as[0][i]), plus(t[i], 1, as[0][i]))
			case kPos:
				rows = append(rows, plus(t[i], -1, as[0][i]), t[i])
			default:
				rows = append(rows, plus(t[i], 1, as[0][i]), t[i])
			}
		}
		b.add(bNonneg, rows, -1)
		return t, nil
	case kNorm1:
		a := as[0]
		u := b.fresh(len(a))
		rows := make([]term, 0, 2*len(a))
		for i := range a {
			rows = append(rows, plus(u[i], -1, a[i]), plus(u[i], 1, a[i]))
		}
		b.add(bNonneg, rows, -1)
		return lin{sumTerms(u, nil)}, nil
	case kNormInf, kMax, kMin:
		a := as[0]
		t := b.fresh(1)
		rows := make([]term, 0, 2*len(a))
		for i := range a {
			switch e.atom {
			case kNormInf:
				rows = append(rows, plus(t[0], -1, a[i]), plus(t[0], 1, a[i]))
			case kMax:
				rows = append(rows, plus(t[0], -1, a[i]))
			default:
				rows = append(rows, plus(a[i], -1, t[0]))
			}
		}
		b.add(bNonneg, rows, -1)
		return t, nil
	case kNorm2:
		t := b.fresh(1)
		b.add(bSOC, append([]term{t[0]}, as[0]...), -1)
		return t, nil
	case kPnorm:
		a := as[0]
		r := b.fresh(len(a))
		t := b.fresh(1)
		b.add(bNonneg, []term{plus(t[0], -1, sumTerms(r, nil))}, -1)
		for i := range a {
			b.addPow(1/e.p, r[i], t[0], a[i])
		}
		return t, nil
	case kSumSquares:
		return lin{b.socSquare(as[0])}, nil
	case kQuadOver:
		x, y := as[0], as[1][0]
		t := b.fresh(1)
		rows := []term{plus(t[0], 1, y), plus(t[0], -1, y)}
		for _, xi := range x {
			rows = append(rows, scale(xi, 2))
		}
		b.add(bSOC, rows, -1)
		return t, nil
	case kQuadForm, kQuadFormNeg:
		if e.pmat == nil {
			return nil, fmt.Errorf("%w: %v: QuadForm with a parameter matrix is supported only as a term of the objective (where it becomes part of Q)", ErrNotDPP, e)
		}
		n := e.args[0].rows
		F, err := factor(n, e.pmat, e.atom == kQuadFormNeg)
		if err != nil {
			return nil, fmt.Errorf("%v: %w", e, err)
		}
		if len(F) == 0 {
			return lin{term{}}, nil
		}
		fa := make([]term, len(F))
		for r, row := range F {
			fa[r] = sumTerms(as[0], row)
		}
		t := b.socSquare(fa)
		if e.atom == kQuadFormNeg {
			return lin{scale(t, -1)}, nil
		}
		return lin{t}, nil
	case kPowerCvx:
		a := as[0]
		t := b.fresh(size)
		for i := range a {
			switch {
			case e.p == 2:
				b.add(bSOC, []term{plus(t[i], 1, one), plus(t[i], -1, one), scale(a[i], 2)}, -1)
			case e.p > 1:
				b.addPow(1/e.p, t[i], one, a[i])
			default: // p < 0
				b.addPow(1/(1-e.p), t[i], a[i], one)
			}
		}
		if e.p > 1 && !evenInt(e.p) {
			b.add(bNonneg, slices.Clone([]term(a)), -1)
		}
		return t, nil
	case kPowerCcv:
		a := as[0]
		t := b.fresh(size)
		for i := range a {
			b.addPow(e.p, a[i], one, t[i])
		}
		return t, nil
	case kMaximum, kMinimum:
		t := b.fresh(size)
		var rows []term
		for _, a := range as {
			for i := range t {
				if e.atom == kMaximum {
					rows = append(rows, plus(t[i], -1, a.at(i)))
				} else {
					rows = append(rows, plus(a.at(i), -1, t[i]))
				}
			}
		}
		b.add(bNonneg, rows, -1)
		return t, nil
	case kHuber:
		a := as[0]
		u, q, r := b.fresh(size), b.fresh(size), b.fresh(size)
		out := make(lin, size)
		var rows []term
		for i := range a {
			b.add(bSOC, []term{plus(q[i], 1, one), plus(q[i], -1, one), scale(u[i], 2)}, -1)
			d := plus(a[i], -1, u[i])
			rows = append(rows, plus(r[i], -1, d), plus(r[i], 1, d))
			out[i] = plus(q[i], 2*e.p, r[i])
		}
		b.add(bNonneg, rows, -1)
		return out, nil
	case kLogSumExp:
		a := as[0]
		t := b.fresh(1)
		u := b.fresh(len(a))
		for i := range a {
			b.addExp(plus(a[i], -1, t[0]), one, u[i])
		}
		b.add(bNonneg, []term{plus(one, -1, sumTerms(u, nil))}, -1)
		return t, nil
	case kEntropy, kExp, kLog:
		a := as[0]
		t := b.fresh(size)
		for i := range a {
			switch e.atom {
			case kEntropy:
				b.addExp(t[i], a[i], one)
			case kExp:
				b.addExp(a[i], one, t[i])
			default:
				b.addExp(t[i], one, a[i])
			}
		}
		return t, nil
	case kGeoMean:
		a := as[0]
		n := len(a)
		if n == 1 {
			b.add(bNonneg, []term{a[0]}, -1)
			return lin{a[0]}, nil
		}
		g := a[n-1]
		for i := n - 2; i >= 0; i-- {
			gi := b.fresh(1)[0]
			b.addPow(1/float64(n-i), a[i], g, gi)
			g = gi
		}
		return lin{g}, nil
	case kLambdaMax:
		a := as[0]
		n := e.args[0].rows
		t := b.fresh(1)[0]
		b.addPSD(n, svecTerms(n, func(i, j int) term {
			m := scale(a[i+j*n], -1)
			if i == j {
				m = plus(m, 1, t)
			}
			return m
		}), -1)
		return lin{t}, nil
	case kLogDet:
		a := as[0]
		n := e.args[0].rows
		// [[X, Z], [Zᵀ, diag(Z)]] ≽ 0 with Z lower triangular; t_i ≤ log Zᵢᵢ
		// (Ben-Tal & Nemirovski, Lectures on Modern Convex Optimization,
		// 2001, §4.2).
		zc := map[[2]int]term{}
		for j := range n {
			for i := j; i < n; i++ {
				zc[[2]int{i, j}] = b.fresh(1)[0]
			}
		}
		z := func(i, j int) term {
			if t, ok := zc[[2]int{i, j}]; ok {
				return t
			}
			return term{}
		}
		get := func(i, j int) term {
			switch {
			case i < n && j < n:
				return a[i+j*n]
			case i < n: // the block Z
				return z(i, j-n)
			case j < n: // Zᵀ
				return z(j, i-n)
			case i == j:
				return z(i-n, i-n)
			}
			return term{}
		}
		b.addPSD(2*n, svecTerms(2*n, get), -1)
		t := b.fresh(n)
		for i := range n {
			b.addExp(t[i], one, z(i, i))
		}
		return lin{sumTerms(t, nil)}, nil
	}
	return nil, fmt.Errorf("%w: %v: no canonicalization", ErrInvalid, e)
}

// objective canonicalizes w·e of a minimized objective: sums, negations
// and scalings by Constant factors are walked; SumSquares and QuadForm
// terms become entries of Q; the rest becomes p through its affine form.
func (b *builder) objective(e *Expr, w term) error {
	switch e.op {
	case opAdd:
		if err := b.objective(e.args[0], w); err != nil {
			return err
		}
		return b.objective(e.args[1], w)
	case opNeg:
		return b.objective(e.args[0], scale(w, -1))
	case opMul:
		if e.args[0].Size() == 1 && e.args[1].Size() == 1 {
			for i := range 2 {
				c := e.args[i]
				if c.curv == Constant {
					l, err := b.canon(c)
					if err != nil {
						return err
					}
					w2, err := product(w, l[0])
					if err == nil {
						return b.objective(e.args[1-i], w2)
					}
				}
			}
		}
	case opAtom:
		switch e.atom {
		case kSumSquares:
			return b.quadratic(e, w, nil)
		case kQuadForm, kQuadFormNeg:
			return b.quadratic(e, w, e.args[1])
		}
	}
	l, err := b.canon(e)
	if err != nil {
		return err
	}
	t, err := product(w, l[0])
	if err != nil {
		return fmt.Errorf("%w: %v in the objective", err, e)
	}
	for k, v := range t {
		if k.j != none {
			b.p[k.j] = plus(b.p[k.j], v, term{{none, k.k}: 1})
		}
	}
	return nil
}

func (b *builder) addQ(i, j int32, t term) {
	if i > j {
		i, j = j, i
	}
	k := [2]int32{i, j}
	b.q[k] = plus(b.q[k], 1, t)
}

// quadratic adds w·‖a‖² (m nil) or w·aᵀMa to ½xᵀQx + pᵀx: directly on the
// columns of a when a selects distinct columns with constant
// coefficients, through a copy u = a (equality rows) otherwise.
func (b *builder) quadratic(e *Expr, w term, m *Expr) error {
	as, err := b.args(e)
	if err != nil {
		return err
	}
	a := as[0]
	var M lin
	if m != nil {
		if M, err = b.canon(m); err != nil {
			return err
		}
	}
	// Direct: each entry is c·x_j + d with distinct j, c constant; for
	// QuadForm with d = 0.
	cols := make([]int32, len(a))
	coef := make([]float64, len(a))
	offs := make([]term, len(a))
	direct := true
	seen := map[int32]bool{}
	wParam := false
	for k := range w {
		wParam = wParam || k.k != none
	}
	for i, t := range a {
		cols[i] = none
		offs[i] = term{}
		for k, v := range t {
			switch {
			case k.j == none:
				offs[i][k] = v
				if (wParam && k.k != none) || m != nil {
					direct = false
				}
			case k.k != none || cols[i] != none || seen[k.j]:
				direct = false
			default:
				cols[i], coef[i] = k.j, v
				seen[k.j] = true
			}
		}
		if cols[i] == none && m != nil {
			direct = false
		}
	}
	if !direct {
		u := b.fresh(len(a))
		rows := make([]term, len(a))
		for i := range a {
			rows[i] = plus(a[i], -1, u[i])
			cols[i], coef[i], offs[i] = int32(b.nx-len(a)+i), 1, term{}
		}
		b.add(bZero, rows, -1)
	}
	if m == nil {
		for i := range a {
			if cols[i] == none {
				continue
			}
			b.addQ(cols[i], cols[i], scale(w, 2*coef[i]*coef[i]))
			if len(offs[i]) > 0 {
				t, err := product(w, offs[i])
				if err != nil {
					return fmt.Errorf("%w: %v in the objective", err, e)
				}
				b.p[cols[i]] = plus(b.p[cols[i]], 2*coef[i], t)
			}
		}
		return nil
	}
	n := len(a)
	for s := range n {
		for r := range n {
			// w·(M_rs) contributes to Q at (r, s) and (s, r): ½·2w(M_rs + M_sr)
			// on each stored off-diagonal pair, 2w·M_rr on the diagonal.
			if r > s {
				continue
			}
			var mt term
			if r == s {
				mt = scale(M[r+s*n], 2)
			} else {
				mt = plus(M[r+s*n], 1, M[s+r*n])
			}
			t, err := product(w, mt)
			if err != nil {
				return fmt.Errorf("%w: %v in the objective", err, e)
			}
			b.addQ(cols[r], cols[s], scale(t, coef[r]*coef[s]))
		}
	}
	return nil
}

// constraint canonicalizes user constraint i.
func (b *builder) constraint(i int, c *Constraint) error {
	as := make([]lin, len(c.args))
	for k, a := range c.args {
		l, err := b.canon(a)
		if err != nil {
			return fmt.Errorf("constraint %d (%v): %w", i, c, err)
		}
		as[k] = l
	}
	x, y := as[0], as[1]
	switch c.kind {
	case conLe, conEq:
		n := max(len(x), len(y))
		rows := make([]term, n)
		for r := range rows {
			rows[r] = plus(y.at(r), -1, x.at(r))
		}
		kind := bNonneg
		if c.kind == conEq {
			kind = bZero
		}
		b.add(kind, rows, i)
	case conSOC:
		b.add(bSOC, append([]term{x[0]}, y...), i)
	case conPSD:
		n := c.args[0].rows
		b.addPSD(n, svecTerms(n, func(r, s int) term { return plus(x.at(r+s*n), -1, y.at(r+s*n)) }), i)
	}
	return nil
}

// build canonicalizes the problem.
func (pb *Problem) build() error {
	b := &builder{pb: pb, memo: map[*Expr]lin{}, vars: map[*Variable]lin{}, q: map[[2]int32]term{}, p: map[int32]term{}}
	// User variables first, in order: their columns lead x.
	pb.vlin = make([][]term, len(pb.vars))
	for i, v := range pb.vars {
		pb.vlin[i] = b.varLin(v)
	}
	w := one
	if pb.obj.max {
		w = constTerm(-1)
	}
	if err := b.objective(pb.obj.e, w); err != nil {
		return fmt.Errorf("objective: %w", err)
	}
	for i, c := range pb.cons {
		if err := b.constraint(i, c); err != nil {
			return err
		}
	}
	return pb.canon.assemble(b, len(pb.cons))
}

// assemble orders the cone blocks, builds the patterns of Q and A and the
// map θ ↦ (Q, p, A, b).
func (c *canonical) assemble(b *builder, ncons int) error {
	if len(b.blocks) == 0 {
		b.add(bZero, []term{{}}, -1) // an empty equality row: K is never empty
	}
	sort.SliceStable(b.blocks, func(i, j int) bool { return b.blocks[i].kind < b.blocks[j].kind })
	c.n = b.nx
	c.conRows = make([][2]int, ncons)
	c.conPSD = make([]int, ncons)
	var cones []cone.Cone
	var rows []term
	for i, bl := range b.blocks {
		off := len(rows)
		rows = append(rows, bl.rows...)
		if bl.con >= 0 {
			c.conRows[bl.con] = [2]int{off, len(bl.rows)}
			if bl.kind == bPSD {
				c.conPSD[bl.con] = bl.order
			}
		}
		merge := i > 0 && bl.kind == b.blocks[i-1].kind && (bl.kind == bZero || bl.kind == bNonneg)
		switch bl.kind {
		case bZero:
			if merge {
				z := cones[len(cones)-1].(cone.Zero)
				cones[len(cones)-1] = cone.Zero{N: z.N + len(bl.rows)}
			} else {
				cones = append(cones, cone.Zero{N: len(bl.rows)})
			}
		case bNonneg:
			if merge {
				z := cones[len(cones)-1].(cone.Nonnegative)
				cones[len(cones)-1] = cone.Nonnegative{N: z.N + len(bl.rows)}
			} else {
				cones = append(cones, cone.Nonnegative{N: len(bl.rows)})
			}
		case bSOC:
			cones = append(cones, cone.SecondOrder{N: len(bl.rows)})
		case bPSD:
			cones = append(cones, cone.PSD{N: bl.order})
		case bExp:
			cones = append(cones, cone.Exp{})
		case bPow:
			cones = append(cones, cone.Power{Alpha: bl.alpha})
		}
	}
	k, err := cone.NewProduct(cones...)
	if err != nil {
		return fmt.Errorf("%w: the cone of the canonical problem: %v", ErrInvalid, err)
	}
	c.k = k
	c.m = len(rows)

	// Q pattern.
	qkeys := make([][2]int32, 0, len(b.q))
	for k := range b.q {
		qkeys = append(qkeys, k)
	}
	sort.Slice(qkeys, func(i, j int) bool {
		if qkeys[i][1] != qkeys[j][1] {
			return qkeys[i][1] < qkeys[j][1]
		}
		return qkeys[i][0] < qkeys[j][0]
	})
	c.qPtr = make([]int, c.n+1)
	c.qIdx = make([]int, len(qkeys))
	var data []term
	for q, k := range qkeys {
		c.qIdx[q] = int(k[0])
		c.qPtr[k[1]+1]++
		data = append(data, b.q[k])
	}
	for j := range c.n {
		c.qPtr[j+1] += c.qPtr[j]
	}
	for j := range c.n {
		data = append(data, b.p[int32(j)])
	}
	// A: row r of "expr ∈ K" is s_r = expr_r = b_r − (Ax)_r.
	acc := map[[2]int32]term{}
	bv := make([]term, c.m)
	for r, t := range rows {
		bv[r] = term{}
		for key, v := range t {
			if key.j == none {
				bv[r][key] = v
				continue
			}
			ak := [2]int32{int32(r), key.j}
			if acc[ak] == nil {
				acc[ak] = term{}
			}
			acc[ak][key2(key.k)] += -v
		}
	}
	akeys := make([][2]int32, 0, len(acc))
	for k := range acc {
		akeys = append(akeys, k)
	}
	sort.Slice(akeys, func(i, j int) bool {
		if akeys[i][1] != akeys[j][1] {
			return akeys[i][1] < akeys[j][1]
		}
		return akeys[i][0] < akeys[j][0]
	})
	c.aPtr = make([]int, c.n+1)
	c.aIdx = make([]int, len(akeys))
	for q, k := range akeys {
		c.aIdx[q] = int(k[0])
		c.aPtr[k[1]+1]++
		data = append(data, acc[k])
	}
	for j := range c.n {
		c.aPtr[j+1] += c.aPtr[j]
	}
	data = append(data, bv...)
	c.nd = len(data)
	c.mapPtr = make([]int, c.nd+1)
	c.d0 = make([]float64, c.nd)
	for o, t := range data {
		if !finiteTerm(t) {
			return fmt.Errorf("%w: the canonical data overflows (a coefficient is not finite)", ErrNaN)
		}
		for _, key := range t.sortedKeys() {
			if key.k == none {
				c.d0[o] += t[key]
				continue
			}
			c.mapCol = append(c.mapCol, int(key.k))
			c.mapVal = append(c.mapVal, t[key])
		}
		c.mapPtr[o+1] = len(c.mapCol)
	}
	return nil
}

func key2(k int32) key { return key{none, k} }

// eval sets d = d₀ + Mθ.
func (c *canonical) eval(d, theta []float64) {
	for o := range d {
		s := c.d0[o]
		for q := c.mapPtr[o]; q < c.mapPtr[o+1]; q++ {
			s += c.mapVal[q] * theta[c.mapCol[q]]
		}
		d[o] = s
	}
}

// apply sets dst = M·v.
func (c *canonical) apply(dst, v []float64) {
	for o := range dst {
		s := 0.0
		for q := c.mapPtr[o]; q < c.mapPtr[o+1]; q++ {
			s += c.mapVal[q] * v[c.mapCol[q]]
		}
		dst[o] = s
	}
}

// applyT adds Mᵀu to dst.
func (c *canonical) applyT(dst, u []float64) {
	for o, uo := range u {
		if uo == 0 {
			continue
		}
		for q := c.mapPtr[o]; q < c.mapPtr[o+1]; q++ {
			dst[c.mapCol[q]] += c.mapVal[q] * uo
		}
	}
}

// split returns the views of d on Q's values, p, A's values and b.
func (c *canonical) split(d []float64) (qv, p, av, b []float64) {
	nq, na := len(c.qIdx), len(c.aIdx)
	return d[:nq], d[nq : nq+c.n], d[nq+c.n : nq+c.n+na], d[nq+c.n+na:]
}

// problem evaluates the map at θ into a fresh cone.Problem.
func (c *canonical) problem(theta []float64) (*cone.Problem, error) {
	d := make([]float64, c.nd)
	c.eval(d, theta)
	for o, v := range d {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("%w: cone data entry %d overflows at these parameter values", ErrNaN, o)
		}
	}
	qv, p, av, bv := c.split(d)
	pb := &cone.Problem{P: p, B: bv, K: c.k}
	if len(qv) > 0 {
		q, err := sparse.NewSymCSC(c.n, slices.Clone(c.qPtr), slices.Clone(c.qIdx), qv)
		if err != nil {
			return nil, fmt.Errorf("%w: Q of the canonical problem: %v", ErrInvalid, err)
		}
		pb.Q = q
	}
	a, err := sparse.NewCSC(c.m, c.n, slices.Clone(c.aPtr), slices.Clone(c.aIdx), av)
	if err != nil {
		return nil, fmt.Errorf("%w: A of the canonical problem: %v", ErrInvalid, err)
	}
	pb.A = a
	return pb, nil
}
