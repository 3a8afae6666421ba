{{/* Names, labels and the pieces every service's manifests share. */}}

{{- define "lienthong.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 50 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 50 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "lienthong.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: lienthong
{{- end -}}

{{/* Labels that select the pods of one component; call with (dict "root" $ "component" "documents"). */}}
{{- define "lienthong.selectorLabels" -}}
app.kubernetes.io/name: {{ .root.Chart.Name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "lienthong.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "lienthong.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "lienthong.image" -}}
{{- $repo := .root.Values.image.repository -}}
{{- if .root.Values.image.registry -}}{{- $repo = printf "%s/%s" .root.Values.image.registry $repo -}}{{- end -}}
{{- printf "%s/%s:%s" $repo .component (default .root.Chart.AppVersion .root.Values.image.tag) -}}
{{- end -}}

{{- define "lienthong.cnpgName" -}}
{{- printf "%s-pg" (include "lienthong.fullname" .) -}}
{{- end -}}

{{/* The database URL: from the CloudNativePG app secret, or from an existing secret. */}}
{{- define "lienthong.databaseEnv" -}}
{{- if .Values.postgresql.cnpg.enabled }}
- name: LIENTHONG_DB_USER
  valueFrom: {secretKeyRef: {name: {{ include "lienthong.cnpgName" . }}-app, key: username}}
- name: LIENTHONG_DB_PASSWORD
  valueFrom: {secretKeyRef: {name: {{ include "lienthong.cnpgName" . }}-app, key: password}}
- name: LIENTHONG_DATABASE_URL
  value: "postgresql+psycopg://$(LIENTHONG_DB_USER):$(LIENTHONG_DB_PASSWORD)@{{ include "lienthong.cnpgName" . }}-rw:5432/{{ .Values.postgresql.cnpg.database }}"
{{- else }}
- name: LIENTHONG_DATABASE_URL
  valueFrom: {secretKeyRef: {name: {{ .Values.postgresql.existingSecret }}, key: {{ .Values.postgresql.urlKey }}}}
{{- end }}
{{- end -}}

{{/* Settings every service process reads (libs/lienthong-grpcserver Settings.from_env). */}}
{{- /* The Secret with a service's TLS certificate, key and CA: (dict "root" $ "component" <service>) */ -}}
{{- define "lienthong.tlsSecret" -}}
{{- $default := printf "%s-%s-tls" (include "lienthong.fullname" .root) .component -}}
{{- default $default (get (default (dict) .root.Values.tls.secretNames) .component) -}}
{{- end -}}

{{- define "lienthong.commonEnv" -}}
{{- $root := . -}}
{{ include "lienthong.databaseEnv" . }}
{{- if .Values.nats.existingSecret }}
- name: LIENTHONG_NATS_URL
  valueFrom: {secretKeyRef: {name: {{ .Values.nats.existingSecret }}, key: {{ .Values.nats.urlKey }}}}
{{- else }}
- name: LIENTHONG_NATS_URL
  value: {{ .Values.nats.url | quote }}
{{- end }}
- name: LIENTHONG_STREAM_REPLICAS
  value: {{ .Values.nats.streamReplicas | quote }}
- name: LIENTHONG_LEASE_SECONDS
  value: {{ .Values.leases.seconds | quote }}
- name: LIENTHONG_INSTANCE
  value: {{ .Values.instance | quote }}
- name: LIENTHONG_DATA_DIR
  value: /var/lib/lienthong
- name: LIENTHONG_LOG_LEVEL
  value: {{ .Values.telemetry.logLevel | quote }}
- name: LIENTHONG_SHUTDOWN_GRACE
  value: {{ .Values.shutdownGraceSeconds | quote }}
{{- range $name, $svc := .Values.services }}
- name: LIENTHONG_{{ upper $name }}_ADDR
  value: "{{ include "lienthong.fullname" $root }}-{{ $name }}:{{ $svc.port }}"
{{- end }}
{{- if .Values.telemetry.otlpEndpoint }}
- name: OTEL_EXPORTER_OTLP_ENDPOINT
  value: {{ .Values.telemetry.otlpEndpoint | quote }}
{{- end }}
{{- if .Values.metrics.enabled }}
- name: LIENTHONG_METRICS_PORT
  value: {{ .Values.metrics.port | quote }}
{{- end }}
{{- end -}}
