package mps

import (
	"bytes"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/optlayers/optlayers/sparse"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// csc builds a CSC from a dense row-major listing (zeros are not stored).
func csc(t *testing.T, rows, cols int, dense []float64) *sparse.CSC {
	t.Helper()
	var ri, ci []int
	var v []float64
	for i := 0; i < rows; i++ {
		for j := 0; j < cols; j++ {
			if x := dense[i*cols+j]; x != 0 {
				ri, ci, v = append(ri, i), append(ci, j), append(v, x)
			}
		}
	}
	a, err := sparse.FromTriplets(rows, cols, ri, ci, v, nil)
	require.NoError(t, err)
	return a
}

func filled(n int, v float64) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = v
	}
	return s
}

func TestReadRanges(t *testing.T) {
	m, err := ReadFile("testdata/ranges.mps", nil)
	require.NoError(t, err)
	want := &Model{
		Name: "RANGES", ObjName: "cost", Sense: Maximize, ObjConstant: 10,
		C: []float64{1.5, -2},
		A: csc(t, 9, 2, []float64{
			1, 0, // e_pos
			1, 0, // e_neg
			1, 0, // e_zero
			1, 0, // l_pos
			1, 0, // l_neg
			1, 0, // g_pos
			1, 0, // g_neg
			7, 0, // spare (free row, kept)
			0, 3, // e_plain
		}),
		//            e_pos e_neg e_zero l_pos l_neg g_pos g_neg spare e_plain
		RowLower: []float64{4, 2, 4, 1, 1, 4, 4, -inf, 0},
		RowUpper: []float64{6, 4, 4, 4, 4, 6.5, 6.5, inf, 0},
		ColLower: []float64{0, 0},
		ColUpper: []float64{inf, inf},
		RowNames: []string{"e_pos", "e_neg", "e_zero", "l_pos", "l_neg", "g_pos", "g_neg", "spare", "e_plain"},
		ColNames: []string{"x", "y"},
		Integer:  []bool{false, false},
	}
	assert.Equal(t, want, m)

	// Dropping the free row removes it and its coefficient.
	d, err := ReadFile("testdata/ranges.mps", &ReadSettings{DropFreeRows: true})
	require.NoError(t, err)
	assert.Equal(t, 8, d.NumRows())
	assert.NotContains(t, d.RowNames, "spare")
	assert.Equal(t, 8, d.A.NNZ())
	assert.Equal(t, []float64{6.5, 0}, d.RowUpper[6:])

	// Minimized negates the objective and nothing else.
	mn := m.Minimized()
	assert.Equal(t, Minimize, mn.Sense)
	assert.Equal(t, -10.0, mn.ObjConstant)
	assert.Equal(t, []float64{-1.5, 2}, mn.C)
	assert.Equal(t, []float64{1.5, -2}, m.C, "original untouched")
	assert.Same(t, m.A, mn.A)
}

func TestReadBounds(t *testing.T) {
	m, err := ReadFile("testdata/bounds.mps", nil)
	require.NoError(t, err)
	names := []string{"up_neg", "up_neg_lo0", "up_neg_after_mi", "up_pos", "mi", "pl", "int_default", "bv",
		"li", "ui", "fr", "fx", "lo_up", "empty", "default"}
	n := len(names)
	a := filled(n, 1)
	a[13] = 0 // empty has no matrix entry
	c := make([]float64, n)
	c[0] = 1
	integer := make([]bool, n)
	integer[6], integer[7], integer[8], integer[9] = true, true, true, true
	want := &Model{
		Name: "bounds test", ObjName: "obj", Sense: Maximize,
		C: c, A: csc(t, 1, n, a),
		RowLower: []float64{-inf}, RowUpper: []float64{10},
		//                   up_neg up_neg_lo0 after_mi up_pos mi   pl int bv  li  ui fr   fx   lo_up empty default
		ColLower: []float64{-inf, 0, -inf, 0, -inf, 0, 0, 0, -3, 0, -inf, 2.5, -inf, 0, 0},
		ColUpper: []float64{-4, -4, -4, 4, inf, inf, inf, 1, inf, 8, inf, 2.5, inf, 3, inf},
		RowNames: []string{"c1"}, ColNames: names, Integer: integer,
	}
	assert.Equal(t, want, m)
	r, _ := m.A.Col(13)
	assert.Empty(t, r, "a column without entries")

	// Marker integers without BOUNDS lines become binary on request only.
	b, err := ReadFile("testdata/bounds.mps", &ReadSettings{MarkerIntegersBinary: true})
	require.NoError(t, err)
	want.ColUpper[6] = 1 // int_default; bv, li, ui have BOUNDS lines
	assert.Equal(t, want, b)
	var buf bytes.Buffer
	require.NoError(t, Write(&buf, m))
	assert.Contains(t, buf.String(), " PL bnd int_default\n")
	back, err := Read(&buf, &ReadSettings{MarkerIntegersBinary: true})
	require.NoError(t, err)
	assert.Equal(t, m, back, "the PL line keeps [0, +∞) under the binary convention")
}

