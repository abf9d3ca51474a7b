package mps_test

import (
	"fmt"
	"os"
	"strings"

	"github.com/optlayers/optlayers/solvers/mps"
)

func Example() {
	// minimize ½(2x² + 2y²) − x − y  subject to  1 ≤ x + y ≤ 3 (an L row
	// with a range), 0 ≤ x ≤ 4, y free.
	const qps = `NAME EXAMPLE
ROWS
 N obj
 L sum
COLUMNS
 x obj -1 sum 1
 y obj -1 sum 1
RHS
 rhs sum 3
RANGES
 rng sum 2
BOUNDS
 UP bnd x 4
 FR bnd y
QUADOBJ
 x x 2
 y y 2
ENDATA
`
	m, err := mps.Read(strings.NewReader(qps), nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	rows, cols := m.A.Dims()
	fmt.Printf("%s: %d row, %d columns, Q has %d stored entries\n", m.Name, rows, cols, m.Q.NNZ())
	fmt.Println("c:", m.C)
	fmt.Printf("row %s: [%v, %v]\n", m.RowNames[0], m.RowLower[0], m.RowUpper[0])
	fmt.Println("columns:", m.ColLower, m.ColUpper)
	if err := mps.Write(os.Stdout, m); err != nil {
		fmt.Println(err)
	}
	// Output:
	// EXAMPLE: 1 row, 2 columns, Q has 2 stored entries
	// c: [-1 -1]
	// row sum: [1, 3]
	// columns: [0 -Inf] [4 +Inf]
	// NAME EXAMPLE
	// ROWS
	//  N obj
	//  L sum
	// COLUMNS
	//  x obj -1
	//  x sum 1
	//  y obj -1
	//  y sum 1
	// RHS
	//  rhs sum 3
	// RANGES
	//  rng sum 2
	// BOUNDS
	//  UP bnd x 4
	//  FR bnd y
	// QUADOBJ
	//  x x 2
	//  y y 2
	// ENDATA
}
