package apiproxy

import "github.com/spf13/pflag"

// AddFlags binds the command's flags (the contract authstack's renderer
// writes the Deployment against) to o.
func (o *Options) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.AuthenticationConfig, "authentication-config", o.AuthenticationConfig, "AuthenticationConfiguration file (apiserver.config.k8s.io/v1 or v1beta1), as given to kube-apiserver")
	fs.StringVar(&o.ClustersConfig, "clusters-config", o.ClustersConfig, "ProxyClusters file: clusters served under /<name>/; without it one cluster (in-cluster or --kubeconfig) at /")
	fs.StringVar(&o.Kubeconfig, "kubeconfig", o.Kubeconfig, "kubeconfig of the single cluster when there is no --clusters-config (default: in-cluster service account)")
	fs.StringVar(&o.BindAddress, "bind-address", o.BindAddress, "address to serve HTTPS on (default all)")
	fs.IntVar(&o.SecurePort, "secure-port", o.SecurePort, "HTTPS port")
	fs.StringVar(&o.TLSCertFile, "tls-cert-file", o.TLSCertFile, "serving certificate (PEM); re-read when it changes")
	fs.StringVar(&o.TLSKeyFile, "tls-private-key-file", o.TLSKeyFile, "serving certificate's private key (PEM)")
	fs.StringVar(&o.ProbeBindAddress, "probe-bind-address", o.ProbeBindAddress, "plain-HTTP address of /healthz, /readyz and /metrics")
	fs.StringVar(&o.AuditWebhookURL, "audit-webhook-url", o.AuditWebhookURL, "audit webhook base URL (optional)")
	fs.StringVar(&o.AuditWebhookFormat, "audit-webhook-format", o.AuditWebhookFormat, "records (kube-oidc-proxy-style JSON records POSTed to <url>/api/v1/k8s-audit-log/webhook) or eventlist (audit.k8s.io/v1 EventList batches POSTed to <url>)")
	fs.StringVar(&o.AuditWebhookCAFile, "audit-webhook-ca-file", o.AuditWebhookCAFile, "CA bundle for an https audit webhook (default: system roots)")
	fs.IntVar(&o.AuditQueueSize, "audit-queue-size", o.AuditQueueSize, "audit events held for the webhook before new ones are dropped (and counted)")
	fs.DurationVar(&o.IdleTimeout, "idle-timeout", o.IdleTimeout, "close a request or stream after this long without a byte in either direction")
	fs.DurationVar(&o.MaxStreamDuration, "max-stream-duration", o.MaxStreamDuration, "close any request or stream after this long")
	fs.IntVar(&o.TokenCacheSize, "token-cache-size", o.TokenCacheSize, "verified tokens cached (by SHA-256, for 10s at most and never past exp, as kube-apiserver caches tokens); 0 disables the cache")
	fs.DurationVar(&o.ShutdownGracePeriod, "shutdown-grace-period", o.ShutdownGracePeriod, "on SIGTERM, time in-flight requests get before open streams are closed")
}
