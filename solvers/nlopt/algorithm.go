package nlopt

import (
	"errors"
	"fmt"
)

// Algorithm is an NLopt algorithm. The constants carry NLopt's own names
// (NLOPT_LD_SLSQP is LD_SLSQP): G/L for global/local, N/D for
// derivative-free/gradient-based. The zero value, Default, selects
// LD_SLSQP, which handles bounds, inequality and equality constraints with
// gradients.
//
// The enum and its methods are pure Go and build without the nlopt tag;
// running an algorithm needs the tag.
type Algorithm int

// The algorithms of NLopt 2.7.1, in NLopt's order. Algorithms that the
// system library was built without (STOGO and AGS need C++; LBFGS_NOCEDAL
// is never built) make Minimize return ErrInvalidArgs, and so do
// GN_ORIG_DIRECT and GN_ORIG_DIRECT_L, disabled because NLopt's translation
// of the original Fortran crashes the process on badly scaled bounds.
const (
	Default Algorithm = iota
	GN_DIRECT
	GN_DIRECT_L
	GN_DIRECT_L_RAND
	GN_DIRECT_NOSCAL
	GN_DIRECT_L_NOSCAL
	GN_DIRECT_L_RAND_NOSCAL
	GN_ORIG_DIRECT
	GN_ORIG_DIRECT_L
	GD_STOGO
	GD_STOGO_RAND
	LD_LBFGS_NOCEDAL
	LD_LBFGS
	LN_PRAXIS
	LD_VAR1
	LD_VAR2
	LD_TNEWTON
	LD_TNEWTON_RESTART
	LD_TNEWTON_PRECOND
	LD_TNEWTON_PRECOND_RESTART
	GN_CRS2_LM
	GN_MLSL
	GD_MLSL
	GN_MLSL_LDS
	GD_MLSL_LDS
	LD_MMA
	LN_COBYLA
	LN_NEWUOA
	LN_NEWUOA_BOUND
	LN_NELDERMEAD
	LN_SBPLX
	LN_AUGLAG
	LD_AUGLAG
	LN_AUGLAG_EQ
	LD_AUGLAG_EQ
	LN_BOBYQA
	GN_ISRES
	AUGLAG
	AUGLAG_EQ
	G_MLSL
	G_MLSL_LDS
	LD_SLSQP
	LD_CCSAQ
	GN_ESCH
	GN_AGS
	numAlgorithms
)

// algorithm properties
const (
	propGradient      = 1 << iota // uses the gradient of the objective
	propGlobal                    // global: needs finite bounds
	propIneq                      // supports inequality constraints
	propEq                        // supports equality constraints
	propLocal                     // needs a local (subsidiary) optimizer
	propLocalOptional             // accepts a local optimizer
	propRandom                    // randomized: depends on Settings.Seed
)

