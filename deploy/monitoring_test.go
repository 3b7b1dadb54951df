package deploy_test

import (
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// scrapeJob is the Prometheus job of the TicketBlitz nodes.
const scrapeJob = "ticketblitz"

// prometheusConfig is the part of prometheus.yml the tests read.
type prometheusConfig struct {
	ScrapeConfigs []struct {
		JobName       string `yaml:"job_name"`
		MetricsPath   string `yaml:"metrics_path"`
		StaticConfigs []struct {
			Targets []string          `yaml:"targets"`
			Labels  map[string]string `yaml:"labels"`
		} `yaml:"static_configs"`
	} `yaml:"scrape_configs"`
}

// targetLabels returns the labels Prometheus puts on every series of the TicketBlitz
// job: job and instance, and the static labels of prometheus.yml.
func targetLabels(t *testing.T) map[string]bool {
	t.Helper()
	var p prometheusConfig
	decodeYAML(t, prometheusPath, &p)
	out := map[string]bool{"job": true, "instance": true}
	for _, sc := range p.ScrapeConfigs {
		if sc.JobName != scrapeJob {
			continue
		}
		for _, st := range sc.StaticConfigs {
			for l := range st.Labels {
				out[l] = true
			}
		}
	}
	return out
}

func TestPrometheusScrapesEveryNode(t *testing.T) {
	c := loadCompose(t)
	var p prometheusConfig
	decodeYAML(t, prometheusPath, &p)
	want := map[string]string{} // target → node name
	for name, s := range c.nodes(t) {
		_, port := hostPort(t, name+" TICKETBLITZ_HTTP_ADDR", s.Environment["TICKETBLITZ_HTTP_ADDR"])
		want[name+":"+strconv.Itoa(port)] = s.Environment["TICKETBLITZ_NODE_NAME"]
	}
	got := map[string]string{}
	jobs := 0
	for _, sc := range p.ScrapeConfigs {
		if sc.JobName != scrapeJob {
			continue
		}
		jobs++
		if sc.MetricsPath != "" && sc.MetricsPath != "/metrics" {
			t.Errorf("job %s: metrics_path %q, want /metrics", scrapeJob, sc.MetricsPath)
		}
		for _, st := range sc.StaticConfigs {
			for _, target := range st.Targets {
				got[target] = st.Labels["node"]
			}
		}
	}
	if jobs != 1 {
		t.Fatalf("%s: %d jobs named %s, want 1", prometheusPath, jobs, scrapeJob)
	}
	for target, node := range want {
		if g, ok := got[target]; !ok || g != node {
			t.Errorf("target %s: scraped %v with node label %q, want node %q", target, ok, g, node)
		}
	}
	for target := range got {
		if _, ok := want[target]; !ok {
			t.Errorf("target %s is not a TicketBlitz node of %s", target, composePath)
		}
	}
	checkMounted(t, c.Services["prometheus"], prometheusPath, prometheusConfigFlag(c.Services["prometheus"]))
}

func prometheusConfigFlag(s composeService) string {
	for _, a := range s.Command {
		if v, ok := strings.CutPrefix(a, "--config.file="); ok {
			return v
		}
	}
	return "/etc/prometheus/prometheus.yml" // the image's default
}

// checkMounted fails unless svc mounts the repository's file or directory rel at
// container path want, directly or through a mounted parent directory.
func checkMounted(t *testing.T, svc composeService, rel, want string) {
	t.Helper()
	for _, v := range svc.volumes() {
		if v.host == rel && v.container == want {
			return
		}
		if sub, ok := strings.CutPrefix(rel, v.host+"/"); ok && path.Join(v.container, sub) == want {
			return
		}
	}
	t.Errorf("%s is not mounted at %s (volumes %v)", rel, want, svc.Volumes)
}

// grafanaDatasources is a Grafana datasource provisioning file.
type grafanaDatasources struct {
	APIVersion  int `yaml:"apiVersion"`
	Datasources []struct {
		Name string `yaml:"name"`
		UID  string `yaml:"uid"`
		Type string `yaml:"type"`
		URL  string `yaml:"url"`
	} `yaml:"datasources"`
}

// grafanaProviders is a Grafana dashboard provisioning file.
type grafanaProviders struct {
	APIVersion int `yaml:"apiVersion"`
	Providers  []struct {
		Type    string `yaml:"type"`
		Options struct {
			Path string `yaml:"path"`
		} `yaml:"options"`
	} `yaml:"providers"`
}

// provisionedDatasource returns the uid of the Prometheus datasource Grafana is
// provisioned with.
func provisionedDatasource(t *testing.T) (uid, rawURL string) {
	t.Helper()
	for _, f := range yamlFiles(t, datasourcesDir) {
		var d grafanaDatasources
		decodeYAML(t, f, &d)
		if d.APIVersion != 1 {
			t.Errorf("%s: apiVersion %d, want 1", f, d.APIVersion)
		}
		for _, ds := range d.Datasources {
			if ds.Type == "prometheus" {
				if uid != "" {
					t.Fatalf("more than one Prometheus datasource is provisioned")
				}
				uid, rawURL = ds.UID, ds.URL
			}
		}
	}
	if uid == "" {
		t.Fatalf("%s: no Prometheus datasource with a uid", datasourcesDir)
	}
	return uid, rawURL
}

func yamlFiles(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(repoRoot(t), filepath.FromSlash(dir)))
	if err != nil {
		t.Fatalf("read %s: %v", dir, err)
	}
	var out []string
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".yml") || strings.HasSuffix(e.Name(), ".yaml") {
			out = append(out, dir+"/"+e.Name())
		}
	}
	if len(out) == 0 {
		t.Fatalf("%s: no provisioning files", dir)
	}
	return out
}

