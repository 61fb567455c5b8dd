package doctor

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// TextOptions change the human output.
type TextOptions struct {
	// Color adds ANSI colors; the CLI enables it only on a terminal without NO_COLOR.
	Color bool
}

var symbols = map[Severity]string{Error: "×", Warning: "‼", Info: "ℹ"}

var colors = map[Severity]string{Error: "\x1b[31m", Warning: "\x1b[33m", Info: "\x1b[36m", "ok": "\x1b[32m"}

// WriteText prints the report grouped by category, like `linkerd check`:
// ✓ for a check that passed, ‼ warning, × error, ℹ information.
func WriteText(w io.Writer, r *Report, opts TextOptions) error {
	paint := func(sev Severity, s string) string {
		if !opts.Color {
			return s
		}
		return colors[sev] + s + "\x1b[0m"
	}
	byCode := map[string][]Finding{}
	for _, f := range r.Findings {
		byCode[f.Code] = append(byCode[f.Code], f)
	}
	ran := map[string]bool{}
	for _, c := range r.Ran {
		ran[c] = true
	}
	var b strings.Builder
	for _, cat := range Categories {
		var lines []string
		for _, c := range checks {
			if c.Category != cat || !ran[c.Code] {
				continue
			}
			fs := byCode[c.Code]
			if len(fs) == 0 {
				lines = append(lines, fmt.Sprintf("  %s %s %s", paint("ok", "✓"), c.Code, c.Title))
				continue
			}
			for _, f := range fs {
				lines = append(lines, fmt.Sprintf("  %s %s %s: %s", paint(f.Severity, symbols[f.Severity]), f.Code, f.Name, f.Message))
				for _, e := range f.Evidence {
					lines = append(lines, "      evidence: "+e)
				}
				if f.Fix != "" {
					lines = append(lines, "      fix: "+f.Fix)
				}
			}
		}
		if len(lines) == 0 {
			continue
		}
		b.WriteString(string(cat) + "\n")
		b.WriteString(strings.Join(lines, "\n") + "\n\n")
	}
	if len(r.Ran) == 0 {
		b.WriteString("no evidence: give artifacts (see authstack doctor --help), a token, or --live\n")
	}
	fmt.Fprintf(&b, "Status: %s, %s, %s (%d checks ran)\n", plural(r.Errors(), "error"), plural(r.Warnings(), "warning"), plural(r.count(Info), "info"), len(r.Ran))
	_, err := io.WriteString(w, b.String())
	return err
}

func plural(n int, s string) string {
	if n == 1 || s == "info" {
		return fmt.Sprintf("%d %s", n, s)
	}
	return fmt.Sprintf("%d %ss", n, s)
}

// WriteJSON prints the report as {"findings": [...]}, the schema of docs/doctor.md.
func WriteJSON(w io.Writer, r *Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(r)
}
