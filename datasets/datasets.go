package datasets

import (
	"bytes"
	"embed"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"gonum.org/v1/gonum/mat"
)

//go:embed *.csv
var files embed.FS

// Errors returned by this package.
var (
	// ErrUnknown reports a dataset name that is not embedded.
	ErrUnknown = errors.New("datasets: unknown dataset")
	// ErrFormat reports a malformed CSV: ragged rows, missing or
	// non-numeric values, too few rows or columns.
	ErrFormat = errors.New("datasets: malformed data")
	// ErrConstant reports a feature with zero training variance, which
	// cannot be standardized.
	ErrConstant = errors.New("datasets: constant feature")
	// ErrInvalid reports an invalid argument: a nil reader, Dataset or
	// Scaler, or a row index out of range.
	ErrInvalid = errors.New("datasets: invalid argument")
)

// Names lists the embedded datasets.
var Names = []string{"breast_cancer", "diabetes", "digits", "wine"}

// Dataset is a feature matrix with one target per row.
type Dataset struct {
	Name     string
	Features []string
	// X is rows × features.
	X *mat.Dense
	// Y holds the targets (class labels as 0, 1, … for classification).
	Y []float64
}

// Rows returns the number of rows (0 for a nil Dataset).
func (d *Dataset) Rows() int {
	if d == nil {
		return 0
	}
	return len(d.Y)
}

// Validate reports a Dataset that the functions of this package cannot
// use: nil (ErrInvalid), or X and Y of different lengths, Features not
// naming every column, or a NaN or Inf value (ErrFormat). A Dataset with
// no rows (X empty, Y nil) is valid.
func (d *Dataset) Validate() error {
	if d == nil {
		return fmt.Errorf("%w: nil Dataset", ErrInvalid)
	}
	if d.X == nil || d.X.IsEmpty() {
		if len(d.Y) != 0 {
			return fmt.Errorf("%w: no feature matrix for %d targets", ErrFormat, len(d.Y))
		}
		return nil
	}
	r, c := d.X.Dims()
	if r != len(d.Y) {
		return fmt.Errorf("%w: X has %d rows, Y has %d values", ErrFormat, r, len(d.Y))
	}
	if d.Features != nil && len(d.Features) != c {
		return fmt.Errorf("%w: %d feature names for %d columns", ErrFormat, len(d.Features), c)
	}
	for i := range r {
		for j := range c {
			if v := d.X.At(i, j); math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("%w: X[%d,%d] = %v", ErrFormat, i, j, v)
			}
		}
		if v := d.Y[i]; math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("%w: Y[%d] = %v", ErrFormat, i, v)
		}
	}
	return nil
}

// cols returns the number of feature columns (0 when X is empty).
func (d *Dataset) cols() int {
	if d.X == nil || d.X.IsEmpty() {
		return 0
	}
	_, c := d.X.Dims()
	return c
}

// Load returns the embedded dataset with the given name.
func Load(name string) (*Dataset, error) {
	b, err := files.ReadFile(name + ".csv")
	if err != nil {
		return nil, fmt.Errorf("%w: %q (have %s)", ErrUnknown, name, strings.Join(Names, ", "))
	}
	d, err := ReadCSV(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	d.Name = name
	return d, nil
}

// MustLoad is Load for the embedded datasets, which are known to parse; it
// panics on an unknown name.
func MustLoad(name string) *Dataset {
	d, err := Load(name)
	if err != nil {
		panic(err)
	}
	return d
}

// ReadCSV parses a CSV with a header row whose last column is the target.
// Every value must be a finite number; an empty field is a missing value
// and an error. A nil r gives ErrInvalid.
func ReadCSV(r io.Reader) (*Dataset, error) {
	if r == nil {
		return nil, fmt.Errorf("%w: nil reader", ErrInvalid)
	}
	cr := csv.NewReader(r)
	cr.TrimLeadingSpace = true
	recs, err := cr.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrFormat, err)
	}
	if len(recs) < 3 {
		return nil, fmt.Errorf("%w: need a header and at least two rows, have %d lines", ErrFormat, len(recs))
	}
	header := recs[0]
	cols := len(header)
	if cols < 2 {
		return nil, fmt.Errorf("%w: need at least one feature and a target column", ErrFormat)
	}
	rows := recs[1:]
	x := mat.NewDense(len(rows), cols-1, nil)
	y := make([]float64, len(rows))
	for i, rec := range rows {
		for j, s := range rec {
			s = strings.TrimSpace(s)
			if s == "" {
				return nil, fmt.Errorf("%w: missing value at row %d, column %q", ErrFormat, i+1, header[j])
			}
			v, err := strconv.ParseFloat(s, 64)
			if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("%w: value %q at row %d, column %q is not a finite number", ErrFormat, s, i+1, header[j])
			}
			if j == cols-1 {
				y[i] = v
			} else {
				x.Set(i, j, v)
			}
		}
	}
	return &Dataset{Features: append([]string(nil), header[:cols-1]...), X: x, Y: y}, nil
}

