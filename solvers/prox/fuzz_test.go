package prox

import (
	"context"
	"encoding/binary"
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/implicit"
	"github.com/optlayers/optlayers/implicit/linsolve"
	"github.com/optlayers/optlayers/solvers/smooth"
)

// fuzzReader decodes fuzz bytes into sizes, flags and float64s; when the
// data runs out it returns zeros.
type fuzzReader struct{ data []byte }

func (r *fuzzReader) u8() uint8 {
	if len(r.data) == 0 {
		return 0
	}
	b := r.data[0]
	r.data = r.data[1:]
	return b
}

// float maps a few byte patterns to special values so that NaN, ±Inf,
// zeros, huge and tiny values are common.
func (r *fuzzReader) float() float64 {
	if len(r.data) == 0 {
		return 0
	}
	b := r.u8()
	switch b % 16 {
	case 0:
		return math.NaN()
	case 1:
		return math.Inf(1)
	case 2:
		return 0
	case 3:
		return 1e300
	case 4:
		return -1e-300
	case 5:
		return math.Inf(-1)
	case 6:
		return -1e308
	}
	if len(r.data) >= 2 {
		v := float64(int16(binary.LittleEndian.Uint16(r.data))) / 1000
		r.data = r.data[2:]
		return v
	}
	return float64(b) - 128
}

func (r *fuzzReader) floats(k int) []float64 {
	out := make([]float64, k)
	for i := range out {
		out[i] = r.float()
	}
	return out
}

// fuzzFloats decodes data into k float64s (see fuzzReader.float).
func fuzzFloats(data []byte, k int) []float64 {
	r := &fuzzReader{data}
	return r.floats(k)
}

// length returns want most of the time and an arbitrary small length
// otherwise.
func (r *fuzzReader) length(want int) int {
	if r.u8()%4 == 0 {
		return int(r.u8() % 12)
	}
	return want
}

// fuzzOperator builds one of the operators of the package with arbitrary
// configuration (weights of any length and sign, groups with any indices)
// for vectors of length n, on the log scale (LogScale) for which ≥ 12.
func fuzzOperator(r *fuzzReader, which uint8, n int) (string, Regularizer) {
	name, g := fuzzBaseOperator(r, which, n)
	if which%24 >= 12 {
		return "LogScale(" + name + ")", LogScale(g)
	}
	return name, g
}

func fuzzBaseOperator(r *fuzzReader, which uint8, n int) (string, Regularizer) {
	weights := func() []float64 {
		if r.u8()%3 == 0 {
			return nil
		}
		w := r.floats(r.length(n))
		if r.u8()%2 == 0 {
			for i := range w {
				w[i] = math.Abs(w[i])
			}
		}
		return w
	}
	switch which % 12 {
	case 0:
		return "L1", L1{Weights: weights(), PerCoordinate: r.u8()%2 == 0}
	case 1:
		return "ElasticNet", ElasticNet{Weights: weights()}
	case 2:
		return "NonNegL1", NonNegL1{Weights: weights()}
	case 3:
		return "SquaredL2", SquaredL2{}
	case 4:
		return "NonNegSquaredL2", NonNegSquaredL2{}
	case 5:
		groups := make([][]int, r.u8()%4)
		for k := range groups {
			groups[k] = make([]int, r.u8()%4)
			for i := range groups[k] {
				groups[k][i] = int(int8(r.u8())) % (n + 2)
			}
		}
		var w []float64
		if r.u8()%2 == 0 {
			w = r.floats(r.length(len(groups)))
		}
		return "GroupLasso", GroupLasso{Groups: groups, Weights: w}
	case 6:
		return "Box", Box{Scalar: r.u8()%2 == 0}
	case 7:
		return "NonNegative", NonNegative{}
	case 8:
		return "L2Ball", L2Ball{}
	case 9:
		return "Zero", Zero{}
	case 10:
		return "Indicator(simplex)", Indicator(simplex{})
	}
	return "Indicator(nil)", Indicator(nil)
}

