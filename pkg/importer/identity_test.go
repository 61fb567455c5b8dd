package importer

import (
	"strings"
	"testing"

	"github.com/authstack/authstack/pkg/apis/authstack/v1alpha1"
	"github.com/authstack/authstack/pkg/doctor"
	format "github.com/authstack/authstack/pkg/formats/oauth2proxy"
)

// What the headers app received as X-Auth-Request-User is carried over:
// the subject under set_xauthrequest (with a gap naming the readable
// choice), the claim of an alpha config's header otherwise.
func TestImportKeepsTheUserHeaderClaim(t *testing.T) {
	tests := []struct {
		name    string
		headers []format.Header
		want    v1alpha1.UserHeaderClaim
		gap     string
	}{
		{"legacy set_xauthrequest", nil, v1alpha1.UserHeaderSub, "userHeaderClaim: sub"},
		{"alpha email", []format.Header{format.ClaimHeader("X-Auth-Request-User", "email")}, v1alpha1.UserHeaderEmail, ""},
		{"alpha user", []format.Header{format.ClaimHeader("x-auth-request-user", "user")}, v1alpha1.UserHeaderSub, ""},
		{"alpha other claim", []format.Header{format.ClaimHeader("X-Auth-Request-User", "name")}, "", `claims ["name"]`},
	}
	for _, tt := range tests {
		im := &importer{res: &Result{}}
		p := &doctor.Proxy{Source: "cm", Config: &format.Config{SetXAuthRequest: true, InjectResponseHeaders: tt.headers}}
		app := v1alpha1.App{Identity: v1alpha1.IdentityHeaders}
		im.userHeaderClaim(p, &app)
		if app.UserHeaderClaim != tt.want {
			t.Errorf("%s: userHeaderClaim %q, want %q", tt.name, app.UserHeaderClaim, tt.want)
		}
		switch {
		case tt.gap == "" && len(im.res.Gaps) > 0:
			t.Errorf("%s: gaps %v", tt.name, im.res.Gaps)
		case tt.gap != "" && (len(im.res.Gaps) != 1 || !strings.Contains(im.res.Gaps[0].Message, tt.gap)):
			t.Errorf("%s: gaps %v, want one saying %s", tt.name, im.res.Gaps, tt.gap)
		}
	}
}
