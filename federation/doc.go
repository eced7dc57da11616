// Package federation exchanges STIX objects with peer TAXII 2.1 servers
// (Tearline or any other) over links configured in the store
// (tearline.Peers): a pull link reads a collection of a peer into a local
// collection, a push link sends a local collection's new objects to a
// collection of a peer.
//
// What goes out on a push link is exactly what the server's one access
// decision lets the peer receive, as a recipient with the profile of the
// peer's organization and its TLP ceiling (Releaser, implemented by the
// TAXII server, which also records each decision in the disclosure ledger
// under path federation); redacted copies go where granular markings say
// so. Object versions that came from the peer are never pushed back to it
// (provenance), and a push link to a one-way peer sends only approved
// tear-line products.
//
// What comes in (Inbound) is mapped through the peer's marking crosswalk,
// held for review when its markings are unknown here (never treated as
// unmarked), recorded with its provenance, and ingested as a submission of
// the peer's organization: validated, marking-checked, and stored once
// however many routes it arrives by.
//
// A Syncer runs every link in the background at its interval, keeping each
// link's cursor in the store so that a restart resumes where it stopped;
// a failing peer is retried with backoff and reported in the link's state,
// never fatal to the server. With Config.Bus, several servers share the
// store and each link runs on the one that holds its lease ("link.ID"),
// under the lease's context (see package bus).
package federation
