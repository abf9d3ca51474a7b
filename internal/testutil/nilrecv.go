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
	var cases []Case
	for _, v := range values {
		typ := reflect.TypeOf(v)
		for i := range typ.NumMethod() {
			m := typ.Method(i)
			cases = append(cases, Case{
				Name: fmt.Sprintf("nil %v.%s", typ, m.Name),
				Call: func(context.Context) (func() error, error) {
					args := []reflect.Value{reflect.Zero(typ)}
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
							if err := o.Interface().(error); !errors.Is(err, want) {
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
