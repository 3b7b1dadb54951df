package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	nethttp "net/http"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// apiGuide is the guide whose examples TestAPIGuideExamples runs.
const apiGuide = "../../docs/api.md"

// TestAPIGuideExamples runs every example of docs/api.md, in order, against a fresh
// server with the demo event, by the rules the comment at the top of the guide states:
// each ```http block is sent, its answer must be the ```json response <status> block
// that follows it, placeholders and all, and must be one docs/openapi.yaml allows. A
// failing example names its line in the guide.
func TestAPIGuideExamples(t *testing.T) {
	text, err := os.ReadFile(apiGuide)
	if err != nil {
		t.Fatal(err)
	}
	examples, err := guideExamples(string(text))
	if err != nil {
		t.Fatalf("docs/api.md: %v", err)
	}
	if len(examples) < 40 {
		t.Fatalf("docs/api.md has %d examples; the parser missed some", len(examples))
	}
	s := startServer(t)
	known := map[string]any{"admin_token": guideAdminToken(t)}
	c := checker(t)
	client := &nethttp.Client{Timeout: 30 * time.Second}
	for _, ex := range examples {
		req, err := ex.request(s.URL, known)
		if err != nil {
			t.Errorf("docs/api.md:%d: %v", ex.line, err)
			continue
		}
		res, err := client.Do(req)
		if err != nil {
			t.Fatalf("docs/api.md:%d: %s %s: %v", ex.line, req.Method, req.URL.Path, err)
		}
		body, err := io.ReadAll(res.Body)
		res.Body.Close()
		if err != nil {
			t.Fatalf("docs/api.md:%d: read the answer: %v", ex.line, err)
		}
		where := fmt.Sprintf("docs/api.md:%d: %s %s", ex.line, req.Method, req.URL.Path)
		if err := c.Response(req, res.StatusCode, res.Header, body); err != nil {
			t.Errorf("%s: the answer breaks docs/openapi.yaml: %v", where, err)
		}
		if res.StatusCode != ex.status {
			t.Errorf("%s: answered %d, the guide says %d (line %d): %s", where, res.StatusCode, ex.status, ex.responseLine, body)
			continue
		}
		if err := matchAnswer(ex.response, body, known); err != nil {
			t.Errorf("%s: the answer is not the guide's (line %d): %v\nanswer: %s", where, ex.responseLine, err, body)
		}
	}
}

// guideAdminToken mints {{admin_token}} as the guide says: with ticketblitz token, against
// the secret the test server uses.
func guideAdminToken(t *testing.T) string {
	t.Helper()
	var out bytes.Buffer
	if err := run(context.Background(), []string{"token", "--user", "root", "--role", "admin"}, os.Getenv, &out); err != nil {
		t.Fatalf("ticketblitz token: %v", err)
	}
	words := strings.Fields(out.String())
	if len(words) == 0 {
		t.Fatal("ticketblitz token printed nothing")
	}
	return words[len(words)-1]
}

// guideExample is one request of the guide and the answer it expects.
type guideExample struct {
	line         int    // the request's first line in the guide
	raw          string // the request as written
	status       int
	response     string
	responseLine int
}

// fence is one fenced block: its info string, the line after its opening fence, and
// its text.
type fence struct {
	info string
	line int
	text string
}

// fencedBlocks returns the guide's ``` blocks in order.
func fencedBlocks(text string) ([]fence, error) {
	var out []fence
	var cur *fence
	var body []string
	for i, line := range strings.Split(text, "\n") {
		trimmed := strings.TrimSpace(line)
		if !strings.HasPrefix(trimmed, "```") {
			if cur != nil {
				body = append(body, line)
			}
			continue
		}
		if cur == nil {
			cur = &fence{info: strings.TrimSpace(strings.TrimPrefix(trimmed, "```")), line: i + 2}
			body = nil
			continue
		}
		if trimmed != "```" {
			return nil, fmt.Errorf("line %d: a fence opens inside the block of line %d", i+1, cur.line-1)
		}
		cur.text = strings.Join(body, "\n")
		out = append(out, *cur)
		cur = nil
	}
	if cur != nil {
		return nil, fmt.Errorf("line %d: the block never closes", cur.line-1)
	}
	return out, nil
}

// guideExamples pairs each http block with the json response block right after it.
func guideExamples(text string) ([]guideExample, error) {
	blocks, err := fencedBlocks(text)
	if err != nil {
		return nil, err
	}
	var out []guideExample
	for i := 0; i < len(blocks); i++ {
		b := blocks[i]
		if strings.HasPrefix(b.info, "json response") {
			return nil, fmt.Errorf("line %d: a response with no http block before it", b.line)
		}
		if b.info != "http" {
			continue
		}
		if i+1 == len(blocks) || !strings.HasPrefix(blocks[i+1].info, "json response") {
			return nil, fmt.Errorf("line %d: an http block without a ```json response <status> block after it", b.line)
		}
		resp := blocks[i+1]
		status, err := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(resp.info, "json response")))
		if err != nil {
			return nil, fmt.Errorf("line %d: %q: want json response <status>", resp.line-1, resp.info)
		}
		out = append(out, guideExample{line: b.line, raw: b.text, status: status, response: resp.text, responseLine: resp.line})
		i++
	}
	return out, nil
}

