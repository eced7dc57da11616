package tearline

import "context"

// Clients keeps which organizations are clients of which: TLP 2.0 lets a
// recipient of TLP:AMBER share it with "members of their own organization
// and its clients". A client of an organization that may read a collection
// may read that collection too, receiving what TLP:AMBER and less restrictive
// markings allow, never TLP:AMBER+STRICT. Write access is never inherited.
// Errors are *Error values with the listed codes, or wrapped internal
// errors.
type Clients interface {
	// SetClient records (on) or removes (off) client as a client of org.
	// ENOTFOUND when either organization does not exist; EINVALID when they
	// are the same. Setting what is already so changes nothing.
	SetClient(ctx context.Context, orgID, clientID string, on bool) error
	// ClientOf returns the ids of the organizations client is a client of,
	// sorted.
	ClientOf(ctx context.Context, clientID string) ([]string, error)
	// ClientsOf returns the ids of the clients of org, sorted.
	ClientsOf(ctx context.Context, orgID string) ([]string, error)
}
