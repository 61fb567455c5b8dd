package yamledit

import (
	"errors"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// ErrUnfaithful is returned by Rewrite when the encoder's output does not
// read back as the edited document.
var ErrUnfaithful = errors.New("the YAML encoder cannot write this document back faithfully (unusual comments or layout?)")

// Rewrite returns the text of document body after it was edited from orig
// into edited. When the edit changes no data, body is returned as it was,
// which also makes every patcher idempotent. Otherwise edited is encoded in
// style st, with body's blank lines, line endings and missing final newline
// kept, and checked to read back as edited.
func Rewrite(body string, orig, edited *yaml.Node, st Style) (string, error) {
	if Equal(orig, edited) {
		return body, nil
	}
	out, err := Encode(edited, st)
	if err != nil {
		return "", err
	}
	eol := EOL(body)
	finish := func(s string) string {
		if !strings.HasSuffix(body, "\n") {
			s = strings.TrimSuffix(s, "\n")
		}
		return strings.ReplaceAll(s, "\n", eol)
	}
	// Blank lines are cosmetic: keep them only if the result still reads
	// back as the edited document.
	for _, text := range []string{finish(RestoreBlankLines(body, string(out))), finish(string(out))} {
		back, err := ParseOne([]byte(text))
		if err == nil && Equal(back, edited) {
			return text, nil
		}
	}
	return "", ErrUnfaithful
}
