package conformance_test

// The differentiable results of package sorting, θ = x throughout:
//
//	sorting  *sorting.Soft: soft sort, rank and top-k, l2 and KL, ascending
//	         and descending (the permutahedron projection's fixed point)
//	         *sorting.NetworkResult: odd-even and bitonic networks, with and
//	         without P, several sigmoids (z − f(x) = 0; StraightThrough is
//	         a surrogate gradient by design and is not registered)
//	         *sorting.NeuralSortResult: deterministic and stochastic (noise
//	         fixed), ascending and descending (z − vec(P̂(s)) = 0)
//	         *sorting.OTResult, *sorting.OTTopKResult: z = (Sorted, Ranks,
//	         vec(Plan)) and (Mask, vec(Plan)), the plan's entropic optimality
//	         (double-centred log P + C/ε, the marginals) and the read-out

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/optlayers/optlayers/implicit"
	"github.com/optlayers/optlayers/implicit/conformance"
	"github.com/optlayers/optlayers/sinkhorn"
	"github.com/optlayers/optlayers/solvers/isotonic"
	"github.com/optlayers/optlayers/sorting"

	"gonum.org/v1/gonum/mat"
)

func TestModuleSorting(t *testing.T) {
	conformance.Run(t, sortingCases())
}

type softOp struct {
	name  string
	one   func(dst, x []float64, s *sorting.SoftSettings) (*sorting.Soft, error)
	batch func(ctx context.Context, dst *mat.Dense, x mat.Matrix, s *sorting.SoftSettings) (*sorting.SoftBatch, error)
}

func softCase(name string, op softOp, x []float64, set sorting.SoftSettings) conformance.Case {
	n := len(x)
	return conformance.Case{
		Name:  "sorting/" + op.name + "/" + name,
		Theta: x,
		Solve: func(_ context.Context, th []float64) (implicit.Differentiable, error) {
			s := set
			return op.one(make([]float64, n), th, &s)
		},
		Batch: func(ctx context.Context, ths [][]float64, workers int) ([]implicit.Differentiable, error) {
			xm := mat.NewDense(len(ths), n, nil)
			for i, th := range ths {
				xm.SetRow(i, th)
			}
			s := set
			s.Workers = workers
			sb, err := op.batch(ctx, mat.NewDense(len(ths), n, nil), xm, &s)
			if err != nil {
				return nil, err
			}
			out := make([]implicit.Differentiable, len(sb.Rows))
			for i, r := range sb.Rows {
				out[i] = r
			}
			return out, nil
		},
	}
}

func sortingCases() []conformance.Case {
	rng := rand.New(rand.NewPCG(13, 22))
	const eps, k = 0.7, 2
	ops := []softOp{
		{"SoftSort",
			func(dst, x []float64, s *sorting.SoftSettings) (*sorting.Soft, error) {
				return sorting.SoftSort(dst, x, eps, s)
			},
			func(ctx context.Context, dst *mat.Dense, x mat.Matrix, s *sorting.SoftSettings) (*sorting.SoftBatch, error) {
				return sorting.SoftSortBatch(ctx, dst, x, eps, s)
			}},
		{"SoftRank",
			func(dst, x []float64, s *sorting.SoftSettings) (*sorting.Soft, error) {
				return sorting.SoftRank(dst, x, eps, s)
			},
			func(ctx context.Context, dst *mat.Dense, x mat.Matrix, s *sorting.SoftSettings) (*sorting.SoftBatch, error) {
				return sorting.SoftRankBatch(ctx, dst, x, eps, s)
			}},
		{"SoftTopK",
			func(dst, x []float64, s *sorting.SoftSettings) (*sorting.Soft, error) {
				return sorting.SoftTopK(dst, x, k, eps, s)
			},
			func(ctx context.Context, dst *mat.Dense, x mat.Matrix, s *sorting.SoftSettings) (*sorting.SoftBatch, error) {
				return sorting.SoftTopKBatch(ctx, dst, x, k, eps, s)
			}},
	}
	var cases []conformance.Case
	for _, op := range ops {
		for _, reg := range []isotonic.Regularization{isotonic.L2, isotonic.KL} {
			if op.name == "SoftTopK" && reg == isotonic.KL {
				continue
			}
			for i, desc := range []bool{false, true} {
				x := randVec(rng, 5+i, 1)
				name := fmt.Sprintf("%v/descending=%v", reg, desc)
				cases = append(cases, softCase(name, op, x, sorting.SoftSettings{Regularization: reg, Descending: desc}))
			}
		}
	}
	cases = append(cases, networkCases(rng)...)
	cases = append(cases, neuralSortCases(rng)...)
	return append(cases, otSortCases(rng)...)
}