// fuzzParams returns λ for g: of length NumParams(n) most of the time,
// made valid (non-negative, ordered bounds) half of the time.
func fuzzParams(r *fuzzReader, g Regularizer, n int) []float64 {
	p := g.NumParams(n)
	lam := r.floats(r.length(p))
	if r.u8()%2 == 0 {
		for i := range lam {
			lam[i] = math.Abs(lam[i])
		}
		if _, ok := g.(Box); ok && len(lam)%2 == 0 {
			h := len(lam) / 2
			for i := range h {
				lam[i] = -lam[i]
			}
		}
	}
	return lam
}

// denseOf returns the columns of op applied to unit vectors (no
// dimension restrictions, unlike mat.NewDense).
func denseOf(op linsolve.Operator) [][]float64 {
	r, c := op.Dims()
	out := make([][]float64, c)
	e := make([]float64, c)
	for j := range c {
		e[j] = 1
		out[j] = make([]float64, r)
		op.Apply(out[j], e)
		e[j] = 0
	}
	return out
}

// FuzzProxOperators drives every method of every operator with arbitrary
// lengths and values (of v, dst, λ, weights, groups and η): none may
// panic, return NaN with a nil error, or accept arguments that Check
// rejects.
func FuzzProxOperators(f *testing.F) {
	f.Add(uint8(0), []byte{6, 10, 20, 30, 40, 50, 60, 70, 80, 90})
	f.Add(uint8(7), []byte{0, 1, 2, 3, 4, 5, 6, 7})
	f.Add(uint8(5), []byte{6, 1, 1, 2, 0, 1, 2, 2, 3, 4, 1, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9})
	f.Add(uint8(8), []byte{3, 1, 3, 3, 3, 1, 9, 9, 9, 9, 9})
	f.Add(uint8(10), []byte{4, 1, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16})
	f.Add(uint8(6), []byte{2, 1, 1, 1, 9, 9, 9, 9, 9, 9, 9, 9, 7})
	f.Add(uint8(12), []byte{6, 10, 20, 30, 40, 50, 60, 70, 80, 90})
	f.Add(uint8(13), []byte{4, 1, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16})
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		r := &fuzzReader{data}
		n := int(r.u8() % 9)
		name, g := fuzzOperator(r, which, n)
		lam := fuzzParams(r, g, n)
		v := r.floats(r.length(n))
		if r.u8()%2 == 0 {
			for i := range v {
				if math.IsNaN(v[i]) || math.IsInf(v[i], 0) {
					v[i] = 1
				}
			}
		}
		eta := r.float()
		if r.u8()%2 == 0 {
			eta = math.Abs(eta)
		}
		dst := make([]float64, r.length(len(v)))
		checkErr := g.Check(len(v), lam)
		if err := g.Prox(dst, v, lam, eta); err == nil {
			if checkErr != nil {
				t.Fatalf("%s: Prox accepted λ=%v that Check rejects: %v", name, lam, checkErr)
			}
			if !finite(dst) {
				t.Fatalf("%s: Prox(v=%v, λ=%v, η=%v) = %v with nil error", name, v, lam, eta, dst)
			}
			if val, err := g.Value(dst, lam); err == nil && math.IsNaN(val) {
				t.Fatalf("%s: NaN value at the prox with nil error", name)
			}
		}
		if val, err := g.Value(v, lam); err == nil {
			if checkErr != nil {
				t.Fatalf("%s: Value accepted λ=%v that Check rejects: %v", name, lam, checkErr)
			}
			if math.IsNaN(val) {
				t.Fatalf("%s: Value(v=%v, λ=%v) is NaN with nil error", name, v, lam)
			}
		}
		if dv, dl, err := g.Jacobian(v, lam, eta); err == nil {
			if checkErr != nil {
				t.Fatalf("%s: Jacobian accepted λ=%v that Check rejects: %v", name, lam, checkErr)
			}
			if r, c := dv.Dims(); r != len(v) || c != len(v) {
				t.Fatalf("%s: ∂prox/∂v is %d×%d for n=%d", name, r, c, len(v))
			}
			if r, c := dl.Dims(); r != len(v) || c != len(lam) {
				t.Fatalf("%s: ∂prox/∂λ is %d×%d for n=%d, p=%d", name, r, c, len(v), len(lam))
			}
			for _, col := range append(denseOf(dv), denseOf(dl)...) {
				if !finite(col) {
					t.Fatalf("%s: Jacobian(v=%v, λ=%v, η=%v) not finite with nil error", name, v, lam, eta)
				}
			}
		}
		if dg, ok := g.(Diagonal); ok {
			if err := dg.DiagJacobian(dst, v, lam, eta); err == nil && !finite(dst) {
				t.Fatalf("%s: DiagJacobian not finite with nil error", name)
			}
		}
	})
}

