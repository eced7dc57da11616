package main

import (
	"time"

	"github.com/tearline/tearline/dissem"
	"github.com/tearline/tearline/taxii"
)

// dissemConfig holds the settings of subscriptions and webhooks of
// `tearline serve` (see README.md, "Subscriptions and webhooks").
type dissemConfig struct {
	Webhooks          bool          `toml:"webhooks"`
	WebhookAttempts   int           `toml:"webhook_attempts"`
	WebhookTimeout    time.Duration `toml:"webhook_timeout"`
	WebhookBackoff    time.Duration `toml:"webhook_backoff"`
	WebhookMaxBackoff time.Duration `toml:"webhook_max_backoff"`
	FeedPoll          time.Duration `toml:"feed_poll"`
}

func defaultDissemConfig() dissemConfig {
	return dissemConfig{
		Webhooks:          true,
		WebhookAttempts:   dissem.DefaultAttempts,
		WebhookTimeout:    dissem.DefaultTimeout,
		WebhookBackoff:    dissem.DefaultBackoff,
		WebhookMaxBackoff: dissem.DefaultMaxBackoff,
		FeedPoll:          dissem.DefaultPoll,
	}
}

func (c *dissemConfig) options() []option {
	return []option{
		{"webhooks", "deliver subscriptions' webhooks from this server; with several servers on one --store database, give them a --bus (each subscription is then delivered by one server at a time), or else leave it on for exactly one", &c.Webhooks},
		{"webhook-attempts", "times a webhook delivery is tried before it becomes a dead letter", &c.WebhookAttempts},
		{"webhook-timeout", "time one webhook request may take, answer included", &c.WebhookTimeout},
		{"webhook-backoff", "wait before the first retry of a failed webhook delivery; it doubles with each attempt", &c.WebhookBackoff},
		{"webhook-max-backoff", "longest wait between two attempts of a webhook delivery", &c.WebhookMaxBackoff},
		{"feed-poll", "how often the change feed is read for objects that other processes or servers added", &c.FeedPoll},
	}
}

// dissemination returns the taxii settings of c.
func (c *dissemConfig) dissemination() taxii.Dissemination {
	return taxii.Dissemination{
		NoWebhooks: !c.Webhooks,
		Attempts:   c.WebhookAttempts,
		Timeout:    c.WebhookTimeout,
		Backoff:    c.WebhookBackoff,
		MaxBackoff: c.WebhookMaxBackoff,
		Poll:       c.FeedPoll,
	}
}