func TestReadFixedFormat(t *testing.T) {
	want := &Model{
		Name: "FIXED EX", ObjName: "COST", ObjConstant: -2,
		C: []float64{1, -1, 0},
		A: csc(t, 3, 3, []float64{
			1, 0, 1, // LIM 1
			0, 1, -1, // LIM 2
			2, -1.5, 0, // MY ROW
		}),
		RowLower: []float64{-inf, -1, 0.5},
		RowUpper: []float64{4, 2, 0.5},
		ColLower: []float64{0, -inf, 1.25},
		ColUpper: []float64{4, inf, 1.25},
		RowNames: []string{"LIM 1", "LIM 2", "MY ROW"},
		ColNames: []string{"X 1", "X 2", "X 3"},
		Integer:  []bool{false, false, false},
	}
	q, err := sparse.SymFromTriplets(3, []int{0, 0, 1}, []int{0, 1, 1}, []float64{2, -1, 4}, nil)
	require.NoError(t, err)
	want.Q = q
	for _, f := range []Format{FormatAuto, FormatFixed} {
		m, err := ReadFile("testdata/fixed.mps", &ReadSettings{Format: f})
		require.NoError(t, err)
		assert.Equal(t, want, m)
	}
	_, err = ReadFile("testdata/fixed.mps", &ReadSettings{Format: FormatFree})
	assert.ErrorIs(t, err, ErrFormat, "names with blanks are not free format")

	// A fixed-format file without blanks in names reads the same both ways.
	text := "NAME          T\nROWS\n N  OBJ\n E  R1\nCOLUMNS\n    X1        OBJ                  1   R1                   2\nRHS\n    RHS       R1                   4\nENDATA\n"
	a, err := Read(strings.NewReader(text), &ReadSettings{Format: FormatFixed})
	require.NoError(t, err)
	b, err := Read(strings.NewReader(text), &ReadSettings{Format: FormatFree})
	require.NoError(t, err)
	assert.Equal(t, a, b)
	assert.Equal(t, []float64{4}, a.RowLower)
}

const qHead = "NAME q\nROWS\n N obj\nCOLUMNS\n x obj 1\n y obj 1\n"

func TestReadQuadraticSections(t *testing.T) {
	want, err := sparse.SymFromTriplets(2, []int{0, 0, 1}, []int{0, 1, 1}, []float64{2, -1, 3}, nil)
	require.NoError(t, err)
	for name, body := range map[string]string{
		"QUADOBJ upper":  "QUADOBJ\n x x 2\n x y -1\n y y 3\n",
		"QUADOBJ lower":  "QUADOBJ\n x x 2\n y x -1\n y y 3\n",
		"QSECTION":       "QSECTION obj\n x x 2\n x y -1\n y y 3\n",
		"QSECTION plain": "QSECTION\n y y 3\n x x 2\n x y -1\n",
		"QMATRIX":        "QMATRIX\n x x 2\n x y -1\n y x -1\n y y 3\n",
	} {
		t.Run(name, func(t *testing.T) {
			m, err := Read(strings.NewReader(qHead+body+"ENDATA\n"), nil)
			require.NoError(t, err)
			assert.Equal(t, want, m.Q)
		})
	}
	m, err := Read(strings.NewReader(qHead+"QUADOBJ\nENDATA\n"), nil)
	require.NoError(t, err)
	assert.Nil(t, m.Q, "an empty QUADOBJ is a linear model")
}

