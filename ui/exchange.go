package ui

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/tearline/tearline"
)

// The pages of two-way exchange: feedback on an object, the inbox of
// partners' submissions with their triage state, the directory of
// contacts, and the sharing metrics on the dashboard. All of them are the
// API's routes run as the user (ServeAs).

// feedbackKinds are the kinds of feedback the object page offers.
var feedbackKinds = []string{"sighting", "opinion", "question", "note"}

// opinionValues is the STIX opinion vocabulary.
var opinionValues = []string{"strongly-disagree", "disagree", "neutral", "agree", "strongly-agree"}

// feedback posts the object page's feedback form to
// POST /api/v1/objects/{id}/feedback/ as the user and shows the result on
// the object page.
func (p *Portal) feedback(w http.ResponseWriter, r *http.Request, s *session) {
	id, err := objectID(r)
	if err != nil {
		p.errorPage(w, r, s, err)
		return
	}
	f := map[string]any{"kind": r.PostFormValue("kind")}
	switch r.PostFormValue("kind") {
	case "sighting":
		if c := strings.TrimSpace(r.PostFormValue("count")); c != "" {
			n, err := strconv.Atoi(c)
			if err != nil {
				p.errorPage(w, r, s, tearline.Errorf(tearline.EINVALID, "the count must be a whole number"))
				return
			}
			f["count"] = n
		}
		if where := strings.TrimSpace(r.PostFormValue("where")); where != "" {
			f["where"] = where
		}
		f["false_positive"] = r.PostFormValue("false_positive") == "on"
	case "opinion":
		f["opinion"] = r.PostFormValue("opinion")
		f["explanation"] = strings.TrimSpace(r.PostFormValue("content"))
	default:
		f["content"] = strings.TrimSpace(r.PostFormValue("content"))
	}
	body, _ := json.Marshal(f)
	if err := p.api(r, s, http.MethodPost, "/api/v1/objects/"+url.PathEscape(id)+"/feedback/", mediaJSON, body, nil); err != nil {
		p.errorPage(w, r, s, err)
		return
	}
	http.Redirect(w, r, "/ui/objects/"+id+"?feedback=sent", http.StatusSeeOther)
}

// submission is a partner's submission as GET /api/v1/submissions
// lists it.
type submission struct {
	ID              string     `json:"id"`
	Org             string     `json:"org"`
	OrgName         string     `json:"org_name"`
	Collection      string     `json:"collection"`
	Objects         []string   `json:"objects"`
	State           string     `json:"state"`
	Received        time.Time  `json:"received"`
	Acknowledged    *time.Time `json:"acknowledged"`
	FirstFeedback   *time.Time `json:"first_feedback"`
	Note            string     `json:"note"`
	ToAcknowledge   *float64   `json:"seconds_to_acknowledge"`
	ToFirstFeedback *float64   `json:"seconds_to_first_feedback"`
}

// triageStates are the states a submission moves through.
var triageStates = []string{"received", "acknowledged", "in-analysis", "answered", "closed"}

// inboxData is what the inbox shows.
type inboxData struct {
	Submissions []submission
	States      []string
	Error       string
	Done        bool
}

// inbox lists partners' submissions with their triage state and first
// feedback (GET /api/v1/submissions), with a triage form for those the
// API lets decide.
func (p *Portal) inbox(w http.ResponseWriter, r *http.Request, s *session) {
	d := inboxData{States: triageStates, Done: r.URL.Query().Get("done") != ""}
	var res struct {
		Submissions []submission `json:"submissions"`
	}
	if err := p.api(r, s, http.MethodGet, "/api/v1/submissions/", "", nil, &res); err != nil {
		d.Error = tearline.ErrorMessage(err)
	}
	d.Submissions = res.Submissions
	p.render(w, r, http.StatusOK, "inbox", s, d)
}