func otSortCases(rng *rand.Rand) []conformance.Case {
	sk := &sinkhorn.Settings{Tol: 1e-13, EpsilonScaling: 0.5, MaxIter: 100000, Mode: sinkhorn.Kernel, Newton: true}
	const eps = 0.05
	var cases []conformance.Case
	for i, set := range []sorting.OTSettings{{Sinkhorn: sk}, {Sinkhorn: sk, Anchors: 3, Descending: true}} {
		n := 4 + i
		cases = append(cases, conformance.Case{
			Name:       fmt.Sprintf("sorting/OTSort/n=%d/anchors=%d/descending=%v", n, set.Anchors, set.Descending),
			Theta:      randVec(rng, n, 1),
			Cancelable: true,
			Solve: func(ctx context.Context, th []float64) (implicit.Differentiable, error) {
				s := set
				return sorting.OTSort(ctx, th, eps, &s)
			},
			Batch: func(ctx context.Context, ths [][]float64, workers int) ([]implicit.Differentiable, error) {
				xm := mat.NewDense(len(ths), n, nil)
				for i, th := range ths {
					xm.SetRow(i, th)
				}
				bs := set
				bs.Workers = workers
				rs, err := sorting.OTSortBatch(ctx, xm, eps, &bs)
				if err != nil {
					return nil, err
				}
				out := make([]implicit.Differentiable, len(rs))
				for i, r := range rs {
					out[i] = r
				}
				return out, nil
			},
		})
	}
	for i, desc := range []bool{false, true} {
		n, k := 5+i, 2
		set := sorting.OTSettings{Sinkhorn: sk, Descending: desc}
		cases = append(cases, conformance.Case{
			Name:       fmt.Sprintf("sorting/OTTopK/n=%d/k=%d/descending=%v", n, k, desc),
			Theta:      randVec(rng, n, 1),
			Cancelable: true,
			Solve: func(ctx context.Context, th []float64) (implicit.Differentiable, error) {
				s := set
				return sorting.OTTopK(ctx, th, k, eps, &s)
			},
		})
	}
	return cases
}

func neuralSortCases(rng *rand.Rand) []conformance.Case {
	var cases []conformance.Case
	for i, set := range []sorting.NeuralSortSettings{{}, {Descending: true}, {Stochastic: true}} {
		n, tau := 4+i, 0.8
		stoch := set.Stochastic
		seed := uint64(i)
		solve := func(th []float64) (*sorting.NeuralSortResult, error) {
			s := set
			if stoch {
				// The same noise at every θ: a fresh generator with a
				// fixed seed.
				s.Rand = rand.New(rand.NewPCG(seed, 1))
			}
			return sorting.NeuralSort(th, tau, &s)
		}
		cases = append(cases, conformance.Case{
			Name:  fmt.Sprintf("sorting/NeuralSort/n=%d/descending=%v/stochastic=%v", n, set.Descending, stoch),
			Theta: randVec(rng, n, 1),
			Solve: func(_ context.Context, th []float64) (implicit.Differentiable, error) {
				return solve(th)
			},
			Batch: func(ctx context.Context, ths [][]float64, workers int) ([]implicit.Differentiable, error) {
				sm := mat.NewDense(len(ths), n, nil)
				for i, th := range ths {
					sm.SetRow(i, th)
				}
				bs := set
				bs.Workers = workers
				rs, err := sorting.NeuralSortBatch(ctx, sm, tau, &bs, seed)
				if err != nil {
					return nil, err
				}
				out := make([]implicit.Differentiable, len(rs))
				for i, r := range rs {
					out[i] = r
				}
				return out, nil
			},
		})
	}
	return cases
}

func networkCase(name string, net *sorting.Network, x []float64, wantP bool, set sorting.NetworkSettings) conformance.Case {
	return conformance.Case{
		Name:  "sorting/Network/" + name,
		Theta: x,
		Solve: func(_ context.Context, th []float64) (implicit.Differentiable, error) {
			s := set
			return net.Sort(th, wantP, &s)
		},
		Batch: func(ctx context.Context, ths [][]float64, workers int) ([]implicit.Differentiable, error) {
			xm := mat.NewDense(len(ths), len(x), nil)
			for i, th := range ths {
				xm.SetRow(i, th)
			}
			s := set
			s.Workers = workers
			nb, err := net.SortBatch(ctx, xm, wantP, &s)
			if err != nil {
				return nil, err
			}
			out := make([]implicit.Differentiable, len(nb.Results))
			for i, r := range nb.Results {
				out[i] = r
			}
			return out, nil
		},
	}
}

func networkCases(rng *rand.Rand) []conformance.Case {
	var cases []conformance.Case
	for _, kind := range []sorting.NetworkKind{sorting.OddEven, sorting.Bitonic} {
		for i, sig := range []sorting.Sigmoid{sorting.Cauchy, sorting.Logistic, sorting.Reciprocal} {
			n := 4 + i
			net, err := sorting.NewNetwork(kind, n)
			if err != nil {
				panic(err)
			}
			wantP := i != 1
			set := sorting.NetworkSettings{Sigmoid: sig, Steepness: 2, Descending: i == 2}
			name := fmt.Sprintf("%v/%v/n=%d/P=%v", kind, sig, n, wantP)
			cases = append(cases, networkCase(name, net, randVec(rng, n, 1), wantP, set))
		}
	}
	return cases
}
