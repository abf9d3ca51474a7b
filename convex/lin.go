package convex

import (
	"fmt"
	"math"
	"sort"
)

// A key names one coefficient of a canonical affine form: the column j of
// the canonical variable x (−1: the constant term) times the parameter
// entry k of θ (−1: the constant 1). An entry of an affine expression is
//
//	Σ_{(j,k)} c_{jk} · x_j · θ_k      with x₋₁ = θ₋₁ = 1,
//
// which is affine in x and, by the parameter rule (DPP), affine in θ for
// each fixed x: no key multiplies a variable by a product of parameters.
type key struct{ j, k int32 }

const none = -1

// term is one flattened entry of an affine form. Terms are never changed
// after they are built (operations make new ones), so they may be shared.
type term map[key]float64

// lin is an affine form of an expression: one term per entry, column-major.
type lin []term

func constTerm(v float64) term {
	if v == 0 {
		return term{}
	}
	return term{{none, none}: v}
}

func varTerm(j int, c float64) term { return term{{int32(j), none}: c} }

// plus returns a + c·b.
func plus(a term, c float64, b term) term {
	out := make(term, len(a)+len(b))
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		nv := out[k] + c*v
		if nv == 0 {
			delete(out, k)
		} else {
			out[k] = nv
		}
	}
	return out
}

func scale(a term, c float64) term {
	out := make(term, len(a))
	if c == 0 {
		return out
	}
	for k, v := range a {
		out[k] = c * v
	}
	return out
}

// sumTerms returns Σ cᵢ·tᵢ.
func sumTerms(ts []term, cs []float64) term {
	out := term{}
	for i, t := range ts {
		c := 1.0
		if cs != nil {
			c = cs[i]
		}
		for k, v := range t {
			out[k] += c * v
		}
	}
	for k, v := range out {
		if v == 0 {
			delete(out, k)
		}
	}
	return out
}

// product returns a·b for two terms of which, for each pair of keys, at
// most one names a variable and at most one a parameter (the checks of
// DCP and DPP at construction guarantee it; a violation is reported, not
// silently computed).
func product(a, b term) (term, error) {
	out := term{}
	for ka, va := range a {
		for kb, vb := range b {
			if ka.j != none && kb.j != none {
				return nil, fmt.Errorf("%w: product of two variables", ErrNotDCP)
			}
			if ka.k != none && kb.k != none {
				return nil, fmt.Errorf("%w: product of two parameters", ErrNotDPP)
			}
			k := key{ka.j, ka.k}
			if k.j == none {
				k.j = kb.j
			}
			if k.k == none {
				k.k = kb.k
			}
			out[k] += va * vb
		}
	}
	for k, v := range out {
		if v == 0 {
			delete(out, k)
		}
	}
	return out, nil
}

// at returns entry i of a form of size 1 (a scalar, broadcast) or size n.
func (l lin) at(i int) term {
	if len(l) == 1 {
		return l[0]
	}
	return l[i]
}

// eval evaluates a term at x and θ (the canonical variable and the
// parameters).
func (t term) eval(x, theta []float64) float64 {
	s := 0.0
	for k, v := range t {
		f := v
		if k.j != none {
			f *= x[k.j]
		}
		if k.k != none {
			f *= theta[k.k]
		}
		s += f
	}
	return s
}

// sortedKeys lists t's keys in a fixed order (for deterministic output).
func (t term) sortedKeys() []key {
	ks := make([]key, 0, len(t))
	for k := range t {
		ks = append(ks, k)
	}
	sort.Slice(ks, func(a, b int) bool {
		if ks[a].j != ks[b].j {
			return ks[a].j < ks[b].j
		}
		return ks[a].k < ks[b].k
	})
	return ks
}

// finiteTerm reports whether every coefficient is finite.
func finiteTerm(t term) bool {
	for _, v := range t {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return false
		}
	}
	return true
}
