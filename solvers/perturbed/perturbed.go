package perturbed

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"

	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/internal/parallel"
)

// Oracle writes into dst (length Dim) a solution y*(cost) of the linear
// problem over the feasible set: an argmax of ⟨cost, y⟩, or an argmin when
// Settings.Minimize is set. It must not keep or modify cost. When
// Settings.Workers is not 1 the oracle is called from several goroutines
// at once and must be safe for concurrent use. A returned error stops the
// evaluation and is wrapped in the error of the caller; a panic is
// recovered and returned as an error matching ErrCallback. ctx is the
// caller's (Forward's, Jacobian's, FenchelYoung's): an oracle that runs a
// long solve (lp.NewOracle's) should stop when it is done.
//
// It is the module's one linear-optimization oracle function type:
// lp.NewOracle returns one for a polytope, and layers/pto's Oracle
// interface describes the same kind of solver together with its
// dimension and sense.
type Oracle func(ctx context.Context, dst, cost []float64) error

// Noise is the distribution of the perturbation Z.
type Noise int

const (
	// Normal is standard Gaussian noise, ∇ν(z) = z.
	Normal Noise = iota
	// Gumbel is centered standard Gumbel noise Z = G − γ (mean zero),
	// ∇ν(z) = 1 − e^{−(z+γ)}. With an argmax oracle over one-hot vectors
	// it reproduces softmax(θ/σ).
	Gumbel
)

func (n Noise) String() string {
	switch n {
	case Normal:
		return "Normal"
	case Gumbel:
		return "Gumbel"
	}
	return fmt.Sprintf("Noise(%d)", int(n))
}

// Errors returned by the package.
var (
	// ErrInvalid reports an invalid optimizer, settings or argument: a nil
	// oracle, a non-positive dimension, a length mismatch, NaN or Inf.
	ErrInvalid = errors.New("perturbed: invalid input")
	// ErrOracle wraps an error returned by the oracle, or reports an
	// oracle output containing NaN or Inf.
	ErrOracle = errors.New("perturbed: oracle failed")
	// ErrCallback reports a panic in the oracle; the error also matches
	// ErrOracle and wraps a value describing the panic (its message names
	// the recovered value; when that value is an error, errors.Is and
	// errors.As see it).
	ErrCallback = errors.New("perturbed: panic in a user callback")
	// ErrDims reports vectors of mismatched lengths in a Jacobian product
	// of a Result (the module's contract, implicit.Differentiable); the
	// error also matches ErrInvalid.
	ErrDims = errors.New("perturbed: dimension mismatch")
	// ErrNaN reports NaN or Inf in the vector of a Jacobian product of a
	// Result; the error also matches ErrInvalid.
	ErrNaN = errors.New("perturbed: NaN or Inf in input")
)

// Default settings.
const (
	DefaultSamples = 100
	DefaultSigma   = 1.0
)

// eulerGamma is the Euler–Mascheroni constant, the mean of a standard
// Gumbel variable.
const eulerGamma = 0.57721566490153286060651209008240243104215933593992

// Settings controls a perturbed optimizer. A nil *Settings or the zero value
// means the defaults documented on each field.
type Settings struct {
	// Samples is the number M of perturbations. Default DefaultSamples
	// (100). The Monte Carlo error of the mean decays as 1/√M.
	Samples int
	// Sigma is the temperature σ > 0 of the perturbation. Default 1.
	Sigma float64
	// Noise is the distribution of Z. Default Normal.
	Noise Noise
	// Minimize declares a minimization oracle (argmin ⟨θ, y⟩). The zero
	// value is a maximization oracle, as in Berthet et al.
	Minimize bool
	// Seed selects the random streams; equal seeds give bit-identical
	// results.
	Seed uint64
	// ControlVariate subtracts the unperturbed solution y*(θ) in the
	// Jacobian estimator (one extra oracle call per Forward). It does not
	// change the expectation, only the variance.
	ControlVariate bool
	// Antithetic pairs the samples: sample 2j+1 uses the noise −Z of sample
	// 2j (Normal noise only; the Gumbel law is not symmetric). The pair
	// average of the Jacobian estimator is then the central difference
	// (y*(θ+σZ) − y*(θ−σZ)) Zᵀ/(2σ), of much smaller variance; the mean
	// estimator is unbiased as well.
	Antithetic bool
	// Workers is the number of goroutines that call the oracle. Default
	// runtime.GOMAXPROCS(0). Results do not depend on it.
	Workers int
	// Logger, if non-nil, receives a debug record per evaluation.
	Logger *slog.Logger
}

