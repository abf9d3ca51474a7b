package sparse

// Clone returns a factorization that shares f's symbolic analysis (the
// ordering, the permuted pattern, the elimination tree, the column counts,
// the supernodes and the parallel plan, all read-only after NewLDL) and owns
// fresh copies of everything the numeric factorization and Solve write. The
// clone holds no numeric factorization: call Refactor before Solve. f and
// its clones may then be used concurrently, each by one goroutine at a
// time. Clone reads only the analysis, so several goroutines may clone one
// f at once, but not while f itself is refactored (its statistics are
// copied). The clone of a nil *LDL is nil.
func (f *LDL) Clone() *LDL {
	if f == nil {
		return nil
	}
	n := f.n
	g := &LDL{
		n: n, set: f.set, perm: f.perm, iperm: f.iperm, sign: f.sign,
		kcp: f.kcp, kri: f.kri, cmap: f.cmap, ccp: f.ccp, cri: f.cri,
		cx:     make([]float64, len(f.cx)),
		parent: f.parent, lp: f.lp,
		d:  make([]float64, n),
		ws: newWork(n),
		b:  make([]float64, n), x: make([]float64, n), r: make([]float64, n), t: make([]float64, n),
	}
	g.stats = LDLStats{N: f.stats.N, NNZK: f.stats.NNZK, NNZL: f.stats.NNZL, Flops: f.stats.Flops,
		OrderTime: f.stats.OrderTime, SymbolicTime: f.stats.SymbolicTime}
	if f.sn != nil {
		g.sn = f.sn.clone(n)
		return g
	}
	nl := f.lp[n]
	g.li = make([]int, nl)
	g.lx = make([]float64, nl)
	g.lnz = make([]int, n)
	if f.split != nil {
		g.split = &ldlSplit{part: f.split.part, top: f.split.top, ws: [2]ldlWork{newWork(n), newWork(n)}}
	}
	return g
}

// clone shares the pattern of the supernodes and allocates the blocks and
// the scratch.
func (sn *supernodes) clone(n int) *supernodes {
	c := *sn
	c.x = make([]float64, len(sn.x))
	c.tmp = make([]float64, len(sn.tmp))
	c.ws = newSNWork(n, len(sn.ws.b), len(sn.ws.c))
	c.snDynamic = 0
	if sn.helper != nil {
		c.helper = &snHelper{req: make(chan snTask), done: make(chan struct{}),
			ws: newSNWork(n, len(sn.helper.ws.b), len(sn.helper.ws.c))}
	}
	if sn.par != nil {
		c.par = &snSplit{part: sn.par.part, top: sn.par.top}
		for k := range 2 {
			c.par.ws[k] = newSNWork(n, len(sn.par.ws[k].b), len(sn.par.ws[k].c))
		}
	}
	return &c
}
