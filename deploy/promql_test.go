package deploy_test

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// promQuery is what a PromQL expression refers to.
type promQuery struct {
	// Metrics are the metric names the expression selects.
	Metrics []string
	// Labels are the label names in its matchers and in by, without, on, ignoring and
	// group_left/right clauses.
	Labels []string
}

// promFunctions are PromQL's functions and aggregation operators.
var promFunctions = wordSet(`abs absent absent_over_time acos acosh asin asinh atan atanh
	avg avg_over_time bottomk ceil changes clamp clamp_max clamp_min cos cosh count
	count_over_time count_values day_of_month day_of_week day_of_year days_in_month deg delta
	deriv exp floor group histogram_avg histogram_count histogram_fraction histogram_quantile
	histogram_stddev histogram_stdvar histogram_sum holt_winters hour idelta increase irate
	label_join label_replace last_over_time limitk limit_ratio ln log10 log2 mad_over_time max
	max_over_time min min_over_time minute month pi predict_linear present_over_time quantile
	quantile_over_time rad rate resets round scalar sgn sin sinh sort sort_by_label
	sort_by_label_desc sort_desc sqrt stddev stddev_over_time stdvar stdvar_over_time sum
	sum_over_time tan tanh time timestamp topk vector year`)

// promGrouping are the keywords followed by a parenthesised list of label names.
var promGrouping = wordSet(`by without on ignoring group_left group_right`)

// promKeywords are the other words of PromQL that are not metric names.
var promKeywords = wordSet(`bool and or unless offset atan2 inf nan`)

func wordSet(words string) map[string]bool {
	out := map[string]bool{}
	for _, w := range strings.Fields(words) {
		out[w] = true
	}
	return out
}

var (
	matcherLabel = regexp.MustCompile(`^([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)$`)
	labelValues  = regexp.MustCompile(`(?s)^\s*label_values\((.*),\s*([A-Za-z_][A-Za-z0-9_]*)\s*\)\s*$`)
)

// scanPromQL lists the metrics and labels a PromQL expression refers to. It is not a
// parser: it strips strings, label matchers and ranges, then reads what is left word by
// word. It fails on a function it does not know (a typo) and on __name__ matchers,
// which would hide a metric name from the check. Grafana's label_values(expr, label)
// variable query is accepted too.
func scanPromQL(expr string) (promQuery, error) {
	if m := labelValues.FindStringSubmatch(expr); m != nil {
		q, err := scanPromQL(m[1])
		q.Labels = appendUnique(q.Labels, m[2])
		return q, err
	}
	s, err := blankStrings(expr)
	if err != nil {
		return promQuery{}, err
	}
	var q promQuery
	s, err = stripMatchers(s, &q)
	if err != nil {
		return promQuery{}, err
	}
	s = stripRanges(s)
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '$': // a Grafana variable outside quotes, e.g. $__interval in a bare position
			i++
			for i < len(s) && isWordByte(s[i]) {
				i++
			}
		case c >= '0' && c <= '9' || c == '.':
			for i < len(s) && (isWordByte(s[i]) || s[i] == '.') {
				i++
			}
		case isWordStart(c):
			j := i
			for j < len(s) && (isWordByte(s[j]) || s[j] == ':') {
				j++
			}
			word := s[i:j]
			k := j
			for k < len(s) && (s[k] == ' ' || s[k] == '\t' || s[k] == '\n') {
				k++
			}
			call := k < len(s) && s[k] == '('
			if promFunctions[word] && !call { // an aggregation with a leading clause: sum by (l) (…)
				rest := s[k:]
				for _, kw := range []string{"by", "without"} {
					if strings.HasPrefix(rest, kw) && (len(rest) == len(kw) || !isWordByte(rest[len(kw)])) {
						call = true
					}
				}
			}
			switch {
			case promGrouping[word] && call:
				end := strings.IndexByte(s[k:], ')')
				if end < 0 {
					return promQuery{}, fmt.Errorf("%s: unclosed %s (", expr, word)
				}
				for _, l := range strings.Split(s[k+1:k+end], ",") {
					if l = strings.TrimSpace(l); l != "" {
						q.Labels = appendUnique(q.Labels, l)
					}
				}
				j = k + end + 1
			case call:
				if !promFunctions[word] {
					return promQuery{}, fmt.Errorf("%s: unknown function %q", expr, word)
				}
			case promKeywords[strings.ToLower(word)] || promGrouping[word]:
			default:
				q.Metrics = appendUnique(q.Metrics, word)
			}
			i = j
		default:
			i++
		}
	}
	sort.Strings(q.Metrics)
	sort.Strings(q.Labels)
	return q, nil
}

