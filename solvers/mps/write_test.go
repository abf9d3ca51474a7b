package mps

import (
	"bytes"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/optlayers/optlayers/sparse"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// roundTrip writes m, reads it back and returns the model read.
func roundTrip(t *testing.T, m *Model) *Model {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, Write(&buf, m))
	back, err := Read(&buf, nil)
	require.NoError(t, err, buf.String())
	return back
}

func TestRoundTripTestdata(t *testing.T) {
	files, err := filepath.Glob("testdata/*.[mq]ps")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			m, err := ReadFile(f, nil)
			require.NoError(t, err)
			if filepath.Base(f) == "fixed.mps" {
				// Names with blanks have no free-format form.
				assert.ErrorIs(t, Write(&bytes.Buffer{}, m), ErrInvalid)
				return
			}
			back := roundTrip(t, m)
			require.Equal(t, m, back)
			// And once more: the written text is a fixed point.
			var a, b bytes.Buffer
			require.NoError(t, Write(&a, m))
			require.NoError(t, Write(&b, back))
			assert.Equal(t, a.String(), b.String())
		})
	}
}

// TestWriteHandBuilt writes a model built in code that exercises every row
// and bound form, and reads it back.
func TestWriteHandBuilt(t *testing.T) {
	a, err := sparse.FromTriplets(5, 4,
		[]int{0, 1, 2, 3, 4, 0, 1},
		[]int{0, 1, 2, 0, 1, 3, 3},
		[]float64{1, 2, 3, 4, 5, 0.1, 0}, nil) // an explicit zero at (1, 3)
	require.NoError(t, err)
	q, err := sparse.SymFromTriplets(4, []int{0, 0, 3}, []int{0, 1, 3}, []float64{2, -1, 1e-300}, nil)
	require.NoError(t, err)
	m := &Model{
		Name: "hand built", Sense: Maximize, ObjConstant: -0.3,
		C:        []float64{1, 0, -2.5, 0},
		Q:        q,
		A:        a,
		RowLower: []float64{1, math.Inf(-1), 0.1, -1, math.Inf(-1)},
		RowUpper: []float64{1, 4, 0.30000000000000004, math.Inf(1), math.Inf(1)},
		ColLower: []float64{0, math.Inf(-1), -3, 0},
		ColUpper: []float64{math.Inf(1), -2, -1, -5e-324},
		RowNames: []string{"eq", "le", "rng", "ge", "free"},
		ColNames: []string{"a", "b", "c", "d"},
		Integer:  []bool{false, true, true, false},
	}
	back := roundTrip(t, m)
	m.ObjName = "obj" // filled in by Write
	assert.Equal(t, m, back)
}

func TestRowFormExact(t *testing.T) {
	cases := [][2]float64{{1, 2}, {0.1, 0.3}, {-1e-20, 1}, {1e-17, 1}, {-7, 1e19}, {3, 3.0000000000000004}, {-1e300, 1e300}}
	for _, c := range cases {
		k, r, g, has, err := rowForm(c[0], c[1])
		require.NoError(t, err)
		require.True(t, has)
		switch k {
		case 'L':
			assert.Equal(t, c[1], r)
			assert.Equal(t, c[0], r-math.Abs(g), "%v", c)
		case 'G':
			assert.Equal(t, c[0], r)
			assert.Equal(t, c[1], r+math.Abs(g), "%v", c)
		default:
			t.Fatalf("kind %c", k)
		}
	}
	_, _, _, _, err := rowForm(2, 1)
	assert.Error(t, err)
}

