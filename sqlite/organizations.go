package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/tearline/tearline"
	"github.com/tearline/tearline/marking"
	"github.com/tearline/tearline/stix"
	"golang.org/x/text/language"
)

var _ tearline.Directory = (*DB)(nil)

// identityPrefix starts the id of every organization: the id of the STIX
// identity that stands for it.
const identityPrefix = "identity--"

// CreateOrganization stores o. It fills o.ID with "identity--" and a new
// random (version 4) UUID when it is empty, else normalizes its UUID to the
// canonical lower-case form; it normalizes the profile (see
// normalizeProfile) and sets o.Created to the current time when it is zero
// (it is kept to the microsecond). EINVALID for an empty name or one
// starting with "identity--", an id that is not an identity id, or a
// profile field normalizeProfile refuses; ECONFLICT when the id or the name
// is taken.
func (db *DB) CreateOrganization(ctx context.Context, o *tearline.Organization) (err error) {
	defer wrap(&err, "create organization %q", o.Name)
	if err := checkOrgName(o.Name); err != nil {
		return err
	}
	id := uuid.New()
	if o.ID != "" {
		s, ok := strings.CutPrefix(o.ID, identityPrefix)
		if id, err = uuid.Parse(s); !ok || err != nil {
			return tearline.Errorf(tearline.EINVALID, "organization id %q is not identity--<uuid>", o.ID)
		}
	}
	p, err := normalizeProfile(o)
	if err != nil {
		return err
	}
	created := o.Created
	if created.IsZero() {
		created = time.Now()
	}
	created = created.UTC().Truncate(time.Microsecond)
	cols, err := profileColumns(p)
	if err != nil {
		return err
	}

	orgID := identityPrefix + id.String()
	err = db.writeTx(ctx, func(tx *sql.Tx) error {
		var taken string
		err := tx.QueryRow(`SELECT id FROM organizations WHERE id = ? OR name = ?`, orgID, o.Name).Scan(&taken)
		switch {
		case err == nil && taken == orgID:
			return tearline.Errorf(tearline.ECONFLICT, "organization id %s is taken", orgID)
		case err == nil:
			return tearline.Errorf(tearline.ECONFLICT, "organization name %q is taken", o.Name)
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
		_, err = tx.Exec(`INSERT INTO organizations (id, name, type, country, sectors, clearance, communities, contacts, languages, created)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			append(append([]any{orgID, o.Name}, cols...), micros(created))...)
		return err
	})
	if err != nil {
		return err
	}
	*o = *p
	o.ID, o.Created = orgID, created
	return nil
}

// UpdateOrganization replaces the profile of the organization with o.ID,
// normalized as by CreateOrganization; o.Created is filled from the store.
// ENOTFOUND when there is no such organization; ECONFLICT when the new name
// is another organization's; EINVALID as for CreateOrganization.
func (db *DB) UpdateOrganization(ctx context.Context, o *tearline.Organization) (err error) {
	defer wrap(&err, "update organization %s", o.ID)
	if err := checkOrgName(o.Name); err != nil {
		return err
	}
	p, err := normalizeProfile(o)
	if err != nil {
		return err
	}
	cols, err := profileColumns(p)
	if err != nil {
		return err
	}
	var created int64
	err = db.writeTx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRow(`SELECT created FROM organizations WHERE id = ?`, o.ID).Scan(&created)
		if errors.Is(err, sql.ErrNoRows) {
			return tearline.Errorf(tearline.ENOTFOUND, "no organization %q", o.ID)
		} else if err != nil {
			return err
		}
		var taken string
		err = tx.QueryRow(`SELECT id FROM organizations WHERE name = ? AND id <> ?`, o.Name, o.ID).Scan(&taken)
		if err == nil {
			return tearline.Errorf(tearline.ECONFLICT, "organization name %q is taken", o.Name)
		} else if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		_, err = tx.Exec(`UPDATE organizations SET name = ?, type = ?, country = ?, sectors = ?, clearance = ?,
			communities = ?, contacts = ?, languages = ? WHERE id = ?`,
			append(append([]any{o.Name}, cols...), o.ID)...)
		return err
	})
	if err != nil {
		return err
	}
	*o = *p
	o.Created = fromMicros(created)
	return nil
}

// checkOrgName refuses an empty name and one that looks like an id.
func checkOrgName(name string) error {
	if strings.TrimSpace(name) == "" {
		return tearline.Errorf(tearline.EINVALID, "organization name is empty")
	}
	if strings.HasPrefix(name, identityPrefix) {
		// It would be ambiguous with another organization's id in
		// FindOrganization.
		return tearline.Errorf(tearline.EINVALID, "organization name %q must not start with %q", name, identityPrefix)
	}
	return nil
}

// normalizeProfile returns a copy of o with its profile in canonical form:
// type and sectors lower case and from their vocabularies, the country as
// upper-case ISO 3166-1 alpha-2 (alpha-3 accepted), clearance and
// communities upper case with single spaces, languages (of the organization
// and its contacts) as canonical RFC 5646 tags; repeated list values are
// dropped. EINVALID for a value outside a vocabulary, an unknown country, a
// malformed language tag or a contact without a name.
func normalizeProfile(o *tearline.Organization) (*tearline.Organization, error) {
	p := *o
	p.Type = strings.ToLower(strings.TrimSpace(o.Type))
	if p.Type != "" && !slices.Contains(tearline.OrganizationTypes, p.Type) {
		return nil, tearline.Errorf(tearline.EINVALID, "organization type %q is not one of %s", o.Type, strings.Join(tearline.OrganizationTypes, ", "))
	}
	if c := strings.TrimSpace(o.Country); c != "" {
		cc, ok := marking.CanonicalCountry(c)
		if !ok {
			return nil, tearline.Errorf(tearline.EINVALID, "country %q is not an ISO 3166-1 alpha-2 or alpha-3 code", o.Country)
		}
		p.Country = cc
	} else {
		p.Country = ""
	}
	p.Sectors = nil
	for _, s := range o.Sectors {
		s = strings.ToLower(strings.TrimSpace(s))
		if !stix.IsIndustrySector(s) {
			return nil, tearline.Errorf(tearline.EINVALID, "sector %q is not in the STIX industry-sector-ov vocabulary (%s)", s, strings.Join(stix.IndustrySectors(), ", "))
		}
		p.Sectors = appendNew(p.Sectors, s)
	}
	p.Clearance = upperWords(o.Clearance)
	p.Communities = nil
	for _, c := range o.Communities {
		c = upperWords(c)
		if c == "" {
			return nil, tearline.Errorf(tearline.EINVALID, "a community name is empty")
		}
		p.Communities = appendNew(p.Communities, c)
	}
	var err error
	if p.Languages, err = languageTags(o.Languages); err != nil {
		return nil, err
	}
	p.Contacts = nil
	for i, c := range o.Contacts {
		c.Name = strings.TrimSpace(c.Name)
		if c.Name == "" {
			return nil, tearline.Errorf(tearline.EINVALID, "contact %d has no name", i+1)
		}
		if c.Languages, err = languageTags(c.Languages); err != nil {
			return nil, tearline.Errorf(tearline.EINVALID, "contact %q: %s", c.Name, tearline.ErrorMessage(err))
		}
		p.Contacts = append(p.Contacts, c)
	}
	return &p, nil
}

// languageTags returns tags as canonical RFC 5646 (BCP 47) tags, without
// repeats. EINVALID for a malformed tag.
func languageTags(tags []string) ([]string, error) {
	var out []string
	for _, t := range tags {
		tag, err := language.Parse(strings.TrimSpace(t))
		if err != nil {
			return nil, tearline.Errorf(tearline.EINVALID, "language %q is not an RFC 5646 language tag such as en or fr-CA", t)
		}
		out = appendNew(out, tag.String())
	}
	return out, nil
}

// upperWords upper-cases s and collapses its runs of spaces.
func upperWords(s string) string { return strings.Join(strings.Fields(strings.ToUpper(s)), " ") }

// appendNew appends v to list unless it holds it already.
func appendNew(list []string, v string) []string {
	if slices.Contains(list, v) {
		return list
	}
	return append(list, v)
}

// profileColumns returns the values of the columns type, country, sectors,
// clearance, communities, contacts and languages for o.
func profileColumns(o *tearline.Organization) ([]any, error) {
	lists := []any{o.Sectors, o.Communities, o.Contacts, o.Languages}
	js := make([]string, len(lists))
	for i, l := range lists {
		b, err := json.Marshal(l)
		if err != nil {
			return nil, err
		}
		if string(b) == "null" {
			b = []byte("[]")
		}
		js[i] = string(b)
	}
	return []any{o.Type, o.Country, js[0], o.Clearance, js[1], js[2], js[3]}, nil
}

// organizationColumns are the columns scanOrganization reads, in order.
const organizationColumns = `id, name, type, country, sectors, clearance, communities, contacts, languages, created`

// scanOrganization reads a row of organizationColumns.
func scanOrganization(row interface{ Scan(...any) error }) (*tearline.Organization, error) {
	var (
		o                                         tearline.Organization
		sectors, communities, contacts, languages string
		created                                   int64
	)
	if err := row.Scan(&o.ID, &o.Name, &o.Type, &o.Country, &sectors, &o.Clearance, &communities, &contacts, &languages, &created); err != nil {
		return nil, err
	}
	for _, f := range []struct {
		name string
		js   string
		v    any
	}{{"sectors", sectors, &o.Sectors}, {"communities", communities, &o.Communities}, {"contacts", contacts, &o.Contacts}, {"languages", languages, &o.Languages}} {
		if err := json.Unmarshal([]byte(f.js), f.v); err != nil {
			return nil, fmt.Errorf("organization %s: %s: %w", o.ID, f.name, err)
		}
	}
	if len(o.Sectors) == 0 {
		o.Sectors = nil
	}
	if len(o.Communities) == 0 {
		o.Communities = nil
	}
	if len(o.Contacts) == 0 {
		o.Contacts = nil
	}
	if len(o.Languages) == 0 {
		o.Languages = nil
	}
	o.Created = fromMicros(created)
	return &o, nil
}

// FindOrganization returns the organization whose id or name is key; an id
// match wins. ENOTFOUND when there is none.
func (db *DB) FindOrganization(ctx context.Context, key string) (_ *tearline.Organization, err error) {
	defer wrap(&err, "find organization %q", key)
	o, err := scanOrganization(db.r.QueryRowContext(ctx, `SELECT `+organizationColumns+`
		FROM organizations WHERE id = ?1 OR name = ?1 ORDER BY id = ?1 DESC LIMIT 1`, key))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, tearline.Errorf(tearline.ENOTFOUND, "no organization %q", key)
	}
	return o, err
}

// Organizations returns all organizations ordered by name.
func (db *DB) Organizations(ctx context.Context) (_ []*tearline.Organization, err error) {
	defer wrap(&err, "list organizations")
	rows, err := db.r.QueryContext(ctx, `SELECT `+organizationColumns+` FROM organizations ORDER BY name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var orgs []*tearline.Organization
	for rows.Next() {
		o, err := scanOrganization(rows)
		if err != nil {
			return nil, err
		}
		orgs = append(orgs, o)
	}
	return orgs, rows.Err()
}

// orgExists returns ENOTFOUND unless the organization with the given id
// exists.
func orgExists(tx *sql.Tx, id string) error {
	err := tx.QueryRow(`SELECT 1 FROM organizations WHERE id = ?`, id).Scan(new(int))
	if errors.Is(err, sql.ErrNoRows) {
		return tearline.Errorf(tearline.ENOTFOUND, "no organization %q", id)
	}
	return err
}
