package http

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/ticketblitz/ticketblitz/http/flashsale"
)

// newFlashSales runs flash sales over the env's fake reservations and catalog.
func newFlashSales(t *testing.T, c *Config) *flashsale.Sales {
	t.Helper()
	fs, err := flashsale.New(flashsale.Config{Reservations: c.Reservations, Catalog: c.Catalog, Logger: zap.NewNop(), Seed: 42, ThinkTime: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := fs.Close(ctx); err != nil {
			t.Errorf("close flash sales: %v", err)
		}
	})
	return fs
}

func TestFlashSaleRoutes(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.FlashSales = newFlashSales(t, c) })
	admin := bearer(t, "root", RoleAdmin)

	e.do(t, http.MethodPost, "/api/v1/admin/flash-sale", `{"event_id":"e1","section_id":"A"}`, nil).
		expectError(t, http.StatusUnauthorized, "UNAUTHENTICATED")
	e.do(t, http.MethodPost, "/api/v1/admin/flash-sale", `{"event_id":"e1","section_id":"A"}`, bearer(t, "alice", RoleFan)).
		expectError(t, http.StatusForbidden, "FORBIDDEN")
	e.do(t, http.MethodGet, "/api/v1/admin/flash-sale/fs_x", "", bearer(t, "alice", RoleFan)).
		expectError(t, http.StatusForbidden, "FORBIDDEN")

	d := e.do(t, http.MethodPost, "/api/v1/admin/flash-sale", `{"event_id":"","section_id":"no/pe","fans":0,"seconds":61}`, admin).
		expectError(t, http.StatusBadRequest, "VALIDATION_FAILED")
	for _, f := range []string{"event_id", "section_id", "fans", "seconds"} {
		if d[f] == nil {
			t.Errorf("details %v do not name %s", d, f)
		}
	}
	e.do(t, http.MethodPost, "/api/v1/admin/flash-sale", `{"event_id":"e1","section_id":"Z"}`, admin).
		expectError(t, http.StatusNotFound, "NOT_FOUND")

	r := e.do(t, http.MethodPost, "/api/v1/admin/flash-sale", `{"event_id":"e1","section_id":"A"}`, admin)
	r.expectStatus(t, http.StatusAccepted)
	id, _ := r.body["id"].(string)
	if !strings.HasPrefix(id, "fs_") || r.body["event_id"] != "e1" || r.body["section_id"] != "A" ||
		r.body["fans"] != float64(flashsale.DefaultFans) || r.body["seconds"] != float64(flashsale.DefaultSeconds) || r.body["status"] != "running" {
		t.Fatalf("started: %s", r.raw)
	}
	d = e.do(t, http.MethodPost, "/api/v1/admin/flash-sale", `{"event_id":"e1","section_id":"A","fans":5,"seconds":1}`, admin).
		expectError(t, http.StatusBadRequest, "VALIDATION_FAILED")
	if d["section_id"] != "a flash sale is already running" {
		t.Errorf("details %v", d)
	}

	g := e.do(t, http.MethodGet, "/api/v1/admin/flash-sale/"+id, "", admin)
	g.expectStatus(t, http.StatusOK)
	for _, k := range []string{"id", "status", "attempts", "holds", "orders", "refusals"} {
		if _, ok := g.body[k]; !ok {
			t.Errorf("progress %s lacks %s", g.raw, k)
		}
	}
	e.do(t, http.MethodGet, "/api/v1/admin/flash-sale/fs_unknown", "", admin).expectError(t, http.StatusNotFound, "NOT_FOUND")
}

// TestFlashSaleRoutesWithoutFlashSales: a node without flash sales answers its admins
// 404 on both routes and still refuses everybody else first.
func TestFlashSaleRoutesWithoutFlashSales(t *testing.T) {
	e := newEnv(t)
	admin := bearer(t, "root", RoleAdmin)
	e.do(t, http.MethodPost, "/api/v1/admin/flash-sale", `{"event_id":"e1","section_id":"A"}`, nil).
		expectError(t, http.StatusUnauthorized, "UNAUTHENTICATED")
	e.do(t, http.MethodPost, "/api/v1/admin/flash-sale", `{"event_id":"e1","section_id":"A"}`, admin).
		expectError(t, http.StatusNotFound, "NOT_FOUND")
	e.do(t, http.MethodGet, "/api/v1/admin/flash-sale/fs_x", "", admin).
		expectError(t, http.StatusNotFound, "NOT_FOUND")
}
