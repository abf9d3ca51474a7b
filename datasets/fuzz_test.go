package datasets

import (
	"bytes"
	"errors"
	"math"
	"testing"
)

// FuzzReadCSV: arbitrary bytes never panic ReadCSV; a nil error comes
// with a valid Dataset, which Folds, Split and Standardize then handle
// without panic and without non-finite output.
func FuzzReadCSV(f *testing.F) {
	f.Add([]byte("a,b,y\n1,2,3\n4,5,6\n7,8,9\n"))
	f.Add([]byte("a,y\n1e308,1\n-1e308,0\n0,1\n"))
	f.Add([]byte("a,y\n\"1\",2\n 3 , 4\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := ReadCSV(bytes.NewReader(data))
		if err != nil {
			if !errors.Is(err, ErrFormat) {
				t.Fatalf("undocumented error %v", err)
			}
			return
		}
		if err := d.Validate(); err != nil {
			t.Fatalf("ReadCSV returned an invalid dataset: %v", err)
		}
		tr, va := d.Split()
		if tr == nil || va == nil {
			t.Fatal("Split of a valid dataset returned nil")
		}
		if _, _, err := d.Folds(2); err != nil && !errors.Is(err, ErrFormat) {
			t.Fatalf("Folds: %v", err)
		}
		s, out, err := Standardize(true, d)
		if err != nil {
			if !errors.Is(err, ErrFormat) && !errors.Is(err, ErrConstant) {
				t.Fatalf("Standardize: %v", err)
			}
			return
		}
		for _, v := range append(append(append([]float64{s.YMean}, s.Mean...), s.Std...), out[0].Y...) {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Fatalf("non-finite statistics or output with nil error: %+v", s)
			}
		}
		if err := out[0].Validate(); err != nil {
			t.Fatalf("standardized dataset is invalid: %v", err)
		}
	})
}
