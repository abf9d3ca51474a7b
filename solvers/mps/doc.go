// Package mps reads and writes linear and quadratic programs in the MPS file
// format and its quadratic extension QPS.
//
// # The model
//
// A file describes
//
//	minimize (or maximize)  ½xᵀQx + cᵀx + constant
//	subject to              rowLower ≤ A x ≤ rowUpper
//	                        colLower ≤ x ≤ colUpper
//
// and Read returns it as a Model: A is a sparse.CSC (rows × columns), Q a
// sparse.SymCSC holding the upper triangle (nil for a linear model), absent
// bound sides are ±Inf, an equality row has rowLower = rowUpper. Integrality
// marks are kept in Model.Integer and ignored by the continuous solvers. An
// objective sense MAX is recorded in Model.Sense, never applied to the data;
// Model.Minimized gives the equivalent minimization.
//
// # The file format, as this package reads it
//
// A file is a sequence of lines. A line starting with '*' is a comment, a
// blank line is skipped, a line starting in column 1 opens a section and the
// other lines (starting with a blank) are data of the current section.
// Sections, in the usual order:
//
//	NAME name          the model name (rest of the line; optional)
//	OBJSENSE           MIN or MAX (also MINIMIZE, MAXIMIZE), on the same
//	                   line or on the next data line; default MIN
//	OBJNAME            the name of the objective row, same two forms
//	ROWS               one row per line: type and name. Type N is free, E
//	                   equal, L less-or-equal, G greater-or-equal. The first
//	                   N row (or the one named by OBJNAME) is the objective;
//	                   other N rows are kept as rows with both sides
//	                   infinite (ReadSettings.DropFreeRows drops them)
//	COLUMNS            column name, then one or two (row, value) pairs. All
//	                   lines of a column are contiguous. Lines
//	                   "name 'MARKER' 'INTORG'" … "name 'MARKER' 'INTEND'"
//	                   enclose integer columns
//	RHS                [vector name] then one or two (row, value) pairs: the
//	                   right-hand side b of each row (default 0). A value on
//	                   the objective row is minus the objective constant.
//	                   Values on free rows are ignored
//	RANGES             [vector name] then (row, R) pairs, making a row two-sided
//	BOUNDS             type, [vector name], column, [value]
//	QUADOBJ / QSECTION column, column, value: one triangle of Q (either one),
//	                   each off-diagonal entry standing for Q_ij and Q_ji
//	QMATRIX            column, column, value: the full matrix Q, both
//	                   triangles, which must agree
//	ENDATA             end of the model (required)
//
// The objective's quadratic term is ½xᵀQx in all three quadratic sections.
// "QSECTION name" with the name of a constraint row (a quadratic
// constraint) is rejected.
//
// Rows. With b the right-hand side and R the range, a row of type
//
//	E  is  b ≤ a·x ≤ b,  or with R > 0: [b, b+|R|], with R < 0: [b−|R|, b]
//	L  is  a·x ≤ b,      or with R:     [b−|R|, b]
//	G  is  a·x ≥ b,      or with R:     [b, b+|R|]
//	N  has no bounds
//
// Bounds. The default is 0 ≤ x < +∞. The types are UP (upper), LO (lower),
// FX (fixed, both), FR (free), MI (lower −∞), PL (upper +∞), BV (binary:
// integer in [0, 1]), LI and UI (integer with a lower or upper bound). An UP
// or UI bound with a negative value on a column whose lower bound has not
// been given also sets the lower bound to −∞. That is the rule stated by the
// SAS and QSopt MPS documentation and applied by HiGHS's fixed-format reader
// (HMPSIO.cpp, which tests for a lower bound equal to 0, given or not);
// HiGHS's free-format reader (HMpsFF.cpp, 2026 sources) keeps 0. Integer
// columns from markers keep the default bounds [0, +∞) unless
// ReadSettings.MarkerIntegersBinary asks for the [0, 1] of HiGHS and SAS;
// Write adds a PL line to unbounded integer columns so that either
// convention reads them back the same.
//
// Infinity. RHS, RANGES and BOUNDS values of magnitude at least 1e20
// (ReadSettings.Infinity) are infinite; so are the words Inf and Infinity
// there. In COLUMNS and the quadratic sections a value must be a finite
// number.
//
// Vectors. Only the first RHS, RANGES and BOUNDS vector (the name in the
// second field) is used; lines of other vectors are ignored, as the MPS
// convention says. In free format the vector name may be omitted: the
// number of fields tells.
//
// # Free and fixed format
//
// Free format splits data lines at blanks, so names cannot contain blanks.
// Fixed format reads the fields at columns 2–3, 5–12, 15–22, 25–36, 40–47
// and 50–61 (field 1 holds the row or bound type, fields 2, 3 and 5 names,
// 4 and 6 numbers); names may contain blanks and text elsewhere is an error.
// Section lines and OBJSENSE/OBJNAME values are read blank-separated in both.
// ReadSettings.Format chooses; the zero value FormatAuto tries free format
// first and, if that fails, fixed format, returning the first success (a
// fixed-format file without blanks in names reads the same either way).
//
// # Errors
//
// A malformed file gives a *FormatError matching ErrFormat, with the line
// number and the offending token: an unknown section, row type or bound type,
// a duplicate row or column name, a column whose lines are not contiguous, a
// duplicate matrix entry, an unknown row or column, a bad or non-finite
// number, a missing ROWS, COLUMNS or ENDATA, an unbalanced integer marker, an
// asymmetric QMATRIX. Nothing in this package panics on file contents.
//
// # Writing
//
// Write produces free format with a QUADOBJ section (upper triangle) and
// numbers printed by strconv.FormatFloat(v, 'g', -1, 64), so Read gives back
// an identical Model. Read takes gzip-compressed files transparently
// (detected by the magic bytes 1f 8b).
//
// References: the MPS format as documented for IBM CPLEX ("MPS file format:
// industry standard"), for SAS/OR ("The MPS-format SAS data set") and for
// QSopt; the QPS extension of I. Maros and C. Mészáros, "A repository of
// convex quadratic programming problems", Optimization Methods and Software
// 11–12 (1999) 671–681.
package mps
