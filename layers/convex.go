package layers

import (
	"context"
	"fmt"

	"github.com/optlayers/optlayers/convex"
)

// Convex is the layer of a parametrized convex problem (package convex),
// the layer of cvxpylayers (Agrawal, Amos, Barratt, Boyd, Diamond & Kolter,
// "Differentiable convex optimization layers", NeurIPS 2019): its input θ
// is the values of an ordered list of the problem's parameters
// (concatenated, each column-major), its output y the values of an
// ordered list of variables at the solution. The backward pass is the
// problem's Backward: the cone solver's derivative pulled back through the
// canonicalization map. Parameters of the problem left out of the list
// keep the values they had when NewConvex was called.
//
// A Convex is a [Func], safe for concurrent use: [Layer] runs it on a
// batch over goroutines, each solve factoring on one goroutine.
type Convex struct {
	pb       *convex.Problem
	params   []*convex.Parameter
	offs     []int // each listed parameter's offset in the problem's θ
	outs     []*convex.Variable
	base     []float64
	in, out  int
	settings convex.Settings
}

// NewConvex returns the layer of pb with inputs params and outputs vars
// (neither empty, no repeats, each of pb). s may be nil; its Workers and
// WarmStart are ignored (one goroutine per solve, cold starts). Errors
// match ErrInvalid (nil arguments, a parameter or variable not of pb, a
// repeat, a parameter left out without a value) and ErrDims.
func NewConvex(pb *convex.Problem, params []*convex.Parameter, vars []*convex.Variable, s *convex.Settings) (*Convex, error) {
	if pb == nil {
		return nil, fmt.Errorf("%w: Convex layer without a problem", ErrInvalid)
	}
	if len(params) == 0 || len(vars) == 0 {
		return nil, fmt.Errorf("%w: Convex layer with %d parameters and %d variables (want at least one each)", ErrInvalid, len(params), len(vars))
	}
	l := &Convex{pb: pb, params: append([]*convex.Parameter(nil), params...), outs: append([]*convex.Variable(nil), vars...)}
	listed := map[*convex.Parameter]bool{}
	for i, p := range params {
		if p == nil {
			return nil, fmt.Errorf("%w: parameter %d is nil", ErrInvalid, i)
		}
		off := pb.ParamOffset(p)
		if off < 0 {
			return nil, fmt.Errorf("%w: %s is not a parameter of the problem", ErrInvalid, p.Name())
		}
		if listed[p] {
			return nil, fmt.Errorf("%w: parameter %s listed twice", ErrInvalid, p.Name())
		}
		listed[p] = true
		l.offs = append(l.offs, off)
		r, c := p.Shape()
		l.in += r * c
	}
	l.base = make([]float64, pb.NumParams())
	for _, p := range pb.Parameters() {
		if listed[p] {
			continue
		}
		v := p.Value()
		if v == nil {
			return nil, fmt.Errorf("%w: parameter %s is not an input of the layer and has no value", ErrInvalid, p.Name())
		}
		copy(l.base[pb.ParamOffset(p):], v)
	}
	seen := map[*convex.Variable]bool{}
	pv := map[*convex.Variable]bool{}
	for _, v := range pb.Variables() {
		pv[v] = true
	}
	for i, v := range vars {
		if v == nil {
			return nil, fmt.Errorf("%w: variable %d is nil", ErrInvalid, i)
		}
		if !pv[v] {
			return nil, fmt.Errorf("%w: %s is not a variable of the problem", ErrInvalid, v.Name())
		}
		if seen[v] {
			return nil, fmt.Errorf("%w: variable %s listed twice", ErrInvalid, v.Name())
		}
		seen[v] = true
		r, c := v.Shape()
		l.out += r * c
	}
	if s != nil {
		l.settings = *s
	}
	l.settings.Workers, l.settings.WarmStart = 1, nil
	return l, nil
}

// Dims returns the number of parameter entries in and variable entries
// out.
func (l *Convex) Dims() (int, int) {
	if l == nil {
		return 0, 0
	}
	return l.in, l.out
}

// Forward implements [Func]: it solves the problem at θ and writes the
// variables' values into dst.
func (l *Convex) Forward(ctx context.Context, dst, theta []float64) (Tape, error) {
	if l == nil || l.pb == nil {
		return nil, fmt.Errorf("%w: Convex layer not built by NewConvex", ErrInvalid)
	}
	if len(theta) != l.in || len(dst) != l.out {
		return nil, fmt.Errorf("%w: θ has length %d (want %d), dst %d (want %d)", ErrDims, len(theta), l.in, len(dst), l.out)
	}
	th := append([]float64(nil), l.base...)
	q := 0
	for i, p := range l.params {
		r, c := p.Shape()
		copy(th[l.offs[i]:], theta[q:q+r*c])
		q += r * c
	}
	sol, err := l.pb.SolveParams(ctx, th, &l.settings)
	if err != nil {
		return nil, err
	}
	q = 0
	for _, v := range l.outs {
		x, err := sol.VarValue(v)
		if err != nil {
			return nil, err
		}
		copy(dst[q:], x)
		q += len(x)
	}
	return tapeFunc(func(d, g []float64) error {
		if err := checkLen(d, g, l.in, l.out); err != nil {
			return err
		}
		gv := make(map[*convex.Variable][]float64, len(l.outs))
		q := 0
		for _, v := range l.outs {
			r, c := v.Shape()
			gv[v] = g[q : q+r*c]
			q += r * c
		}
		gr, err := sol.Backward(gv, nil)
		if err != nil {
			return err
		}
		full := gr.Theta()
		q = 0
		for i, p := range l.params {
			r, c := p.Shape()
			copy(d[q:q+r*c], full[l.offs[i]:])
			q += r * c
		}
		return nil
	}), nil
}