func TestGrafanaProvisioning(t *testing.T) {
	c := loadCompose(t)
	grafana, ok := c.Services["grafana"]
	if !ok {
		t.Fatalf("%s: no grafana service", composePath)
	}
	_, rawURL := provisionedDatasource(t)
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatalf("datasource url %q: %v", rawURL, err)
	}
	prom, ok := c.Services[u.Hostname()]
	if !ok || !strings.HasPrefix(prom.Image, "prom/prometheus:") || u.Port() != "9090" {
		t.Errorf("datasource url %s: want the prometheus service on 9090", rawURL)
	}
	checkMounted(t, grafana, "deploy/grafana/provisioning", "/etc/grafana/provisioning")

	providers := 0
	for _, f := range yamlFiles(t, dashboardProvidersD) {
		var p grafanaProviders
		decodeYAML(t, f, &p)
		for _, pr := range p.Providers {
			providers++
			if pr.Type != "file" {
				t.Errorf("%s: provider type %q, want file", f, pr.Type)
			}
			checkMounted(t, grafana, dashboardPath, path.Join(pr.Options.Path, path.Base(dashboardPath)))
		}
	}
	if providers == 0 {
		t.Errorf("%s: no dashboard provider", dashboardProvidersD)
	}
	env := grafana.Environment
	checkMounted(t, grafana, dashboardPath, env["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"])
	if env["GF_AUTH_ANONYMOUS_ENABLED"] != "true" || env["GF_AUTH_ANONYMOUS_ORG_ROLE"] != "Viewer" {
		t.Errorf("grafana: anonymous access %q as %q, want true as Viewer", env["GF_AUTH_ANONYMOUS_ENABLED"], env["GF_AUTH_ANONYMOUS_ORG_ROLE"])
	}
	if !strings.HasPrefix(env["GF_SECURITY_ADMIN_PASSWORD"], "${") {
		t.Errorf("grafana: admin password %q, want it from an environment variable", env["GF_SECURITY_ADMIN_PASSWORD"])
	}
}
