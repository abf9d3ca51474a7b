package qp

import (
	"log/slog"
	"os"
	"sync/atomic"
)

// forcePrimal makes newKKT always pick the primal reduction (tests only).
var forcePrimal = false

// debugLogger receives the diagnosis solves' iterations (tests only).
var debugLogger *slog.Logger

func init() {
	if os.Getenv("QPDEBUG") != "" {
		debugLogger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
}

// factorCount counts KKT factorizations (tests and benchmarks only).
var factorCount atomic.Int64