var algorithmInfo = [numAlgorithms]struct {
	name  string
	props int
}{
	Default:                    {"Default", propGradient | propIneq | propEq},
	GN_DIRECT:                  {"GN_DIRECT", propGlobal},
	GN_DIRECT_L:                {"GN_DIRECT_L", propGlobal},
	GN_DIRECT_L_RAND:           {"GN_DIRECT_L_RAND", propGlobal | propRandom},
	GN_DIRECT_NOSCAL:           {"GN_DIRECT_NOSCAL", propGlobal},
	GN_DIRECT_L_NOSCAL:         {"GN_DIRECT_L_NOSCAL", propGlobal},
	GN_DIRECT_L_RAND_NOSCAL:    {"GN_DIRECT_L_RAND_NOSCAL", propGlobal | propRandom},
	GN_ORIG_DIRECT:             {"GN_ORIG_DIRECT", propGlobal | propIneq},
	GN_ORIG_DIRECT_L:           {"GN_ORIG_DIRECT_L", propGlobal | propIneq},
	GD_STOGO:                   {"GD_STOGO", propGlobal | propGradient},
	GD_STOGO_RAND:              {"GD_STOGO_RAND", propGlobal | propGradient | propRandom},
	LD_LBFGS_NOCEDAL:           {"LD_LBFGS_NOCEDAL", propGradient},
	LD_LBFGS:                   {"LD_LBFGS", propGradient},
	LN_PRAXIS:                  {"LN_PRAXIS", propRandom},
	LD_VAR1:                    {"LD_VAR1", propGradient},
	LD_VAR2:                    {"LD_VAR2", propGradient},
	LD_TNEWTON:                 {"LD_TNEWTON", propGradient},
	LD_TNEWTON_RESTART:         {"LD_TNEWTON_RESTART", propGradient},
	LD_TNEWTON_PRECOND:         {"LD_TNEWTON_PRECOND", propGradient},
	LD_TNEWTON_PRECOND_RESTART: {"LD_TNEWTON_PRECOND_RESTART", propGradient},
	GN_CRS2_LM:                 {"GN_CRS2_LM", propGlobal | propRandom},
	GN_MLSL:                    {"GN_MLSL", propGlobal | propRandom | propLocalOptional},
	GD_MLSL:                    {"GD_MLSL", propGlobal | propGradient | propRandom | propLocalOptional},
	GN_MLSL_LDS:                {"GN_MLSL_LDS", propGlobal | propLocalOptional},
	GD_MLSL_LDS:                {"GD_MLSL_LDS", propGlobal | propGradient | propLocalOptional},
	LD_MMA:                     {"LD_MMA", propGradient | propIneq},
	LN_COBYLA:                  {"LN_COBYLA", propIneq | propEq},
	LN_NEWUOA:                  {"LN_NEWUOA", 0},
	LN_NEWUOA_BOUND:            {"LN_NEWUOA_BOUND", 0},
	LN_NELDERMEAD:              {"LN_NELDERMEAD", 0},
	LN_SBPLX:                   {"LN_SBPLX", 0},
	LN_AUGLAG:                  {"LN_AUGLAG", propIneq | propEq | propLocalOptional},
	LD_AUGLAG:                  {"LD_AUGLAG", propGradient | propIneq | propEq | propLocalOptional},
	LN_AUGLAG_EQ:               {"LN_AUGLAG_EQ", propIneq | propEq | propLocalOptional},
	LD_AUGLAG_EQ:               {"LD_AUGLAG_EQ", propGradient | propIneq | propEq | propLocalOptional},
	LN_BOBYQA:                  {"LN_BOBYQA", 0},
	GN_ISRES:                   {"GN_ISRES", propGlobal | propIneq | propEq | propRandom},
	AUGLAG:                     {"AUGLAG", propIneq | propEq | propLocal},
	AUGLAG_EQ:                  {"AUGLAG_EQ", propIneq | propEq | propLocal},
	G_MLSL:                     {"G_MLSL", propGlobal | propRandom | propLocal},
	G_MLSL_LDS:                 {"G_MLSL_LDS", propGlobal | propLocal},
	LD_SLSQP:                   {"LD_SLSQP", propGradient | propIneq | propEq},
	LD_CCSAQ:                   {"LD_CCSAQ", propGradient | propIneq},
	GN_ESCH:                    {"GN_ESCH", propGlobal | propRandom},
	GN_AGS:                     {"GN_AGS", propGlobal | propIneq},
}

// Algorithms returns every algorithm constant except Default, in NLopt's
// order.
func Algorithms() []Algorithm {
	out := make([]Algorithm, 0, numAlgorithms-1)
	for a := Default + 1; a < numAlgorithms; a++ {
		out = append(out, a)
	}
	return out
}

// ParseAlgorithm returns the algorithm with NLopt's name s ("LD_SLSQP",
// also accepted with the "NLOPT_" prefix).
func ParseAlgorithm(s string) (Algorithm, error) {
	if len(s) > 6 && s[:6] == "NLOPT_" {
		s = s[6:]
	}
	for a := Default; a < numAlgorithms; a++ {
		if algorithmInfo[a].name == s {
			return a, nil
		}
	}
	return 0, fmt.Errorf("%w: unknown algorithm %q", ErrInvalidArgs, s)
}

// Valid reports whether a is one of the constants above.
func (a Algorithm) Valid() bool { return a >= Default && a < numAlgorithms }

// resolve maps Default to the algorithm it stands for.
func (a Algorithm) resolve() Algorithm {
	if a == Default {
		return LD_SLSQP
	}
	return a
}

func (a Algorithm) has(prop int) bool {
	return a.Valid() && algorithmInfo[a.resolve()].props&prop != 0
}

// String returns NLopt's name of the algorithm without the NLOPT_ prefix.
func (a Algorithm) String() string {
	if !a.Valid() {
		return fmt.Sprintf("Algorithm(%d)", int(a))
	}
	return algorithmInfo[a].name
}

// Gradient reports whether the algorithm evaluates the gradient of the
// objective and the Jacobians of the constraints. For AUGLAG, AUGLAG_EQ,
// G_MLSL and G_MLSL_LDS it depends on the local optimizer.
func (a Algorithm) Gradient() bool { return a.has(propGradient) }

// Global reports whether the algorithm is a global one; global algorithms
// need finite lower and upper bounds on every variable.
func (a Algorithm) Global() bool { return a.has(propGlobal) }

// Inequality reports whether the algorithm supports inequality
// constraints.
func (a Algorithm) Inequality() bool { return a.has(propIneq) }

