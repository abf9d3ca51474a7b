// Package testutil holds helpers shared by the module's tests: the
// adversarial-input harness that every package's adversarial_test.go uses,
// and a process CPU-time clock for benchmarks (platform-specific part
// behind build tags, so that the module vets on every GOOS).
//
// It is imported by test files only; nothing in it is part of the public API.
package testutil