func TestReadGzipAndSettings(t *testing.T) {
	plain, err := ReadFile("testdata/HS21.qps", nil)
	require.NoError(t, err)
	gz, err := ReadFile("testdata/HS21.qps.gz", nil)
	require.NoError(t, err)
	assert.Equal(t, plain, gz)

	// Infinity threshold is configurable.
	text := qHead + "BOUNDS\n UP bnd x 1e15\nENDATA\n"
	m, err := Read(strings.NewReader(text), nil)
	require.NoError(t, err)
	assert.Equal(t, 1e15, m.ColUpper[0])
	m, err = Read(strings.NewReader(text), &ReadSettings{Infinity: 1e10})
	require.NoError(t, err)
	assert.Equal(t, inf, m.ColUpper[0])
	_, err = Read(strings.NewReader(text), &ReadSettings{Infinity: -1})
	assert.ErrorIs(t, err, ErrInvalid)
	_, err = Read(strings.NewReader(text), &ReadSettings{Infinity: math.NaN()})
	assert.ErrorIs(t, err, ErrInvalid)
	_, err = Read(strings.NewReader(text), &ReadSettings{Format: 9})
	assert.ErrorIs(t, err, ErrInvalid)
	_, err = ReadFile("testdata/does-not-exist.mps", nil)
	assert.Error(t, err)
	_, err = Read(strings.NewReader("\x1f\x8bnot gzip"), nil)
	assert.ErrorIs(t, err, ErrFormat)

	// The words Inf and Infinity are infinite bounds.
	m, err = Read(strings.NewReader(qHead+"BOUNDS\n UP b x Infinity\n LO b y -inf\n UP b y INF\nENDATA\n"), nil)
	require.NoError(t, err)
	assert.Equal(t, []float64{0, -inf}, m.ColLower)
	assert.Equal(t, []float64{inf, inf}, m.ColUpper)

	// OBJNAME picks the objective among several N rows.
	m, err = Read(strings.NewReader("NAME\nOBJNAME second\nROWS\n N first\n N second\nCOLUMNS\n x first 1 second 2\nENDATA\n"), nil)
	require.NoError(t, err)
	assert.Equal(t, "second", m.ObjName)
	assert.Equal(t, []float64{2}, m.C)
	assert.Equal(t, []string{"first"}, m.RowNames)
	// No objective row at all: a feasibility problem.
	m, err = Read(strings.NewReader("NAME\nROWS\n E r\nCOLUMNS\n x r 1\nRHS\n r 1\nENDATA\n"), nil)
	require.NoError(t, err)
	assert.Equal(t, "", m.ObjName)
	assert.Equal(t, []float64{0}, m.C)
	// A long NAME line and extra words after other headers.
	m, err = Read(strings.NewReader("NAME a b c d e f g h i j\nROWS\n N obj\nCOLUMNS\n x obj 1\nRHS\nENDATA\n"), nil)
	require.NoError(t, err)
	assert.Equal(t, "a b c d e f g h i j", m.Name)

	// Comments, blank lines, CRLF line ends, lower-case bound and row types.
	m, err = Read(strings.NewReader("* c\r\nNAME t\r\n\r\nROWS\r\n n obj\r\n g r\r\n   \r\nCOLUMNS\r\n x obj 1 r 1\r\nBOUNDS\r\n up b x 3\r\nENDATA\r\n"), nil)
	require.NoError(t, err)
	assert.Equal(t, []float64{3}, m.ColUpper)
	assert.Equal(t, []float64{0}, m.RowLower)
	// RHS and BOUNDS of a second vector are ignored: the first one is used.
	m, err = Read(strings.NewReader(qHead+"RHS\nBOUNDS\n UP b1 x 3\n UP b2 x 5\n UP b2 y 5\nENDATA\n"), nil)
	require.NoError(t, err)
	assert.Equal(t, []float64{3, inf}, m.ColUpper)
}

