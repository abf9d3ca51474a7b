package mps

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/optlayers/optlayers/sparse"
)

// Format selects how data lines are split into fields.
type Format int

const (
	// FormatAuto (the zero value) parses the file as free format and, if
	// that fails, parses it again as fixed format. It returns the first
	// success, or, when both fail, the error of the attempt that got
	// further into the file (the free-format one on a tie).
	FormatAuto Format = iota
	// FormatFree splits data lines at blanks; names cannot contain blanks.
	FormatFree
	// FormatFixed reads the classic columns 2–3, 5–12, 15–22, 25–36,
	// 40–47 and 50–61; names may contain blanks.
	FormatFixed
)

// DefaultInfinity is the magnitude from which RHS, RANGES and BOUNDS values
// mean an infinite bound.
const DefaultInfinity = 1e20

// ReadSettings configures Read. The zero value (or nil) means: automatic
// format detection, infinity 1e20, free rows kept.
type ReadSettings struct {
	Format Format
	// Infinity: RHS, RANGES and BOUNDS values with |v| ≥ Infinity are ±∞.
	// Zero means DefaultInfinity; a negative or NaN value is an error.
	Infinity float64
	// DropFreeRows removes the N rows other than the objective (and their
	// coefficients). By default they are kept as rows with both sides
	// infinite, so row numbers match the file.
	DropFreeRows bool
	// MarkerIntegersBinary gives the bounds [0, 1] to integer columns from
	// MARKER lines that no BOUNDS line mentions, the convention of HiGHS
	// and SAS. By default they keep [0, +∞) like any other column, which
	// is what a continuous relaxation expects.
	MarkerIntegersBinary bool
}

// ReadFile reads an MPS or QPS file, gzipped or not (see Read).
func ReadFile(path string, s *ReadSettings) (*Model, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return Read(f, s)
}

// Read parses an MPS or QPS model from r. Gzip-compressed input is detected
// by its magic bytes (1f 8b) and decompressed. The whole input is read into
// memory. Errors from r are returned as they are; malformed content gives an
// error matching ErrFormat.
func Read(r io.Reader, s *ReadSettings) (*Model, error) {
	if r == nil {
		return nil, fmt.Errorf("%w: nil reader", ErrInvalid)
	}
	var set ReadSettings
	if s != nil {
		set = *s
	}
	if set.Infinity == 0 {
		set.Infinity = DefaultInfinity
	}
	if !(set.Infinity > 0) {
		return nil, fmt.Errorf("%w: Infinity = %v", ErrInvalid, set.Infinity)
	}
	if set.Format < FormatAuto || set.Format > FormatFixed {
		return nil, fmt.Errorf("%w: unknown format %d", ErrInvalid, int(set.Format))
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	if len(data) >= 2 && data[0] == 0x1f && data[1] == 0x8b {
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			return nil, &FormatError{Msg: "bad gzip header: " + err.Error()}
		}
		data, err = io.ReadAll(zr)
		if err != nil {
			return nil, &FormatError{Msg: "bad gzip data: " + err.Error()}
		}
	}
	text := string(data)
	switch set.Format {
	case FormatFree:
		return parse(text, false, &set)
	case FormatFixed:
		return parse(text, true, &set)
	}
	m, errFree := parse(text, false, &set)
	if errFree == nil {
		return m, nil
	}
	m, errFixed := parse(text, true, &set)
	if errFixed == nil {
		return m, nil
	}
	var fe1, fe2 *FormatError
	if errors.As(errFree, &fe1) && errors.As(errFixed, &fe2) && fe2.Line > fe1.Line {
		return nil, errFixed
	}
	return nil, errFree
}

type section int

const (
	secNone section = iota
	secName
	secObjSense
	secObjName
	secRows
	secColumns
	secRHS
	secRanges
	secBounds
	secQuad
	secEnd
)

// row kinds
const (
	kindN = iota
	kindE
	kindL
	kindG
)

type rowInfo struct {
	kind int
	idx  int // constraint index, -1 objective, -2 dropped free row
}

