package sinkhorn

import (
	"context"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/implicit"
	"github.com/optlayers/optlayers/internal/parallel"

	"github.com/optlayers/optlayers/internal/batch"
)

// Dims returns the sizes n and m of the problem.
func (r *Result) Dims() (n, m int) { return r.p.n, r.p.m }

// planChunk is the number of plan rows whose contributions to column
// accumulators are summed together; fixed so that results do not depend on
// the number of workers.
const planChunk = 256

func planChunks(n int) int { return (n + planChunk - 1) / planChunk }

// planRows calls fn(ch, i, row) for every row i of the plan, row holding
// P_i· in scratch memory valid only during the call, and ch = i/planChunk.
// Chunks are processed concurrently by the result's workers, the rows of
// one chunk in order by one worker; fn must be safe for concurrent calls
// on different chunks.
func (r *Result) planRows(fn func(ch, i int, row []float64)) {
	p := r.p
	g := p.geom
	n, m := p.n, p.m
	invEps := 1 / p.eps
	h := make([]float64, m)
	for j := range h {
		h[j] = p.logb[j] + r.G[j]*invEps
	}
	workers := max(r.workers, 1)
	bufs := make([][]float64, workers)
	for w := range bufs {
		bufs[w] = make([]float64, blockRows*m+m)
	}
	pool{workers: workers}.run(planChunks(n), func(w, lo, hi int) {
		buf := bufs[w]
		row := buf[blockRows*m:]
		for i0 := lo * planChunk; i0 < min(hi*planChunk, n); i0 += blockRows {
			i1 := min(i0+blockRows, n)
			block := g.rows(i0, i1, buf[:blockRows*m])
			for i := i0; i < i1; i++ {
				c := block[(i-i0)*m : (i-i0+1)*m]
				fi := p.loga[i] + r.F[i]*invEps
				for j, cij := range c {
					row[j] = fastExp(fi + h[j] - cij*invEps)
				}
				fn(i/planChunk, i, row)
			}
		}
	})
}

// PlanRow sets dst (length m) to row i of the plan.
func (r *Result) PlanRow(dst []float64, i int) {
	p := r.p
	invEps := 1 / p.eps
	fi := p.loga[i] + r.F[i]*invEps
	for j := range dst {
		dst[j] = fastExp(fi + p.logb[j] + (r.G[j]-p.geom.at(i, j))*invEps)
	}
}

// Plan returns the n×m transport plan (n·m values: for large point clouds
// prefer ApplyPlan or PlanRow).
func (r *Result) Plan() *mat.Dense {
	n, m := r.p.n, r.p.m
	out := mat.NewDense(n, m, nil)
	raw := out.RawMatrix()
	r.planRows(func(_, i int, row []float64) {
		copy(raw.Data[i*raw.Stride:i*raw.Stride+m], row)
	})
	return out
}

// ApplyPlan sets dst (length n) to P v without storing P. dst and v must
// not alias.
func (r *Result) ApplyPlan(dst, v []float64) {
	r.planRows(func(_, i int, row []float64) {
		var s float64
		for j, pij := range row {
			s += pij * v[j]
		}
		dst[i] = s
	})
}

// ApplyPlanT sets dst (length m) to Pᵀ u. dst and u must not alias.
func (r *Result) ApplyPlanT(dst, u []float64) {
	acc := make([][]float64, planChunks(r.p.n))
	for k := range acc {
		acc[k] = make([]float64, r.p.m)
	}
	// Per-chunk partial sums, added in chunk order.
	r.planRows(func(ch, i int, row []float64) {
		a := acc[ch]
		ui := u[i]
		for j, pij := range row {
			a[j] += pij * ui
		}
	})
	copy(dst, acc[0])
	for _, a := range acc[1:] {
		for j := range dst {
			dst[j] += a[j]
		}
	}
}

// Marginals sets rows (length n) to P1 and cols (length m) to Pᵀ1; either
// may be nil.
func (r *Result) Marginals(rows, cols []float64) {
	if rows != nil {
		ones := make([]float64, r.p.m)
		for j := range ones {
			ones[j] = 1
		}
		r.ApplyPlan(rows, ones)
	}
	if cols != nil {
		ones := make([]float64, r.p.n)
		for i := range ones {
			ones[i] = 1
		}
		r.ApplyPlanT(cols, ones)
	}
}

// TransportCost returns ⟨C, P⟩, the unregularized cost of the plan.
func (r *Result) TransportCost() float64 {
	sums := make([]float64, r.p.n)
	g := r.p.geom
	r.planRows(func(_, i int, row []float64) {
		var s float64
		for j, pij := range row {
			if pij != 0 {
				s += pij * g.at(i, j)
			}
		}
		sums[i] = s
	})
	var s float64
	for _, v := range sums {
		s += v
	}
	return s
}

// SolveBatch solves the problems concurrently on Settings.Workers
// goroutines (0 means GOMAXPROCS; each solve is then single-threaded),
// returning one result per problem in input order. Results do not depend
// on the number of goroutines. The error is nil when every problem was
// solved and an *implicit.BatchError naming the failed ones otherwise;
// the results of the others are returned beside it. A negative Workers
// is ErrInvalid.
func SolveBatch(ctx context.Context, pbs []*Problem, s *Settings) ([]*Result, error) {
	set := Settings{}
	if s != nil {
		set = *s
	}
	workers := set.Workers
	if err := batch.CheckWorkers(workers, ErrInvalid); err != nil {
		return nil, err
	}
	res := make([]*Result, len(pbs))
	errs := make([]error, len(pbs))
	set.Workers = 1
	parallel.For(len(pbs), workers, func(k int) {
		res[k], errs[k] = Solve(ctx, pbs[k], &set)
	})
	return res, implicit.NewBatchError(errs)
}

