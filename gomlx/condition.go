package gomlx

import (
	"errors"
	"fmt"
	"math"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/implicit"
	"github.com/optlayers/optlayers/implicit/linsolve"
)

// Errors of this package. They wrap the root module's conventions: bad
// shapes are ErrDims, a non-finite input ErrNaN, a bad argument
// ErrInvalid, and a failure of user graph code or of the backend
// ErrCallback.
var (
	ErrDims     = errors.New("gomlx: dimension mismatch")
	ErrNaN      = errors.New("gomlx: NaN or Inf in input")
	ErrInvalid  = errors.New("gomlx: invalid argument")
	ErrCallback = errors.New("gomlx: failure in a GoMLX graph or user function")
)

// Func is the residual of an optimality condition written in GoMLX: given
// rank-1 float64 nodes x (length n) and θ (length p) of one graph, it
// returns F(x, θ), a rank-1 float64 node of length n. It is called while
// graphs are built (once per compiled graph), never while they run.
type Func func(x, theta *graph.Node) *graph.Node

// Objective is a scalar objective f(x, θ) written in GoMLX; see
// [NewObjective].
type Objective func(x, theta *graph.Node) *graph.Node

// Condition is an implicit.Condition F(x, θ) = 0 whose residual is a
// GoMLX graph and whose Jacobian products come from GoMLX's reverse-mode
// autodiff, so its derivatives are exact without being written by hand
// (JAXopt's optimality_fun with jax.grad). With u, v, w fixed vectors,
//
//	∂ₓFᵀu = ∇ₓ⟨u, F(x, θ)⟩,   ∂θFᵀu = ∇θ⟨u, F(x, θ)⟩   (one reverse pass)
//	∂ₓF v = ∇ᵤ⟨v, ∂ₓFᵀu⟩,     ∂θF w = ∇ᵤ⟨w, ∂θFᵀu⟩     (reverse over reverse)
//
// the second line by the double-VJP trick: ∂ₓFᵀu is linear in u, so its
// gradient in u contracted with v is ∂ₓF v at any u (we take u = 0). Each of
// the four products is one GoMLX graph, compiled once for the condition's
// shapes at construction (GoMLX caches it) and executed per product.
//
// The inputs x and θ are separate graph parameters rather than slices of
// one vector: the gradient of Slice needs Pad, which the pure-Go backend
// simplego lacks in GoMLX v0.26.0.
//
// Residual and the operators of Linearize have no error result (the
// interface of implicit.Condition): wrong lengths or a failure of the
// backend there fill dst with NaN, which the engine reports as
// non-finite (the convention of solvers/smooth's conditions). A
// Condition may be used by several goroutines.
type Condition struct {
	n, p                 int
	res, vjp, jvpx, jvpt *graph.Exec
	jac                  *graph.Exec // dense ∂ₓF and ∂θF, n ≤ DenseMax
}

// Settings controls how a [Condition] is compiled. A nil *Settings or
// the zero value means the defaults documented on each field.
type Settings struct {
	// DenseMax is the largest n for which Linearize materializes ∂ₓF
	// (n×n) and ∂θF (n×p) in one graph execution: n reverse passes over
	// one forward pass, compiled into one graph (whose size grows with
	// n). The engine then factorizes the explicit matrix instead of
	// densifying a matrix-free operator by n products, each a graph
	// execution. Above DenseMax the operators are matrix-free (one
	// execution per product), for Krylov methods. Default 64; negative
	// is ErrInvalid.
	DenseMax int
	// MatrixFree makes Linearize return matrix-free operators for every
	// n (no Jacobian graph is compiled).
	MatrixFree bool
}

// DefaultDenseMax is the default of Settings.DenseMax.
const DefaultDenseMax = 64

var _ implicit.Condition = (*Condition)(nil)

