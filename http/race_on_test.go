//go:build race

package http

// raceBuild is true in a build with the race detector, whose instrumentation makes
// frames larger.
const raceBuild = true
