package tearline

import (
	"context"
	"time"
)

// States of a TranslationRequest.
const (
	TranslationOpen     = "open"
	TranslationAnswered = "answered"
)

// TranslationRequest is an organization's request for a translation of an
// object into a language, answered by a translator (RoleTranslator or
// higher) with a STIX language-content object.
type TranslationRequest struct {
	ID       string // UUID
	ObjectID string
	Language string // RFC 5646 tag, canonical
	Note     string
	// RequesterOrg and RequesterKey made the request; NoteID is the STIX
	// note that announced it ("" when none was stored).
	RequesterOrg, RequesterKey string
	NoteID                     string
	State                      string // TranslationOpen or TranslationAnswered
	Created                    time.Time
	// AnswerID is the language-content object that answered it, by
	// organization AnsweredBy at Answered; empty while open.
	AnswerID   string
	AnsweredBy string
	Answered   time.Time
}

// TranslationFilter selects translation requests; zero fields select all.
type TranslationFilter struct {
	State        string
	RequesterOrg string
	ObjectID     string
}

// Translations keeps translation requests. Errors are *Error values with
// the listed codes, or wrapped internal errors.
type Translations interface {
	// CreateTranslationRequest stores r in state TranslationOpen, filling
	// r.ID (a new UUID when empty) and r.Created. EINVALID for an empty
	// object, language or requester; ECONFLICT for a taken id.
	CreateTranslationRequest(ctx context.Context, r *TranslationRequest) error
	// FindTranslationRequest returns a request by id. ENOTFOUND when there
	// is none.
	FindTranslationRequest(ctx context.Context, id string) (*TranslationRequest, error)
	// ListTranslationRequests returns the requests f selects, oldest
	// first. EINVALID for an unknown state.
	ListTranslationRequests(ctx context.Context, f TranslationFilter) ([]*TranslationRequest, error)
	// AnswerTranslationRequest records that the language-content object
	// answerID, by organization by, answered an open request, and returns
	// it. ENOTFOUND for an unknown request; ECONFLICT when it was answered
	// already (once only, under racing translators too).
	AnswerTranslationRequest(ctx context.Context, id, answerID, by string, at time.Time) (*TranslationRequest, error)
}
