package taxii

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/tearline/tearline"
	"github.com/tearline/tearline/score"
	"github.com/tearline/tearline/warnlist"
)

// reliabilityJSON is an organization's reliability in the admin API.
type reliabilityJSON struct {
	OrgID   string    `json:"organization"`
	Grade   string    `json:"grade,omitempty"`
	Value   int       `json:"value"`
	Updated time.Time `json:"updated"`
}

// reliabilities returns the backend's reliabilities, or EUNAVAILABLE.
func (s *Server) reliabilities() (tearline.Reliabilities, error) {
	rs, ok := s.b.(tearline.Reliabilities)
	if !ok {
		return nil, tearline.Errorf(tearline.EUNAVAILABLE, "this server's store keeps no reliabilities")
	}
	return rs, nil
}

// getReliability answers GET /api/v1/organizations/{org}/reliability:
// the reliability set, or 404 when none is (the organization then has
// the default).
func (s *Server) getReliability(w http.ResponseWriter, r *http.Request, p *tearline.Principal) error {
	rs, err := s.reliabilities()
	if err != nil {
		return err
	}
	o, err := s.organization(r)
	if err != nil {
		return err
	}
	all, err := rs.Reliabilities(r.Context())
	if err != nil {
		return err
	}
	for _, rel := range all {
		if rel.OrgID == o.ID {
			writeAdmin(w, http.StatusOK, reliabilityJSON{rel.OrgID, rel.Grade, rel.Value, rel.Updated})
			return nil
		}
	}
	return tearline.Errorf(tearline.ENOTFOUND, "organization %s has no reliability set; it counts as %d", o.Name, score.DefaultReliability)
}

