package apiproxy

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	authnv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/uuid"
	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"
)

// AuditEvent is one request outcome. It is printed as one JSON line on
// stderr and, with --audit-webhook-url, sent to the webhook.
type AuditEvent struct {
	Time        time.Time           `json:"time"`
	Kind        string              `json:"kind"` // always "audit", to tell these lines from the log
	ID          string              `json:"auditID"`
	Cluster     string              `json:"cluster,omitempty"`
	User        string              `json:"user,omitempty"`
	UID         string              `json:"uid,omitempty"`
	Groups      []string            `json:"groups,omitempty"`
	Extra       map[string][]string `json:"extra,omitempty"`
	SourceIP    string              `json:"sourceIP"`
	UserAgent   string              `json:"userAgent,omitempty"`
	Method      string              `json:"method"`
	URI         string              `json:"uri"`
	Verb        string              `json:"verb,omitempty"`
	APIGroup    string              `json:"apiGroup,omitempty"`
	APIVersion  string              `json:"apiVersion,omitempty"`
	Namespace   string              `json:"namespace,omitempty"`
	Resource    string              `json:"resource,omitempty"`
	Subresource string              `json:"subresource,omitempty"`
	Name        string              `json:"name,omitempty"`
	Code        int                 `json:"code"`
	// Decision is allowed or denied; Reason says who denied it and why.
	Decision string  `json:"decision"`
	Reason   string  `json:"reason,omitempty"`
	Duration float64 `json:"durationSeconds"`

	isResource    bool
	path          string
	parts         []string
	fieldSelector string
	labelSelector string
	apiPrefix     string
	body          []byte // for the records format only; never a Secret's
}

// Webhook formats.
const (
	FormatRecords   = "records"
	FormatEventList = "eventlist"
	// recordsPath is where kube-oidc-proxy's fork (Improwised/kube-oidc-proxy,
	// pkg/proxy/audit) POSTs its records, relative to the webhook server.
	recordsPath = "/api/v1/k8s-audit-log/webhook"
)

// auditor writes audit lines and feeds the webhook queue. Record never
// blocks: a full queue drops the event and counts it.
type auditor struct {
	mu      sync.Mutex
	out     io.Writer
	queue   chan *AuditEvent
	format  string
	target  string
	client  *http.Client
	dropped func(n int)
	done    chan struct{}
	// warn logs failed deliveries, at most once per warnEvery.
	warn      func(msg string, args ...any)
	warnEvery time.Duration
	lastWarn  time.Time
	// batch and backoff bound the webhook's work; tests shorten them.
	maxBatch    int
	flushEvery  time.Duration
	attempts    int
	backoffBase time.Duration
}

func newAuditor(out io.Writer, webhookURL, format, caFile string, queueSize int, dropped func(int)) (*auditor, error) {
	a := &auditor{out: out, format: format, dropped: dropped, done: make(chan struct{}),
		warn: func(string, ...any) {}, warnEvery: 30 * time.Second, maxBatch: 100, flushEvery: time.Second, attempts: 5, backoffBase: 250 * time.Millisecond}
	if webhookURL == "" {
		close(a.done)
		return a, nil
	}
	u, err := url.Parse(webhookURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("--audit-webhook-url %q: want an http(s) URL", webhookURL)
	}
	switch format {
	case FormatRecords:
		a.target = strings.TrimSuffix(webhookURL, "/") + recordsPath
	case FormatEventList:
		a.target = webhookURL
	default:
		return nil, fmt.Errorf("--audit-webhook-format %q: want %s or %s", format, FormatRecords, FormatEventList)
	}
	tlsConfig := &tls.Config{MinVersion: tls.VersionTLS12}
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("--audit-webhook-ca-file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--audit-webhook-ca-file %s: no PEM certificate", caFile)
		}
		tlsConfig.RootCAs = pool
	}
	a.client = &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		Proxy: http.ProxyFromEnvironment, TLSClientConfig: tlsConfig, MaxIdleConnsPerHost: 2,
	}}
	a.queue = make(chan *AuditEvent, queueSize)
	return a, nil
}

