package qp

import "log/slog"

// forcePrimal makes newKKT always pick the primal reduction (tests only).
var forcePrimal = false

// debugLogger, set by tests only, receives the iterations of the
// diagnosis solves and the polishing attempts.
var debugLogger *slog.Logger
