{{- /*
Who a service is on NATS: its own user (password from the Secret <passwordSecretPrefix>-<service>, the same
one the NATS chart reads, see dependencies/nats-security-values.yaml), the platform CA NATS's certificate
must chain to, and the client certificate it presents. Mounted as files, never in environment variables.
Each takes (dict "root" $ "service" $name).
*/ -}}
{{- define "lienthong.natsEnv" -}}
{{- $nats := .root.Values.nats -}}
{{- if $nats.credentials.enabled }}
- name: LIENTHONG_NATS_USER
  value: {{ .service | quote }}
- name: LIENTHONG_NATS_PASSWORD_FILE
  value: /etc/lienthong/nats/password
{{- end }}
{{- if $nats.tls.enabled }}
- name: LIENTHONG_NATS_CA
  value: /etc/lienthong/nats/ca.crt
{{- if $nats.tls.clientSecretPrefix }}
- name: LIENTHONG_NATS_CERT
  value: /etc/lienthong/nats/tls.crt
- name: LIENTHONG_NATS_KEY
  value: /etc/lienthong/nats/tls.key
{{- end }}
{{- end }}
{{- end }}

{{- define "lienthong.natsVolumeMounts" -}}
{{- $nats := .root.Values.nats -}}
{{- if or $nats.credentials.enabled $nats.tls.enabled }}
- name: nats-credentials
  mountPath: /etc/lienthong/nats
  readOnly: true
{{- end }}
{{- end }}

{{- define "lienthong.natsVolumes" -}}
{{- $nats := .root.Values.nats -}}
{{- if or $nats.credentials.enabled $nats.tls.enabled }}
- name: nats-credentials
  projected:
    defaultMode: 0400
    sources:
      {{- if $nats.credentials.enabled }}
      - secret:
          name: {{ printf "%s-%s" $nats.credentials.passwordSecretPrefix .service }}
          items: [{key: password, path: password}]
      {{- end }}
      {{- if $nats.tls.enabled }}
      - secret:
          name: {{ $nats.tls.caSecret }}
          items: [{key: ca.crt, path: ca.crt}]
      {{- if $nats.tls.clientSecretPrefix }}
      - secret:
          name: {{ printf "%s-%s" $nats.tls.clientSecretPrefix .service }}
          items: [{key: tls.crt, path: tls.crt}, {key: tls.key, path: tls.key}]
      {{- end }}
      {{- end }}
{{- end }}
{{- end }}
