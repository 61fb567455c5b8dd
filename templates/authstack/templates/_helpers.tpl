{{/* Labels shared by every object; "name" is the component. */}}
{{- define "authstack.labels" -}}
app.kubernetes.io/name: {{ .name }}
app.kubernetes.io/instance: {{ .root.Values.instance }}
app.kubernetes.io/part-of: authstack
app.kubernetes.io/managed-by: authstack
{{- end }}

{{- define "authstack.selector" -}}
app.kubernetes.io/name: {{ .name }}
app.kubernetes.io/instance: {{ .root.Values.instance }}
{{- end }}

{{/* The restricted Pod Security Standard, for every container. */}}
{{- define "authstack.containerSecurity" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
capabilities:
  drop: ["ALL"]
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{/*
The sources a NetworkPolicy lets in: the ingress controller's pods, by the
namespace's kubernetes.io/metadata.name label, and, for a controller on the
host network, the node CIDRs the user lists. The argument is the root context.
*/}}
{{- define "authstack.ingressFrom" -}}
- namespaceSelector:
    matchLabels:
      kubernetes.io/metadata.name: {{ .Values.ingressFrom.namespace | quote }}
{{- range .Values.ingressFrom.cidrs }}
- ipBlock:
    cidr: {{ . | quote }}
{{- end }}
{{- end }}
