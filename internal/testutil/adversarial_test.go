package testutil

import (
	"context"
	"errors"
	"testing"
	"time"
)

var errSentinel = errors.New("sentinel")

// TestRunCaseDetects shows that the harness fails the rows it must: a
// panic, a hang, a wrong sentinel, a nil error with a failing check.
func TestRunCaseDetects(t *testing.T) {
	bad := []Case{
		{Name: "panic", Call: func(context.Context) (func() error, error) { panic("boom") }},
		{Name: "hang", Timeout: 50 * time.Millisecond, Call: func(ctx context.Context) (func() error, error) {
			time.Sleep(time.Second)
			return nil, errSentinel
		}},
		{Name: "wrong sentinel", Want: errSentinel, Call: func(context.Context) (func() error, error) {
			return nil, errors.New("other")
		}},
		{Name: "nil error", Want: errSentinel, Call: func(context.Context) (func() error, error) {
			return func() error { return nil }, nil
		}},
		{Name: "silent NaN", Call: func(context.Context) (func() error, error) {
			return func() error { return Finite("x", []float64{1, nan()}) }, nil
		}},
		{Name: "no check", Call: func(context.Context) (func() error, error) { return nil, nil }},
		{Name: "unexpected error", Call: func(context.Context) (func() error, error) { return nil, errSentinel }},
	}
	for _, c := range bad {
		if runCase(c) == nil {
			t.Errorf("%s: harness accepted a failing row", c.Name)
		}
	}
	good := []Case{
		{Name: "sentinel", Want: errSentinel, Call: func(context.Context) (func() error, error) {
			return nil, errors.Join(errors.New("context"), errSentinel)
		}},
		{Name: "checked", Call: func(context.Context) (func() error, error) {
			return func() error { return Finite("x", []float64{1, 2}) }, nil
		}},
		{Name: "any", Any: []error{errSentinel}, Call: func(context.Context) (func() error, error) { return nil, errSentinel }},
	}
	for _, c := range good {
		if err := runCase(c); err != nil {
			t.Errorf("%s: harness rejected a passing row: %v", c.Name, err)
		}
	}
}

func nan() float64 { var z float64; return z / z }