type parser struct {
	set   *ReadSettings
	fixed bool
	line  int

	name, objName string
	sense         Sense
	objConst      float64
	hasObj        bool

	rows     map[string]int // ROWS name → index in info
	info     []rowInfo
	kinds    []int // per constraint
	rowNames []string
	mark     []int // per ROWS entry: 1 + last column with an entry there

	cols      map[string]int
	colNames  []string
	c         []float64
	integer   []bool
	inInt     bool
	curCol    int
	ri, ci    []int
	av        []float64
	rhs       []float64
	rhsSet    []bool
	rng       []float64
	rngSet    []bool
	lo, up    []float64
	loSet     []bool
	bndAny    []bool // a BOUNDS line mentioned the column
	rhsName   *string
	rngName   *string
	bndName   *string
	qKind     string // QUADOBJ, QMATRIX or QSECTION
	qi, qj    []int
	qv        []float64
	seen      [secEnd + 1]bool
	pendSense bool // OBJSENSE header without a value: next data line has it
	pendObjNm bool
}

func (p *parser) errf(tok, format string, args ...any) error {
	return &FormatError{Line: p.line, Token: tok, Msg: fmt.Sprintf(format, args...)}
}

// fields splits a data line of section sec into at most len(buf) fields. In
// fixed format, field 1 (columns 2–3) is dropped for the sections whose
// lines do not use it, after checking that it is blank.
func (p *parser) fields(line string, buf *[8]string, sec section) ([]string, error) {
	if p.fixed && sec >= secRows && sec <= secQuad {
		f, err := p.fixedFields(line, buf)
		if err != nil || sec == secRows || sec == secBounds || len(f) == 0 {
			return f, err
		}
		if f[0] != "" {
			return nil, p.errf(f[0], "field 1 (columns 2-3) must be blank in this section")
		}
		return f[1:], nil
	}
	n := 0
	i := 0
	for i < len(line) {
		for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
			i++
		}
		if i == len(line) {
			break
		}
		j := i
		for j < len(line) && line[j] != ' ' && line[j] != '\t' {
			j++
		}
		if n == len(buf) {
			return nil, p.errf(line[i:j], "too many fields")
		}
		buf[n] = line[i:j]
		n++
		i = j
	}
	return buf[:n], nil
}

var fixedCols = [6][2]int{{1, 3}, {4, 12}, {14, 22}, {24, 36}, {39, 47}, {49, 61}}

// fixedFields returns the six fixed fields (trimmed), dropping empty
// trailing ones. Text in the gaps between fields or past column 61 is an
// error: it is how a free-format line shows itself.
func (p *parser) fixedFields(line string, buf *[8]string) ([]string, error) {
	n := 0
	prev := 0
	for k, c := range fixedCols {
		if gap := line[min(prev, len(line)):min(c[0], len(line))]; strings.TrimSpace(gap) != "" {
			return nil, p.errf(strings.TrimSpace(gap), "text outside the fixed-format fields")
		}
		prev = c[1]
		f := ""
		if c[0] < len(line) {
			f = strings.TrimSpace(line[c[0]:min(c[1], len(line))])
		}
		buf[k] = f
		if f != "" {
			n = k + 1
		}
	}
	if len(line) > prev && strings.TrimSpace(line[prev:]) != "" {
		return nil, p.errf(strings.TrimSpace(line[prev:]), "text past column 61 in fixed format")
	}
	return buf[:n], nil
}

func (p *parser) number(tok string, boundLike bool) (float64, error) {
	v, err := strconv.ParseFloat(tok, 64)
	if err != nil {
		var ne *strconv.NumError
		if errors.As(err, &ne) && ne.Err == strconv.ErrRange && !math.IsInf(v, 0) {
			return v, nil // underflow to zero or a subnormal
		}
		return 0, p.errf(tok, "not a number")
	}
	if math.IsNaN(v) || (math.IsInf(v, 0) && !boundLike) {
		return 0, p.errf(tok, "not a finite number")
	}
	if boundLike {
		if v >= p.set.Infinity {
			v = math.Inf(1)
		} else if v <= -p.set.Infinity {
			v = math.Inf(-1)
		}
	}
	return v, nil
}

