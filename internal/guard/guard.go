// Package guard holds the module's small guards around user code and user
// data: turning a panic of a callback into an error, and recognising nil
// values hidden in interfaces.
package guard

import (
	"fmt"
	"reflect"
	"runtime/debug"

	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/internal/parallel"
)

// Recover turns a panic of the calling function into an error matching
// sentinel (a package's ErrCallback) that also wraps a
// *parallel.PanicError with the recovered value and the stack. Use as
// `defer guard.Recover(&err, ErrCallback)` with a named result; it must
// be the deferred call itself for recover to see the panic.
func Recover(err *error, sentinel error) {
	if v := recover(); v != nil {
		*err = fmt.Errorf("%w: %w", sentinel, &parallel.PanicError{Value: v, Stack: debug.Stack()})
	}
}

// IsNil reports a nil interface or a nil pointer, map, slice, func or
// interface inside one.
func IsNil(v any) bool {
	if v == nil {
		return true
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Func, reflect.Interface:
		return rv.IsNil()
	}
	return false
}

// IsNilMatrix reports a nil interface or a nil *mat.Dense.
func IsNilMatrix(m mat.Matrix) bool {
	if m == nil {
		return true
	}
	d, ok := m.(*mat.Dense)
	return ok && d == nil
}
