//go:build e2e

package local

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/authstack/authstack/pkg/render"
)

// writeVerbs are the request verbs that change something, as the API
// server's apiserver_request_total counts them (APPLY is a server-side apply).
var writeVerbs = map[string]bool{"POST": true, "PUT": true, "PATCH": true, "APPLY": true, "DELETE": true, "DELETECOLLECTION": true}

// writeCount sums the API server's write requests on the kinds of objects
// that res renders, from its own /metrics.
func (s *Stack) writeCount(t testing.TB, res *render.Result) int {
	t.Helper()
	resources := map[string]bool{}
	for _, o := range res.Objects {
		resources[strings.ToLower(o.Object.GetKind())+"s"] = true
	}
	resources["ingresss"] = false
	resources["ingresses"] = true
	data, err := s.Client.CoreV1().RESTClient().Get().AbsPath("/metrics").DoRaw(context.Background())
	if err != nil {
		t.Fatalf("read the API server's metrics: %v", err)
	}
	total := 0
	for _, line := range strings.Split(string(data), "\n") {
		if !strings.HasPrefix(line, "apiserver_request_total{") {
			continue
		}
		labels := line[strings.Index(line, "{")+1 : strings.LastIndex(line, "}")]
		verb, resource := label(labels, "verb"), label(labels, "resource")
		if !writeVerbs[verb] || !resources[resource] || label(labels, "subresource") != "" {
			continue
		}
		n, err := strconv.ParseFloat(strings.TrimSpace(line[strings.LastIndex(line, "}")+1:]), 64)
		if err == nil {
			total += int(n)
		}
	}
	return total
}

func label(labels, name string) string {
	i := strings.Index(labels, name+`="`)
	if i < 0 || (i > 0 && labels[i-1] != ',') {
		return ""
	}
	rest := labels[i+len(name)+2:]
	return rest[:strings.Index(rest, `"`)]
}