func parse(text string, fixed bool, set *ReadSettings) (*Model, error) {
	p := &parser{set: set, fixed: fixed, rows: map[string]int{}, cols: map[string]int{}, curCol: -1}
	sec := secNone
	var buf [8]string
	for len(text) > 0 {
		var line string
		if k := strings.IndexByte(text, '\n'); k >= 0 {
			line, text = text[:k], text[k+1:]
		} else {
			line, text = text, ""
		}
		p.line++
		line = strings.TrimRight(line, "\r")
		if len(line) == 0 || line[0] == '*' {
			continue
		}
		if line[0] != ' ' && line[0] != '\t' {
			if strings.TrimSpace(line) == "" {
				continue
			}
			next, err := p.header(line, sec)
			if err != nil {
				return nil, err
			}
			sec = next
			if sec == secEnd {
				break
			}
			continue
		}
		f, err := p.fields(line, &buf, sec)
		if err != nil {
			return nil, err
		}
		if len(f) == 0 {
			continue
		}
		if err := p.data(sec, f); err != nil {
			return nil, err
		}
	}
	if sec != secEnd {
		p.line = 0
		return nil, p.errf("", "missing ENDATA (truncated file?)")
	}
	return p.model()
}

var sectionNames = map[string]section{
	"NAME": secName, "OBJSENSE": secObjSense, "OBJSENS": secObjSense, "OBJNAME": secObjName,
	"ROWS": secRows, "COLUMNS": secColumns, "RHS": secRHS, "RANGES": secRanges, "BOUNDS": secBounds,
	"QUADOBJ": secQuad, "QMATRIX": secQuad, "QSECTION": secQuad, "ENDATA": secEnd,
}

func (p *parser) header(line string, cur section) (section, error) {
	f := strings.Fields(line) // headers are blank-separated, any length
	if len(f) == 0 {
		return cur, nil
	}
	kw := f[0]
	sec, ok := sectionNames[kw]
	if !ok {
		return cur, p.errf(kw, "unknown section")
	}
	if p.pendSense || p.pendObjNm {
		return cur, p.errf(kw, "missing value after OBJSENSE/OBJNAME")
	}
	if p.seen[sec] && sec != secQuad {
		return cur, p.errf(kw, "section given twice")
	}
	p.seen[sec] = true
	switch sec {
	case secName:
		if cur != secNone {
			return cur, p.errf(kw, "NAME must come first")
		}
		p.name = strings.Clone(strings.TrimSpace(strings.TrimPrefix(line, kw)))
	case secObjSense:
		if len(f) > 2 {
			return cur, p.errf(f[2], "unexpected field")
		}
		if len(f) == 2 {
			if err := p.setSense(f[1]); err != nil {
				return cur, err
			}
		} else {
			p.pendSense = true
		}
	case secObjName:
		if len(f) > 2 {
			return cur, p.errf(f[2], "unexpected field")
		}
		if p.seen[secRows] {
			return cur, p.errf(kw, "OBJNAME must come before ROWS")
		}
		if len(f) == 2 {
			p.objName = strings.Clone(f[1])
		} else {
			p.pendObjNm = true
		}
	case secRows:
	case secColumns:
		if !p.seen[secRows] {
			return cur, p.errf(kw, "COLUMNS before ROWS")
		}
		p.mark = make([]int, len(p.info))
	case secRHS, secRanges, secBounds, secQuad:
		if !p.seen[secColumns] {
			return cur, p.errf(kw, "section before COLUMNS")
		}
		if sec == secQuad {
			if p.qKind != "" {
				return cur, p.errf(kw, "second quadratic section (already read %s)", p.qKind)
			}
			p.qKind = kw
			if len(f) > 1 {
				if kw != "QSECTION" || len(f) > 2 {
					return cur, p.errf(f[1], "unexpected field")
				}
				k, ok := p.rows[f[1]]
				if !ok {
					return cur, p.errf(f[1], "unknown row")
				}
				if p.info[k].idx != -1 {
					return cur, p.errf(f[1], "QSECTION of a constraint row: quadratic constraints are not supported")
				}
			}
		}
	case secEnd:
		if !p.seen[secRows] || !p.seen[secColumns] {
			return cur, p.errf(kw, "missing ROWS or COLUMNS section")
		}
		if p.inInt {
			return cur, p.errf(kw, "MARKER INTORG without INTEND")
		}
	}
	return sec, nil
}

