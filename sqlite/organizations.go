package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/tearline/tearline"
)

var _ tearline.Directory = (*DB)(nil)

// identityPrefix starts the id of every organization: the id of the STIX
// identity that stands for it.
const identityPrefix = "identity--"

// CreateOrganization stores o. It fills o.ID with "identity--" and a new
// random (version 4) UUID when it is empty, else normalizes its UUID to the
// canonical lower-case form; it upper-cases o.Country and sets o.Created to
// the current time when it is zero (it is kept to the microsecond).
// EINVALID for an empty name or one starting with "identity--", an id that
// is not an identity id, or a country that is not two letters; ECONFLICT when the id or the name is taken.
func (db *DB) CreateOrganization(ctx context.Context, o *tearline.Organization) (err error) {
	defer wrap(&err, "create organization %q", o.Name)
	if strings.TrimSpace(o.Name) == "" {
		return tearline.Errorf(tearline.EINVALID, "organization name is empty")
	}
	if strings.HasPrefix(o.Name, identityPrefix) {
		// It would be ambiguous with another organization's id in
		// FindOrganization.
		return tearline.Errorf(tearline.EINVALID, "organization name %q must not start with %q", o.Name, identityPrefix)
	}
	id := uuid.New()
	if o.ID != "" {
		s, ok := strings.CutPrefix(o.ID, identityPrefix)
		if id, err = uuid.Parse(s); !ok || err != nil {
			return tearline.Errorf(tearline.EINVALID, "organization id %q is not identity--<uuid>", o.ID)
		}
	}
	country := strings.ToUpper(o.Country)
	if country != "" && (len(country) != 2 || !isUpperASCII(country)) {
		return tearline.Errorf(tearline.EINVALID, "country %q is not an ISO 3166-1 alpha-2 code", o.Country)
	}
	created := o.Created
	if created.IsZero() {
		created = time.Now()
	}
	created = created.UTC().Truncate(time.Microsecond)
	sectors := o.Sectors
	if sectors == nil {
		sectors = []string{}
	}
	sj, err := json.Marshal(sectors)
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
		_, err = tx.Exec(`INSERT INTO organizations (id, name, type, country, sectors, created)
			VALUES (?, ?, ?, ?, ?, ?)`,
			orgID, o.Name, o.Type, country, string(sj), micros(created))
		return err
	})
	if err != nil {
		return err
	}
	o.ID, o.Country, o.Created = orgID, country, created
	return nil
}

// isUpperASCII reports whether s holds only the letters A to Z.
func isUpperASCII(s string) bool {
	for _, c := range []byte(s) {
		if c < 'A' || c > 'Z' {
			return false
		}
	}
	return true
}

// organizationColumns are the columns scanOrganization reads, in order.
const organizationColumns = `id, name, type, country, sectors, created`

// scanOrganization reads a row of organizationColumns.
func scanOrganization(row interface{ Scan(...any) error }) (*tearline.Organization, error) {
	var (
		o       tearline.Organization
		sectors string
		created int64
	)
	if err := row.Scan(&o.ID, &o.Name, &o.Type, &o.Country, &sectors, &created); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(sectors), &o.Sectors); err != nil {
		return nil, fmt.Errorf("organization %s: sectors: %w", o.ID, err)
	}
	if len(o.Sectors) == 0 {
		o.Sectors = nil
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
