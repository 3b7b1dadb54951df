package deploy_test

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// series is one name Prometheus scrapes from TicketBlitz and the labels it carries.
type series struct {
	Labels []string
	Source string // file:line of the collector, or why the series exists
}

// pendingMetrics are queried by the dashboard but not registered yet. Each entry names
// the package expected to add it and its labels; remove the entry once it is registered.
var pendingMetrics = map[string]series{}

// scrapeMetrics are the series Prometheus adds to every target itself.
var scrapeMetrics = map[string]series{
	"up": {Source: "Prometheus: 1 when the target's scrape succeeded"},
}

// optsKinds maps client_golang's option types to the kind of collector they build.
var optsKinds = map[string]string{
	"CounterOpts": "counter", "GaugeOpts": "gauge", "HistogramOpts": "histogram", "SummaryOpts": "summary",
}

// registeredSeries reads every non-test Go file of the module and returns the series
// its client_golang collectors expose: a histogram x exposes x_bucket (with le), x_sum
// and x_count; a summary x exposes x (with quantile), x_sum and x_count. Names are
// built like prometheus.BuildFQName. An option literal that this reading cannot
// resolve (a non-constant name, a label list in a variable) fails the test rather than
// being skipped.
func registeredSeries(t *testing.T) map[string]series {
	t.Helper()
	root := repoRoot(t)
	out := map[string]series{}
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case ".git", "testdata", "vendor", "node_modules", "deploy":
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return fmt.Errorf("parse %s: %w", path, err)
		}
		return collectSeries(fset, f, root, out)
	})
	if err != nil {
		t.Fatalf("read the module's metrics: %v", err)
	}
	// The names the dashboard is built around; if none of them were found the reading
	// above is broken.
	for _, name := range []string{"ticketblitz_decisions_total", "ticketblitz_http_request_duration_seconds_bucket", "ticketblitz_outbox_lag_records"} {
		if _, ok := out[name]; !ok {
			t.Fatalf("no collector exposes %s: cannot read the module's metrics", name)
		}
	}
	return out
}

// collectSeries adds the series of every prometheus.New…(prometheus.…Opts{…}, labels)
// call in f to out.
func collectSeries(fset *token.FileSet, f *ast.File, root string, out map[string]series) error {
	prom := promImportName(f)
	if prom == "" {
		return nil
	}
	used := map[*ast.CompositeLit]bool{}
	var errs []string
	where := func(n ast.Node) string {
		p := fset.Position(n.Pos())
		rel, _ := filepath.Rel(root, p.Filename)
		return fmt.Sprintf("%s:%d", filepath.ToSlash(rel), p.Line)
	}
	ast.Inspect(f, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok || len(call.Args) == 0 || !isSelector(call.Fun, prom, "") {
			return true
		}
		opts, ok := call.Args[0].(*ast.CompositeLit)
		if !ok {
			return true
		}
		kind := optsKind(opts, prom)
		if kind == "" {
			return true
		}
		used[opts] = true
		name, err := fqName(opts)
		if err != nil {
			errs = append(errs, fmt.Sprintf("%s: %v", where(opts), err))
			return true
		}
		var labels []string
		// Only the …Vec constructors take label names; NewGaugeFunc's second argument is
		// the function.
		if len(call.Args) > 1 && strings.HasSuffix(call.Fun.(*ast.SelectorExpr).Sel.Name, "Vec") {
			if labels, err = stringList(call.Args[1]); err != nil {
				errs = append(errs, fmt.Sprintf("%s: labels of %s: %v", where(opts), name, err))
				return true
			}
		}
		src := where(opts)
		switch kind {
		case "histogram":
			out[name+"_bucket"] = series{Labels: append(append([]string(nil), labels...), "le"), Source: src}
			out[name+"_sum"] = series{Labels: labels, Source: src}
			out[name+"_count"] = series{Labels: labels, Source: src}
		case "summary":
			out[name] = series{Labels: append(append([]string(nil), labels...), "quantile"), Source: src}
			out[name+"_sum"] = series{Labels: labels, Source: src}
			out[name+"_count"] = series{Labels: labels, Source: src}
		default:
			out[name] = series{Labels: labels, Source: src}
		}
		return true
	})
	ast.Inspect(f, func(n ast.Node) bool {
		if lit, ok := n.(*ast.CompositeLit); ok && optsKind(lit, prom) != "" && !used[lit] {
			errs = append(errs, fmt.Sprintf("%s: metric options outside a prometheus.New… call cannot be read", where(lit)))
		}
		return true
	})
	if len(errs) > 0 {
		sort.Strings(errs)
		return fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return nil
}

