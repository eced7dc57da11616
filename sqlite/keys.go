package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/tearline/tearline"
	"github.com/tearline/tearline/normalize"
)

// CreateAPIKey stores k with the hash of its secret. It sets k.Created to the
// current time when it is zero (it is kept to the microsecond); k.Revoked is
// stored as given. EINVALID for an empty id or hash or an invalid role;
// ENOTFOUND for an unknown organization; ECONFLICT for a taken id.
func (db *DB) CreateAPIKey(ctx context.Context, k *tearline.APIKey, secretHash []byte) (err error) {
	defer wrap(&err, "create API key %q", k.ID)
	switch {
	case k.ID == "":
		return tearline.Errorf(tearline.EINVALID, "API key id is empty")
	case len(secretHash) == 0:
		return tearline.Errorf(tearline.EINVALID, "API key %s has no secret hash", k.ID)
	case !k.Role.Valid():
		return tearline.Errorf(tearline.EINVALID, "invalid role %q", k.Role)
	}
	created := k.Created
	if created.IsZero() {
		created = time.Now()
	}
	created = created.UTC().Truncate(time.Microsecond)
	revoked := k.Revoked.UTC().Truncate(time.Microsecond)

	err = db.writeTx(ctx, func(tx *sql.Tx) error {
		if err := orgExists(tx, k.OrgID); err != nil {
			return err
		}
		res, err := tx.Exec(`INSERT INTO api_keys (id, org, role, description, hash, created, revoked)
			VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
			k.ID, k.OrgID, string(k.Role), k.Description, secretHash, micros(created), nullMicros(revoked))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return tearline.Errorf(tearline.ECONFLICT, "API key id %s is taken", k.ID)
		}
		return nil
	})
	if err != nil {
		return err
	}
	k.Created, k.Revoked = created, revoked
	return nil
}

// apiKeyColumns are the columns scanAPIKey reads, in order.
const apiKeyColumns = `id, org, role, description, created, revoked`

// scanAPIKey reads a row of apiKeyColumns, and the columns in extra after
// them.
func scanAPIKey(row interface{ Scan(...any) error }, extra ...any) (*tearline.APIKey, error) {
	var (
		k       tearline.APIKey
		role    string
		created int64
		revoked sql.NullInt64
	)
	dest := append([]any{&k.ID, &k.OrgID, &role, &k.Description, &created, &revoked}, extra...)
	if err := row.Scan(dest...); err != nil {
		return nil, err
	}
	k.Role = tearline.Role(role)
	k.Created = fromMicros(created)
	if revoked.Valid {
		k.Revoked = fromMicros(revoked.Int64)
	}
	return &k, nil
}

// FindAPIKey returns the key with the given id and the stored hash of its
// secret, revoked or not. ENOTFOUND when there is none.
func (db *DB) FindAPIKey(ctx context.Context, id string) (_ *tearline.APIKey, _ []byte, err error) {
	defer wrap(&err, "find API key %q", id)
	var hash []byte
	k, err := scanAPIKey(db.readRow(ctx, `SELECT `+apiKeyColumns+`, hash
		FROM api_keys WHERE id = ?`, id), &hash)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, tearline.Errorf(tearline.ENOTFOUND, "no API key %q", id)
	} else if err != nil {
		return nil, nil, err
	}
	return k, hash, nil
}

// APIKeys returns the keys of an organization, revoked ones included, newest
// first. An unknown organization has no keys.
func (db *DB) APIKeys(ctx context.Context, orgID string) (_ []*tearline.APIKey, err error) {
	defer wrap(&err, "list API keys of %q", orgID)
	rows, err := db.r.QueryContext(ctx, `SELECT `+apiKeyColumns+` FROM api_keys
		WHERE org = ? ORDER BY created DESC, rowid DESC`, orgID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var keys []*tearline.APIKey
	for rows.Next() {
		k, err := scanAPIKey(rows)
		if err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	return keys, rows.Err()
}

// RevokeAPIKey marks a key revoked as of now. Revoking a revoked key keeps
// its first revocation time. ENOTFOUND when there is no such key.
func (db *DB) RevokeAPIKey(ctx context.Context, id string) (err error) {
	defer wrap(&err, "revoke API key %q", id)
	return db.writeTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.Exec(`UPDATE api_keys SET revoked = coalesce(revoked, ?) WHERE id = ?`,
			micros(time.Now()), id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return tearline.Errorf(tearline.ENOTFOUND, "no API key %q", id)
		}
		return nil
	})
}

// nullMicros returns t in microseconds, or nil (NULL) for the zero time.
func nullMicros(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return micros(t)
}

// AddCertificate binds a client certificate to an organization and role. The
// fingerprint is normalized to lower-case hex without separators, so that
// "AB:CD:..." as printed by openssl is accepted; c.Created is set to the
// current time when it is zero (it is kept to the microsecond). EINVALID for
// a fingerprint that is not a SHA-256 or an invalid role; ENOTFOUND for an
// unknown organization; ECONFLICT for a fingerprint already bound.
func (db *DB) AddCertificate(ctx context.Context, c *tearline.Certificate) (err error) {
	defer wrap(&err, "add certificate %q", c.Fingerprint)
	fp, ok := normalize.Fingerprint(c.Fingerprint)
	if !ok {
		return tearline.Errorf(tearline.EINVALID, "certificate fingerprint %q is not a hex SHA-256", c.Fingerprint)
	}
	if !c.Role.Valid() {
		return tearline.Errorf(tearline.EINVALID, "invalid role %q", c.Role)
	}
	created := c.Created
	if created.IsZero() {
		created = time.Now()
	}
	created = created.UTC().Truncate(time.Microsecond)

	err = db.writeTx(ctx, func(tx *sql.Tx) error {
		if err := orgExists(tx, c.OrgID); err != nil {
			return err
		}
		res, err := tx.Exec(`INSERT INTO certificates (fingerprint, org, role, subject, created)
			VALUES (?, ?, ?, ?, ?) ON CONFLICT (fingerprint) DO NOTHING`,
			fp, c.OrgID, string(c.Role), c.Subject, micros(created))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return tearline.Errorf(tearline.ECONFLICT, "certificate %s is already bound", fp)
		}
		return nil
	})
	if err != nil {
		return err
	}
	c.Fingerprint, c.Created = fp, created
	return nil
}

// FindCertificate returns the binding of a fingerprint, given in any form
// AddCertificate accepts. ENOTFOUND when there is none.
func (db *DB) FindCertificate(ctx context.Context, fingerprint string) (_ *tearline.Certificate, err error) {
	defer wrap(&err, "find certificate %q", fingerprint)
	fp, ok := normalize.Fingerprint(fingerprint)
	if !ok {
		return nil, tearline.Errorf(tearline.ENOTFOUND, "no certificate %q", fingerprint)
	}
	var (
		c       tearline.Certificate
		role    string
		created int64
	)
	err = db.r.QueryRowContext(ctx, `SELECT fingerprint, org, role, subject, created
		FROM certificates WHERE fingerprint = ?`, fp).Scan(&c.Fingerprint, &c.OrgID, &role, &c.Subject, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, tearline.Errorf(tearline.ENOTFOUND, "no certificate %q", fingerprint)
	} else if err != nil {
		return nil, err
	}
	c.Role = tearline.Role(role)
	c.Created = fromMicros(created)
	return &c, nil
}
