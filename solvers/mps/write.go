package mps

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// Write writes m in free-format MPS, with a QUADOBJ section (the upper
// triangle of Q) when m.Q is not nil, so that Read gives back the same
// model: numbers are printed with strconv.FormatFloat(v, 'g', -1, 64),
// which round-trips float64 exactly.
//
// The objective row is named m.ObjName, or "obj" when that is empty (a
// file without objective row is written when ObjName is empty and c, the
// constant and every column's presence allow it). A two-sided row l < u
// becomes an L row (or G row) with a RANGES entry chosen so that Read
// recomputes both sides exactly; in the rare case where no such pair exists
// in float64 the side away from the RHS may differ in the last bit.
// Integer columns are written between MARKER INTORG/INTEND lines. Finite
// values whose magnitude is at least DefaultInfinity are written as they are
// and read back as infinite.
//
// Names must be non-empty, unique among rows (objective included) and among
// columns, and free of blanks, since free format splits fields at blanks.
// A model that cannot be written gives an error matching ErrDims or
// ErrInvalid and nothing is written; errors of w are returned as they are.
func Write(w io.Writer, m *Model) error {
	if m == nil || w == nil {
		return fmt.Errorf("%w: nil model or writer", ErrInvalid)
	}
	if err := m.Check(); err != nil {
		return err
	}
	rows, cols := m.NumRows(), m.NumCols()
	if strings.ContainsAny(m.Name, "\r\n") {
		return fmt.Errorf("%w: model name %q contains a line break", ErrInvalid, m.Name)
	}
	rowSeen := make(map[string]bool, rows+1)
	for i, s := range m.RowNames {
		if err := checkName(s); err != nil {
			return fmt.Errorf("%w: row %d: %v", ErrInvalid, i, err)
		}
		if rowSeen[s] {
			return fmt.Errorf("%w: duplicate row name %q", ErrInvalid, s)
		}
		rowSeen[s] = true
	}
	colSeen := make(map[string]bool, cols)
	for j, s := range m.ColNames {
		if err := checkName(s); err != nil {
			return fmt.Errorf("%w: column %d: %v", ErrInvalid, j, err)
		}
		if colSeen[s] {
			return fmt.Errorf("%w: duplicate column name %q", ErrInvalid, s)
		}
		colSeen[s] = true
	}
	obj := m.ObjName
	needObj := obj != "" || m.ObjConstant != 0
	for j := 0; j < cols && !needObj; j++ {
		r, _ := m.A.Col(j)
		needObj = m.C[j] != 0 || len(r) == 0
	}
	if obj == "" && needObj {
		obj = "obj"
		for rowSeen[obj] {
			obj += "_"
		}
	}
	if obj != "" {
		if err := checkName(obj); err != nil {
			return fmt.Errorf("%w: objective: %v", ErrInvalid, err)
		}
		if rowSeen[obj] {
			return fmt.Errorf("%w: objective name %q is also a row name", ErrInvalid, obj)
		}
	}
	kinds := make([]byte, rows)
	rhs := make([]float64, rows)
	rng := make([]float64, rows)
	hasRng := make([]bool, rows)
	for i := 0; i < rows; i++ {
		k, r, g, has, err := rowForm(m.RowLower[i], m.RowUpper[i])
		if err != nil {
			return fmt.Errorf("%w: row %q: %v", ErrInvalid, m.RowNames[i], err)
		}
		kinds[i], rhs[i], rng[i], hasRng[i] = k, r, g, has
	}
	for j := 0; j < cols; j++ {
		l, u := m.ColLower[j], m.ColUpper[j]
		if l == math.Inf(1) || u == math.Inf(-1) {
			return fmt.Errorf("%w: column %q: bounds [%v, %v] have no MPS form", ErrInvalid, m.ColNames[j], l, u)
		}
	}

	bw := bufio.NewWriterSize(w, 1<<16)
	num := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	line := func(fields ...string) {
		for _, f := range fields {
			bw.WriteByte(' ')
			bw.WriteString(f)
		}
		bw.WriteByte('\n')
	}
	// entry writes " a b v" without allocating: the bulk of a file.
	var nb []byte
	entry := func(a, b string, v float64) {
		bw.WriteByte(' ')
		bw.WriteString(a)
		bw.WriteByte(' ')
		bw.WriteString(b)
		bw.WriteByte(' ')
		nb = strconv.AppendFloat(nb[:0], v, 'g', -1, 64)
		bw.Write(nb)
		bw.WriteByte('\n')
	}
	if m.Name == "" {
		bw.WriteString("NAME\n")
	} else {
		bw.WriteString("NAME " + m.Name + "\n")
	}
	if m.Sense == Maximize {
		bw.WriteString("OBJSENSE\n    MAX\n")
	}
	bw.WriteString("ROWS\n")
	if obj != "" {
		line("N", obj)
	}
	for i, s := range m.RowNames {
		line(string(kinds[i]), s)
	}
	bw.WriteString("COLUMNS\n")
	inInt := false
	for j, s := range m.ColNames {
		if m.Integer[j] != inInt {
			if inInt {
				line("MARKER", "'MARKER'", "'INTEND'")
			} else {
				line("MARKER", "'MARKER'", "'INTORG'")
			}
			inInt = m.Integer[j]
		}
		r, v := m.A.Col(j)
		if m.C[j] != 0 || len(r) == 0 {
			entry(s, obj, m.C[j])
		}
		for k, i := range r {
			entry(s, m.RowNames[i], v[k])
		}
	}
	if inInt {
		line("MARKER", "'MARKER'", "'INTEND'")
	}
	bw.WriteString("RHS\n")
	if m.ObjConstant != 0 {
		line("rhs", obj, num(-m.ObjConstant))
	}
	for i, s := range m.RowNames {
		if kinds[i] != 'N' && rhs[i] != 0 {
			line("rhs", s, num(rhs[i]))
		}
	}
	anyRng := false
	for i, s := range m.RowNames {
		if hasRng[i] {
			if !anyRng {
				bw.WriteString("RANGES\n")
				anyRng = true
			}
			line("rng", s, num(rng[i]))
		}
	}
	bw.WriteString("BOUNDS\n")
	inf := math.Inf(1)
	for j, s := range m.ColNames {
		l, u := m.ColLower[j], m.ColUpper[j]
		switch {
		case l == u:
			line("FX", "bnd", s, num(l))
		case l == -inf && u == inf:
			line("FR", "bnd", s)
		case l == -inf:
			line("MI", "bnd", s)
			line("UP", "bnd", s, num(u))
		default:
			if u != inf {
				line("UP", "bnd", s, num(u))
			} else if m.Integer[j] {
				// Explicit, for readers that make unbounded marker
				// integers binary (HiGHS, SAS).
				line("PL", "bnd", s)
			}
			// After a negative UP the reader's default lower bound is −∞,
			// so LO is written then even for l = 0.
			if l != 0 || u < 0 {
				line("LO", "bnd", s, num(l))
			}
		}
	}
	if m.Q != nil {
		bw.WriteString("QUADOBJ\n")
		up := m.Q.Upper()
		for j := 0; j < cols; j++ {
			r, v := up.Col(j)
			for k, i := range r {
				entry(m.ColNames[i], m.ColNames[j], v[k])
			}
		}
	}
	bw.WriteString("ENDATA\n")
	return bw.Flush()
}

