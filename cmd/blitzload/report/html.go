package report

import (
	"fmt"
	"html/template"
	"io"
	"sort"
	"strings"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"
	"github.com/go-echarts/go-echarts/v2/render"

	"github.com/ticketblitz/ticketblitz/cmd/blitzload/stats"
)

// DefaultAssetsHost serves echarts.min.js for the HTML report.
const DefaultAssetsHost = "https://go-echarts.github.io/go-echarts-assets/assets/"

// HTMLOptions tune the HTML report.
type HTMLOptions struct {
	// AssetsHost is where echarts.min.js is loaded from (a URL ending in "/");
	// default DefaultAssetsHost.
	AssetsHost string
}

type htmlChart struct {
	Element template.HTML
	Script  template.HTML
}

type htmlPage struct {
	Doc
	// AssetsHost comes from the operator's own flag; any scheme (file:, http:) is fine.
	AssetsHost template.URL
	Verdict    string
	Summary    string
	Text       string
	Charts     []htmlChart
}

// WriteHTML writes a self-contained page (but for echarts.min.js) with the report's
// tables and its charts: throughput and latency over time, and latency histograms.
func WriteHTML(w io.Writer, d Doc, o HTMLOptions) error {
	if o.AssetsHost == "" {
		o.AssetsHost = DefaultAssetsHost
	}
	var text strings.Builder
	if err := WriteText(&text, d); err != nil {
		return err
	}
	p := htmlPage{Doc: d, AssetsHost: template.URL(o.AssetsHost), Text: text.String(), Verdict: "not audited"}
	if d.Audit != nil {
		p.Verdict = "audit PASS"
		if !d.Audit.OK() {
			p.Verdict = fmt.Sprintf("audit FAIL: %d violations", d.Audit.Total())
		}
	}
	for _, r := range buildCharts(d.Summary) {
		s := r.RenderSnippet()
		p.Charts = append(p.Charts, htmlChart{Element: template.HTML(s.Element), Script: template.HTML(s.Script)})
	}
	if err := pageTemplate.Execute(w, p); err != nil {
		return fmt.Errorf("write HTML report: %w", err)
	}
	return nil
}

var pageTemplate = template.Must(template.New("report").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Title}}</title>
<script src="{{.AssetsHost}}echarts.min.js"></script>
<style>
body{font-family:system-ui,sans-serif;margin:2em;color:#222}
pre{background:#f6f6f6;padding:1em;overflow-x:auto;font-size:12px}
.verdict{font-weight:bold}
.chart{margin:1em 0}
</style></head><body>
<h1>{{.Title}}</h1>
<p class="verdict">{{.Verdict}}</p>
<pre>{{.Text}}</pre>
{{range .Charts}}<div class="chart">{{.Element}}</div>
{{.Script}}
{{end}}
</body></html>
`))

// buildCharts builds the throughput, p50, p99 and histogram charts.
func buildCharts(s stats.Summary) []render.Renderer {
	secs := make([]string, len(s.Timeline))
	for i := range s.Timeline {
		secs[i] = fmt.Sprintf("%ds", i)
	}
	init := func(id string) charts.GlobalOpts {
		return charts.WithInitializationOpts(opts.Initialization{ChartID: id, Width: "1100px", Height: "380px"})
	}
	tooltip := charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true), Trigger: "axis"})
	legend := charts.WithLegendOpts(opts.Legend{Show: opts.Bool(true), Top: "30"})

	tp := charts.NewLine()
	tp.SetGlobalOptions(init("throughput"), tooltip, legend,
		charts.WithTitleOpts(opts.Title{Title: "Throughput per second"}),
		charts.WithYAxisOpts(opts.YAxis{Name: "per second"}))
	tp.SetXAxis(secs)
	series := func(get func(stats.Second) int64) []opts.LineData {
		out := make([]opts.LineData, len(s.Timeline))
		for i, sec := range s.Timeline {
			out[i] = opts.LineData{Value: get(sec)}
		}
		return out
	}
	tp.AddSeries("requests", series(func(x stats.Second) int64 { return x.Requests }))
	tp.AddSeries("decisions", series(func(x stats.Second) int64 { return x.Decisions }))
	tp.AddSeries("durable holds", series(func(x stats.Second) int64 { return x.DurableHolds }))
	tp.AddSeries("errors", series(func(x stats.Second) int64 { return x.Errors }))
	out := []render.Renderer{tp}

	names := make([]string, 0, len(s.Endpoints))
	for _, e := range s.Endpoints {
		names = append(names, e.Name)
	}
	sort.Strings(names)
	for _, q := range []struct {
		id, title string
		get       func(stats.Latency) float64
	}{
		{"p50", "p50 latency over time (ms)", func(l stats.Latency) float64 { return l.P50 }},
		{"p99", "p99 latency over time (ms)", func(l stats.Latency) float64 { return l.P99 }},
	} {
		lc := charts.NewLine()
		lc.SetGlobalOptions(init("latency_"+q.id), tooltip, legend,
			charts.WithTitleOpts(opts.Title{Title: q.title}),
			charts.WithYAxisOpts(opts.YAxis{Name: "ms"}))
		lc.SetXAxis(secs)
		for _, n := range names {
			data := make([]opts.LineData, len(s.Timeline))
			for i, sec := range s.Timeline {
				if l, ok := sec.Endpoints[n]; ok {
					data[i] = opts.LineData{Value: q.get(l)}
				} else {
					data[i] = opts.LineData{Value: "-"}
				}
			}
			lc.AddSeries(n, data)
		}
		out = append(out, lc)
	}
	for i, e := range s.Endpoints {
		if len(e.Histogram) == 0 {
			continue
		}
		bc := charts.NewBar()
		bc.SetGlobalOptions(init(fmt.Sprintf("histogram_%d", i)), tooltip,
			charts.WithTitleOpts(opts.Title{Title: "Latency histogram: " + e.Name,
				Subtitle: fmt.Sprintf("%d requests; p50 %.2f ms, p99 %.2f ms, p99.9 %.2f ms, max %.2f ms", e.Count, e.Latency.P50, e.Latency.P99, e.Latency.P999, e.Latency.Max)}),
			charts.WithYAxisOpts(opts.YAxis{Name: "requests"}))
		labels := make([]string, len(e.Histogram))
		data := make([]opts.BarData, len(e.Histogram))
		for j, b := range e.Histogram {
			labels[j] = fmt.Sprintf("≤%g ms", b.UpTo)
			data[j] = opts.BarData{Value: b.Count}
		}
		bc.SetXAxis(labels)
		bc.AddSeries("requests", data)
		out = append(out, bc)
	}
	return out
}
