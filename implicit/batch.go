package implicit

import (
	"fmt"
	"strings"
)

// BatchError reports the items of a batch that failed: every batch
// function of the module (SolveBatch, the row-wise layers and projections,
// the batched losses) returns one when at least one item failed, and
// the results of the items that succeeded beside it. Indices are
// increasing; Errs[k] is the error of item Indices[k]. Unwrap returns
// Errs, so errors.Is and errors.As look at every item's error
// (errors.Is(err, qp.ErrInfeasible) is true when any item was
// infeasible).
type BatchError struct {
	Indices []int
	Errs    []error
}

// batchErrorShown is how many items Error names before "and k more".
const batchErrorShown = 3

// Error names the first few failing items and their errors.
func (e *BatchError) Error() string {
	var b strings.Builder
	n := min(len(e.Indices), len(e.Errs))
	if n == 1 {
		fmt.Fprintf(&b, "item %d failed: %v", e.Indices[0], e.Errs[0])
		return b.String()
	}
	fmt.Fprintf(&b, "%d items failed: ", n)
	for k := range min(n, batchErrorShown) {
		if k > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "item %d: %v", e.Indices[k], e.Errs[k])
	}
	if n > batchErrorShown {
		fmt.Fprintf(&b, "; and %d more", n-batchErrorShown)
	}
	return b.String()
}

// Unwrap returns the items' errors.
func (e *BatchError) Unwrap() []error { return e.Errs }

// Err returns the error of item i of the batch: nil when it succeeded.
func (e *BatchError) Err(i int) error {
	if e == nil {
		return nil
	}
	for k, j := range e.Indices {
		if j == i {
			return e.Errs[k]
		}
	}
	return nil
}

// NewBatchError returns nil when every errs[i] is nil, and otherwise a
// *BatchError holding the indices and errors of the non-nil entries. errs
// has one entry per item of the batch; it is not retained.
func NewBatchError(errs []error) error {
	var e *BatchError
	for i, err := range errs {
		if err == nil {
			continue
		}
		if e == nil {
			e = &BatchError{}
		}
		e.Indices = append(e.Indices, i)
		e.Errs = append(e.Errs, err)
	}
	if e == nil {
		return nil
	}
	return e
}
