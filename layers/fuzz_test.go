package layers

import (
	"context"
	"encoding/binary"
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/sinkhorn"
)

// fuzzReader draws floats (NaN, Inf, 0, −1, raw bits or [0, 10)) and
// small sizes from fuzz data.
type fuzzReader struct{ b []byte }

func (r *fuzzReader) float() float64 {
	if len(r.b) < 2 {
		return 0.5
	}
	k := r.b[0]
	switch k % 16 {
	case 0:
		r.b = r.b[1:]
		return math.NaN()
	case 1:
		r.b = r.b[1:]
		return math.Inf(1)
	case 2:
		r.b = r.b[1:]
		return 0
	case 3:
		r.b = r.b[1:]
		return -1
	}
	if len(r.b) >= 8 && k%16 == 4 {
		v := math.Float64frombits(binary.LittleEndian.Uint64(r.b))
		r.b = r.b[8:]
		return v
	}
	v := float64(binary.LittleEndian.Uint16(r.b)) / 6553.6
	r.b = r.b[2:]
	return v
}

func (r *fuzzReader) small(lim int) int {
	if len(r.b) == 0 {
		return 1
	}
	v := int(r.b[0])%lim + 1
	r.b = r.b[1:]
	return v
}

// FuzzBirkhoff runs the Birkhoff layer on arbitrary scores and
// temperatures: never a panic, never a NaN gradient with a nil error.
func FuzzBirkhoff(f *testing.F) {
	f.Add([]byte{3, 3, 100, 20, 1, 1, 1, 2, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9})
	f.Add([]byte{2, 2, 5, 0, 1, 1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10})
	f.Add([]byte{4, 1, 7, 7, 7, 2, 2, 2, 2, 2, 200, 100, 50, 25, 12, 6, 3})
	f.Fuzz(func(t *testing.T, data []byte) {
		r := &fuzzReader{data}
		n := r.small(5)
		s := mat.NewDense(n, n, nil)
		for i := range n {
			for j := range n {
				s.Set(i, j, r.float())
			}
		}
		l := &Birkhoff{Tau: r.float(), Settings: &sinkhorn.Settings{MaxIter: 200}}
		out, err := l.Forward(context.Background(), s)
		if err != nil {
			return
		}
		g, err := out.Backward(s)
		if err != nil {
			return
		}
		for _, v := range g.RawMatrix().Data {
			if math.IsNaN(v) {
				t.Fatal("NaN gradient with nil error")
			}
		}
		if _, err := RoundToPermutation(out.P); err != nil {
			t.Fatalf("RoundToPermutation of a finite P: %v", err)
		}
	})
}
