package testutil

import (
	"context"
	"errors"
	"testing"
)

var errOther = errors.New("other")

// recvSafe handles nil and zero receivers; recvUnsafe does not.
type recvSafe struct{ data []float64 }

func (r *recvSafe) Len() int {
	if r == nil {
		return 0
	}
	return len(r.data)
}

func (r *recvSafe) Solve(_ context.Context, x []float64) ([]float64, error) {
	if r == nil || r.data == nil {
		return nil, errSentinel
	}
	return x, nil
}

type recvUnsafe struct{ data []float64 }

func (r *recvUnsafe) First() float64 { return r.data[0] }

type recvWrongErr struct{}

func (*recvWrongErr) Do() error { return errOther }

// TestReceivers: NilReceivers and ZeroReceivers pass safe methods and
// fail panicking ones and errors that match no sentinel; AnyOf widens the
// match.
func TestReceivers(t *testing.T) {
	for _, c := range append(NilReceivers(errSentinel, (*recvSafe)(nil)), ZeroReceivers(errSentinel, (*recvSafe)(nil))...) {
		if err := runCase(c); err != nil {
			t.Errorf("%s: %v", c.Name, err)
		}
	}
	for _, c := range append(NilReceivers(errSentinel, (*recvUnsafe)(nil), (*recvWrongErr)(nil)), ZeroReceivers(errSentinel, (*recvUnsafe)(nil), (*recvWrongErr)(nil))...) {
		if runCase(c) == nil {
			t.Errorf("%s: accepted a panic or a wrong error", c.Name)
		}
	}
	for _, c := range NilReceivers(AnyOf(errSentinel, errOther), (*recvWrongErr)(nil)) {
		if err := runCase(c); err != nil {
			t.Errorf("%s with AnyOf: %v", c.Name, err)
		}
	}
	if n := len(NilReceivers(errSentinel, (*recvSafe)(nil))); n != 2 {
		t.Errorf("%d cases for the 2 methods of recvSafe", n)
	}
}
