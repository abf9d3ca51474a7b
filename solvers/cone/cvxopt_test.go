package cone

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"testing"

	"github.com/optlayers/optlayers/sparse"
	"github.com/stretchr/testify/require"
)

// refCase is one instance of testdata/*.json (gen_cvxopt.py) with
// CVXOPT's solution.
type refCase struct {
	Name  string `json:"name"`
	N     int    `json:"n"`
	M     int    `json:"m"`
	Cones []struct {
		Type string `json:"type"`
		N    int    `json:"n"`
	} `json:"cones"`
	ARows     []int     `json:"a_rows"`
	ACols     []int     `json:"a_cols"`
	AVals     []float64 `json:"a_vals"`
	QRows     []int     `json:"q_rows"`
	QCols     []int     `json:"q_cols"`
	QVals     []float64 `json:"q_vals"`
	P         []float64 `json:"p"`
	B         []float64 `json:"b"`
	X         []float64 `json:"x"`
	S         []float64 `json:"s"`
	Y         []float64 `json:"y"`
	Objective float64   `json:"objective"`
	XTrue     []float64 `json:"x_true"`
	STrue     []float64 `json:"s_true"`
	YTrue     []float64 `json:"y_true"`
	ObjTrue   float64   `json:"objective_true"`
	Status    string    `json:"cvxopt_status"`
	Tol       float64   `json:"cvxopt_tol"`
}

func (c *refCase) problem() (*Problem, error) {
	a, err := sparse.FromTriplets(c.M, c.N, c.ARows, c.ACols, c.AVals, nil)
	if err != nil {
		return nil, err
	}
	var q *sparse.SymCSC
	if len(c.QVals) > 0 {
		q, err = sparse.SymFromTriplets(c.N, c.QRows, c.QCols, c.QVals, nil)
		if err != nil {
			return nil, err
		}
	}
	var cs []Cone
	for _, k := range c.Cones {
		switch k.Type {
		case "zero":
			cs = append(cs, Zero{k.N})
		case "nonneg":
			cs = append(cs, Nonnegative{k.N})
		case "soc":
			cs = append(cs, SecondOrder{k.N})
		case "psd":
			cs = append(cs, PSD{k.N})
		default:
			return nil, fmt.Errorf("unknown cone %q", k.Type)
		}
	}
	k, err := NewProduct(cs...)
	if err != nil {
		return nil, err
	}
	return &Problem{Q: q, P: c.P, A: a, B: c.B, K: k}, nil
}

func loadCases(t testing.TB, path string) []refCase {
	t.Helper()
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	var cs []refCase
	if raw[0] == '{' {
		var c refCase
		require.NoError(t, json.Unmarshal(raw, &c))
		cs = []refCase{c}
	} else {
		require.NoError(t, json.Unmarshal(raw, &cs))
	}
	return cs
}

func relDiff(a, b []float64) float64 {
	num, den := 0.0, 1.0
	for i := range a {
		num = math.Max(num, math.Abs(a[i]-b[i]))
		den = math.Max(den, math.Abs(b[i]))
	}
	return num / den
}

