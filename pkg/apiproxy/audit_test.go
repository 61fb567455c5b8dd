package apiproxy

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"
)

// webhookSink is an audit webhook that records what it receives.
type webhookSink struct {
	srv    *httptest.Server
	mu     sync.Mutex
	paths  []string
	bodies []string
	fail   bool
}

func newWebhookSink(t *testing.T) *webhookSink {
	s := &webhookSink{}
	s.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.fail {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		s.paths = append(s.paths, r.URL.Path)
		s.bodies = append(s.bodies, string(b))
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *webhookSink) received() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.bodies...)
}

func webhookOpts(t *testing.T, s *webhookSink, format string) func(*Options) {
	return func(o *Options) {
		o.AuditWebhookURL = s.srv.URL
		o.AuditWebhookFormat = format
		o.AuditWebhookCAFile = writeFile(t, t.TempDir(), "webhook-ca.crt", certPEM(s.srv))
	}
}

func TestAuditRecordsReachTheWebhookWithoutSecretBodies(t *testing.T) {
	sink := newWebhookSink(t)
	h := newHarness(t, webhookOpts(t, sink, FormatRecords))
	tok := h.iss.sign(t, h.iss.claims("alice@example.com", "kubectl", "dev"))
	post := func(path, body string) {
		req, _ := http.NewRequest("POST", h.srv.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "application/json")
		resp, err := h.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	post("/a/api/v1/namespaces/team/configmaps", `{"kind":"ConfigMap","metadata":{"name":"cm"}}`)
	post("/a/api/v1/namespaces/team/secrets", `{"kind":"Secret","data":{"password":"aHVudGVyMg=="}}`)
	h.do(t, "GET", "/a/api/v1/nodes", "not-a-jwt", nil)
	waitFor(t, "3 records", func() error {
		if n := len(sink.received()); n != 3 {
			return fmt.Errorf("%d records", n)
		}
		return nil
	})
	// By resource: a request's record is queued when its handler returns,
	// which may be after the client has its answer and sent the next one.
	byResource := map[string]record{}
	for _, b := range sink.received() {
		var r record
		if err := json.Unmarshal([]byte(b), &r); err != nil {
			t.Fatalf("not a record: %v: %s", err, b)
		}
		byResource[r.Resource] = r
	}
	recs := []record{byResource["configmaps"], byResource["secrets"], byResource["nodes"]}
	if sink.paths[0] != recordsPath {
		t.Errorf("posted to %s, want %s", sink.paths[0], recordsPath)
	}
	cm := recs[0]
	if cm.ClusterName != "a" || cm.Email != "alice@example.com" || cm.Verb != "create" || cm.Resource != "configmaps" ||
		cm.Namespace != "team" || !strings.Contains(string(cm.RequestBody), `"cm"`) || cm.Decision != "allowed" {
		t.Errorf("configmap record %+v", cm)
	}
	if recs[1].Resource != "secrets" || string(recs[1].RequestBody) != "{}" {
		t.Errorf("the Secret's body was sent: %s", recs[1].RequestBody)
	}
	if strings.Contains(strings.Join(sink.received(), ""), "aHVudGVyMg") {
		t.Error("secret data reached the webhook")
	}
	if recs[2].Decision != "denied" || recs[2].Reason != string(ReasonMalformed) || recs[2].ClusterName != "a" || recs[2].Resource != "nodes" {
		t.Errorf("refused token record %+v", recs[2])
	}
	// The same outcomes are JSON lines on stderr.
	lines := 0
	for _, l := range strings.Split(strings.TrimSpace(h.stderr.String()), "\n") {
		var ev AuditEvent
		if json.Unmarshal([]byte(l), &ev) == nil && ev.Kind == "audit" {
			lines++
			if ev.SourceIP == "" || ev.URI == "" || ev.Decision == "" {
				t.Errorf("incomplete audit line %s", l)
			}
		}
	}
	if lines != 3 {
		t.Errorf("%d audit lines on stderr, want 3:\n%s", lines, h.stderr.String())
	}
}

func TestAuditEventListBatches(t *testing.T) {
	sink := newWebhookSink(t)
	h := newHarness(t, webhookOpts(t, sink, FormatEventList))
	h.proxy.audit.flushEvery = 50 * time.Millisecond
	tok := h.iss.sign(t, h.iss.claims("alice@example.com", "kubectl", "dev"))
	h.do(t, "GET", "/b/api/v1/namespaces/team/pods", tok, nil)
	h.do(t, "GET", "/b/api/v1/pods", tok, map[string]string{"Impersonate-User": "admin"})
	var events []auditv1.Event
	waitFor(t, "2 events", func() error {
		events = nil
		for _, b := range sink.received() {
			var l auditv1.EventList
			if err := json.Unmarshal([]byte(b), &l); err != nil || l.Kind != "EventList" {
				return fmt.Errorf("not an EventList: %v %s", err, b)
			}
			events = append(events, l.Items...)
		}
		if len(events) != 2 {
			return fmt.Errorf("%d events", len(events))
		}
		return nil
	})
	if e := events[0]; e.User.Username != "alice@example.com" || e.Verb != "list" || e.ObjectRef == nil ||
		e.ObjectRef.Namespace != "team" || e.Annotations["authorization.k8s.io/decision"] != "allow" {
		t.Errorf("allowed event %+v", e)
	}
	if e := events[1]; e.Annotations["authorization.k8s.io/decision"] != "forbid" || e.ResponseStatus.Code != 403 {
		t.Errorf("refused event %+v", e)
	}
}

func TestAuditWebhookDownNeverBlocksAndCountsDrops(t *testing.T) {
	sink := newWebhookSink(t)
	sink.fail = true
	h := newHarness(t, func(o *Options) {
		webhookOpts(t, sink, FormatRecords)(o)
		o.AuditQueueSize = 1
	})
	h.proxy.audit.attempts, h.proxy.audit.backoffBase = 2, time.Millisecond
	tok := h.iss.sign(t, h.iss.claims("alice@example.com", "kubectl"))
	for range 20 {
		if code, _ := h.do(t, "GET", "/a/api", tok, nil); code != 200 {
			t.Fatalf("a request failed while the webhook is down: %d", code)
		}
	}
	probes := httptest.NewServer(h.proxy.ProbeHandler())
	defer probes.Close()
	waitFor(t, "all 20 events counted as dropped", func() error {
		resp, err := http.Get(probes.URL + "/metrics")
		if err != nil {
			return err
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.Contains(string(b), "authstack_apiproxy_audit_events_dropped_total 20") {
			return fmt.Errorf("dropped counter not 20")
		}
		return nil
	})
	// The log says why, once, not once per event.
	warnings := strings.Count(h.stderr.String(), "audit webhook delivery failed")
	if warnings != 1 || !strings.Contains(h.stderr.String(), "503 Service Unavailable") {
		t.Errorf("%d delivery warnings, want 1 naming the webhook's 503:\n%s", warnings, h.stderr.String())
	}
}

// A request for a path that names no cluster is recorded with that path:
// probing the proxy leaves a trail.
func TestAuditRecordOfAnUnknownClusterKeepsThePath(t *testing.T) {
	sink := newWebhookSink(t)
	h := newHarness(t, webhookOpts(t, sink, FormatRecords))
	tok := h.iss.sign(t, h.iss.claims("alice@example.com", "kubectl", "dev"))
	if code, body := h.do(t, "GET", "/nowhere/api/v1/namespaces/team/pods", tok, nil); code != http.StatusNotFound {
		t.Fatalf("unknown cluster: %d %s", code, body)
	}
	waitFor(t, "1 record", func() error {
		if n := len(sink.received()); n != 1 {
			return fmt.Errorf("%d records", n)
		}
		return nil
	})
	var r record
	if err := json.Unmarshal([]byte(sink.received()[0]), &r); err != nil {
		t.Fatal(err)
	}
	if r.RequestPath != "/nowhere/api/v1/namespaces/team/pods" || r.Code != http.StatusNotFound || r.Reason != string(ReasonUnknownCluster) || r.Email != "alice@example.com" {
		t.Errorf("record %+v", r)
	}
}
