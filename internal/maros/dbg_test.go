package maros

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"testing"

	"github.com/optlayers/optlayers/solvers/qp"
)

func TestDbgSparse(t *testing.T) {
	name := os.Getenv("MMP")
	if name == "" {
		t.Skip()
	}
	c, err := LoadFile("/work/shared/data/maros_meszaros/" + name + ".qps.gz")
	if err != nil {
		t.Fatal(err)
	}
	pb := c.Sparse()
	lg := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{Level: slog.LevelDebug}))
	sol, err := qp.SolveSparse(context.Background(), pb, &qp.SparseSettings{Tol: 1e-9, Absolute: true, Logger: lg})
	fmt.Println(err)
	if sol != nil && sol.X != nil {
		fmt.Printf("own %+v polished %v\n", sol.Residuals, sol.Polished)
		fmt.Printf("chk %+v\n", CheckSparse(pb, sol.X, sol.Y, sol.Z))
	}
}
