package conformance

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/optlayers/optlayers/implicit"
)

// Case is one instance of a differentiable result to check.
type Case struct {
	Name string
	// Theta is the parameter vector at which the result is checked.
	Theta []float64
	// Solve returns the result at θ. It is called at Theta and at the
	// perturbed parameters of the central differences.
	Solve func(ctx context.Context, theta []float64) (implicit.Differentiable, error)
	// Direction, if non-nil, returns a random direction of perturbation
	// of θ (for example one that keeps a matrix symmetric or a weight
	// vector positive); nil means Gaussian directions.
	Direction func(rng *rand.Rand) []float64
	// Step is the central-difference step. Default 1e-6·max(1, ‖θ‖∞).
	Step float64
	// Tol is the relative tolerance of the derivative comparisons.
	// Default 1e-5.
	Tol float64
	// Residual is the largest ‖F(z*, θ)‖∞ accepted. Default 1e-6.
	Residual float64
	// Batch, if non-nil, solves several θ with the given number of
	// workers; results must not depend on it.
	Batch func(ctx context.Context, thetas [][]float64, workers int) ([]implicit.Differentiable, error)
	// Cancelable says that Solve honours a canceled context (it runs an
	// iterative method): it must then return an error matching
	// context.Canceled.
	Cancelable bool
	// SkipGeneric skips the comparison with the engine's generic VJP
	// (for a condition whose ∂zF the engine cannot solve at this point,
	// say why in the case's name).
	SkipGeneric bool
}

// Run checks every case; each check is a subtest.
func Run(t *testing.T, cases []Case) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			for _, f := range Check(c) {
				t.Error(f)
			}
		})
	}
}

// checkContext checks a ContextDifferentiable result: with a context that
// is never done, VJPContext and JVPContext give VJP's and JVP's numbers;
// with a canceled one, they return an error matching context.Canceled.
func checkContext(cd implicit.ContextDifferentiable, n, p int, rng *rand.Rand, tol float64) error {
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	modes := []struct {
		name  string
		plain func(dst, v []float64) error
		ctx   func(ctx context.Context, dst, v []float64) error
		out   int
		v     []float64
	}{
		{"VJP", cd.VJP, cd.VJPContext, p, gaussian(rng, n)},
		{"JVP", cd.JVP, cd.JVPContext, n, gaussian(rng, p)},
	}
	for _, m := range modes {
		want, got := make([]float64, m.out), make([]float64, m.out)
		if err := m.plain(want, m.v); err != nil {
			return fmt.Errorf("%s: %w", m.name, err)
		}
		if err := m.ctx(context.Background(), got, m.v); err != nil {
			return fmt.Errorf("%sContext: %w", m.name, err)
		}
		if d := maxDiff(got, want); !(d <= tol*math.Max(1, normInf(want))) {
			return fmt.Errorf("%sContext and %s differ by %.3g", m.name, m.name, d)
		}
		if err := m.ctx(canceled, got, m.v); !errors.Is(err, context.Canceled) {
			return fmt.Errorf("%sContext with a canceled context: error %v, want one matching context.Canceled", m.name, err)
		}
	}
	return nil
}

// Failure is one failed check.
type Failure struct {
	Check string
	Err   error
}

func (f Failure) Error() string { return f.Check + ": " + f.Err.Error() }