func (p *parser) setSense(tok string) error {
	switch strings.ToUpper(tok) {
	case "MIN", "MINIMIZE", "MINIMISE":
		p.sense = Minimize
	case "MAX", "MAXIMIZE", "MAXIMISE":
		p.sense = Maximize
	default:
		return p.errf(tok, "unknown objective sense")
	}
	return nil
}

func (p *parser) data(sec section, f []string) error {
	switch sec {
	case secNone, secName, secEnd:
		return p.errf(f[0], "data line outside a section")
	case secObjSense:
		if !p.pendSense || len(f) != 1 {
			return p.errf(f[len(f)-1], "unexpected OBJSENSE data")
		}
		p.pendSense = false
		return p.setSense(f[0])
	case secObjName:
		if !p.pendObjNm || len(f) != 1 {
			return p.errf(f[len(f)-1], "unexpected OBJNAME data")
		}
		p.pendObjNm = false
		p.objName = strings.Clone(f[0])
		return nil
	case secRows:
		return p.rowLine(f)
	case secColumns:
		return p.colLine(f)
	case secRHS:
		return p.rhsLine(f, false)
	case secRanges:
		return p.rhsLine(f, true)
	case secBounds:
		return p.boundLine(f)
	case secQuad:
		return p.quadLine(f)
	}
	return p.errf(f[0], "unexpected data")
}

func (p *parser) rowLine(f []string) error {
	if f[0] == "" {
		return p.errf("", "missing row type")
	}
	if len(f) != 2 {
		return p.errf(f[len(f)-1], "ROWS line needs a type and a name")
	}
	var kind int
	switch strings.ToUpper(f[0]) {
	case "N":
		kind = kindN
	case "E":
		kind = kindE
	case "L":
		kind = kindL
	case "G":
		kind = kindG
	default:
		return p.errf(f[0], "unknown row type")
	}
	name := f[1]
	if _, dup := p.rows[name]; dup {
		return p.errf(name, "duplicate row name")
	}
	info := rowInfo{kind: kind}
	switch {
	case kind == kindN && !p.hasObj && (p.objName == "" || p.objName == name):
		p.hasObj = true
		p.objName = strings.Clone(name)
		info.idx = -1
	case kind == kindN && p.set.DropFreeRows:
		info.idx = -2
	default:
		info.idx = len(p.kinds)
		p.kinds = append(p.kinds, kind)
		p.rowNames = append(p.rowNames, strings.Clone(name))
	}
	p.rows[strings.Clone(name)] = len(p.info)
	p.info = append(p.info, info)
	return nil
}

func (p *parser) colLine(f []string) error {
	// MARKER lines: name 'MARKER' 'INTORG' | 'INTEND'. A line is a marker
	// when one field after the name is 'MARKER' (quoted) and the last one
	// is INTORG or INTEND (quoted or not); fixed format puts them in fields
	// 3 or 4 and 5 or 6.
	if kw, ok := markerKeyword(f); ok {
		switch kw {
		case "INTORG":
			if p.inInt {
				return p.errf(f[len(f)-1], "nested INTORG")
			}
			p.inInt = true
		case "INTEND":
			if !p.inInt {
				return p.errf(f[len(f)-1], "INTEND without INTORG")
			}
			p.inInt = false
		}
		return nil
	}
	if len(f) != 3 && len(f) != 5 {
		return p.errf(f[len(f)-1], "COLUMNS line needs a column and one or two (row, value) pairs")
	}
	name := f[0]
	if name == "" {
		return p.errf("", "missing column name")
	}
	if p.curCol < 0 || p.colNames[p.curCol] != name {
		if _, dup := p.cols[name]; dup {
			return p.errf(name, "column entries not contiguous or duplicate column name")
		}
		p.curCol = len(p.colNames)
		nm := strings.Clone(name)
		p.cols[nm] = p.curCol
		p.colNames = append(p.colNames, nm)
		p.c = append(p.c, 0)
		p.integer = append(p.integer, p.inInt)
	}
	j := p.curCol
	for k := 1; k+1 < len(f); k += 2 {
		r, ok := p.rows[f[k]]
		if !ok {
			return p.errf(f[k], "unknown row")
		}
		v, err := p.number(f[k+1], false)
		if err != nil {
			return err
		}
		if p.mark[r] == j+1 {
			return p.errf(f[k], "duplicate entry for column %q", name)
		}
		p.mark[r] = j + 1
		switch idx := p.info[r].idx; idx {
		case -1:
			p.c[j] = v
		case -2:
		default:
			p.ri = append(p.ri, idx)
			p.ci = append(p.ci, j)
			p.av = append(p.av, v)
		}
	}
	return nil
}