func (s *Settings) resolved() (Settings, error) {
	var r Settings
	if s != nil {
		r = *s
	}
	if r.Samples < 0 {
		return r, fmt.Errorf("%w: Samples = %d", ErrInvalid, r.Samples)
	}
	if r.Samples == 0 {
		r.Samples = DefaultSamples
	}
	if math.IsNaN(r.Sigma) || math.IsInf(r.Sigma, 0) || r.Sigma < 0 {
		return r, fmt.Errorf("%w: Sigma = %v", ErrInvalid, r.Sigma)
	}
	if r.Sigma == 0 {
		r.Sigma = DefaultSigma
	}
	if r.Noise != Normal && r.Noise != Gumbel {
		return r, fmt.Errorf("%w: unknown noise %v", ErrInvalid, r.Noise)
	}
	if r.Antithetic && r.Noise != Normal {
		return r, fmt.Errorf("%w: antithetic sampling needs symmetric (Normal) noise", ErrInvalid)
	}
	if r.Workers < 0 {
		return r, fmt.Errorf("%w: Workers = %d", ErrInvalid, r.Workers)
	}
	if r.Workers == 0 {
		r.Workers = runtime.GOMAXPROCS(0)
	}
	return r, nil
}

// Optimizer is the perturbed version of Oracle on vectors of length Dim.
// Its methods are safe for concurrent use if the oracle is.
type Optimizer struct {
	Oracle   Oracle
	Dim      int
	Settings *Settings
}

// Result is the outcome of a perturbed evaluation at θ. It keeps the M
// oracle outputs and noise scores (2·M·Dim floats) to answer Jacobian
// products without calling the oracle again. It is safe for concurrent
// reads.
type Result struct {
	// Mean is ŷ_σ(θ), the average of the M perturbed solutions.
	Mean []float64
	// Value estimates F_σ(θ) = E[max_y ⟨θ + σZ, y⟩] (E[min] when
	// minimizing), the average of ⟨θ + σZ_m, y_m⟩.
	Value float64
	// Samples and Sigma are the settings used.
	Samples int
	Sigma   float64

	dim      int
	ys       []float64 // M×d oracle outputs, row m = y*(θ + σZ_m)
	scores   []float64 // M×d noise scores ∇ν(Z_m)
	baseline []float64 // y*(θ) with a control variate, else nil
	theta    []float64 // θ, for Condition
	noise    Noise
}

func (o *Optimizer) check(theta []float64) (Settings, error) {
	if o == nil || o.Oracle == nil {
		return Settings{}, fmt.Errorf("%w: nil oracle", ErrInvalid)
	}
	if o.Dim <= 0 {
		return Settings{}, fmt.Errorf("%w: Dim = %d", ErrInvalid, o.Dim)
	}
	if len(theta) != o.Dim {
		return Settings{}, fmt.Errorf("%w: len(theta) = %d, Dim = %d", ErrInvalid, len(theta), o.Dim)
	}
	if !finite(theta) {
		return Settings{}, fmt.Errorf("%w: theta has NaN or Inf", ErrInvalid)
	}
	return o.Settings.resolved()
}

