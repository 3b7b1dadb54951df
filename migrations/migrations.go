// Package migrations holds TicketBlitz's numbered, forward-only SQL migrations,
// embedded so the binary migrates a fresh database on its own.
package migrations

import "embed"

// FS holds every migration file, named NNNNN_description.sql in goose's format.
//
//go:embed *.sql
var FS embed.FS