// promImportName is the name client_golang's prometheus package has in f, or "".
func promImportName(f *ast.File) string {
	for _, imp := range f.Imports {
		if p, _ := strconv.Unquote(imp.Path.Value); p == "github.com/prometheus/client_golang/prometheus" {
			if imp.Name != nil {
				return imp.Name.Name
			}
			return "prometheus"
		}
	}
	return ""
}

// isSelector reports whether e is pkg.sel (any selector of pkg when sel is "").
func isSelector(e ast.Expr, pkg, sel string) bool {
	s, ok := e.(*ast.SelectorExpr)
	if !ok {
		return false
	}
	id, ok := s.X.(*ast.Ident)
	return ok && id.Name == pkg && (sel == "" || s.Sel.Name == sel)
}

func optsKind(lit *ast.CompositeLit, prom string) string {
	s, ok := lit.Type.(*ast.SelectorExpr)
	if !ok || !isSelector(s, prom, "") {
		return ""
	}
	return optsKinds[s.Sel.Name]
}

// fqName joins the Namespace, Subsystem and Name fields like prometheus.BuildFQName.
func fqName(opts *ast.CompositeLit) (string, error) {
	fields := map[string]string{}
	for _, e := range opts.Elts {
		kv, ok := e.(*ast.KeyValueExpr)
		if !ok {
			return "", fmt.Errorf("positional option fields")
		}
		key, _ := kv.Key.(*ast.Ident)
		if key == nil || (key.Name != "Namespace" && key.Name != "Subsystem" && key.Name != "Name") {
			continue
		}
		v, err := stringLit(kv.Value)
		if err != nil {
			return "", fmt.Errorf("%s: %w", key.Name, err)
		}
		fields[key.Name] = v
	}
	if fields["Name"] == "" {
		return "", fmt.Errorf("no Name")
	}
	var parts []string
	for _, k := range []string{"Namespace", "Subsystem", "Name"} {
		if fields[k] != "" {
			parts = append(parts, fields[k])
		}
	}
	return strings.Join(parts, "_"), nil
}

func stringLit(e ast.Expr) (string, error) {
	lit, ok := e.(*ast.BasicLit)
	if !ok || lit.Kind != token.STRING {
		return "", fmt.Errorf("not a string literal")
	}
	return strconv.Unquote(lit.Value)
}

// stringList reads a []string{…} literal of string literals.
func stringList(e ast.Expr) ([]string, error) {
	lit, ok := e.(*ast.CompositeLit)
	if !ok {
		return nil, fmt.Errorf("not a []string literal")
	}
	var out []string
	for _, el := range lit.Elts {
		s, err := stringLit(el)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

func TestRegisteredSeriesReadsCollectors(t *testing.T) {
	src := `package p
import prom "github.com/prometheus/client_golang/prometheus"
func f() {
	_ = prom.NewHistogramVec(prom.HistogramOpts{Namespace: "ns", Subsystem: "http", Name: "seconds"}, []string{"route"})
	_ = prom.NewCounter(prom.CounterOpts{Name: "plain_total"})
}`
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "/m/p/p.go", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]series{}
	if err := collectSeries(fset, f, "/m", out); err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		"ns_http_seconds_bucket": {"route", "le"}, "ns_http_seconds_sum": {"route"},
		"ns_http_seconds_count": {"route"}, "plain_total": nil,
	}
	if len(out) != len(want) {
		t.Fatalf("series = %v, want %v", sortedKeys(out), sortedKeys(want))
	}
	for name, labels := range want {
		got, ok := out[name]
		if !ok || strings.Join(got.Labels, ",") != strings.Join(labels, ",") || got.Source != "p/p.go:4" && got.Source != "p/p.go:5" {
			t.Errorf("%s = %+v (found %v), want labels %v", name, got, ok, labels)
		}
	}

	unreadable := `package p
import "github.com/prometheus/client_golang/prometheus"
const name = "x"
var opts = prometheus.GaugeOpts{Name: "loose"}
func f() { _ = prometheus.NewGauge(prometheus.GaugeOpts{Name: name}) }`
	f, err = parser.ParseFile(fset, "/m/p/q.go", unreadable, 0)
	if err != nil {
		t.Fatal(err)
	}
	err = collectSeries(fset, f, "/m", map[string]series{})
	if err == nil || !strings.Contains(err.Error(), "outside a prometheus.New") || !strings.Contains(err.Error(), "not a string literal") {
		t.Errorf("unreadable collectors: error = %v, want both problems reported", err)
	}
}