func markerKeyword(f []string) (string, bool) {
	if len(f) < 3 {
		return "", false
	}
	kw := strings.Trim(f[len(f)-1], "'")
	if kw != "INTORG" && kw != "INTEND" {
		return "", false
	}
	for _, s := range f[1 : len(f)-1] {
		if s == "'MARKER'" {
			return kw, true
		}
	}
	return "", false
}

// setName applies the MPS rule that only the first vector of a section is
// used: it reports whether a line naming vector name belongs to it. An
// empty name (free format without the vector name) always belongs.
func setName(first **string, name string) bool {
	if name == "" {
		return true
	}
	if *first == nil {
		s := strings.Clone(name)
		*first = &s
		return true
	}
	return **first == name
}

func (p *parser) rhsLine(f []string, ranges bool) error {
	var setTok string
	var pairs []string
	if p.fixed {
		setTok, pairs = f[0], f[1:]
	} else if len(f)%2 == 1 {
		setTok, pairs = f[0], f[1:]
	} else {
		pairs = f
	}
	if len(pairs) != 2 && len(pairs) != 4 {
		return p.errf(f[len(f)-1], "line needs one or two (row, value) pairs")
	}
	first := &p.rhsName
	if ranges {
		first = &p.rngName
	}
	if !setName(first, setTok) {
		return nil
	}
	if p.rhs == nil {
		p.rhs = make([]float64, len(p.kinds))
		p.rhsSet = make([]bool, len(p.kinds))
		p.rng = make([]float64, len(p.kinds))
		p.rngSet = make([]bool, len(p.kinds))
	}
	for k := 0; k+1 < len(pairs); k += 2 {
		r, ok := p.rows[pairs[k]]
		if !ok {
			return p.errf(pairs[k], "unknown row")
		}
		v, err := p.number(pairs[k+1], true)
		if err != nil {
			return err
		}
		idx := p.info[r].idx
		if ranges {
			if idx < 0 || p.kinds[idx] == kindN {
				return p.errf(pairs[k], "RANGES on a free (N) row")
			}
			if p.rngSet[idx] {
				return p.errf(pairs[k], "RANGES given twice for row")
			}
			p.rng[idx], p.rngSet[idx] = v, true
			continue
		}
		switch {
		case idx == -1:
			if math.IsInf(v, 0) {
				return p.errf(pairs[k+1], "infinite objective constant")
			}
			p.objConst = -v
		case idx == -2 || p.kinds[idx] == kindN:
			// A right-hand side on a free row has no meaning; ignored.
		default:
			if p.rhsSet[idx] {
				return p.errf(pairs[k], "RHS given twice for row")
			}
			p.rhs[idx], p.rhsSet[idx] = v, true
		}
	}
	return nil
}

func (p *parser) ensureBounds() {
	if p.lo == nil {
		n := len(p.colNames)
		p.lo = make([]float64, n)
		p.up = make([]float64, n)
		p.loSet = make([]bool, n)
		p.bndAny = make([]bool, n)
		for j := range p.up {
			p.up[j] = math.Inf(1)
		}
	}
}

