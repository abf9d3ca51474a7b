// Command marosmeszaros runs solvers/qp (qp.SolveSparse by default, qp.Solve
// with -solver dense) on the Maros–Mészáros convex QP test set the way the
// public QP benchmark (qpbenchmark) does, and prints
// its table: for each accuracy, the success rate (success = the solver
// reports Optimal and the primal residual, dual residual and duality gap
// recomputed from x, ν, λ are each at most the tolerance, absolute), the
// failures by kind, and the shifted geometric mean of the solve time
// (shift 10 s).
//
// The test set is not part of the module; point -data at a directory of
// NAME.qps(.gz) files:
//
//	go run ./cmd/marosmeszaros -data ../shared/data/maros_meszaros -subset all -compare
//
// The dense subset (62 problems) takes seconds per accuracy with the sparse
// solver and about a minute with the dense one; the whole set (137) takes
// 10–20 minutes per accuracy on a 2-core machine, most of it in the few
// problems with 10⁴–10⁵ variables and dense fill. -compare also solves the
// dense subset with qp.Solve and compares the optimal values. Progress
// goes to stderr, one line per problem.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/optlayers/optlayers/internal/maros"
	"github.com/optlayers/optlayers/solvers/qp"
)

// outcome classes of one solve.
const (
	success      = "success"
	wrongOptimal = "wrong answer reported Optimal"
	infeasible   = "claimed infeasible"
	unbounded    = "claimed unbounded"
	notConverged = "not converged"
	rejected     = "rejected"
	timeLimit    = "time limit"
	tooLarge     = "too large for the dense solver"
)

type result struct {
	name    string
	class   string
	seconds float64
	res     maros.Residuals
	iters   int
	err     error
	obj     float64 // objective with the constant, when the solve succeeded
	// With -compare: the dense solver's outcome on the same problem.
	denseClass string
	denseObj   float64
}