// Check runs every check on c and returns the failures (none when c
// conforms). A panic in c's functions is a failure of the check it
// happened in.
func Check(c Case) []Failure {
	var out []Failure
	fail := func(check string, err error) {
		if err != nil {
			out = append(out, Failure{check, err})
		}
	}
	ctx := context.Background()
	var res implicit.Differentiable
	fail("solve", guard(func() error {
		var err error
		res, err = c.Solve(ctx, clone(c.Theta))
		if err != nil {
			return err
		}
		if res == nil {
			return errors.New("nil result with a nil error")
		}
		return nil
	}))
	if res == nil {
		return out
	}
	tol := c.Tol
	if tol <= 0 {
		tol = 1e-5
	}
	cond, z, theta := res.Condition()
	n, p := len(z), len(theta)
	rng := rand.New(rand.NewPCG(uint64(n), uint64(p)+7))
	fail("condition", guard(func() error { return checkCondition(c, cond, z, theta) }))
	fail("vjp vs central differences", guard(func() error { return checkFD(ctx, c, res, z, theta, rng, tol) }))
	fail("jvp vs vjp (adjoint identity)", guard(func() error { return checkAdjoint(c, res, n, p, rng) }))
	if !c.SkipGeneric {
		fail("vjp vs generic engine", guard(func() error { return checkGeneric(ctx, res, cond, z, theta, rng, tol) }))
	}
	fail("bad input", guard(func() error { return checkBadInput(res, n, p) }))
	if c.Batch != nil {
		fail("batch workers", guard(func() error { return checkBatch(ctx, c, rng) }))
	}
	if c.Cancelable {
		fail("cancellation", guard(func() error {
			cctx, cancel := context.WithCancel(ctx)
			cancel()
			_, err := c.Solve(cctx, clone(c.Theta))
			if !errors.Is(err, context.Canceled) {
				return fmt.Errorf("canceled context: error %v, want one matching context.Canceled", err)
			}
			return nil
		}))
	}
	if cd, ok := res.(implicit.ContextDifferentiable); ok {
		fail("derivative cancellation", guard(func() error { return checkContext(cd, n, p, rng, tol) }))
	}
	return out
}

func guard(f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	return f()
}

func checkCondition(c Case, cond implicit.Condition, z, theta []float64) error {
	cn, cp := cond.Dims()
	if cn != len(z) || cp != len(theta) {
		return fmt.Errorf("condition is %d×%d, z has %d and θ %d entries", cn, cp, len(z), len(theta))
	}
	if len(theta) != len(c.Theta) {
		return fmt.Errorf("result's θ has %d entries, the case's %d", len(theta), len(c.Theta))
	}
	r := make([]float64, cn)
	cond.Residual(r, z, theta)
	lim := c.Residual
	if lim <= 0 {
		lim = 1e-6
	}
	if v := normInf(r); !(v <= lim) {
		return fmt.Errorf("‖F(z*, θ)‖∞ = %.3g > %.3g", v, lim)
	}
	return nil
}

func (c Case) direction(rng *rand.Rand, p int) []float64 {
	if c.Direction != nil {
		return c.Direction(rng)
	}
	return gaussian(rng, p)
}

// checkFD compares ⟨VJP(g), d⟩ with central differences of ⟨g, z*⟩ for
// three random pairs (g, d).
func checkFD(ctx context.Context, c Case, res implicit.Differentiable, z, theta []float64, rng *rand.Rand, tol float64) error {
	h := c.Step
	if h <= 0 {
		h = 1e-6 * math.Max(1, normInf(theta))
	}
	grad := make([]float64, len(theta))
	for k := range 3 {
		g := gaussian(rng, len(z))
		d := c.direction(rng, len(theta))
		if err := res.VJP(grad, g); err != nil {
			return fmt.Errorf("VJP: %w", err)
		}
		at := func(s float64) (float64, error) {
			th := clone(theta)
			for i := range th {
				th[i] += s * d[i]
			}
			r, err := c.Solve(ctx, th)
			if err != nil {
				return 0, fmt.Errorf("solve at θ %+g·d: %w", s, err)
			}
			_, zs, _ := r.Condition()
			return dot(g, zs), nil
		}
		fp, err := at(h)
		if err != nil {
			return err
		}
		fm, err := at(-h)
		if err != nil {
			return err
		}
		want := (fp - fm) / (2 * h)
		got := dot(grad, d)
		if !close(got, want, tol, 1e-2*tol*normInf(grad)*l1(d)) {
			return fmt.Errorf("pair %d: ⟨VJP(g), d⟩ = %.10g, central differences %.10g", k, got, want)
		}
	}
	return nil
}

func checkAdjoint(c Case, res implicit.Differentiable, n, p int, rng *rand.Rand) error {
	jv, ju := make([]float64, n), make([]float64, p)
	for k := range 3 {
		u := gaussian(rng, n)
		v := c.direction(rng, p)
		if err := res.JVP(jv, v); err != nil {
			return fmt.Errorf("JVP: %w", err)
		}
		if err := res.VJP(ju, u); err != nil {
			return fmt.Errorf("VJP: %w", err)
		}
		a, b := dot(u, jv), dot(ju, v)
		if !close(a, b, 1e-8, 1e-12*(normInf(jv)*l1(u)+normInf(ju)*l1(v))) {
			return fmt.Errorf("pair %d: ⟨u, JVP(v)⟩ = %.12g, ⟨VJP(u), v⟩ = %.12g", k, a, b)
		}
	}
	return nil
}

