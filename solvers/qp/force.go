package qp

// forcePrimal makes newKKT always pick the primal reduction (tests only).
var forcePrimal = false