// Forward evaluates the perturbed optimizer at θ (length Dim) and keeps
// what its Jacobian products need. It returns ctx.Err() (wrapped) if ctx
// is cancelled; every worker stops after its current oracle call.
func (o *Optimizer) Forward(ctx context.Context, theta []float64) (*Result, error) {
	s, err := o.check(theta)
	if err != nil {
		return nil, err
	}
	return o.run(ctx, theta, s, true)
}

// Mean returns ŷ_σ(θ) and the estimate of F_σ(θ) without keeping the
// samples (memory O(Dim·Workers) instead of O(Dim·Samples)).
func (o *Optimizer) Mean(ctx context.Context, theta []float64) (mean []float64, value float64, err error) {
	s, err := o.check(theta)
	if err != nil {
		return nil, 0, err
	}
	r, err := o.run(ctx, theta, s, false)
	if err != nil {
		return nil, 0, err
	}
	return r.Mean, r.Value, nil
}

// VJP evaluates the perturbed optimizer at θ and returns ŷ_σ(θ) and
// gθ = (∂ŷ_σ/∂θ)ᵀ g, the gradient of ⟨g, ŷ_σ(θ)⟩.
func (o *Optimizer) VJP(ctx context.Context, theta, g []float64) (mean, gtheta []float64, err error) {
	r, err := o.Forward(ctx, theta)
	if err != nil {
		return nil, nil, err
	}
	gtheta = make([]float64, o.Dim)
	if err := r.VJP(gtheta, g); err != nil {
		return nil, nil, err
	}
	return r.Mean, gtheta, nil
}

// FenchelYoung returns the perturbed Fenchel–Young loss of the target y at
// θ and its gradient with respect to θ:
//
//	maximization: L = F_σ(θ) − ⟨θ, y⟩,  ∇L = ŷ_σ(θ) − y,
//	minimization: L = ⟨θ, y⟩ − F_σ(θ),  ∇L = y − ŷ_σ(θ),
//
// (without the θ-independent constant Ω_σ(y)). It calls the oracle
// Samples times and keeps no samples.
func (o *Optimizer) FenchelYoung(ctx context.Context, theta, y []float64) (loss float64, grad []float64, err error) {
	s, err := o.check(theta)
	if err != nil {
		return 0, nil, err
	}
	if len(y) != o.Dim {
		return 0, nil, fmt.Errorf("%w: len(y) = %d, Dim = %d", ErrInvalid, len(y), o.Dim)
	}
	if !finite(y) {
		return 0, nil, fmt.Errorf("%w: y has NaN or Inf", ErrInvalid)
	}
	r, err := o.run(ctx, theta, s, false)
	if err != nil {
		return 0, nil, err
	}
	grad = r.Mean
	ty := 0.0
	for i := range y {
		ty += theta[i] * y[i]
		grad[i] -= y[i]
	}
	loss = r.Value - ty
	if math.IsNaN(loss) || math.IsInf(loss, 0) {
		return 0, nil, fmt.Errorf("%w: loss overflows", ErrInvalid)
	}
	if s.Minimize {
		loss = -loss
		for i := range grad {
			grad[i] = -grad[i]
		}
	}
	return loss, grad, nil
}

// maxFloats bounds Samples·Dim (2³² floats, 32 GiB when the samples are
// kept; less on 32-bit platforms): beyond it an allocation would fail or
// exhaust memory.
var maxFloats = int(min(uint64(1)<<32, uint64(math.MaxInt)/8))

// blockSize is the number of consecutive samples a worker sums before
// storing a partial sum; partial sums are then added in block order, which
// makes results independent of the number of workers.
const blockSize = 8

