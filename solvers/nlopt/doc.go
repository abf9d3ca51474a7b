// Package nlopt is a cgo binding to the system NLopt library (NLopt 2.7.1,
// Debian's libnlopt-dev), built only with the nlopt build tag:
//
//	go test -tags nlopt ./solvers/nlopt/
//
// Without the tag (or without cgo) the package still builds: the
// Algorithm enum, the types and the errors are pure Go, Available is false
// and Minimize returns ErrUnavailable.
//
// Minimize solves
//
//	minimize f(x) subject to l ≤ x ≤ u, c(x) ≤ 0, e(x) = 0
//
// with any NLopt algorithm: gradient-based local methods (SLSQP, MMA,
// CCSAQ, L-BFGS, truncated Newton), derivative-free ones (COBYLA, BOBYQA,
// Nelder–Mead, Subplex), augmented Lagrangians wrapping a local optimizer
// (AUGLAG) and global ones (DIRECT, CRS, MLSL, ISRES, ESCH).
// Constraints are vector-valued with row-major Jacobians, as in NLopt's
// mconstraint API.
//
// Defaults differ from NLopt's where NLopt's are traps: with no stopping
// criterion set, XTolRel = 1e-10 and XTolAbs = 1e-14 (NLopt would run
// forever); constraint rows without a tolerance get 1e-8 (with 0, NLopt
// only counts iterates strictly inside the feasible set as feasible and may
// return an early point; Result.Last keeps the final iterate anyway); the
// default initial step of derivative-free methods is floored, since a
// nearly zero x0ᵢ sends COBYLA into an endless loop. A callback that
// returns NaN or an infinite value stops the run with ErrNaN, for the same
// reason.
//
// Callbacks reach Go through runtime/cgo handles and small C trampolines;
// x and the gradient buffers handed to user code are Go memory, a panic in
// user code is recovered and stops the run, and cancelling the context
// stops it at the next evaluation (nlopt_force_stop). Each call owns its
// NLopt object, destroyed on return, so calls from many goroutines are
// independent.
//
// Differentiating the solution of a parametric program with respect to its
// parameters is done by package [github.com/optlayers/optlayers/solvers/nlp]
// (KKT conditions and the implicit function theorem, as in DiffOpt.jl);
// [SolveNLP] solves an nlp.Problem with NLopt and returns its
// differentiable solution.
//
// References:
//   - S. G. Johnson, The NLopt nonlinear-optimization package,
//     https://github.com/stevengj/nlopt.
//   - D. Kraft, A software package for sequential quadratic programming,
//     DFVLR-FB 88-28, 1988 (SLSQP).
//   - K. Svanberg, A class of globally convergent optimization methods
//     based on conservative convex separable approximations, SIAM J. Optim.
//     12(2), 2002 (MMA, CCSAQ).
//   - M. J. D. Powell, A direct search optimization method that models the
//     objective and constraint functions by linear interpolation, 1994
//     (COBYLA).
package nlopt
