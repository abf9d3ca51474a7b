// Command transport matches two classes of the wine data by entropic
// optimal transport and moves one class onto the other by a Sinkhorn
// divergence gradient flow.
//
// The 13 wine features are standardized, projected on their first two
// principal components (gonum's SVD), and the cultivars 0 and 1 become two
// point clouds with uniform weights and the squared Euclidean cost. The
// program prints, for decreasing ε, the iterations, the regularized cost
// OT_ε, the transport cost ⟨C,P⟩ and the Sinkhorn divergence S_ε; it saves
// a picture of the plan (a segment from each point to its main partners)
// and, in the gradient flow, the divergence at every step and a picture of
// the moved cloud.
//
//	go run ./examples/transport [-quick] [-png transport.png] [-steps 40]
//
// The full run takes well under a second on a 2-core machine, as does
// -quick (fewer ε values and flow steps); -steps shortens the flow.
package main

import (
	"context"
	"flag"
	"fmt"
	"image/color"
	"log"
	"math"
	"os"
	"strings"
	"time"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/optlayers/optlayers/datasets"
	"github.com/optlayers/optlayers/sinkhorn"
)

func main() {
	quick := flag.Bool("quick", false, "smoke run: fewer ε values and flow steps")
	pngPath := flag.String("png", "transport.png", "where to save the plan picture (the flow picture gets the suffix _flow)")
	steps := flag.Int("steps", 40, "gradient-flow steps")
	flag.Parse()
	if *quick {
		*steps = 10
	}
	x, y, err := wineClouds()
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	nx, _ := x.Dims()
	ny, _ := y.Dims()
	fmt.Printf("wine, PCA to 2-D: class 0 (%d points) → class 1 (%d points), squared Euclidean cost\n\n", nx, ny)

	epsilons := []float64{1, 0.1, 0.01, 0.001}
	if *quick {
		epsilons = []float64{0.1, 0.01}
	}
	fmt.Printf("%-9s %-10s %6s %10s %10s %10s %10s %9s\n", "ε/mean C", "ε", "iter", "OT_ε", "⟨C,P⟩", "S_ε", "error", "time")
	var planRes *sinkhorn.Result
	for _, e := range epsilons {
		pb := &sinkhorn.Problem{X: x, Y: y, Epsilon: e, RelativeEpsilon: true}
		set := &sinkhorn.Settings{EpsilonScaling: 0.5, Anderson: 10, Tol: 1e-9}
		t0 := time.Now()
		div, dr, err := sinkhorn.Divergence(ctx, pb, set)
		if err != nil {
			log.Fatal(err)
		}
		r := dr.XY
		fmt.Printf("%-9g %-10.4g %6d %10.5f %10.5f %10.5f %10.2g %9s\n", e, r.Epsilon, r.Iterations, r.Cost, r.TransportCost(), div, r.Error, time.Since(t0).Round(time.Millisecond))
		if e == 0.01 {
			planRes = r
		}
	}
	if err := savePlan(*pngPath, x, y, planRes); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("\nplan (ε = 0.01·mean C) saved to %s\n\n", *pngPath)

	moved, err := flow(ctx, x, y, *steps)
	if err != nil {
		log.Fatal(err)
	}
	flowPath := strings.TrimSuffix(*pngPath, ".png") + "_flow.png"
	if err := saveFlow(flowPath, x, moved, y); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("flow picture saved to %s\n", flowPath)
}

// wineClouds returns classes 0 and 1 of the wine data, standardized and
// projected on the first two principal components.
func wineClouds() (x, y *mat.Dense, err error) {
	d, err := datasets.Load("wine")
	if err != nil {
		return nil, nil, err
	}
	_, sets, err := datasets.Standardize(false, d)
	if err != nil {
		return nil, nil, err
	}
	s := sets[0]
	var svd mat.SVD
	if !svd.Factorize(s.X, mat.SVDThin) {
		return nil, nil, fmt.Errorf("SVD failed")
	}
	var v mat.Dense
	svd.VTo(&v)
	var z mat.Dense
	z.Mul(s.X, v.Slice(0, v.RawMatrix().Rows, 0, 2))
	var a, b []float64
	for i, label := range s.Y {
		switch label {
		case 0:
			a = append(a, z.At(i, 0), z.At(i, 1))
		case 1:
			b = append(b, z.At(i, 0), z.At(i, 1))
		}
	}
	if len(a) == 0 || len(b) == 0 {
		return nil, nil, fmt.Errorf("wine: missing class")
	}
	return mat.NewDense(len(a)/2, 2, a), mat.NewDense(len(b)/2, 2, b), nil
}

