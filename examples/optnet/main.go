// Command optnet trains a QP layer: it learns the polygon onto which a
// projection maps its inputs, from noisy input/output pairs only.
//
// The hidden map is z = argmin ½‖z − y‖² s.t. G*z ≤ h*, the Euclidean
// projection onto a hexagon-like polygon. The model is the same QP with
// learnable G and h; each step solves a batch of QPs (qp.SolveBatch) and
// backpropagates the mean squared error through them (qp.BackwardBatch),
// then takes an Adam step. A projection that ignores the constraints
// (z = y) is the baseline; the learned constraints are compared with the
// true ones by the angle of their normal and their offset h/‖g‖.
//
//	go run ./examples/optnet [-quick] [-png optnet.png]
//
// The full run (60 epochs of 512 pairs) takes about 2 s on a 2-core
// machine and prints a line every 6 epochs as it goes; -quick (12 epochs
// of 256 pairs) well under a second.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"math"
	"math/rand/v2"
	"sort"

	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/internal/plotutil"
	"github.com/optlayers/optlayers/solvers/qp"
)

const faces = 6

type polygon struct {
	g [faces][2]float64
	h [faces]float64
}

func (p *polygon) problems(ys [][2]float64) []*qp.Problem {
	eye := mat.NewSymDense(2, []float64{1, 0, 0, 1})
	g := mat.NewDense(faces, 2, nil)
	for i := range faces {
		g.Set(i, 0, p.g[i][0])
		g.Set(i, 1, p.g[i][1])
	}
	h := p.h[:]
	out := make([]*qp.Problem, len(ys))
	for k, y := range ys {
		out[k] = &qp.Problem{Q: eye, P: []float64{-y[0], -y[1]}, G: g, H: h}
	}
	return out
}

// project returns the projections of ys onto the polygon.
func (p *polygon) project(ys [][2]float64) ([]*qp.Solution, error) {
	return qp.SolveBatch(context.Background(), p.problems(ys), nil)
}

func mse(sols []*qp.Solution, zs [][2]float64) float64 {
	s := 0.0
	for k, sol := range sols {
		dx, dy := sol.X[0]-zs[k][0], sol.X[1]-zs[k][1]
		s += dx*dx + dy*dy
	}
	return s / float64(len(zs))
}

// adam is the Adam optimizer over a flat parameter vector.
type adam struct {
	lr, b1, b2 float64
	m, v       []float64
	t          int
}

func (a *adam) step(theta, grad []float64) {
	if a.m == nil {
		a.m, a.v = make([]float64, len(theta)), make([]float64, len(theta))
	}
	a.t++
	c1 := 1 - math.Pow(a.b1, float64(a.t))
	c2 := 1 - math.Pow(a.b2, float64(a.t))
	for i, g := range grad {
		a.m[i] = a.b1*a.m[i] + (1-a.b1)*g
		a.v[i] = a.b2*a.v[i] + (1-a.b2)*g*g
		theta[i] -= a.lr * (a.m[i] / c1) / (math.Sqrt(a.v[i]/c2) + 1e-8)
	}
}

func (p *polygon) flat() []float64 {
	out := make([]float64, 0, 3*faces)
	for i := range faces {
		out = append(out, p.g[i][0], p.g[i][1], p.h[i])
	}
	return out
}

func (p *polygon) set(theta []float64) {
	for i := range faces {
		p.g[i] = [2]float64{theta[3*i], theta[3*i+1]}
		p.h[i] = theta[3*i+2]
	}
}

// face describes a constraint by the angle of its normal (degrees) and its
// distance from the origin h/‖g‖.
type face struct{ angle, offset float64 }

func (p *polygon) faces() []face {
	out := make([]face, faces)
	for i := range faces {
		nrm := math.Hypot(p.g[i][0], p.g[i][1])
		a := math.Atan2(p.g[i][1], p.g[i][0]) * 180 / math.Pi
		if a < 0 {
			a += 360
		}
		out[i] = face{a, p.h[i] / nrm}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].angle < out[j].angle })
	return out
}

// boundary traces the polygon by projecting points of a large circle.
func (p *polygon) boundary() (xs, ys []float64, err error) {
	var pts [][2]float64
	for k := range 361 {
		t := 2 * math.Pi * float64(k) / 360
		pts = append(pts, [2]float64{10 * math.Cos(t), 10 * math.Sin(t)})
	}
	sols, err := p.project(pts)
	if err != nil {
		return nil, nil, err
	}
	for _, s := range sols {
		xs, ys = append(xs, s.X[0]), append(ys, s.X[1])
	}
	return xs, ys, nil
}

