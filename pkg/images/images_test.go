package images

import (
	"strings"
	"testing"
)

func TestPin(t *testing.T) {
	d := "sha256:" + strings.Repeat("0a", 32)
	known := map[string]string{"example.com/known:v1": d, "example.com/bad:v1": "sha256:xyz"}
	for _, c := range []struct {
		ref, want, wantErr string
	}{
		{ref: "ghcr.io/dexidp/dex:v2.45.1@" + d, want: "ghcr.io/dexidp/dex:v2.45.1@" + d},
		{ref: "ghcr.io/dexidp/dex@" + d, want: "ghcr.io/dexidp/dex@" + d},
		{ref: "example.com/known:v1", want: "example.com/known:v1@" + d},
		{ref: "ghcr.io/dexidp/dex:v2.45.1", wantErr: `image "ghcr.io/dexidp/dex:v2.45.1" has no digest: write it as ghcr.io/dexidp/dex:v2.45.1@sha256:<digest>`},
		{ref: "ghcr.io/dexidp/dex:v2.45.1@sha256:abc", wantErr: `"sha256:abc" is not a sha256 digest`},
		{ref: "ghcr.io/dexidp/dex@sha512:" + strings.Repeat("a", 128), wantErr: "is not a sha256 digest"},
		{ref: "ghcr.io/dexidp/dex@SHA256:" + strings.Repeat("A", 64), wantErr: "is not a sha256 digest"},
		{ref: "example.com/bad:v1", wantErr: `the recorded digest "sha256:xyz" is not a sha256 digest`},
	} {
		got, err := Pin(c.ref, known)
		switch {
		case c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)):
			t.Errorf("Pin(%q) = %q, %v; want error %q", c.ref, got, err, c.wantErr)
		case c.wantErr == "" && (err != nil || got != c.want):
			t.Errorf("Pin(%q) = %q, %v; want %q", c.ref, got, err, c.want)
		}
	}
}

// The recorded digests of the default images, if any, are well formed.
func TestRecordedDigests(t *testing.T) {
	for ref, d := range Digests {
		if !digestRE().MatchString(d) {
			t.Errorf("Digests[%q] = %q is not a sha256 digest", ref, d)
		}
	}
}
