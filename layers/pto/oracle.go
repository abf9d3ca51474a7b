package pto

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime/debug"
	"sync"

	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/internal/parallel"

	"github.com/optlayers/optlayers/internal/batch"

	"github.com/optlayers/optlayers/internal/guard"
)

// Errors returned by the package.
var (
	ErrDims       = errors.New("pto: dimension mismatch")
	ErrNaN        = errors.New("pto: NaN or Inf in input")
	ErrInvalid    = errors.New("pto: invalid input")
	ErrInfeasible = errors.New("pto: infeasible problem")
	// ErrCallback reports a panic in user code called by the package (an
	// Oracle, a Loss, an Objective). The error also wraps a value
	// describing the panic (its message names the recovered value; when
	// that value is an error, errors.Is and errors.As see it).
	ErrCallback = errors.New("pto: panic in a user callback")
)

// callbackErr marks err with ErrCallback when it carries a recovered panic
// (each item's error for an *implicit.BatchError).
func callbackErr(err error) error { return batch.MarkPanics(err, ErrCallback) }

// recoverCallback turns a panic of user code into an error matching
// ErrCallback, and marks a returned error that carries a panic recovered
// deeper (by solvers/perturbed, say) the same way. Use as
// `defer recoverCallback(&err)` with a named result.
func recoverCallback(err *error) {
	if v := recover(); v != nil {
		*err = fmt.Errorf("%w: %w", ErrCallback, &parallel.PanicError{Value: v, Stack: debug.Stack()})
		return
	}
	*err = callbackErr(*err)
}

// isNil reports a nil interface or a nil pointer inside one.
func isNil(v any) bool { return guard.IsNil(v) }

// Sense is the direction of optimization of an [Oracle].
type Sense int

const (
	Minimize Sense = iota
	Maximize
)

// sign is +1 for minimization and −1 for maximization: every loss works
// with s·c, for which the problem is a minimization.
func (s Sense) sign() float64 {
	if s == Maximize {
		return -1
	}
	return 1
}

func (s Sense) String() string {
	if s == Maximize {
		return "maximize"
	}
	return "minimize"
}

// An Oracle solves the linear problem optimize cᵀw over a fixed feasible
// set W ⊂ R^d (minimize or maximize as [Oracle.Sense] says). Solve writes an
// optimal w into dst (length Dim, not aliasing c) and returns cᵀw. It must be
// safe for concurrent use: batches call it from several goroutines.
type Oracle interface {
	Dim() int
	Sense() Sense
	Solve(ctx context.Context, dst, c []float64) (float64, error)
}

// A StandardForm oracle also describes its feasible set as (the vertices
// of) the polyhedron {w ≥ 0 : A w = b} with A of full row rank; the
// Maximum Optimality Margin loss needs it.
type StandardForm interface {
	Oracle
	StandardForm() (A *mat.Dense, b []float64)
}

// A Polyhedral oracle describes the convex hull of its feasible set (or its
// LP relaxation) as {w : A w = b, G w ≤ h}; QPTL needs it. A or G may be
// nil when there are no constraints of that kind.
type Polyhedral interface {
	Oracle
	Polyhedron() (A *mat.Dense, b []float64, G *mat.Dense, h []float64)
}

func checkCost(c []float64, d int) error {
	if len(c) != d {
		return fmt.Errorf("%w: cost has length %d, want %d", ErrDims, len(c), d)
	}
	for _, v := range c {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return ErrNaN
		}
	}
	return nil
}

// ShortestPath is the shortest path from the north-west corner (node 0) to
// the south-east corner (node Rows·Cols−1) of a grid whose arcs go east or
// south, the problem of the PyEPO benchmarks. Arc order: for each grid row
// i, first the east arcs v→v+1 (j < Cols−1), then, if i < Rows−1, the south
// arcs v→v+Cols for every column j, with v = Cols·i + j. Solve is an exact
// dynamic program over the DAG, O(d), and accepts costs of any sign.
type ShortestPath struct {
	Rows, Cols int
}

// Dim returns the number of arcs, Rows(Cols−1) + (Rows−1)Cols.
func (g ShortestPath) Dim() int { return g.Rows*(g.Cols-1) + (g.Rows-1)*g.Cols }

// Sense returns Minimize.
func (g ShortestPath) Sense() Sense { return Minimize }

// East returns the index of the arc (i,j)→(i,j+1).
func (g ShortestPath) East(i, j int) int { return i*(2*g.Cols-1) + j }

