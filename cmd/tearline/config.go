package main

import (
	"fmt"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/spf13/pflag"
	"github.com/tearline/tearline/marking"
	"github.com/tearline/tearline/tracing"
)

// serveConfig is the configuration of `tearline serve`. Each field is set,
// in order of precedence, by its flag, its TEARLINE_* environment variable,
// the TOML file given by --config, or the default.
type serveConfig struct {
	Data             string        `toml:"data"`
	Store            string        `toml:"store"`
	Listen           string        `toml:"listen"`
	TLSCert          string        `toml:"tls_cert"`
	TLSKey           string        `toml:"tls_key"`
	ClientCA         string        `toml:"client_ca"`
	Title            string        `toml:"title"`
	Description      string        `toml:"description"`
	Contact          string        `toml:"contact"`
	PublicDiscovery  bool          `toml:"public_discovery"`
	MaxContentLength int64         `toml:"max_content_length"`
	ReadTimeout      time.Duration `toml:"read_timeout"`
	WriteTimeout     time.Duration `toml:"write_timeout"`
	ShutdownTimeout  time.Duration `toml:"shutdown_timeout"`
	LogLevel         string        `toml:"log_level"`
	// ClassificationLevels orders the classification levels, lowest first.
	ClassificationLevels []string `toml:"classification_levels"`
	// Ledger records every disclosure in DATA/ledger; LedgerSkipWithheld
	// leaves withheld decisions out of it.
	Ledger             bool            `toml:"ledger"`
	LedgerSkipWithheld bool            `toml:"ledger_skip_withheld"`
	APIRoots           []apiRootConfig `toml:"api_root"`
	limitsConfig
	dissemConfig
	busConfig
	portalConfig
	exchangeConfig

	// Federation runs the peers' pull and push links in the background.
	Federation bool `toml:"federation"`
}

// limitsConfig holds the settings of the limits, timeouts and metrics
// listener of `tearline serve` (see README.md, "Limits and observability").
type limitsConfig struct {
	ReadHeaderTimeout time.Duration `toml:"read_header_timeout"`
	RateLimit         float64       `toml:"rate_limit"`
	RateBurst         int           `toml:"rate_burst"`
	MaxConcurrent     int           `toml:"max_concurrent"`
	AuthFailureRate   float64       `toml:"auth_failure_rate"`
	AuthFailureBurst  int           `toml:"auth_failure_burst"`
	MetricsListen     string        `toml:"metrics_listen"`
	// OTelEndpoint turns OpenTelemetry tracing on: spans go to this
	// OTLP/HTTP receiver.
	OTelEndpoint string `toml:"otel_endpoint"`
}

// apiRootConfig is one [[api_root]] table of the TOML file.
type apiRootConfig struct {
	Name             string `toml:"name"`
	Title            string `toml:"title"`
	Description      string `toml:"description"`
	MaxContentLength int64  `toml:"max_content_length"`
	Default          bool   `toml:"default"`
}

func defaultServeConfig() serveConfig {
	return serveConfig{
		Data:                 "tearline-data",
		Listen:               "127.0.0.1:8080",
		Title:                "Tearline",
		Description:          "Tearline TAXII 2.1 server",
		MaxContentLength:     100 << 20,
		ReadTimeout:          2 * time.Minute,
		WriteTimeout:         5 * time.Minute,
		ShutdownTimeout:      30 * time.Second,
		LogLevel:             "info",
		ClassificationLevels: slices.Clone(marking.DefaultLevels),
		Ledger:               true,
		Federation:           true,
		dissemConfig:         defaultDissemConfig(),
		busConfig:            defaultBusConfig(),
		portalConfig:         defaultPortalConfig(),
		limitsConfig: limitsConfig{
			ReadHeaderTimeout: 10 * time.Second,
			RateLimit:         100,
			RateBurst:         200,
			MaxConcurrent:     32,
			AuthFailureRate:   0.2,
			AuthFailureBurst:  10,
		},
	}
}

// option ties one setting to its flag, environment variable and TOML key.
type option struct {
	flag, usage string
	ptr         any // *string, *bool, *int64, *int, *float64, *time.Duration or *[]string
}

func (c *serveConfig) options() []option {
	return append(c.baseOptions(), c.portalConfig.options()...)
}

