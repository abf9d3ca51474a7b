package sorting

import "github.com/optlayers/optlayers/internal/batch"

// BatchSettings controls the batched functions that have no other
// settings ([PermutationBCEBatch]). A nil *BatchSettings or the zero value
// means one goroutine per core.
type BatchSettings struct {
	// Workers caps the goroutines (0 means GOMAXPROCS; negative is
	// ErrInvalid). Results do not depend on it.
	Workers int
}

// checkWorkers returns ErrInvalid for a negative Settings.Workers.
func checkWorkers(w int) error { return batch.CheckWorkers(w, ErrInvalid) }