func (o *Optimizer) run(ctx context.Context, theta []float64, s Settings, keep bool) (*Result, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("perturbed: %w", err)
	}
	d, m := o.Dim, s.Samples
	if m > maxFloats/d {
		// The kept samples (and the block sums) would not fit in memory.
		return nil, fmt.Errorf("%w: %d samples of dimension %d exceed %d floats", ErrInvalid, m, d, maxFloats)
	}
	res := &Result{Samples: m, Sigma: s.Sigma, dim: d}
	if keep {
		res.ys = make([]float64, m*d)
		res.scores = make([]float64, m*d)
		res.theta = append([]float64(nil), theta...)
		res.noise = s.Noise
	}
	if s.ControlVariate && keep {
		res.baseline = make([]float64, d)
		if err := callOracle(ctx, o.Oracle, res.baseline, theta, -1); err != nil {
			return nil, err
		}
	}
	// θ + σZ cannot overflow when |θ| + σ·|Z| stays far from the float64
	// range: |Z| < 40 for Normal draws and |Z| < 750 for Gumbel ones.
	checkCost := maxAbs(theta)+s.Sigma*1000 > math.MaxFloat64/4
	nBlocks := (m + blockSize - 1) / blockSize
	blockMean := make([]float64, nBlocks*d)
	blockValue := make([]float64, nBlocks)
	workers := parallel.Workers(nBlocks, s.Workers)

	// scratch is one worker's sampler and sample buffers.
	type scratch struct {
		pcg               *rand.PCG
		rng               *rand.Rand
		z, cost, y, score []float64
	}
	scr := make([]scratch, workers)
	var (
		failed   atomic.Bool
		errOnce  sync.Once
		firstErr error
	)
	fail := func(err error) {
		errOnce.Do(func() { firstErr = err })
		failed.Store(true)
	}
	parallel.ForWorker(nBlocks, workers, func(w, b int) {
		if failed.Load() {
			return
		}
		sc := &scr[w]
		if sc.rng == nil {
			sc.pcg = rand.NewPCG(0, 0)
			sc.rng = rand.New(sc.pcg)
			sc.z = make([]float64, d)
			sc.cost = make([]float64, d)
			if !keep {
				sc.y = make([]float64, d)
				sc.score = make([]float64, d)
			}
		}
		pcg, rng, z, cost, y, score := sc.pcg, sc.rng, sc.z, sc.cost, sc.y, sc.score
		bm := blockMean[b*d : (b+1)*d]
		bv := 0.0
		for k := b * blockSize; k < min((b+1)*blockSize, m); k++ {
			if failed.Load() {
				return
			}
			if err := ctx.Err(); err != nil {
				fail(fmt.Errorf("perturbed: %w", err))
				return
			}
			if keep {
				y = res.ys[k*d : (k+1)*d]
				score = res.scores[k*d : (k+1)*d]
			}
			stream, flip := k, false
			if s.Antithetic {
				stream, flip = k/2, k%2 == 1
			}
			pcg.Seed(streamSeeds(s.Seed, uint64(stream)))
			sampleNoise(rng, s.Noise, z, score)
			if flip {
				for i := range z {
					z[i], score[i] = -z[i], -score[i]
				}
			}
			for i := range cost {
				cost[i] = theta[i] + s.Sigma*z[i]
			}
			if checkCost && !finite(cost) {
				fail(fmt.Errorf("%w: θ + σZ overflows at sample %d", ErrInvalid, k))
				return
			}
			clear(y)
			if err := invoke(ctx, o.Oracle, y, cost, k); err != nil {
				fail(err)
				return
			}
			v := 0.0
			for i, yi := range y {
				v += cost[i] * yi
			}
			// cost is finite, so v is NaN or ±Inf iff y has a NaN or
			// an Inf (or ⟨cost, y⟩ overflows): one check per sample.
			if math.IsNaN(v) || math.IsInf(v, 0) {
				fail(fmt.Errorf("%w: sample %d: output has NaN or Inf (or ⟨θ+σZ, y⟩ overflows)", ErrOracle, k))
				return
			}
			for i, yi := range y {
				bm[i] += yi
			}
			bv += v
		}
		blockValue[b] = bv
	})
	if firstErr != nil {
		return nil, firstErr
	}
	mean := make([]float64, d)
	value := 0.0
	for b := range nBlocks {
		bm := blockMean[b*d : (b+1)*d]
		for i := range mean {
			mean[i] += bm[i]
		}
		value += blockValue[b]
	}
	inv := 1 / float64(m)
	for i := range mean {
		mean[i] *= inv
	}
	if !finite(mean) {
		// The sums overflowed although the averages may not: average the
		// block sums instead.
		clear(mean)
		for b := range nBlocks {
			bm := blockMean[b*d : (b+1)*d]
			for i := range mean {
				mean[i] += bm[i] * inv
			}
		}
	}
	res.Mean = mean
	res.Value = value * inv
	if math.IsInf(value, 0) {
		// The sum overflowed although the average may not: average the
		// block sums instead.
		res.Value = 0
		for b := range nBlocks {
			res.Value += blockValue[b] * inv
		}
	}
	if !finite(mean) || math.IsNaN(res.Value) || math.IsInf(res.Value, 0) {
		return nil, fmt.Errorf("%w: mean or value overflows (scale θ, σ or the oracle output down)", ErrInvalid)
	}
	if s.Logger != nil {
		s.Logger.Debug("perturbed: evaluated", "dim", d, "samples", m, "sigma", s.Sigma,
			"noise", s.Noise.String(), "workers", workers, "value", res.Value)
	}
	return res, nil
}

