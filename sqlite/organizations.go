package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/tearline/tearline"
	"github.com/tearline/tearline/normalize"
)

var _ tearline.Directory = (*DB)(nil)

// CreateOrganization stores o. It fills o.ID with "identity--" and a new
// random (version 4) UUID when it is empty, else normalizes its UUID to the
// canonical lower-case form; it normalizes the profile (see
// normalize.Organization) and sets o.Created to the current time when it is zero
// (it is kept to the microsecond). EINVALID for an empty name or one
// starting with "identity--", an id that is not an identity id, or a
// profile field normalize.Organization refuses; ECONFLICT when the id or the name
// is taken.
func (db *DB) CreateOrganization(ctx context.Context, o *tearline.Organization) (err error) {
	defer wrap(&err, "create organization %q", o.Name)
	if err := normalize.OrganizationName(o.Name); err != nil {
		return err
	}
	orgID, err := normalize.OrganizationID(o.ID)
	if err != nil {
		return err
	}
	p, err := normalize.Organization(o)
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
	if err := normalize.OrganizationName(o.Name); err != nil {
		return err
	}
	p, err := normalize.Organization(o)
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
	o, err := scanOrganization(db.readRow(ctx, `SELECT `+organizationColumns+`
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
