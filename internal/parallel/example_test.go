package parallel_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/optlayers/optlayers/internal/parallel"
)

func ExampleFor() {
	// Each index writes only its own output: the result is the same for
	// any number of workers.
	squares := make([]int, 8)
	parallel.For(len(squares), 0, func(i int) { squares[i] = i * i })
	fmt.Println(squares)
	// Output: [0 1 4 9 16 25 36 49]
}

func ExampleForWorker() {
	// Per-worker scratch: a worker runs its indices one after the other.
	const n = 6
	scratch := make([][]float64, parallel.Workers(n, 2))
	out := make([]float64, n)
	parallel.ForWorker(n, 2, func(w, i int) {
		if scratch[w] == nil {
			scratch[w] = make([]float64, 3)
		}
		buf := scratch[w]
		for k := range buf {
			buf[k] = float64(i + k)
		}
		out[i] = buf[0] + buf[1] + buf[2]
	})
	fmt.Println(out)
	// Output: [3 6 9 12 15 18]
}

func ExampleForErr() {
	err := parallel.ForErr(context.Background(), 10, 0, func(i int) error {
		if i%4 == 3 {
			return fmt.Errorf("item %d failed", i)
		}
		return nil
	})
	// Items 3 and 7 fail; the smallest index is reported, whatever the
	// schedule.
	fmt.Println(err)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err = parallel.ForErr(ctx, 10, 0, func(int) error { return nil })
	fmt.Println(errors.Is(err, context.Canceled))
	// Output:
	// item 3 failed
	// true
}

func ExampleRanges() {
	// Row sums of a 10×3 matrix, in ranges of 4 rows handed out to two
	// goroutines as they become free.
	const rows, cols = 10, 3
	a := make([]float64, rows*cols)
	for k := range a {
		a[k] = float64(k)
	}
	sums := make([]float64, rows)
	parallel.Ranges(rows, 2, 4, func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			for _, v := range a[i*cols : (i+1)*cols] {
				sums[i] += v
			}
		}
	})
	fmt.Println(sums)
	// Output: [3 12 21 30 39 48 57 66 75 84]
}
