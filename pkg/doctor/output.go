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

var symbols = map[Severity]string{Error: "×", Warning: "‼", Info: "ℹ", skipped: "○"}

var colors = map[Severity]string{Error: "\x1b[31m", Warning: "\x1b[33m", Info: "\x1b[36m", skipped: "\x1b[90m", "ok": "\x1b[32m"}

// WriteText prints the report grouped by category, like `linkerd check`:
// ✓ for a check that passed, ‼ warning, × error, ℹ information, and ○ for
// a check that could not examine its evidence (with the reason).
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
	var b strings.Builder
	writeSymptom(&b, r, paint)
	for _, cat := range Categories {
		var lines []string
		for _, c := range r.Checks {
			if c.Category != cat {
				continue
			}
			fs := byCode[c.Code]
			if c.Status == StatusPassed {
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
			for _, why := range c.Skipped {
				lines = append(lines, fmt.Sprintf("  %s %s %s: skipped: %s", paint(skipped, symbols[skipped]), c.Code, c.Name, why))
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
	fmt.Fprintf(&b, "Status: %s, %s, %s, %d skipped (%d checks ran)\n", plural(r.Errors(), "error"), plural(r.Warnings(), "warning"), plural(r.count(Info), "info"), r.Skipped(), len(r.Ran))
	_, err := io.WriteString(w, b.String())
	return err
}

// writeSymptom says first what --symptom matched and which of the checks
// it points to found something.
func writeSymptom(b *strings.Builder, r *Report, paint func(Severity, string) string) {
	s := r.Symptom
	if s == nil {
		return
	}
	b.WriteString("symptom\n")
	if !s.Known {
		b.WriteString("  ? doctor does not know this message; every check ran\n\n")
		return
	}
	status := map[string]Status{}
	for _, c := range r.Checks {
		status[c.Code] = c.Status
	}
	for _, mt := range s.Matches {
		fmt.Fprintf(b, "  %s says %q (%s)\n", mt.Component, mt.Says, mt.Source)
		var parts []string
		for _, code := range mt.Codes {
			st, ok := status[code]
			switch {
			case !ok:
				parts = append(parts, code+" (no evidence)")
			case st == StatusError || st == StatusWarning:
				parts = append(parts, paint(Severity(st), code+" "+string(st)))
			default:
				parts = append(parts, code+" "+string(st))
			}
		}
		b.WriteString("      checked first: " + strings.Join(parts, ", ") + "\n")
	}
	if len(s.Explained) == 0 {
		b.WriteString("  none of these checks found the cause in the evidence given: give the artifacts they read, a token, or --live\n\n")
		return
	}
	b.WriteString("  explained by: " + strings.Join(s.Explained, ", ") + " (below)\n\n")
}

func plural(n int, s string) string {
	if n == 1 || s == "info" {
		return fmt.Sprintf("%d %s", n, s)
	}
	return fmt.Sprintf("%d %ss", n, s)
}

// WriteJSON prints the report as {"findings": [...], "checks": [...]}, the
// schema of docs/doctor.md.
func WriteJSON(w io.Writer, r *Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(r)
}
