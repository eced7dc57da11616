package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/tearline/tearline/bus"
)

// busConfig holds the settings of the change-event bus of `tearline
// serve` (see README.md, "Several nodes").
type busConfig struct {
	Bus         string        `toml:"bus"`
	BusName     string        `toml:"bus_name"`
	BusLeaseTTL time.Duration `toml:"bus_lease_ttl"`
	BusNode     string        `toml:"bus_node"`
}

func defaultBusConfig() busConfig {
	return busConfig{BusName: bus.DefaultName, BusLeaseTTL: bus.DefaultLeaseTTL}
}

func (c *busConfig) options() []option {
	return []option{
		{"bus", "NATS server with JetStream (nats://host:4222) that carries change events between the servers sharing one --store database and gives each webhook subscription and federation link to one of them at a time; without it this server works alone", &c.Bus},
		{"bus-name", "prefix of the stream (NAME-feed) and lease bucket (NAME-leases) on the NATS server: the same for all servers of one deployment", &c.BusName},
		{"bus-lease-ttl", "how long a server's hold on a webhook subscription or federation link lasts unrenewed: a server that stops or is killed hands its work over after at most this; the same for all servers", &c.BusLeaseTTL},
		{"bus-node", "this server's name on the bus, different for every server (default: host name and a random suffix)", &c.BusNode},
	}
}

// openBus connects to the bus when --bus is set; it returns nil otherwise.
func openBus(ctx context.Context, c busConfig, log *slog.Logger) (*bus.Bus, error) {
	if c.Bus == "" {
		return nil, nil
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	b, err := bus.Open(ctx, bus.Config{URL: c.Bus, Name: c.BusName, Node: c.BusNode, LeaseTTL: c.BusLeaseTTL,
		Logger: log.With("component", "bus")})
	if err != nil {
		return nil, fmt.Errorf("--bus %s: %w", redact(c.Bus), err)
	}
	log.Info("bus connected", "url", redact(c.Bus), "name", c.BusName, "node", b.Node(), "lease_ttl", c.BusLeaseTTL)
	return b, nil
}

// closeBus gives up this server's leases and disconnects; b may be nil.
func closeBus(ctx context.Context, b *bus.Bus) error {
	if b == nil {
		return nil
	}
	return b.Close(ctx)
}
