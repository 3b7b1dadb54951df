package deploy_test

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// dashboard is the part of a Grafana dashboard the tests read.
type dashboard struct {
	UID           string           `json:"uid"`
	Title         string           `json:"title"`
	SchemaVersion int              `json:"schemaVersion"`
	Panels        []dashboardPanel `json:"panels"`
	Templating    struct {
		List []struct {
			Name       string          `json:"name"`
			Type       string          `json:"type"`
			Datasource datasourceRef   `json:"datasource"`
			Query      json.RawMessage `json:"query"`
		} `json:"list"`
	} `json:"templating"`
}

type dashboardPanel struct {
	ID         int                      `json:"id"`
	Type       string                   `json:"type"`
	Title      string                   `json:"title"`
	Datasource *datasourceRef           `json:"datasource"`
	GridPos    struct{ H, W, X, Y int } `json:"gridPos"`
	Targets    []struct {
		RefID        string         `json:"refId"`
		Expr         string         `json:"expr"`
		LegendFormat string         `json:"legendFormat"`
		Datasource   *datasourceRef `json:"datasource"`
	} `json:"targets"`
	Panels []dashboardPanel `json:"panels"` // a collapsed row's panels
}

type datasourceRef struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

// dashboardCovers are the series the dashboard exists to show.
var dashboardCovers = []string{
	"ticketblitz_decisions_total",
	"ticketblitz_http_request_duration_seconds_bucket",
	"ticketblitz_mailbox_depth",
	"ticketblitz_batch_decisions_bucket",
	"ticketblitz_batch_commit_seconds_bucket",
	"ticketblitz_batches_total",
	"ticketblitz_outbox_lag_records",
	"ticketblitz_outbox_lag_oldest_seconds",
	"ticketblitz_activations_total",
	"ticketblitz_cluster_members",
}

func loadDashboard(t *testing.T) dashboard {
	t.Helper()
	var d dashboard
	if err := json.Unmarshal(readFile(t, dashboardPath), &d); err != nil {
		t.Fatalf("parse %s: %v", dashboardPath, err)
	}
	return d
}

// allPanels flattens rows.
func (d dashboard) allPanels() []dashboardPanel {
	var out []dashboardPanel
	var walk func([]dashboardPanel)
	walk = func(ps []dashboardPanel) {
		for _, p := range ps {
			out = append(out, p)
			walk(p.Panels)
		}
	}
	walk(d.Panels)
	return out
}

// query is one PromQL expression of the dashboard and where it is.
type query struct {
	where, expr, legend string
}

// queries lists every panel target and every query variable.
func (d dashboard) queries(t *testing.T) []query {
	t.Helper()
	var out []query
	for _, p := range d.allPanels() {
		for _, tg := range p.Targets {
			out = append(out, query{where: fmt.Sprintf("panel %d %q target %s", p.ID, p.Title, tg.RefID), expr: tg.Expr, legend: tg.LegendFormat})
		}
	}
	for _, v := range d.Templating.List {
		if v.Type != "query" {
			continue
		}
		var s string
		var obj struct {
			Query string `json:"query"`
		}
		if json.Unmarshal(v.Query, &s) != nil {
			if err := json.Unmarshal(v.Query, &obj); err != nil {
				t.Fatalf("variable %s: query: %v", v.Name, err)
			}
			s = obj.Query
		}
		out = append(out, query{where: "variable " + v.Name, expr: s})
	}
	return out
}

func TestDashboardLayout(t *testing.T) {
	d := loadDashboard(t)
	uid, _ := provisionedDatasource(t)
	if d.UID == "" || d.Title == "" || d.SchemaVersion < 36 {
		t.Errorf("dashboard uid %q, title %q, schemaVersion %d: want a uid, a title and schema 36 or later", d.UID, d.Title, d.SchemaVersion)
	}
	ids := map[int]bool{}
	for _, p := range d.allPanels() {
		if p.ID == 0 || ids[p.ID] {
			t.Errorf("panel %q: id %d is missing or repeated", p.Title, p.ID)
		}
		ids[p.ID] = true
		g := p.GridPos
		if g.W < 1 || g.H < 1 || g.X < 0 || g.X+g.W > 24 || g.Y < 0 {
			t.Errorf("panel %d %q: gridPos %+v outside the 24-column grid", p.ID, p.Title, g)
		}
		if p.Type == "row" {
			continue
		}
		if p.Title == "" || len(p.Targets) == 0 {
			t.Errorf("panel %d: title %q and %d targets, want both", p.ID, p.Title, len(p.Targets))
		}
		if p.Datasource == nil || p.Datasource.UID != uid {
			t.Errorf("panel %d %q: datasource %+v, want the provisioned uid %q", p.ID, p.Title, p.Datasource, uid)
		}
		refs := map[string]bool{}
		for _, tg := range p.Targets {
			if tg.RefID == "" || refs[tg.RefID] || strings.TrimSpace(tg.Expr) == "" {
				t.Errorf("panel %d %q: target %q has no expression or a missing or repeated refId", p.ID, p.Title, tg.RefID)
			}
			refs[tg.RefID] = true
			if tg.Datasource != nil && tg.Datasource.UID != uid {
				t.Errorf("panel %d %q target %s: datasource uid %q, want %q", p.ID, p.Title, tg.RefID, tg.Datasource.UID, uid)
			}
		}
	}
	for _, v := range d.Templating.List {
		if v.Type == "query" && v.Datasource.UID != uid {
			t.Errorf("variable %s: datasource uid %q, want %q", v.Name, v.Datasource.UID, uid)
		}
	}
}

