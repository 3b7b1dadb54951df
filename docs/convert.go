package docs

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// yamlToJSON converts one YAML document to indented JSON, keeping the order of mapping
// keys. It accepts what JSON can say: string keys, and scalars that are strings,
// numbers, booleans or null.
func yamlToJSON(in []byte) ([]byte, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(in, &doc); err != nil {
		return nil, fmt.Errorf("parse yaml: %w", err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		return nil, errors.New("parse yaml: not a single document")
	}
	var buf bytes.Buffer
	if err := writeJSON(&buf, doc.Content[0], 0); err != nil {
		return nil, err
	}
	var out bytes.Buffer
	if err := json.Indent(&out, buf.Bytes(), "", "  "); err != nil {
		return nil, fmt.Errorf("indent json: %w", err)
	}
	out.WriteByte('\n')
	return out.Bytes(), nil
}

// maxAliasDepth stops alias cycles.
const maxAliasDepth = 64

func writeJSON(buf *bytes.Buffer, n *yaml.Node, aliases int) error {
	switch n.Kind {
	case yaml.AliasNode:
		if aliases >= maxAliasDepth {
			return fmt.Errorf("line %d: aliases nested too deep", n.Line)
		}
		return writeJSON(buf, n.Alias, aliases+1)
	case yaml.MappingNode:
		return writeMapping(buf, n, aliases)
	case yaml.SequenceNode:
		buf.WriteByte('[')
		for i, item := range n.Content {
			if i > 0 {
				buf.WriteByte(',')
			}
			if err := writeJSON(buf, item, aliases); err != nil {
				return err
			}
		}
		buf.WriteByte(']')
		return nil
	case yaml.ScalarNode:
		return writeScalar(buf, n)
	}
	return fmt.Errorf("line %d: unexpected yaml node kind %d", n.Line, n.Kind)
}

func writeMapping(buf *bytes.Buffer, n *yaml.Node, aliases int) error {
	buf.WriteByte('{')
	seen := make(map[string]bool, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode || k.Tag == "!!merge" {
			return fmt.Errorf("line %d: mapping keys must be plain scalars", k.Line)
		}
		if seen[k.Value] {
			return fmt.Errorf("line %d: duplicate key %q", k.Line, k.Value)
		}
		seen[k.Value] = true
		if i > 0 {
			buf.WriteByte(',')
		}
		key, err := json.Marshal(k.Value)
		if err != nil {
			return fmt.Errorf("line %d: key: %w", k.Line, err)
		}
		buf.Write(key)
		buf.WriteByte(':')
		if err := writeJSON(buf, v, aliases); err != nil {
			return err
		}
	}
	buf.WriteByte('}')
	return nil
}

func writeScalar(buf *bytes.Buffer, n *yaml.Node) error {
	switch n.ShortTag() {
	case "!!str", "!!binary", "!!timestamp":
		s, err := json.Marshal(n.Value)
		if err != nil {
			return fmt.Errorf("line %d: string: %w", n.Line, err)
		}
		buf.Write(s)
	case "!!null":
		buf.WriteString("null")
	case "!!bool":
		var b bool
		if err := n.Decode(&b); err != nil {
			return fmt.Errorf("line %d: bool: %w", n.Line, err)
		}
		buf.WriteString(strconv.FormatBool(b))
	case "!!int":
		var i int64
		if err := n.Decode(&i); err != nil {
			return fmt.Errorf("line %d: int: %w", n.Line, err)
		}
		buf.WriteString(strconv.FormatInt(i, 10))
	case "!!float":
		var f float64
		if err := n.Decode(&f); err != nil {
			return fmt.Errorf("line %d: float: %w", n.Line, err)
		}
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return fmt.Errorf("line %d: %s has no JSON form", n.Line, strings.TrimSpace(n.Value))
		}
		buf.WriteString(strconv.FormatFloat(f, 'g', -1, 64))
	default:
		return fmt.Errorf("line %d: unsupported tag %s", n.Line, n.ShortTag())
	}
	return nil
}
