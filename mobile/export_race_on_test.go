//go:build race

package mobile_test

// raceEnabled reports that the race detector is on: the large models are
// then skipped, to keep the tests fast.
const raceEnabled = true
