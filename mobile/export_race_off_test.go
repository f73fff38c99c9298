//go:build !race

package mobile_test

const raceEnabled = false
