package taxii

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/tearline/tearline"
	"github.com/tearline/tearline/dissem"
)

// The subscription admin API (/api/v1/subscriptions) manages what each
// organization receives and where: filters, webhooks, dead letters. It
// needs the admin role, like the rest of the admin API.

// dissemRoutes registers the subscription, dead-letter and stream routes.
func (s *Server) dissemRoutes(handle func(method, path string, h http.Handler)) {
	const sub = "/api/v1/subscriptions/{subscription}/"
	handle("GET", "/api/v1/subscriptions/", s.admin(s.listSubscriptions))
	handle("POST", "/api/v1/subscriptions/", s.admin(s.createSubscription))
	handle("GET", sub, s.admin(s.getSubscription))
	handle("PUT", sub, s.admin(s.updateSubscription))
	handle("PATCH", sub, s.admin(s.updateSubscription))
	handle("DELETE", sub, s.admin(s.deleteSubscription))
	handle("GET", sub+"dead-letters/", s.admin(s.listDeadLetters))
	handle("DELETE", sub+"dead-letters/{dead}/", s.admin(s.deleteDeadLetter))
	handle("POST", sub+"dead-letters/{dead}/redrive/", s.admin(s.redriveDeadLetter))
	handle("GET", "/api/v1/stream/", s.withRole(tearline.RoleReader, "the event stream", s.stream))
	handle("GET", "/api/v1/feeds/", s.withRole(tearline.RoleReader, "the list of feeds", s.listFeeds))
}

// subscriptionJSON is a subscription in the admin API.
type subscriptionJSON struct {
	ID      string          `json:"id"`
	OrgID   string          `json:"org"`
	Name    string          `json:"name"`
	Filter  json.RawMessage `json:"filter"`
	Webhook *webhookJSON    `json:"webhook,omitempty"`
	// Cursor is the feed sequence number the webhook has dealt with, as
	// saved (Delivered: as the running worker has it).
	Cursor    int64 `json:"cursor"`
	Delivered int64 `json:"delivered,omitempty"`
	// DeadLetters counts the failed deliveries kept.
	DeadLetters int `json:"dead_letters"`
	// Collection is the path of its TAXII collection.
	Collection string    `json:"collection"`
	Created    time.Time `json:"created"`
}

// webhookJSON is a subscription's webhook. The secret is shown when it
// is set (creation, or a change), never afterwards.
type webhookJSON struct {
	URL    string `json:"url"`
	Secret string `json:"secret,omitempty"`
}

// subscriptionRequest is the body of POST, PUT and PATCH. In a PATCH,
// fields left out keep their value.
type subscriptionRequest struct {
	Org     *string          `json:"org"`
	Name    *string          `json:"name"`
	Filter  *json.RawMessage `json:"filter"`
	Webhook *json.RawMessage `json:"webhook"`
}

// noDissem is the error of the routes when the backend cannot feed
// dissemination.
func (s *Server) noDissem() error {
	if s.dissem == nil {
		return tearline.Errorf(tearline.EUNAVAILABLE, "subscriptions are not available on this server (dissemination is off, or the store keeps no change feed)")
	}
	return nil
}

// subscriptionOf renders sub; secret, when not empty, is shown.
func (s *Server) subscriptionOf(r *http.Request, sub *tearline.Subscription, secret string) (subscriptionJSON, error) {
	j := subscriptionJSON{ID: sub.ID, OrgID: sub.OrgID, Name: sub.Name, Filter: json.RawMessage(sub.Filter),
		Cursor: sub.Cursor, Created: sub.Created, Collection: rootURL(s.def) + "collections/" + sub.ID + "/"}
	if sub.WebhookURL != "" {
		j.Webhook = &webhookJSON{URL: sub.WebhookURL, Secret: secret}
		if c, ok := s.dissem.Cursor(sub.ID); ok {
			j.Delivered = c
		}
	}
	dls, err := s.subs.DeadLetters(r.Context(), sub.ID)
	if err != nil {
		return j, err
	}
	j.DeadLetters = len(dls)
	return j, nil
}

