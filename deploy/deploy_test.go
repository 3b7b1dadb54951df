package deploy_test

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// Paths of the checked files, relative to the repository root.
const (
	composePath         = "docker-compose.yml"
	dockerfilePath      = "Dockerfile"
	dockerignorePath    = ".dockerignore"
	prometheusPath      = "deploy/prometheus/prometheus.yml"
	datasourcesDir      = "deploy/grafana/provisioning/datasources"
	dashboardProvidersD = "deploy/grafana/provisioning/dashboards"
	dashboardPath       = "deploy/grafana/dashboards/ticketblitz.json"
	// configDocPath is the configuration reference generated from the server's one
	// definition of its settings (a test in cmd/ticketblitz keeps it current).
	configDocPath = "docs/configuration.md"
)

// repoRoot is the module root: tests run in deploy/.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatalf("repository root: %v", err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("repository root %s: %v", root, err)
	}
	return root
}

func readFile(t *testing.T, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot(t), filepath.FromSlash(rel)))
	if err != nil {
		t.Fatalf("read %s: %v", rel, err)
	}
	return b
}

func decodeYAML(t *testing.T, rel string, into any) {
	t.Helper()
	if err := yaml.Unmarshal(readFile(t, rel), into); err != nil {
		t.Fatalf("parse %s: %v", rel, err)
	}
}

// goModule returns the module path and the "go" directive of go.mod.
func goModule(t *testing.T) (module, goVersion string) {
	t.Helper()
	sc := bufio.NewScanner(strings.NewReader(string(readFile(t, "go.mod"))))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 2 && f[0] == "module" {
			module = f[1]
		}
		if len(f) == 2 && f[0] == "go" {
			goVersion = f[1]
		}
	}
	if module == "" || goVersion == "" {
		t.Fatalf("go.mod: module %q, go %q", module, goVersion)
	}
	return module, goVersion
}

var configVarName = regexp.MustCompile(`TICKETBLITZ_[A-Z0-9_]+`)

// configVars returns every TICKETBLITZ_ variable the server reads, as the generated
// configuration reference lists them.
func configVars(t *testing.T) map[string]bool {
	t.Helper()
	vars := map[string]bool{}
	for _, v := range configVarName.FindAllString(string(readFile(t, configDocPath)), -1) {
		vars[v] = true
	}
	// The variables the deployment relies on; if the reference stopped listing them the
	// reading above would be broken, not the deployment.
	for _, v := range []string{"TICKETBLITZ_HTTP_ADDR", "TICKETBLITZ_NODE_NAME", "TICKETBLITZ_CLUSTER_BIND"} {
		if !vars[v] {
			t.Fatalf("%s does not mention %s: cannot read the configuration variables", configDocPath, v)
		}
	}
	return vars
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
