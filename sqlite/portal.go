package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"strings"
	"time"

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
	created := time.Now().UTC().Truncate(time.Microsecond)
	err = db.writeTx(ctx, func(tx *sql.Tx) error {
		if err := orgExists(tx, u.OrgID); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRow(`SELECT count(*) FROM portal_users WHERE name = ?`, u.Name).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return tearline.Errorf(tearline.ECONFLICT, "a user named %q exists", u.Name)
		}
		_, err := tx.Exec(`INSERT INTO portal_users (name, org, role, password, created) VALUES (?, ?, ?, ?, ?)`,
			u.Name, u.OrgID, string(u.Role), u.PasswordHash, micros(created))
		return err
	})
	if err == nil {
		u.Created = created
	}
	return err
}

// FindUser implements tearline.PortalUsers.
func (db *DB) FindUser(ctx context.Context, name string) (_ *tearline.User, err error) {
	defer wrap(&err, "find user %q", name)
	u, err := scanUser(db.r.QueryRowContext(ctx, `SELECT name, org, role, password, created FROM portal_users WHERE name = ?`, name))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, tearline.Errorf(tearline.ENOTFOUND, "no user %q", name)
	}
	return u, err
}

func scanUser(row interface{ Scan(...any) error }) (*tearline.User, error) {
	var (
		u       tearline.User
		role    string
		created int64
	)
	if err := row.Scan(&u.Name, &u.OrgID, &role, &u.PasswordHash, &created); err != nil {
		return nil, err
	}
	u.Role, u.Created = tearline.Role(role), fromMicros(created)
	return &u, nil
}

// Users implements tearline.PortalUsers.
func (db *DB) Users(ctx context.Context) (_ []*tearline.User, err error) {
	defer wrap(&err, "list users")
	rows, err := db.r.QueryContext(ctx, `SELECT name, org, role, password, created FROM portal_users ORDER BY name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*tearline.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// SetPassword implements tearline.PortalUsers.
func (db *DB) SetPassword(ctx context.Context, name, hash string) (err error) {
	defer wrap(&err, "set the password of %q", name)
	if hash == "" {
		return tearline.Errorf(tearline.EINVALID, "empty password hash")
	}
	return db.writeTx(ctx, func(tx *sql.Tx) error {
		if err := changed(tx.Exec(`UPDATE portal_users SET password = ? WHERE name = ?`, hash, name)); err != nil {
			return tearline.Errorf(tearline.ENOTFOUND, "no user %q", name)
		}
		_, err := tx.Exec(`DELETE FROM portal_sessions WHERE user = ?`, name)
		return err
	})
}

// DeleteUser implements tearline.PortalUsers.
func (db *DB) DeleteUser(ctx context.Context, name string) (err error) {
	defer wrap(&err, "delete user %q", name)
	return db.writeTx(ctx, func(tx *sql.Tx) error {
		if err := changed(tx.Exec(`DELETE FROM portal_users WHERE name = ?`, name)); err != nil {
			return tearline.Errorf(tearline.ENOTFOUND, "no user %q", name)
		}
		_, err := tx.Exec(`DELETE FROM portal_sessions WHERE user = ?`, name)
		return err
	})
}

// changed returns an error unless the statement changed a row.
func changed(res sql.Result, err error) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return sql.ErrNoRows
	}
	return nil
}

// CreateSession implements tearline.PortalUsers.
func (db *DB) CreateSession(ctx context.Context, s *tearline.Session) (err error) {
	defer wrap(&err, "create a session")
	return db.writeTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.Exec(`INSERT INTO portal_sessions (id_hash, user, key_id, org, role, csrf, since, created, expires)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			s.IDHash, s.User, s.KeyID, s.OrgID, string(s.Role), s.CSRF, micros(s.Since), micros(s.Created), micros(s.Expires))
		if err != nil && strings.Contains(err.Error(), "UNIQUE") {
			return tearline.Errorf(tearline.ECONFLICT, "session id taken")
		}
		return err
	})
}

