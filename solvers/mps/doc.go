// Package mps reads and writes linear and quadratic programs in the MPS and
// QPS file formats.
//
// The model read is
//
//	minimize (or maximize)  ½xᵀQx + cᵀx + constant
//	subject to              rowLower ≤ A x ≤ rowUpper
//	                        colLower ≤ x ≤ colUpper
//
// with A and Q from the sparse package. See Model for the layout and Read
// for the dialect accepted.
package mps