func checkGeneric(ctx context.Context, res implicit.Differentiable, cond implicit.Condition, z, theta []float64, rng *rand.Rand, tol float64) error {
	fast := make([]float64, len(theta))
	for k := range 2 {
		g := gaussian(rng, len(z))
		if err := res.VJP(fast, g); err != nil {
			return fmt.Errorf("VJP: %w", err)
		}
		eng, err := implicit.VJP(ctx, cond, z, theta, g, nil)
		if err != nil {
			return fmt.Errorf("implicit.VJP on the condition: %w", err)
		}
		scale := math.Max(normInf(eng), 1e-300)
		if d := maxDiff(fast, eng); !(d <= tol*math.Max(1, scale)) {
			return fmt.Errorf("cotangent %d: fast VJP and engine differ by %.3g (scale %.3g)", k, d, scale)
		}
	}
	return nil
}

func checkBadInput(res implicit.Differentiable, n, p int) error {
	var errs []error
	expectErr := func(what string, err error) {
		if err == nil {
			errs = append(errs, fmt.Errorf("%s: nil error", what))
		}
	}
	expectErr("VJP with a short dst", res.VJP(make([]float64, max(p-1, 0)), make([]float64, n)))
	expectErr("VJP with a long g", res.VJP(make([]float64, p), make([]float64, n+1)))
	expectErr("JVP with a short dst", res.JVP(make([]float64, max(n-1, 0)), make([]float64, p)))
	expectErr("JVP with a long dθ", res.JVP(make([]float64, n), make([]float64, p+1)))
	if n > 0 {
		g := make([]float64, n)
		g[0] = math.NaN()
		expectErr("VJP with a NaN cotangent", res.VJP(make([]float64, p), g))
	}
	if p > 0 {
		d := make([]float64, p)
		d[p-1] = math.Inf(1)
		expectErr("JVP with an Inf direction", res.JVP(make([]float64, n), d))
	}
	return errors.Join(errs...)
}

func checkBatch(ctx context.Context, c Case, rng *rand.Rand) error {
	thetas := make([][]float64, 5)
	for i := range thetas {
		th := clone(c.Theta)
		d := c.direction(rng, len(th))
		for j := range th {
			th[j] += 1e-3 * d[j]
		}
		thetas[i] = th
	}
	one, err := c.Batch(ctx, thetas, 1)
	if err != nil {
		return fmt.Errorf("batch with 1 worker: %w", err)
	}
	two, err := c.Batch(ctx, thetas, 2)
	if err != nil {
		return fmt.Errorf("batch with 2 workers: %w", err)
	}
	if len(one) != len(thetas) || len(two) != len(thetas) {
		return fmt.Errorf("batch returned %d and %d results for %d parameters", len(one), len(two), len(thetas))
	}
	for i := range one {
		_, z1, _ := one[i].Condition()
		_, z2, _ := two[i].Condition()
		for j := range z1 {
			if z1[j] != z2[j] && !(math.IsNaN(z1[j]) && math.IsNaN(z2[j])) {
				return fmt.Errorf("item %d entry %d: %v with 1 worker, %v with 2", i, j, z1[j], z2[j])
			}
		}
	}
	return nil
}

// close reports |a − b| ≤ rel·max(|a|, |b|) + abs.
func close(a, b, rel, abs float64) bool {
	return math.Abs(a-b) <= rel*math.Max(math.Abs(a), math.Abs(b))+abs
}

func gaussian(rng *rand.Rand, n int) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = rng.NormFloat64()
	}
	return v
}

func clone(v []float64) []float64 { return append([]float64(nil), v...) }

func dot(a, b []float64) float64 {
	s := 0.0
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

func normInf(v []float64) float64 {
	m := 0.0
	for _, e := range v {
		m = math.Max(m, math.Abs(e))
	}
	return m
}

func l1(v []float64) float64 {
	s := 0.0
	for _, e := range v {
		s += math.Abs(e)
	}
	return s
}

func maxDiff(a, b []float64) float64 {
	m := 0.0
	for i := range a {
		m = math.Max(m, math.Abs(a[i]-b[i]))
	}
	return m
}