// blankStrings replaces every string literal with a space.
func blankStrings(s string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '"' && c != '\'' && c != '`' {
			b.WriteByte(c)
			continue
		}
		j := i + 1
		for ; j < len(s) && s[j] != c; j++ {
			if s[j] == '\\' && c != '`' {
				j++
			}
		}
		if j >= len(s) {
			return "", fmt.Errorf("%s: unterminated string", s)
		}
		b.WriteByte(' ')
		i = j
	}
	return b.String(), nil
}

// stripMatchers removes every {…} selector, recording its label names in q.
func stripMatchers(s string, q *promQuery) (string, error) {
	var b strings.Builder
	for {
		open := strings.IndexByte(s, '{')
		if open < 0 {
			b.WriteString(s)
			return b.String(), nil
		}
		end := strings.IndexByte(s[open:], '}')
		if end < 0 {
			return "", errors.New(s + ": unclosed {")
		}
		for _, m := range strings.Split(s[open+1:open+end], ",") {
			if m = strings.TrimSpace(m); m == "" {
				continue
			}
			sub := matcherLabel.FindStringSubmatch(m)
			if sub == nil {
				return "", fmt.Errorf("%s: cannot read matcher %q", s, m)
			}
			if sub[1] == "__name__" {
				return "", fmt.Errorf("%s: __name__ matchers are not checked; name the metric", s)
			}
			q.Labels = appendUnique(q.Labels, sub[1])
		}
		b.WriteString(s[:open])
		b.WriteByte(' ')
		s = s[open+end+1:]
	}
}

// stripRanges removes range and subquery brackets: [5m], [$__rate_interval], [1h:1m].
func stripRanges(s string) string {
	return regexp.MustCompile(`\[[^\[\]]*\]`).ReplaceAllString(s, " ")
}

func isWordStart(c byte) bool {
	return c == '_' || c == ':' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func isWordByte(c byte) bool { return isWordStart(c) || c >= '0' && c <= '9' }

func appendUnique(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}

func TestScanPromQL(t *testing.T) {
	cases := []struct {
		expr    string
		want    promQuery
		wantErr string
	}{
		{expr: `up`, want: promQuery{Metrics: []string{"up"}}},
		{
			expr: `sum by (op, outcome) (rate(ticketblitz_decisions_total{node=~"$node"}[$__rate_interval]))`,
			want: promQuery{Metrics: []string{"ticketblitz_decisions_total"}, Labels: []string{"node", "op", "outcome"}},
		},
		{
			expr: `histogram_quantile(0.99, sum(rate(a_bucket{route!="x,}y"}[5m])) by (le)) / on(job) group_left(node) b offset 1h > bool 0.5e3`,
			want: promQuery{Metrics: []string{"a_bucket", "b"}, Labels: []string{"job", "le", "node", "route"}},
		},
		{expr: `sum(rate(x[5m:1m])) or vector(0) and Inf`, want: promQuery{Metrics: []string{"x"}}},
		{expr: `rate(ns:sub:recorded[1m])`, want: promQuery{Metrics: []string{"ns:sub:recorded"}}},
		{expr: `label_values(up{job="ticketblitz"}, node)`, want: promQuery{Metrics: []string{"up"}, Labels: []string{"job", "node"}}},
		{expr: `histogram_quantle(0.9, x_bucket)`, wantErr: `unknown function "histogram_quantle"`},
		{expr: `{__name__=~"ticketblitz_.*"}`, wantErr: "__name__"},
		{expr: `x{job="a}`, wantErr: "unterminated string"},
		{expr: `x{job}`, wantErr: "cannot read matcher"},
	}
	for _, c := range cases {
		got, err := scanPromQL(c.expr)
		if c.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("scanPromQL(%q) error = %v, want one containing %q", c.expr, err, c.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("scanPromQL(%q): %v", c.expr, err)
			continue
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("scanPromQL(%q) = %+v, want %+v", c.expr, got, c.want)
		}
	}
}