// South returns the index of the arc (i,j)→(i+1,j).
func (g ShortestPath) South(i, j int) int { return i*(2*g.Cols-1) + g.Cols - 1 + j }

// Arcs returns the (tail, head) node pairs in arc order.
func (g ShortestPath) Arcs() [][2]int {
	arcs := make([][2]int, 0, g.Dim())
	for i := 0; i < g.Rows; i++ {
		for j := 0; j+1 < g.Cols; j++ {
			v := i*g.Cols + j
			arcs = append(arcs, [2]int{v, v + 1})
		}
		if i+1 < g.Rows {
			for j := 0; j < g.Cols; j++ {
				v := i*g.Cols + j
				arcs = append(arcs, [2]int{v, v + g.Cols})
			}
		}
	}
	return arcs
}

// Solve implements [Oracle].
func (g ShortestPath) Solve(ctx context.Context, dst, c []float64) (float64, error) {
	if g.Rows < 1 || g.Cols < 1 || g.Rows*g.Cols < 2 {
		return 0, fmt.Errorf("%w: grid %d×%d", ErrInvalid, g.Rows, g.Cols)
	}
	d := g.Dim()
	if err := checkCost(c, d); err != nil {
		return 0, err
	}
	if len(dst) != d {
		return 0, fmt.Errorf("%w: dst has length %d, want %d", ErrDims, len(dst), d)
	}
	n := g.Rows * g.Cols
	var distBuf [64]float64
	var predBuf [64]int32
	dist, pred := distBuf[:0], predBuf[:0]
	if n <= len(distBuf) {
		dist, pred = distBuf[:n], predBuf[:n]
	} else {
		dist, pred = make([]float64, n), make([]int32, n)
	}
	dist[0], pred[0] = 0, -1
	for i := 0; i < g.Rows; i++ {
		for j := 0; j < g.Cols; j++ {
			v := i*g.Cols + j
			if v == 0 {
				continue
			}
			best, arc := math.Inf(1), int32(-1)
			if j > 0 {
				a := g.East(i, j-1)
				best, arc = dist[v-1]+c[a], int32(a)
			}
			if i > 0 {
				a := g.South(i-1, j)
				if t := dist[v-g.Cols] + c[a]; t < best {
					best, arc = t, int32(a)
				}
			}
			dist[v], pred[v] = best, arc
		}
	}
	for k := range dst {
		dst[k] = 0
	}
	v := n - 1
	for v != 0 {
		a := int(pred[v])
		dst[a] = 1
		if a%(2*g.Cols-1) < g.Cols-1 {
			v--
		} else {
			v -= g.Cols
		}
	}
	return dist[n-1], nil
}

// StandardForm returns the flow-conservation constraints A w = b with one
// row per node except the sink (the dropped row is implied), b = e_source;
// with w ≥ 0 their vertices are the source–sink paths.
func (g ShortestPath) StandardForm() (*mat.Dense, []float64) {
	n := g.Rows * g.Cols
	A := mat.NewDense(n-1, g.Dim(), nil)
	for k, a := range g.Arcs() {
		if a[0] < n-1 {
			A.Set(a[0], k, 1)
		}
		if a[1] < n-1 {
			A.Set(a[1], k, -1)
		}
	}
	b := make([]float64, n-1)
	b[0] = 1
	return A, b
}

// Polyhedron returns {w : A w = b, −w ≤ 0} from [ShortestPath.StandardForm].
func (g ShortestPath) Polyhedron() (*mat.Dense, []float64, *mat.Dense, []float64) {
	A, b := g.StandardForm()
	d := g.Dim()
	G := mat.NewDense(d, d, nil)
	for i := 0; i < d; i++ {
		G.Set(i, i, -1)
	}
	return A, b, G, make([]float64, d)
}

// Knapsack is the 0-1 knapsack problem maximize cᵀw subject to
// Σ weightsᵢ wᵢ ≤ Capacity, w ∈ {0,1}^d, with non-negative integer weights
// and capacity (scale decimal weights to integers first, as [GenKnapsack]
// does). Solve is the exact dynamic program over capacities, O(d·Capacity)
// time; items of non-positive value are never taken.
type Knapsack struct {
	Weights  []int // read-only after NewKnapsack
	Capacity int   // read-only after NewKnapsack
	pool     *sync.Pool
}