// callOracle calls the oracle on cost and checks its output. k is the
// sample index (−1 for the unperturbed call).
func callOracle(ctx context.Context, oracle Oracle, dst, cost []float64, k int) error {
	clear(dst)
	if err := invoke(ctx, oracle, dst, cost, k); err != nil {
		return err
	}
	if !finite(dst) {
		return fmt.Errorf("%w: sample %d: output has NaN or Inf", ErrOracle, k)
	}
	return nil
}

// invoke calls the oracle for sample k, wrapping its error in ErrOracle
// and turning a panic into an error matching ErrCallback and ErrOracle.
func invoke(ctx context.Context, oracle Oracle, dst, cost []float64, k int) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("%w: %w: sample %d: %w", ErrCallback, ErrOracle, k,
				&parallel.PanicError{Index: k, Value: v, Stack: debug.Stack()})
		}
	}()
	if e := oracle(ctx, dst, cost); e != nil {
		return fmt.Errorf("%w: sample %d: %w", ErrOracle, k, e)
	}
	return nil
}

// sampleNoise fills z with a noise draw and score with ∇ν(z).
func sampleNoise(rng *rand.Rand, noise Noise, z, score []float64) {
	switch noise {
	case Gumbel:
		for i := range z {
			// G = −log E with E ~ Exp(1) in (0, MaxFloat64]; ∇ν = 1 − E.
			e := rng.ExpFloat64()
			z[i] = -math.Log(e) - eulerGamma
			score[i] = 1 - e
		}
	default:
		for i := range z {
			z[i] = rng.NormFloat64()
			score[i] = z[i]
		}
	}
}

// streamSeeds derives the two PCG seed words of sample k from the user
// seed with the SplitMix64 finalizer, so that neighbouring samples get
// unrelated states.
func streamSeeds(seed, k uint64) (uint64, uint64) {
	a := splitmix(seed ^ splitmix(k+0x9e3779b97f4a7c15))
	b := splitmix(a ^ 0xd1b54a32d192ed03)
	return a, b
}

func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// VJP sets dst (length Dim) to (∂ŷ_σ/∂θ)ᵀ g, estimated by
// (1/(σM)) Σ_m ⟨y_m − b, g⟩ ∇ν(Z_m), where b is y*(θ) with a control
// variate and 0 otherwise. dst and g may alias. When an intermediate
// product overflows (g, y or σ near the float64 range) the estimate is
// recomputed with rescaled factors; ErrInvalid reports a product that is
// itself out of range.
func (r *Result) VJP(dst, g []float64) error {
	if err := r.checkKept(dst, g); err != nil {
		return err
	}
	g0 := append([]float64(nil), g...) // dst and g may alias
	r.vjp(dst, g)
	if r.direct() && finite(dst) {
		return nil
	}
	return r.vjpScaled(dst, g0)
}

