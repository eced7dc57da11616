package main

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/tearline/tearline/taxii"
	"github.com/tearline/tearline/ui"
)

// portalConfig holds the settings of the analyst portal (/ui/) of
// `tearline serve` (see README.md, "Analyst portal").
type portalConfig struct {
	UI              bool          `toml:"ui"`
	UISessionTTL    time.Duration `toml:"ui_session_ttl"`
	UIMaxUpload     int64         `toml:"ui_max_upload"`
	UISecureCookies bool          `toml:"ui_secure_cookies"`
}

func defaultPortalConfig() portalConfig {
	return portalConfig{UI: true, UISessionTTL: ui.DefaultSessionTTL, UIMaxUpload: ui.DefaultMaxUpload}
}

func (c *portalConfig) options() []option {
	return []option{
		{"ui", "serve the analyst portal at /ui/ (users: tearline user; API tokens also sign in)", &c.UI},
		{"ui-session-ttl", "how long a portal session lasts after sign-in", &c.UISessionTTL},
		{"ui-max-upload", "largest bundle the portal's submit page accepts, in bytes", &c.UIMaxUpload},
		{"ui-secure-cookies", "mark portal cookies Secure even without --tls-cert (behind a proxy that terminates TLS)", &c.UISecureCookies},
	}
}

// withPortal returns the server's handler: the TAXII server's, with the
// analyst portal at /ui/ unless it is off or the store keeps no users. A
// background loop removes expired sessions until ctx ends.
func withPortal(ctx context.Context, cfg serveConfig, db taxii.Backend, ts *taxii.Server, tls bool, log *slog.Logger) (http.Handler, error) {
	st, ok := db.(ui.Store)
	if !cfg.UI || !ok {
		return ts.Handler(), nil
	}
	p, err := ui.New(ui.Config{Server: ts, Store: st, SessionTTL: cfg.UISessionTTL, MaxUpload: cfg.UIMaxUpload,
		SecureCookies: tls || cfg.UISecureCookies, Logger: log.With("component", "ui")})
	if err != nil {
		return nil, err
	}
	go func() {
		t := time.NewTicker(time.Hour)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if n, err := p.Clean(ctx); err != nil && ctx.Err() == nil {
					log.Error("delete expired portal sessions", "err", err)
				} else if n > 0 {
					log.Info("deleted expired portal sessions", "count", n)
				}
			}
		}
	}()
	return ui.Mount(ts.Handler(), p), nil
}
