package deploy_test

import (
	"context"
	"net"
	"net/url"
	"os/exec"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ticketblitz/ticketblitz/actors"
	"github.com/ticketblitz/ticketblitz/events"
)

// composeFile is the part of docker-compose.yml the tests read.
type composeFile struct {
	Services map[string]composeService `yaml:"services"`
	Networks map[string]struct {
		IPAM struct {
			Config []struct {
				Subnet  string `yaml:"subnet"`
				IPRange string `yaml:"ip_range"`
			} `yaml:"config"`
		} `yaml:"ipam"`
	} `yaml:"networks"`
}

type composeService struct {
	Image       string            `yaml:"image"`
	Build       string            `yaml:"build"`
	Environment map[string]string `yaml:"environment"`
	Ports       []string          `yaml:"ports"`
	Volumes     []string          `yaml:"volumes"`
	Command     []string          `yaml:"command"`
	DependsOn   map[string]struct {
		Condition string `yaml:"condition"`
	} `yaml:"depends_on"`
	Networks map[string]struct {
		IPv4Address string `yaml:"ipv4_address"`
	} `yaml:"networks"`
	Healthcheck struct {
		Test []string `yaml:"test"`
	} `yaml:"healthcheck"`
}

func loadCompose(t *testing.T) composeFile {
	t.Helper()
	var c composeFile
	decodeYAML(t, composePath, &c)
	if len(c.Services) == 0 {
		t.Fatalf("%s: no services", composePath)
	}
	return c
}

// nodes returns the TicketBlitz services: those that set TICKETBLITZ_NODE_NAME.
func (c composeFile) nodes(t *testing.T) map[string]composeService {
	t.Helper()
	out := map[string]composeService{}
	for name, s := range c.Services {
		if _, ok := s.Environment["TICKETBLITZ_NODE_NAME"]; ok {
			out[name] = s
		}
	}
	if len(out) < 2 {
		t.Fatalf("%s: %d TicketBlitz nodes, want a cluster of at least 2", composePath, len(out))
	}
	return out
}

// volume is one short-syntax bind mount.
type volume struct{ host, container string }

func (s composeService) volumes() []volume {
	var out []volume
	for _, v := range s.Volumes {
		parts := strings.Split(v, ":")
		if len(parts) >= 2 {
			out = append(out, volume{host: strings.TrimPrefix(parts[0], "./"), container: parts[1]})
		}
	}
	return out
}

// hostPort splits "host:port" and fails the test on anything else.
func hostPort(t *testing.T, what, addr string) (string, int) {
	t.Helper()
	h, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatalf("%s %q: %v", what, addr, err)
	}
	port, err := strconv.Atoi(p)
	if err != nil {
		t.Fatalf("%s %q: port: %v", what, addr, err)
	}
	return h, port
}

