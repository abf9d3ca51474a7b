package convex

import (
	"errors"
	"fmt"
	"math"

	"github.com/optlayers/optlayers/solvers/cone"
)

func isErr(err, target error) bool { return errors.Is(err, target) }

// Solution is a solved Problem: the values of the variables and the dual
// values of the constraints at one θ.
type Solution struct {
	pb      *Problem
	theta   []float64
	x, y, s []float64 // the canonical problem's primal, multipliers, slack
	obj     float64
	cs      *cone.Solution // the cone solver's solution (nil when built otherwise)
}

// newSolution wraps a solution (x, y, s) of the canonical cone program at
// θ.
func newSolution(pb *Problem, theta, x, y, s []float64) (*Solution, error) {
	sol := &Solution{pb: pb, theta: theta, x: x, y: y, s: s, obj: math.NaN()}
	v, err := sol.Value(pb.obj.e)
	if err != nil {
		return sol, err
	}
	sol.obj = v[0]
	return sol, nil
}

// Problem returns the problem solved.
func (sol *Solution) Problem() *Problem {
	if sol == nil {
		return nil
	}
	return sol.pb
}

// Theta returns a copy of the parameter values of the solve.
func (sol *Solution) Theta() []float64 {
	if sol == nil {
		return nil
	}
	return append([]float64(nil), sol.theta...)
}

// Objective returns the objective's value at the solution (NaN for a nil
// Solution, and for the best iterate of a failed solve when the objective
// is outside its domain there).
func (sol *Solution) Objective() float64 {
	if sol == nil || sol.pb == nil {
		return math.NaN()
	}
	return sol.obj
}

func (sol *Solution) varIndex(v *Variable) int {
	for i, w := range sol.pb.vars {
		if w == v {
			return i
		}
	}
	return -1
}

// VarValue returns the value of variable v (column-major), or ErrInvalid
// if v is not a variable of the problem.
func (sol *Solution) VarValue(v *Variable) ([]float64, error) {
	if sol == nil || sol.pb == nil {
		return nil, fmt.Errorf("%w: Solution not returned by a solve", ErrInvalid)
	}
	i := sol.varIndex(v)
	if i < 0 {
		return nil, fmt.Errorf("%w: %s is not a variable of the problem", ErrInvalid, v.Name())
	}
	l := sol.pb.vlin[i]
	out := make([]float64, len(l))
	for q, t := range l {
		out[q] = t.eval(sol.x, sol.theta)
	}
	return out, nil
}

// Value returns the value of an expression at the solution (column-major),
// for any expression of the problem's variables and parameters; a
// parameter outside the problem is read from its value. A value that is
// not finite (an atom outside its domain, an overflow) is ErrNaN.
func (sol *Solution) Value(e Expression) ([]float64, error) {
	if sol == nil || sol.pb == nil {
		return nil, fmt.Errorf("%w: Solution not returned by a solve", ErrInvalid)
	}
	as, err := operands("Value", e)
	if err != nil {
		return nil, err
	}
	ev := &evaluator{
		memo: map[*Expr][]float64{},
		vars: sol.VarValue,
		params: func(p *Parameter) ([]float64, error) {
			if off := sol.pb.ParamOffset(p); off >= 0 {
				return sol.theta[off : off+p.rows*p.cols], nil
			}
			if v := p.Value(); v != nil {
				return v, nil
			}
			return nil, fmt.Errorf("%w: parameter %s has no value", ErrInvalid, p.name)
		},
	}
	v, err := ev.eval(as[0])
	if err != nil {
		return nil, err
	}
	if !finite(v) {
		return nil, fmt.Errorf("%w: the value of %v is not finite at this point (outside its domain)", ErrNaN, as[0])
	}
	return append([]float64(nil), v...), nil
}

func (sol *Solution) conIndex(c *Constraint) int {
	for i, d := range sol.pb.cons {
		if d == c {
			return i
		}
	}
	return -1
}

// Dual returns the dual value of constraint c (column-major): for e ≤ o
// and e ≥ o a nonnegative vector of the broadcast shape, for e == o a
// vector of that shape, for SOC(t, x) the multiplier (λ, μ) ∈ SOC of
// (t, x) (length 1 + size(x)), and for e ≽ o the n×n PSD matrix Y with
// the Lagrangian term −tr(Y(e − o)). The sign conventions are CVXPY's.
func (sol *Solution) Dual(c *Constraint) ([]float64, error) {
	if sol == nil || sol.pb == nil {
		return nil, fmt.Errorf("%w: Solution not returned by a solve", ErrInvalid)
	}
	i := sol.conIndex(c)
	if i < 0 {
		return nil, fmt.Errorf("%w: constraint %v is not a constraint of the problem", ErrInvalid, c)
	}
	return sol.pb.dualOf(i, sol.y), nil
}

// dualOf maps the multipliers y of the cone program to constraint i's
// dual.
func (pb *Problem) dualOf(i int, y []float64) []float64 {
	r := pb.canon.conRows[i]
	v := y[r[0] : r[0]+r[1]]
	n := pb.canon.conPSD[i]
	if n == 0 {
		return append([]float64(nil), v...)
	}
	out := make([]float64, n*n)
	q := 0
	for j := range n {
		for k := j; k < n; k++ {
			if k == j {
				out[k+j*n] = v[q]
			} else {
				out[k+j*n] = v[q] / math.Sqrt2
				out[j+k*n] = v[q] / math.Sqrt2
			}
			q++
		}
	}
	return out
}

// dualLen is the length of constraint i's dual.
func (pb *Problem) dualLen(i int) int {
	if n := pb.canon.conPSD[i]; n > 0 {
		return n * n
	}
	return pb.canon.conRows[i][1]
}