func checkName(s string) error {
	if s == "" {
		return fmt.Errorf("empty name")
	}
	if strings.ContainsAny(s, " \t\r\n") {
		return fmt.Errorf("name %q contains a blank", s)
	}
	if s[0] == '*' || s[0] == '$' {
		return fmt.Errorf("name %q starts with a comment character", s)
	}
	return nil
}

// rowForm returns the MPS row type, RHS and range that give [l, u].
func rowForm(l, u float64) (kind byte, rhs, rng float64, hasRng bool, err error) {
	inf := math.Inf(1)
	switch {
	case l == inf || u == -inf || l > u:
		return 0, 0, 0, false, fmt.Errorf("bounds [%v, %v] have no MPS form", l, u)
	case l == u:
		return 'E', l, 0, false, nil
	case l == -inf && u == inf:
		return 'N', 0, 0, false, nil
	case l == -inf:
		return 'L', u, 0, false, nil
	case u == inf:
		return 'G', l, 0, false, nil
	}
	// Two finite sides: the reader computes l = u − |R| (L row) or u = l +
	// |R| (G row). Search R near u − l for an exact pair.
	r0 := u - l
	if math.IsInf(r0, 0) {
		return 0, 0, 0, false, fmt.Errorf("range of [%v, %v] overflows", l, u)
	}
	for _, form := range []byte{'L', 'G'} {
		for step := 0; step <= 8; step++ {
			for _, c := range [2]float64{stepFloat(r0, step), stepFloat(r0, -step)} {
				// A value at or past the reader's infinity would read back
				// as ∞: such candidates are skipped.
				if c <= 0 || c >= DefaultInfinity {
					continue
				}
				if (form == 'L' && math.Abs(u) >= DefaultInfinity) || (form == 'G' && math.Abs(l) >= DefaultInfinity) {
					continue
				}
				if form == 'L' && u-c == l {
					return 'L', u, c, true, nil
				}
				if form == 'G' && l+c == u {
					return 'G', l, c, true, nil
				}
			}
		}
	}
	return 'L', u, r0, true, nil
}

// stepFloat moves v by k units in the last place (k may be negative).
func stepFloat(v float64, k int) float64 {
	dir := math.Inf(1)
	if k < 0 {
		dir, k = math.Inf(-1), -k
	}
	for ; k > 0; k-- {
		v = math.Nextafter(v, dir)
	}
	return v
}
