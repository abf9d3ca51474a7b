package main

import (
	"context"
	"errors"
	"fmt"
	"image/color"
	"io"
	"log/slog"
	"math"
	"os"
	"strings"
	"text/tabwriter"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/optlayers/optlayers/bilevel"
	"github.com/optlayers/optlayers/datasets"
	"github.com/optlayers/optlayers/internal/plotutil"
	"github.com/optlayers/optlayers/solvers/smooth"
)

// curve is a grid's criterion curve with optimizer paths over it.
type curve struct {
	id     string
	grid   []float64
	values []float64
	paths  []path
	zoom   float64 // show values within (1+zoom)·best
}

type path struct {
	name string
	res  *bilevel.Result
}

// savePNG draws one panel per problem: the grid's criterion curve and the
// points each optimizer evaluated, numbered in order.
func savePNG(file string, curves []curve) error {
	const w, h = 30 * vg.Centimeter, 10 * vg.Centimeter
	img := vgimg.New(w, h)
	dc := draw.New(img)
	tiles := draw.Tiles{Rows: 1, Cols: len(curves), PadX: vg.Centimeter / 2, PadTop: vg.Centimeter / 4, PadBottom: vg.Centimeter / 4}
	canvases := plot.Align([][]*plot.Plot{plots(curves)}, tiles, dc)
	for i, p := range plots(curves) {
		p.Draw(canvases[0][i])
	}
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	defer f.Close()
	png := vgimg.PngCanvas{Canvas: img}
	if _, err := png.WriteTo(f); err != nil {
		return err
	}
	return f.Close()
}

func plots(curves []curve) []*plot.Plot {
	var out []*plot.Plot
	for _, c := range curves {
		p := plot.New()
		p.Title.Text = c.id + ": criterion vs θ = log λ"
		p.X.Label.Text = "θ"
		p.Y.Label.Text = "validation criterion"
		p.Add(plotter.NewGrid())
		// Zoom on the interesting part: values within zoom of the best.
		zoom := c.zoom
		if zoom == 0 {
			zoom = 0.03
		}
		best := math.Inf(1)
		for _, v := range c.values {
			best = math.Min(best, v)
		}
		var xy plotter.XYs
		for i, v := range c.values {
			if v <= best*(1+zoom) {
				xy = append(xy, plotter.XY{X: c.grid[i], Y: v})
			}
		}
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, pt := range xy {
			lo, hi = math.Min(lo, pt.X), math.Max(hi, pt.X)
		}
		if l, err := plotter.NewLine(xy); err == nil {
			l.LineStyle.Color = plotutil.Palette[0]
			l.LineStyle.Width = vg.Points(1.5)
			p.Add(l)
			p.Legend.Add("grid (100 points)", l)
		}
		for k, pa := range c.paths {
			var pts plotter.XYs
			for _, st := range pa.res.Path {
				if st.Value <= best*(1+zoom) {
					pts = append(pts, plotter.XY{X: st.Theta[0], Y: st.Value})
				}
			}
			if len(pts) == 0 {
				continue
			}
			sc, err := plotter.NewScatter(pts)
			if err != nil {
				continue
			}
			sc.GlyphStyle.Color = plotutil.Palette[(k+1)%len(plotutil.Palette)]
			sc.GlyphStyle.Radius = vg.Points(3)
			if k == 1 {
				sc.GlyphStyle.Shape = draw.CrossGlyph{}
			}
			p.Add(sc)
			p.Legend.Add(fmt.Sprintf("%s (%d evals)", pa.name, pa.res.Evals), sc)
		}
		p.X.Min, p.X.Max = lo-0.2, hi+0.2
		p.Legend.Top = true
		p.Legend.TextStyle.Color = color.Black
		out = append(out, p)
	}
	return out
}