// FindSession implements tearline.PortalUsers.
func (db *DB) FindSession(ctx context.Context, idHash []byte) (_ *tearline.Session, err error) {
	defer wrap(&err, "find a session")
	var (
		s                       tearline.Session
		role                    string
		since, created, expires int64
	)
	err = db.r.QueryRowContext(ctx, `SELECT id_hash, user, key_id, org, role, csrf, since, created, expires
		FROM portal_sessions WHERE id_hash = ? AND expires > ?`, idHash, micros(time.Now())).
		Scan(&s.IDHash, &s.User, &s.KeyID, &s.OrgID, &role, &s.CSRF, &since, &created, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, tearline.Errorf(tearline.ENOTFOUND, "no such session")
	} else if err != nil {
		return nil, err
	}
	s.Role, s.Since, s.Created, s.Expires = tearline.Role(role), fromMicros(since), fromMicros(created), fromMicros(expires)
	return &s, nil
}

// DeleteSession implements tearline.PortalUsers.
func (db *DB) DeleteSession(ctx context.Context, idHash []byte) (err error) {
	defer wrap(&err, "delete a session")
	return db.writeTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.Exec(`DELETE FROM portal_sessions WHERE id_hash = ?`, idHash)
		return err
	})
}

// DeleteSessionsBefore implements tearline.PortalUsers.
func (db *DB) DeleteSessionsBefore(ctx context.Context, t time.Time) (n int, err error) {
	defer wrap(&err, "delete expired sessions")
	err = db.writeTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.Exec(`DELETE FROM portal_sessions WHERE expires < ?`, micros(t))
		if err != nil {
			return err
		}
		k, err := res.RowsAffected()
		n = int(k)
		return err
	})
	return n, err
}

// Visit implements tearline.PortalUsers.
func (db *DB) Visit(ctx context.Context, principal string, t time.Time) (prev time.Time, err error) {
	defer wrap(&err, "record a visit of %q", principal)
	err = db.writeTx(ctx, func(tx *sql.Tx) error {
		var last int64
		err := tx.QueryRow(`SELECT last FROM portal_visits WHERE principal = ?`, principal).Scan(&last)
		switch {
		case err == nil:
			prev = fromMicros(last)
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
		_, err = tx.Exec(`INSERT INTO portal_visits (principal, last) VALUES (?, ?)
			ON CONFLICT (principal) DO UPDATE SET last = excluded.last`, principal, micros(t))
		return err
	})
	return prev, err
}

// SearchText implements tearline.TextSearch with the FTS5 index
// object_text.
func (db *DB) SearchText(ctx context.Context, query string, limit int) (_ []tearline.TextHit, err error) {
	defer wrap(&err, "search text")
	match := ftsQuery(query)
	if match == "" {
		return nil, tearline.Errorf(tearline.EINVALID, "the search %q holds no words", query)
	}
	if err := db.SyncText(ctx); err != nil {
		slog.Warn("sqlite: searching a full-text index that lags behind the stored objects", "path", db.path, "err", err)
	}
	rows, err := db.r.QueryContext(ctx, `SELECT o.id, o.version FROM object_text t JOIN objects o ON o.pk = t.rowid
		WHERE object_text MATCH ? ORDER BY t.rank LIMIT ?`, match, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []tearline.TextHit
	for rows.Next() {
		var id, version string
		if err := rows.Scan(&id, &version); err != nil {
			return nil, err
		}
		v, err := parseVersionKey(version)
		if err != nil {
			return nil, err
		}
		out = append(out, tearline.TextHit{ID: id, Version: v})
	}
	return out, rows.Err()
}

// ftsQuery turns free text into an FTS5 query: each word, quoted so that
// no FTS5 syntax passes through, as a prefix, all of them required. ""
// when the text holds no word.
func ftsQuery(q string) string {
	var terms []string
	for _, w := range tearline.SearchWords(q) {
		terms = append(terms, `"`+w+`"*`)
	}
	return strings.Join(terms, " AND ")
}

var _ tearline.References = (*DB)(nil)

// ReferringObjects implements tearline.References with the object_refs
// index.
func (db *DB) ReferringObjects(ctx context.Context, id string, limit int) (_ []tearline.TextHit, err error) {
	defer wrap(&err, "find objects referring to %s", id)
	rows, err := db.r.QueryContext(ctx, `SELECT o.id, o.version FROM object_refs r JOIN objects o ON o.pk = r.object
		WHERE r.ref = ? ORDER BY r.object DESC LIMIT ?`, id, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []tearline.TextHit
	for rows.Next() {
		var oid, version string
		if err := rows.Scan(&oid, &version); err != nil {
			return nil, err
		}
		v, err := parseVersionKey(version)
		if err != nil {
			return nil, err
		}
		out = append(out, tearline.TextHit{ID: oid, Version: v})
	}
	return out, rows.Err()
}