// triage posts a triage decision (POST /api/v1/submissions/{id}/triage).
func (p *Portal) triage(w http.ResponseWriter, r *http.Request, s *session) {
	id := r.PathValue("id")
	if id == "" || strings.ContainsAny(id, "/?#%") {
		p.errorPage(w, r, s, tearline.Errorf(tearline.ENOTFOUND, "no such submission"))
		return
	}
	body, _ := json.Marshal(map[string]string{"state": r.PostFormValue("state"), "note": strings.TrimSpace(r.PostFormValue("note"))})
	if err := p.api(r, s, http.MethodPost, "/api/v1/submissions/"+id+"/triage/", mediaJSON, body, nil); err != nil {
		p.errorPage(w, r, s, err)
		return
	}
	http.Redirect(w, r, "/ui/inbox?done=1", http.StatusSeeOther)
}

// directoryData is what the directory shows.
type directoryData struct {
	Organizations []struct {
		ID                string             `json:"id"`
		Name              string             `json:"name"`
		Type              string             `json:"type"`
		Country           string             `json:"country"`
		Languages         []string           `json:"languages"`
		Contacts          []tearline.Contact `json:"contacts"`
		SharedCollections []string           `json:"shared_collections"`
		SharedCommunities []string           `json:"shared_communities"`
	} `json:"organizations"`
	Error string
}

// directory lists whom to call at the organizations the user's
// organization shares with (GET /api/v1/directory).
func (p *Portal) directory(w http.ResponseWriter, r *http.Request, s *session) {
	var d directoryData
	if err := p.api(r, s, http.MethodGet, "/api/v1/directory/", "", nil, &d); err != nil {
		d.Error = tearline.ErrorMessage(err)
	}
	p.render(w, r, http.StatusOK, "directory", s, d)
}

// sharingView is the part of GET /api/v1/metrics/sharing the dashboard
// shows: timeliness and feedback rates.
type sharingView struct {
	Objects struct {
		Shared   int `json:"shared"`
		Received int `json:"received"`
		ByDay    []struct {
			Day      string `json:"day"`
			Shared   int    `json:"shared"`
			Received int    `json:"received"`
		} `json:"by_day"`
	} `json:"objects"`
	ToAvailable   durationView `json:"time_to_available"`
	ToAcknowledge struct {
		durationView
		Waiting int `json:"waiting"`
	} `json:"time_to_acknowledge"`
	ToFeedback struct {
		durationView
		Waiting int `json:"waiting"`
	} `json:"time_to_first_feedback"`
	Feedback struct {
		Objects   int     `json:"objects"`
		WithAny   int     `json:"with_sighting_or_opinion"`
		Rate      float64 `json:"rate"`
		Sightings int     `json:"sightings"`
		Opinions  int     `json:"opinions"`
		Notes     int     `json:"notes"`
	} `json:"feedback"`
}

type durationView struct {
	Count  int      `json:"count"`
	Median *float64 `json:"median_seconds"`
	P90    *float64 `json:"p90_seconds"`
}

// MedianText and P90Text format the durations.
func (d durationView) MedianText() string { return seconds(d.Median) }

// P90Text formats the 90th percentile.
func (d durationView) P90Text() string { return seconds(d.P90) }

// seconds formats a duration in seconds, "—" for none.
func seconds(s *float64) string {
	if s == nil {
		return "—"
	}
	return (time.Duration(*s * float64(time.Second))).Round(time.Second).String()
}

// RatePercent is the feedback rate in percent.
func (v *sharingView) RatePercent() string { return fmt.Sprintf("%.0f%%", v.Feedback.Rate*100) }

// sharing reads the sharing metrics of the last days as the user; nil
// when the API does not answer them to the user (they are for the hosting
// organization's analysts and admins).
func (p *Portal) sharing(r *http.Request, s *session, from, to time.Time) *sharingView {
	var v sharingView
	q := url.Values{"from": {from.Format(time.RFC3339)}, "to": {to.Format(time.RFC3339)}}
	if err := p.api(r, s, http.MethodGet, "/api/v1/metrics/sharing/?"+q.Encode(), "", nil, &v); err != nil {
		return nil
	}
	return &v
}
