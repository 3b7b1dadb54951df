//go:build race

package persistence

// raceBuild is true in a build with the race detector, under which a sync.Pool drops
// some of what it is given, at random.
const raceBuild = true