// applyWebhook sets the webhook of sub from its JSON (null removes it)
// and returns the secret to show, if it was set.
func applyWebhook(sub *tearline.Subscription, raw json.RawMessage, replace bool) (string, error) {
	if string(raw) == "null" {
		sub.WebhookURL, sub.WebhookSecret = "", ""
		return "", nil
	}
	var req struct {
		URL    *string `json:"url"`
		Secret *string `json:"secret"`
	}
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return "", tearline.Errorf(tearline.EINVALID, "webhook: want {\"url\": \"https://...\", \"secret\": \"...\"}: %v", err)
	}
	if req.URL != nil || replace {
		u := ""
		if req.URL != nil {
			u = *req.URL
		}
		if err := dissem.CheckWebhookURL(u); err != nil {
			return "", err
		}
		sub.WebhookURL = u
	}
	switch {
	case req.Secret != nil && len(*req.Secret) < dissem.MinSecret:
		return "", tearline.Errorf(tearline.EINVALID, "webhook.secret: shorter than %d characters; leave it out to have one made", dissem.MinSecret)
	case req.Secret != nil:
		sub.WebhookSecret = *req.Secret
		return sub.WebhookSecret, nil
	case sub.WebhookSecret == "" || replace:
		sub.WebhookSecret = dissem.NewSecret()
		return sub.WebhookSecret, nil
	}
	return "", nil
}

// checkFilter parses a filter given in a request and returns its JSON.
func checkFilter(raw *json.RawMessage) ([]byte, error) {
	if raw == nil {
		return nil, tearline.Errorf(tearline.EINVALID, "filter: missing; give a filter object ({} selects everything the organization may receive)")
	}
	if _, err := dissem.Parse(*raw); err != nil {
		return nil, err
	}
	return []byte(*raw), nil
}

func (s *Server) listSubscriptions(w http.ResponseWriter, r *http.Request, p *tearline.Principal) error {
	if err := s.noDissem(); err != nil {
		return err
	}
	orgID := ""
	if key := r.URL.Query().Get("org"); key != "" {
		o, err := s.b.FindOrganization(r.Context(), key)
		if tearline.ErrorCode(err) == tearline.ENOTFOUND {
			return tearline.Errorf(tearline.ENOTFOUND, "no organization %q (give its id or name)", key)
		} else if err != nil {
			return err
		}
		orgID = o.ID
	}
	subs, err := s.subs.ListSubscriptions(r.Context(), orgID)
	if err != nil {
		return err
	}
	res := struct {
		Subscriptions []subscriptionJSON `json:"subscriptions"`
	}{Subscriptions: []subscriptionJSON{}}
	for _, sub := range subs {
		j, err := s.subscriptionOf(r, sub, "")
		if err != nil {
			return err
		}
		res.Subscriptions = append(res.Subscriptions, j)
	}
	writeAdmin(w, http.StatusOK, res)
	return nil
}

func (s *Server) createSubscription(w http.ResponseWriter, r *http.Request, p *tearline.Principal) error {
	if err := s.noDissem(); err != nil {
		return err
	}
	var req subscriptionRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	if req.Org == nil || *req.Org == "" {
		return tearline.Errorf(tearline.EINVALID, "org: missing; give the id or name of the subscribing organization")
	}
	o, err := s.b.FindOrganization(r.Context(), *req.Org)
	if tearline.ErrorCode(err) == tearline.ENOTFOUND {
		return tearline.Errorf(tearline.EINVALID, "org: no organization %q (give its id or name)", *req.Org)
	} else if err != nil {
		return err
	}
	sub := &tearline.Subscription{OrgID: o.ID}
	if req.Name != nil {
		sub.Name = *req.Name
	}
	if sub.Filter, err = checkFilter(req.Filter); err != nil {
		return err
	}
	var secret string
	if req.Webhook != nil {
		if secret, err = applyWebhook(sub, *req.Webhook, true); err != nil {
			return err
		}
	}
	if err := s.subs.CreateSubscription(r.Context(), sub); err != nil {
		return err
	}
	s.logger(r.Context()).Info("subscription created", "subscription", sub.ID, "sub_org", o.ID, "webhook", sub.WebhookURL != "")
	if err := s.dissem.Reload(r.Context()); err != nil {
		return err
	}
	j, err := s.subscriptionOf(r, sub, secret)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/subscriptions/"+sub.ID+"/")
	writeAdmin(w, http.StatusCreated, j)
	return nil
}

// subscription returns the subscription named in the path.
func (s *Server) subscription(r *http.Request) (*tearline.Subscription, error) {
	if err := s.noDissem(); err != nil {
		return nil, err
	}
	id := r.PathValue("subscription")
	sub, err := s.subs.FindSubscription(r.Context(), id)
	if tearline.ErrorCode(err) == tearline.ENOTFOUND {
		return nil, tearline.Errorf(tearline.ENOTFOUND, "no subscription %q", id)
	}
	return sub, err
}

func (s *Server) getSubscription(w http.ResponseWriter, r *http.Request, p *tearline.Principal) error {
	sub, err := s.subscription(r)
	if err != nil {
		return err
	}
	j, err := s.subscriptionOf(r, sub, "")
	if err != nil {
		return err
	}
	writeAdmin(w, http.StatusOK, j)
	return nil
}

