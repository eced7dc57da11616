package main

import (
	"math"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestConfigValuesChecked checks that a TOML file cannot set what the
// flags refuse: a negative or zero timeout would turn it off.
func TestConfigValuesChecked(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ toml, mention string }{
		{`read_timeout = "-5s"`, "read_timeout"},
		{`read_header_timeout = "0s"`, "read_header_timeout"},
		{`max_content_length = -1`, "max_content_length"},
		{`rate_limit = -3.5`, "rate_limit"},
		{`rate_limit = nan`, "rate_limit"},
		{`max_concurrent = -1`, "max_concurrent"},
		{"[[api_root]]\nname = \"x\"\nmax_content_length = -2", "api_root"},
		{`webhook_attempts = -1`, "webhook_attempts"},
		{`webhook_timeout = "-1s"`, "webhook_timeout"},
		{`feed_poll = "0s"`, "feed_poll"},
		{`auth_failure_burst = -4`, "auth_failure_burst"},
		{`otel_endpoint = "127.0.0.1:4318"`, "otel_endpoint"},
		{`otel_endpoint = "file:///tmp/spans"`, "otel_endpoint"},
		{`max_content_length = "big"`, "max_content_length"},
	} {
		cfg := defaultServeConfig()
		err := cfg.decodeTOML([]byte(tt.toml))
		if err == nil {
			err = cfg.checkValues()
		}
		if err == nil || !strings.Contains(err.Error(), tt.mention) {
			t.Errorf("%s: %v", tt.toml, err)
		}
	}
	cfg := defaultServeConfig()
	if err := cfg.decodeTOML([]byte("rate_limit = 0\nmax_concurrent = 0\nauth_failure_rate = 0")); err != nil || cfg.checkValues() != nil {
		t.Errorf("limits turned off: %v, %v", err, cfg.checkValues())
	}
}

// FuzzServeConfigTOML decodes arbitrary TOML as a serve configuration file:
// it must never panic, and what passes the checks has every timeout and
// size positive and no limit negative, whatever the file said.
func FuzzServeConfigTOML(f *testing.F) {
	for _, s := range []string{
		"listen = \"127.0.0.1:9001\"\ntitle = \"x\"\nread_timeout = \"30s\"\n",
		"[[api_root]]\nname = \"partners\"\ntitle = \"Partners\"\ndefault = true\nmax_content_length = 1048576\n",
		"classification_levels = [\"PUBLIC\", \"RESTRICTED\"]\nledger = false\n",
		"rate_limit = 5.5\nrate_burst = 7\nmax_concurrent = 0\nauth_failure_rate = 0.5\nmetrics_listen = \"127.0.0.1:9090\"\n",
		"read_timeout = \"-1s\"\n",
		"write_timeout = 12\n",
		"no_such_setting = 1\n",
		"[api_root]\nname = 3\n",
		"title = '''\nmulti\n'''\n",
		"otel_endpoint = \"http://127.0.0.1:4318\"\n",
		"otel_endpoint = \"127.0.0.1:4318\"\n",
		"webhook_attempts = -1\nfeed_poll = \"0s\"\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg := defaultServeConfig()
		if err := cfg.decodeTOML(data); err != nil {
			return
		}
		if err := cfg.checkValues(); err != nil {
			return
		}
		for _, d := range []time.Duration{cfg.ReadTimeout, cfg.WriteTimeout, cfg.ShutdownTimeout, cfg.ReadHeaderTimeout} {
			if d <= 0 {
				t.Fatalf("a timeout of %v passed the checks", d)
			}
		}
		for _, f := range []float64{cfg.RateLimit, cfg.AuthFailureRate} {
			if f < 0 || math.IsNaN(f) || math.IsInf(f, 0) {
				t.Fatalf("a rate of %v passed the checks", f)
			}
		}
		if cfg.OTelEndpoint != "" {
			if u, err := url.Parse(cfg.OTelEndpoint); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				t.Fatalf("otel_endpoint %q passed the checks", cfg.OTelEndpoint)
			}
		}
		if cfg.MaxContentLength <= 0 || cfg.RateBurst < 0 || cfg.MaxConcurrent < 0 || cfg.AuthFailureBurst < 0 {
			t.Fatalf("sizes passed the checks: %d %d %d %d", cfg.MaxContentLength, cfg.RateBurst, cfg.MaxConcurrent, cfg.AuthFailureBurst)
		}
	})
}
