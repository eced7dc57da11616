package tearline

import (
	"context"
	"strings"
	"time"
	"unicode"
)

// User is a person who signs in to the analyst portal with a name and a
// password. Like an API key, a user belongs to one organization and has
// one role; what the user may see is what a key of that organization and
// role may see.
type User struct {
	Name  string // unique; letters, digits, '.', '-', '_' and '@'
	OrgID string
	Role  Role
	// PasswordHash is the encoded password hash (package ui's format).
	PasswordHash string
	Created      time.Time
}

// Session is a signed-in browser session of the portal. Its id is a
// random secret the browser holds in a cookie; stores keep only its hash.
type Session struct {
	// IDHash is the SHA-256 of the session id.
	IDHash []byte
	// Principal: who signed in, a user (User set) or an API key (KeyID set).
	User  string
	KeyID string
	OrgID string
	Role  Role
	// CSRF is the secret that every form of the session carries.
	CSRF string
	// Since is the end of the previous visit of the same principal, from
	// which the dashboard counts what arrived.
	Since   time.Time
	Created time.Time
	Expires time.Time
}

// PortalUsers keeps the portal's users and sessions. Errors are *Error
// values with the listed codes, or wrapped internal errors.
type PortalUsers interface {
	// CreateUser stores u, filling u.Created. ECONFLICT when the name is
	// taken; ENOTFOUND for an unknown organization; EINVALID for a
	// malformed name, an invalid role or an empty hash.
	CreateUser(ctx context.Context, u *User) error
	// FindUser returns the user named name. ENOTFOUND when there is none.
	FindUser(ctx context.Context, name string) (*User, error)
	// Users returns every user ordered by name.
	Users(ctx context.Context) ([]*User, error)
	// SetPassword replaces the password hash of user name and ends its
	// sessions. ENOTFOUND when there is no such user.
	SetPassword(ctx context.Context, name, hash string) error
	// DeleteUser removes user name and its sessions. ENOTFOUND when there
	// is none.
	DeleteUser(ctx context.Context, name string) error

	// CreateSession stores s. ECONFLICT for a taken id hash.
	CreateSession(ctx context.Context, s *Session) error
	// FindSession returns the unexpired session whose id hashes to
	// idHash. ENOTFOUND when there is none, or it has expired.
	FindSession(ctx context.Context, idHash []byte) (*Session, error)
	// DeleteSession ends a session; ending one that does not exist is not
	// an error.
	DeleteSession(ctx context.Context, idHash []byte) error
	// DeleteSessionsBefore removes sessions that expired before t and
	// returns how many.
	DeleteSessionsBefore(ctx context.Context, t time.Time) (int, error)
	// Visit records that principal (a "user:NAME" or "key:ID" string) is
	// visiting at t and returns the time of its previous visit (zero for
	// the first).
	Visit(ctx context.Context, principal string, t time.Time) (time.Time, error)
}

// TextHit is one object version that a full-text search found.
type TextHit struct {
	ID      string
	Version time.Time
}

// TextSearch searches the names and descriptions of stored objects. What
// it returns is a candidate list only: nothing of it may reach a client
// before the access decision.
type TextSearch interface {
	// SearchText returns at most limit object versions whose name or
	// description matches the words of query (all of them, as prefixes),
	// the best matches first. EINVALID for a query without words.
	SearchText(ctx context.Context, query string, limit int) ([]TextHit, error)
}

// CheckUser returns EINVALID when u cannot be stored: a name that is not
// 1-64 letters, digits, '.', '-', '_' or '@', an invalid role or an empty
// password hash. Stores call it before writing.
func CheckUser(u *User) error {
	if !validUserName(u.Name) {
		return Errorf(EINVALID, "user name %q: use 1-64 letters, digits, '.', '-', '_' or '@'", u.Name)
	}
	if !u.Role.Valid() {
		return Errorf(EINVALID, "role %q is not one of reader, contributor, analyst, admin", u.Role)
	}
	if u.PasswordHash == "" {
		return Errorf(EINVALID, "user %s has no password hash", u.Name)
	}
	return nil
}

func validUserName(name string) bool {
	if name == "" || len(name) > 64 {
		return false
	}
	for _, c := range []byte(name) {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '-' || c == '_' || c == '@') {
			return false
		}
	}
	return true
}

// SearchWords splits a full-text query into its words: runs of letters and
// digits, at most 16 of them, each at most 64 bytes. Stores build their
// own query syntax from the words only, so nothing the user types reaches
// it as syntax.
func SearchWords(q string) []string {
	words := strings.FieldsFunc(q, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	var out []string
	for _, w := range words {
		if len(w) > 64 {
			continue
		}
		out = append(out, w)
		if len(out) == 16 {
			break
		}
	}
	return out
}

// References finds the stored objects that refer to an object, for the
// portal's object page. Like TextSearch, it returns candidates that must
// pass the access decision before anything of them reaches a client.
type References interface {
	// ReferringObjects returns at most limit object versions whose
	// source_ref, target_ref, sighting_of_ref or object_refs name id
	// (relationships, sightings, opinions, notes, reports, groupings), in
	// no particular order.
	ReferringObjects(ctx context.Context, id string, limit int) ([]TextHit, error)
}

// SignInFailures counts failed sign-ins to the portal in the store, so
// that every node over one database counts the same failures and the
// limit holds whichever node a request lands on. A key (a client address
// or a user name) has one count at a time: it starts with a failure and
// lasts a window, after which the next failure starts a new count. Errors
// are *Error values or wrapped internal errors.
type SignInFailures interface {
	// FailSignIn counts a failure at t against each of keys, starting a
	// new count of window for a key without a current one.
	FailSignIn(ctx context.Context, keys []string, t time.Time, window time.Duration) error
	// SignInFailures returns the highest current count at t among keys (0
	// when none has one).
	SignInFailures(ctx context.Context, keys []string, t time.Time) (int, error)
	// DeleteSignInFailuresBefore removes the counts whose window ended
	// before t and returns how many.
	DeleteSignInFailuresBefore(ctx context.Context, t time.Time) (int, error)
}