var (
	interpolation = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)`)
	withDefault   = regexp.MustCompile(`\$\{[A-Za-z_][A-Za-z0-9_]*:?-([^}]*)\}`)
)

// withDefaults interpolates s as Compose does when no variable is set: ${VAR:-default}
// becomes default.
func withDefaults(s string) string { return withDefault.ReplaceAllString(s, "$1") }

func TestComposeUsesOnlyKnownConfigVariables(t *testing.T) {
	known := configVars(t)
	c := loadCompose(t)
	for name, s := range c.Services {
		for k := range s.Environment {
			if strings.HasPrefix(k, "TICKETBLITZ_") && !known[k] {
				t.Errorf("service %s sets %s, which %s does not read", name, k, configDocPath)
			}
		}
	}
	for _, m := range interpolation.FindAllStringSubmatch(string(readFile(t, composePath)), -1) {
		if strings.HasPrefix(m[1], "TICKETBLITZ_") && !known[m[1]] {
			t.Errorf("%s interpolates ${%s}, which %s does not read", composePath, m[1], configDocPath)
		}
	}
}

func TestComposeNodesFormOneCluster(t *testing.T) {
	c := loadCompose(t)
	nodes := c.nodes(t)
	subnet, dynamic := composeSubnet(t, c)
	bindPorts := map[string]int{}
	for name, s := range nodes {
		_, bindPorts[name] = hostPort(t, name+" TICKETBLITZ_CLUSTER_BIND", s.Environment["TICKETBLITZ_CLUSTER_BIND"])
	}
	seenNames, seenHostPorts := map[string]string{}, map[string]string{}
	var secret string
	for _, name := range sortedKeys(nodes) {
		s, env := nodes[name], nodes[name].Environment
		if s.Build != "." {
			t.Errorf("%s: build %q, want the repository (.)", name, s.Build)
		}
		if other, dup := seenNames[env["TICKETBLITZ_NODE_NAME"]]; dup {
			t.Errorf("%s and %s share the node name %q", name, other, env["TICKETBLITZ_NODE_NAME"])
		}
		seenNames[env["TICKETBLITZ_NODE_NAME"]] = name

		_, httpPort := hostPort(t, name+" TICKETBLITZ_HTTP_ADDR", env["TICKETBLITZ_HTTP_ADDR"])
		published := false
		for _, p := range s.Ports {
			parts := strings.Split(p, ":")
			if parts[len(parts)-1] == strconv.Itoa(httpPort) && len(parts) >= 2 {
				published = true
				if other, dup := seenHostPorts[parts[len(parts)-2]]; dup {
					t.Errorf("%s and %s publish the same host port %s", name, other, parts[len(parts)-2])
				}
				seenHostPorts[parts[len(parts)-2]] = name
			}
		}
		if !published {
			t.Errorf("%s: HTTP port %d is not published to the host (ports %v)", name, httpPort, s.Ports)
		}
		wantCheck := []string{"CMD", "/ticketblitz", "cluster", "status", "--url", "http://127.0.0.1:" + strconv.Itoa(httpPort)}
		if strings.Join(s.Healthcheck.Test, " ") != strings.Join(wantCheck, " ") {
			t.Errorf("%s: healthcheck %q, want %q", name, s.Healthcheck.Test, wantCheck)
		}

		// Memberlist announces an IP address; with a wildcard bind it must be told which.
		bindHost, bindPort := hostPort(t, name+" TICKETBLITZ_CLUSTER_BIND", env["TICKETBLITZ_CLUSTER_BIND"])
		advHost, advPort := hostPort(t, name+" TICKETBLITZ_CLUSTER_ADVERTISE", env["TICKETBLITZ_CLUSTER_ADVERTISE"])
		fixed := net.ParseIP(s.Networks["default"].IPv4Address)
		switch {
		case net.ParseIP(bindHost) == nil || !net.ParseIP(bindHost).IsUnspecified():
			t.Errorf("%s: cluster bind host %q, want 0.0.0.0", name, bindHost)
		case fixed == nil:
			t.Errorf("%s: no fixed ipv4_address on the default network", name)
		case advHost != fixed.String() || advPort != bindPort:
			t.Errorf("%s: advertises %s:%d, want its fixed address %s:%d", name, advHost, advPort, fixed, bindPort)
		case !subnet.Contains(fixed) || dynamic != nil && dynamic.Contains(fixed):
			t.Errorf("%s: address %s must be in %s and outside the dynamic range %s", name, fixed, subnet, dynamic)
		}
		remoteHost, remotePort := hostPort(t, name+" TICKETBLITZ_REMOTE_ADDR", env["TICKETBLITZ_REMOTE_ADDR"])
		if ip := net.ParseIP(remoteHost); ip == nil || !ip.IsUnspecified() || remotePort == 0 {
			t.Errorf("%s: remote addr %s:%d, want 0.0.0.0 and a fixed port", name, remoteHost, remotePort)
		}

		// Every node lists every other one, so that any restarted node rejoins.
		seeds := map[string]bool{}
		for _, seed := range strings.Split(env["TICKETBLITZ_CLUSTER_JOIN"], ",") {
			h, p := hostPort(t, name+" TICKETBLITZ_CLUSTER_JOIN", strings.TrimSpace(seed))
			if _, ok := nodes[h]; !ok || h == name || p != bindPorts[h] {
				t.Errorf("%s: seed %s is not another node's cluster address", name, seed)
			}
			seeds[h] = true
		}
		for other := range nodes {
			if other != name && !seeds[other] {
				t.Errorf("%s: TICKETBLITZ_CLUSTER_JOIN does not list %s", name, other)
			}
		}

		if secret == "" {
			secret = env["TICKETBLITZ_JWT_SECRET"]
		}
		if env["TICKETBLITZ_JWT_SECRET"] == "" || env["TICKETBLITZ_JWT_SECRET"] != secret {
			t.Errorf("%s: TICKETBLITZ_JWT_SECRET %q, want one secret shared by every node", name, env["TICKETBLITZ_JWT_SECRET"])
		}
		checkBackends(t, c, name, s)
	}
}

// composeSubnet returns the default network's subnet and its dynamic range.
func composeSubnet(t *testing.T, c composeFile) (subnet, dynamic *net.IPNet) {
	t.Helper()
	cfg := c.Networks["default"].IPAM.Config
	if len(cfg) != 1 {
		t.Fatalf("%s: default network: %d ipam configs, want 1 with a subnet", composePath, len(cfg))
	}
	_, subnet, err := net.ParseCIDR(cfg[0].Subnet)
	if err != nil {
		t.Fatalf("default network subnet: %v", err)
	}
	if cfg[0].IPRange != "" {
		if _, dynamic, err = net.ParseCIDR(cfg[0].IPRange); err != nil {
			t.Fatalf("default network ip_range: %v", err)
		}
	}
	return subnet, dynamic
}

// checkBackends checks that a node's PostgreSQL, Redis and Kafka addresses are services
// of the file that it waits for.
func checkBackends(t *testing.T, c composeFile, name string, s composeService) {
	t.Helper()
	want := map[string]string{} // service → the condition the node must wait for
	for _, v := range []string{"TICKETBLITZ_POSTGRES_URL", "TICKETBLITZ_REDIS_URL"} {
		u, err := url.Parse(withDefaults(s.Environment[v]))
		if err != nil || u.Hostname() == "" {
			t.Errorf("%s: %s %q: %v", name, v, s.Environment[v], err)
			continue
		}
		want[u.Hostname()] = "service_healthy"
	}
	brokers := strings.Split(s.Environment["TICKETBLITZ_KAFKA_BROKERS"], ",")
	for _, b := range brokers {
		h, _ := hostPort(t, name+" TICKETBLITZ_KAFKA_BROKERS", strings.TrimSpace(b))
		if _, ok := c.Services[h]; !ok {
			t.Errorf("%s: broker %s is not a service", name, b)
		}
	}
	want["kafka-init"] = "service_completed_successfully"
	for svc, cond := range want {
		if _, ok := c.Services[svc]; !ok {
			t.Errorf("%s: depends on %s, which is not a service", name, svc)
			continue
		}
		if got := s.DependsOn[svc].Condition; got != cond {
			t.Errorf("%s: depends_on %s condition %q, want %q", name, svc, got, cond)
		}
	}
}

var topicLoop = regexp.MustCompile(`for topic in ([^;]+);`)
var partitionsFlag = regexp.MustCompile(`--partitions (\d+)`)

func TestComposeCreatesEveryKafkaTopic(t *testing.T) {
	c := loadCompose(t)
	if got := c.Services["kafka"].Environment["KAFKA_AUTO_CREATE_TOPICS_ENABLE"]; got != "false" {
		t.Errorf("kafka: KAFKA_AUTO_CREATE_TOPICS_ENABLE %q, want false (kafka-init creates the topics)", got)
	}
	script := strings.Join(c.Services["kafka-init"].Command, "\n")
	m := topicLoop.FindStringSubmatch(script)
	if m == nil {
		t.Fatalf("kafka-init: no `for topic in …;` loop in %q", script)
	}
	got := strings.Fields(m[1])
	// The cluster-wide visualizer shares traces through their own topic, which the
	// in-process broker seeds alongside actors.Topics.
	want := append(append([]string(nil), actors.Topics...), events.TopicVisualizerTraces)
	sort.Strings(got)
	sort.Strings(want)
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("kafka-init creates %v, want actors.Topics and the traces topic %v", got, want)
	}
	p := partitionsFlag.FindStringSubmatch(script)
	if p == nil || p[1] != strconv.Itoa(int(events.DefaultPartitions)) {
		t.Errorf("kafka-init partitions %v, want %d like the in-process broker", p, events.DefaultPartitions)
	}
}

// TestComposeConfig validates docker-compose.yml with Compose itself when it is
// installed (Debian's docker-compose, or the docker CLI's compose plugin).
func TestComposeConfig(t *testing.T) {
	var args []string
	if p, err := exec.LookPath("docker-compose"); err == nil {
		args = []string{p}
	} else if p, err := exec.LookPath("docker"); err == nil && exec.Command(p, "compose", "version").Run() == nil {
		args = []string{p, "compose"}
	} else {
		t.Skip("neither docker-compose nor docker compose is installed")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, args[0], append(args[1:], "-f", composePath, "config", "-q")...)
	cmd.Dir = repoRoot(t)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(cmd.Args, " "), err, out)
	}
}
