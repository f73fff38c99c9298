//go:build race

package main

// raceEnabled reports that the race detector is on: sync.Pool then drops
// objects on purpose, so allocation counts mean nothing.
const raceEnabled = true