// TestReadErrors: each malformed file gives ErrFormat with the right line.
func TestReadErrors(t *testing.T) {
	cases := []struct {
		name, text string
		line       int
		token      string
	}{
		{"empty", "", 0, ""},
		{"no ENDATA", qHead, 0, ""},
		{"no ROWS", "NAME\nCOLUMNS\nENDATA\n", 2, "COLUMNS"},
		{"no COLUMNS", "NAME\nROWS\n N obj\nENDATA\n", 4, "ENDATA"},
		{"unknown section", qHead + "FOO\nENDATA\n", 7, "FOO"},
		{"data before section", " x y 1\n", 1, "x"},
		{"section twice", qHead + "RHS\nRHS\nENDATA\n", 8, "RHS"},
		{"NAME late", "ROWS\nNAME x\n", 2, "NAME"},
		{"bad row type", "NAME\nROWS\n X r\n", 3, "X"},
		{"duplicate row", "NAME\nROWS\n N obj\n E r\n L r\n", 5, "r"},
		{"row line fields", "NAME\nROWS\n E r s\n", 3, "s"},
		{"unknown row", qHead + " z nope 1\nENDATA\n", 7, "nope"},
		{"duplicate column", qHead + " x obj 2\nENDATA\n", 7, "x"},
		{"duplicate entry", "NAME\nROWS\n N obj\n E r\nCOLUMNS\n x r 1 r 2\nENDATA\n", 6, "r"},
		{"bad number", qHead + " z obj 1.2.3\nENDATA\n", 7, "1.2.3"},
		{"NaN coefficient", qHead + " z obj NaN\nENDATA\n", 7, "NaN"},
		{"Inf coefficient", qHead + " z obj Inf\nENDATA\n", 7, "Inf"},
		{"overflow", qHead + " z obj 1e999\nENDATA\n", 7, "1e999"},
		{"columns fields", qHead + " z obj 1 obj\nENDATA\n", 7, "obj"},
		{"INTEND alone", qHead + " M 'MARKER' 'INTEND'\nENDATA\n", 7, "'INTEND'"},
		{"INTORG open", qHead + " M 'MARKER' 'INTORG'\nENDATA\n", 8, "ENDATA"},
		{"bad marker", qHead + " M 'MARKER' 'FOO'\nENDATA\n", 7, "'MARKER'"},
		{"RHS unknown row", qHead + "RHS\n rhs nope 1\nENDATA\n", 8, "nope"},
		{"RHS twice", "NAME\nROWS\n E r\nCOLUMNS\n x r 1\nRHS\n r 1\n r 2\nENDATA\n", 8, "r"},
		{"RHS NaN", "NAME\nROWS\n E r\nCOLUMNS\n x r 1\nRHS\n r nan\nENDATA\n", 7, "nan"},
		{"RHS fields", qHead + "RHS\n a b c d e f\nENDATA\n", 8, "f"},
		{"RANGES on N", qHead + "RANGES\n rng obj 1\nENDATA\n", 8, "obj"},
		{"RANGES twice", "NAME\nROWS\n E r\nCOLUMNS\n x r 1\nRANGES\n r 1\n r 2\nENDATA\n", 8, "r"},
		{"E row infinite", "NAME\nROWS\n E r\nCOLUMNS\n x r 1\nRHS\n r 1e30\nENDATA\n", 0, "r"},
		{"bound unknown column", qHead + "BOUNDS\n UP b nope 1\nENDATA\n", 8, "nope"},
		{"bound type", qHead + "BOUNDS\n XX b x 1\nENDATA\n", 8, "XX"},
		{"bound no value", qHead + "BOUNDS\n UP x\nENDATA\n", 8, "x"},
		{"bound NaN", qHead + "BOUNDS\n UP b x NaN\nENDATA\n", 8, "NaN"},
		{"bound fields", qHead + "BOUNDS\n UP b x 1 2\nENDATA\n", 8, "2"},
		{"LO +inf", qHead + "BOUNDS\n LO b x 1e30\nENDATA\n", 8, "1e30"},
		{"UP -inf", qHead + "BOUNDS\n UP b x -1e30\nENDATA\n", 8, "-1e30"},
		{"FX inf", qHead + "BOUNDS\n FX b x 1e30\nENDATA\n", 8, "1e30"},
		{"quad unknown column", qHead + "QUADOBJ\n x nope 1\nENDATA\n", 8, "nope"},
		{"quad fields", qHead + "QUADOBJ\n x y\nENDATA\n", 8, "y"},
		{"quad NaN", qHead + "QUADOBJ\n x y NaN\nENDATA\n", 8, "NaN"},
		{"quad duplicate", qHead + "QUADOBJ\n x y 1\n y x 1\nENDATA\n", 0, ""},
		{"QMATRIX asymmetric", qHead + "QMATRIX\n x y 1\n y x 2\nENDATA\n", 0, "x y"},
		{"QMATRIX one side", qHead + "QMATRIX\n x y 1\nENDATA\n", 0, "x y"},
		{"two quad sections", qHead + "QUADOBJ\n x x 1\nQMATRIX\nENDATA\n", 9, "QMATRIX"},
		{"QSECTION unknown row", qHead + "QSECTION nope\nENDATA\n", 7, "nope"},
		{"QSECTION constraint", "NAME\nROWS\n N obj\n E r\nCOLUMNS\n x r 1\nQSECTION r\nENDATA\n", 7, "r"},
		{"RHS before COLUMNS", "NAME\nROWS\n N obj\nRHS\n", 4, "RHS"},
		{"OBJSENSE value", "NAME\nOBJSENSE UP\n", 2, "UP"},
		{"OBJSENSE missing", "NAME\nOBJSENSE\nROWS\n", 3, "ROWS"},
		{"OBJSENSE extra", "NAME\nOBJSENSE\n MAX\n MIN\n", 4, "MIN"},
		{"OBJNAME unknown", "NAME\nOBJNAME z\nROWS\n N obj\nCOLUMNS\n x obj 1\nENDATA\n", 0, "z"},
		{"too many fields", qHead + " a b c d e f g h i\nENDATA\n", 7, "i"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Read(strings.NewReader(c.text), &ReadSettings{Format: FormatFree})
			require.ErrorIs(t, err, ErrFormat)
			var fe *FormatError
			require.True(t, errors.As(err, &fe))
			assert.Equal(t, c.line, fe.Line, err.Error())
			if c.token != "" {
				assert.Equal(t, c.token, fe.Token, err.Error())
			}
			// Auto detection fails too, with an ErrFormat.
			_, err = Read(strings.NewReader(c.text), nil)
			assert.ErrorIs(t, err, ErrFormat)
		})
	}
}

