package ui

import (
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/tearline/tearline"
)

// deadLetter is a failed webhook delivery of a subscription, as the API
// lists it (GET /api/v1/subscriptions/{id}/dead-letters/).
type deadLetter struct {
	Subscription string    `json:"-"`
	ID           string    `json:"id"`
	Objects      int       `json:"objects"`
	Attempts     int       `json:"attempts"`
	LastError    string    `json:"last_error"`
	Updated      time.Time `json:"updated"`
	Error        string    `json:"-"` // why the API refused the list
}

// deadLetters lists the dead letters of the subscriptions of t (the
// subscriptions table) that have any.
func (p *Portal) deadLetters(r *http.Request, s *session, t table) []deadLetter {
	col := map[string]int{}
	for i, c := range t.Columns {
		col[c] = i
	}
	var out []deadLetter
	for _, row := range t.Rows {
		if n, _ := strconv.Atoi(row[col["dead_letters"]]); n == 0 {
			continue
		}
		id := row[col["id"]]
		var res struct {
			DeadLetters []deadLetter `json:"dead_letters"`
		}
		if err := p.api(r, s, http.MethodGet, "/api/v1/subscriptions/"+url.PathEscape(id)+"/dead-letters/", "", nil, &res); err != nil {
			out = append(out, deadLetter{Subscription: id, Error: tearline.ErrorMessage(err)})
			continue
		}
		for _, d := range res.DeadLetters {
			d.Subscription = id
			out = append(out, d)
		}
	}
	return out
}

// deadLetterPath is the API path of the dead letter a form names.
func deadLetterPath(r *http.Request) string {
	return "/api/v1/subscriptions/" + url.PathEscape(r.PostFormValue("subscription")) +
		"/dead-letters/" + url.PathEscape(r.PostFormValue("dead")) + "/"
}

// redrive queues a dead letter to be delivered again
// (POST /api/v1/subscriptions/{id}/dead-letters/{dead}/redrive/).
func (p *Portal) redrive(w http.ResponseWriter, r *http.Request, s *session) {
	dead := r.PostFormValue("dead")
	p.act(w, r, s, "subscriptions", call{form: "dead-letters", method: http.MethodPost, path: deadLetterPath(r) + "redrive/",
		notice: "Dead letter " + dead + " queued to be delivered again."},
		func() tablesData { return p.subscriptionsData(r, s) })
}

// dropDeadLetter deletes a dead letter
// (DELETE /api/v1/subscriptions/{id}/dead-letters/{dead}/).
func (p *Portal) dropDeadLetter(w http.ResponseWriter, r *http.Request, s *session) {
	dead := r.PostFormValue("dead")
	p.act(w, r, s, "subscriptions", call{form: "dead-letters", method: http.MethodDelete, path: deadLetterPath(r),
		notice: "Dead letter " + dead + " deleted."},
		func() tablesData { return p.subscriptionsData(r, s) })
}