// placeholder is {{name}}.
var placeholder = regexp.MustCompile(`\{\{(\w+)\}\}`)

// request builds the example's request on base, with every {{name}} replaced by the
// value remembered under it.
func (ex guideExample) request(base string, known map[string]any) (*nethttp.Request, error) {
	var missing []string
	text := placeholder.ReplaceAllStringFunc(ex.raw, func(m string) string {
		name := placeholder.FindStringSubmatch(m)[1]
		v, ok := known[name]
		if !ok {
			missing = append(missing, name)
			return m
		}
		if s, ok := v.(string); ok {
			return s
		}
		raw, _ := json.Marshal(v)
		return string(raw)
	})
	if len(missing) > 0 {
		return nil, fmt.Errorf("no answer before gave %s", strings.Join(missing, ", "))
	}
	head, body, _ := strings.Cut(text, "\n\n")
	lines := strings.Split(strings.TrimSpace(head), "\n")
	method, target, ok := strings.Cut(strings.TrimSpace(lines[0]), " ")
	if !ok || !strings.HasPrefix(target, "/") {
		return nil, fmt.Errorf("%q: want METHOD /path", lines[0])
	}
	req, err := nethttp.NewRequest(method, base+target, strings.NewReader(strings.TrimSpace(body)))
	if err != nil {
		return nil, err
	}
	for _, h := range lines[1:] {
		name, value, ok := strings.Cut(h, ":")
		if !ok {
			return nil, fmt.Errorf("header %q: want Name: value", h)
		}
		req.Header.Set(strings.TrimSpace(name), strings.TrimSpace(value))
	}
	return req, nil
}

// anything is the value that matches any value.
const anything = "…"

// matchAnswer compares an answer with the guide's: the same fields and values, where
// "{{name}}" matches anything the first time (and is remembered) and the remembered
// value after, and "…" matches anything.
func matchAnswer(want string, got []byte, known map[string]any) error {
	w, err := decodeJSON([]byte(want))
	if err != nil {
		return fmt.Errorf("the guide's response: %w", err)
	}
	g, err := decodeJSON(got)
	if err != nil {
		return fmt.Errorf("the answer: %w", err)
	}
	learned := map[string]any{}
	if err := matchValue("$", w, g, known, learned); err != nil {
		return err
	}
	for k, v := range learned {
		known[k] = v
	}
	return nil
}

func decodeJSON(raw []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, errors.New("more than one JSON value")
	}
	return v, nil
}

func matchValue(path string, want, got any, known, learned map[string]any) error {
	if s, ok := want.(string); ok {
		if s == anything {
			return nil
		}
		if m := placeholder.FindStringSubmatch(s); m != nil && m[0] == s {
			name := m[1]
			prev, ok := known[name]
			if !ok {
				prev, ok = learned[name]
			}
			if !ok {
				learned[name] = got
				return nil
			}
			if !sameJSON(prev, got) {
				return fmt.Errorf("%s: %s, want %s (%s)", path, show(got), show(prev), s)
			}
			return nil
		}
	}
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return fmt.Errorf("%s: %s, want an object", path, show(got))
		}
		var problems []string
		for _, k := range sortedFields(w) {
			if _, ok := g[k]; !ok {
				problems = append(problems, fmt.Sprintf("%s.%s: missing", path, k))
				continue
			}
			if err := matchValue(path+"."+k, w[k], g[k], known, learned); err != nil {
				problems = append(problems, err.Error())
			}
		}
		for _, k := range sortedFields(g) {
			if _, ok := w[k]; !ok {
				problems = append(problems, fmt.Sprintf("%s.%s: not in the guide", path, k))
			}
		}
		if len(problems) > 0 {
			return errors.New(strings.Join(problems, "; "))
		}
		return nil
	case []any:
		g, ok := got.([]any)
		if !ok {
			return fmt.Errorf("%s: %s, want a list", path, show(got))
		}
		if len(g) != len(w) {
			return fmt.Errorf("%s: %d items, want %d: %s", path, len(g), len(w), show(got))
		}
		for i := range w {
			if err := matchValue(fmt.Sprintf("%s[%d]", path, i), w[i], g[i], known, learned); err != nil {
				return err
			}
		}
		return nil
	}
	if !sameJSON(want, got) {
		return fmt.Errorf("%s: %s, want %s", path, show(got), show(want))
	}
	return nil
}

// sameJSON compares two decoded values as JSON (numbers by value).
func sameJSON(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	if bytes.Equal(x, y) {
		return true
	}
	an, aok := a.(json.Number)
	bn, bok := b.(json.Number)
	if aok && bok {
		af, err1 := an.Float64()
		bf, err2 := bn.Float64()
		return err1 == nil && err2 == nil && af == bf
	}
	return false
}

func show(v any) string {
	raw, _ := json.Marshal(v)
	return string(raw)
}

func sortedFields(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
