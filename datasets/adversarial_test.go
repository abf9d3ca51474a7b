package datasets

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/internal/testutil"
)

// small is a valid 4×2 dataset.
func small() *Dataset {
	return &Dataset{Name: "small", Features: []string{"a", "b"},
		X: mat.NewDense(4, 2, []float64{1, 2, 3, 5, 0, 1, 2, 7}), Y: []float64{1, 0, 1, 0}}
}

func with(f func(d *Dataset)) *Dataset { d := small(); f(d); return d }

// TestAdversarialDatasets: every entry point on nil, empty, ragged,
// non-finite and extreme data, bad indices and fold counts, and Load from
// 8 goroutines.
func TestAdversarialDatasets(t *testing.T) {
	bad := map[string]struct {
		d    *Dataset
		want error
	}{
		"nil":           {nil, ErrInvalid},
		"short Y":       {with(func(d *Dataset) { d.Y = d.Y[:3] }), ErrFormat},
		"nil X":         {with(func(d *Dataset) { d.X = nil }), ErrFormat},
		"NaN X":         {with(func(d *Dataset) { d.X.Set(1, 1, math.NaN()) }), ErrFormat},
		"Inf Y":         {with(func(d *Dataset) { d.Y[2] = math.Inf(1) }), ErrFormat},
		"feature names": {with(func(d *Dataset) { d.Features = []string{"a"} }), ErrFormat},
	}
	var cases []testutil.Case
	for name, b := range bad {
		d, want := b.d, b.want
		cases = append(cases,
			testutil.Case{Name: name + "/Fit", Want: want, Call: func(context.Context) (func() error, error) {
				_, err := Fit(d, true)
				return nil, err
			}},
			testutil.Case{Name: name + "/Standardize", Want: want, Call: func(context.Context) (func() error, error) {
				_, _, err := Standardize(true, d)
				return nil, err
			}},
			testutil.Case{Name: name + "/Standardize other", Want: want, Call: func(context.Context) (func() error, error) {
				_, _, err := Standardize(true, small(), d)
				return nil, err
			}},
			testutil.Case{Name: name + "/Transform", Want: want, Call: func(context.Context) (func() error, error) {
				s, err := Fit(small(), false)
				if err != nil {
					return nil, err
				}
				_, err = s.Transform(d)
				return nil, err
			}},
			testutil.Case{Name: name + "/Subset", Want: want, Call: func(context.Context) (func() error, error) {
				_, err := d.Subset([]int{0})
				return nil, err
			}},
			testutil.Case{Name: name + "/Folds", Want: want, Call: func(context.Context) (func() error, error) {
				_, _, err := d.Folds(2)
				return nil, err
			}},
			testutil.Case{Name: name + "/Split", Call: func(context.Context) (func() error, error) {
				tr, va := d.Split()
				a, b, c := d.SplitTest()
				return func() error {
					if tr != nil || va != nil || a != nil || b != nil || c != nil {
						return errors.New("split of an invalid dataset")
					}
					return nil
				}, nil
			}},
		)
	}
	huge := with(func(d *Dataset) { d.X.Set(0, 0, 1.7e308); d.X.Set(1, 0, -1.7e308) })
	hugeY := with(func(d *Dataset) { d.Y = []float64{1.7e308, 1.7e308, 1, 0} })
	tiny := with(func(d *Dataset) { d.X.Scale(1e-300, d.X) })
	std := func(d *Dataset, centerY bool) func(context.Context) (func() error, error) {
		return func(context.Context) (func() error, error) {
			s, out, err := Standardize(centerY, d)
			if err != nil {
				return nil, err
			}
			return func() error {
				return testutil.Finite("Standardize", s.Mean, s.Std, []float64{s.YMean}, out[0].X.RawMatrix().Data, out[0].Y)
			}, nil
		}
	}
	cases = append(cases,
		testutil.Case{Name: "Standardize/ok", Call: std(small(), true)},
		testutil.Case{Name: "Standardize/1.7e308", Want: ErrFormat, Call: std(huge, false)},
		testutil.Case{Name: "Standardize/Y 1.7e308", Want: ErrFormat, Call: std(hugeY, true)},
		testutil.Case{Name: "Standardize/1e-300 is constant", Any: []error{ErrConstant}, Call: std(tiny, false)},
		testutil.Case{Name: "Standardize/empty", Want: ErrFormat, Call: std(&Dataset{X: &mat.Dense{}}, false)},
		testutil.Case{Name: "Fit/constant column", Want: ErrConstant, Call: func(context.Context) (func() error, error) {
			_, err := Fit(with(func(d *Dataset) { d.X.SetCol(1, []float64{3, 3, 3, 3}) }), false)
			return nil, err
		}},
		testutil.Case{Name: "Transform/nil scaler", Want: ErrInvalid, Call: func(context.Context) (func() error, error) {
			var s *Scaler
			_, err := s.Transform(small())
			return nil, err
		}},
		testutil.Case{Name: "Transform/zero std", Want: ErrInvalid, Call: func(context.Context) (func() error, error) {
			_, err := (&Scaler{Mean: []float64{0, 0}, Std: []float64{1, 0}}).Transform(small())
			return nil, err
		}},
		testutil.Case{Name: "Transform/NaN mean", Want: ErrInvalid, Call: func(context.Context) (func() error, error) {
			_, err := (&Scaler{Mean: []float64{0, math.NaN()}, Std: []float64{1, 1}}).Transform(small())
			return nil, err
		}},
		testutil.Case{Name: "Transform/ragged scaler", Want: ErrInvalid, Call: func(context.Context) (func() error, error) {
			_, err := (&Scaler{Mean: []float64{0}, Std: []float64{1, 1}}).Transform(small())
			return nil, err
		}},
		testutil.Case{Name: "Transform/other width", Want: ErrFormat, Call: func(context.Context) (func() error, error) {
			_, err := (&Scaler{Mean: []float64{0, 0, 0}, Std: []float64{1, 1, 1}}).Transform(small())
			return nil, err
		}},
		testutil.Case{Name: "Transform/overflow", Want: ErrFormat, Call: func(context.Context) (func() error, error) {
			_, err := (&Scaler{Mean: []float64{-1.7e308, 0}, Std: []float64{1e-10, 1}}).Transform(small())
			return nil, err
		}},
		testutil.Case{Name: "Subset/ok", Call: func(context.Context) (func() error, error) {
			s, err := small().Subset([]int{3, 0})
			if err != nil {
				return nil, err
			}
			return func() error {
				if s.Rows() != 2 || s.X.At(0, 1) != 7 || s.Y[1] != 1 {
					return fmt.Errorf("subset %v %v", s.X, s.Y)
				}
				return nil
			}, nil
		}},
		testutil.Case{Name: "Subset/empty", Call: func(context.Context) (func() error, error) {
			s, err := small().Subset(nil)
			return func() error {
				if s.Rows() != 0 {
					return errors.New("rows in an empty subset")
				}
				return nil
			}, err
		}},
		testutil.Case{Name: "Subset/index 4", Want: ErrInvalid, Call: func(context.Context) (func() error, error) {
			_, err := small().Subset([]int{4})
			return nil, err
		}},
		testutil.Case{Name: "Subset/index -1", Want: ErrInvalid, Call: func(context.Context) (func() error, error) {
			_, err := small().Subset([]int{-1})
			return nil, err
		}},
		testutil.Case{Name: "Folds/k=1", Want: ErrFormat, Call: func(context.Context) (func() error, error) {
			_, _, err := small().Folds(1)
			return nil, err
		}},
		testutil.Case{Name: "Folds/k=-3", Want: ErrFormat, Call: func(context.Context) (func() error, error) {
			_, _, err := small().Folds(-3)
			return nil, err
		}},
		testutil.Case{Name: "Folds/k=5 of 4 rows", Want: ErrFormat, Call: func(context.Context) (func() error, error) {
			_, _, err := small().Folds(5)
			return nil, err
		}},
		testutil.Case{Name: "Rows/nil", Call: func(context.Context) (func() error, error) {
			var d *Dataset
			return func() error {
				if d.Rows() != 0 {
					return errors.New("rows of nil")
				}
				return nil
			}, nil
		}},
		testutil.Case{Name: "Load/unknown", Want: ErrUnknown, Call: func(context.Context) (func() error, error) {
			_, err := Load("iris")
			return nil, err
		}},
		testutil.Case{Name: "Load/path", Want: ErrUnknown, Call: func(context.Context) (func() error, error) {
			_, err := Load("../datasets/wine")
			return nil, err
		}},
		testutil.Case{Name: "Load/empty name", Want: ErrUnknown, Call: func(context.Context) (func() error, error) {
			_, err := Load("")
			return nil, err
		}},
		testutil.Case{Name: "Load/8 goroutines", Call: func(context.Context) (func() error, error) {
			errs := make([]error, 8)
			var wg sync.WaitGroup
			for k := range 8 {
				wg.Go(func() {
					d, err := Load(Names[k%len(Names)])
					if err == nil {
						err = d.Validate()
					}
					if err == nil {
						_, _, err = d.Folds(3)
					}
					errs[k] = err
				})
			}
			wg.Wait()
			return func() error { return errors.Join(errs...) }, nil
		}},
		testutil.Case{Name: "Signs/nil", Want: ErrFormat, Call: func(context.Context) (func() error, error) {
			_, err := Signs(nil)
			return nil, err
		}},
		testutil.Case{Name: "Signs/NaN", Want: ErrFormat, Call: func(context.Context) (func() error, error) {
			_, err := Signs([]float64{0, math.NaN(), 1})
			return nil, err
		}},
		testutil.Case{Name: "Signs/label 2", Want: ErrFormat, Call: func(context.Context) (func() error, error) {
			_, err := Signs([]float64{0, 2, 1})
			return nil, err
		}},
		testutil.Case{Name: "ReadCSV/nil reader", Want: ErrInvalid, Call: func(context.Context) (func() error, error) {
			_, err := ReadCSV(nil)
			return nil, err
		}},
	)
	for name, csv := range map[string]string{
		"empty":            "",
		"header only":      "a,y\n",
		"one row":          "a,y\n1,2\n",
		"one column":       "y\n1\n2\n",
		"ragged":           "a,b,y\n1,2,3\n4,5\n",
		"missing value":    "a,y\n1,\n2,3\n",
		"NaN":              "a,y\nNaN,1\n2,3\n",
		"Inf":              "a,y\n+Inf,1\n2,3\n",
		"overflow":         "a,y\n1e999,1\n2,3\n",
		"text":             "a,y\none,1\n2,3\n",
		"bare quote":       "a,y\n\"1,1\n2,3\n",
		"hex float":        "a,y\n0x1p-2,1\n2,3\n",
		"underscore":       "a,y\n1_0,1\n2,3\n",
		"1e308 and 1e-308": "a,y\n1e308,1e-308\n-1e308,3\n",
	} {
		ok := name == "hex float" || name == "underscore" || name == "1e308 and 1e-308"
		c := testutil.Case{Name: "ReadCSV/" + name, Call: func(context.Context) (func() error, error) {
			d, err := ReadCSV(strings.NewReader(csv))
			if err != nil {
				return nil, err
			}
			return func() error { return d.Validate() }, nil
		}}
		if !ok {
			c.Want = ErrFormat
		} else {
			c.Any = []error{ErrFormat}
		}
		cases = append(cases, c)
	}
	testutil.RunAdversarial(t, cases)
}

// TestAdversarialNilReceivers: every method of the exported pointer types
// on a nil receiver: no panic, errors match ErrInvalid.
func TestAdversarialNilReceivers(t *testing.T) {
	testutil.RunAdversarial(t, testutil.NilReceivers(ErrInvalid, (*Dataset)(nil), (*Scaler)(nil)))
}

// TestAdversarialZeroReceivers: every method of the exported pointer types
// on a pointer to their zero value: no panic, errors match ErrInvalid or
// ErrFormat.
func TestAdversarialZeroReceivers(t *testing.T) {
	testutil.RunAdversarial(t, testutil.ZeroReceivers(testutil.AnyOf(ErrInvalid, ErrFormat),
		(*Dataset)(nil), (*Scaler)(nil)))
}