// buildModel returns the model fitted on train and the criterion on val.
func buildModel(model string, train, val *datasets.Dataset) (bilevel.Model, bilevel.Criterion, error) {
	switch model {
	case "ridge", "lasso", "enet":
		var (
			m   bilevel.Model
			err error
		)
		switch model {
		case "ridge":
			m, err = bilevel.NewRidge(train.X, train.Y, smooth.Shared)
		case "lasso":
			m, err = bilevel.NewLasso(train.X, train.Y, smooth.Shared)
		default:
			m, err = bilevel.NewElasticNet(train.X, train.Y)
		}
		if err != nil {
			return nil, nil, err
		}
		c, err := bilevel.NewMSE(val.X, val.Y)
		return m, c, err
	case "logistic", "l1logistic":
		ytr, err := datasets.Signs(train.Y)
		if err != nil {
			return nil, nil, fmt.Errorf("training labels: %w", err)
		}
		yva, err := signsAllowOne(val.Y)
		if err != nil {
			return nil, nil, fmt.Errorf("validation labels: %w", err)
		}
		if model == "logistic" {
			// A user's data may be imbalanced: fit an unpenalized intercept.
			m, err := bilevel.NewLogisticIntercept(train.X, ytr, smooth.Shared)
			if err != nil {
				return nil, nil, err
			}
			c, err := bilevel.NewLogLossIntercept(val.X, yva)
			return m, c, err
		}
		m, err := bilevel.NewSparseLogistic(train.X, ytr, smooth.Shared)
		if err != nil {
			return nil, nil, err
		}
		c, err := bilevel.NewLogLoss(val.X, yva)
		return m, c, err
	case "multinomial":
		m, err := bilevel.NewMultinomial(train.X, train.Y, smooth.Shared)
		if err != nil {
			return nil, nil, err
		}
		c, err := bilevel.NewMultiLogLoss(val.X, val.Y, m.Classes())
		return m, c, err
	}
	return nil, nil, fmt.Errorf("unknown model %q (want ridge, lasso, enet, logistic, l1logistic, multinomial)", model)
}

// signsAllowOne maps 0/1 labels to ±1 without requiring both classes (a
// small validation fold may hold one class).
func signsAllowOne(y []float64) ([]float64, error) {
	out := make([]float64, len(y))
	for i, v := range y {
		switch v {
		case 0:
			out[i] = -1
		case 1:
			out[i] = 1
		default:
			return nil, fmt.Errorf("%w: label %v at row %d is not 0 or 1", datasets.ErrFormat, v, i)
		}
	}
	return out, nil
}

