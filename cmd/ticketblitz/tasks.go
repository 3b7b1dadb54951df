package main

import (
	"context"
	"sort"
	"sync"

	"golang.org/x/sync/errgroup"
)

// tasks runs a node's background tasks in one errgroup and remembers, by name, which of
// them are still running, so that a shutdown they outlast can say which held it up.
type tasks struct {
	group   *errgroup.Group
	mu      sync.Mutex
	running map[string]int
}

// newTasks returns an empty set of tasks and the context they run under, cancelled
// when one of them fails or ctx ends.
func newTasks(ctx context.Context) (*tasks, context.Context) {
	g, ctx := errgroup.WithContext(ctx)
	return &tasks{group: g, running: map[string]int{}}, ctx
}

// Go runs f as the task called name.
func (t *tasks) Go(name string, f func() error) {
	t.mu.Lock()
	t.running[name]++
	t.mu.Unlock()
	t.group.Go(func() error {
		defer t.finished(name)
		return f()
	})
}

func (t *tasks) finished(name string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.running[name]--; t.running[name] <= 0 {
		delete(t.running, name)
	}
}

// Wait waits for every task and returns the first error one returned.
func (t *tasks) Wait() error { return t.group.Wait() }

// Running returns the names of the tasks still running, sorted.
func (t *tasks) Running() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	names := make([]string, 0, len(t.running))
	for name := range t.running {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}
