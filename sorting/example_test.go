package sorting_test

import (
	"context"
	"fmt"

	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/sorting"
)

func ExampleSoftRank() {
	x := []float64{0.3, -1.2, 2.5, 0.9}
	r := make([]float64, len(x))
	for _, eps := range []float64{0.01, 1, 100} {
		if _, err := sorting.SoftRank(r, x, eps, nil); err != nil {
			panic(err)
		}
		fmt.Printf("ε=%-5v ranks %.4f\n", eps, r)
	}
	// Gradient of the soft rank of x[0] with respect to x, ε = 1.
	sr, _ := sorting.SoftRank(r, x, 1, nil)
	g := make([]float64, len(x))
	_ = sr.VJP(g, []float64{1, 0, 0, 0})
	fmt.Printf("∂r₀/∂x %.4f\n", g)
	// Output:
	// ε=0.01  ranks [2.0000 1.0000 4.0000 3.0000]
	// ε=1     ranks [2.2000 1.0000 4.0000 2.8000]
	// ε=100   ranks [2.4968 2.4817 2.5187 2.5027]
	// ∂r₀/∂x [0.5000 0.0000 0.0000 -0.5000]
}

func ExampleSoftSort() {
	x := []float64{0.3, -1.2, 2.5, 0.9}
	s := make([]float64, len(x))
	_, _ = sorting.SoftSort(s, x, 0.01, nil)
	fmt.Printf("ascending  %.4f\n", s)
	_, _ = sorting.SoftSort(s, x, 2, &sorting.SoftSettings{Descending: true})
	fmt.Printf("descending %.4f\n", s)
	// Output:
	// ascending  [-1.2000 0.3000 0.9000 2.5000]
	// descending [1.3750 0.8750 0.3750 -0.1250]
}

func ExampleNetwork() {
	net, err := sorting.NewNetwork(sorting.Bitonic, 3) // padded to 4 wires
	if err != nil {
		panic(err)
	}
	x := []float64{0.5, -0.2, 0.1}
	r, err := net.Sort(x, true, &sorting.NetworkSettings{Sigmoid: sorting.Cauchy, Steepness: 10})
	if err != nil {
		panic(err)
	}
	fmt.Printf("relaxed sort %.4f\n", r.Values)
	fmt.Printf("P =\n%.3f\n", mat.Formatted(r.P))
	// Gradient of the BCE against the true permutation.
	gp := mat.NewDense(3, 3, nil)
	loss, _ := sorting.PermutationBCE(gp, r.P, sorting.Argsort(x, false))
	gx, _ := r.Backward(nil, gp)
	fmt.Printf("BCE %.4f, ∂BCE/∂x %.4f\n", loss, gx)
	// Output:
	// relaxed sort [-0.1377 0.1004 0.4373]
	// P =
	// ⎡0.049  0.857  0.094⎤
	// ⎢0.077  0.101  0.822⎥
	// ⎣0.874  0.041  0.084⎦
	// BCE 0.1056, ∂BCE/∂x [-0.1302 0.1802 -0.0500]
}

func ExampleNeuralSort() {
	scores := []float64{0.2, 1.5, -0.7}
	r, err := sorting.NeuralSort(scores, 0.5, &sorting.NeuralSortSettings{Descending: true})
	if err != nil {
		panic(err)
	}
	fmt.Printf("%.3f\n", mat.Formatted(r.P))
	// Output:
	// ⎡0.069  0.931  0.000⎤
	// ⎢0.807  0.060  0.133⎥
	// ⎣0.142  0.000  0.858⎦
}

func ExampleSpearmanLoss() {
	pred := []float64{0.1, 0.4, 0.35, 0.8}
	target := []float64{1, 2, 3, 4}
	loss, grad, err := sorting.SpearmanLoss(pred, target, 0.1, nil)
	if err != nil {
		panic(err)
	}
	fmt.Printf("1 − ρ = %.4f, gradient %.4f\n", loss, grad)
	// Output:
	// 1 − ρ = 0.1162, gradient [0.0000 1.5175 -1.5175 0.0000]
}

func ExampleOTSort() {
	x := []float64{0.3, -1.2, 2.5, 0.9}
	r, err := sorting.OTSort(context.Background(), x, 1e-3, nil)
	if err != nil {
		panic(err)
	}
	fmt.Printf("sorted %.3f\nranks  %.3f\n", r.Sorted, r.Ranks)
	// Three soft quantiles of x.
	q, _ := sorting.OTSort(context.Background(), x, 1e-3, &sorting.OTSettings{Anchors: 3})
	fmt.Printf("soft quantiles %.3f\n", q.Sorted)
	// Output:
	// sorted [-1.200 0.300 0.900 2.500]
	// ranks  [2.000 1.000 4.000 3.000]
	// soft quantiles [-0.825 0.600 2.100]
}
