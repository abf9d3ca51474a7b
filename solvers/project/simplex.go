package project

import (
	"fmt"
	"math"
	"slices"
)

// Simplex is the scaled probability simplex {x : x ≥ 0, Σxᵢ = Radius},
// Radius > 0. The projection is
//
//	P(y) = max(y − τ, 0),   τ such that Σ max(yᵢ − τ, 0) = r,
//
// computed by Condat's algorithm in O(n) expected time. With the support
// S = {i : xᵢ > 0}, the Jacobian is the support-restricted centering map
//
//	(∂P(y) v)_S = v_S − (1/|S|) Σ_{j∈S} vⱼ,   (∂P(y) v)ᵢ = 0 for i ∉ S.
//
// Kinks: yᵢ = τ for some i (a coordinate at the edge of the support), where
// the Jacobian of the support {xᵢ > 0} is returned.
type Simplex struct {
	Radius float64
}

// Project sets dst = P(y). dst may alias y (Project then allocates a copy
// of y; otherwise it uses dst as scratch and does not allocate).
func (s Simplex) Project(dst, y []float64) error {
	if err := checkProject(dst, y); err != nil {
		return err
	}
	if err := checkRadius("simplex", s.Radius); err != nil {
		return err
	}
	projectSimplex(dst, y, s.Radius)
	return nil
}

// projectSimplex sets dst = P(y) onto {x ≥ 0, Σx = r} for finite y.
func projectSimplex(dst, y []float64, r float64) {
	src := y
	if sameStart(dst, y) {
		src = slices.Clone(y)
	}
	mean, k := simplexThreshold(src, r, dst) // dst is scratch here
	writeSimplex(dst, src, r, mean, k, false)
}

// writeSimplex sets dst = max((y − mean) + r/k, 0) (on |y| with signs
// restored if signed), where mean is the average of y over the support
// and k its size. dst must not alias y. If the support of the result
// differs from k elements (possible only when r is below the rounding
// unit of y), it repeats with the new support (Michelot's iteration).
func writeSimplex(dst, y []float64, r, mean float64, k int, signed bool) {
	for range 8 {
		shift := r / float64(k)
		count, sum := 0, 0.0
		if !signed {
			// The support of a simplex projection is often small: the
			// branch is well predicted.
			for i, a := range y {
				x := min((a-mean)+shift, r) // x ≤ r exactly; min guards overflow
				if x > 0 {
					count++
					sum += a
				} else {
					x = 0
				}
				dst[i] = x
			}
		} else {
			// Branch-free: the signs are in random order and the support
			// of an l1 projection is often a large fraction.
			for i, v := range y {
				a := math.Abs(v)
				x := min(max((a-mean)+shift, 0), r)
				bits := math.Float64bits(x)
				nz := (bits | -bits) >> 63 // 1 if x > 0 (x ≥ 0 here)
				count += int(nz)
				sum += a * float64(nz)
				dst[i] = math.Copysign(x, v) + 0 // +0 rather than −0 off the support
			}
		}
		if count == k || count == 0 {
			return
		}
		mean, k = sum/float64(count), count
	}
}

// simplexThreshold returns the mean ȳ_S of y over the support S of the
// projection and k = |S|: the threshold is τ = ȳ_S − r/|S| with
// Σ max(yᵢ − τ, 0) = r, and xᵢ = max((yᵢ − ȳ_S) + r/|S|, 0) is the
// accurate way to form the projection (exact for |S| = 1 whatever the
// magnitude of y).
//
// It uses buf (len ≥ len(y)) as scratch; buf may be y itself, which is then
// overwritten: the algorithm only writes positions it has already read.
// It follows L. Condat, "Fast projection onto the simplex and the l1
// ball", Math. Program. 158 (2016), Algorithm "Proposed": one pass that
// keeps a candidate support v and a waiting list ṽ with a running
// threshold ρ, a pass over ṽ, and clean-up passes that drop elements below
// ρ. Here ṽ is buf[:nt] and v is buf[nt:nt+nv]; both only hold values
// already read.
func simplexThreshold(y []float64, r float64, buf []float64) (mean float64, k int) {
	nt, nv := 0, 1
	buf[0] = y[0]
	rho := y[0] - r
	for _, yk := range y[1:] {
		if yk <= rho {
			continue
		}
		rho += (yk - rho) / float64(nv+1)
		if rho > yk-r {
			buf[nt+nv] = yk
			nv++
		} else {
			nt += nv // ṽ ← ṽ ∪ v
			buf[nt] = yk
			nv = 1
			rho = yk - r
		}
	}
	if nt > 0 {
		// Elements of ṽ above ρ join v. Kept elements are compacted to the
		// front of buf, then v is moved down after them.
		w := 0
		for _, yk := range buf[:nt] {
			if yk > rho {
				buf[w] = yk
				w++
				rho += (yk - rho) / float64(nv+w)
			}
		}
		copy(buf[w:], buf[nt:nt+nv])
		nv += w
	}
	v := buf[:nv]
	for {
		w := 0
		for k, yk := range v {
			if yk > rho {
				v[w] = yk
				w++
			} else if size := w + len(v) - k - 1; size > 0 {
				// |v| after the removal: the elements kept so far and
				// those not yet visited.
				rho += (rho - yk) / float64(size)
			}
		}
		if w == len(v) {
			break
		}
		if w == 0 {
			// Rounding removed every element (y far larger than r): the
			// support is the set of largest elements. Nothing was
			// overwritten.
			top := slices.Max(v)
			for _, yk := range v {
				if yk == top {
					v[w] = yk
					w++
				}
			}
			v = v[:w]
			break
		}
		v = v[:w]
	}
	// Recompute τ from the final support for accuracy: the running updates
	// accumulate rounding errors over n steps.
	sum := 0.0
	comp := 0.0 // Kahan compensation
	for _, yk := range v {
		t := sum + yk
		if math.Abs(sum) >= math.Abs(yk) {
			comp += (sum - t) + yk
		} else {
			comp += (yk - t) + sum
		}
		sum = t
	}
	return (sum + comp) / float64(len(v)), len(v)
}