// NewKnapsack checks and returns a knapsack oracle.
func NewKnapsack(weights []int, capacity int) (*Knapsack, error) {
	if len(weights) == 0 {
		return nil, fmt.Errorf("%w: no items", ErrInvalid)
	}
	if capacity < 0 || capacity > 1<<24 {
		return nil, fmt.Errorf("%w: capacity %d", ErrInvalid, capacity)
	}
	for _, w := range weights {
		if w < 0 {
			return nil, fmt.Errorf("%w: negative weight %d", ErrInvalid, w)
		}
	}
	if len(weights) > (1<<28)/(capacity+1) {
		return nil, fmt.Errorf("%w: %d items × capacity %d exceed the 2²⁸-entry table of the dynamic program", ErrInvalid, len(weights), capacity)
	}
	k := &Knapsack{Weights: append([]int(nil), weights...), Capacity: capacity}
	k.pool = &sync.Pool{New: func() any {
		return &knapScratch{best: make([]float64, capacity+1), take: make([]bool, len(weights)*(capacity+1))}
	}}
	return k, nil
}

type knapScratch struct {
	best []float64
	take []bool
}

// Dim returns the number of items.
func (k *Knapsack) Dim() int { return len(k.Weights) }

// Sense returns Maximize.
func (k *Knapsack) Sense() Sense { return Maximize }

// Solve implements [Oracle].
func (k *Knapsack) Solve(ctx context.Context, dst, c []float64) (float64, error) {
	d := len(k.Weights)
	if err := checkCost(c, d); err != nil {
		return 0, err
	}
	if k.pool == nil {
		return 0, fmt.Errorf("%w: knapsack not built by NewKnapsack", ErrInvalid)
	}
	if len(dst) != d {
		return 0, fmt.Errorf("%w: dst has length %d, want %d", ErrDims, len(dst), d)
	}
	C := k.Capacity
	s := k.pool.Get().(*knapScratch)
	defer k.pool.Put(s)
	if C < 0 || len(s.best) != C+1 || len(s.take) != d*(C+1) {
		return 0, fmt.Errorf("%w: knapsack changed after NewKnapsack", ErrInvalid)
	}
	best, take := s.best, s.take
	for i := range best {
		best[i] = 0
	}
	for i := 0; i < d; i++ {
		row := take[i*(C+1) : (i+1)*(C+1)]
		w, v := k.Weights[i], c[i]
		if w < 0 {
			return 0, fmt.Errorf("%w: negative weight %d", ErrInvalid, w)
		}
		for cap := C; cap >= 0; cap-- {
			row[cap] = false
			if v > 0 && w <= cap {
				if t := best[cap-w] + v; t > best[cap] {
					best[cap] = t
					row[cap] = true
				}
			}
		}
	}
	cap := C
	obj := 0.0
	for i := d - 1; i >= 0; i-- {
		dst[i] = 0
		if take[i*(C+1)+cap] {
			dst[i] = 1
			cap -= k.Weights[i]
			obj += c[i]
		}
	}
	return obj, nil
}

// Polyhedron returns the LP relaxation {w : weightsᵀw ≤ Capacity, 0 ≤ w ≤ 1},
// the capacity row divided by Capacity (when positive) so that all rows
// have unit scale.
func (k *Knapsack) Polyhedron() (*mat.Dense, []float64, *mat.Dense, []float64) {
	d := len(k.Weights)
	G := mat.NewDense(2*d+1, d, nil)
	h := make([]float64, 2*d+1)
	scale := 1.0
	if k.Capacity > 0 {
		scale = 1 / float64(k.Capacity)
	}
	for i, w := range k.Weights {
		G.Set(0, i, float64(w)*scale)
		G.Set(1+i, i, 1)
		h[1+i] = 1
		G.Set(1+d+i, i, -1)
	}
	h[0] = float64(k.Capacity) * scale
	return nil, nil, G, h
}

// OracleFunc adapts a function to an [Oracle].
type OracleFunc struct {
	D         int
	Direction Sense
	F         func(ctx context.Context, dst, c []float64) (float64, error)
}

// Dim returns D.
func (o OracleFunc) Dim() int { return o.D }

// Sense returns Direction.
func (o OracleFunc) Sense() Sense { return o.Direction }

// Solve calls F.
func (o OracleFunc) Solve(ctx context.Context, dst, c []float64) (float64, error) {
	return o.F(ctx, dst, c)
}

func finite(v []float64) bool {
	for _, x := range v {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return false
		}
	}
	return true
}
