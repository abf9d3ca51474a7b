package mps

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestReadDirectory reads every .mps/.qps file (gzipped or not) of the
// directory named by OPTLAYERS_MAROS_DIR, and checks each model; it is
// skipped when the variable is unset.
func TestReadDirectory(t *testing.T) {
	dir := os.Getenv("OPTLAYERS_MAROS_DIR")
	if dir == "" {
		t.Skip("OPTLAYERS_MAROS_DIR not set")
	}
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	count := 0
	var slowest string
	var slowTime time.Duration
	for _, e := range entries {
		name := e.Name()
		base := strings.TrimSuffix(strings.ToLower(name), ".gz")
		if !strings.HasSuffix(base, ".qps") && !strings.HasSuffix(base, ".mps") {
			continue
		}
		start := time.Now()
		m, err := ReadFile(filepath.Join(dir, name), nil)
		d := time.Since(start)
		require.NoError(t, err, name)
		require.NoError(t, m.Check(), name)
		if d > slowTime {
			slowest, slowTime = name, d
		}
		count++
		r, c := m.A.Dims()
		qnnz := 0
		if m.Q != nil {
			qnnz = m.Q.NNZ()
		}
		t0 := time.Now()
		back := roundTrip(t, m)
		require.Equal(t, m, back, name)
		t.Logf("round trip %v", time.Since(t0))
		t.Logf("%-16s m=%6d n=%6d nnz(A)=%7d nnz(Q)=%7d %v", name, r, c, m.A.NNZ(), qnnz, d)
	}
	t.Logf("read %d files; slowest %s in %v", count, slowest, slowTime)
}
