package authproxy

import (
	"os/exec"
	"runtime"
)

// OpenBrowser opens url in the desktop's browser without waiting for it.
func OpenBrowser(url string) error {
	var cmd *exec.Cmd
	switch runtime.GOOS {
	case "darwin":
		cmd = exec.Command("open", url)
	case "windows":
		cmd = exec.Command("rundll32", "url.dll,FileProtocolHandler", url)
	default:
		cmd = exec.Command("xdg-open", url)
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	// Reap the opener in the background; the browser outlives it.
	go func() { _ = cmd.Wait() }()
	return nil
}