// FuzzComposite drives Minimize, Composite's methods, the fixed-point map
// and condition and ImplicitProblem with arbitrary data, operators,
// lengths of x0 and θ, and settings.
func FuzzComposite(f *testing.F) {
	f.Add(uint8(3), uint8(2), []byte{10, 20, 30, 40, 50, 60, 70, 80, 90, 11, 12, 13})
	f.Add(uint8(2), uint8(0), []byte{7, 8, 9, 10, 11, 12, 13, 14, 15, 7, 8, 9, 10, 11, 12, 13, 14, 15})
	f.Add(uint8(4), uint8(10), []byte{9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9})
	f.Fuzz(func(t *testing.T, nb, which uint8, data []byte) {
		r := &fuzzReader{data}
		m, d := int(nb%5)+1, int(nb/5%4)+1
		x := mat.NewDense(m, d, r.floats(m*d))
		fp, err := smooth.LeastSquares(x, r.floats(m))
		if err != nil {
			return
		}
		if mode := r.u8(); mode%4 == 0 {
			// An f that turns NaN, ±Inf or huge every k-th call.
			base, k, bad := *fp, int(mode/4%7)+1, r.float()
			calls := 0
			fp = &base
			fp.Func = func(x, th []float64) float64 {
				if calls++; calls%k == 0 {
					return bad
				}
				return base.Func(x, th)
			}
			grad := base.Grad
			fp.Grad = func(dst, x, th []float64) {
				grad(dst, x, th)
				if calls%(k+1) == 0 && len(dst) > 0 {
					dst[0] = bad
				}
			}
		}
		name, g := fuzzOperator(r, which, d)
		c := &Composite{F: fp, G: g}
		switch r.u8() % 16 {
		case 0:
			c.G = nil
		case 1:
			c.F = nil
		}
		theta := fuzzParams(r, g, d)
		x0 := r.floats(r.length(d))
		set := &Settings{MaxIter: 60, Tol: r.float(), StallIter: int(int8(r.u8()))}
		if r.u8()%3 == 0 {
			set.StepSize = r.float()
		}
		eta := math.Abs(r.float())
		ctx := context.Background()
		res, err := Minimize(ctx, c, theta, x0, set)
		if res != nil && (!finite(res.X) || math.IsNaN(res.Objective) || math.IsInf(res.Objective, -1)) {
			t.Fatalf("%s: Minimize returned a NaN iterate (err %v)", name, err)
		}
		if err == nil && res == nil {
			t.Fatalf("%s: nil result with nil error", name)
		}
		if obj, err := c.Objective(x0, theta); err == nil && math.IsNaN(obj) {
			t.Fatalf("%s: NaN objective with nil error", name)
		}
		c.Dims()
		c.Split(theta)
		pt := x0
		if res != nil {
			pt = res.X
		}
		dst := make([]float64, r.length(d))
		Condition(c, eta).Residual(dst, pt, theta)
		FixedPoint(c, eta).Map(dst, pt, theta)
		ones := make([]float64, len(pt))
		for i := range ones {
			ones[i] = 1
		}
		if out, err := implicit.VJP(context.Background(), Condition(c, eta), pt, theta, ones, nil); err == nil && !finite(out) {
			t.Fatalf("%s: NaN VJP with nil error", name)
		}
		if out, err := implicit.VJP(context.Background(), implicit.FixedPoint(FixedPoint(c, eta)), pt, theta, ones, nil); err == nil && !finite(out) {
			t.Fatalf("%s: NaN fixed-point VJP with nil error", name)
		}
		pb := ImplicitProblem(c, eta, set, nil)
		if sol, err := pb.Solve(ctx, theta, nil); err == nil {
			if !finite(sol.X) {
				t.Fatalf("%s: NaN solution with nil error", name)
			}
			if out := make([]float64, len(sol.Theta)); sol.VJP(out, make([]float64, len(sol.X))) == nil && !finite(out) {
				t.Fatalf("%s: NaN solution VJP with nil error", name)
			}
		}
	})
}

