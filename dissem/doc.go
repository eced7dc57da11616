// Package dissem is tailored dissemination: it reads the change feed
// (tearline.Feed), decides for each subscription (tearline.Subscription)
// which new object versions its filter wants, and pushes them to
// webhooks; it also serves the same selection to server-sent event
// streams and per-subscription TAXII collections, whose handlers live in
// package taxii.
//
// # Flow
//
// One reader tails the feed (woken by Notify after a local add, and
// polling for adds by other nodes) and keeps the newest entries in memory
// with their facts (Facts: type, labels, confidence, text, observable
// types, and the tags of sectors, countries, ATT&CK techniques and
// tactics, malware and threat actors derived through the context Graph).
// Every webhook subscription has a worker of its own that reads from
// that window (or from the store when it is behind it), applies its
// filter, and delivers in feed order: one bundle per batch, signed (see
// package webhook), retried with exponential backoff, and after the last
// attempt recorded as a dead letter, which an administrator may send
// again. A worker's cursor (the last feed sequence number it has dealt
// with) is saved durably every CursorInterval and at Stop, so a restart
// resumes where each subscriber was: nothing is lost, and what was
// delivered since the last save may come again (at least once).
//
// # Several nodes
//
// With Config.Bus (package bus, over NATS JetStream), several nodes
// share one store. Notify also publishes a change event, and another
// node's event wakes this node's feed reader at once, so its streams and
// webhooks see objects added elsewhere without waiting for Poll. Every
// node keeps a worker per webhook subscription, but a worker delivers
// only while its node holds the subscription's lease ("webhook.ID"):
// it reads the saved cursor from the store when it takes the lease,
// delivers under the lease's context (which ends before another node
// can take the lease, so an old holder's requests are canceled first),
// and saves its cursor only while it holds the lease (SaveCursors never
// moves a cursor back). Stop saves the cursors and then gives the
// leases up, so another node takes over at once; a killed node's leases
// expire. A subscription is delivered by one node at a time, at least
// once across a hand-over.
//
// # Access
//
// Nothing leaves without the one access decision: every object of a
// delivery passes Gate.Release for the subscriber's organization, as a
// reader of the collection the version was added to, which also records
// the decision in the disclosure ledger. Filters never rest on what the
// subscriber may not see: a tag that a related object contributes counts
// only if Gate.Visible says the subscriber may receive that object and
// the relationship that leads to it.
//
// # Context
//
// The Graph keeps identities (sectors), locations (countries), attack
// patterns (technique ids, tactics), malware and threat actors or
// intrusion sets (names, aliases, ids), and relationships, in memory,
// rebuilt from the feed at Start. An object's facts are computed when it
// is read: from its own properties, its relationships (one hop, and a
// further "targets" hop from the related object to identities and
// locations), the ends of a relationship, and the references of reports,
// groupings, notes, opinions and sightings. A relationship added after
// an object does not make the object delivered again; the relationship
// itself is delivered to the subscriptions it matches.
package dissem
