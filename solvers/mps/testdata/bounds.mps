* Hand-written: every bound type, the negative-UP rule, integer markers,
* a column without matrix entries, OBJSENSE on the next line.
NAME bounds test
OBJSENSE
    MAXIMIZE
ROWS
 N obj
 L c1
COLUMNS
 up_neg obj 1 c1 1
 up_neg_lo0 c1 1
 up_neg_after_mi c1 1
 up_pos c1 1
 mi c1 1
 pl c1 1
 MARKER 'MARKER' 'INTORG'
 int_default c1 1
 bv c1 1
 MARKER 'MARKER' 'INTEND'
 li c1 1
 ui c1 1
 fr c1 1
 fx c1 1
 lo_up c1 1
 empty obj 0.0
 default c1 1
RHS
 c1 10
BOUNDS
 UP bnd up_neg -4
 LO bnd up_neg_lo0 0
 UP bnd up_neg_lo0 -4
 MI bnd up_neg_after_mi
 UP bnd up_neg_after_mi -4
 UP bnd up_pos 4
 MI bnd mi
 PL bnd pl
 BV bnd bv
 LI bnd li -3
 UI bnd ui 8
 FR bnd fr
 FX bnd fx 2.5
 UP bnd lo_up 1e+30
 LO bnd lo_up -1e+21
 UP bnd empty 3
ENDATA
