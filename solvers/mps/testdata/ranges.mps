* Hand-written: RANGES on every row type with both signs, a kept free row,
* OBJSENSE MAX on the same line, an objective constant.
NAME          RANGES
OBJSENSE MAX
ROWS
 N  cost
 E  e_pos
 E  e_neg
 E  e_zero
 L  l_pos
 L  l_neg
 G  g_pos
 G  g_neg
 N  spare
 E  e_plain
COLUMNS
    x         cost         1.5   e_pos          1
    x         e_neg          1   e_zero         1
    x         l_pos          1   l_neg          1
    x         g_pos          1   g_neg          1
    x         spare          7
    y         cost          -2   e_plain        3
RHS
    rhs       cost         -10   e_pos          4
    rhs       e_neg          4   e_zero         4
    rhs       l_pos          4   l_neg          4
    rhs       g_pos          4   g_neg          4
    rhs       spare         99
RANGES
    rng       e_pos          2   e_neg         -2
    rng       e_zero         0   l_pos          3
    rng       l_neg         -3   g_pos        2.5
    rng       g_neg       -2.5
ENDATA
