package deploy_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// instruction is one Dockerfile instruction, continuation lines joined.
type instruction struct {
	Cmd, Args string
}

func parseDockerfile(t *testing.T) []instruction {
	t.Helper()
	var out []instruction
	var cur strings.Builder
	sc := bufio.NewScanner(bytes.NewReader(readFile(t, dockerfilePath)))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if cur.Len() == 0 && (line == "" || strings.HasPrefix(line, "#")) {
			continue
		}
		if strings.HasPrefix(line, "#") { // a comment inside a continued instruction
			continue
		}
		if s, ok := strings.CutSuffix(line, `\`); ok {
			cur.WriteString(s + " ")
			continue
		}
		cur.WriteString(line)
		cmd, args, _ := strings.Cut(cur.String(), " ")
		out = append(out, instruction{Cmd: strings.ToUpper(cmd), Args: strings.TrimSpace(args)})
		cur.Reset()
	}
	if cur.Len() > 0 {
		t.Fatalf("%s: ends inside a continued instruction", dockerfilePath)
	}
	return out
}

// stage is one FROM and the instructions after it.
type stage struct {
	Image, Name string
	Body        []instruction
}

func stages(t *testing.T, ins []instruction) []stage {
	t.Helper()
	var out []stage
	for _, in := range ins {
		if in.Cmd == "FROM" {
			var words []string
			for _, w := range strings.Fields(in.Args) {
				if !strings.HasPrefix(w, "--") {
					words = append(words, w)
				}
			}
			s := stage{Image: words[0]}
			if len(words) == 3 && strings.EqualFold(words[1], "AS") {
				s.Name = words[2]
			}
			out = append(out, s)
			continue
		}
		if len(out) == 0 {
			if in.Cmd != "ARG" {
				t.Fatalf("%s: %s before the first FROM", dockerfilePath, in.Cmd)
			}
			continue
		}
		out[len(out)-1].Body = append(out[len(out)-1].Body, in)
	}
	return out
}

var buildOutput = regexp.MustCompile(`-o\s+(\S+)`)

func TestDockerfileBuildsTheServer(t *testing.T) {
	_, goVersion := goModule(t)
	ss := stages(t, parseDockerfile(t))
	if len(ss) < 2 {
		t.Fatalf("%s: %d stages, want a builder and a runtime image", dockerfilePath, len(ss))
	}
	build, runtime := ss[0], ss[len(ss)-1]

	minor := strings.Join(strings.SplitN(goVersion, ".", 3)[:2], ".") // 1.26.0 → 1.26
	tag, ok := strings.CutPrefix(build.Image, "golang:")
	if !ok || !(tag == minor || strings.HasPrefix(tag, minor+".") || strings.HasPrefix(tag, minor+"-")) {
		t.Errorf("builder image %q, want golang:%s (go.mod says go %s)", build.Image, minor, goVersion)
	}
	var out string
	for _, in := range build.Body {
		if in.Cmd != "RUN" || !strings.Contains(in.Args, "go build") {
			continue
		}
		for _, want := range []string{"CGO_ENABLED=0", "-trimpath", "-s -w", "-X main.version=", "./cmd/ticketblitz"} {
			if !strings.Contains(in.Args, want) {
				t.Errorf("go build does not use %s: %s", want, in.Args)
			}
		}
		if m := buildOutput.FindStringSubmatch(in.Args); m != nil {
			out = m[1]
		}
	}
	if out == "" {
		t.Fatalf("%s: no `go build -o …` in the builder stage", dockerfilePath)
	}
	if !hasStringVar(t, "cmd/ticketblitz", "version") {
		t.Errorf("cmd/ticketblitz declares no package-level string variable version for -X main.version")
	}

	if !strings.HasPrefix(runtime.Image, "gcr.io/distroless/static") && !strings.HasPrefix(runtime.Image, "debian:") {
		t.Errorf("runtime image %q, want distroless static or debian", runtime.Image)
	}
	got := map[string]string{}
	for _, in := range runtime.Body {
		got[in.Cmd] += in.Args + " "
	}
	if want := "--from=" + build.Name + " " + out + " /ticketblitz"; build.Name == "" || !strings.Contains(got["COPY"], want) {
		t.Errorf("runtime stage COPY %q, want %q", got["COPY"], want)
	}
	checkExec(t, "ENTRYPOINT", got["ENTRYPOINT"], []string{"/ticketblitz"})
	checkExec(t, "CMD", got["CMD"], []string{"serve"})

	// Every port a node of docker-compose.yml listens on is exposed.
	exposed := map[string]bool{}
	for _, p := range strings.Fields(got["EXPOSE"]) {
		if !strings.Contains(p, "/") {
			p += "/tcp"
		}
		exposed[p] = true
	}
	for name, s := range loadCompose(t).nodes(t) {
		_, httpPort := hostPort(t, name, s.Environment["TICKETBLITZ_HTTP_ADDR"])
		_, bindPort := hostPort(t, name, s.Environment["TICKETBLITZ_CLUSTER_BIND"])
		_, remotePort := hostPort(t, name, s.Environment["TICKETBLITZ_REMOTE_ADDR"])
		for _, p := range []string{strconv.Itoa(httpPort) + "/tcp", strconv.Itoa(bindPort) + "/tcp", strconv.Itoa(bindPort) + "/udp", strconv.Itoa(remotePort) + "/tcp"} {
			if !exposed[p] {
				t.Errorf("%s listens on %s, which the image does not EXPOSE (%s)", name, p, got["EXPOSE"])
			}
		}
	}
}

func checkExec(t *testing.T, what, args string, want []string) {
	t.Helper()
	var got []string
	if err := json.Unmarshal([]byte(args), &got); err != nil || strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("%s %s, want the exec form %q", what, args, want)
	}
}

// hasStringVar reports whether the package in dir declares a package-level variable
// name of type string, which -ldflags -X can set.
func hasStringVar(t *testing.T, dir, name string) bool {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(repoRoot(t), dir))
	if err != nil {
		t.Fatalf("read %s: %v", dir, err)
	}
	fset := token.NewFileSet()
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(repoRoot(t), dir, e.Name()), nil, 0)
		if err != nil {
			t.Fatalf("parse %s/%s: %v", dir, e.Name(), err)
		}
		for _, decl := range f.Decls {
			if gd, ok := decl.(*ast.GenDecl); ok && gd.Tok == token.VAR && declaresString(gd, name) {
				return true
			}
		}
	}
	return false
}

// declaresString reports whether gd declares name as a string: typed string, or
// untyped and initialised with a string literal.
func declaresString(gd *ast.GenDecl, name string) bool {
	for _, spec := range gd.Specs {
		vs := spec.(*ast.ValueSpec)
		for i, n := range vs.Names {
			if n.Name != name {
				continue
			}
			if id, ok := vs.Type.(*ast.Ident); ok && id.Name == "string" {
				return true
			}
			if vs.Type == nil && i < len(vs.Values) {
				if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
					return true
				}
			}
		}
	}
	return false
}

// dockerignore returns the patterns of .dockerignore. It supports plain patterns only
// (no ! exceptions, no **), and fails on the others rather than misjudge them.
func dockerignore(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, line := range strings.Split(string(readFile(t, dockerignorePath)), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasPrefix(line, "!") || strings.Contains(line, "**") {
			t.Fatalf("%s: %q: this test reads only plain patterns", dockerignorePath, line)
		}
		out = append(out, strings.TrimPrefix(path.Clean(line), "/"))
	}
	return out
}

// ignoredBy returns the pattern that keeps rel (slash-separated, relative to the
// context) out of the build context, or "": a pattern excludes a path when it matches
// the path or one of its parent directories.
func ignoredBy(patterns []string, rel string) string {
	for _, p := range patterns {
		for prefix := rel; prefix != "." && prefix != "/"; prefix = path.Dir(prefix) {
			if ok, _ := path.Match(p, prefix); ok {
				return p
			}
		}
	}
	return ""
}

func TestIgnoredBy(t *testing.T) {
	patterns := []string{"deploy", "*.test", "cmd/ticketblitz/ticketblitz"}
	for rel, want := range map[string]string{
		"deploy/prometheus/prometheus.yml": "deploy",
		"x.test":                           "*.test",
		"cmd/ticketblitz/ticketblitz":      "cmd/ticketblitz/ticketblitz",
		"cmd/ticketblitz/main.go":          "",
		"sub/x.test":                       "",
		"deployments/x":                    "",
	} {
		if got := ignoredBy(patterns, rel); got != want {
			t.Errorf("ignoredBy(%q) = %q, want %q", rel, got, want)
		}
	}
}

// TestDockerignoreKeepsTheBuildInputs checks that the build context keeps go.mod, go.sum
// and every source and embedded file of ./cmd/ticketblitz's packages in this module.
func TestDockerignoreKeepsTheBuildInputs(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go command is not on PATH")
	}
	root := repoRoot(t)
	module, _ := goModule(t)
	patterns := dockerignore(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, goTool, "list", "-e", "-deps", "-json=Dir,ImportPath,Module,GoFiles,EmbedFiles", "./cmd/ticketblitz")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	files := []string{"go.mod", "go.sum"}
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p struct {
			Dir, ImportPath     string
			Module              *struct{ Path string }
			GoFiles, EmbedFiles []string
		}
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("go list output: %v", err)
		}
		if p.Module == nil || p.Module.Path != module {
			continue
		}
		dir, err := filepath.Rel(root, p.Dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range append(p.GoFiles, p.EmbedFiles...) {
			files = append(files, path.Join(filepath.ToSlash(dir), f))
		}
	}
	if len(files) < 10 {
		t.Fatalf("go list found only %v", files)
	}
	for _, f := range files {
		if p := ignoredBy(patterns, f); p != "" {
			t.Errorf("%s excludes %s, which go build ./cmd/ticketblitz needs", dockerignorePath, f)
		}
	}
}
