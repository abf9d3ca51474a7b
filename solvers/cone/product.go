package cone

import (
	"fmt"
	"slices"
)

// Product is the Cartesian product K₁ × … × K_m of cones, acting on the
// concatenation of their vectors (in order). Its dual is the product of
// the duals, its degree the sum, its projection, derivative, barrier and
// scaling block by block, its step the minimum of the blocks' steps.
// Zero and Free blocks are skipped by the barrier, Identity (zero there),
// MaxStep and Scaling (W = I on them), which is what an interior-point
// method that eliminates equality slacks needs. Build it with NewProduct.
type Product struct {
	cones []Cone
	off   []int
}

var _ Cone = (*Product)(nil)

// NewProduct returns the product of cones (at least one; none nil, each
// of a valid dimension; errors match ErrInvalid). Nested products are
// kept as blocks.
func NewProduct(cones ...Cone) (*Product, error) {
	if len(cones) == 0 {
		return nil, fmt.Errorf("%w: empty product", ErrInvalid)
	}
	p := &Product{cones: slices.Clone(cones), off: make([]int, len(cones)+1)}
	for i, c := range cones {
		if c == nil {
			return nil, fmt.Errorf("%w: cone %d is nil", ErrInvalid, i)
		}
		if pp, ok := c.(*Product); ok && (pp == nil || len(pp.cones) == 0) {
			return nil, fmt.Errorf("%w: cone %d is an empty product", ErrInvalid, i)
		}
		d := c.Dim()
		if d < 1 {
			return nil, fmt.Errorf("%w: cone %d (%T) has dimension %d", ErrInvalid, i, c, d)
		}
		if err := validate(c); err != nil {
			return nil, fmt.Errorf("cone %d: %w", i, err)
		}
		p.off[i+1] = p.off[i] + d
	}
	return p, nil
}

// validate checks a cone's parameters through its cheapest method.
func validate(c Cone) error {
	switch k := c.(type) {
	case Power:
		return checkAlpha(k.Alpha)
	case PowerDual:
		return checkAlpha(k.Alpha)
	}
	return nil
}

// Cones returns the blocks.
func (p *Product) Cones() []Cone { return slices.Clone(p.cones) }

// Offsets returns the start of each block and the total dimension.
func (p *Product) Offsets() []int { return slices.Clone(p.off) }

func (p *Product) valid() error {
	if p == nil || len(p.cones) == 0 {
		return fmt.Errorf("%w: use NewProduct", ErrInvalid)
	}
	return nil
}

func (p *Product) Dim() int {
	if p == nil || len(p.off) == 0 {
		return 0
	}
	return p.off[len(p.off)-1]
}

func (p *Product) Degree() int {
	if p == nil {
		return 0
	}
	n := 0
	for _, c := range p.cones {
		n += c.Degree()
	}
	return n
}

func (p *Product) Dual() Cone {
	if p == nil {
		return p
	}
	q := &Product{cones: make([]Cone, len(p.cones)), off: slices.Clone(p.off)}
	for i, c := range p.cones {
		q.cones[i] = c.Dual()
	}
	return q
}

func (p *Product) check(dst []float64, vs ...[]float64) error {
	if err := p.valid(); err != nil {
		return err
	}
	if dst != nil {
		if err := checkDst(p.Dim(), dst); err != nil {
			return err
		}
	}
	return checkVecs(p.Dim(), vs...)
}

func (p *Product) blk(i int, v []float64) []float64 {
	if v == nil {
		return nil
	}
	return v[p.off[i]:p.off[i+1]]
}

func (p *Product) each(f func(i int, c Cone) error) error {
	for i, c := range p.cones {
		if err := f(i, c); err != nil {
			return fmt.Errorf("block %d: %w", i, err)
		}
	}
	return nil
}

func isLinear(c Cone) bool {
	switch c.(type) {
	case Zero, Free:
		return true
	}
	return false
}

func (p *Product) Project(dst, y []float64) error {
	if err := p.check(dst, y); err != nil {
		return err
	}
	return p.each(func(i int, c Cone) error { return c.Project(p.blk(i, dst), p.blk(i, y)) })
}

func (p *Product) JVP(dst, x, y, v []float64) error {
	if err := p.check(dst, x, y, v); err != nil {
		return err
	}
	return p.each(func(i int, c Cone) error { return c.JVP(p.blk(i, dst), p.blk(i, x), p.blk(i, y), p.blk(i, v)) })
}

func (p *Product) VJP(dst, x, y, u []float64) error {
	if err := p.check(dst, x, y, u); err != nil {
		return err
	}
	return p.each(func(i int, c Cone) error { return c.VJP(p.blk(i, dst), p.blk(i, x), p.blk(i, y), p.blk(i, u)) })
}

