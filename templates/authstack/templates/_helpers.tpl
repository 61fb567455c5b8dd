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
