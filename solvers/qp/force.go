package qp

import (
	"log/slog"
	"os"
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
