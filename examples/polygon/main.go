// Command polygon is examples/optnet written with package convex: it
// learns the polygon onto which a projection maps its inputs, from noisy
// input/output pairs only, through layers.Convex.
//
// The hidden map is z = argmin ½‖z − y‖² s.t. G*z ≤ h*. The model is the
// same problem with learnable G and h, written as a model; the layer's
// input is (y, G, h) per pair (G and h repeated on every row, their
// gradients summed over the batch, as cvxpylayers broadcasts), and Adam
// steps on the mean squared error.
//
//	go run ./examples/polygon [-quick] [-png polygon.png]
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/convex"
	"github.com/optlayers/optlayers/internal/plotutil"
	"github.com/optlayers/optlayers/layers"
)

const faces = 6

func main() {
	quick := flag.Bool("quick", false, "short run (CI smoke test)")
	png := flag.String("png", "polygon.png", "where to save the test-MSE curve")
	flag.Parse()
	rng := rand.New(rand.NewPCG(2017, 1))

	// The model: projection of y onto {z : Gz ≤ h}.
	z := convex.NewVariable("z", 2)
	y := convex.NewParameter("y", 2)
	G := convex.NewMatrixParameter("G", faces, 2)
	h := convex.NewParameter("h", faces)
	pb, err := convex.NewProblem(convex.Minimize(convex.SumSquares(z.Sub(y)).Scale(0.5)), G.MatMul(z).Le(h))
	if err != nil {
		log.Fatal(err)
	}
	layer, err := layers.NewConvex(pb, []*convex.Parameter{y, G, h}, []*convex.Variable{z}, nil)
	if err != nil {
		log.Fatal(err)
	}
	// project maps the inputs ys (n×2) through the polygon (g, hv).
	project := func(ys *mat.Dense, g, hv []float64) (*layers.Output, error) {
		n, _ := ys.Dims()
		in := mat.NewDense(n, 2+3*faces, nil)
		for k := range n {
			row := in.RawRowView(k)
			row[0], row[1] = ys.At(k, 0), ys.At(k, 1)
			copy(row[2:], g)
			copy(row[2+2*faces:], hv)
		}
		return layers.Layer{Func: layer}.Forward(context.Background(), in)
	}

	// The hidden polygon (normals at irregular angles) and the start, a
	// regular hexagon of radius 2; G is stored column-major.
	tg, th := make([]float64, 2*faces), make([]float64, faces)
	g, hv := make([]float64, 2*faces), make([]float64, faces)
	for i := range faces {
		a := 2*math.Pi*float64(i)/faces + 0.35*(rng.Float64()-0.5)
		tg[i], tg[faces+i], th[i] = math.Cos(a), math.Sin(a), 0.6+0.8*rng.Float64()
		b := 2*math.Pi*float64(i)/faces + math.Pi/faces
		g[i], g[faces+i], hv[i] = math.Cos(b), math.Sin(b), 2
	}
	nTrain, epochs, batch := 512, 60, 64
	if *quick {
		nTrain, epochs = 256, 12
	}
	sample := func(n int) (ys, zs *mat.Dense) {
		ys = mat.NewDense(n, 2, nil)
		for k := range n {
			ys.Set(k, 0, 1.5*rng.NormFloat64())
			ys.Set(k, 1, 1.5*rng.NormFloat64())
		}
		o, err := project(ys, tg, th)
		if err != nil {
			log.Fatal(err)
		}
		zs = mat.DenseCopyOf(o.Y)
		for k := range n {
			zs.Set(k, 0, zs.At(k, 0)+0.01*rng.NormFloat64())
			zs.Set(k, 1, zs.At(k, 1)+0.01*rng.NormFloat64())
		}
		return ys, zs
	}
	yTrain, zTrain := sample(nTrain)
	yTest, zTest := sample(512)
	mse := func(a, b mat.Matrix) float64 {
		var d mat.Dense
		d.Sub(a, b)
		n, _ := d.Dims()
		return mat.Norm(&d, 2) * mat.Norm(&d, 2) / float64(n)
	}
	fmt.Printf("baseline z = y (no constraints): test MSE %.5f\n\n%6s  %12s\n", mse(yTest, zTest), "epoch", "test MSE")

	theta := append(append([]float64(nil), g...), hv...)
	m, v := make([]float64, len(theta)), make([]float64, len(theta))
	curve := plotutil.Series{Name: "test MSE"}
	step, perm := 0, make([]int, nTrain)
	for i := range perm {
		perm[i] = i
	}
	for epoch := 0; epoch <= epochs; epoch++ {
		if epoch > 0 {
			rng.Shuffle(nTrain, func(i, j int) { perm[i], perm[j] = perm[j], perm[i] })
		}
		for start := 0; epoch > 0 && start < nTrain; start += batch {
			idx := perm[start:min(start+batch, nTrain)]
			ys, zs := mat.NewDense(len(idx), 2, nil), mat.NewDense(len(idx), 2, nil)
			for k, i := range idx {
				ys.SetRow(k, yTrain.RawRowView(i))
				zs.SetRow(k, zTrain.RawRowView(i))
			}
			o, err := project(ys, theta[:2*faces], theta[2*faces:])
			if err != nil {
				log.Fatal(err)
			}
			var gy mat.Dense
			gy.Sub(o.Y, zs)
			gy.Scale(2/float64(len(idx)), &gy)
			gin, err := o.Backward(context.Background(), &gy)
			if err != nil {
				log.Fatal(err)
			}
			step++
			for j := range theta { // Adam on the column sums of ∂/∂(G, h)
				gj := mat.Sum(gin.ColView(2 + j))
				m[j] = 0.9*m[j] + 0.1*gj
				v[j] = 0.999*v[j] + 0.001*gj*gj
				mh, vh := m[j]/(1-math.Pow(0.9, float64(step))), v[j]/(1-math.Pow(0.999, float64(step)))
				theta[j] -= 0.03 * mh / (math.Sqrt(vh) + 1e-8)
			}
		}
		if epoch%max(1, epochs/10) == 0 {
			o, err := project(yTest, theta[:2*faces], theta[2*faces:])
			if err != nil {
				log.Fatal(err)
			}
			ep, te := float64(epoch), mse(o.Y, zTest)
			curve.X, curve.Y = append(curve.X, ep), append(curve.Y, te)
			fmt.Printf("%6d  %12.6f\n", epoch, te)
		}
	}
	fmt.Printf("\nnoise floor %.6f\n", 2*0.01*0.01)
	if err := plotutil.Save(*png, "convex layer: learning a polygon projection", "epoch", "test MSE", 14, 10, curve); err != nil {
		log.Fatal(err)
	}
}
