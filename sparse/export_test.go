package sparse

// SetLDLKernel forces the numeric kernel of NewLDL for the external tests
// and benchmarks: "up" (up-looking, by rows), "supernodal", or "auto". It
// returns a function that restores the previous choice.
func SetLDLKernel(k string) (restore func()) {
	old := ldlKernel
	switch k {
	case "up":
		ldlKernel = kernelUpLooking
	case "supernodal":
		ldlKernel = kernelSupernodal
	default:
		ldlKernel = kernelAuto
	}
	return func() { ldlKernel = old }
}

// Supernodal reports whether f uses the supernodal kernel.
func (f *LDL) Supernodal() bool { return f.sn != nil }

// SupernodeStats returns the number of supernodes and the entries stored
// in their blocks (0, 0 for the up-looking kernel).
func (f *LDL) SupernodeStats() (supernodes, stored int) {
	if f.sn == nil {
		return 0, 0
	}
	return f.sn.ns, len(f.sn.x)
}
