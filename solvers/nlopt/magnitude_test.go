package nlopt

import (
	"context"
	"errors"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
)

// Starting points beyond MaxStartMagnitude are rejected in every build,
// before NLopt is reached.
func TestHugeStartRejected(t *testing.T) {
	p := &Problem{Dim: 2, Objective: func(x, grad []float64) float64 {
		if grad != nil {
			grad[0], grad[1] = 2*x[0], 2*x[1]
		}
		return x[0]*x[0] + x[1]*x[1]
	}}
	_, err := Minimize(context.Background(), p, []float64{1, 1e52}, &Settings{Algorithm: LN_NEWUOA_BOUND})
	assert.True(t, errors.Is(err, ErrInvalidArgs), "%v", err)
	_, err = Minimize(context.Background(), p, []float64{1, -2 * MaxStartMagnitude}, nil)
	assert.True(t, errors.Is(err, ErrInvalidArgs), "%v", err)
	// Huge finite bounds (GN_ORIG_DIRECT_L segfaults on them) are rejected;
	// infinite ones mean "no bound" and pass validation.
	p.Lower, p.Upper = []float64{-1e200, -1}, []float64{1, 1}
	_, err = Minimize(context.Background(), p, []float64{0, 0}, &Settings{Algorithm: GN_ORIG_DIRECT_L})
	assert.True(t, errors.Is(err, ErrInvalidArgs), "%v", err)
	p.Lower, p.Upper = []float64{math.Inf(-1), -1}, []float64{1, 1}
	_, err = Minimize(context.Background(), p, []float64{0, 0}, &Settings{Algorithm: LD_SLSQP})
	assert.False(t, errors.Is(err, ErrInvalidArgs), "%v", err)
}
