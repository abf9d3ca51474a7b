* Hand-written fixed-format file: names with blanks, blank RHS/BOUNDS set names.
NAME          FIXED EX
ROWS
 N  COST
 L  LIM 1
 G  LIM 2
 E  MY ROW
COLUMNS
    X 1       COST                 1   LIM 1                1
    X 1       MY ROW               2
    X 2       COST                -1   LIM 2                1
    X 2       MY ROW            -1.5
    X 3       LIM 1                1   LIM 2               -1
RHS
              LIM 1                4   LIM 2               -1
              MY ROW             0.5   COST                 2
RANGES
              LIM 2                3
BOUNDS
 UP           X 1                  4
 MI           X 2
 FX BND       X 3               1.25
QUADOBJ
    X 1       X 1                  2
    X 1       X 2                 -1
    X 2       X 2                  4
ENDATA
