package convex

import (
	"fmt"
	"math"
	"sort"

	"gonum.org/v1/gonum/mat"
)

// evaluator computes the numerical value of expressions from values of the
// variables and parameters.
type evaluator struct {
	vars   func(v *Variable) ([]float64, error)
	params func(p *Parameter) ([]float64, error)
	memo   map[*Expr][]float64
}

func (ev *evaluator) eval(e *Expr) ([]float64, error) {
	if e == nil {
		return nil, fmt.Errorf("%w: nil expression", ErrInvalid)
	}
	if e.err != nil {
		return nil, e.err
	}
	if v, ok := ev.memo[e]; ok {
		return v, nil
	}
	v, err := ev.eval1(e)
	if err != nil {
		return nil, err
	}
	ev.memo[e] = v
	return v, nil
}

func at(v []float64, i int) float64 {
	if len(v) == 1 {
		return v[0]
	}
	return v[i]
}

func symEig(n int, a []float64) []float64 {
	s := mat.NewSymDense(n, nil)
	for j := range n {
		for i := j; i < n; i++ {
			s.SetSym(i, j, (a[i+j*n]+a[j+i*n])/2)
		}
	}
	var eig mat.EigenSym
	if !eig.Factorize(s, false) {
		return nil
	}
	return eig.Values(nil)
}

func (ev *evaluator) eval1(e *Expr) ([]float64, error) {
	var as [][]float64
	for _, a := range e.args {
		v, err := ev.eval(a)
		if err != nil {
			return nil, err
		}
		as = append(as, v)
	}
	size := e.rows * e.cols
	out := make([]float64, size)
	switch e.op {
	case opVar:
		return ev.vars(e.v)
	case opParam:
		return ev.params(e.par)
	case opConst:
		copy(out, e.val)
	case opAdd:
		for i := range out {
			out[i] = at(as[0], i) + at(as[1], i)
		}
	case opNeg:
		for i := range out {
			out[i] = -as[0][i]
		}
	case opMul:
		for i := range out {
			out[i] = at(as[0], i) * at(as[1], i)
		}
	case opMatMul:
		r, k := e.args[0].rows, e.args[0].cols
		for j := range e.cols {
			for i := range r {
				s := 0.0
				for l := range k {
					s += as[0][i+l*r] * as[1][l+j*k]
				}
				out[i+j*r] = s
			}
		}
	case opGather:
		var cat []float64
		for _, a := range as {
			cat = append(cat, a...)
		}
		for i, q := range e.idx {
			if q >= 0 {
				out[i] = cat[q]
			}
		}
	case opSum:
		s := 0.0
		if e.idx == nil {
			for _, x := range as[0] {
				s += x
			}
		} else {
			for _, q := range e.idx {
				s += as[0][q]
			}
		}
		out[0] = s
	case opAtom:
		return evalAtom(e, as, out)
	}
	return out, nil
}

func evalAtom(e *Expr, as [][]float64, out []float64) ([]float64, error) {
	x := as[0]
	switch e.atom {
	case kAbs:
		for i := range out {
			out[i] = math.Abs(x[i])
		}
	case kPos:
		for i := range out {
			out[i] = math.Max(x[i], 0)
		}
	case kNegPart:
		for i := range out {
			out[i] = math.Max(-x[i], 0)
		}
	case kNorm1:
		for _, v := range x {
			out[0] += math.Abs(v)
		}
	case kNorm2:
		out[0] = mat.Norm(mat.NewVecDense(len(x), x), 2)
	case kNormInf:
		for _, v := range x {
			out[0] = math.Max(out[0], math.Abs(v))
		}
	case kPnorm:
		m := 0.0
		for _, v := range x {
			m = math.Max(m, math.Abs(v))
		}
		if m > 0 {
			s := 0.0
			for _, v := range x {
				s += math.Pow(math.Abs(v)/m, e.p)
			}
			out[0] = m * math.Pow(s, 1/e.p)
		}
	case kSumSquares:
		for _, v := range x {
			out[0] += v * v
		}
	case kQuadOver:
		s := 0.0
		for _, v := range x {
			s += v * v
		}
		out[0] = s / as[1][0]
	case kQuadForm, kQuadFormNeg:
		p := e.pmat
		if p == nil {
			p = as[1]
		}
		n := len(x)
		for j := range n {
			for i := range n {
				out[0] += x[i] * p[i+j*n] * x[j]
			}
		}
	case kPowerCvx, kPowerCcv:
		for i := range out {
			switch {
			case evenInt(e.p):
				out[i] = math.Pow(math.Abs(x[i]), e.p)
			case x[i] < 0:
				out[i] = math.Inf(1)
				if e.atom == kPowerCcv {
					out[i] = math.Inf(-1)
				}
			default:
				out[i] = math.Pow(x[i], e.p)
			}
		}
	case kMax:
		out[0] = math.Inf(-1)
		for _, v := range x {
			out[0] = math.Max(out[0], v)
		}
	case kMin:
		out[0] = math.Inf(1)
		for _, v := range x {
			out[0] = math.Min(out[0], v)
		}
	case kMaximum, kMinimum:
		for i := range out {
			m := at(as[0], i)
			for _, a := range as[1:] {
				if e.atom == kMaximum {
					m = math.Max(m, at(a, i))
				} else {
					m = math.Min(m, at(a, i))
				}
			}
			out[i] = m
		}
	case kHuber:
		M := e.p
		for i := range out {
			a := math.Abs(x[i])
			if a <= M {
				out[i] = a * a
			} else {
				out[i] = 2*M*a - M*M
			}
		}
	case kLogSumExp:
		m := math.Inf(-1)
		for _, v := range x {
			m = math.Max(m, v)
		}
		s := 0.0
		for _, v := range x {
			s += math.Exp(v - m)
		}
		out[0] = m + math.Log(s)
	case kEntropy:
		for i := range out {
			switch {
			case x[i] == 0:
				out[i] = 0
			case x[i] < 0:
				out[i] = math.Inf(-1)
			default:
				out[i] = -x[i] * math.Log(x[i])
			}
		}
	case kExp:
		for i := range out {
			out[i] = math.Exp(x[i])
		}
	case kLog:
		for i := range out {
			out[i] = math.Log(x[i])
			if x[i] < 0 {
				out[i] = math.Inf(-1)
			}
		}
	case kGeoMean:
		s := 0.0
		for _, v := range x {
			if v < 0 {
				out[0] = math.Inf(-1)
				return out, nil
			}
			s += math.Log(v)
		}
		out[0] = math.Exp(s / float64(len(x)))
	case kLambdaMax, kLogDet:
		n := e.args[0].rows
		vals := symEig(n, x)
		if vals == nil {
			return nil, fmt.Errorf("%w: %v: eigenvalues failed", ErrInvalid, e)
		}
		sort.Float64s(vals)
		if e.atom == kLambdaMax {
			out[0] = vals[n-1]
		} else {
			for _, l := range vals {
				out[0] += math.Log(l)
			}
			if vals[0] <= 0 {
				out[0] = math.Inf(-1)
			}
		}
	default:
		return nil, fmt.Errorf("%w: %v: no evaluation", ErrInvalid, e)
	}
	return out, nil
}
