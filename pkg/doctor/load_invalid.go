package doctor

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// errNothingOfKind is a file that parsed but gave nothing of the kind its
// flag takes.
var errNothingOfKind = errors.New("nothing of that kind in the file")

// textError is a file that is not UTF-8 text, with the line of the first
// byte that is not.
type textError struct {
	line  int
	cause string
}

func (e *textError) Error() string { return e.cause }

// checkText refuses what YAML, TOML and JSON parsers all refuse: bytes that
// are not UTF-8 (the YAML 1.2 spec allows UTF-16 only with a byte order
// mark, and Kubernetes' decoders, dex and oauth2-proxy read UTF-8), and
// files that hold nothing.
func checkText(data []byte) error {
	switch {
	case bytes.HasPrefix(data, []byte{0xff, 0xfe}), bytes.HasPrefix(data, []byte{0xfe, 0xff}):
		return &textError{line: 1, cause: "the file is UTF-16 (a byte order mark starts it), as Windows editors and PowerShell's > redirection write it; convert it to UTF-8 (iconv -f UTF-16 -t UTF-8)"}
	case bytes.IndexByte(data, 0) >= 0:
		return &textError{line: lineAt(data, bytes.IndexByte(data, 0)), cause: "the file holds NUL bytes: it is binary or UTF-16 without a byte order mark, not a text config; check the path, or convert it to UTF-8"}
	case !utf8.Valid(data):
		off := 0
		for off < len(data) {
			r, n := utf8.DecodeRune(data[off:])
			if r == utf8.RuneError && n == 1 {
				break
			}
			off += n
		}
		return &textError{line: lineAt(data, off), cause: fmt.Sprintf("byte 0x%02x is not UTF-8 (the file was saved as Latin-1 or Windows-1252?); save it as UTF-8", data[off])}
	}
	for _, l := range strings.Split(string(data), "\n") {
		if t := strings.TrimSpace(l); t != "" && !strings.HasPrefix(t, "#") && t != "---" {
			return nil
		}
	}
	return &textError{cause: "the file is empty (or only comments); check the path, or that the command that wrote it succeeded"}
}

func lineAt(data []byte, off int) int { return bytes.Count(data[:off], []byte("\n")) + 1 }

// syntaxLine finds the line of a YAML or oauth2_proxy.cfg syntax error
// ("yaml: line 3: ...", "line 3: expected key = value").
var syntaxLine = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?:^|: )(?:yaml: )?line (\d+): (.*)$`) })

// anyLine finds the first line number in a longer message.
var anyLine = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`\bline (\d+):`) })

// typeField finds the field of a JSON decoding error ("cannot unmarshal
// string into Go struct field .staticClients.redirectURIs of type
// []string").
var typeField = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`Go struct field \S*?([A-Za-z_][A-Za-z0-9_]*) of type (\S+)`)
})

// secretWord is a key that holds a secret; a parser's message about such
// a line may quote its value.
var secretWord = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?i)secret|passw|bindpw|token|private|credential`) })

// quoted is a value a parser quotes in its message.
var quoted = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile("\"[^\"]*\"?|`[^`]*`?") })

// redactSecrets removes quoted values from a message about a secret: a
// finding never shows a secret, even a mistyped one.
func redactSecrets(msg string) string {
	if !secretWord().MatchString(msg) {
		return msg
	}
	return quoted().ReplaceAllString(msg, "(value not shown)")
}

// kindLine finds a top-level kind, the usual sign of a file given to the
// wrong flag.
var kindLine = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?m)^kind:[ \t]*["']?([A-Za-z]+)`) })

// invalid records an artifact doctor could not use as an AS-00 finding: the
// file, the line when known, and the likely cause, so that the other
// artifacts are still checked and the exit code follows the findings.
func (m *Model) invalid(file string, data []byte, what string, err error) {
	line, cause, fix := 0, "", ""
	var te *textError
	var pe *fs.PathError
	switch {
	case errors.As(err, &te):
		line, cause, fix = te.line, te.cause, "give a UTF-8 text file"
	case errors.As(err, &pe):
		line, cause, fix = 0, readCause(pe), "give the path of a readable regular file"
	case errors.Is(err, errNothingOfKind):
		cause = fmt.Sprintf("it holds nothing doctor can use as %s", what)
		if sm := kindLine().FindSubmatchIndex(data); sm != nil {
			line = lineAt(data, sm[0])
			cause = fmt.Sprintf("it is a %s, not %s", data[sm[2]:sm[3]], what)
		}
		if what == "a dex config with an issuer (--dex-config)" && line == 0 {
			// dex refuses such a file: cmd/dex/config.go Validate, "no issuer specified in config file".
			cause = "it has no issuer: dex refuses to start with \"no issuer specified in config file\""
		}
		fix = fmt.Sprintf("give %s; the dex-config Secret, Deployments and ConfigMaps go to --manifests", what)
	default:
		msg := err.Error()
		var ie *InputError
		if errors.As(err, &ie) {
			msg = ie.Err.Error()
		}
		if sm := syntaxLine().FindStringSubmatch(msg); sm != nil && !strings.Contains(msg, "\n") {
			line, _ = strconv.Atoi(sm[1])
			cause = "syntax error: " + sm[2]
			fix = "correct the syntax at the line named"
			break
		}
		// A spec's validation lists every problem, one a line.
		cause = msg
		if sm := anyLine().FindStringSubmatch(msg); sm != nil {
			line, _ = strconv.Atoi(sm[1])
		}
		// A decoding error names the field, not the line: find the key.
		if sm := typeField().FindStringSubmatch(msg); sm != nil && line == 0 {
			if loc := regexp.MustCompile(`(?m)^[ \t-]*` + regexp.QuoteMeta(sm[1]) + `[ \t]*:`).FindIndex(data); loc != nil {
				line = lineAt(data, loc[0])
				fix = fmt.Sprintf("correct %s at the line named: it must be a %s", sm[1], sm[2])
			}
		}
		// A message about the object's kind (or one that names it, as a
		// format package's "the ConfigMap has no config.yaml key" does)
		// points at the kind line.
		if sm := kindLine().FindSubmatchIndex(data); sm != nil && line == 0 {
			k := string(data[sm[2]:sm[3]])
			if strings.Contains(msg, "kind") || strings.Contains(msg, k) {
				line = lineAt(data, sm[0])
			}
			if strings.Contains(msg, "kind") && !strings.Contains(msg, k) {
				cause += fmt.Sprintf(" (the file is a %s)", k)
			}
		}
		if fix == "" {
			fix = fmt.Sprintf("give %s", what)
		}
	}
	cause = redactSecrets(cause)
	where := file
	if line > 0 {
		where = fmt.Sprintf("%s:%d", file, line)
	}
	m.Invalid = append(m.Invalid, Finding{
		Message:  fmt.Sprintf("%s cannot be used as %s: %s; the checks that need it did not see it", where, what, cause),
		Evidence: []string{where},
		Fix:      fix,
	})
}

// readCause says why a file could not be read, in the user's terms.
func readCause(pe *fs.PathError) string {
	switch {
	case errors.Is(pe, fs.ErrNotExist):
		return "no such file; check the path"
	case errors.Is(pe, fs.ErrPermission):
		return "permission denied; run as a user who may read it, or copy it somewhere readable (the API server's files are often root's)"
	}
	return pe.Err.Error()
}
