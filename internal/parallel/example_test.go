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
