package images

import (
	"testing"

	"github.com/distribution/reference"
)

func TestImageTagOfEveryVersionIsAValidReference(t *testing.T) {
	for v, want := range map[string]string{
		"v0.3.0": "v0.3.0",
		"dev":    "dev",
		"v0.0.0-20261204075401-1b6e6ed12345+dirty": "v0.0.0-20261204075401-1b6e6ed12345-dirty",
		"":         "v",
		".x":       "v.x",
		"v1 (x)/y": "v1--x--y",
	} {
		got := imageTag(v)
		if got != want {
			t.Errorf("imageTag(%q) = %q, want %q", v, got, want)
		}
		if _, err := reference.ParseNormalizedNamed(APIProxyRepository + ":" + got); err != nil {
			t.Errorf("imageTag(%q): %v", v, err)
		}
	}
	long := imageTag(string(make([]byte, 300)))
	if _, err := reference.ParseNormalizedNamed(APIProxyRepository + ":" + long); err != nil {
		t.Errorf("a long version: %v", err)
	}
}