// setReliability handles PUT /api/v1/organizations/{org}/reliability with
// {"reliability": "B"} (a grade A-F) or {"reliability": 80} (0-100).
func (s *Server) setReliability(w http.ResponseWriter, r *http.Request, p *tearline.Principal) error {
	rs, err := s.reliabilities()
	if err != nil {
		return err
	}
	o, err := s.organization(r)
	if err != nil {
		return err
	}
	var req struct {
		Reliability json.RawMessage `json:"reliability"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	var text string
	if err := json.Unmarshal(req.Reliability, &text); err != nil {
		var n json.Number
		if err := json.Unmarshal(req.Reliability, &n); err != nil {
			return tearline.Errorf(tearline.EINVALID, `give "reliability": a grade "A" to "F" or a number from 0 to 100`)
		}
		text = n.String()
	}
	rel, err := score.ParseReliability(text)
	if err != nil {
		return err
	}
	rel.OrgID = o.ID
	if err := rs.SetReliability(r.Context(), rel); err != nil {
		return err
	}
	if err := s.reloadScores(r); err != nil {
		return err
	}
	s.logger(r.Context()).Info("reliability set", "org", o.ID, "grade", rel.Grade, "value", rel.Value)
	writeAdmin(w, http.StatusOK, reliabilityJSON{rel.OrgID, rel.Grade, rel.Value, rel.Updated})
	return nil
}

// clearReliability handles DELETE /api/v1/organizations/{org}/reliability:
// the organization counts as the default again.
func (s *Server) clearReliability(w http.ResponseWriter, r *http.Request, p *tearline.Principal) error {
	rs, err := s.reliabilities()
	if err != nil {
		return err
	}
	o, err := s.organization(r)
	if err != nil {
		return err
	}
	if err := rs.ClearReliability(r.Context(), o.ID); err != nil {
		return err
	}
	if err := s.reloadScores(r); err != nil {
		return err
	}
	s.logger(r.Context()).Info("reliability cleared", "org", o.ID)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// reloadScores makes the scoring engine read reliabilities and warning
// lists again after a change.
func (s *Server) reloadScores(r *http.Request) error {
	if s.scores == nil {
		return nil
	}
	return s.scores.Reload(r.Context())
}

// warningListJSON is a warning list in the admin API.
type warningListJSON struct {
	Name        string             `json:"name"`
	Description string             `json:"description,omitempty"`
	Builtin     bool               `json:"builtin"`
	Entries     []warningEntryJSON `json:"entries"`
}

type warningEntryJSON struct {
	Value   string     `json:"value"`
	Comment string     `json:"comment,omitempty"`
	Added   *time.Time `json:"added,omitempty"` // absent for built-in entries
}

// warningLists returns the backend's warning lists, or EUNAVAILABLE.
func (s *Server) warningLists() (tearline.WarningLists, error) {
	wl, ok := s.b.(tearline.WarningLists)
	if !ok {
		return nil, tearline.Errorf(tearline.EUNAVAILABLE, "this server's store keeps no warning lists")
	}
	return wl, nil
}

// lists returns the built-in lists and the stored ones, entries of a list
// name that is both merged into one; only the list named (every list when
// "").
func (s *Server) lists(r *http.Request, only string) ([]*warningListJSON, error) {
	wl, err := s.warningLists()
	if err != nil {
		return nil, err
	}
	var out []*warningListJSON
	byName := map[string]*warningListJSON{}
	for _, l := range warnlist.Builtin {
		if only != "" && l.Name != only {
			continue
		}
		j := &warningListJSON{Name: l.Name, Description: l.Description, Builtin: true, Entries: []warningEntryJSON{}}
		for _, v := range l.Entries {
			j.Entries = append(j.Entries, warningEntryJSON{Value: v})
		}
		out = append(out, j)
		byName[l.Name] = j
	}
	entries, err := wl.WarningEntries(r.Context(), only)
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		j := byName[e.List]
		if j == nil {
			j = &warningListJSON{Name: e.List, Entries: []warningEntryJSON{}}
			out = append(out, j)
			byName[e.List] = j
		}
		added := e.Added
		j.Entries = append(j.Entries, warningEntryJSON{Value: e.Value, Comment: e.Comment, Added: &added})
	}
	return out, nil
}

// listWarningLists answers GET /api/v1/warninglists: every list with its
// entries (?names_only=true leaves the entries out).
func (s *Server) listWarningLists(w http.ResponseWriter, r *http.Request, p *tearline.Principal) error {
	ls, err := s.lists(r, "")
	if err != nil {
		return err
	}
	if v := r.URL.Query().Get("names_only"); v != "" {
		if b, err := strconv.ParseBool(v); err != nil {
			return tearline.Errorf(tearline.EINVALID, "names_only %q is not true or false", v)
		} else if b {
			for _, l := range ls {
				l.Entries = nil
			}
		}
	}
	writeAdmin(w, http.StatusOK, struct {
		Lists []*warningListJSON `json:"lists"`
	}{Lists: append([]*warningListJSON{}, ls...)})
	return nil
}

// listName returns the list named in the path. EINVALID for a malformed
// name.
func listName(r *http.Request) (string, error) {
	name := r.PathValue("list")
	if !tearline.ValidListName(name) {
		return "", tearline.Errorf(tearline.EINVALID, "list name %q: use 1-64 lower-case letters, digits, '-' or '_'", name)
	}
	return name, nil
}

// getWarningList answers GET /api/v1/warninglists/{list}.
func (s *Server) getWarningList(w http.ResponseWriter, r *http.Request, p *tearline.Principal) error {
	name, err := listName(r)
	if err != nil {
		return err
	}
	ls, err := s.lists(r, name)
	if err != nil {
		return err
	}
	if len(ls) == 0 {
		return tearline.Errorf(tearline.ENOTFOUND, "no warning list %q", name)
	}
	writeAdmin(w, http.StatusOK, ls[0])
	return nil
}

// addWarningEntries handles POST /api/v1/warninglists/{list} with
// {"values": [...], "comment": "..."}: each value an address, CIDR block,
// *.domain or exact value (package warnlist), stored normalized. It
// answers with the values as stored and how many were new.
func (s *Server) addWarningEntries(w http.ResponseWriter, r *http.Request, p *tearline.Principal) error {
	wl, err := s.warningLists()
	if err != nil {
		return err
	}
	name, err := listName(r)
	if err != nil {
		return err
	}
	var req struct {
		Values  []string `json:"values"`
		Comment string   `json:"comment"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	if len(req.Values) == 0 {
		return tearline.Errorf(tearline.EINVALID, `give the entries to add in "values"`)
	}
	entries := make([]tearline.WarningEntry, len(req.Values))
	stored := make([]string, len(req.Values))
	for i, v := range req.Values {
		e, err := warnlist.Parse(v)
		if err != nil {
			return tearline.Errorf(tearline.EINVALID, "values[%d]: %v", i, err)
		}
		stored[i] = e.String()
		entries[i] = tearline.WarningEntry{List: name, Value: stored[i], Comment: req.Comment}
	}
	n, err := wl.AddWarningEntries(r.Context(), entries)
	if err != nil {
		return err
	}
	if err := s.reloadScores(r); err != nil {
		return err
	}
	s.logger(r.Context()).Info("warning-list entries added", "list", name, "new", n, "given", len(entries))
	writeAdmin(w, http.StatusOK, struct {
		List   string   `json:"list"`
		Values []string `json:"values"`
		Added  int      `json:"added"`
	}{name, stored, n})
	return nil
}

// removeWarningEntries handles DELETE /api/v1/warninglists/{list}?value=V
// (repeatable): the values are normalized as when added. Built-in entries
// cannot be removed. 404 when none was on the list.
func (s *Server) removeWarningEntries(w http.ResponseWriter, r *http.Request, p *tearline.Principal) error {
	wl, err := s.warningLists()
	if err != nil {
		return err
	}
	name, err := listName(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	for k := range q {
		if k != "value" {
			return tearline.Errorf(tearline.EINVALID, "unknown parameter %q; give the entries to remove as value=V", k)
		}
	}
	if len(q["value"]) == 0 {
		return tearline.Errorf(tearline.EINVALID, "give the entries to remove as value=V")
	}
	var values []string
	for _, v := range q["value"] {
		e, err := warnlist.Parse(v)
		if err != nil {
			return tearline.Errorf(tearline.EINVALID, "%v", err)
		}
		values = append(values, e.String())
	}
	n, err := wl.RemoveWarningEntries(r.Context(), name, values)
	if err != nil {
		return err
	}
	if n == 0 {
		if warnlist.IsBuiltin(name) {
			return tearline.Errorf(tearline.ENOTFOUND, "no such entry added to list %s; built-in entries cannot be removed", name)
		}
		return tearline.Errorf(tearline.ENOTFOUND, "no such entry on warning list %s", name)
	}
	if err := s.reloadScores(r); err != nil {
		return err
	}
	s.logger(r.Context()).Info("warning-list entries removed", "list", name, "removed", n)
	writeAdmin(w, http.StatusOK, struct {
		List    string `json:"list"`
		Removed int    `json:"removed"`
	}{name, n})
	return nil
}