// record prints the event and queues it for the webhook.
func (a *auditor) record(ev *AuditEvent) {
	line, err := json.Marshal(ev)
	if err == nil {
		a.mu.Lock()
		_, _ = a.out.Write(append(line, '\n'))
		a.mu.Unlock()
	}
	if a.queue == nil {
		return
	}
	select {
	case a.queue <- ev:
	default:
		a.dropped(1)
	}
}

// run delivers queued events until ctx ends, then sends what is queued
// with the remaining retries bounded by drain.
func (a *auditor) run(ctx context.Context) {
	if a.queue == nil {
		return
	}
	defer close(a.done)
	ticker := time.NewTicker(a.flushEvery)
	defer ticker.Stop()
	var batch []*AuditEvent
	flush := func(ctx context.Context) {
		if len(batch) > 0 {
			a.send(ctx, batch)
			batch = nil
		}
	}
	for {
		select {
		case ev := <-a.queue:
			batch = append(batch, ev)
			if len(batch) >= a.maxBatch || a.format == FormatRecords {
				flush(ctx)
			}
		case <-ticker.C:
			flush(ctx)
		case <-ctx.Done():
			drain, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
		drainQueue:
			for {
				select {
				case ev := <-a.queue:
					batch = append(batch, ev)
				default:
					break drainQueue
				}
			}
			flush(drain)
			return
		}
	}
}

// send posts a batch (records: one POST per event, as kube-oidc-proxy does)
// with retries and exponential backoff; what cannot be delivered is dropped
// and counted.
func (a *auditor) send(ctx context.Context, batch []*AuditEvent) {
	if a.format == FormatRecords {
		for _, ev := range batch {
			body, err := json.Marshal(toRecord(ev))
			if err == nil {
				err = a.post(ctx, body)
			}
			if err != nil {
				a.drop(1, err)
			}
		}
		return
	}
	list := auditv1.EventList{TypeMeta: metav1.TypeMeta{Kind: "EventList", APIVersion: "audit.k8s.io/v1"}}
	for _, ev := range batch {
		list.Items = append(list.Items, toAuditEvent(ev))
	}
	body, err := json.Marshal(list)
	if err == nil {
		err = a.post(ctx, body)
	}
	if err != nil {
		a.drop(len(batch), err)
	}
}

// drop counts events that could not be delivered and says why in the log,
// at most once per warnEvery (a webhook that is down would otherwise add a
// log line per request).
func (a *auditor) drop(n int, err error) {
	a.dropped(n)
	if now := time.Now(); now.Sub(a.lastWarn) >= a.warnEvery {
		a.lastWarn = now
		a.warn("audit webhook delivery failed; events dropped (counted in authstack_apiproxy_audit_events_dropped_total)",
			"webhook", a.target, "events", n, "error", err.Error())
	}
}