func main() {
	data := flag.String("data", "", "directory of NAME.qps.gz files (required)")
	subset := flag.String("subset", "dense", "dense (n ≤ 1000, constraints ≤ 1000) or all")
	tols := flag.String("tol", "1e-9,1e-6,1e-3", "comma-separated accuracies")
	only := flag.String("run", "", "regular expression: solve only the matching problems")
	limit := flag.Duration("timeout", 1000*time.Second, "time limit per solve")
	out := flag.String("o", "", "also write the Markdown report to this file")
	verbose := flag.Bool("v", false, "print every problem's outcome in the report")
	list := flag.Bool("list", false, "list the selected problems with their sizes and exit")
	solver := flag.String("solver", "sparse", "sparse (qp.SolveSparse) or dense (qp.Solve)")
	compare := flag.Bool("compare", false, "with -solver sparse: also solve the dense-subset problems with qp.Solve and compare the optimal values")
	debug := flag.Bool("debug", false, "with -solver sparse: log every iteration of qp.SolveSparse to stderr (slog, Debug level)")
	maxDense := flag.Float64("maxdense", 1.5e8, "largest dense form (numbers: n·(n + rows)) to build; larger problems are reported as too large")
	flag.Parse()
	if *debug {
		debugLogger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	log.SetFlags(0)
	if *solver != "sparse" && *solver != "dense" {
		log.Fatalf("marosmeszaros: -solver %q: want sparse or dense", *solver)
	}
	if *solver == "dense" {
		solverName = "qp.Solve (Settings{Tol: ε, Absolute: true})"
	}
	if *data == "" {
		log.Fatal("marosmeszaros: -data DIR is required (the directory of the test set's .qps.gz files)")
	}
	var re *regexp.Regexp
	if *only != "" {
		var err error
		if re, err = regexp.Compile(*only); err != nil {
			log.Fatalf("marosmeszaros: -run: %v", err)
		}
	}
	var accuracies []float64
	for _, f := range strings.Split(*tols, ",") {
		v, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil || !(v > 0) {
			log.Fatalf("marosmeszaros: bad tolerance %q", f)
		}
		accuracies = append(accuracies, v)
	}
	files, err := filepath.Glob(filepath.Join(*data, "*.qps*"))
	if err != nil || len(files) == 0 {
		log.Fatalf("marosmeszaros: no .qps files in %s", *data)
	}
	sort.Strings(files)
	var cases []*maros.Case
	for _, f := range files {
		c, err := maros.LoadFile(f)
		if err != nil {
			log.Fatalf("marosmeszaros: %s: %v", f, err)
		}
		if (re != nil && !re.MatchString(c.Name)) || (*subset == "dense" && !c.Dense()) {
			continue
		}
		cases = append(cases, c)
	}
	fmt.Fprintf(os.Stderr, "%d problems (%s subset)\n", len(cases), *subset)
	if *list {
		for _, c := range cases {
			fmt.Printf("%-10s n %6d  rows %6d  bounds %6d\n", c.Name, c.Vars, c.Rows, c.Bounds)
		}
		return
	}
	if len(cases) == 0 {
		log.Fatal("marosmeszaros: no problem selected")
	}
	var w io.Writer = os.Stdout
	if *out != "" {
		f, err := os.Create(*out)
		if err != nil {
			log.Fatal(err)
		}
		defer f.Close()
		w = io.MultiWriter(os.Stdout, f)
	}
	all := make([][]result, len(accuracies))
	for i, c := range cases {
		var pb *qp.Problem
		if big := float64(c.Vars) * float64(c.Vars+c.Rows+c.Bounds); *solver == "dense" && big <= *maxDense {
			pb = c.QP()
		}
		for k, tol := range accuracies {
			r := result{name: c.Name, class: tooLarge,
				res: maros.Residuals{Primal: math.Inf(1), Dual: math.Inf(1), Gap: math.Inf(1)}}
			switch {
			case *solver == "sparse":
				r = solveSparse(c, tol, *limit)
				if *compare && c.Dense() {
					d := solve(c, c.QP(), tol, *limit)
					r.denseClass, r.denseObj = d.class, d.obj
				}
			case pb != nil:
				r = solve(c, pb, tol, *limit)
			}
			all[k] = append(all[k], r)
			fmt.Fprintf(os.Stderr, "[tol %.0e %2d/%d] %-10s %-30s %7.2fs it %3d  primal %.1e dual %.1e gap %.1e\n",
				tol, i+1, len(cases), c.Name, r.class, r.seconds, r.iters, r.res.Primal, r.res.Dual, r.res.Gap)
		}
	}
	report(w, *subset, accuracies, all, *verbose)
}

func solve(c *maros.Case, pb *qp.Problem, tol float64, limit time.Duration) result {
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	start := time.Now()
	sol, err := qp.Solve(ctx, pb, &qp.Settings{Tol: tol, Absolute: true})
	r := result{name: c.Name, seconds: time.Since(start).Seconds(), err: err,
		res: maros.Residuals{Primal: math.Inf(1), Dual: math.Inf(1), Gap: math.Inf(1)}}
	if sol != nil {
		r.res = maros.Check(pb, sol.X, sol.Nu, sol.Lambda)
		r.iters = sol.Iterations
		r.obj = sol.Objective + c.Constant
	}
	r.class = classify(err, sol != nil && sol.Status == qp.Optimal, r.res.Passes(tol))
	return r
}

func solveSparse(c *maros.Case, tol float64, limit time.Duration) result {
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	pb := c.Sparse()
	start := time.Now()
	sol, err := qp.SolveSparse(ctx, pb, &qp.SparseSettings{Tol: tol, Absolute: true, Logger: debugLogger})
	r := result{name: c.Name, seconds: time.Since(start).Seconds(), err: err,
		res: maros.Residuals{Primal: math.Inf(1), Dual: math.Inf(1), Gap: math.Inf(1)}}
	if sol != nil {
		r.res = maros.CheckSparse(pb, sol.X, sol.Y, sol.Z)
		r.iters = sol.Iterations
		r.obj = sol.Objective + c.Constant
	}
	r.class = classify(err, sol != nil && sol.Status == qp.Optimal, r.res.Passes(tol))
	return r
}

func classify(err error, optimal, passes bool) string {
	switch {
	case err == nil && optimal && passes:
		return success
	case err == nil:
		return wrongOptimal
	case errors.Is(err, context.DeadlineExceeded):
		return timeLimit
	case errors.Is(err, qp.ErrInfeasible):
		return infeasible
	case errors.Is(err, qp.ErrUnbounded):
		return unbounded
	case errors.Is(err, qp.ErrNotConverged):
		return notConverged
	}
	return rejected
}

// debugLogger, set by -debug, receives qp.SolveSparse's progress.
var debugLogger *slog.Logger

// solverName names the solver in the report's title.
var solverName = "qp.SolveSparse (SparseSettings{Tol: ε, Absolute: true})"

func report(w io.Writer, subset string, tols []float64, all [][]result, verbose bool) {
	classes := []string{wrongOptimal, infeasible, unbounded, notConverged, rejected, timeLimit, tooLarge}
	fmt.Fprintf(w, "Maros–Mészáros, %s subset, %d problems, %s, %s\n\n",
		subset, len(all[0]), time.Now().UTC().Format("2006-01-02"), solverName)
	fmt.Fprintf(w, "| accuracy ε | success | %s | shifted geomean time (s) |\n", strings.Join(classes, " | "))
	fmt.Fprintf(w, "|---|---|%s---|\n", strings.Repeat("---|", len(classes)))
	for k, tol := range tols {
		count := map[string]int{}
		logSum := 0.0
		for _, r := range all[k] {
			count[r.class]++
			logSum += math.Log(r.seconds + 10)
		}
		n := len(all[k])
		fmt.Fprintf(w, "| %.0e | %d / %d (%.0f %%) |", tol, count[success], n, 100*float64(count[success])/float64(n))
		for _, c := range classes {
			fmt.Fprintf(w, " %d |", count[c])
		}
		fmt.Fprintf(w, " %.3f |\n", math.Exp(logSum/float64(n))-10)
	}
	fmt.Fprintln(w)
	for k, tol := range tols {
		both, agree := 0, 0
		var differ []string
		for _, r := range all[k] {
			if r.denseClass == "" || r.class != success || r.denseClass != success {
				continue
			}
			both++
			if d := math.Abs(r.obj - r.denseObj); d <= 1e-6*(1+math.Abs(r.obj)) {
				agree++
			} else {
				differ = append(differ, fmt.Sprintf("%s (%.10g vs %.10g)", r.name, r.obj, r.denseObj))
			}
		}
		if both > 0 {
			extra := ""
			if len(differ) > 0 {
				extra = "; they differ on " + strings.Join(differ, ", ")
			}
			fmt.Fprintf(w, "ε = %.0e: dense vs sparse: %d problems solved by both, optimal values agree (1e-6 relative) on %d%s\n",
				tol, both, agree, extra)
		}
	}
	fmt.Fprintln(w)
	for k, tol := range tols {
		var fails []string
		notSolved := 0
		for _, r := range all[k] {
			if r.class != success {
				notSolved++
			}
			if r.class != success || verbose {
				msg := ""
				if r.err != nil {
					msg = ": " + r.err.Error()
				}
				fails = append(fails, fmt.Sprintf("- %s — %s (primal %.2g, dual %.2g, gap %.2g, %.2f s)%s",
					r.name, r.class, r.res.Primal, r.res.Dual, r.res.Gap, r.seconds, msg))
			}
		}
		if verbose {
			fmt.Fprintf(w, "ε = %.0e: every problem (%d not solved)\n", tol, notSolved)
		} else {
			fmt.Fprintf(w, "ε = %.0e: %d not solved\n", tol, notSolved)
		}
		for _, f := range fails {
			fmt.Fprintln(w, f)
		}
		fmt.Fprintln(w)
	}
}