// direct reports whether 1/(σM) is a normal float64, so that the direct
// formulas lose nothing to its underflow.
func (r *Result) direct() bool {
	inv := 1 / (r.Sigma * float64(r.Samples))
	return inv >= 0x1p-1022 && !math.IsInf(inv, 0)
}

// vjpScaled is VJP with g scaled to max|gᵢ| = 1 and the factor
// max|gᵢ|/(σM) applied last by exponent arithmetic.
func (r *Result) vjpScaled(dst, g []float64) error {
	sg := maxAbs(g)
	clear(dst)
	if sg == 0 {
		return nil
	}
	gs := make([]float64, len(g))
	for i := range g {
		gs[i] = g[i] / sg
	}
	r.vjpSum(dst, gs)
	return r.rescale(dst, "VJP", sg)
}

// rescale multiplies x by Π factors / (σM) without intermediate overflow
// or underflow and reports ErrInvalid when the result is out of range.
func (r *Result) rescale(x []float64, name string, factors ...float64) error {
	f, e := math.Frexp(1 / float64(r.Samples))
	fs, es := math.Frexp(r.Sigma)
	f /= fs
	e -= es
	for _, v := range factors {
		fv, ev := math.Frexp(v)
		f *= fv
		e += ev
	}
	for i := range x {
		x[i] = math.Ldexp(x[i]*f, e)
	}
	if !finite(x) {
		return fmt.Errorf("%w: %s overflows (scale θ, σ, the cotangent or the oracle output down)", ErrInvalid, name)
	}
	return nil
}

func (r *Result) vjp(dst, g []float64) {
	r.vjpSum(dst, g)
	scale(dst, 1/(r.Sigma*float64(r.Samples)))
}

// vjpSum sets dst to Σ_m ⟨y_m − b, g⟩ ∇ν(Z_m).
func (r *Result) vjpSum(dst, g []float64) {
	d := r.dim
	gb := 0.0
	if r.baseline != nil {
		gb = dot(r.baseline, g)
	}
	coef := make([]float64, r.Samples)
	for k := range coef {
		coef[k] = dot(r.ys[k*d:(k+1)*d], g) - gb
	}
	clear(dst)
	for k, c := range coef {
		if c == 0 {
			continue
		}
		sc := r.scores[k*d : (k+1)*d]
		for i := range dst {
			dst[i] += c * sc[i]
		}
	}
}

// JVP sets dst (length Dim) to (∂ŷ_σ/∂θ) v, estimated by
// (1/(σM)) Σ_m ⟨∇ν(Z_m), v⟩ (y_m − b). dst and v may alias. Overflow is
// handled as in VJP.
func (r *Result) JVP(dst, v []float64) error {
	if err := r.checkKept(dst, v); err != nil {
		return err
	}
	v0 := append([]float64(nil), v...) // dst and v may alias
	r.jvpSum(dst, v, 1)
	scale(dst, 1/(r.Sigma*float64(r.Samples)))
	if r.direct() && finite(dst) {
		return nil
	}
	sv := maxAbs(v0)
	sy := max(maxAbs(r.ys), maxAbs(r.baseline))
	clear(dst)
	if sv == 0 || sy == 0 {
		return nil
	}
	for i := range v0 {
		v0[i] /= sv
	}
	r.jvpSum(dst, v0, sy)
	return r.rescale(dst, "JVP", sv, sy)
}

