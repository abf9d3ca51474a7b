package qp

import "log/slog"

// forcePrimal makes newKKT always pick the primal reduction (tests only).
var forcePrimal = false

// forceProximal makes Solve discard the first path's result and use the
// proximal path (tests only).
var forceProximal = false

// debugLogger, set by tests only, receives the iterations of the
// diagnosis solves and the polishing attempts.
var debugLogger *slog.Logger