// JVP sets dst to the centering of v on the support of x. dst may alias v.
// y is not read (the support is that of x).
func (s Simplex) JVP(dst, x, y, v []float64) error {
	if n := len(v); n == 0 || len(dst) != n || len(x) != n || len(y) != n {
		return fmt.Errorf("%w: len(dst) = %d, len(x) = %d, len(y) = %d, len(v) = %d",
			ErrDims, len(dst), len(x), len(y), n)
	}
	if err := checkRadius("simplex", s.Radius); err != nil {
		return err
	}
	return centerOnSupportChecked(dst, x, v)
}

// centerOnSupportChecked is centerOnSupport with the finiteness checks of
// x and v fused into its first pass (Inf·0 and NaN·0 are NaN): two passes
// over memory instead of five.
func centerOnSupportChecked(dst, x, v []float64) error {
	sum, k, chk := 0.0, 0, 0.0
	for i, xi := range x {
		chk += xi*0 + v[i]*0
		if xi > 0 {
			sum += v[i]
			k++
		}
	}
	if chk != 0 {
		return fmt.Errorf("%w: x or tangent", ErrNaN)
	}
	mean := 0.0
	if k > 0 {
		mean = sum / float64(k)
	}
	if math.IsInf(mean, 0) {
		return fmt.Errorf("%w: result overflows float64", ErrNaN)
	}
	chk = 0
	for i, xi := range x {
		d := 0.0
		if xi > 0 {
			d = v[i] - mean
		}
		chk += d * 0
		dst[i] = d
	}
	if chk != 0 {
		return fmt.Errorf("%w: result overflows float64", ErrNaN)
	}
	return nil
}

// VJP equals JVP.
func (s Simplex) VJP(dst, x, y, u []float64) error { return s.JVP(dst, x, y, u) }

// L1Ball is {x : ‖x‖₁ ≤ Radius}, Radius > 0. Inside the ball P(y) = y;
// outside,
//
//	P(y) = sign(y) ∘ P_Δ(|y|),
//
// with P_Δ the projection onto the simplex of radius r (Duchi et al. 2008,
// Condat 2016). Outside the ball, with the support S = {i : xᵢ ≠ 0} and
// sᵢ = sign(xᵢ), the Jacobian is the signed centering map
//
//	(∂P(y) v)ᵢ = sᵢ (sᵢvᵢ − (1/|S|) Σ_{j∈S} sⱼvⱼ)  for i ∈ S,  0 otherwise;
//
// inside it is I.
//
// Kinks: the sphere ‖y‖₁ = r (the identity is returned), and |yᵢ| = τ (the
// support {xᵢ ≠ 0} is used).
type L1Ball struct {
	Radius float64
}

func norm1(y []float64) float64 {
	s := 0.0
	for _, v := range y {
		s += math.Abs(v)
	}
	return s
}

// Project sets dst = P(y). dst may alias y.
func (b L1Ball) Project(dst, y []float64) error {
	if err := checkProject(dst, y); err != nil {
		return err
	}
	if err := checkRadius("l1 ball", b.Radius); err != nil {
		return err
	}
	nrm := norm1(y)
	if nrm <= b.Radius {
		copy(dst, y)
		return nil
	}
	src := y
	if sameStart(dst, y) {
		src = append([]float64(nil), y...)
	}
	if math.IsInf(nrm, 0) {
		// ‖y‖₁ overflows: project y/s onto the ball of radius r/s and scale
		// back (the projection is positively homogeneous in (y, r)).
		s := 0.0
		for _, v := range src {
			s = math.Max(s, math.Abs(v))
		}
		scaled := make([]float64, len(src))
		for i, v := range src {
			scaled[i] = v / s
		}
		if err := (L1Ball{b.Radius / s}).Project(dst, scaled); err != nil {
			return err
		}
		for i := range dst {
			dst[i] *= s
		}
		return checkOutput(dst)
	}
	for i, v := range src {
		dst[i] = math.Abs(v)
	}
	// simplexThreshold may use its input as scratch: it only writes
	// positions it has already read.
	mean, k := simplexThreshold(dst, b.Radius, dst)
	writeSimplex(dst, src, b.Radius, mean, k, true)
	return checkOutput(dst)
}

// JVP sets dst = ∂P(y) v. dst may alias v.
func (b L1Ball) JVP(dst, x, y, v []float64) error {
	if err := checkProduct(dst, x, y, v); err != nil {
		return err
	}
	if err := checkRadius("l1 ball", b.Radius); err != nil {
		return err
	}
	if norm1(y) <= b.Radius {
		copy(dst, v)
		return nil
	}
	sum, k := 0.0, 0
	for i, xi := range x {
		switch {
		case xi > 0:
			sum += v[i]
			k++
		case xi < 0:
			sum -= v[i]
			k++
		}
	}
	mean := 0.0
	if k > 0 {
		mean = sum / float64(k)
	}
	for i, xi := range x {
		switch {
		case xi > 0:
			dst[i] = v[i] - mean
		case xi < 0:
			dst[i] = v[i] + mean
		default:
			dst[i] = 0
		}
	}
	return checkOutput(dst)
}

// VJP equals JVP.
func (b L1Ball) VJP(dst, x, y, u []float64) error { return b.JVP(dst, x, y, u) }
