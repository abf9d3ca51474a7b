package convex

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// mono is the monotonicity of an atom in one argument.
type mono int

const (
	nonmono mono = iota
	incr
	decr
	// bySign: increasing where the argument is ≥ 0, decreasing where it
	// is ≤ 0 (|x|, x², norms).
	bySign
)

type atomKind struct {
	name   string
	number string // non-empty: the atom prints its number p
	curv   Curvature
	mono   func(e *Expr, i int) mono
	sign   func(e *Expr) Sign
}

func always(m mono) func(*Expr, int) mono { return func(*Expr, int) mono { return m } }
func signIs(s Sign) func(*Expr) Sign      { return func(*Expr) Sign { return s } }
func argSign(e *Expr) Sign                { return e.args[0].sign }

func describeNeed(curv Curvature, m mono) string {
	want := func(c Curvature) string { return c.String() }
	good := Convex
	if curv == Concave {
		good = Concave
	}
	bad := Convex + Concave - good
	switch m {
	case incr:
		return "affine or " + want(good)
	case decr:
		return "affine or " + want(bad)
	case bySign:
		return fmt.Sprintf("affine, or %s and nonnegative, or %s and nonpositive", want(good), want(bad))
	}
	return "affine"
}

var (
	kAbs        = &atomKind{name: "Abs", curv: Convex, mono: always(bySign), sign: signIs(Nonnegative)}
	kPos        = &atomKind{name: "Pos", curv: Convex, mono: always(incr), sign: signIs(Nonnegative)}
	kNegPart    = &atomKind{name: "NegPart", curv: Convex, mono: always(decr), sign: signIs(Nonnegative)}
	kNorm1      = &atomKind{name: "Norm1", curv: Convex, mono: always(bySign), sign: signIs(Nonnegative)}
	kNorm2      = &atomKind{name: "Norm2", curv: Convex, mono: always(bySign), sign: signIs(Nonnegative)}
	kNormInf    = &atomKind{name: "NormInf", curv: Convex, mono: always(bySign), sign: signIs(Nonnegative)}
	kPnorm      = &atomKind{name: "Pnorm", number: "p", curv: Convex, mono: always(bySign), sign: signIs(Nonnegative)}
	kSumSquares = &atomKind{name: "SumSquares", curv: Convex, mono: always(bySign), sign: signIs(Nonnegative)}
	kQuadOver   = &atomKind{name: "QuadOverLin", curv: Convex, mono: func(_ *Expr, i int) mono {
		if i == 0 {
			return bySign
		}
		return decr
	}, sign: signIs(Nonnegative)}
	kQuadForm    = &atomKind{name: "QuadForm", curv: Convex, mono: always(nonmono), sign: signIs(Nonnegative)}
	kQuadFormNeg = &atomKind{name: "QuadForm", curv: Concave, mono: always(nonmono), sign: signIs(Nonpositive)}
	kPowerCvx    = &atomKind{name: "Power", number: "p", curv: Convex, mono: func(e *Expr, _ int) mono {
		if e.p < 0 {
			return decr
		}
		if evenInt(e.p) {
			return bySign
		}
		return incr
	}, sign: signIs(Nonnegative)}
	kPowerCcv  = &atomKind{name: "Power", number: "p", curv: Concave, mono: always(incr), sign: signIs(Nonnegative)}
	kMax       = &atomKind{name: "Max", curv: Convex, mono: always(incr), sign: argSign}
	kMin       = &atomKind{name: "Min", curv: Concave, mono: always(incr), sign: argSign}
	kMaximum   = &atomKind{name: "Maximum", curv: Convex, mono: always(incr), sign: maxSign}
	kMinimum   = &atomKind{name: "Minimum", curv: Concave, mono: always(incr), sign: minSign}
	kHuber     = &atomKind{name: "Huber", number: "M", curv: Convex, mono: always(bySign), sign: signIs(Nonnegative)}
	kLogSumExp = &atomKind{name: "LogSumExp", curv: Convex, mono: always(incr), sign: signIs(AnySign)}
	kEntropy   = &atomKind{name: "Entropy", curv: Concave, mono: always(nonmono), sign: signIs(AnySign)}
	kExp       = &atomKind{name: "Exp", curv: Convex, mono: always(incr), sign: signIs(Nonnegative)}
	kLog       = &atomKind{name: "Log", curv: Concave, mono: always(incr), sign: signIs(AnySign)}
	kGeoMean   = &atomKind{name: "GeoMean", curv: Concave, mono: always(incr), sign: signIs(Nonnegative)}
	kLambdaMax = &atomKind{name: "LambdaMax", curv: Convex, mono: always(nonmono), sign: signIs(AnySign)}
	kLogDet    = &atomKind{name: "LogDet", curv: Concave, mono: always(nonmono), sign: signIs(AnySign)}
)

