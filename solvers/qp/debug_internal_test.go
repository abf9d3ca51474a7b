package qp

import (
	"log/slog"
	"os"
)

func init() {
	if os.Getenv("QP_DEBUG") != "" {
		debugLogger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
}
