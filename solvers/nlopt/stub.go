//go:build !nlopt || !cgo

package nlopt

import "context"

// Available reports whether this build links NLopt. It is false: build with
// -tags nlopt (and cgo) to link the system library.
const Available = false

// Version returns zeros in builds without NLopt.
func Version() (major, minor, bugfix int) { return 0, 0, 0 }

// Minimize returns ErrUnavailable in builds without NLopt; see the nlopt
// build for its documentation.
func Minimize(ctx context.Context, p *Problem, x0 []float64, s *Settings) (*Result, error) {
	if err := validate(p, x0, s); err != nil {
		return nil, err
	}
	return nil, ErrUnavailable
}