func TestWriteErrors(t *testing.T) {
	base := func() *Model {
		a, _ := sparse.FromTriplets(1, 1, []int{0}, []int{0}, []float64{1}, nil)
		return &Model{C: []float64{1}, A: a, RowLower: []float64{0}, RowUpper: []float64{1},
			ColLower: []float64{0}, ColUpper: []float64{1}, RowNames: []string{"r"}, ColNames: []string{"x"}, Integer: []bool{false}}
	}
	require.NoError(t, Write(&bytes.Buffer{}, base()))
	cases := map[string]struct {
		edit func(m *Model)
		want error
	}{
		"nil A":               {func(m *Model) { m.A = nil }, ErrInvalid},
		"short C":             {func(m *Model) { m.C = nil }, ErrDims},
		"short names":         {func(m *Model) { m.RowNames = nil }, ErrDims},
		"short integer":       {func(m *Model) { m.Integer = nil }, ErrDims},
		"NaN c":               {func(m *Model) { m.C[0] = math.NaN() }, ErrInvalid},
		"Inf constant":        {func(m *Model) { m.ObjConstant = math.Inf(1) }, ErrInvalid},
		"NaN bound":           {func(m *Model) { m.ColUpper[0] = math.NaN() }, ErrInvalid},
		"empty row":           {func(m *Model) { m.RowLower[0] = 2 }, ErrInvalid},
		"col +Inf lower":      {func(m *Model) { m.ColLower[0] = math.Inf(1) }, ErrInvalid},
		"blank in name":       {func(m *Model) { m.ColNames[0] = "x 1" }, ErrInvalid},
		"empty name":          {func(m *Model) { m.RowNames[0] = "" }, ErrInvalid},
		"objective clash":     {func(m *Model) { m.ObjName = "r" }, ErrInvalid},
		"bad sense":           {func(m *Model) { m.Sense = 5 }, ErrInvalid},
		"newline in NAME":     {func(m *Model) { m.Name = "a\nROWS" }, ErrInvalid},
		"comment name":        {func(m *Model) { m.ColNames[0] = "*x" }, ErrInvalid},
		"Q wrong size":        {func(m *Model) { m.Q, _ = sparse.SymFromTriplets(2, nil, nil, nil, nil) }, ErrDims},
		"row named as column": {func(m *Model) { m.RowNames = []string{"x"}; m.ObjName = "x" }, ErrInvalid},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			m := base()
			c.edit(m)
			var buf bytes.Buffer
			assert.ErrorIs(t, Write(&buf, m), c.want)
			assert.Zero(t, buf.Len(), "nothing written")
		})
	}
	assert.ErrorIs(t, Write(&bytes.Buffer{}, nil), ErrInvalid)
	two := func() *Model {
		a, _ := sparse.FromTriplets(2, 2, nil, nil, nil, nil)
		return &Model{C: []float64{0, 0}, A: a, RowLower: []float64{0, 0}, RowUpper: []float64{0, 0},
			ColLower: []float64{0, 0}, ColUpper: []float64{1, 1}, RowNames: []string{"r", "s"}, ColNames: []string{"x", "y"}, Integer: []bool{false, false}}
	}
	m := two()
	m.ColNames[1] = "x"
	assert.ErrorIs(t, Write(&bytes.Buffer{}, m), ErrInvalid, "duplicate column name")
	m = two()
	m.RowNames[1] = "r"
	assert.ErrorIs(t, Write(&bytes.Buffer{}, m), ErrInvalid, "duplicate row name")
	assert.Error(t, Write(failWriter{}, base()))
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, os.ErrClosed }

// modelsEqual compares two models field by field (float equality by ==, so
// −0 = 0).
func modelsEqual(a, b *Model) bool { return assert.ObjectsAreEqual(a, b) }

// syntheticModel builds a banded QP with n columns, 3 entries per column
// and a diagonal-plus-band Q, the size of the largest Maros–Mészáros files
// at n = 100000.
func syntheticModel(n int) *Model {
	var ri, ci []int
	var v []float64
	var qi, qj []int
	var qv []float64
	m := n / 2
	for j := 0; j < n; j++ {
		for k := 0; k < 3; k++ {
			ri, ci, v = append(ri, (j/2+k)%m), append(ci, j), append(v, float64(k+1)/7)
		}
		qi, qj, qv = append(qi, j), append(qj, j), append(qv, 1+float64(j%5))
		if j > 0 {
			qi, qj, qv = append(qi, j-1), append(qj, j), append(qv, -0.1)
		}
	}
	a, _ := sparse.FromTriplets(m, n, ri, ci, v, nil)
	q, _ := sparse.SymFromTriplets(n, qi, qj, qv, nil)
	md := &Model{Name: "SYNTH", ObjName: "obj", A: a, Q: q,
		C: make([]float64, n), ColLower: make([]float64, n), ColUpper: make([]float64, n),
		RowLower: make([]float64, m), RowUpper: make([]float64, m),
		ColNames: make([]string, n), RowNames: make([]string, m), Integer: make([]bool, n)}
	for j := range md.C {
		md.C[j] = float64(j%11) - 5.5
		md.ColLower[j], md.ColUpper[j] = -1, float64(j%3)+0.25
		md.ColNames[j] = "x" + strconv.Itoa(j)
	}
	for i := range md.RowLower {
		md.RowLower[i], md.RowUpper[i] = float64(i%4)-3, float64(i%4)+1.5
		md.RowNames[i] = "c" + strconv.Itoa(i)
	}
	return md
}

// BenchmarkRead reads (and BenchmarkWrite writes) a synthetic 50000×100000
// QP with 300000 matrix and 200000 Q entries from memory, about 21 MB of
// free-format text.
func BenchmarkRead(b *testing.B) {
	var buf bytes.Buffer
	if err := Write(&buf, syntheticModel(100000)); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(buf.Len()))
	for b.Loop() {
		if _, err := Read(bytes.NewReader(buf.Bytes()), nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkWrite(b *testing.B) {
	m := syntheticModel(100000)
	for b.Loop() {
		if err := Write(io.Discard, m); err != nil {
			b.Fatal(err)
		}
	}
}

func TestSyntheticRoundTrip(t *testing.T) {
	m := syntheticModel(200)
	require.Equal(t, m, roundTrip(t, m))
}