// TestSolveCVXOPT solves the LPs, SOCPs, SDPs and QPs with second-order
// and PSD constraints of testdata/cvxopt_cases.json (gen_cvxopt.py) at
// and checks the objective and (x, s, y) against the known
// solution of the construction (x_true, s_true, y_true: strictly
// complementary and nondegenerate) and against CVXOPT's conelp/coneqp,
// relative to max(1, ‖·‖∞) (Tol 1e-12, which every case reaches):
//
//   - objective to 1e-7 against both;
//   - x and s to 1e-7 against the construction on the LPs, SOCPs and
//     SDPs, and against CVXOPT to 1e-7 or 3× CVXOPT's own distance from
//     the construction where that is larger;
//   - y to 1e-7 on the LPs, and to 1e-4 on the second-order and PSD
//     cases and all of (x, s, y) to 1e-5 on the QPs: there the error of
//     a point with residuals ε is of order √ε, not ε (Sturm's error bound
//     for conic systems, "Error bounds for linear matrix inequalities",
//     SIAM J. Optim. 10, 2000, with exponent ½ under strict
//     complementarity; for a strongly convex objective x − x* ~ √(f − f*)),
//     which both solvers show: CVXOPT's y is 1e-6…2e-3 from the
//     construction on these cases, ours 3e-7…4e-5.
func TestSolveCVXOPT(t *testing.T) {
	for _, c := range loadCases(t, "testdata/cvxopt_cases.json") {
		t.Run(c.Name, func(t *testing.T) {
			require.Equal(t, "optimal", c.Status)
			pb, err := c.problem()
			require.NoError(t, err)
			sol, err := Solve(context.Background(), pb, &Settings{Tol: 1e-12})
			require.NoError(t, err)
			require.Equal(t, Optimal, sol.Status)
			ex, es, ey := relDiff(c.X, c.XTrue), relDiff(c.S, c.STrue), relDiff(c.Y, c.YTrue)
			t.Logf("%s (n=%d, m=%d): %d iterations, residuals %+v, objective %.12g (cvxopt %.12g, true %.12g); distance to the true x, s, y: ours %.1e %.1e %.1e, cvxopt's %.1e %.1e %.1e",
				c.Name, c.N, c.M, sol.Iterations, sol.Residuals, sol.Objective, c.Objective, c.ObjTrue,
				relDiff(sol.X, c.XTrue), relDiff(sol.S, c.STrue), relDiff(sol.Y, c.YTrue), ex, es, ey)
			linear := true
			quad := len(c.QVals) > 0
			for _, k := range c.Cones {
				if k.Type == "soc" || k.Type == "psd" {
					linear = false
				}
			}
			tx, ty := 1e-7, 1e-7
			switch {
			case quad:
				tx, ty = 1e-5, 1e-5
			case !linear:
				ty = 1e-4
			}
			ot := math.Max(1, math.Abs(c.ObjTrue))
			require.InDelta(t, c.ObjTrue, sol.Objective, 1e-7*ot, "objective vs the construction")
			require.InDelta(t, c.Objective, sol.Objective, 1e-7*ot, "objective vs cvxopt")
			require.Less(t, relDiff(sol.X, c.XTrue), tx, "x vs the construction")
			require.Less(t, relDiff(sol.S, c.STrue), tx, "s vs the construction")
			require.Less(t, relDiff(sol.Y, c.YTrue), ty, "y vs the construction")
			require.Less(t, relDiff(sol.X, c.X), math.Max(tx, 3*ex), "x vs cvxopt")
			require.Less(t, relDiff(sol.S, c.S), math.Max(tx, 3*es), "s vs cvxopt")
			require.Less(t, relDiff(sol.Y, c.Y), math.Max(ty, 3*ey), "y vs cvxopt")
			checkInCones(t, pb, sol.S, sol.Y, 1e-9)
		})
	}
}

// checkInCones checks s ∈ K, y ∈ K* block by block with the test-side
// membership functions of helpers_test.go.
func checkInCones(t *testing.T, pb *Problem, s, y []float64, tol float64) {
	t.Helper()
	off := pb.K.Offsets()
	for i, c := range pb.K.Cones() {
		sb, yb := s[off[i]:off[i+1]], y[off[i]:off[i+1]]
		switch k := c.(type) {
		case Zero:
			for _, v := range sb {
				require.InDelta(t, 0, v, tol)
			}
		case Nonnegative:
			require.True(t, inOrthT(sb, tol), "s block %d", i)
			require.True(t, inOrthT(yb, tol), "y block %d", i)
		case SecondOrder:
			require.True(t, inSOCT(sb, tol), "s block %d", i)
			require.True(t, inSOCT(yb, tol), "y block %d", i)
		case PSD:
			require.True(t, inPSDT(k.N, sb, tol), "s block %d", i)
			require.True(t, inPSDT(k.N, yb, tol), "y block %d", i)
		}
	}
}