// FuzzLassoSolve drives the exported API of Lasso (solve, path, batch,
// gap, objective, support derivatives, condition) and LambdaGrid with
// arbitrary data, θ of arbitrary length and sign, and warm starts and
// cotangents of arbitrary length.
func FuzzLassoSolve(f *testing.F) {
	f.Add(uint8(5), uint8(3), uint8(0), []byte{10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120, 130, 140})
	f.Add(uint8(2), uint8(6), uint8(1), []byte{0, 1, 2, 3, 4, 5, 6, 7})
	f.Add(uint8(4), uint8(4), uint8(2), []byte{3, 3, 3, 3, 9, 9, 9, 9, 200, 100})
	f.Fuzz(func(t *testing.T, nb, db, pb uint8, data []byte) {
		n, d := int(nb%8), int(db%8)
		pen := Penalty{Strengths: smooth.Strengths(pb % 4), ElasticNet: pb&4 != 0, LogScale: pb&8 != 0}
		vals := fuzzFloats(data, n*d+n+d+2)
		var x *mat.Dense
		if n > 0 && d > 0 {
			x = mat.NewDense(n, d, vals[:n*d])
		} else {
			x = &mat.Dense{}
		}
		y := vals[n*d : n*d+n]
		l, err := NewLasso(x, y, pen)
		if grid, gerr := LambdaGrid(vals[len(vals)-1], vals[len(vals)-2], int(pb%5)); gerr == nil && !finite(grid) {
			t.Fatalf("LambdaGrid NaN with nil error")
		}
		if err != nil {
			return
		}
		theta := vals[n*d+n:]
		if pb&0x80 == 0 {
			// Mostly valid θ, so that the solvers run.
			theta = theta[:min(len(theta), l.NumParams())]
			for i := range theta {
				theta[i] = math.Abs(theta[i])
			}
		}
		ctx := context.Background()
		cd := &CDSettings{MaxIter: 200}
		res, err := l.Solve(ctx, theta, nil, cd)
		w := make([]float64, int(pb/4%3)+d-1)
		if err == nil {
			if !finite(res.W) || math.IsNaN(res.Objective) || math.IsNaN(res.Gap) || math.IsNaN(res.KKT) {
				t.Fatalf("NaN with nil error: %+v", res)
			}
			w = res.W
		}
		if gap, kkt, err := l.DualityGap(w, theta); err == nil && (math.IsNaN(gap) || math.IsNaN(kkt)) {
			t.Fatalf("DualityGap NaN with nil error")
		}
		if obj, err := l.Objective(w, theta); err == nil && math.IsNaN(obj) {
			t.Fatalf("Objective NaN with nil error")
		}
		if sl, err := l.Linearize(w, theta); err == nil {
			g := make([]float64, int(pb/16%2)+l.d)
			for i := range g {
				g[i] = 1
			}
			out := make([]float64, l.NumParams())
			if err := sl.VJP(out, g); err == nil && !finite(out) {
				t.Fatalf("NaN VJP with nil error")
			}
			dw := make([]float64, l.d)
			if err := sl.JVP(dw, theta); err == nil && !finite(dw) {
				t.Fatalf("NaN JVP with nil error")
			}
			if gx, gy, err := sl.VJPData(g); err == nil && (!finite(gy) || !finite(gx.RawMatrix().Data)) {
				t.Fatalf("NaN VJPData with nil error")
			}
			if jac, err := sl.Jacobian(); err == nil && !finite(jac.RawMatrix().Data) {
				t.Fatalf("NaN Jacobian with nil error")
			}
		}
		dst := make([]float64, l.d)
		l.Condition().Residual(dst, w, theta)
		if out, err := implicit.VJP(context.Background(), l.Condition(), w, theta, w, nil); err == nil && !finite(out) {
			t.Fatalf("NaN engine VJP with nil error")
		}
		if path, err := l.PathTheta(ctx, [][]float64{theta, vals[:min(len(vals), 2)]}, cd); err == nil {
			for _, p := range path {
				if !finite(p.W) {
					t.Fatalf("NaN path with nil error")
				}
			}
		}
		cd2 := CDSettings{Workers: 2}
		if cd != nil {
			cd2 = *cd
			cd2.Workers = 2
		}
		if _, err := l.SolveBatch(ctx, [][]float64{theta, theta}, [][]float64{nil, w}, &cd2); err == nil && len(w) != l.d {
			t.Fatalf("SolveBatch accepted a warm start of length %d for d=%d", len(w), l.d)
		}
		r2, err := Minimize(ctx, l.Composite(), theta, make([]float64, l.d), &Settings{MaxIter: 200})
		if err == nil && (!finite(r2.X) || math.IsNaN(r2.Objective)) {
			t.Fatalf("FISTA NaN with nil error: %+v", r2)
		}
	})
}

