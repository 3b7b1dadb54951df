package main

import (
	"flag"
	"fmt"
	"net/url"
	"strings"
)

// envPrefix starts the environment variable of every setting.
const envPrefix = "TICKETBLITZ_"

// envName is the environment variable a flag falls back to: "http-addr" reads
// TICKETBLITZ_HTTP_ADDR.
func envName(flagName string) string {
	return envPrefix + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// fillFromEnv sets each named flag of fs that the command line did not give from its
// environment variable, when that is set. A bad value is an error naming the variable.
func fillFromEnv(fs *flag.FlagSet, getenv func(string) string, names ...string) error {
	given := make(map[string]bool)
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	for _, name := range names {
		if given[name] {
			continue
		}
		env := envName(name)
		if val := getenv(env); val != "" {
			if err := fs.Set(name, val); err != nil {
				return fmt.Errorf("%s: %w", env, err)
			}
		}
	}
	return nil
}

// flagNames lists every flag declared on fs, in name order.
func flagNames(fs *flag.FlagSet) []string {
	var names []string
	fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
	return names
}

// setting describes one flag and its environment variable, for usage text and
// reference documents.
type setting struct {
	Flag    string // "http-addr"
	Env     string // "TICKETBLITZ_HTTP_ADDR"
	Default string // as the flag prints it; empty when there is none
	Type    string // what the value is, as usage text names it: "string", "duration", "URL"
	Usage   string
	Secret  bool // hidden in the logged configuration
}

// settings lists every flag of fs with its variable, in flag name order.
func settings(fs *flag.FlagSet) []setting {
	var out []setting
	fs.VisitAll(func(f *flag.Flag) {
		_, secret := f.Value.(*secretValue)
		typ, usage := flag.UnquoteUsage(f)
		if typ == "" {
			typ = "bool" // set with -name or -name=false
		}
		out = append(out, setting{Flag: f.Name, Env: envName(f.Name), Default: f.DefValue, Type: typ, Usage: usage, Secret: secret})
	})
	return out
}

// serverSettings lists the server's settings, as config.declare defines them.
func serverSettings() []setting {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	new(config).declare(fs)
	return settings(fs)
}

// printSettings writes fs's usage: every flag with its variable and default.
func printSettings(fs *flag.FlagSet) {
	w := fs.Output()
	fmt.Fprintf(w, "Usage of %s (every flag falls back to its environment variable):\n", fs.Name())
	for _, s := range settings(fs) {
		fmt.Fprintf(w, "  -%s %s (%s)\n    \t%s", s.Flag, s.Type, s.Env, s.Usage)
		if s.Default != "" {
			fmt.Fprintf(w, " (default %s)", s.Default)
		}
		fmt.Fprintln(w)
	}
}

// loggedValue is a flag's value as the logged configuration shows it: secrets only say
// whether they are set, URLs hide their password.
func loggedValue(v flag.Value) string {
	switch v := v.(type) {
	case *secretValue:
		if v.String() == "" {
			return "(unset)"
		}
		return "(set, hidden)"
	case *urlValue:
		return redactURL(v.String())
	}
	return v.String()
}

// secretValue is a string flag whose value the logged configuration hides.
type secretValue struct{ p *string }

// secretVar declares a secret string flag bound to p, empty by default.
func secretVar(fs *flag.FlagSet, p *string, name, usage string) {
	*p = ""
	fs.Var(&secretValue{p}, name, usage)
}

func (v *secretValue) String() string {
	if v.p == nil {
		return ""
	}
	return *v.p
}

func (v *secretValue) Set(s string) error { *v.p = s; return nil }

// urlValue is a URL flag whose password the logged configuration hides.
type urlValue struct{ p *string }

// urlVar declares a URL flag bound to p, set to value.
func urlVar(fs *flag.FlagSet, p *string, name, value, usage string) {
	*p = value
	fs.Var(&urlValue{p}, name, usage)
}

func (v *urlValue) String() string {
	if v.p == nil {
		return ""
	}
	return *v.p
}

func (v *urlValue) Set(s string) error { *v.p = s; return nil }

// redactURL hides a URL's password.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparsable)"
	}
	return u.Redacted()
}

// listValue is a comma-separated list flag; blanks around items and empty items are
// dropped. Each Set replaces the list.
type listValue struct{ p *[]string }

// listVar declares a list flag bound to p, set to value.
func listVar(fs *flag.FlagSet, p *[]string, name string, value []string, usage string) {
	*p = value
	fs.Var(&listValue{p}, name, usage)
}

func (v *listValue) String() string {
	if v.p == nil {
		return ""
	}
	return strings.Join(*v.p, ",")
}

func (v *listValue) Set(s string) error { *v.p = splitList(s); return nil }

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
