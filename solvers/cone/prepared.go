package cone

import (
	"context"
	"fmt"
	"runtime"
	"slices"

	"github.com/optlayers/optlayers/internal/guard"
	"github.com/optlayers/optlayers/sparse"
)

// Prepared is the pattern-only work of Solve, done once for a sequence of
// problems with one structure: the same cone K, the same dimensions and
// the same sparsity patterns of Q and A (explicit zeros included), only
// the values of Q, P, A and B changing — the parametrized programs of
// package convex, a sweep, a batch. On the sparse KKT path it keeps the
// pattern of the scaled KKT matrix (the union patterns of the dense
// blocks' rows, the ordering of the reduced matrix and the positions of
// the entries) and the symbolic analysis of its sparse.LDL (elimination
// tree, column counts, supernodes, parallel plan); each Solve only
// assembles the values and factors them, with the results of a plain
// Solve bit for bit. The dense normal-equations path (useDenseKKT) has no
// symbolic phase, so there a Prepared keeps only the checks. This is the
// "data updating" of Clarabel, which keeps the KKT symbolic factorization
// when only values change.
//
// A Prepared is read-only after Prepare returns and safe for concurrent
// use; it keeps no reference to the Problem it was built from.
type Prepared struct {
	n, m       int
	blocks     []block
	atcp, atri []int // the pattern of Aᵀ
	qcp, qri   []int // the pattern of Q's upper triangle; nil without Q
	workers    int   // Settings.Workers, 0 resolved to GOMAXPROCS
	path       int   // Settings.kkt
	pat        *kktPattern
	ldl        *sparse.LDL // the analysis of pat, cloned by each Solve; never refactored
}

// Prepare validates pb and s as Solve does and does the pattern-only work
// for problems with pb's structure (see Prepared). Only the patterns of
// pb's matrices and the dimensions are kept; s matters by its Workers,
// which every Prepared.Solve must repeat (the parallel plan of the
// factorization depends on it). It returns the errors of Solve for bad
// input.
func Prepare(pb *Problem, s *Settings) (pr *Prepared, err error) {
	defer guard.Recover(&err, errInternal)
	set, err := checkSettings(s)
	if err != nil {
		return nil, err
	}
	blocks, err := validateProblem(pb)
	if err != nil {
		return nil, err
	}
	eq := equilibrate(pb, blocks)
	n, m := pb.Dims()
	pr = &Prepared{n: n, m: m, blocks: slices.Clone(blocks), workers: resolveWorkers(set.Workers), path: set.kkt}
	pr.atcp, pr.atri = patternOf(eq.at)
	if eq.q != nil {
		pr.qcp, pr.qri = patternOf(eq.q.Upper())
	}
	if sparsePath(eq, blocks, set.kkt) {
		pat, err := newKKTPattern(eq, blocks)
		if err != nil {
			return nil, err
		}
		k, err := pat.assemble(eq, blocks, set.Workers, nil)
		if err != nil {
			return nil, err
		}
		pr.pat, pr.ldl = pat, k.ldl
	}
	return pr, nil
}

// Solve is Solve(ctx, pb, s) with the work kept by pr: the result is that
// of Solve bit for bit. pb must have the structure pr was prepared for
// (the same cone K, dimensions and patterns of Q and A) and s the same
// Workers, else the error wraps ErrInvalid or ErrDims; a nil pr is
// ErrInvalid.
func (pr *Prepared) Solve(ctx context.Context, pb *Problem, s *Settings) (sol *Solution, err error) {
	defer guard.Recover(&err, errInternal)
	if pr == nil {
		return nil, fmt.Errorf("%w: nil Prepared", ErrInvalid)
	}
	return solve(ctx, pb, s, pr)
}

// check reports whether the equilibrated problem has the structure of pr.
func (pr *Prepared) check(eq *equilibration, blocks []block, set Settings) error {
	n, m := len(eq.p), len(eq.b)
	if n != pr.n || m != pr.m {
		return fmt.Errorf("%w: the problem has n = %d, m = %d, the Prepared n = %d, m = %d", ErrDims, n, m, pr.n, pr.m)
	}
	if len(blocks) != len(pr.blocks) {
		return fmt.Errorf("%w: K has %d blocks, the Prepared's %d", ErrInvalid, len(blocks), len(pr.blocks))
	}
	for i, bk := range blocks {
		p := pr.blocks[i]
		if bk.kind != p.kind || bk.lo != p.lo || bk.hi != p.hi || bk.c != p.c {
			return fmt.Errorf("%w: block %d of K is %v on rows %d…%d, the Prepared's %v on rows %d…%d", ErrInvalid, i, bk.c, bk.lo, bk.hi-1, p.c, p.lo, p.hi-1)
		}
	}
	if w := resolveWorkers(set.Workers); w != pr.workers {
		return fmt.Errorf("%w: Settings.Workers gives %d goroutines, the Prepared was built for %d", ErrInvalid, w, pr.workers)
	}
	if set.kkt != pr.path {
		return fmt.Errorf("%w: the KKT path differs from the Prepared's", ErrInvalid)
	}
	cp, ri := patternOf(eq.at)
	if !slices.Equal(cp, pr.atcp) || !slices.Equal(ri, pr.atri) {
		return fmt.Errorf("%w: the sparsity pattern of A differs from the Prepared's", ErrInvalid)
	}
	var qcp, qri []int
	if eq.q != nil {
		qcp, qri = patternOf(eq.q.Upper())
	}
	if (qcp == nil) != (pr.qcp == nil) || !slices.Equal(qcp, pr.qcp) || !slices.Equal(qri, pr.qri) {
		return fmt.Errorf("%w: the sparsity pattern of Q differs from the Prepared's", ErrInvalid)
	}
	return nil
}

// newSparseKKTPrepared is newSparseKKT with pr's pattern and analysis,
// when pr kept them.
func newSparseKKTPrepared(eq *equilibration, blocks []block, workers int, pr *Prepared) (*kktSystem, error) {
	if pr == nil || pr.pat == nil {
		return newSparseKKT(eq, blocks, workers)
	}
	return pr.pat.assemble(eq, blocks, workers, pr.ldl)
}

// sparsePath reports whether newKKT takes the sparse path.
func sparsePath(eq *equilibration, blocks []block, path int) bool {
	hasNonsym := false
	for _, bk := range blocks {
		hasNonsym = hasNonsym || bk.kind == bkNonsym
	}
	return !(path == kktForceDense && !hasNonsym || path == kktAuto && useDenseKKT(eq, blocks))
}

func resolveWorkers(w int) int {
	if w == 0 {
		return runtime.GOMAXPROCS(0)
	}
	return w
}

// patternOf returns the column pointers and row indices of a (not copied:
// read them only).
func patternOf(a *sparse.CSC) (cp, ri []int) {
	cp, ri, _ = a.Raw()
	return cp, ri
}