func maxSign(e *Expr) Sign {
	all := Nonpositive
	for _, a := range e.args {
		if a.sign.nonneg() {
			return Nonnegative
		}
		if !a.sign.nonpos() {
			all = AnySign
		}
	}
	return all
}

func minSign(e *Expr) Sign {
	all := Nonnegative
	for _, a := range e.args {
		if a.sign.nonpos() {
			return Nonpositive
		}
		if !a.sign.nonneg() {
			all = AnySign
		}
	}
	return all
}

func evenInt(p float64) bool { return p == math.Trunc(p) && math.Mod(p, 2) == 0 }

// mkAtom builds an atom node and applies the DCP composition rule: a
// convex atom of argument i needs the argument affine, or convex where
// the atom is increasing in it, or concave where decreasing (the mirror
// rules for a concave atom).
func mkAtom(k *atomKind, p float64, rows, cols int, args ...*Expr) *Expr {
	e := &Expr{op: opAtom, atom: k, p: p, args: args, rows: rows, cols: cols, curv: k.curv}
	for _, a := range args {
		e.hasVar = e.hasVar || a.hasVar
	}
	// The atom's canonical form is a fresh variable: no parameter
	// coefficient leaves it.
	e.hasParam = false
	e.sign = k.sign(e)
	for i, a := range args {
		if k == kQuadForm || k == kQuadFormNeg {
			if i == 1 {
				continue // the matrix: checked by QuadForm
			}
		}
		m := k.mono(e, i)
		if m == bySign {
			switch {
			case a.sign.nonneg():
				m = incr
			case a.sign.nonpos():
				m = decr
			}
		}
		ok := false
		switch {
		case a.curv <= Affine:
			ok = true
		case a.curv == Unknown:
			ok = false
		case m == incr:
			ok = a.curv == k.curv
		case m == decr:
			ok = a.curv != k.curv
		}
		if !ok {
			return notDCP(e, "its argument %v is %v; %s (%v) needs it %s", a, a.curv, k.name, k.curv, describeNeed(k.curv, k.mono(e, i)))
		}
	}
	return e
}

func atom1(k *atomKind, what string, x Expression, p float64, rows, cols int) *Expr {
	as, err := operands(what, x)
	if err != nil {
		return bad(rows, cols, err)
	}
	if rows == 0 {
		rows, cols = as[0].rows, as[0].cols
	}
	return mkAtom(k, p, rows, cols, as[0])
}

// Abs returns |x| elementwise (convex).
func Abs(x Expression) *Expr { return atom1(kAbs, "Abs", x, 0, 0, 0) }

// Pos returns max(x, 0) elementwise (convex, increasing).
func Pos(x Expression) *Expr { return atom1(kPos, "Pos", x, 0, 0, 0) }

// NegPart returns max(−x, 0) elementwise (convex, decreasing; CVXPY's neg).
func NegPart(x Expression) *Expr { return atom1(kNegPart, "NegPart", x, 0, 0, 0) }

// Norm1 returns Σ|xᵢ| over all entries.
func Norm1(x Expression) *Expr { return atom1(kNorm1, "Norm1", x, 1, 1, 1) }

// Norm2 returns the Euclidean norm of the entries (Frobenius for a
// matrix).
func Norm2(x Expression) *Expr { return atom1(kNorm2, "Norm2", x, 2, 1, 1) }

// NormInf returns max|xᵢ|.
func NormInf(x Expression) *Expr { return atom1(kNormInf, "NormInf", x, math.Inf(1), 1, 1) }

// Pnorm returns (Σ|xᵢ|ᵖ)^{1/p} for p ≥ 1 (p = +Inf is NormInf),
// canonicalized with power cones.
func Pnorm(x Expression, p float64) *Expr {
	switch {
	case math.IsNaN(p) || p < 1:
		return bad(1, 1, fmt.Errorf("%w: Pnorm with p = %v (want p ≥ 1)", ErrInvalid, p))
	case p == 1:
		return Norm1(x)
	case p == 2:
		return Norm2(x)
	case math.IsInf(p, 1):
		return NormInf(x)
	}
	return atom1(kPnorm, "Pnorm", x, p, 1, 1)
}

// SumSquares returns Σxᵢ² (in an objective it becomes a term of Q).
func SumSquares(x Expression) *Expr { return atom1(kSumSquares, "SumSquares", x, 0, 1, 1) }

// QuadOverLin returns Σxᵢ²/y for a scalar y > 0 (convex, decreasing in y).
func QuadOverLin(x, y Expression) *Expr {
	as, err := operands("QuadOverLin", x, y)
	if err != nil {
		return bad(1, 1, err)
	}
	if as[1].Size() != 1 {
		return bad(1, 1, fmt.Errorf("%w: QuadOverLin(%v, %v): the denominator is %s, not a scalar", ErrDims, as[0], as[1], shapeStr(as[1])))
	}
	return mkAtom(kQuadOver, 0, 1, 1, as[0], as[1])
}

