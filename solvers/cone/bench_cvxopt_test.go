package cone

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/optlayers/optlayers/sparse"
)

// The instances of the side-by-side timing against cvxopt's conelp
// (testdata/sidebyside_instances.json, written by testdata/sidebyside_gen.py;
// see BENCHMARKS.md, "Cone programs vs cvxopt conelp").

type cvxoptInstance struct {
	Name      string    `json:"name"`
	N         int       `json:"n"`
	M         int       `json:"m"`
	L         int       `json:"l"`
	SOC       []int     `json:"q"`
	PSDOrders []int     `json:"s"`
	C         []float64 `json:"c"`
	H         []float64 `json:"h"`
	Gi        []int     `json:"Gi"`
	Gj        []int     `json:"Gj"`
	Gv        []float64 `json:"Gv"`
	Objective float64   `json:"cvxopt_objective"`
	X         []float64 `json:"cvxopt_x"`
}

var cvxoptOnce = sync.OnceValues(func() ([]cvxoptInstance, error) {
	raw, err := os.ReadFile("testdata/sidebyside_instances.json")
	if err != nil {
		return nil, err
	}
	var out []cvxoptInstance
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, err
	}
	return out, nil
})

func cvxoptInstances(tb testing.TB, prefix string) []cvxoptInstance {
	tb.Helper()
	all, err := cvxoptOnce()
	require.NoError(tb, err)
	var out []cvxoptInstance
	for _, in := range all {
		if strings.HasPrefix(in.Name, prefix) {
			out = append(out, in)
		}
	}
	require.NotEmpty(tb, out)
	return out
}

// problem returns the instance as a Problem: minimize cᵀx subject to
// Gx + s = h, s ∈ R₊^l × SOC blocks × PSD blocks.
func (in *cvxoptInstance) problem(tb testing.TB) *Problem {
	tb.Helper()
	var cones []Cone
	if in.L > 0 {
		cones = append(cones, Nonnegative{in.L})
	}
	for _, d := range in.SOC {
		cones = append(cones, SecondOrder{d})
	}
	for _, k := range in.PSDOrders {
		cones = append(cones, PSD{k})
	}
	k, err := NewProduct(cones...)
	require.NoError(tb, err)
	a, err := sparse.FromTriplets(in.M, in.N, in.Gi, in.Gj, in.Gv, nil)
	require.NoError(tb, err)
	return &Problem{P: in.C, A: a, B: in.H, K: k}
}

// Solve agrees with cvxopt's conelp (solved at tolerances 1e-9 by the
// generator) on the small and medium instances of the timing (the
// benchmarks check the objective of the large ones).
func TestCvxoptInstances(t *testing.T) {
	for _, in := range cvxoptInstances(t, "") {
		if !strings.HasSuffix(in.Name, "small") && (testing.Short() || !strings.HasSuffix(in.Name, "medium")) {
			continue
		}
		t.Run(in.Name, func(t *testing.T) {
			pb := in.problem(t)
			sol, err := Solve(context.Background(), pb, &Settings{Tol: 1e-10})
			require.NoError(t, err)
			require.Equal(t, Optimal, sol.Status)
			assert.InDelta(t, in.Objective, sol.Objective, 1e-7*math.Max(1, math.Abs(in.Objective)), "objective vs cvxopt")
			assert.Less(t, diffRel(in.X, sol.X), 2e-5, "x vs cvxopt (whose x at tolerances 1e-9 is good to about 1e-6)")
		})
	}
}

func benchCvxopt(b *testing.B, prefix string) {
	for _, in := range cvxoptInstances(b, prefix) {
		pb := in.problem(b)
		b.Run(strings.TrimPrefix(in.Name, prefix), func(b *testing.B) {
			ctx := context.Background()
			iters := 0
			cpu0 := processCPU()
			for b.Loop() {
				sol, err := Solve(ctx, pb, &Settings{Tol: 1e-8})
				if err != nil {
					b.Fatal(err)
				}
				iters = sol.Iterations
				if d := math.Abs(sol.Objective - in.Objective); !(d <= 1e-6*math.Max(1, math.Abs(in.Objective))) {
					b.Fatalf("objective %.10g, cvxopt's %.10g", sol.Objective, in.Objective)
				}
			}
			b.ReportMetric(float64(iters), "iters")
			if cpu := processCPU() - cpu0; cpu > 0 {
				// The process's CPU time (all threads) per solve, the
				// measure least disturbed by other load on the machine.
				b.ReportMetric(cpu.Seconds()*1e9/float64(b.N), "cpu-ns/op")
			}
		})
	}
}

// BenchmarkCvxoptSOCP times Solve on the SOCPs of the cvxopt protocol
// (Tol 1e-8, as the cvxopt side's abstol = reltol = feastol = 1e-8).
func BenchmarkCvxoptSOCP(b *testing.B) { benchCvxopt(b, "socp-") }

// BenchmarkCvxoptSDP times Solve on the SDPs of the cvxopt protocol.
func BenchmarkCvxoptSDP(b *testing.B) { benchCvxopt(b, "sdp-") }

// BenchmarkCvxoptVJP times one VJP of Solve's solution on the medium and
// large instances of the cvxopt protocol, the factorization of the
// derivative's KKT matrix included (it is rebuilt every iteration), beside
// the solve itself in BenchmarkCvxoptSOCP/SDP.
func BenchmarkCvxoptVJP(b *testing.B) {
	for _, in := range cvxoptInstances(b, "") {
		if !strings.HasSuffix(in.Name, "medium") && !strings.HasSuffix(in.Name, "large") {
			continue
		}
		pb := in.problem(b)
		sol, err := Solve(context.Background(), pb, &Settings{Tol: 1e-8})
		if err != nil {
			b.Fatal(err)
		}
		l := sol.Layout()
		g := make([]float64, l.LenZ())
		for i := range g {
			g[i] = 1
		}
		dst := make([]float64, l.Len())
		b.Run(in.Name, func(b *testing.B) {
			for b.Loop() {
				sol.diff = nil
				if err := sol.VJP(dst, g); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