// jvpSum sets dst to Σ_m ⟨∇ν(Z_m), v⟩ (y_m − b)/sy.
func (r *Result) jvpSum(dst, v []float64, sy float64) {
	d := r.dim
	coef := make([]float64, r.Samples)
	total := 0.0
	for k := range coef {
		coef[k] = dot(r.scores[k*d:(k+1)*d], v)
		total += coef[k]
	}
	clear(dst)
	for k, c := range coef {
		y := r.ys[k*d : (k+1)*d]
		if sy == 1 {
			for i := range dst {
				dst[i] += c * y[i]
			}
			continue
		}
		for i := range dst {
			dst[i] += c * (y[i] / sy)
		}
	}
	if r.baseline != nil {
		for i := range dst {
			dst[i] -= total * (r.baseline[i] / sy)
		}
	}
}

// Jacobian returns the Dim×Dim estimate of ∂ŷ_σ/∂θ,
// (1/(σM)) Σ_m (y_m − b) ∇ν(Z_m)ᵀ. It is not symmetric for finite M,
// although the exact Jacobian (the Hessian of F_σ) is.
// Overflow is handled as in VJP.
func (r *Result) Jacobian() (*mat.Dense, error) {
	if r == nil || r.ys == nil {
		return nil, fmt.Errorf("%w: Result has no kept samples (use Forward)", ErrInvalid)
	}
	j := r.jacobianSum(1)
	j.Scale(1/(r.Sigma*float64(r.Samples)), j)
	if raw := j.RawMatrix(); r.direct() && finite(raw.Data) {
		return j, nil
	}
	sy := max(maxAbs(r.ys), maxAbs(r.baseline))
	if sy == 0 {
		return mat.NewDense(r.dim, r.dim, nil), nil
	}
	j = r.jacobianSum(sy)
	if err := r.rescale(j.RawMatrix().Data, "Jacobian", sy); err != nil {
		return nil, err
	}
	return j, nil
}

// jacobianSum returns Σ_m (y_m − b)/sy ∇ν(Z_m)ᵀ.
func (r *Result) jacobianSum(sy float64) *mat.Dense {
	d := r.dim
	j := mat.NewDense(d, d, nil)
	raw := j.RawMatrix()
	y := make([]float64, d)
	for k := range r.Samples {
		copy(y, r.ys[k*d:(k+1)*d])
		if r.baseline != nil {
			for i := range y {
				y[i] -= r.baseline[i]
			}
		}
		if sy != 1 {
			for i := range y {
				y[i] = r.ys[k*d+i]/sy - r.baselineAt(i)/sy
			}
		}
		sc := r.scores[k*d : (k+1)*d]
		for i, yi := range y {
			if yi == 0 {
				continue
			}
			row := raw.Data[i*raw.Stride : i*raw.Stride+d]
			for c, s := range sc {
				row[c] += yi * s
			}
		}
	}
	return j
}

func (r *Result) baselineAt(i int) float64 {
	if r.baseline == nil {
		return 0
	}
	return r.baseline[i]
}

func (r *Result) checkKept(dst, v []float64) error {
	if r == nil || r.ys == nil {
		return fmt.Errorf("%w: Result has no kept samples (use Forward)", ErrInvalid)
	}
	if len(dst) != r.dim || len(v) != r.dim {
		return fmt.Errorf("%w (%w): len(dst) = %d, len(v) = %d, Dim = %d", ErrDims, ErrInvalid, len(dst), len(v), r.dim)
	}
	if !finite(v) {
		return fmt.Errorf("%w (%w): vector has NaN or Inf", ErrNaN, ErrInvalid)
	}
	return nil
}

func maxAbs(x []float64) float64 {
	m := 0.0
	for _, v := range x {
		m = max(m, math.Abs(v))
	}
	return m
}

func dot(a, b []float64) float64 {
	s := 0.0
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

func scale(x []float64, a float64) {
	for i := range x {
		x[i] *= a
	}
}

func finite(x []float64) bool {
	for _, v := range x {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return false
		}
	}
	return true
}
