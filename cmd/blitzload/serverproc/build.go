package serverproc

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// modulePath is the module whose ./cmd/ticketblitz is built.
const modulePath = "github.com/ticketblitz/ticketblitz"

// FindModuleDir walks up from dir to the directory of TicketBlitz's go.mod.
func FindModuleDir(dir string) (string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("find module: %w", err)
	}
	for {
		data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && strings.Contains(string(data), "module "+modulePath+"\n") {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("find module: no go.mod of " + modulePath + " above the working directory")
		}
		dir = parent
	}
}

// Build compiles ./cmd/ticketblitz of moduleDir into outDir and returns the binary.
func Build(ctx context.Context, moduleDir, outDir string) (string, error) {
	bin := filepath.Join(outDir, "ticketblitz")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/ticketblitz")
	cmd.Dir = moduleDir
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build ./cmd/ticketblitz: %w\n%s", err, out)
	}
	return bin, nil
}
