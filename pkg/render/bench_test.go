package render

import (
	"fmt"
	"testing"

	"github.com/authstack/authstack/pkg/apis/authstack/v1alpha1"
	"github.com/authstack/authstack/pkg/config"
	"github.com/authstack/authstack/pkg/secrets"
)

// LargeStack is the benchmark stack: the kind example grown to 5 apps and
// 1,000 users with a ClusterRoleBinding each.
func LargeStack(t testing.TB) *config.Stack {
	s := load(t, "kind")
	for len(s.Spec.Apps) < 5 {
		a := s.Spec.Apps[0]
		a.Name = fmt.Sprintf("app%d", len(s.Spec.Apps))
		a.Host = a.Name + ".127.0.0.1.nip.io"
		a.ClientID = "oauth2-proxy-" + a.Name
		a.TLSSecretName = a.Name + "-tls"
		s.Spec.Apps = append(s.Spec.Apps, a)
	}
	for i := 0; i < 1000; i++ {
		s.Spec.RBAC.Users = append(s.Spec.RBAC.Users, v1alpha1.UserAccess{Name: fmt.Sprintf("user%04d@example.com", i), ClusterRoles: []string{"view"}})
	}
	if errs := v1alpha1.Validate(s.AuthStack); len(errs) > 0 {
		t.Fatal(errs.ToAggregate())
	}
	return s
}

func BenchmarkRender(b *testing.B) {
	s := LargeStack(b)
	b.ReportAllocs()
	for b.Loop() {
		res, err := Render(s, Options{Secrets: secrets.Fixed{}})
		if err != nil {
			b.Fatal(err)
		}
		if len(res.Objects) < 1000 {
			b.Fatalf("%d objects, want over 1000", len(res.Objects))
		}
	}
}

func BenchmarkRenderStream(b *testing.B) {
	s := LargeStack(b)
	b.ReportAllocs()
	for b.Loop() {
		res, err := Render(s, Options{Secrets: secrets.Fixed{}})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := res.Stream(); err != nil {
			b.Fatal(err)
		}
	}
}
