package mps

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writable reports whether every name of m has a free-format form.
func writable(m *Model) bool {
	names := append(append([]string{m.ObjName}, m.RowNames...), m.ColNames...)
	for k, s := range names {
		if k == 0 && s == "" {
			continue
		}
		if checkName(s) != nil {
			return false
		}
	}
	return !strings.ContainsAny(m.Name, "\r\n")
}

// FuzzRead: arbitrary bytes give an error or a model that passes Check and,
// when its names allow free format, round-trips exactly through Write.
func FuzzRead(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.[mq]ps")
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil && len(b) < 4096 {
			f.Add(b)
		}
	}
	f.Add([]byte(qHead + "RANGES\n r obj 1\nENDATA\n"))
	f.Add([]byte("NAME\nROWS\n N o\n L r\n G s\nCOLUMNS\n x o 1 r 2\n y s -1\nRHS\n r 1e19 s 3\nRANGES\n r 9e19 s -2\nBOUNDS\n UP b x -1\n BV b y\nQMATRIX\n x y 1\n y x 1\nENDATA\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<16 {
			return
		}
		m, err := Read(bytes.NewReader(data), nil)
		if err != nil {
			if !errors.Is(err, ErrFormat) {
				t.Fatalf("error not matching ErrFormat: %v", err)
			}
			return
		}
		if err := m.Check(); err != nil {
			t.Fatalf("model read fails Check: %v", err)
		}
		var buf bytes.Buffer
		err = Write(&buf, m)
		if !writable(m) {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("names without free form, Write error %v", err)
			}
			return
		}
		if err != nil {
			t.Fatalf("Write: %v", err)
		}
		back, err := Read(bytes.NewReader(buf.Bytes()), nil)
		if err != nil {
			t.Fatalf("reading written model: %v\n%s", err, buf.String())
		}
		if m.ObjName == "" && back.ObjName != "" {
			back.ObjName = ""
		}
		if !modelsEqual(m, back) {
			t.Fatalf("round trip differs\nfirst: %+v\nback:  %+v\nfile:\n%s", m, back, buf.String())
		}
	})
}
