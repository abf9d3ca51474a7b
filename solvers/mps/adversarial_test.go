package mps

import (
	"bytes"
	"context"
	"io"
	"math"
	"strings"
	"testing"

	"github.com/optlayers/optlayers/internal/testutil"
	"github.com/optlayers/optlayers/sparse"
)

// TestAdversarial: Read, Write and Model helpers on hostile input return a
// documented sentinel or a checked result, never panic or hang.
func TestAdversarial(t *testing.T) {
	read := func(text string, s *ReadSettings) func(context.Context) (func() error, error) {
		return func(context.Context) (func() error, error) {
			m, err := Read(strings.NewReader(text), s)
			if err != nil {
				return nil, err
			}
			return m.Check, nil
		}
	}
	valid := qHead + "ENDATA\n"
	longName := strings.Repeat("x", 1<<16)
	cases := []testutil.Case{
		{Name: "nil reader", Want: ErrInvalid, Call: func(context.Context) (func() error, error) {
			_, err := Read(nil, nil)
			return nil, err
		}},
		{Name: "empty input", Want: ErrFormat, Call: read("", nil)},
		{Name: "binary garbage", Want: ErrFormat, Call: read("\x00\xff\x01ROWS\x00", nil)},
		{Name: "truncated gzip", Want: ErrFormat, Call: func(context.Context) (func() error, error) {
			_, err := Read(bytes.NewReader([]byte{0x1f, 0x8b, 8, 0, 0, 0}), nil)
			return nil, err
		}},
		{Name: "only ENDATA", Want: ErrFormat, Call: read("ENDATA\n", nil)},
		{Name: "valid minimal", Call: read(valid, nil)},
		{Name: "free text, fixed forced", Want: ErrFormat, Call: read(valid, &ReadSettings{Format: FormatFixed})},
		{Name: "valid, infinity 1e-300", Call: read(valid, &ReadSettings{Infinity: 1e-300})},
		{Name: "infinity +Inf", Call: read(valid, &ReadSettings{Infinity: math.Inf(1)})},
		{Name: "infinity NaN", Want: ErrInvalid, Call: read(valid, &ReadSettings{Infinity: math.NaN()})},
		{Name: "unknown format", Want: ErrInvalid, Call: read(valid, &ReadSettings{Format: -1})},
		{Name: "1e300 coefficients", Call: read("NAME\nROWS\n N o\n L r\nCOLUMNS\n x o 1e300 r -1e300\nRHS\n r 1e300\nENDATA\n", nil)},
		{Name: "1e-300 values", Call: read("NAME\nROWS\n N o\n L r\nCOLUMNS\n x o 1e-300 r 1e-320\nBOUNDS\n UP b x 1e-300\nENDATA\n", nil)},
		{Name: "Inf RHS with Inf range", Want: ErrFormat, Call: read("NAME\nROWS\n E r\nCOLUMNS\n x r 1\nRHS\n r 1e30\nRANGES\n r 1e30\nENDATA\n", nil)},
		{Name: "very long name", Call: read("NAME\nROWS\n N "+longName+"\nCOLUMNS\n x "+longName+" 1\nENDATA\n", nil)},
		{Name: "read error", Want: io.ErrUnexpectedEOF, Call: func(context.Context) (func() error, error) {
			_, err := Read(io.MultiReader(strings.NewReader("NAME"), errReader{}), nil)
			return nil, err
		}},
		{Name: "write nil writer", Want: ErrInvalid, Call: func(context.Context) (func() error, error) {
			m, _ := Read(strings.NewReader(valid), nil)
			return nil, Write(nil, m)
		}},
		{Name: "write zero model", Want: ErrInvalid, Call: func(context.Context) (func() error, error) {
			return nil, Write(io.Discard, &Model{})
		}},
		{Name: "write zero-value matrices", Call: func(context.Context) (func() error, error) {
			m := &Model{A: &sparse.CSC{}, Q: &sparse.SymCSC{}}
			var buf bytes.Buffer
			err := Write(&buf, m)
			return func() error {
				_, err := Read(&buf, nil)
				return err
			}, err
		}},
		{Name: "Minimized zero model", Call: func(context.Context) (func() error, error) {
			m := (&Model{Sense: Maximize}).Minimized()
			return func() error { return testutil.Finite("c", m.C) }, nil
		}},
	}
	testutil.RunAdversarial(t, cases)
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, io.ErrUnexpectedEOF }