// Dist returns √(Σ dist(yᵢ, Kᵢ)²).
func (p *Product) Dist(y []float64) (float64, error) {
	if err := p.check(nil, y); err != nil {
		return 0, err
	}
	ds := make([]float64, len(p.cones))
	err := p.each(func(i int, c Cone) error {
		d, err := c.Dist(p.blk(i, y))
		ds[i] = d
		return err
	})
	if err != nil {
		return 0, err
	}
	return distOut(nrm2(ds))
}

func (p *Product) Contains(y []float64, tol float64) (bool, error) { return containsVia(p, y, tol) }

func (p *Product) Identity(dst []float64) error {
	if err := p.check(dst); err != nil {
		return err
	}
	return p.each(func(i int, c Cone) error {
		if isLinear(c) {
			clear(p.blk(i, dst))
			return nil
		}
		return c.Identity(p.blk(i, dst))
	})
}

func (p *Product) Barrier(s []float64) (float64, error) {
	if err := p.check(nil, s); err != nil {
		return 0, err
	}
	f := 0.0
	err := p.each(func(i int, c Cone) error {
		if isLinear(c) {
			return nil
		}
		v, err := c.Barrier(p.blk(i, s))
		f += v
		return err
	})
	return f, err
}

func (p *Product) BarrierGrad(dst, s []float64) error {
	if err := p.check(dst, s); err != nil {
		return err
	}
	return p.each(func(i int, c Cone) error {
		if isLinear(c) {
			clear(p.blk(i, dst))
			return nil
		}
		return c.BarrierGrad(p.blk(i, dst), p.blk(i, s))
	})
}

func (p *Product) BarrierHess(dst, s, v []float64) error {
	if err := p.check(dst, s, v); err != nil {
		return err
	}
	return p.each(func(i int, c Cone) error {
		if isLinear(c) {
			clear(p.blk(i, dst))
			return nil
		}
		return c.BarrierHess(p.blk(i, dst), p.blk(i, s), p.blk(i, v))
	})
}

func (p *Product) MaxStep(s, ds []float64, limit float64) (float64, error) {
	if err := p.check(nil, s, ds); err != nil {
		return 0, err
	}
	if err := checkLimit(limit); err != nil {
		return 0, err
	}
	a := limit
	err := p.each(func(i int, c Cone) error {
		if isLinear(c) {
			return nil
		}
		b, err := c.MaxStep(p.blk(i, s), p.blk(i, ds), a)
		a = min(a, b)
		return err
	})
	return a, err
}

func (p *Product) Scaling(s, z []float64) (Scaling, error) {
	if err := p.check(nil, s, z); err != nil {
		return nil, err
	}
	b := &blockScaling{off: slices.Clone(p.off), sc: make([]Scaling, len(p.cones)), lam: make([]float64, p.Dim())}
	err := p.each(func(i int, c Cone) error {
		if isLinear(c) {
			return nil
		}
		sc, err := c.Scaling(p.blk(i, s), p.blk(i, z))
		if err != nil {
			return err
		}
		b.sc[i] = sc
		copy(p.blk(i, b.lam), sc.Lambda())
		return nil
	})
	if err != nil {
		return nil, err
	}
	return b, nil
}

// symmetric returns the blocks as Symmetric cones, or an error.
func (p *Product) symmetric() ([]Symmetric, error) {
	out := make([]Symmetric, len(p.cones))
	for i, c := range p.cones {
		s, ok := c.(Symmetric)
		if !ok && !isLinear(c) {
			return nil, fmt.Errorf("%w: block %d (%T) is not a symmetric cone", ErrInvalid, i, c)
		}
		out[i] = s
	}
	return out, nil
}

// Jordan sets dst to the blockwise Jordan product (zero on Zero and Free
// blocks); every other block must be Symmetric (ErrInvalid otherwise).
func (p *Product) Jordan(dst, u, v []float64) error {
	if err := p.check(dst, u, v); err != nil {
		return err
	}
	ss, err := p.symmetric()
	if err != nil {
		return err
	}
	return p.each(func(i int, c Cone) error {
		if ss[i] == nil {
			clear(p.blk(i, dst))
			return nil
		}
		return ss[i].Jordan(p.blk(i, dst), p.blk(i, u), p.blk(i, v))
	})
}

// JordanDiv sets dst to the blockwise λ⁻¹ ∘ v (zero on Zero and Free blocks).
func (p *Product) JordanDiv(dst, lambda, v []float64) error {
	if err := p.check(dst, lambda, v); err != nil {
		return err
	}
	ss, err := p.symmetric()
	if err != nil {
		return err
	}
	return p.each(func(i int, c Cone) error {
		if ss[i] == nil {
			clear(p.blk(i, dst))
			return nil
		}
		return ss[i].JordanDiv(p.blk(i, dst), p.blk(i, lambda), p.blk(i, v))
	})
}
