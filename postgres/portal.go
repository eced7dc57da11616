package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/tearline/tearline"
)

var (
	_ tearline.PortalUsers = (*DB)(nil)
	_ tearline.TextSearch  = (*DB)(nil)
)

// CreateUser implements tearline.PortalUsers.
func (db *DB) CreateUser(ctx context.Context, u *tearline.User) (err error) {
	defer wrap(&err, "create user %q", u.Name)
	if err := tearline.CheckUser(u); err != nil {
		return err
	}
	created := now()
	err = db.inTx(ctx, func(tx pgx.Tx) error {
		if err := orgExists(ctx, tx, u.OrgID); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO portal_users (name, org, role, password, created) VALUES ($1, $2, $3, $4, $5)`,
			u.Name, u.OrgID, string(u.Role), u.PasswordHash, created)
		if uniqueViolation(err) != "" {
			return tearline.Errorf(tearline.ECONFLICT, "a user named %q exists", u.Name)
		}
		return err
	})
	if err == nil {
		u.Created = created
	}
	return err
}

func scanUser(row pgx.Row) (*tearline.User, error) {
	var (
		u    tearline.User
		role string
	)
	if err := row.Scan(&u.Name, &u.OrgID, &role, &u.PasswordHash, &u.Created); err != nil {
		return nil, err
	}
	u.Role, u.Created = tearline.Role(role), u.Created.UTC()
	return &u, nil
}

// FindUser implements tearline.PortalUsers.
func (db *DB) FindUser(ctx context.Context, name string) (_ *tearline.User, err error) {
	defer wrap(&err, "find user %q", name)
	u, err := scanUser(db.pool.QueryRow(ctx, `SELECT name, org, role, password, created FROM portal_users WHERE name = $1`, name))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, tearline.Errorf(tearline.ENOTFOUND, "no user %q", name)
	}
	return u, err
}

// Users implements tearline.PortalUsers.
func (db *DB) Users(ctx context.Context) (_ []*tearline.User, err error) {
	defer wrap(&err, "list users")
	rows, err := db.pool.Query(ctx, `SELECT name, org, role, password, created FROM portal_users ORDER BY name`)
	if err != nil {
		return nil, err
	}
	return collect(rows, func(row pgx.CollectableRow) (*tearline.User, error) { return scanUser(row) })
}

// SetPassword implements tearline.PortalUsers.
func (db *DB) SetPassword(ctx context.Context, name, hash string) (err error) {
	defer wrap(&err, "set the password of %q", name)
	if hash == "" {
		return tearline.Errorf(tearline.EINVALID, "empty password hash")
	}
	return db.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE portal_users SET password = $1 WHERE name = $2`, hash, name)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return tearline.Errorf(tearline.ENOTFOUND, "no user %q", name)
		}
		_, err = tx.Exec(ctx, `DELETE FROM portal_sessions WHERE user_name = $1`, name)
		return err
	})
}

// DeleteUser implements tearline.PortalUsers.
func (db *DB) DeleteUser(ctx context.Context, name string) (err error) {
	defer wrap(&err, "delete user %q", name)
	return db.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM portal_users WHERE name = $1`, name)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return tearline.Errorf(tearline.ENOTFOUND, "no user %q", name)
		}
		_, err = tx.Exec(ctx, `DELETE FROM portal_sessions WHERE user_name = $1`, name)
		return err
	})
}

// CreateSession implements tearline.PortalUsers.
func (db *DB) CreateSession(ctx context.Context, s *tearline.Session) (err error) {
	defer wrap(&err, "create a session")
	_, err = db.pool.Exec(ctx, `INSERT INTO portal_sessions (id_hash, user_name, key_id, org, role, csrf, since, created, expires)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		s.IDHash, s.User, s.KeyID, s.OrgID, string(s.Role), s.CSRF, nullTime(s.Since), stored(s.Created), stored(s.Expires))
	if uniqueViolation(err) != "" {
		return tearline.Errorf(tearline.ECONFLICT, "session id taken")
	}
	return err
}

// FindSession implements tearline.PortalUsers.
func (db *DB) FindSession(ctx context.Context, idHash []byte) (_ *tearline.Session, err error) {
	defer wrap(&err, "find a session")
	var (
		s     tearline.Session
		role  string
		since *time.Time
	)
	err = db.pool.QueryRow(ctx, `SELECT id_hash, user_name, key_id, org, role, csrf, since, created, expires
		FROM portal_sessions WHERE id_hash = $1 AND expires > $2`, idHash, now()).
		Scan(&s.IDHash, &s.User, &s.KeyID, &s.OrgID, &role, &s.CSRF, &since, &s.Created, &s.Expires)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, tearline.Errorf(tearline.ENOTFOUND, "no such session")
	} else if err != nil {
		return nil, err
	}
	s.Role, s.Since, s.Created, s.Expires = tearline.Role(role), fromNull(since), s.Created.UTC(), s.Expires.UTC()
	return &s, nil
}

