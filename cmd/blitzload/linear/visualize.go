package linear

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/anishathalye/porcupine"
)

// visualize reruns the check verbosely, which records the partial linearizations the
// visualization draws, and writes the seat's HTML page into dir. It returns the file's
// path, or why there is none.
func visualize(model porcupine.Model, history []porcupine.Operation, h seatHistory, dir string, deadline time.Time) (path, problem string) {
	left := time.Until(deadline)
	if left <= 0 {
		return "", "timed out before the visualization"
	}
	result, info := porcupine.CheckOperationsVerbose(model, history, left)
	if result != porcupine.Illegal {
		return "", fmt.Sprintf("verbose rerun ended %s", result)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err.Error()
	}
	path = filepath.Join(dir, visualizationName(h))
	if err := porcupine.VisualizePath(model, info, path); err != nil {
		return "", fmt.Sprintf("write %s: %v", path, err)
	}
	return path, ""
}

// visualizationName turns "<event>/<section>/<seat>" into a safe file name.
func visualizationName(h seatHistory) string {
	name := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			return r
		}
		return '_'
	}, h.key())
	return "seat-" + name + ".html"
}