// Equality reports whether the algorithm supports equality constraints.
func (a Algorithm) Equality() bool { return a.has(propEq) }

// NeedsLocal reports whether the algorithm runs a subsidiary local
// optimizer that must be chosen (Settings.Local; Minimize defaults it to
// LD_LBFGS, or LD_MMA for AUGLAG_EQ).
func (a Algorithm) NeedsLocal() bool { return a.has(propLocal) }

// Random reports whether the algorithm is randomized (see Settings.Seed).
func (a Algorithm) Random() bool { return a.has(propRandom) }

// code returns NLopt's enum value.
func (a Algorithm) code() int { return int(a.resolve()) - 1 }

// Status is the success code of a finished run.
type Status int

// NLopt's success codes, with NLopt's values.
const (
	// Success is NLopt's generic success.
	Success Status = 1
	// StopValReached: the objective reached Settings.StopVal.
	StopValReached Status = 2
	// FTolReached: FTolRel or FTolAbs was reached.
	FTolReached Status = 3
	// XTolReached: XTolRel or XTolAbs was reached.
	XTolReached Status = 4
	// MaxEvalReached: MaxEval evaluations were spent. NLopt counts this as
	// success; the point returned need not be optimal.
	MaxEvalReached Status = 5
	// MaxTimeReached: MaxTime elapsed. As for MaxEvalReached, the point
	// need not be optimal.
	MaxTimeReached Status = 6
)

var statusNames = [...]string{"", "Success", "StopValReached", "FTolReached", "XTolReached", "MaxEvalReached", "MaxTimeReached"}

func (s Status) String() string {
	if s >= Success && s <= MaxTimeReached {
		return statusNames[s]
	}
	return fmt.Sprintf("Status(%d)", int(s))
}

// Converged reports whether the run stopped on a tolerance or on StopVal
// rather than on an evaluation or time budget.
func (s Status) Converged() bool { return s >= Success && s <= XTolReached }

// Errors returned by Minimize; they match with errors.Is. NLopt's failure
// codes map to the first five.
var (
	// ErrFailure is NLopt's generic failure (NLOPT_FAILURE).
	ErrFailure = errors.New("nlopt: failure")
	// ErrInvalidArgs reports invalid arguments (NLOPT_INVALID_ARGS): shapes,
	// bounds, tolerances, an algorithm that does not support the problem's
	// constraints or was not built into the library. Input validation done
	// on the Go side wraps it too.
	ErrInvalidArgs = errors.New("nlopt: invalid arguments")
	// ErrOutOfMemory is NLOPT_OUT_OF_MEMORY.
	ErrOutOfMemory = errors.New("nlopt: out of memory")
	// ErrRoundoffLimited reports a run halted by roundoff errors
	// (NLOPT_ROUNDOFF_LIMITED); the point returned is often still useful.
	ErrRoundoffLimited = errors.New("nlopt: roundoff limited")
	// ErrForcedStop reports a run stopped before convergence
	// (NLOPT_FORCED_STOP): by cancellation of its context (the error then
	// also matches ctx.Err()) or by a panic in a callback (it then also
	// matches ErrCallback).
	ErrForcedStop = errors.New("nlopt: forced stop")
	// ErrCallback reports a panic inside the objective or a
	// constraint. The panic was recovered and the run stopped; the error
	// message holds the panic value and the stack.
	ErrCallback = errors.New("nlopt: panic in callback")
	// ErrUnavailable is returned by Minimize in builds without NLopt
	// (without the nlopt build tag or without cgo).
	ErrUnavailable = errors.New("nlopt: not built in; build with -tags nlopt and cgo")
	// ErrNaN reports NaN or Inf in x0 or in the result, or a callback
	// that returned a NaN or infinite objective or constraint value or a
	// NaN gradient or Jacobian entry; the run is then stopped at once,
	// since some NLopt algorithms (COBYLA) never terminate on them.
	// Infinite gradient entries are passed on to NLopt.
	ErrNaN = errors.New("nlopt: NaN or Inf")
)

// resultError maps an NLopt result code to a Status or an error.
func resultError(code int) (Status, error) {
	switch {
	case code >= int(Success) && code <= int(MaxTimeReached):
		return Status(code), nil
	case code == -1:
		return 0, ErrFailure
	case code == -2:
		return 0, ErrInvalidArgs
	case code == -3:
		return 0, ErrOutOfMemory
	case code == -4:
		return 0, ErrRoundoffLimited
	case code == -5:
		return 0, ErrForcedStop
	}
	return 0, fmt.Errorf("%w: unknown NLopt result code %d", ErrFailure, code)
}