// QuadForm returns xᵀPx for a vector x and a square P: a constant matrix
// that is positive semidefinite (convex) or negative semidefinite
// (concave), or a parameter with the PSD attribute (DPP allows it only
// as a term of the objective, where it becomes part of Q).
func QuadForm(x, P Expression) *Expr {
	as, err := operands("QuadForm", x, P)
	if err != nil {
		return bad(1, 1, err)
	}
	a, m := as[0], as[1]
	if a.cols != 1 || m.rows != m.cols || m.rows != a.rows {
		return bad(1, 1, fmt.Errorf("%w: QuadForm(%v, %v): x is %s, P is %s", ErrDims, a, m, shapeStr(a), shapeStr(m)))
	}
	e := &Expr{op: opAtom, atom: kQuadForm, args: as, rows: 1, cols: 1, curv: Convex, sign: Nonnegative, hasVar: a.hasVar}
	var pv []float64
	if m.curv == Constant && !m.hasParam {
		ev := &evaluator{memo: map[*Expr][]float64{}}
		v, err := ev.eval(m)
		if err != nil {
			return bad(1, 1, err)
		}
		pv = v
	}
	switch {
	case pv != nil:
		n := m.rows
		sym := mat.NewSymDense(n, nil)
		for j := range n {
			for i := j; i < n; i++ {
				u, v := pv[i+j*n], pv[j+i*n]
				if math.Abs(u-v) > 1e-10*math.Max(1, math.Max(math.Abs(u), math.Abs(v))) {
					return notDCP(e, "P is not symmetric (entries (%d,%d) and (%d,%d))", i, j, j, i)
				}
				sym.SetSym(i, j, (u+v)/2)
			}
		}
		var eig mat.EigenSym
		if !eig.Factorize(sym, false) {
			return bad(1, 1, fmt.Errorf("%w: QuadForm: eigenvalues of P failed", ErrInvalid))
		}
		vals := eig.Values(nil)
		tol := 1e-10 * math.Max(1, math.Max(math.Abs(vals[0]), math.Abs(vals[n-1])))
		switch {
		case vals[0] >= -tol:
		case vals[n-1] <= tol:
			e.atom, e.curv, e.sign = kQuadFormNeg, Concave, Nonpositive
		default:
			return notDCP(e, "P is indefinite (eigenvalues %.3g and %.3g)", vals[0], vals[n-1])
		}
		e.pmat = pv
	case m.op == opParam:
		if !m.par.attrs.psd {
			return notDPP(e, "the parameter %v must have the PSD attribute", m)
		}
	default:
		return notDPP(e, "P must be a constant matrix or a PSD parameter, not %v", m)
	}
	if a.curv > Affine {
		return notDCP(e, "its argument %v is %v; QuadForm needs it affine", a, a.curv)
	}
	return e
}

// Square returns x² elementwise.
func Square(x Expression) *Expr { return labeled(Power(x, 2), "Square") }

// Sqrt returns √x elementwise (concave, x ≥ 0).
func Sqrt(x Expression) *Expr { return labeled(Power(x, 0.5), "Sqrt") }

// InvPos returns 1/x elementwise for x > 0 (convex, decreasing).
func InvPos(x Expression) *Expr { return labeled(Power(x, -1), "InvPos") }

// labeled names an atom node by its sugar (Square, Sqrt, InvPos) and
// redoes the message of its DCP error with that name.
func labeled(e *Expr, name string) *Expr {
	if e.op != opAtom || e.label != "" {
		return e
	}
	c := *e
	c.label = name
	if c.err != nil && errors.Is(c.err, ErrNotDCP) {
		a := c.args[0]
		c.err = fmt.Errorf("%w: %s: its argument %v is %v; %s (%v) needs it %s", ErrNotDCP, c.String(), a, a.curv, name, c.atom.curv, describeNeed(c.atom.curv, c.atom.mono(&c, 0)))
	}
	return &c
}

// Power returns xᵖ elementwise: for p > 1 convex (|x|ᵖ for an even
// integer p, otherwise with the domain x ≥ 0 added as a constraint), for
// 0 < p < 1 concave (x ≥ 0), for p < 0 convex and decreasing (x > 0);
// p = 1 is x and p = 0 the constant 1. Canonicalized with second-order
// (p = 2) or power cones.
func Power(x Expression, p float64) *Expr {
	as, err := operands("Power", x)
	if err != nil {
		return bad(0, 0, err)
	}
	a := as[0]
	switch {
	case math.IsNaN(p) || math.IsInf(p, 0):
		return bad(a.rows, a.cols, fmt.Errorf("%w: Power(%v, %v)", ErrInvalid, a, p))
	case p == 1:
		return a
	case p == 0:
		return Ones(a.rows, a.cols)
	case p > 0 && p < 1:
		return mkAtom(kPowerCcv, p, a.rows, a.cols, a)
	}
	return mkAtom(kPowerCvx, p, a.rows, a.cols, a)
}

