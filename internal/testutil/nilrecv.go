package testutil

import (
	"context"
	"errors"
	"fmt"
	"reflect"
)

// NilReceivers returns one Case per exported method of each value in
// values, which must be typed nil pointers such as (*qp.Solution)(nil). A
// case calls the method on the nil receiver with zero arguments (a
// background context for a context.Context) and passes when the call does
// not panic and every non-nil error it returns matches want.
func NilReceivers(want error, values ...any) []Case {
	return receivers(want, false, values)
}

// ZeroReceivers is NilReceivers with the receiver a pointer to the zero
// value of the type (as a user writing &pkg.T{} gets) instead of nil.
func ZeroReceivers(want error, values ...any) []Case {
	return receivers(want, true, values)
}

func receivers(want error, zero bool, values []any) []Case {
	var cases []Case
	kind := "nil"
	if zero {
		kind = "zero"
	}
	for _, v := range values {
		typ := reflect.TypeOf(v)
		for i := range typ.NumMethod() {
			m := typ.Method(i)
			cases = append(cases, Case{
				Name: fmt.Sprintf("%s %v.%s", kind, typ, m.Name),
				Call: func(context.Context) (func() error, error) {
					recv := reflect.Zero(typ)
					if zero {
						recv = reflect.New(typ.Elem())
					}
					args := []reflect.Value{recv}
					for k := 1; k < m.Type.NumIn(); k++ {
						in := m.Type.In(k)
						if in == reflect.TypeFor[context.Context]() {
							args = append(args, reflect.ValueOf(context.Background()))
						} else {
							args = append(args, reflect.Zero(in))
						}
					}
					out := m.Func.Call(args)
					return func() error {
						for _, o := range out {
							if o.Type() != reflect.TypeFor[error]() || o.IsNil() {
								continue
							}
							if err := o.Interface().(error); !matches(err, want) {
								return fmt.Errorf("error %q does not match %v", err, want)
							}
						}
						return nil
					}, nil
				},
			})
		}
	}
	return cases
}

// AnyOf is a want for NilReceivers and ZeroReceivers that accepts an
// error matching any of the sentinels.
func AnyOf(sentinels ...error) error { return anyOf(sentinels) }

type anyOf []error

func (a anyOf) Error() string { return fmt.Sprint([]error(a)) }

func matches(err, want error) bool {
	if a, ok := want.(anyOf); ok {
		for _, w := range a {
			if errors.Is(err, w) {
				return true
			}
		}
		return false
	}
	return errors.Is(err, want)
}
