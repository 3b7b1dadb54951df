//go:build !race

package persistence

// raceBuild is true in a build with the race detector (see race_on_test.go).
const raceBuild = false
