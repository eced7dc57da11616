package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/tearline/tearline"
	"github.com/tearline/tearline/normalize"
)

// CreateOrganization stores o. It fills o.ID with "identity--" and a new
// random (version 4) UUID when it is empty, else normalizes its UUID to the
// canonical lower-case form; it normalizes the profile (see
// normalize.Organization) and sets o.Created to the current time when it
// is zero (it is kept to the microsecond). EINVALID for an empty name or
// one starting with "identity--", an id that is not an identity id, or a
// profile field normalize.Organization refuses; ECONFLICT when the id or
// the name is taken.
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
	created = stored(created)
	_, err = db.pool.Exec(ctx, `INSERT INTO organizations
		(id, name, type, country, sectors, clearance, communities, contacts, languages, created)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		append(append([]any{orgID, o.Name}, profileColumns(p)...), created)...)
	switch uniqueViolation(err) {
	case "":
	case "organizations_pkey":
		return tearline.Errorf(tearline.ECONFLICT, "organization id %s is taken", orgID)
	default:
		return tearline.Errorf(tearline.ECONFLICT, "organization name %q is taken", o.Name)
	}
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
	var created time.Time
	err = db.pool.QueryRow(ctx, `UPDATE organizations SET name = $2, type = $3, country = $4, sectors = $5,
		clearance = $6, communities = $7, contacts = $8, languages = $9 WHERE id = $1 RETURNING created`,
		append([]any{o.ID, o.Name}, profileColumns(p)...)...).Scan(&created)
	if uniqueViolation(err) != "" {
		return tearline.Errorf(tearline.ECONFLICT, "organization name %q is taken", o.Name)
	} else if errors.Is(err, pgx.ErrNoRows) {
		return tearline.Errorf(tearline.ENOTFOUND, "no organization %q", o.ID)
	} else if err != nil {
		return err
	}
	*o = *p
	o.Created = created.UTC()
	return nil
}

// profileColumns returns the values of the columns type, country, sectors,
// clearance, communities, contacts and languages for o. Lists are never
// NULL.
func profileColumns(o *tearline.Organization) []any {
	contacts := o.Contacts
	if contacts == nil {
		contacts = []tearline.Contact{}
	}
	return []any{o.Type, o.Country, notNil(o.Sectors), o.Clearance, notNil(o.Communities), contacts, notNil(o.Languages)}
}

// notNil returns list, or an empty list for nil.
func notNil(list []string) []string {
	if list == nil {
		return []string{}
	}
	return list
}

// organizationColumns are the columns scanOrganization reads, in order.
const organizationColumns = `id, name, type, country, sectors, clearance, communities, contacts, languages, created`

// scanOrganization reads a row of organizationColumns.
func scanOrganization(row pgx.Row) (*tearline.Organization, error) {
	var o tearline.Organization
	if err := row.Scan(&o.ID, &o.Name, &o.Type, &o.Country, &o.Sectors, &o.Clearance, &o.Communities,
		&o.Contacts, &o.Languages, &o.Created); err != nil {
		return nil, err
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
	o.Created = o.Created.UTC()
	return &o, nil
}

// FindOrganization returns the organization whose id or name is key; an id
// match wins. ENOTFOUND when there is none.
func (db *DB) FindOrganization(ctx context.Context, key string) (_ *tearline.Organization, err error) {
	defer wrap(&err, "find organization %q", key)
	o, err := scanOrganization(db.pool.QueryRow(ctx, `SELECT `+organizationColumns+`
		FROM organizations WHERE id = $1 OR name = $1 ORDER BY id = $1 DESC LIMIT 1`, key))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, tearline.Errorf(tearline.ENOTFOUND, "no organization %q", key)
	}
	return o, err
}

// Organizations returns all organizations ordered by name.
func (db *DB) Organizations(ctx context.Context) (_ []*tearline.Organization, err error) {
	defer wrap(&err, "list organizations")
	rows, err := db.pool.Query(ctx, `SELECT `+organizationColumns+` FROM organizations ORDER BY name`)
	if err != nil {
		return nil, err
	}
	return collect(rows, func(row pgx.CollectableRow) (*tearline.Organization, error) {
		return scanOrganization(row)
	})
}

// orgExists returns ENOTFOUND unless the organization with the given id
// exists.
func orgExists(ctx context.Context, tx pgx.Tx, id string) error {
	err := tx.QueryRow(ctx, `SELECT 1 FROM organizations WHERE id = $1`, id).Scan(new(int))
	if errors.Is(err, pgx.ErrNoRows) {
		return tearline.Errorf(tearline.ENOTFOUND, "no organization %q", id)
	}
	return err
}
