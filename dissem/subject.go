package dissem

import (
	"context"
	"sync"

	"github.com/tearline/tearline"
)

// subjects caches the organizations' profiles and, per organization,
// which context objects it may know. Both are dropped at each refresh, so
// profile and grant changes reach matching within Refresh.
type subjects struct {
	d       *Dispatcher
	mu      sync.Mutex
	orgs    map[string]*tearline.Organization
	visible map[string]map[*Node]bool
}

func (s *subjects) init(d *Dispatcher) {
	s.d = d
	s.orgs = map[string]*tearline.Organization{}
	s.visible = map[string]map[*Node]bool{}
}

// refresh reads every organization again.
func (s *subjects) refresh(ctx context.Context) error {
	orgs, err := s.d.cfg.Store.Organizations(ctx)
	if err != nil {
		return err
	}
	m := make(map[string]*tearline.Organization, len(orgs))
	for _, o := range orgs {
		m[o.ID] = o
	}
	s.mu.Lock()
	s.orgs = m
	s.visible = map[string]map[*Node]bool{}
	s.mu.Unlock()
	return nil
}

// org returns an organization's profile, reading it from the store when
// it is not cached (an organization created since the last refresh); nil
// when there is none.
func (s *subjects) org(ctx context.Context, id string) *tearline.Organization {
	s.mu.Lock()
	o := s.orgs[id]
	s.mu.Unlock()
	if o != nil {
		return o
	}
	o, err := s.d.cfg.Store.FindOrganization(ctx, id)
	if err != nil {
		return nil
	}
	s.mu.Lock()
	s.orgs[id] = o
	s.mu.Unlock()
	return o
}

// subject returns the subject of an organization, nil when it does not
// exist.
func (s *subjects) subject(ctx context.Context, orgID string) *Subject {
	o := s.org(ctx, orgID)
	if o == nil {
		return nil
	}
	return &Subject{Org: o, Visible: func(n *Node) bool { return s.may(ctx, o, n) }}
}

// may reports whether org may know context node n through one of the
// collections it was added to, asking the gate once per refresh.
func (s *subjects) may(ctx context.Context, org *tearline.Organization, n *Node) bool {
	s.mu.Lock()
	v, ok := s.visible[org.ID][n]
	s.mu.Unlock()
	if ok {
		return v
	}
	for _, c := range n.Collections {
		if v = s.d.cfg.Gate.Visible(ctx, org, c, n.Raw); v {
			break
		}
	}
	s.mu.Lock()
	m := s.visible[org.ID]
	if m == nil {
		m = map[*Node]bool{}
		s.visible[org.ID] = m
	}
	m[n] = v
	s.mu.Unlock()
	return v
}