// post delivers one body with retries; the error is the last attempt's.
func (a *auditor) post(ctx context.Context, body []byte) error {
	wait := a.backoffBase
	var last error
	for i := 0; i < a.attempts; i++ {
		if i > 0 {
			select {
			case <-ctx.Done():
				return fmt.Errorf("%w (after: %v)", ctx.Err(), last)
			case <-time.After(wait):
			}
			wait *= 2
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.target, bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := a.client.Do(req)
		if err != nil {
			last = err
			continue
		}
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
		resp.Body.Close()
		switch {
		case resp.StatusCode < 300:
			return nil
		case resp.StatusCode < 500 && resp.StatusCode != http.StatusTooManyRequests:
			return fmt.Errorf("the webhook answered %s", resp.Status) // retrying will not help
		}
		last = fmt.Errorf("the webhook answered %s", resp.Status)
	}
	return last
}

// wait blocks until run has drained the queue.
func (a *auditor) wait() { <-a.done }

// record is the JSON kube-oidc-proxy's fork POSTs (Improwised/kube-oidc-proxy
// pkg/proxy/audit: type Log), field for field.
type record struct {
	ClusterName       string              `json:"cluster_name"`
	Email             string              `json:"email"`
	UID               string              `json:"uid"`
	Groups            []string            `json:"groups"`
	Extra             map[string][]string `json:"extra"`
	IsResourceRequest bool                `json:"is_resource_request"`
	RequestPath       string              `json:"request_path"`
	Verb              string              `json:"verb"`
	APIPrefix         string              `json:"api_prefix"`
	APIGroup          string              `json:"api_group"`
	APIVersion        string              `json:"api_version"`
	Namespace         string              `json:"namespace"`
	Resource          string              `json:"resource"`
	SubResource       string              `json:"sub_resource"`
	Name              string              `json:"name"`
	Parts             []string            `json:"parts"`
	FieldSelector     string              `json:"field_selector"`
	LabelSelector     string              `json:"label_selector"`
	RequestBody       json.RawMessage     `json:"request_body"`
	// Added by authstack: the outcome, which the fork's records lack.
	Code     int    `json:"code"`
	Decision string `json:"decision"`
	Reason   string `json:"reason,omitempty"`
	SourceIP string `json:"source_ip"`
}

func toRecord(ev *AuditEvent) record {
	body := json.RawMessage("{}")
	if len(ev.body) > 0 && json.Valid(ev.body) {
		body = ev.body
	}
	return record{
		ClusterName: ev.Cluster, Email: ev.User, UID: ev.UID, Groups: ev.Groups, Extra: ev.Extra,
		IsResourceRequest: ev.isResource, RequestPath: ev.path, Verb: ev.Verb, APIPrefix: ev.apiPrefix,
		APIGroup: ev.APIGroup, APIVersion: ev.APIVersion, Namespace: ev.Namespace, Resource: ev.Resource,
		SubResource: ev.Subresource, Name: ev.Name, Parts: ev.parts, FieldSelector: ev.fieldSelector,
		LabelSelector: ev.labelSelector, RequestBody: body,
		Code: ev.Code, Decision: ev.Decision, Reason: ev.Reason, SourceIP: ev.SourceIP,
	}
}

// toAuditEvent is the event at level Metadata (no bodies), with the
// decision in the annotations kube-apiserver's authorizer sets
// (authorization.k8s.io/decision: allow|forbid, authorization.k8s.io/reason).
func toAuditEvent(ev *AuditEvent) auditv1.Event {
	out := auditv1.Event{
		Level:                    auditv1.LevelMetadata,
		AuditID:                  types.UID(ev.ID),
		Stage:                    auditv1.StageResponseComplete,
		RequestURI:               ev.URI,
		Verb:                     ev.Verb,
		User:                     authnv1.UserInfo{Username: ev.User, UID: ev.UID, Groups: ev.Groups},
		SourceIPs:                []string{ev.SourceIP},
		UserAgent:                ev.UserAgent,
		ResponseStatus:           &metav1.Status{Code: int32(ev.Code)},
		RequestReceivedTimestamp: metav1.NewMicroTime(ev.Time),
		StageTimestamp:           metav1.NewMicroTime(ev.Time.Add(time.Duration(ev.Duration * float64(time.Second)))),
		Annotations: map[string]string{
			"authorization.k8s.io/decision": map[string]string{"allowed": "allow"}[ev.Decision],
			"authorization.k8s.io/reason":   ev.Reason,
			"authstack.dev/cluster":         ev.Cluster,
		},
	}
	if out.Annotations["authorization.k8s.io/decision"] == "" {
		out.Annotations["authorization.k8s.io/decision"] = "forbid"
	}
	if len(ev.Extra) > 0 {
		out.User.Extra = map[string]authnv1.ExtraValue{}
		for k, v := range ev.Extra {
			out.User.Extra[k] = v
		}
	}
	if ev.isResource {
		out.ObjectRef = &auditv1.ObjectReference{Resource: ev.Resource, Namespace: ev.Namespace, Name: ev.Name,
			APIGroup: ev.APIGroup, APIVersion: ev.APIVersion, Subresource: ev.Subresource}
	}
	return out
}

func newAuditID() string { return string(uuid.NewUUID()) }