// flow moves the points of x by gradient descent on S_ε(x, y):
// xᵢ ← xᵢ − η ∇ₓᵢS / aᵢ (the Wasserstein gradient of the divergence).
func flow(ctx context.Context, x0, y *mat.Dense, steps int) (*mat.Dense, error) {
	x := mat.DenseCopyOf(x0)
	n, _ := x.Dims()
	const eta = 0.2
	// Fix the absolute ε from the initial configuration.
	r0, err := sinkhorn.Solve(ctx, &sinkhorn.Problem{X: x, Y: y, Epsilon: 0.01, RelativeEpsilon: true}, &sinkhorn.Settings{EpsilonScaling: 0.5, Anderson: 10})
	if err != nil {
		return nil, err
	}
	eps := r0.Epsilon
	fmt.Printf("gradient flow of S_ε (ε = %.4g, step η = %g)\n%5s %12s\n", eps, eta, "step", "S_ε")
	var init *sinkhorn.Start
	for k := 0; k <= steps; k++ {
		set := &sinkhorn.Settings{EpsilonScaling: 0.5, Anderson: 10, Tol: 1e-9}
		if init != nil {
			set.WarmStart, set.EpsilonScaling = init, 0
		}
		div, dr, err := sinkhorn.Divergence(ctx, &sinkhorn.Problem{X: x, Y: y, Epsilon: eps}, set)
		if err != nil {
			return nil, err
		}
		fmt.Printf("%5d %12.6f\n", k, div)
		if k == steps {
			break
		}
		// Warm start the next cross problem from these potentials.
		init = &sinkhorn.Start{F: dr.XY.F, G: dr.XY.G}
		g := dr.Grad()
		for i := range n {
			for c := range 2 {
				x.Set(i, c, x.At(i, c)-eta*g.X.At(i, c)*float64(n))
			}
		}
	}
	return x, nil
}

func scatter(p *plot.Plot, m *mat.Dense, name string, c color.Color, radius float64) error {
	n, _ := m.Dims()
	xy := make(plotter.XYs, n)
	for i := range n {
		xy[i].X, xy[i].Y = m.At(i, 0), m.At(i, 1)
	}
	s, err := plotter.NewScatter(xy)
	if err != nil {
		return err
	}
	s.GlyphStyle.Color = c
	s.GlyphStyle.Radius = vg.Points(radius)
	p.Add(s)
	p.Legend.Add(name, s)
	return nil
}

var (
	blue   = color.RGBA{31, 119, 180, 255}
	orange = color.RGBA{255, 127, 14, 255}
	grey   = color.RGBA{120, 120, 120, 255}
)

// savePlan draws both clouds and, for each point of x, a segment to every
// point of y receiving at least 10% of its mass, thicker for more mass.
func savePlan(path string, x, y *mat.Dense, r *sinkhorn.Result) error {
	p := plot.New()
	p.Title.Text = "Entropic OT plan, wine classes 0 → 1 (PCA)"
	p.X.Label.Text = "PC 1"
	p.Y.Label.Text = "PC 2"
	n, m := r.Dims()
	row := make([]float64, m)
	for i := range n {
		r.PlanRow(row, i)
		var s float64
		for _, v := range row {
			s += v
		}
		for j, v := range row {
			if v < 0.1*s {
				continue
			}
			l, err := plotter.NewLine(plotter.XYs{{X: x.At(i, 0), Y: x.At(i, 1)}, {X: y.At(j, 0), Y: y.At(j, 1)}})
			if err != nil {
				return err
			}
			l.LineStyle.Color = grey
			l.LineStyle.Width = vg.Points(0.3 + 1.5*v/s)
			p.Add(l)
		}
	}
	if err := scatter(p, x, "class 0", blue, 2.5); err != nil {
		return err
	}
	if err := scatter(p, y, "class 1", orange, 2.5); err != nil {
		return err
	}
	return p.Save(16*vg.Centimeter, 13*vg.Centimeter, path)
}

func saveFlow(path string, x0, x, y *mat.Dense) error {
	p := plot.New()
	p.Title.Text = "Sinkhorn divergence flow: class 0 moved onto class 1"
	p.X.Label.Text = "PC 1"
	p.Y.Label.Text = "PC 2"
	if err := scatter(p, x0, "class 0, start", color.NRGBA{R: 31, G: 119, B: 180, A: 90}, 2); err != nil {
		return err
	}
	if err := scatter(p, y, "class 1 (target)", orange, 2.5); err != nil {
		return err
	}
	if err := scatter(p, x, "class 0, end", blue, 2.5); err != nil {
		return err
	}
	if math.IsNaN(mat.Sum(x)) {
		return fmt.Errorf("flow diverged")
	}
	return p.Save(16*vg.Centimeter, 13*vg.Centimeter, path)
}

func init() { log.SetFlags(0); log.SetOutput(os.Stderr) }