// Divergence returns the debiased Sinkhorn divergence (Feydy et al. 2019)
//
//	S_ε(a, b) = OT_ε(a, b) − ½ OT_ε(a, a) − ½ OT_ε(b, b) + (ε/2)(⟨a,1⟩ − ⟨b,1⟩)²,
//
// (the last term, from Séjourné et al. 2019, vanishes for balanced
// problems) and the three solves. A point-cloud problem uses X and Y on
// both sides; a cost-matrix problem needs CostXX and CostYY. A relative ε
// is taken relative to the cross cost and used for all three problems.
func Divergence(ctx context.Context, pb *Problem, s *Settings) (d float64, dr *DivergenceResult, err error) {
	defer recoverPanic(&err, func() { d, dr = math.NaN(), nil })
	set := s.orDefault()
	xy, err := Solve(ctx, pb, s)
	if err != nil {
		return math.NaN(), nil, err
	}
	xx, yy := *pb, *pb
	xx.Epsilon, yy.Epsilon = xy.Epsilon, xy.Epsilon
	xx.RelativeEpsilon, yy.RelativeEpsilon = false, false
	if pb.Cost != nil {
		if pb.CostXX == nil || pb.CostYY == nil {
			return math.NaN(), nil, fmt.Errorf("%w: Divergence of a cost-matrix problem needs CostXX and CostYY", ErrNoPoints)
		}
		n, m := xy.Dims()
		if r, c := pb.CostXX.Dims(); r != n || c != n {
			return math.NaN(), nil, fmt.Errorf("%w: CostXX is %d×%d, want %d×%d", ErrDims, r, c, n, n)
		}
		if r, c := pb.CostYY.Dims(); r != m || c != m {
			return math.NaN(), nil, fmt.Errorf("%w: CostYY is %d×%d, want %d×%d", ErrDims, r, c, m, m)
		}
		xx.Cost, yy.Cost = pb.CostXX, pb.CostYY
	} else {
		xx.Y, yy.X = pb.X, pb.Y
	}
	xx.B, xx.TauB = pb.A, pb.TauA
	yy.A, yy.TauA = pb.B, pb.TauB
	rxx, err := solveSelf(ctx, &xx, set)
	if err != nil {
		return math.NaN(), nil, fmt.Errorf("sinkhorn: OT(a,a): %w", err)
	}
	ryy, err := solveSelf(ctx, &yy, set)
	if err != nil {
		return math.NaN(), nil, fmt.Errorf("sinkhorn: OT(b,b): %w", err)
	}
	p := xy.p
	d = xy.Cost - 0.5*rxx.Cost - 0.5*ryy.Cost + 0.5*p.eps*(p.massA-p.massB)*(p.massA-p.massB)
	return d, &DivergenceResult{XY: xy, XX: rxx, YY: ryy, d: d, set: set, pb: *pb}, nil
}

// DivergenceResult holds the three solves of a Sinkhorn divergence.
type DivergenceResult struct {
	XY, XX, YY *Result

	d   float64  // the divergence
	set Settings // the solves' settings, for Condition
	pb  Problem  // a shallow copy of the problem, for Condition
}

// Grad returns the gradient of the Sinkhorn divergence with respect to the
// inputs (envelope theorem on each of the three terms; the symmetric terms
// contribute through both of their arguments). For a point-cloud problem
// it fills X, Y, A, B; for a cost-matrix problem C (the cross cost) and
// A, B, the gradients with respect to CostXX and CostYY being
// −½ XX.Plan() and −½ YY.Plan().
func (d *DivergenceResult) Grad() *Grad {
	gxy, gxx, gyy := d.XY.CostGrad(), d.XX.CostGrad(), d.YY.CostGrad()
	p := d.XY.p
	out := &Grad{A: make([]float64, p.n), B: make([]float64, p.m)}
	dm := p.eps * (p.massA - p.massB)
	for i := range out.A {
		out.A[i] = gxy.A[i] - 0.5*(gxx.A[i]+gxx.B[i]) + dm
	}
	for j := range out.B {
		out.B[j] = gxy.B[j] - 0.5*(gyy.A[j]+gyy.B[j]) - dm
	}
	if gxy.C != nil {
		out.C = gxy.C
		return out
	}
	out.X, out.Y = mat.DenseCopyOf(gxy.X), mat.DenseCopyOf(gxy.Y)
	var t mat.Dense
	t.Add(gxx.X, gxx.Y)
	t.Scale(-0.5, &t)
	out.X.Add(out.X, &t)
	t.Reset()
	t.Add(gyy.X, gyy.Y)
	t.Scale(-0.5, &t)
	out.Y.Add(out.Y, &t)
	return out
}

// solveSelf solves a symmetric problem OT(a, a).
func solveSelf(ctx context.Context, pb *Problem, set Settings) (*Result, error) {
	if err := set.validate(); err != nil {
		return nil, err
	}
	p, err := prepareWorkers(pb, set.StoreLimit, set.Workers)
	if err != nil {
		return nil, err
	}
	return solveSymmetric(ctx, p, set)
}