// DeleteSession implements tearline.PortalUsers.
func (db *DB) DeleteSession(ctx context.Context, idHash []byte) (err error) {
	defer wrap(&err, "delete a session")
	_, err = db.pool.Exec(ctx, `DELETE FROM portal_sessions WHERE id_hash = $1`, idHash)
	return err
}

// DeleteSessionsBefore implements tearline.PortalUsers.
func (db *DB) DeleteSessionsBefore(ctx context.Context, t time.Time) (_ int, err error) {
	defer wrap(&err, "delete expired sessions")
	tag, err := db.pool.Exec(ctx, `DELETE FROM portal_sessions WHERE expires < $1`, t)
	if err != nil {
		return 0, err
	}
	return int(tag.RowsAffected()), nil
}

// Visit implements tearline.PortalUsers. Two nodes recording visits of
// the same principal at once may both read the same previous visit.
func (db *DB) Visit(ctx context.Context, principal string, t time.Time) (prev time.Time, err error) {
	defer wrap(&err, "record a visit of %q", principal)
	err = db.inTx(ctx, func(tx pgx.Tx) error {
		var last time.Time
		err := tx.QueryRow(ctx, `SELECT last FROM portal_visits WHERE principal = $1`, principal).Scan(&last)
		switch {
		case err == nil:
			prev = last.UTC()
		case !errors.Is(err, pgx.ErrNoRows):
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO portal_visits (principal, last) VALUES ($1, $2)
			ON CONFLICT (principal) DO UPDATE SET last = excluded.last`, principal, stored(t))
		return err
	})
	return prev, err
}

// SearchText implements tearline.TextSearch with the tsvector of each
// version's name and description in object_search ("simple"
// configuration, words as prefixes), through its GIN index; AddObjects
// keeps it (migration 00018), and FillSearch fills it after a bulk copy.
// A U+0000 in a name or description, which PostgreSQL's text cannot hold,
// is indexed as a space (migration 00019).
func (db *DB) SearchText(ctx context.Context, query string, limit int) (_ []tearline.TextHit, err error) {
	defer wrap(&err, "search text")
	words := tearline.SearchWords(query)
	if len(words) == 0 {
		return nil, tearline.Errorf(tearline.EINVALID, "the search %q holds no words", query)
	}
	terms := make([]string, len(words))
	for i, w := range words {
		terms[i] = w + ":*"
	}
	rows, err := db.pool.Query(ctx, `SELECT id, version FROM object_search, to_tsquery('simple', $1) q
		WHERE doc @@ q ORDER BY ts_rank(doc, q) DESC, id LIMIT $2`, strings.Join(terms, " & "), limit)
	if err != nil {
		return nil, err
	}
	return collect(rows, func(row pgx.CollectableRow) (tearline.TextHit, error) {
		var (
			h       tearline.TextHit
			version string
		)
		if err := row.Scan(&h.ID, &version); err != nil {
			return h, err
		}
		h.Version, err = parseVersionKey(version)
		return h, err
	})
}

var _ tearline.References = (*DB)(nil)

// ReferringObjects implements tearline.References by reading the stored
// relationships, sightings, opinions, notes, reports and groupings,
// without an index.
func (db *DB) ReferringObjects(ctx context.Context, id string, limit int) (_ []tearline.TextHit, err error) {
	defer wrap(&err, "find objects referring to %s", id)
	rows, err := db.pool.Query(ctx, `SELECT id, version FROM (
			SELECT id, version, replace(convert_from(raw, 'UTF8'), '\u0000', '\u0020')::jsonb AS j FROM objects
			WHERE type IN ('relationship', 'sighting', 'opinion', 'note', 'report', 'grouping')
			  AND position($1::text IN convert_from(raw, 'UTF8')) > 0) o
		WHERE j->>'source_ref' = $1 OR j->>'target_ref' = $1 OR j->>'sighting_of_ref' = $1 OR j->'object_refs' ? $1
		ORDER BY id, version LIMIT $2`, id, limit)
	if err != nil {
		return nil, err
	}
	return collect(rows, func(row pgx.CollectableRow) (tearline.TextHit, error) {
		var (
			h       tearline.TextHit
			version string
		)
		if err := row.Scan(&h.ID, &version); err != nil {
			return h, err
		}
		h.Version, err = parseVersionKey(version)
		return h, err
	})
}

// FillSearch adds to the full-text index (object_search) the stored
// object versions it lacks. AddObjects keeps it itself; a copy made
// straight into the objects table (package storecopy) calls this in its
// transaction after it.
func FillSearch(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO object_search (id, version, doc)
		SELECT id, version, d FROM (SELECT id, version, object_search_doc(raw) AS d FROM objects o
			WHERE NOT EXISTS (SELECT 1 FROM object_search s WHERE s.id = o.id AND s.version = o.version)) AS f
		WHERE d IS NOT NULL`)
	if err != nil {
		return fmt.Errorf("postgres: fill the full-text index: %w", err)
	}
	return nil
}