// tuneCSV tunes a model on a user's CSV with K-fold CV (or the standard
// split for k ≤ 1) and prints grid search beside L-BFGS.
func tuneCSV(ctx context.Context, out io.Writer, file, model string, k int, lo, hi float64, dropConst bool, logger *slog.Logger) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	d, err := datasets.ReadCSV(f)
	if err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	if dropConst {
		var dropped []string
		d, dropped = dropConstant(d)
		if len(dropped) > 0 {
			fmt.Fprintf(out, "dropped %d constant column(s): %s\n", len(dropped), strings.Join(dropped, ", "))
		}
	}
	regression := model == "ridge" || model == "lasso" || model == "enet"
	var trains, vals []*datasets.Dataset
	if k >= 2 {
		trains, vals, err = d.Folds(k)
		if err != nil {
			return err
		}
	} else {
		tr, va := d.Split()
		trains, vals = []*datasets.Dataset{tr}, []*datasets.Dataset{va}
	}
	var folds []*bilevel.HeldOut
	lmax := 0.0
	for i := range trains {
		_, sets, err := datasets.Standardize(regression, trains[i], vals[i])
		if errors.Is(err, datasets.ErrConstant) && !dropConst {
			return fmt.Errorf("fold %d: %w (use -drop-constant to drop columns constant over all rows)", i, err)
		} else if err != nil {
			return fmt.Errorf("fold %d: %w", i, err)
		}
		m, c, err := buildModel(model, sets[0], sets[1])
		if err != nil {
			return fmt.Errorf("fold %d: %w", i, err)
		}
		if l, ok := m.(*bilevel.L1Regression); ok {
			lmax = math.Max(lmax, l.LambdaMax())
		}
		h, err := bilevel.NewHeldOut(m, c, nil)
		if err != nil {
			return err
		}
		folds = append(folds, h)
	}
	cv, err := bilevel.NewCrossValidation(folds, nil)
	if err != nil {
		return err
	}
	p := cv.Dims()
	var grid [][]float64
	theta0 := make([]float64, p)
	switch {
	case lmax > 0 && p == 1:
		grid = bilevel.Grid1D(bilevel.Linspace(math.Log(lmax), math.Log(lmax*1e-4), 100))
		theta0[0] = math.Log(lmax / 10)
	case lmax > 0: // elastic net: (log λ₁, log λ₂), 10 × 10 grid
		for _, a := range bilevel.Linspace(math.Log(lmax), math.Log(lmax*1e-4), 10) {
			for _, b := range bilevel.Linspace(4, -8, 10) {
				grid = append(grid, []float64{a, b})
			}
		}
		theta0[0] = math.Log(lmax / 10)
	default:
		grid = bilevel.Grid1D(bilevel.Linspace(4, -12, 100))
	}
	fmt.Fprintf(out, "%s: %d rows × %d features, model %s, %d fold(s)\n", file, d.Rows(), len(d.Features), model, len(folds))
	const maxEvals = 50
	prog := plotutil.NewProgress("hyperparam")
	defer prog.Done()
	prog.Expect("grid", len(grid))
	prog.Expect("lbfgs", maxEvals)
	prog.Start(fmt.Sprintf("grid search, %d points × %d fold(s)", len(grid), len(folds)))
	n := 0
	gr, err := bilevel.GridSearch(ctx, counted{cv, func() {
		n++
		prog.Step("grid", fmt.Sprintf("grid point %d/%d", n, len(grid)))
	}}, grid, 0)
	if errors.Is(err, bilevel.ErrNotConverged) {
		fmt.Fprintf(out, "warning: %v\n", err)
	} else if err != nil {
		return err
	}
	for _, fo := range folds {
		fo.Reset()
	}
	lower, upper := make([]float64, p), make([]float64, p)
	for j := range p {
		lower[j], upper[j] = lo, hi
		theta0[j] = math.Min(math.Max(theta0[j], lo), hi)
	}
	prog.Start("L-BFGS on the implicit hypergradient")
	n = 0
	res, err := bilevel.Optimize(ctx, counted{cv, func() {
		n++
		prog.Step("lbfgs", fmt.Sprintf("L-BFGS evaluation %d (at most %d)", n, maxEvals))
	}}, theta0, &bilevel.Settings{MaxIter: maxEvals, Lower: lower, Upper: upper, Logger: logger})
	if err != nil {
		return err
	}
	prog.Skip("lbfgs", maxEvals-n)
	prog.Done()
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "method\tθ = log λ\tcriterion\tsolves\twall time\t")
	fmt.Fprintf(tw, "grid search (%d points)\t%s\t%.6g\t%d\t%s\t\n", len(grid), fmtVec(gr.BestTheta()), gr.BestValue(), len(gr.Values), fmtDur(gr.Time))
	fmt.Fprintf(tw, "L-BFGS + implicit hypergradient\t%s\t%.6g\t%d\t%s\t%s\n", fmtVec(res.Theta), res.Value, res.Evals, fmtDur(res.Time), res.Status)
	return tw.Flush()
}

// counted is an objective that calls step after each evaluation (to
// report progress).
type counted struct {
	bilevel.Objective
	step func()
}

func (c counted) Evaluate(ctx context.Context, theta, grad []float64, tol float64) (bilevel.Evaluation, error) {
	ev, err := c.Objective.Evaluate(ctx, theta, grad, tol)
	c.step()
	return ev, err
}

func fmtVec(v []float64) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = fmt.Sprintf("%.3f", x)
	}
	return strings.Join(s, ", ")
}

// dropConstant removes the columns that are constant over all rows of d.
func dropConstant(d *datasets.Dataset) (*datasets.Dataset, []string) {
	r, c := d.X.Dims()
	var keep []int
	var dropped []string
	for j := range c {
		constant := true
		for i := 1; i < r; i++ {
			if d.X.At(i, j) != d.X.At(0, j) {
				constant = false
				break
			}
		}
		if constant {
			name := fmt.Sprint(j)
			if j < len(d.Features) {
				name = d.Features[j]
			}
			dropped = append(dropped, name)
		} else {
			keep = append(keep, j)
		}
	}
	if len(dropped) == 0 || len(keep) == 0 {
		return d, nil
	}
	x := mat.NewDense(r, len(keep), nil)
	names := make([]string, len(keep))
	for k, j := range keep {
		for i := range r {
			x.Set(i, k, d.X.At(i, j))
		}
		if j < len(d.Features) {
			names[k] = d.Features[j]
		}
	}
	return &datasets.Dataset{Name: d.Name, Features: names, X: x, Y: d.Y}, dropped
}