func main() {
	quick := flag.Bool("quick", false, "short run (CI smoke test)")
	png := flag.String("png", "optnet.png", "where to save the figure")
	flag.Parse()
	rng := rand.New(rand.NewPCG(2017, 1))

	// The hidden polygon: normals at irregular angles, offsets in [0.6, 1.4].
	var truth polygon
	for i := range faces {
		a := 2*math.Pi*float64(i)/faces + 0.35*(rng.Float64()-0.5)
		truth.g[i] = [2]float64{math.Cos(a), math.Sin(a)}
		truth.h[i] = 0.6 + 0.8*rng.Float64()
	}
	nTrain, nTest, epochs, batch := 512, 512, 60, 64
	if *quick {
		nTrain, epochs = 256, 12
	}
	sample := func(n int) (ys, zs [][2]float64) {
		ys = make([][2]float64, n)
		for k := range ys {
			ys[k] = [2]float64{1.5 * rng.NormFloat64(), 1.5 * rng.NormFloat64()}
		}
		sols, err := truth.project(ys)
		if err != nil {
			log.Fatal(err)
		}
		zs = make([][2]float64, n)
		for k, s := range sols {
			zs[k] = [2]float64{s.X[0] + 0.01*rng.NormFloat64(), s.X[1] + 0.01*rng.NormFloat64()}
		}
		return ys, zs
	}
	yTrain, zTrain := sample(nTrain)
	yTest, zTest := sample(nTest)

	// Model: a regular hexagon of radius 2 to start from.
	var model polygon
	for i := range faces {
		a := 2*math.Pi*float64(i)/faces + math.Pi/faces
		model.g[i] = [2]float64{math.Cos(a), math.Sin(a)}
		model.h[i] = 2
	}
	initial := model
	baseline := 0.0
	for k := range yTest {
		dx, dy := yTest[k][0]-zTest[k][0], yTest[k][1]-zTest[k][1]
		baseline += (dx*dx + dy*dy) / float64(nTest)
	}

	opt := &adam{lr: 0.03, b1: 0.9, b2: 0.999}
	theta := model.flat()
	var curveTest []float64
	fmt.Printf("baseline z = y (no constraints): test MSE %.5f\n\n", baseline)
	fmt.Printf("%6s  %12s  %12s\n", "epoch", "train MSE", "test MSE")
	perm := make([]int, nTrain)
	for i := range perm {
		perm[i] = i
	}
	for epoch := 0; epoch <= epochs; epoch++ {
		if epoch > 0 {
			rng.Shuffle(nTrain, func(i, j int) { perm[i], perm[j] = perm[j], perm[i] })
			for start := 0; start < nTrain; start += batch {
				idx := perm[start:min(start+batch, nTrain)]
				ys := make([][2]float64, len(idx))
				zs := make([][2]float64, len(idx))
				for k, i := range idx {
					ys[k], zs[k] = yTrain[i], zTrain[i]
				}
				sols, err := model.project(ys)
				if err != nil {
					log.Fatal(err)
				}
				gx := make([][]float64, len(idx))
				for k, s := range sols {
					scale := 2 / float64(len(idx))
					gx[k] = []float64{scale * (s.X[0] - zs[k][0]), scale * (s.X[1] - zs[k][1])}
				}
				grads, err := qp.BackwardBatch(sols, gx, nil, nil, nil)
				if err != nil {
					log.Fatal(err)
				}
				grad := make([]float64, 3*faces)
				for k, g := range grads {
					for i := range faces {
						grad[3*i] += g.G.At(i, 0)
						grad[3*i+1] += g.G.At(i, 1)
						grad[3*i+2] += g.H[i]
					}
					// This step is done with them: the next step's
					// solves reuse their memory.
					g.Release()
					sols[k].Release()
				}
				opt.step(theta, grad)
				model.set(theta)
			}
		}
		trainSols, err := model.project(yTrain)
		if err != nil {
			log.Fatal(err)
		}
		testSols, err := model.project(yTest)
		if err != nil {
			log.Fatal(err)
		}
		tr, te := mse(trainSols, zTrain), mse(testSols, zTest)
		curveTest = append(curveTest, te)
		if epoch%max(1, epochs/10) == 0 || epoch == epochs {
			fmt.Printf("%6d  %12.6f  %12.6f\n", epoch, tr, te)
		}
	}

	fmt.Printf("\nfaces (sorted by normal angle): true vs learned; 'support' counts the test inputs\n")
	fmt.Printf("whose true projection has this face active (λ > 0); a face active only at a vertex is weakly identifiable\n")
	clean, err := truth.project(yTest)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%4s  %10s  %10s  %10s  %10s  %8s\n", "face", "angle°", "learned", "offset", "learned", "support")
	tf, lf := truth.faces(), model.faces()
	for i := range faces {
		support := 0
		for _, s := range clean {
			for j := range faces {
				a := math.Atan2(truth.g[j][1], truth.g[j][0]) * 180 / math.Pi
				if a < 0 {
					a += 360
				}
				if math.Abs(a-tf[i].angle) < 1e-9 && s.Lambda[j] > 1e-6 {
					support++
				}
			}
		}
		fmt.Printf("%4d  %10.2f  %10.2f  %10.4f  %10.4f  %8d\n", i, tf[i].angle, lf[i].angle, tf[i].offset, lf[i].offset, support)
	}

	tx, ty, err := truth.boundary()
	if err != nil {
		log.Fatal(err)
	}
	lx, ly, err := model.boundary()
	if err != nil {
		log.Fatal(err)
	}
	ix, iy, err := initial.boundary()
	if err != nil {
		log.Fatal(err)
	}
	var px, py []float64
	for k := range min(200, nTest) {
		px, py = append(px, zTest[k][0]), append(py, zTest[k][1])
	}
	err = plotutil.Save(*png, "OptNet layer: learning the polygon of a projection", "z₁", "z₂", 14, 14,
		plotutil.Series{Name: "true polygon", X: tx, Y: ty},
		plotutil.Series{Name: "learned", X: lx, Y: ly},
		plotutil.Series{Name: "initial", X: ix, Y: iy},
		plotutil.Series{Name: "targets (test)", X: px, Y: py, Points: true},
	)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("\nsaved %s; after %d epochs the test MSE is %.6f (baseline %.5f, noise floor %.6f)\n",
		*png, epochs, curveTest[len(curveTest)-1], baseline, 2*0.01*0.01)
}