// Subset returns the rows with the given indices (copied). An index out
// of range gives ErrInvalid, a Dataset that fails Validate its error.
func (d *Dataset) Subset(idx []int) (*Dataset, error) {
	if err := d.Validate(); err != nil {
		return nil, err
	}
	for _, i := range idx {
		if i < 0 || i >= d.Rows() {
			return nil, fmt.Errorf("%w: row index %d of %d rows", ErrInvalid, i, d.Rows())
		}
	}
	return d.subset(idx), nil
}

// subset is Subset on a valid Dataset and indices.
func (d *Dataset) subset(idx []int) *Dataset {
	c := d.cols()
	out := &Dataset{Name: d.Name, Features: d.Features, Y: make([]float64, len(idx))}
	if len(idx) == 0 || c == 0 {
		out.X = &mat.Dense{}
		return out
	}
	out.X = mat.NewDense(len(idx), c, nil)
	for k, i := range idx {
		out.X.SetRow(k, d.X.RawRowView(i))
		out.Y[k] = d.Y[i]
	}
	return out
}

// Split returns the training rows (index % 3 != 0) and validation rows
// (index % 3 == 0), unstandardized. A Dataset that fails Validate gives
// nil, nil.
func (d *Dataset) Split() (train, val *Dataset) {
	if d.Validate() != nil {
		return nil, nil
	}
	var tr, va []int
	for i := range d.Rows() {
		if i%3 == 0 {
			va = append(va, i)
		} else {
			tr = append(tr, i)
		}
	}
	return d.subset(tr), d.subset(va)
}

// SplitTest returns training rows (index % 3 != 0), validation rows
// (index % 6 == 0) and test rows (index % 6 == 3), for honest test figures
// of models with many hyperparameters. A Dataset that fails Validate
// gives nils.
func (d *Dataset) SplitTest() (train, val, test *Dataset) {
	if d.Validate() != nil {
		return nil, nil, nil
	}
	var tr, va, te []int
	for i := range d.Rows() {
		switch {
		case i%6 == 0:
			va = append(va, i)
		case i%6 == 3:
			te = append(te, i)
		default:
			tr = append(tr, i)
		}
	}
	return d.subset(tr), d.subset(va), d.subset(te)
}

// Folds returns K cross-validation folds of d's rows: fold k holds the rows
// with index % K == k as validation and the rest as training.
func (d *Dataset) Folds(k int) (train, val []*Dataset, err error) {
	if err := d.Validate(); err != nil {
		return nil, nil, err
	}
	if k < 2 || k > d.Rows() {
		return nil, nil, fmt.Errorf("%w: %d folds of %d rows", ErrFormat, k, d.Rows())
	}
	for f := range k {
		var tr, va []int
		for i := range d.Rows() {
			if i%k == f {
				va = append(va, i)
			} else {
				tr = append(tr, i)
			}
		}
		train = append(train, d.subset(tr))
		val = append(val, d.subset(va))
	}
	return train, val, nil
}

// Scaler holds training statistics: per-feature mean and population
// standard deviation, and the target mean (zero when the target is not
// centered).
type Scaler struct {
	Mean, Std []float64
	YMean     float64
}

// Fit computes the statistics of train. With centerY the target mean is
// recorded for centering (regression). A feature with zero variance gives
// ErrConstant; a Dataset that fails Validate its error, and statistics
// that overflow (values near 1e308) ErrFormat.
func Fit(train *Dataset, centerY bool) (*Scaler, error) {
	if err := train.Validate(); err != nil {
		return nil, err
	}
	r, c := train.Rows(), train.cols()
	if r == 0 || c == 0 {
		return nil, fmt.Errorf("%w: no training rows", ErrFormat)
	}
	s := &Scaler{Mean: make([]float64, c), Std: make([]float64, c)}
	for j := range c {
		var m float64
		for i := range r {
			m += train.X.At(i, j)
		}
		m /= float64(r)
		var v float64
		for i := range r {
			d := train.X.At(i, j) - m
			v += d * d
		}
		sd := math.Sqrt(v / float64(r))
		if math.IsInf(m, 0) || math.IsInf(sd, 0) || math.IsNaN(sd) {
			return nil, fmt.Errorf("%w: the mean or spread of column %d (%s) overflows; rescale the data", ErrFormat, j, nameOf(train.Features, j))
		}
		if sd <= 1e-12*math.Max(1, math.Abs(m)) {
			return nil, fmt.Errorf("%w: column %d (%s) has zero variance on the training rows", ErrConstant, j, nameOf(train.Features, j))
		}
		s.Mean[j], s.Std[j] = m, sd
	}
	if centerY {
		for _, y := range train.Y {
			s.YMean += y
		}
		s.YMean /= float64(r)
		if math.IsInf(s.YMean, 0) || math.IsNaN(s.YMean) {
			return nil, fmt.Errorf("%w: the target mean overflows; rescale the data", ErrFormat)
		}
	}
	return s, nil
}

