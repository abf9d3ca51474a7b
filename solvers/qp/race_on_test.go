//go:build race

package qp_test

// raceEnabled: the test binary runs under the race detector (CI's -race
// run), 10–20× slower; the largest solves run only in the plain
// `go test ./...` (the README's command).
const raceEnabled = true