func (p *parser) boundLine(f []string) error {
	typ := strings.ToUpper(f[0])
	needsValue := false
	switch typ {
	case "UP", "LO", "FX", "LI", "UI":
		needsValue = true
	case "FR", "MI", "PL", "BV":
	default:
		return p.errf(f[0], "unknown bound type")
	}
	var setTok, col, val string
	switch {
	case p.fixed:
		for len(f) < 4 {
			f = append(f, "")
		}
		setTok, col, val = f[1], f[2], f[3]
		if len(f) > 4 {
			return p.errf(f[4], "unexpected field")
		}
	case needsValue && len(f) == 4, !needsValue && len(f) == 4:
		setTok, col, val = f[1], f[2], f[3]
	case needsValue && len(f) == 3:
		col, val = f[1], f[2]
	case !needsValue && len(f) == 3:
		setTok, col = f[1], f[2]
	case !needsValue && len(f) == 2:
		col = f[1]
	default:
		return p.errf(f[len(f)-1], "wrong number of fields for bound type %s", typ)
	}
	if needsValue && val == "" {
		return p.errf(f[0], "bound without a value")
	}
	if !setName(&p.bndName, setTok) {
		return nil
	}
	j, ok := p.cols[col]
	if !ok {
		return p.errf(col, "bound on an unknown column")
	}
	var v float64
	if needsValue {
		var err error
		if v, err = p.number(val, true); err != nil {
			return err
		}
	}
	p.ensureBounds()
	p.bndAny[j] = true
	inf := math.Inf(1)
	switch typ {
	case "UP", "UI":
		if v == -inf {
			return p.errf(val, "upper bound −∞")
		}
		// The usual MPS rule (see doc.go): a negative upper bound on a
		// column whose lower bound has not been given makes it −∞.
		if v < 0 && !p.loSet[j] && p.lo[j] == 0 {
			p.lo[j] = -inf
		}
		p.up[j] = v
	case "LO", "LI":
		if v == inf {
			return p.errf(val, "lower bound +∞")
		}
		p.lo[j], p.loSet[j] = v, true
	case "FX":
		if math.IsInf(v, 0) {
			return p.errf(val, "infinite fixed value")
		}
		p.lo[j], p.up[j], p.loSet[j] = v, v, true
	case "FR":
		p.lo[j], p.up[j], p.loSet[j] = -inf, inf, true
	case "MI":
		p.lo[j], p.loSet[j] = -inf, true
	case "PL":
		p.up[j] = inf
	case "BV":
		p.lo[j], p.up[j], p.loSet[j] = 0, 1, true
	}
	if typ == "BV" || typ == "LI" || typ == "UI" {
		p.integer[j] = true
	}
	return nil
}

func (p *parser) quadLine(f []string) error {
	if len(f) != 3 {
		return p.errf(f[len(f)-1], "%s line needs two columns and a value", p.qKind)
	}
	a, b, val := f[0], f[1], f[2]
	i, ok := p.cols[a]
	if !ok {
		return p.errf(a, "unknown column")
	}
	j, ok := p.cols[b]
	if !ok {
		return p.errf(b, "unknown column")
	}
	v, err := p.number(val, false)
	if err != nil {
		return err
	}
	p.qi = append(p.qi, i)
	p.qj = append(p.qj, j)
	p.qv = append(p.qv, v)
	return nil
}

func (p *parser) model() (*Model, error) {
	m := len(p.kinds)
	n := len(p.colNames)
	p.ensureBounds()
	out := &Model{
		Name: p.name, ObjName: p.objName, Sense: p.sense, ObjConstant: p.objConst,
		C: p.c, RowNames: p.rowNames, ColNames: p.colNames, Integer: p.integer,
		ColLower: p.lo, ColUpper: p.up,
		RowLower: make([]float64, m), RowUpper: make([]float64, m),
	}
	if p.set.MarkerIntegersBinary {
		for j, isInt := range p.integer {
			if isInt && !p.bndAny[j] { // integer and no BOUNDS line: from a marker
				p.up[j] = 1
			}
		}
	}
	if !p.hasObj {
		out.ObjName = ""
		if p.objName != "" {
			return nil, &FormatError{Token: p.objName, Msg: "OBJNAME names no N row"}
		}
	}
	if out.C == nil {
		out.C, out.ColNames, out.Integer = []float64{}, []string{}, []bool{}
	}
	if out.RowNames == nil {
		out.RowNames = []string{}
	}
	inf := math.Inf(1)
	for i, k := range p.kinds {
		var r, rg float64
		hasRg := false
		if p.rhs != nil {
			r, rg, hasRg = p.rhs[i], p.rng[i], p.rngSet[i]
		}
		lo, up := -inf, inf
		switch k {
		case kindE:
			if math.IsInf(r, 0) {
				return nil, &FormatError{Token: p.rowNames[i], Msg: "infinite right-hand side on an E row"}
			}
			lo, up = r, r
			if hasRg && rg > 0 {
				up = r + math.Abs(rg)
			} else if hasRg && rg < 0 {
				lo = r - math.Abs(rg)
			}
		case kindL:
			if r == -inf {
				return nil, &FormatError{Token: p.rowNames[i], Msg: "right-hand side −∞ on an L row"}
			}
			up = r
			if hasRg {
				lo = r - math.Abs(rg)
			}
		case kindG:
			if r == inf {
				return nil, &FormatError{Token: p.rowNames[i], Msg: "right-hand side +∞ on a G row"}
			}
			lo = r
			if hasRg {
				up = r + math.Abs(rg)
			}
		}
		if lo != lo || up != up { // ∞ − ∞
			return nil, &FormatError{Token: p.rowNames[i], Msg: "infinite right-hand side with an infinite range"}
		}
		out.RowLower[i], out.RowUpper[i] = lo, up
	}
	a, err := sparse.FromTriplets(m, n, p.ri, p.ci, p.av, nil)
	if err != nil {
		return nil, &FormatError{Msg: "constraint matrix: " + err.Error()}
	}
	out.A = a
	if len(p.qv) > 0 {
		q, err := p.quadMatrix(n)
		if err != nil {
			return nil, err
		}
		out.Q = q
	}
	return out, nil
}

