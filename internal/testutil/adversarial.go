package testutil

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime/debug"
	"testing"
	"time"
)

// Case is one row of an adversarial table: a call of a public entry point
// with input a caller could pass (nil, empty, mismatched shapes, NaN/±Inf,
// 1e±300, bad settings, unknown enum values, panicking callbacks,
// canceled contexts).
//
// Call runs the entry point under ctx. It returns the call's error and,
// when the call returned a result, a check of what the result claims
// (feasibility, marginals, KKT residuals, finiteness); check may be nil
// when the row expects an error.
//
// A row passes when the call does not panic, returns within Timeout and
//   - Want is non-nil: the error matches Want (errors.Is); or
//   - Want is nil: either the error is nil and check returns nil, or the
//     error matches one of Any.
//
// In every case a nil error with a failing check (for example a
// non-finite output) fails the row: that is a silent wrong answer.
type Case struct {
	Name string
	Call func(ctx context.Context) (check func() error, err error)
	// Want is the sentinel the error must match. Nil means the call may
	// succeed (then check must pass) or fail with an error matching one of
	// Any.
	Want error
	// Any lists the sentinels accepted when Want is nil and the call fails.
	// Empty with Want nil means the call must succeed.
	Any []error
	// Timeout bounds the call (default 10 s); a call past it fails the row.
	Timeout time.Duration
}

// RunAdversarial runs every case as a subtest.
func RunAdversarial(t *testing.T, cases []Case) {
	t.Helper()
	seen := make(map[string]bool, len(cases))
	for _, c := range cases {
		if seen[c.Name] {
			t.Fatalf("duplicate adversarial case name %q", c.Name)
		}
		seen[c.Name] = true
		t.Run(c.Name, func(t *testing.T) {
			if err := runCase(c); err != nil {
				t.Error(err)
			}
		})
	}
}

type outcome struct {
	check    func() error
	err      error
	panicked any
	stack    []byte
}

func runCase(c Case) error {
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan outcome, 1)
	go func() {
		var o outcome
		defer func() {
			if r := recover(); r != nil {
				o.panicked, o.stack = r, debug.Stack()
			}
			done <- o
		}()
		o.check, o.err = c.Call(ctx)
	}()
	var o outcome
	select {
	case o = <-done:
	case <-time.After(timeout):
		cancel()
		return fmt.Errorf("no return within %v", timeout)
	}
	if o.panicked != nil {
		return fmt.Errorf("panic: %v\n%s", o.panicked, o.stack)
	}
	if c.Want != nil {
		if o.err == nil {
			return fmt.Errorf("nil error, want %v", c.Want)
		}
		if !errors.Is(o.err, c.Want) {
			return fmt.Errorf("error %q does not match %v", o.err, c.Want)
		}
		return nil
	}
	if o.err != nil {
		for _, w := range c.Any {
			if errors.Is(o.err, w) {
				return nil
			}
		}
		if len(c.Any) == 0 {
			return fmt.Errorf("unexpected error %q", o.err)
		}
		return fmt.Errorf("error %q matches none of %v", o.err, c.Any)
	}
	if o.check == nil {
		return errors.New("nil error and no check of the result")
	}
	if err := o.check(); err != nil {
		return fmt.Errorf("nil error but the result fails its check (silent wrong answer): %w", err)
	}
	return nil
}

// Finite returns an error naming the first non-finite entry of any of vs.
func Finite(name string, vs ...[]float64) error {
	for k, v := range vs {
		for i, e := range v {
			if math.IsNaN(e) || math.IsInf(e, 0) {
				return fmt.Errorf("%s: argument %d entry %d is %v", name, k, i, e)
			}
		}
	}
	return nil
}

// Canceled returns a context that is already canceled.
func Canceled() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}