func nameOf(names []string, j int) string {
	if j < len(names) {
		return names[j]
	}
	return strconv.Itoa(j)
}

// Transform returns a standardized copy of d. A nil or malformed Scaler
// (Mean and Std of different lengths, a Std that is not finite and
// positive) gives ErrInvalid; a Dataset that fails Validate its error, one
// with another number of columns than the Scaler, or standardized values
// that overflow, ErrFormat.
func (s *Scaler) Transform(d *Dataset) (*Dataset, error) {
	if s == nil || len(s.Mean) != len(s.Std) {
		return nil, fmt.Errorf("%w: nil or malformed Scaler", ErrInvalid)
	}
	for j, sd := range s.Std {
		if !(sd > 0) || math.IsInf(sd, 1) || math.IsNaN(s.Mean[j]) || math.IsInf(s.Mean[j], 0) {
			return nil, fmt.Errorf("%w: Scaler column %d has mean %v, std %v", ErrInvalid, j, s.Mean[j], sd)
		}
	}
	if math.IsNaN(s.YMean) || math.IsInf(s.YMean, 0) {
		return nil, fmt.Errorf("%w: Scaler target mean %v", ErrInvalid, s.YMean)
	}
	if err := d.Validate(); err != nil {
		return nil, err
	}
	r, c := d.Rows(), d.cols()
	out := &Dataset{Name: d.Name, Features: d.Features, X: &mat.Dense{}, Y: make([]float64, r)}
	if r == 0 {
		return out, nil
	}
	if c != len(s.Mean) {
		return nil, fmt.Errorf("%w: data with %d columns, Scaler fitted on %d", ErrFormat, c, len(s.Mean))
	}
	out.X = mat.DenseCopyOf(d.X)
	for i := range r {
		row := out.X.RawRowView(i)
		for j := range c {
			row[j] = (row[j] - s.Mean[j]) / s.Std[j]
			if math.IsInf(row[j], 0) {
				return nil, fmt.Errorf("%w: standardized X[%d,%d] overflows", ErrFormat, i, j)
			}
		}
		out.Y[i] = d.Y[i] - s.YMean
		if math.IsInf(out.Y[i], 0) {
			return nil, fmt.Errorf("%w: centered Y[%d] overflows", ErrFormat, i)
		}
	}
	return out, nil
}

// Standardize fits a Scaler on train and applies it to train and to every
// other given set. centerY centers the target (regression).
func Standardize(centerY bool, train *Dataset, others ...*Dataset) (*Scaler, []*Dataset, error) {
	s, err := Fit(train, centerY)
	if err != nil {
		return nil, nil, err
	}
	out := make([]*Dataset, 0, 1+len(others))
	for k, d := range append([]*Dataset{train}, others...) {
		t, err := s.Transform(d)
		if err != nil {
			if k > 0 {
				return nil, nil, fmt.Errorf("set %d: %w", k, err)
			}
			return nil, nil, err
		}
		out = append(out, t)
	}
	return s, out, nil
}

// Signs maps 0/1 labels to −1/+1, for binary classification losses. Labels
// other than 0 and 1 give ErrFormat, as does a single class.
func Signs(y []float64) ([]float64, error) {
	out := make([]float64, len(y))
	var pos, neg int
	for i, v := range y {
		switch v {
		case 0:
			out[i] = -1
			neg++
		case 1:
			out[i] = 1
			pos++
		default:
			return nil, fmt.Errorf("%w: label %v at row %d is not 0 or 1", ErrFormat, v, i)
		}
	}
	if pos == 0 || neg == 0 {
		return nil, fmt.Errorf("%w: only one class present", ErrFormat)
	}
	return out, nil
}
