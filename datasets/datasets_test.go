package datasets

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLoadShapes(t *testing.T) {
	for name, want := range map[string][2]int{
		"diabetes": {442, 10}, "breast_cancer": {569, 30}, "digits": {1797, 64}, "wine": {178, 13},
	} {
		d, err := Load(name)
		require.NoError(t, err, name)
		r, c := d.X.Dims()
		assert.Equal(t, want, [2]int{r, c}, name)
		assert.Len(t, d.Y, want[0])
		assert.Len(t, d.Features, want[1])
	}
	// First diabetes target is 151 (the file's first row).
	d := MustLoad("diabetes")
	assert.Equal(t, 151.0, d.Y[0])
	_, err := Load("iris")
	assert.True(t, errors.Is(err, ErrUnknown))
}

func TestSplitAndStandardize(t *testing.T) {
	d := MustLoad("diabetes")
	tr, va := d.Split()
	assert.Equal(t, 148, va.Rows()) // ceil(442/3)
	assert.Equal(t, 294, tr.Rows())
	assert.Equal(t, d.Y[0], va.Y[0])
	assert.Equal(t, d.Y[3], va.Y[1])
	assert.Equal(t, d.Y[1], tr.Y[0])
	s, out, err := Standardize(true, tr, va)
	require.NoError(t, err)
	str := out[0]
	_, c := str.X.Dims()
	for j := range c {
		var m, v float64
		for i := range str.Rows() {
			m += str.X.At(i, j)
		}
		m /= float64(str.Rows())
		for i := range str.Rows() {
			v += (str.X.At(i, j) - m) * (str.X.At(i, j) - m)
		}
		assert.InDelta(t, 0, m, 1e-12)
		assert.InDelta(t, 1, v/float64(str.Rows()), 1e-12)
	}
	var ym float64
	for _, y := range str.Y {
		ym += y
	}
	assert.InDelta(t, 0, ym, 1e-9)
	assert.InDelta(t, va.Y[0]-s.YMean, out[1].Y[0], 1e-12)

	tr2, va2, te2 := d.SplitTest()
	assert.Equal(t, tr.Rows(), tr2.Rows())
	assert.Equal(t, va.Rows(), va2.Rows()+te2.Rows())
	assert.Equal(t, d.Y[3], te2.Y[0])
}

func TestBadCSV(t *testing.T) {
	_, err := ReadCSV(strings.NewReader("a,b,y\n1,,2\n3,4,5\n"))
	assert.True(t, errors.Is(err, ErrFormat))
	_, err = ReadCSV(strings.NewReader("a,b,y\n1,x,2\n3,4,5\n"))
	assert.True(t, errors.Is(err, ErrFormat))
	_, err = ReadCSV(strings.NewReader("a,b,y\n1,NaN,2\n3,4,5\n"))
	assert.True(t, errors.Is(err, ErrFormat))
	d, err := ReadCSV(strings.NewReader("a,b,y\n1,7,2\n3,7,5\n4,7,1\n"))
	require.NoError(t, err)
	_, err = Fit(d, true)
	assert.True(t, errors.Is(err, ErrConstant))
	_, err = Signs([]float64{1, 1, 1})
	assert.True(t, errors.Is(err, ErrFormat))
	s, err := Signs([]float64{0, 1})
	require.NoError(t, err)
	assert.Equal(t, []float64{-1, 1}, s)
	_, _, err = d.Folds(1)
	assert.Error(t, err)
	assert.False(t, math.IsNaN(d.Y[0]))
}