// updateSubscription changes a subscription: PUT replaces its name,
// filter and webhook (a webhook left out is removed; a new secret is made
// unless one is given), PATCH changes the fields given. The organization
// and the cursor stay.
func (s *Server) updateSubscription(w http.ResponseWriter, r *http.Request, p *tearline.Principal) error {
	sub, err := s.subscription(r)
	if err != nil {
		return err
	}
	var req subscriptionRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	replace := r.Method == http.MethodPut
	if req.Org != nil && *req.Org != sub.OrgID {
		if o, err := s.b.FindOrganization(r.Context(), *req.Org); err != nil || o.ID != sub.OrgID {
			return tearline.Errorf(tearline.EINVALID, "org: a subscription stays with its organization; create another one")
		}
	}
	if req.Name != nil {
		sub.Name = *req.Name
	} else if replace {
		sub.Name = ""
	}
	if req.Filter != nil || replace {
		if sub.Filter, err = checkFilter(req.Filter); err != nil {
			return err
		}
	}
	var secret string
	switch {
	case req.Webhook != nil:
		if secret, err = applyWebhook(sub, *req.Webhook, replace || sub.WebhookURL == ""); err != nil {
			return err
		}
	case replace:
		sub.WebhookURL, sub.WebhookSecret = "", ""
	}
	if err := s.subs.UpdateSubscription(r.Context(), sub); err != nil {
		return err
	}
	s.logger(r.Context()).Info("subscription updated", "subscription", sub.ID, "webhook", sub.WebhookURL != "")
	if err := s.dissem.Reload(r.Context()); err != nil {
		return err
	}
	j, err := s.subscriptionOf(r, sub, secret)
	if err != nil {
		return err
	}
	writeAdmin(w, http.StatusOK, j)
	return nil
}

func (s *Server) deleteSubscription(w http.ResponseWriter, r *http.Request, p *tearline.Principal) error {
	sub, err := s.subscription(r)
	if err != nil {
		return err
	}
	if err := s.subs.DeleteSubscription(r.Context(), sub.ID); err != nil {
		return err
	}
	s.logger(r.Context()).Info("subscription deleted", "subscription", sub.ID)
	if err := s.dissem.Reload(r.Context()); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// deadLetterJSON is a dead letter in the admin API.
type deadLetterJSON struct {
	ID        string    `json:"id"`
	FirstSeq  int64     `json:"first_seq"`
	LastSeq   int64     `json:"last_seq"`
	Objects   int       `json:"objects"`
	Attempts  int       `json:"attempts"`
	LastError string    `json:"last_error"`
	Created   time.Time `json:"created"`
	Updated   time.Time `json:"updated"`
}

func (s *Server) listDeadLetters(w http.ResponseWriter, r *http.Request, p *tearline.Principal) error {
	sub, err := s.subscription(r)
	if err != nil {
		return err
	}
	dls, err := s.subs.DeadLetters(r.Context(), sub.ID)
	if err != nil {
		return err
	}
	res := struct {
		DeadLetters []deadLetterJSON `json:"dead_letters"`
	}{DeadLetters: []deadLetterJSON{}}
	for _, d := range dls {
		res.DeadLetters = append(res.DeadLetters, deadLetterJSON{ID: d.ID, FirstSeq: d.FirstSeq, LastSeq: d.LastSeq,
			Objects: d.Objects, Attempts: d.Attempts, LastError: d.LastError, Created: d.Created, Updated: d.Updated})
	}
	writeAdmin(w, http.StatusOK, res)
	return nil
}

func (s *Server) deleteDeadLetter(w http.ResponseWriter, r *http.Request, p *tearline.Principal) error {
	sub, err := s.subscription(r)
	if err != nil {
		return err
	}
	if err := s.subs.DeleteDeadLetter(r.Context(), sub.ID, r.PathValue("dead")); err != nil {
		return err
	}
	s.logger(r.Context()).Info("dead letter deleted", "subscription", sub.ID, "dead_letter", r.PathValue("dead"))
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// redriveDeadLetter queues a dead letter to be sent again; 202, since the
// delivery (and its retries) happens in the background.
func (s *Server) redriveDeadLetter(w http.ResponseWriter, r *http.Request, p *tearline.Principal) error {
	sub, err := s.subscription(r)
	if err != nil {
		return err
	}
	if err := s.dissem.Redrive(r.Context(), sub.ID, r.PathValue("dead")); err != nil {
		return err
	}
	s.logger(r.Context()).Info("dead letter queued to be sent again", "subscription", sub.ID, "dead_letter", r.PathValue("dead"))
	writeAdmin(w, http.StatusAccepted, map[string]string{"status": "queued"})
	return nil
}