var legendLabel = regexp.MustCompile(`\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}`)

// TestDashboardQueriesRegisteredMetrics checks that every series the dashboard queries
// is registered by the program (or is Prometheus's own, or listed in pendingMetrics), and
// that every label it matches, groups by or shows in a legend is one those series carry.
func TestDashboardQueriesRegisteredMetrics(t *testing.T) {
	known := registeredSeries(t)
	for name, s := range scrapeMetrics {
		known[name] = s
	}
	pending := map[string]bool{}
	for name, s := range pendingMetrics {
		if r, ok := known[name]; ok {
			t.Logf("%s is registered now (%s): remove it from pendingMetrics", name, r.Source)
			continue
		}
		known[name] = s
		pending[name] = true
	}
	target := targetLabels(t)
	queried := map[string]bool{}
	for _, q := range loadDashboard(t).queries(t) {
		pq, err := scanPromQL(q.expr)
		if err != nil {
			t.Errorf("%s: %v", q.where, err)
			continue
		}
		if len(pq.Metrics) == 0 {
			t.Errorf("%s: %q queries no metric", q.where, q.expr)
		}
		allowed := map[string]bool{}
		for l := range target {
			allowed[l] = true
		}
		for _, m := range pq.Metrics {
			queried[m] = true
			s, ok := known[m]
			if !ok {
				t.Errorf("%s: %s is not a metric the program registers", q.where, m)
				continue
			}
			for _, l := range s.Labels {
				allowed[l] = true
			}
		}
		labels := pq.Labels
		for _, m := range legendLabel.FindAllStringSubmatch(q.legend, -1) {
			labels = append(labels, m[1])
		}
		for _, l := range labels {
			if !allowed[l] {
				t.Errorf("%s: label %q is on none of %v (nor a target label)", q.where, l, pq.Metrics)
			}
		}
	}
	for _, m := range dashboardCovers {
		if !queried[m] {
			t.Errorf("the dashboard has no panel for %s", m)
		}
	}
	for m := range pending {
		t.Logf("pending: the dashboard queries %s, which no collector registers yet", m)
	}
}

// grafanaVariables are replaced by plausible values before promtool reads a query.
var grafanaVariables = strings.NewReplacer("$__rate_interval", "1m", "$__interval", "1m", "$__range", "1h", "$node", ".*")

// TestDashboardQueriesParse has promtool parse every panel query and prometheus.yml,
// when promtool (Debian package prometheus) is installed.
func TestDashboardQueriesParse(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Skip("promtool is not installed")
	}
	var rules strings.Builder
	rules.WriteString("groups:\n- name: dashboard\n  rules:\n")
	n := 0
	for _, q := range loadDashboard(t).queries(t) {
		if strings.HasPrefix(strings.TrimSpace(q.expr), "label_values(") {
			continue // Grafana's, not PromQL
		}
		expr := grafanaVariables.Replace(q.expr)
		if strings.Contains(expr, "$") {
			t.Errorf("%s: a Grafana variable this test does not know: %s", q.where, q.expr)
			continue
		}
		quoted, _ := json.Marshal(expr) // a JSON string is a YAML string
		fmt.Fprintf(&rules, "  - record: dashboard:q%d\n    expr: %s\n", n, quoted)
		n++
	}
	file := filepath.Join(t.TempDir(), "rules.yml")
	if err := os.WriteFile(file, []byte(rules.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"check", "rules", file}, {"check", "config", filepath.Join(repoRoot(t), prometheusPath)}} {
		if out, err := exec.Command(promtool, args...).CombinedOutput(); err != nil {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}
