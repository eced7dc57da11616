-- +goose Up

-- object_scores is the server's scoring of object versions
-- (tearline.ScoreRecord, package score), keyed like objects and removed
-- with them. half_life is in seconds, features and related are
-- score.Features bits, warnings a JSON array of tearline.WarningHit (NULL
-- when none); reference and valid_until are NULL when unknown. Scores are
-- metadata beside the objects, never in them.
CREATE TABLE object_scores (
	id              text COLLATE "C" NOT NULL,
	version         text COLLATE "C" NOT NULL,
	org             text COLLATE "C" NOT NULL,
	stated          integer NOT NULL,
	features        bigint NOT NULL,
	related         bigint NOT NULL,
	half_life       bigint NOT NULL,
	reference       timestamptz,
	valid_until     timestamptz,
	revoked         boolean NOT NULL,
	sources         integer NOT NULL,
	sightings       integer NOT NULL,
	false_positives integer NOT NULL,
	warnings        jsonb,
	confidence      integer NOT NULL,
	context         integer NOT NULL,
	computed        timestamptz,
	PRIMARY KEY (id, version),
	FOREIGN KEY (id, version) REFERENCES objects (id, version) ON DELETE CASCADE
);

-- score_links are what sightings, opinions and relationships (source)
-- say about the scores of other objects (target), by object id: the
-- target may arrive after them. time is a sighting's last_seen.
CREATE TABLE score_links (
	target  text COLLATE "C" NOT NULL,
	source  text COLLATE "C" NOT NULL,
	kind    text NOT NULL,
	related text NOT NULL,
	time    timestamptz,
	PRIMARY KEY (target, source)
);

-- org_reliability is the admin-set reliability of organizations as
-- sources, apart from their profile. grade is A-F or '' for a number.
CREATE TABLE org_reliability (
	org     text COLLATE "C" NOT NULL PRIMARY KEY REFERENCES organizations (id) ON DELETE CASCADE,
	grade   text NOT NULL,
	value   integer NOT NULL,
	updated timestamptz NOT NULL
);

-- warning_entries are the values of the admin warning lists (package
-- warnlist normalizes them); the built-in lists are in the code.
CREATE TABLE warning_entries (
	list    text COLLATE "C" NOT NULL,
	value   text COLLATE "C" NOT NULL,
	comment text NOT NULL,
	added   timestamptz NOT NULL,
	PRIMARY KEY (list, value)
);

-- +goose Down
DROP TABLE warning_entries;
DROP TABLE org_reliability;
DROP TABLE score_links;
DROP TABLE object_scores;