// NewCondition compiles the condition F of [Func] for x ∈ Rⁿ and θ ∈ Rᵖ
// on backend (use simplego.New("ops_sequential") for the pure-Go backend), with
// settings s (nil for the defaults). It builds and runs every graph once
// at (0, 0) to report errors now: a nil backend or f, n < 1, p < 1 or a
// negative s.DenseMax is ErrInvalid; a residual of the wrong shape or dtype
// is ErrDims; a panic while f builds its graph is ErrCallback.
func NewCondition(backend backends.Backend, n, p int, f Func, s *Settings) (*Condition, error) {
	var set Settings
	if s != nil {
		set = *s
	}
	if set.DenseMax == 0 {
		set.DenseMax = DefaultDenseMax
	}
	switch {
	case set.DenseMax < 0:
		return nil, fmt.Errorf("%w: Settings.DenseMax=%d", ErrInvalid, set.DenseMax)
	case backend == nil:
		return nil, fmt.Errorf("%w: nil backend", ErrInvalid)
	case f == nil:
		return nil, fmt.Errorf("%w: nil Func", ErrInvalid)
	case n < 1 || p < 1:
		return nil, fmt.Errorf("%w: dimensions n=%d, p=%d (both must be ≥ 1)", ErrInvalid, n, p)
	}
	c := &Condition{n: n, p: p}
	// residual checks the shape of f's output inside every graph, so a
	// wrong shape is reported when the first graph is compiled.
	residual := func(x, theta *graph.Node) *graph.Node {
		r := f(x, theta)
		if r == nil {
			panic(fmt.Errorf("%w: Func returned a nil node", ErrDims))
		}
		if s := r.Shape(); s.Rank() != 1 || s.Dimensions[0] != n || s.DType != x.DType() {
			panic(fmt.Errorf("%w: Func returned shape %s, want (Float64)[%d]", ErrDims, s, n))
		}
		return r
	}
	// pullback is ⟨u, F(x, θ)⟩ differentiated in x and θ.
	pullback := func(x, theta, u *graph.Node) (gx, gt *graph.Node) {
		g := graph.Gradient(graph.ReduceAllSum(graph.Mul(u, residual(x, theta))), x, theta)
		return g[0], g[1]
	}
	var err error
	if c.res, err = graph.NewExec(backend, residual); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCallback, err)
	}
	if c.vjp, err = graph.NewExec(backend, func(x, theta, u *graph.Node) (*graph.Node, *graph.Node) {
		return pullback(x, theta, u)
	}); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCallback, err)
	}
	if c.jvpx, err = graph.NewExec(backend, func(x, theta, u, v *graph.Node) *graph.Node {
		gx, _ := pullback(x, theta, u)
		return graph.Gradient(graph.ReduceAllSum(graph.Mul(v, gx)), u)[0]
	}); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCallback, err)
	}
	if c.jvpt, err = graph.NewExec(backend, func(x, theta, u, w *graph.Node) *graph.Node {
		_, gt := pullback(x, theta, u)
		return graph.Gradient(graph.ReduceAllSum(graph.Mul(w, gt)), u)[0]
	}); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCallback, err)
	}
	if n <= set.DenseMax && !set.MatrixFree {
		if c.jac, err = graph.NewExec(backend, func(x, theta *graph.Node) (*graph.Node, *graph.Node) {
			r := residual(x, theta)
			rowsX, rowsT := make([]*graph.Node, n), make([]*graph.Node, n)
			for i := range n {
				e := make([]float64, n)
				e[i] = 1
				g := graph.Gradient(graph.ReduceAllSum(graph.Mul(vector(x.Graph(), e), r)), x, theta)
				rowsX[i], rowsT[i] = g[0], g[1]
			}
			return graph.Stack(rowsX, 0), graph.Stack(rowsT, 0)
		}); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrCallback, err)
		}
	}
	// Compile (and run) every graph now.
	x, theta := make([]float64, n), make([]float64, p)
	dx, dt := make([]float64, n), make([]float64, p)
	if err := c.run(c.res, [][]float64{dx}, x, theta); err != nil {
		return nil, err
	}
	if err := c.run(c.vjp, [][]float64{dx, dt}, x, theta, dx); err != nil {
		return nil, err
	}
	if err := c.run(c.jvpx, [][]float64{dx}, x, theta, dx, dx); err != nil {
		return nil, err
	}
	if err := c.run(c.jvpt, [][]float64{dx}, x, theta, dx, dt); err != nil {
		return nil, err
	}
	if c.jac != nil {
		if err := c.run(c.jac, [][]float64{make([]float64, n*n), make([]float64, n*p)}, x, theta); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// NewObjective returns the stationarity condition F(x, θ) = ∇ₓf(x, θ) = 0
// of a smooth objective f (a scalar node) as a [Condition]: the gradient
// is GoMLX's, and the condition's Jacobians (the Hessian ∇²ₓₓf and the
// mixed derivative ∇²θₓf) are exact Hessian-vector products by reverse
// over reverse mode. It is JAXopt's custom_root(jax.grad(f)).
func NewObjective(backend backends.Backend, n, p int, f Objective, s *Settings) (*Condition, error) {
	if f == nil {
		return nil, fmt.Errorf("%w: nil Objective", ErrInvalid)
	}
	return NewCondition(backend, n, p, func(x, theta *graph.Node) *graph.Node {
		v := f(x, theta)
		if v == nil || !v.Shape().IsScalar() {
			panic(fmt.Errorf("%w: Objective must return a scalar node", ErrDims))
		}
		return graph.Gradient(v, x)[0]
	}, s)
}

// run executes e on the inputs (each a rank-1 float64 tensor) and copies
// its outputs into dst. Errors, and panics of graph construction, are
// ErrCallback unless they already match ErrDims.
func (c *Condition) run(e *graph.Exec, dst [][]float64, in ...[]float64) (err error) {
	defer func() {
		if v := recover(); v != nil {
			if e, ok := v.(error); ok {
				err = e
			} else {
				err = fmt.Errorf("%v", v)
			}
		}
		if err != nil && !errors.Is(err, ErrDims) && !errors.Is(err, ErrCallback) {
			err = fmt.Errorf("%w: %w", ErrCallback, err)
		}
	}()
	args := make([]any, len(in))
	for i, v := range in {
		args[i] = tensors.FromFlatDataAndDimensions(v, len(v))
	}
	out, err := e.Exec(args...)
	if err != nil {
		return err
	}
	if len(out) != len(dst) {
		return fmt.Errorf("%w: graph returned %d outputs, want %d", ErrDims, len(out), len(dst))
	}
	for i, t := range out {
		flat, err := tensors.CopyFlatData[float64](t)
		if err != nil {
			return err
		}
		if len(flat) != len(dst[i]) {
			return fmt.Errorf("%w: graph output %d has %d values, want %d", ErrDims, i, len(flat), len(dst[i]))
		}
		copy(dst[i], flat)
		_ = t.FinalizeAll()
	}
	return nil
}

// must is run for the methods without an error result: on failure it
// fills dst with NaN, which the engine reports as a non-finite
// derivative.
func (c *Condition) must(e *graph.Exec, dst [][]float64, in ...[]float64) {
	if err := c.run(e, dst, in...); err != nil {
		for _, d := range dst {
			for i := range d {
				d[i] = math.NaN()
			}
		}
	}
}

// Dims returns (n, p).
func (c *Condition) Dims() (n, p int) { return c.n, c.p }

// Residual sets dst to F(x, θ); wrong lengths fill dst with NaN.
func (c *Condition) Residual(dst, x, theta []float64) {
	if len(x) != c.n || len(theta) != c.p || len(dst) != c.n {
		for i := range dst {
			dst[i] = math.NaN()
		}
		return
	}
	c.must(c.res, [][]float64{dst}, x, theta)
}

// Linearize returns ∂ₓF (n×n) and ∂θF (n×p) at (x, θ): explicit
// matrices from one graph execution when n ≤ Settings.DenseMax, otherwise
// matrix-free operators on the condition's graphs (x and θ are copied).
// Lengths other than (n, p) are ErrDims, non-finite values (in x, θ or
// the Jacobians) ErrNaN, a failing graph ErrCallback.
func (c *Condition) Linearize(x, theta []float64) (dx, dtheta implicit.Operator, err error) {
	if len(x) != c.n || len(theta) != c.p {
		return nil, nil, fmt.Errorf("%w: len(x)=%d, len(θ)=%d, want %d and %d", ErrDims, len(x), len(theta), c.n, c.p)
	}
	if !finite(x) || !finite(theta) {
		return nil, nil, fmt.Errorf("%w: in x or θ", ErrNaN)
	}
	if c.jac != nil {
		jx, jt := make([]float64, c.n*c.n), make([]float64, c.n*c.p)
		if err := c.run(c.jac, [][]float64{jx, jt}, x, theta); err != nil {
			return nil, nil, err
		}
		if !finite(jx) || !finite(jt) {
			return nil, nil, fmt.Errorf("%w: in the Jacobian of F at (x, θ)", ErrNaN)
		}
		return linsolve.NewMatrix(mat.NewDense(c.n, c.n, jx)), linsolve.NewMatrix(mat.NewDense(c.n, c.p, jt)), nil
	}
	x, theta = append([]float64(nil), x...), append([]float64(nil), theta...)
	zero := make([]float64, c.n)
	scratch := make([]float64, c.p)
	dx = linsolve.NewFunc(c.n, c.n,
		func(dst, v []float64) { c.must(c.jvpx, [][]float64{dst}, x, theta, zero, v) },
		func(dst, u []float64) { c.must(c.vjp, [][]float64{dst, scratch}, x, theta, u) })
	dtheta = linsolve.NewFunc(c.n, c.p,
		func(dst, w []float64) { c.must(c.jvpt, [][]float64{dst}, x, theta, zero, w) },
		func(dst, u []float64) {
			tmp := make([]float64, c.n)
			c.must(c.vjp, [][]float64{tmp, dst}, x, theta, u)
		})
	return dx, dtheta, nil
}

// VJP sets gx = ∂ₓFᵀu and gθ = ∂θFᵀu at (x, θ) in one reverse pass of
// the condition's graph (both are needed by the implicit function
// theorem's adjoint step, so one call serves both).
func (c *Condition) VJP(gx, gtheta, x, theta, u []float64) error {
	if len(x) != c.n || len(theta) != c.p || len(u) != c.n || len(gx) != c.n || len(gtheta) != c.p {
		return fmt.Errorf("%w: VJP lengths", ErrDims)
	}
	if !finite(x) || !finite(theta) || !finite(u) {
		return fmt.Errorf("%w: in x, θ or u", ErrNaN)
	}
	return c.run(c.vjp, [][]float64{gx, gtheta}, x, theta, u)
}

// vector is the constant rank-1 node v in g.
func vector(g *graph.Graph, v []float64) *graph.Node {
	return graph.ConstTensor(g, tensors.FromFlatDataAndDimensions(v, len(v)))
}

func finite(v []float64) bool {
	for _, x := range v {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return false
		}
	}
	return true
}