// TestReadMarkers: MIPLIB-style fixed-format markers (quoted keywords in
// fields 4 and 6) and a row that is really called MARKER.
func TestReadMarkers(t *testing.T) {
	text := "NAME          MIP\n" +
		"ROWS\n" +
		" N  COST\n" +
		" L  MARKER\n" +
		"COLUMNS\n" +
		"    MARKER                 'MARKER'                 'INTORG'\n" +
		"    X 1       COST                 1   MARKER               1\n" +
		"    MARKER                 'MARKER'                 'INTEND'\n" +
		"    Y         MARKER               2\n" +
		"RHS\n" +
		"    RHS       MARKER               4\n" +
		"ENDATA\n"
	m, err := Read(strings.NewReader(text), nil)
	require.NoError(t, err)
	assert.Equal(t, []string{"X 1", "Y"}, m.ColNames)
	assert.Equal(t, []bool{true, false}, m.Integer)
	assert.Equal(t, []string{"MARKER"}, m.RowNames)
	assert.Equal(t, 2.0, m.A.At(0, 1))
	assert.Equal(t, []float64{4}, m.RowUpper)

	// Free format, the same markers, OBJSENSE forms.
	for sense, head := range map[Sense]string{
		Maximize: "NAME\nOBJSENSE\n  MAX\n",
		Minimize: "NAME\nOBJSENSE MINIMIZE\n",
	} {
		m, err = Read(strings.NewReader(head+"ROWS\n N obj\n L MARKER\nCOLUMNS\n m 'MARKER' 'INTORG'\n x obj 1 MARKER 1\n m 'MARKER' 'INTEND'\n y MARKER 1\nENDATA\n"), nil)
		require.NoError(t, err)
		assert.Equal(t, sense, m.Sense)
		assert.Equal(t, []bool{true, false}, m.Integer)
	}
}

func TestFixedFormatErrors(t *testing.T) {
	for name, text := range map[string]string{
		"text in a gap":  "NAME\nROWS\n N  obj\nCOLUMNS\n    x         obj         1  2\nENDATA\n",
		"past column 61": "NAME\nROWS\n N  obj\nCOLUMNS\n    x         obj                  1   obj                  1 extra\nENDATA\n",
		"field 1 used":   "NAME\nROWS\n N  obj\nCOLUMNS\n XX x         obj                  1\nENDATA\n",
		"row type blank": "NAME\nROWS\n    obj\nENDATA\n",
	} {
		_, err := Read(strings.NewReader(text), &ReadSettings{Format: FormatFixed})
		assert.ErrorIs(t, err, ErrFormat, name)
	}
}