func (p *parser) quadMatrix(n int) (*sparse.SymCSC, error) {
	dup := &sparse.TripletSettings{Duplicates: sparse.ErrorOnDuplicates}
	if p.qKind != "QMATRIX" {
		q, err := sparse.SymFromTriplets(n, p.qi, p.qj, p.qv, dup)
		if err != nil {
			return nil, &FormatError{Msg: p.qKind + ": " + p.namedErr(err) + " (each entry of one triangle may be given once)"}
		}
		return q, nil
	}
	// QMATRIX lists the full matrix: split it into its two triangles and
	// require them to agree.
	var ui, uj, li, lj []int
	var uv, lv []float64
	for k := range p.qv {
		i, j := p.qi[k], p.qj[k]
		if i <= j {
			ui, uj, uv = append(ui, i), append(uj, j), append(uv, p.qv[k])
		} else {
			li, lj, lv = append(li, j), append(lj, i), append(lv, p.qv[k])
		}
	}
	up, err := sparse.FromTriplets(n, n, ui, uj, uv, dup)
	if err != nil {
		return nil, &FormatError{Msg: "QMATRIX: " + p.namedErr(err)}
	}
	low, err := sparse.FromTriplets(n, n, li, lj, lv, dup)
	if err != nil {
		return nil, &FormatError{Msg: "QMATRIX: " + p.namedErr(err)}
	}
	for j := 0; j < n; j++ {
		ur, uvals := up.Col(j)
		lr, lvals := low.Col(j)
		k := 0
		for t, i := range ur {
			if i == j {
				continue
			}
			if k >= len(lr) || lr[k] != i || lvals[k] != uvals[t] {
				return nil, &FormatError{Token: p.colNames[i] + " " + p.colNames[j], Msg: "QMATRIX is not symmetric"}
			}
			k++
		}
		if k != len(lr) {
			return nil, &FormatError{Token: p.colNames[lr[k]] + " " + p.colNames[j], Msg: "QMATRIX is not symmetric"}
		}
	}
	cp, ri, vals := up.Raw()
	return sparse.NewSymCSC(n, cp, ri, vals)
}

// namedErr rewrites a duplicate-entry error of the quadratic term with
// column names (found again on this error path only).
func (p *parser) namedErr(err error) string {
	seen := make(map[[2]int]bool, len(p.qv))
	for k := range p.qv {
		i, j := p.qi[k], p.qj[k]
		if i > j && p.qKind != "QMATRIX" {
			i, j = j, i
		}
		if seen[[2]int{i, j}] {
			return fmt.Sprintf("entry (%s, %s) given twice", p.colNames[p.qi[k]], p.colNames[p.qj[k]])
		}
		seen[[2]int{i, j}] = true
	}
	return err.Error()
}
