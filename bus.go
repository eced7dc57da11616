package tearline

import "context"

// Bus carries change events between the server nodes that share one
// store, and gives each piece of background work (a subscription's
// webhook, a federation link) to one node at a time through leases.
// Package bus implements it over NATS JetStream; a single node runs
// without one.
type Bus interface {
	// Publish tells the other nodes that this node added to the change
	// feed. It returns an error when the bus cannot take the event; the
	// other nodes then see the adds at their next poll.
	Publish(ctx context.Context) error
	// Changes is signaled (without blocking the bus: one pending signal
	// at most) when another node has published.
	Changes() <-chan struct{}
	// Broadcast sends data to every node listening to topic (letters,
	// digits, '-' and '_'), this one included, at most once: a node that
	// is not listening then never gets it.
	Broadcast(ctx context.Context, topic string, data []byte) error
	// Listen calls fn with the data of each broadcast on topic, one at a
	// time, until stop is called. It returns an error when the bus cannot
	// subscribe.
	Listen(topic string, fn func(data []byte)) (stop func(), err error)
	// Lease returns the lease of a named piece of work, such as
	// "webhook.ID"; it is taken only when Hold is called.
	Lease(name string) Lease
}

// Lease is a piece of work that at most one node holds at a time. The
// holder renews it while it lives; when the holder stops or loses the
// bus, the lease expires and another node may take it.
type Lease interface {
	// Hold waits until this node holds the lease, and returns a context
	// that ends when the lease is lost (taken over after it expired
	// unrenewed, released, or given up for another node to take, when
	// more nodes share the work) or ctx ends. Work done under the lease
	// uses that context, so that it stops before another node may
	// start. Hold returns ctx's error when ctx ends first.
	Hold(ctx context.Context) (context.Context, error)
	// Held reports whether this node holds the lease now.
	Held() bool
	// Release gives the lease up at once, so that another node may take
	// it without waiting for it to expire, and stops taking it. Hold may
	// be called again afterwards.
	Release(ctx context.Context) error
}