// FuzzLogistic builds sparse logistic problems from arbitrary data and
// penalties (any scale) and runs the proximal Newton solver and a VJP: no
// panic, no NaN with a nil error.
func FuzzLogistic(f *testing.F) {
	f.Add(uint8(6), uint8(3), uint8(0), []byte{10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120, 130, 140})
	f.Add(uint8(7), uint8(2), uint8(9), []byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9})
	f.Fuzz(func(t *testing.T, nb, db, pb uint8, data []byte) {
		n, d := int(nb%9), int(db%5)
		vals := fuzzFloats(data, n*d+n+d+2)
		var x *mat.Dense
		if n > 0 && d > 0 {
			x = mat.NewDense(n, d, vals[:n*d])
		} else {
			x = &mat.Dense{}
		}
		y := make([]float64, n)
		for i, v := range vals[n*d : n*d+n] {
			y[i] = 1
			if v < 0 {
				y[i] = -1
			}
		}
		pen := Penalty{Strengths: smooth.Strengths(pb % 3), ElasticNet: pb&4 != 0, LogScale: pb&8 != 0}
		l, err := NewLogistic(x, y, pen)
		if err != nil {
			return
		}
		theta := vals[n*d+n:]
		_, p := l.Dims()
		theta = theta[:min(len(theta), p)]
		res, err := l.Solve(context.Background(), theta, nil, &Settings{MaxIter: 30})
		if err != nil {
			return
		}
		if !finite(res.X) || math.IsNaN(res.Objective) {
			t.Fatalf("NaN with nil error: %+v", res)
		}
		out := make([]float64, p)
		if err := res.VJP(out, res.X); err == nil && !finite(out) {
			t.Fatalf("NaN VJP with nil error")
		}
	})
}