// Exp returns eˣ elementwise (exponential cone).
func Exp(x Expression) *Expr { return atom1(kExp, "Exp", x, 0, 0, 0) }

// Log returns log x elementwise (concave, x > 0).
func Log(x Expression) *Expr { return atom1(kLog, "Log", x, 0, 0, 0) }

// Entropy returns −x log x elementwise (concave, x ≥ 0).
func Entropy(x Expression) *Expr { return atom1(kEntropy, "Entropy", x, 0, 0, 0) }

// LogSumExp returns log Σ e^{xᵢ} over all entries.
func LogSumExp(x Expression) *Expr { return atom1(kLogSumExp, "LogSumExp", x, 0, 1, 1) }

// GeoMean returns (Π xᵢ)^{1/n} of a vector (concave, x ≥ 0; a chain of
// power cones).
func GeoMean(x Expression) *Expr {
	as, err := operands("GeoMean", x)
	if err != nil {
		return bad(1, 1, err)
	}
	if as[0].cols != 1 {
		return bad(1, 1, fmt.Errorf("%w: GeoMean of %v (%s): not a vector", ErrDims, as[0], shapeStr(as[0])))
	}
	return mkAtom(kGeoMean, 0, 1, 1, as[0])
}

// Huber returns the Huber function of x elementwise with threshold M > 0:
// x² for |x| ≤ M, 2M|x| − M² otherwise (CVXPY's definition).
func Huber(x Expression, M float64) *Expr {
	if !(M > 0) || math.IsInf(M, 0) {
		return bad(0, 0, fmt.Errorf("%w: Huber with M = %v (want 0 < M < ∞)", ErrInvalid, M))
	}
	return atom1(kHuber, "Huber", x, M, 0, 0)
}

// Max returns the largest entry (convex); Min the smallest (concave).
func Max(x Expression) *Expr { return atom1(kMax, "Max", x, 0, 1, 1) }

// Min returns the smallest entry (concave).
func Min(x Expression) *Expr { return atom1(kMin, "Min", x, 0, 1, 1) }

func elementwise(k *atomKind, what string, xs []Expression) *Expr {
	as, err := operands(what, xs...)
	if err != nil {
		return bad(0, 0, err)
	}
	if len(as) < 1 {
		return bad(0, 0, fmt.Errorf("%w: %s of nothing", ErrDims, what))
	}
	r, c := 1, 1
	for _, a := range as {
		if a.Size() != 1 {
			if r*c != 1 && (a.rows != r || a.cols != c) {
				return bad(r, c, fmt.Errorf("%w: %s: shapes %d×%d and %s", ErrDims, what, r, c, shapeStr(a)))
			}
			r, c = a.rows, a.cols
		}
	}
	return mkAtom(k, 0, r, c, as...)
}

// Maximum returns the elementwise maximum of the arguments (one shape,
// scalars broadcast; convex, increasing).
func Maximum(xs ...Expression) *Expr { return elementwise(kMaximum, "Maximum", xs) }

// Minimum returns the elementwise minimum (concave, increasing).
func Minimum(xs ...Expression) *Expr { return elementwise(kMinimum, "Minimum", xs) }

func square(what string, k *atomKind, x Expression) *Expr {
	as, err := operands(what, x)
	if err != nil {
		return bad(1, 1, err)
	}
	if as[0].rows != as[0].cols {
		return bad(1, 1, fmt.Errorf("%w: %s of %v (%s): not square", ErrDims, what, as[0], shapeStr(as[0])))
	}
	return mkAtom(k, 0, 1, 1, as[0])
}

// LambdaMax returns the largest eigenvalue of the symmetric part
// (X + Xᵀ)/2 of a square X (convex; a PSD cone).
func LambdaMax(x Expression) *Expr { return square("LambdaMax", kLambdaMax, x) }

// LambdaMin returns the smallest eigenvalue of (X + Xᵀ)/2 (concave):
// −LambdaMax(−X).
func LambdaMin(x Expression) *Expr {
	as, err := operands("LambdaMin", x)
	if err != nil {
		return bad(1, 1, err)
	}
	return LambdaMax(as[0].Neg()).Neg()
}

// LogDet returns log det of the symmetric part of X (concave, X ≻ 0; a
// PSD cone of order 2n and n exponential cones).
func LogDet(x Expression) *Expr { return square("LogDet", kLogDet, x) }
