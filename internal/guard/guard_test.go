package guard

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/internal/parallel"
)

var errSentinel = errors.New("callback")

func panics(v any) (err error) {
	defer Recover(&err, errSentinel)
	panic(v)
}

func returns(e error) (err error) {
	defer Recover(&err, errSentinel)
	return e
}

func TestRecover(t *testing.T) {
	boom := errors.New("boom")
	err := panics(boom)
	require.ErrorIs(t, err, errSentinel)
	require.ErrorIs(t, err, boom, "an error value stays visible")
	var pe *parallel.PanicError
	require.ErrorAs(t, err, &pe)
	assert.NotEmpty(t, pe.Stack)
	err = panics("text")
	require.ErrorIs(t, err, errSentinel)
	assert.Contains(t, err.Error(), "text")
	other := errors.New("other")
	assert.Equal(t, other, returns(other), "no panic: the error is untouched")
	assert.NoError(t, returns(nil))
}

func TestIsNil(t *testing.T) {
	var p *int
	var f func()
	var m map[int]int
	var s []int
	var e error
	for _, v := range []any{nil, p, f, m, s, e} {
		assert.True(t, IsNil(v), "%T", v)
	}
	x := 1
	for _, v := range []any{0, "", &x, struct{}{}, []int{}} {
		assert.False(t, IsNil(v), "%T", v)
	}
	var d *mat.Dense
	assert.True(t, IsNilMatrix(nil))
	assert.True(t, IsNilMatrix(d))
	assert.False(t, IsNilMatrix(mat.NewDense(1, 1, nil)))
	var sym *mat.SymDense
	assert.False(t, IsNilMatrix(sym), "only a nil *mat.Dense is recognised")
}