// baseOptions are the options of serve but the portal's.
func (c *serveConfig) baseOptions() []option {
	return append([]option{
		{"data", "data directory of the embedded store and the ledger", &c.Data},
		{"store", storeUsage, &c.Store},
		{"listen", "address to listen on (host:port)", &c.Listen},
		{"tls-cert", "TLS certificate file (PEM); enables HTTPS", &c.TLSCert},
		{"tls-key", "TLS private key file (PEM)", &c.TLSKey},
		{"client-ca", "CA certificates (PEM) for TLS client certificate authentication", &c.ClientCA},
		{"title", "server title in TAXII discovery", &c.Title},
		{"description", "server description in TAXII discovery", &c.Description},
		{"contact", "contact information in TAXII discovery", &c.Contact},
		{"public-discovery", "serve TAXII discovery without credentials", &c.PublicDiscovery},
		{"max-content-length", "largest accepted request body in bytes", &c.MaxContentLength},
		{"read-timeout", "time allowed to read a whole request (slow clients are cut off)", &c.ReadTimeout},
		{"write-timeout", "time allowed to write a whole response", &c.WriteTimeout},
		{"shutdown-timeout", "time in-flight requests get to finish on SIGINT/SIGTERM", &c.ShutdownTimeout},
		{"log-level", "debug, info, warn or error", &c.LogLevel},
		{"classification-levels", "classification levels that markings and clearances name, lowest first, comma-separated", &c.ClassificationLevels},
		{"ledger", "record every disclosure in the hash-chained ledger DATA/ledger (see tearline audit); reads fail with 503 when it cannot record", &c.Ledger},
		{"ledger-skip-withheld", "leave withheld decisions out of the ledger (by default they are recorded)", &c.LedgerSkipWithheld},
		{"federation", "run the pull and push links of the federation peers in the store in the background (see tearline peer)", &c.Federation},
		{"read-header-timeout", "time allowed to read a request's headers (at most --read-timeout)", &c.ReadHeaderTimeout},
		{"rate-limit", "requests per second allowed to one API key or client certificate, sustained (0: no limit); past it 429 with Retry-After", &c.RateLimit},
		{"rate-burst", "requests one key may send at once above --rate-limit", &c.RateBurst},
		{"max-concurrent", "requests of one key served at the same time; more get 429 (0: no limit)", &c.MaxConcurrent},
		{"auth-failure-rate", "failed authentications per second allowed from one client address, sustained (0: no limit); past it the address gets 429", &c.AuthFailureRate},
		{"auth-failure-burst", "failed authentications one client address may have at once above --auth-failure-rate", &c.AuthFailureBurst},
		{"metrics-listen", "also serve /metrics (Prometheus), /healthz and /readyz without credentials on this address, e.g. 127.0.0.1:9090 (the main listener serves /metrics to admin keys only)", &c.MetricsListen},
		{"otel-endpoint", "send OpenTelemetry trace spans to this OTLP/HTTP receiver, e.g. http://127.0.0.1:4318 (spans go to its /v1/traces; off by default; the standard OTEL_EXPORTER_OTLP_ENDPOINT and other OTEL_* variables also apply)", &c.OTelEndpoint},
	}, append(append(c.dissemConfig.options(), c.busConfig.options()...), c.exchangeConfig.options()...)...)
}

