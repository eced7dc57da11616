package taxii

import (
	"net/http"

	"github.com/google/uuid"
	"github.com/tearline/tearline"
)

// statusResource is the TAXII status resource (section 4.3.1).
type statusResource struct {
	ID               string                  `json:"id"`
	Status           string                  `json:"status"`
	RequestTimestamp string                  `json:"request_timestamp,omitempty"`
	TotalCount       int                     `json:"total_count"`
	SuccessCount     int                     `json:"success_count"`
	Successes        []tearline.StatusDetail `json:"successes,omitempty"`
	FailureCount     int                     `json:"failure_count"`
	Failures         []tearline.StatusDetail `json:"failures,omitempty"`
	PendingCount     int                     `json:"pending_count"`
	Pendings         []tearline.StatusDetail `json:"pendings,omitempty"`
}

// statusResourceOf returns the resource of st. The pending count is what
// is neither a success nor a failure; pendings are listed only when the
// status holds them all (background submissions do not name each pending
// object, which would mean rewriting the list after every batch).
func statusResourceOf(st *tearline.Status) statusResource {
	res := statusResource{
		ID:           st.ID,
		Status:       st.Status,
		TotalCount:   st.TotalCount,
		SuccessCount: len(st.Successes),
		Successes:    st.Successes,
		FailureCount: len(st.Failures),
		Failures:     st.Failures,
		PendingCount: max(st.TotalCount-len(st.Successes)-len(st.Failures), 0),
	}
	if !st.RequestTime.IsZero() {
		res.RequestTimestamp = dateAdded(st.RequestTime)
	}
	if len(st.Pendings) == res.PendingCount {
		res.Pendings = st.Pendings
	}
	return res
}

func (s *Server) getStatus(w http.ResponseWriter, r *http.Request, p *tearline.Principal) error {
	root, err := s.apiRoot(r)
	if err != nil {
		return err
	}
	id := r.PathValue("status")
	notFound := tearline.Errorf(tearline.ENOTFOUND,
		"no status %q in API root %q for your organization; statuses are kept for %v after their request", id, root.Name, s.cfg.StatusRetention)
	if u, err := uuid.Parse(id); err != nil || u.String() != id {
		return notFound
	}
	st, err := s.b.FindStatus(r.Context(), id)
	if tearline.ErrorCode(err) == tearline.ENOTFOUND {
		return notFound
	} else if err != nil {
		return err
	}
	if st.OrgID != p.Org.ID || st.APIRoot != root.Name {
		return notFound
	}
	if err := s.withReviews(r.Context(), st); err != nil {
		return err
	}
	writeTAXII(w, http.StatusOK, statusResourceOf(st))
	return nil
}