// envName returns the environment variable of a flag: TEARLINE_TLS_CERT for
// tls-cert.
func envName(flag string) string {
	return "TEARLINE_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// register adds the flags, with defaults from c, to fs.
func (c *serveConfig) register(fs *pflag.FlagSet) {
	for _, o := range c.options() {
		usage := fmt.Sprintf("%s (env %s)", o.usage, envName(o.flag))
		switch p := o.ptr.(type) {
		case *string:
			fs.StringVar(p, o.flag, *p, usage)
		case *bool:
			fs.BoolVar(p, o.flag, *p, usage)
		case *int64:
			fs.Int64Var(p, o.flag, *p, usage)
		case *time.Duration:
			fs.DurationVar(p, o.flag, *p, usage)
		case *[]string:
			fs.StringSliceVar(p, o.flag, *p, usage)
		case *float64:
			fs.Float64Var(p, o.flag, *p, usage)
		case *int:
			fs.IntVar(p, o.flag, *p, usage)
		}
	}
}

// resolve applies the TOML file and the environment below the flags the
// user set: it re-reads the flag values after loading the lower layers.
func (c *serveConfig) resolve(fs *pflag.FlagSet, configFile string) error {
	// Remember the flags given on the command line.
	given := map[string]string{}
	fs.Visit(func(f *pflag.Flag) {
		if sv, ok := f.Value.(pflag.SliceValue); ok {
			given[f.Name] = strings.Join(sv.GetSlice(), ",")
		} else {
			given[f.Name] = f.Value.String()
		}
	})

	if configFile == "" {
		configFile = os.Getenv("TEARLINE_CONFIG")
	}
	if configFile != "" {
		data, err := os.ReadFile(configFile)
		if err == nil {
			err = c.decodeTOML(data)
		}
		if err != nil {
			return fmt.Errorf("config file %s: %w", configFile, err)
		}
	}
	for _, o := range c.options() {
		v, ok := os.LookupEnv(envName(o.flag))
		if !ok {
			continue
		}
		if err := setOption(o, v); err != nil {
			return fmt.Errorf("environment %s=%q: %w", envName(o.flag), v, err)
		}
	}
	for _, o := range c.options() {
		if v, ok := given[o.flag]; ok {
			if err := setOption(o, v); err != nil {
				return fmt.Errorf("--%s %q: %w", o.flag, v, err)
			}
		}
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return fmt.Errorf("--tls-cert and --tls-key go together")
	}
	if c.ClientCA != "" && c.TLSCert == "" {
		return fmt.Errorf("--client-ca needs TLS: set --tls-cert and --tls-key")
	}
	return c.checkValues()
}

// decodeTOML applies the settings of a TOML configuration file to c. It
// refuses unknown settings; values are checked by checkValues.
func (c *serveConfig) decodeTOML(data []byte) error {
	md, err := toml.Decode(string(data), c)
	if err != nil {
		return err
	}
	if und := md.Undecoded(); len(und) > 0 {
		return fmt.Errorf("unknown setting %q", und[0].String())
	}
	return nil
}

// checkValues applies to every setting, whichever layer set it, the rules
// its flag and environment variable follow: durations and sizes positive,
// limits not negative. A TOML file, which is decoded straight into c,
// could otherwise turn a timeout off with a negative value.
func (c *serveConfig) checkValues() error {
	for _, o := range c.options() {
		var bad any
		switch p := o.ptr.(type) {
		case *int64:
			if *p <= 0 {
				bad = *p
			}
		case *time.Duration:
			if *p <= 0 {
				bad = *p
			}
		case *float64:
			if *p < 0 || math.IsNaN(*p) || math.IsInf(*p, 0) {
				bad = *p
			}
		case *int:
			if *p < 0 {
				bad = *p
			}
		}
		if bad != nil {
			return fmt.Errorf("setting %s (--%s): %v is out of range", strings.ReplaceAll(o.flag, "-", "_"), o.flag, bad)
		}
	}
	if err := tracing.CheckEndpoint(c.OTelEndpoint); err != nil {
		return fmt.Errorf("setting otel_endpoint (--otel-endpoint) %q: %w", c.OTelEndpoint, err)
	}
	for _, r := range c.APIRoots {
		if r.MaxContentLength < 0 {
			return fmt.Errorf("api_root %q: max_content_length %d is negative", r.Name, r.MaxContentLength)
		}
	}
	return nil
}

func setOption(o option, v string) error {
	switch p := o.ptr.(type) {
	case *string:
		*p = v
	case *bool:
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("want true or false")
		}
		*p = b
	case *int64:
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			return fmt.Errorf("want a positive integer")
		}
		*p = n
	case *time.Duration:
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return fmt.Errorf("want a positive duration such as 30s or 2m")
		}
		*p = d
	case *[]string:
		*p = nil
		for _, f := range strings.Split(v, ",") {
			*p = append(*p, strings.TrimSpace(f))
		}
	case *float64: // the limits: 0 turns one off
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f < 0 || math.IsInf(f, 0) || math.IsNaN(f) {
			return fmt.Errorf("want a number, 0 or more")
		}
		*p = f
	case *int:
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return fmt.Errorf("want a whole number, 0 or more")
		}
		*p = n
	}
	return nil
}
