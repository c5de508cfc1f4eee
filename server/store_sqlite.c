/*
 * The SQLite backend of the store (store.h): one database file in WAL mode,
 * a small pool of connections so that readers on several HTTP threads do not
 * wait for each other, and the numbered migrations compiled in from
 * migrations/sqlite/.  This is the only file of the server that speaks SQL.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "otk/error.h"
#include "store.h"

extern const char *const otkd_sqlite_migrations[];
extern const size_t otkd_sqlite_migration_count;

#define POOL_MAX 16

struct sq_store {
	struct otkd_store base;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	sqlite3 *conn[POOL_MAX];
	bool busy[POOL_MAX];
	unsigned n;
};

static sqlite3 *acquire(struct otkd_store *s)
{
	struct sq_store *q = (struct sq_store *)s;
	pthread_mutex_lock(&q->mu);
	for (;;) {
		for (unsigned i = 0; i < q->n; i++) {
			if (!q->busy[i]) {
				q->busy[i] = true;
				pthread_mutex_unlock(&q->mu);
				return q->conn[i];
			}
		}
		pthread_cond_wait(&q->cv, &q->mu);
	}
}

static void release(struct otkd_store *s, sqlite3 *db)
{
	struct sq_store *q = (struct sq_store *)s;
	pthread_mutex_lock(&q->mu);
	for (unsigned i = 0; i < q->n; i++)
		if (q->conn[i] == db)
			q->busy[i] = false;
	pthread_cond_signal(&q->cv);
	pthread_mutex_unlock(&q->mu);
}

static int64_t now(void)
{
	return (int64_t)time(NULL);
}

/* --- statement helpers ---------------------------------------------------- */

/* Binds arguments described by fmt: i int64, s text (NULL binds NULL),
 * b 32-byte blob, c 8-byte blob, B blob and size_t length, n NULL. */
static int bindv(sqlite3_stmt *st, const char *fmt, va_list ap)
{
	for (int i = 1; *fmt; fmt++, i++) {
		int rc = SQLITE_OK;
		switch (*fmt) {
		case 'i': rc = sqlite3_bind_int64(st, i, va_arg(ap, int64_t)); break;
		case 's': {
			const char *v = va_arg(ap, const char *);
			rc = v ? sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT) : sqlite3_bind_null(st, i);
			break;
		}
		case 'b': rc = sqlite3_bind_blob(st, i, va_arg(ap, const uint8_t *), 32, SQLITE_TRANSIENT); break;
		case 'c': rc = sqlite3_bind_blob(st, i, va_arg(ap, const uint8_t *), 8, SQLITE_TRANSIENT); break;
		case 'B': {
			/* a blob of any length: pointer, then size_t length */
			const uint8_t *p = va_arg(ap, const uint8_t *);
			size_t len = va_arg(ap, size_t);
			rc = sqlite3_bind_blob(st, i, p, (int)len, SQLITE_TRANSIENT);
			break;
		}
		case 'n': rc = sqlite3_bind_null(st, i); break;
		default: return SQLITE_MISUSE;
		}
		if (rc != SQLITE_OK)
			return rc;
	}
	return SQLITE_OK;
}

static sqlite3_stmt *prep(sqlite3 *db, const char *sql, const char *fmt, ...)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return NULL;
	va_list ap;
	va_start(ap, fmt);
	int rc = bindv(st, fmt, ap);
	va_end(ap);
	if (rc != SQLITE_OK) {
		sqlite3_finalize(st);
		return NULL;
	}
	return st;
}

static int code_of(int rc)
{
	if (rc == SQLITE_DONE || rc == SQLITE_OK || rc == SQLITE_ROW)
		return OTK_OK;
	if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY)
		return OTK_EEXIST;
	if ((rc & 0xff) == SQLITE_CONSTRAINT)
		return OTK_EINVAL;
	if (rc == SQLITE_NOMEM)
		return OTK_ENOMEM;
	return OTK_EIO;
}

/* Runs a statement that returns no rows; *changes gets the rows changed. */
static int exec_(sqlite3 *db, int *changes, const char *sql, const char *fmt, ...)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return OTK_EIO;
	va_list ap;
	va_start(ap, fmt);
	int rc = bindv(st, fmt, ap);
	va_end(ap);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		rc = sqlite3_extended_errcode(db);
	sqlite3_finalize(st);
	if (changes)
		*changes = sqlite3_changes(db);
	return code_of(rc);
}

static int begin(sqlite3 *db)
{
	/* IMMEDIATE: take the write lock up front, so a transaction that reads
	 * before it writes (the version check of an upload) cannot be
	 * overtaken by another writer between the two. */
	return sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK ? OTK_OK : OTK_EIO;
}

static int finish(sqlite3 *db, int rc)
{
	if (rc == OTK_OK && sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK)
		return OTK_OK;
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return rc == OTK_OK ? OTK_EIO : rc;
}

static void col_text(sqlite3_stmt *st, int i, char *dst, size_t cap)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	snprintf(dst, cap, "%s", t ? (const char *)t : "");
}

/* Steps a query expected to return at most one row. */
static int one_row(sqlite3_stmt *st)
{
	if (!st)
		return OTK_EIO;
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		return OTK_OK;
	return rc == SQLITE_DONE ? OTK_ENOTFOUND : OTK_EIO;
}

/* Grows a result array by one element; NULL when out of memory. */
static void *grow(void **arr, size_t *n, size_t size)
{
	void *p = realloc(*arr, (*n + 1) * size);
	if (!p)
		return NULL;
	*arr = p;
	void *e = (char *)p + *n * size;
	memset(e, 0, size);
	(*n)++;
	return e;
}

/* Steps every row of st (NULL: a failed prepare) into a growing array
 * (*out, *n), each element zeroed and then filled by row, and finalizes st.
 * *out is the caller's to free, also when this fails part way. */
static int list_rows(sqlite3_stmt *st, void **out, size_t *n, size_t size,
		     void (*row)(sqlite3_stmt *, void *))
{
	int rc = st ? OTK_OK : OTK_EIO;
	*out = NULL;
	*n = 0;
	while (rc == OTK_OK && sqlite3_step(st) == SQLITE_ROW) {
		void *e = grow(out, n, size);
		if (!e)
			rc = OTK_ENOMEM;
		else
			row(st, e);
	}
	sqlite3_finalize(st);
	return rc;
}

/* --- migrations ---------------------------------------------------------- */

static int migrate(sqlite3 *db, char *msg, size_t msglen)
{
	sqlite3_stmt *st = prep(db, "PRAGMA user_version", "");
	if (one_row(st) != OTK_OK) {
		sqlite3_finalize(st);
		snprintf(msg, msglen, "cannot read the schema version: %s", sqlite3_errmsg(db));
		return OTK_EIO;
	}
	int64_t have = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (have > (int64_t)otkd_sqlite_migration_count) {
		snprintf(msg, msglen, "database schema %lld is newer than this otakitd (%zu)",
			 (long long)have, otkd_sqlite_migration_count);
		return OTK_EUNSUPPORTED;
	}
	for (size_t v = (size_t)have; v < otkd_sqlite_migration_count; v++) {
		char *err = NULL;
		char pragma[64];
		snprintf(pragma, sizeof pragma, "PRAGMA user_version = %zu", v + 1);
		if (begin(db) != OTK_OK ||
		    sqlite3_exec(db, otkd_sqlite_migrations[v], NULL, NULL, &err) != SQLITE_OK ||
		    sqlite3_exec(db, pragma, NULL, NULL, &err) != SQLITE_OK ||
		    finish(db, OTK_OK) != OTK_OK) {
			snprintf(msg, msglen, "migration %03zu failed: %s", v + 1,
				 err ? err : sqlite3_errmsg(db));
			sqlite3_free(err);
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
			return OTK_EIO;
		}
	}
	return OTK_OK;
}

static int open_conn(const char *path, sqlite3 **out, char *msg, size_t msglen)
{
	sqlite3 *db = NULL;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
			    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		snprintf(msg, msglen, "%s: %s", path, db ? sqlite3_errmsg(db) : "cannot open");
		sqlite3_close(db);
		return OTK_EIO;
	}
	sqlite3_busy_timeout(db, 10000);
	char *err = NULL;
	if (sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
			 "PRAGMA foreign_keys=ON;", NULL, NULL, &err) != SQLITE_OK) {
		snprintf(msg, msglen, "%s: %s", path, err ? err : sqlite3_errmsg(db));
		sqlite3_free(err);
		sqlite3_close(db);
		return OTK_EIO;
	}
	*out = db;
	return OTK_OK;
}

/* --- operations ---------------------------------------------------------- */

static void sq_close(struct otkd_store *s)
{
	struct sq_store *q = (struct sq_store *)s;
	if (!q)
		return;
	for (unsigned i = 0; i < q->n; i++)
		sqlite3_close(q->conn[i]);
	pthread_mutex_destroy(&q->mu);
	pthread_cond_destroy(&q->cv);
	free(q);
}

static int sq_check(struct otkd_store *s, char *msg, size_t msglen)
{
	sqlite3 *db = acquire(s);
	sqlite3_stmt *st = prep(db, "PRAGMA integrity_check", "");
	int rc = one_row(st);
	if (rc == OTK_OK) {
		col_text(st, 0, msg, msglen);
		if (strcmp(msg, "ok") != 0)
			rc = OTK_EIO;
	}
	sqlite3_finalize(st);
	release(s, db);
	return rc;
}

static int sq_user_add(struct otkd_store *s, struct otkd_user *u)
{
	sqlite3 *db = acquire(s);
	u->created_at = now();
	int rc = exec_(db, NULL, "INSERT INTO users(username, password_hash, created_at, admin) "
		       "VALUES(?,?,?,?)", "ssii", u->username, u->password_hash, u->created_at,
		       (int64_t)u->admin);
	if (rc == OTK_OK)
		u->id = sqlite3_last_insert_rowid(db);
	release(s, db);
	return rc;
}

static int user_row(struct otkd_store *s, const char *sql, const char *fmt, const void *key,
		    int64_t id, struct otkd_user *u)
{
	sqlite3 *db = acquire(s);
	sqlite3_stmt *st = fmt[0] == 's' ? prep(db, sql, "s", (const char *)key) : prep(db, sql, "i", id);
	int rc = one_row(st);
	if (rc == OTK_OK) {
		u->id = sqlite3_column_int64(st, 0);
		col_text(st, 1, u->username, sizeof u->username);
		col_text(st, 2, u->password_hash, sizeof u->password_hash);
		u->created_at = sqlite3_column_int64(st, 3);
		u->admin = sqlite3_column_int(st, 4);
	}
	sqlite3_finalize(st);
	release(s, db);
	return rc;
}

static int sq_user_by_name(struct otkd_store *s, const char *name, struct otkd_user *u)
{
	return user_row(s, "SELECT id, username, password_hash, created_at, admin FROM "
			"users WHERE username = ?", "s", name, 0, u);
}

static int sq_user_by_id(struct otkd_store *s, int64_t id, struct otkd_user *u)
{
	return user_row(s, "SELECT id, username, password_hash, created_at, admin FROM "
			"users WHERE id = ?", "i", NULL, id, u);
}

static int sq_token_add(struct otkd_store *s, struct otkd_token *t)
{
	sqlite3 *db = acquire(s);
	int rc = exec_(db, NULL, "INSERT INTO tokens(token_hash, user_id, product_id, scopes, client, "
		       "created_at, expires_at) VALUES(?,?,?,?,?,?,?)", "biissii", t->hash,
		       t->user_id, t->product_id, t->scopes, t->client, t->created_at, t->expires_at);
	if (rc == OTK_OK)
		t->id = sqlite3_last_insert_rowid(db);
	release(s, db);
	return rc;
}

static int sq_token_by_hash(struct otkd_store *s, const uint8_t hash[32], struct otkd_token *t)
{
	sqlite3 *db = acquire(s);
	sqlite3_stmt *st = prep(db, "SELECT id, user_id, product_id, scopes, client, created_at, "
				"expires_at FROM tokens WHERE token_hash = ?", "b", hash);
	int rc = one_row(st);
	if (rc == OTK_OK) {
		t->id = sqlite3_column_int64(st, 0);
		memcpy(t->hash, hash, 32);
		t->user_id = sqlite3_column_int64(st, 1);
		t->product_id = sqlite3_column_int64(st, 2);
		col_text(st, 3, t->scopes, sizeof t->scopes);
		col_text(st, 4, t->client, sizeof t->client);
		t->created_at = sqlite3_column_int64(st, 5);
		t->expires_at = sqlite3_column_int64(st, 6);
	}
	sqlite3_finalize(st);
	release(s, db);
	return rc;
}

static int sq_token_delete(struct otkd_store *s, const uint8_t hash[32])
{
	sqlite3 *db = acquire(s);
	int changes = 0;
	int rc = exec_(db, &changes, "DELETE FROM tokens WHERE token_hash = ?", "b", hash);
	release(s, db);
	return rc == OTK_OK && changes == 0 ? OTK_ENOTFOUND : rc;
}

#define PRODUCT_COLS "id, slug, name, platform_id, description, created_at"

static void product_from(sqlite3_stmt *st, void *elem)
{
	struct otkd_product *p = elem;
	p->id = sqlite3_column_int64(st, 0);
	col_text(st, 1, p->slug, sizeof p->slug);
	col_text(st, 2, p->name, sizeof p->name);
	p->platform_id = (uint16_t)sqlite3_column_int(st, 3);
	col_text(st, 4, p->description, sizeof p->description);
	p->created_at = sqlite3_column_int64(st, 5);
}

static int sq_product_add(struct otkd_store *s, struct otkd_product *p, int64_t owner_id)
{
	sqlite3 *db = acquire(s);
	p->created_at = now();
	int rc = begin(db);
	if (rc == OTK_OK)
		rc = p->id ? exec_(db, NULL, "INSERT INTO products(id, slug, name, platform_id, "
				   "description, created_at) VALUES(?,?,?,?,?,?)", "issisi", p->id,
				   p->slug, p->name, (int64_t)p->platform_id, p->description,
				   p->created_at)
			   : exec_(db, NULL, "INSERT INTO products(slug, name, platform_id, "
				   "description, created_at) VALUES(?,?,?,?,?)", "ssisi", p->slug,
				   p->name, (int64_t)p->platform_id, p->description, p->created_at);
	if (rc == OTK_OK) {
		p->id = sqlite3_last_insert_rowid(db);
		rc = exec_(db, NULL, "INSERT INTO product_members(product_id, user_id, role) "
			   "VALUES(?,?,'owner')", "ii", p->id, owner_id);
	}
	rc = finish(db, rc);
	release(s, db);
	return rc;
}

static int product_row(struct otkd_store *s, sqlite3_stmt *(*q)(sqlite3 *, const void *),
		       const void *key, struct otkd_product *p)
{
	sqlite3 *db = acquire(s);
	sqlite3_stmt *st = q(db, key);
	int rc = one_row(st);
	if (rc == OTK_OK)
		product_from(st, p);
	sqlite3_finalize(st);
	release(s, db);
	return rc;
}

static sqlite3_stmt *q_product_id(sqlite3 *db, const void *key)
{
	return prep(db, "SELECT " PRODUCT_COLS " FROM products WHERE id = ?", "i",
		    *(const int64_t *)key);
}

static sqlite3_stmt *q_product_slug(sqlite3 *db, const void *key)
{
	return prep(db, "SELECT " PRODUCT_COLS " FROM products WHERE slug = ?", "s",
		    (const char *)key);
}

static int sq_product_by_id(struct otkd_store *s, int64_t id, struct otkd_product *p)
{
	return product_row(s, q_product_id, &id, p);
}

static int sq_product_by_slug(struct otkd_store *s, const char *slug, struct otkd_product *p)
{
	return product_row(s, q_product_slug, slug, p);
}

static int sq_product_list(struct otkd_store *s, int64_t user_id, struct otkd_product **out,
			   size_t *n)
{
	sqlite3 *db = acquire(s);
	sqlite3_stmt *st = prep(db, "SELECT p.id, p.slug, p.name, p.platform_id, p.description, "
				"p.created_at FROM products p JOIN product_members m ON "
				"m.product_id = p.id WHERE m.user_id = ? ORDER BY p.id", "i", user_id);
	int rc = list_rows(st, (void **)out, n, sizeof **out, product_from);
	release(s, db);
	return rc;
}

static int sq_member_check(struct otkd_store *s, int64_t product_id, int64_t user_id)
{
	sqlite3 *db = acquire(s);
	sqlite3_stmt *st = prep(db, "SELECT 1 FROM product_members WHERE product_id = ? AND "
				"user_id = ?", "ii", product_id, user_id);
	int rc = one_row(st);
	sqlite3_finalize(st);
	release(s, db);
	return rc;
}

/* --- devices -------------------------------------------------------------- */

#define DEVICE_COLS "d.id, d.name, d.platform_id, d.owner_id, d.product_id, d.quarantined, " \
	"d.denied, d.development, d.desired_firmware_version, d.firmware_updates_forced, " \
	"d.notes, d.firmware_version, d.last_heard, d.online, d.created_at, " \
	"(SELECT group_concat(group_name, ',') FROM (SELECT group_name FROM device_groups g " \
	"WHERE g.device_id = d.id ORDER BY group_name))"

static void device_from(sqlite3_stmt *st, void *elem)
{
	struct otkd_device *d = elem;
	col_text(st, 0, d->id, sizeof d->id);
	col_text(st, 1, d->name, sizeof d->name);
	d->platform_id = (uint16_t)sqlite3_column_int(st, 2);
	d->owner_id = sqlite3_column_int64(st, 3);
	d->product_id = sqlite3_column_int64(st, 4);
	d->quarantined = sqlite3_column_int(st, 5);
	d->denied = sqlite3_column_int(st, 6);
	d->development = sqlite3_column_int(st, 7);
	d->has_desired = sqlite3_column_type(st, 8) != SQLITE_NULL;
	d->desired_firmware_version = (uint32_t)sqlite3_column_int64(st, 8);
	d->firmware_updates_forced = sqlite3_column_int(st, 9);
	col_text(st, 10, d->notes, sizeof d->notes);
	d->has_firmware_version = sqlite3_column_type(st, 11) != SQLITE_NULL;
	d->firmware_version = (uint32_t)sqlite3_column_int64(st, 11);
	d->last_heard = sqlite3_column_int64(st, 12);
	d->online = sqlite3_column_int(st, 13);
	d->created_at = sqlite3_column_int64(st, 14);
	col_text(st, 15, d->groups, sizeof d->groups);
}

static int sq_device_get(struct otkd_store *s, const char *id, struct otkd_device *d)
{
	sqlite3 *db = acquire(s);
	sqlite3_stmt *st = prep(db, "SELECT " DEVICE_COLS " FROM devices d WHERE d.id = ?", "s", id);
	int rc = one_row(st);
	if (rc == OTK_OK)
		device_from(st, d);
	sqlite3_finalize(st);
	release(s, db);
	return rc;
}

static int sq_product_device_add(struct otkd_store *s, int64_t product_id, const char *id,
				 uint16_t platform_id)
{
	sqlite3 *db = acquire(s);
	int rc = begin(db);
	sqlite3_stmt *st = rc == OTK_OK ? prep(db, "SELECT product_id FROM devices WHERE id = ?",
					       "s", id) : NULL;
	int found = rc == OTK_OK ? one_row(st) : rc;
	if (found == OTK_OK) {
		int64_t in = sqlite3_column_int64(st, 0);
		if (in && in != product_id)
			rc = OTK_EEXIST;
		else
			rc = exec_(db, NULL, "UPDATE devices SET product_id = ?, quarantined = 0, "
				   "denied = 0 WHERE id = ?", "is", product_id, id);
	} else if (found == OTK_ENOTFOUND) {
		rc = exec_(db, NULL, "INSERT INTO devices(id, platform_id, product_id, created_at) "
			   "VALUES(?,?,?,?)", "siii", id, (int64_t)platform_id, product_id, now());
	} else {
		rc = found;
	}
	sqlite3_finalize(st);
	rc = finish(db, rc);
	release(s, db);
	return rc;
}

static int sq_product_device_remove(struct otkd_store *s, int64_t product_id, const char *id,
				    bool deny)
{
	sqlite3 *db = acquire(s);
	int changes = 0;
	int rc = begin(db);
	if (rc == OTK_OK)
		rc = exec_(db, NULL, "DELETE FROM device_groups WHERE device_id = ? AND product_id = ?",
			   "si", id, product_id);
	if (rc == OTK_OK)
		rc = exec_(db, &changes, deny ?
			   "UPDATE devices SET denied = 1, quarantined = 0, development = 0, "
			   "desired_firmware_version = NULL WHERE id = ? AND product_id = ?" :
			   "UPDATE devices SET product_id = 0, quarantined = 0, development = 0, "
			   "desired_firmware_version = NULL WHERE id = ? AND product_id = ?",
			   "si", id, product_id);
	if (rc == OTK_OK && changes == 0)
		rc = OTK_ENOTFOUND;
	rc = finish(db, rc);
	release(s, db);
	return rc;
}

static int sq_product_device_list(struct otkd_store *s, const struct otkd_device_query *q,
				  struct otkd_device **out, size_t *n, uint64_t *total)
{
	static const char where[] = " FROM devices d WHERE d.product_id = ? AND d.denied = 0 AND "
		"d.quarantined = ? AND (? IS NULL OR instr(d.id, ?) > 0) AND "
		"(? IS NULL OR instr(lower(d.name), lower(?)) > 0) AND (? IS NULL OR EXISTS "
		"(SELECT 1 FROM device_groups g WHERE g.device_id = d.id AND g.group_name = ?))";
	sqlite3 *db = acquire(s);
	*out = NULL;
	*n = 0;
	char sql[1024];
	snprintf(sql, sizeof sql, "SELECT count(*)%s", where);
	sqlite3_stmt *st = prep(db, sql, "iissssss", q->product_id, (int64_t)q->quarantined, q->device_id,
		  q->device_id, q->name, q->name, q->group, q->group);
	int rc = one_row(st);
	*total = rc == OTK_OK ? (uint64_t)sqlite3_column_int64(st, 0) : 0;
	sqlite3_finalize(st);
	if (rc == OTK_OK) {
		snprintf(sql, sizeof sql, "SELECT " DEVICE_COLS "%s ORDER BY d.id LIMIT ? OFFSET ?",
			 where);
		st = prep(db, sql, "iissssssii", q->product_id, (int64_t)q->quarantined,
			  q->device_id, q->device_id, q->name, q->name, q->group, q->group,
			  (int64_t)q->per_page, (int64_t)(q->page - 1) * q->per_page);
		rc = list_rows(st, (void **)out, n, sizeof **out, device_from);
	}
	release(s, db);
	return rc;
}

static int sq_product_device_update(struct otkd_store *s, int64_t product_id, const char *id,
				    const struct otkd_device_update *u)
{
	sqlite3 *db = acquire(s);
	int rc = begin(db);
	sqlite3_stmt *st = rc == OTK_OK ? prep(db, "SELECT 1 FROM devices WHERE id = ? AND "
					       "product_id = ? AND denied = 0", "si", id,
					       product_id) : NULL;
	if (rc == OTK_OK)
		rc = one_row(st);
	sqlite3_finalize(st);
	if (rc == OTK_OK && u->set_name)
		rc = exec_(db, NULL, "UPDATE devices SET name = ? WHERE id = ?", "ss", u->name, id);
	if (rc == OTK_OK && u->set_notes)
		rc = exec_(db, NULL, "UPDATE devices SET notes = ? WHERE id = ?", "ss", u->notes, id);
	if (rc == OTK_OK && u->set_development)
		rc = exec_(db, NULL, "UPDATE devices SET development = ? WHERE id = ?", "is",
			   (int64_t)u->development, id);
	if (rc == OTK_OK && u->set_forced)
		rc = exec_(db, NULL, "UPDATE devices SET firmware_updates_forced = ? WHERE id = ?",
			   "is", (int64_t)u->firmware_updates_forced, id);
	if (rc == OTK_OK && u->set_desired && u->has_desired) {
		st = prep(db, "SELECT 1 FROM firmware WHERE product_id = ? AND version = ?", "ii",
			  product_id, (int64_t)u->desired_firmware_version);
		rc = one_row(st);
		sqlite3_finalize(st);
		if (rc == OTK_OK)
			rc = exec_(db, NULL, "UPDATE devices SET desired_firmware_version = ? "
				   "WHERE id = ?", "is", (int64_t)u->desired_firmware_version, id);
	} else if (rc == OTK_OK && u->set_desired) {
		rc = exec_(db, NULL, "UPDATE devices SET desired_firmware_version = NULL WHERE id = ?",
			   "s", id);
	}
	if (rc == OTK_OK && u->set_groups) {
		rc = exec_(db, NULL, "DELETE FROM device_groups WHERE device_id = ?", "s", id);
		for (size_t i = 0; rc == OTK_OK && i < u->ngroups; i++) {
			rc = exec_(db, NULL, "INSERT OR IGNORE INTO product_groups(product_id, name) "
				   "VALUES(?,?)", "is", product_id, u->groups[i]);
			if (rc == OTK_OK)
				rc = exec_(db, NULL, "INSERT OR IGNORE INTO device_groups(device_id, "
					   "product_id, group_name) VALUES(?,?,?)", "sis", id,
					   product_id, u->groups[i]);
		}
	}
	rc = finish(db, rc);
	release(s, db);
	return rc;
}

static int sq_device_claim(struct otkd_store *s, const char *id, int64_t user_id)
{
	sqlite3 *db = acquire(s);
	int rc = begin(db);
	sqlite3_stmt *st = rc == OTK_OK ? prep(db, "SELECT owner_id FROM devices WHERE id = ?",
					       "s", id) : NULL;
	if (rc == OTK_OK)
		rc = one_row(st);
	if (rc == OTK_OK) {
		int64_t owner = sqlite3_column_int64(st, 0);
		if (owner && owner != user_id)
			rc = OTK_EEXIST;
		else
			rc = exec_(db, NULL, "UPDATE devices SET owner_id = ? WHERE id = ?", "is",
				   user_id, id);
	}
	sqlite3_finalize(st);
	rc = finish(db, rc);
	release(s, db);
	return rc;
}

static int sq_device_unclaim(struct otkd_store *s, const char *id, int64_t user_id)
{
	sqlite3 *db = acquire(s);
	int changes = 0;
	int rc = exec_(db, &changes, "UPDATE devices SET owner_id = 0 WHERE id = ? AND owner_id = ?",
		       "si", id, user_id);
	release(s, db);
	return rc == OTK_OK && changes == 0 ? OTK_ENOTFOUND : rc;
}

static int sq_device_rename(struct otkd_store *s, const char *id, const char *name)
{
	sqlite3 *db = acquire(s);
	int changes = 0;
	int rc = exec_(db, &changes, "UPDATE devices SET name = ? WHERE id = ?", "ss", name, id);
	release(s, db);
	return rc == OTK_OK && changes == 0 ? OTK_ENOTFOUND : rc;
}

static int sq_device_set_key(struct otkd_store *s, const char *id, const char *algorithm,
			     const char *pem, const char *fingerprint)
{
	sqlite3 *db = acquire(s);
	int rc = exec_(db, NULL, "INSERT INTO devices(id, public_key, public_key_algorithm, "
		       "public_key_fingerprint, created_at) VALUES(?,?,?,?,?) ON CONFLICT(id) DO "
		       "UPDATE SET public_key = excluded.public_key, public_key_algorithm = "
		       "excluded.public_key_algorithm, public_key_fingerprint = "
		       "excluded.public_key_fingerprint", "ssssi", id, pem, algorithm, fingerprint,
		       now());
	release(s, db);
	return rc;
}

static int sq_device_flash_add(struct otkd_store *s, struct otkd_flash *f,
			       const struct otkd_asset *assets, size_t nassets)
{
	sqlite3 *db = acquire(s);
	int rc = begin(db);
	if (rc == OTK_OK)
		rc = exec_(db, NULL, "DELETE FROM device_flash_queue WHERE device_id = ? AND "
			   "delivered_at = 0", "s", f->device_id);
	if (rc == OTK_OK)
		rc = exec_(db, NULL, "INSERT INTO device_flash_queue(device_id, filename, size, "
			   "sha256, app_sha256, is_bundle, queued_at, queued_by) VALUES(?,?,?,?,?,?,?,?)",
			   "ssissiii", f->device_id, f->filename, (int64_t)f->size, f->sha256,
			   f->app_sha256, (int64_t)f->is_bundle, f->queued_at, f->queued_by);
	if (rc == OTK_OK)
		f->id = sqlite3_last_insert_rowid(db);
	for (size_t i = 0; rc == OTK_OK && i < nassets; i++)
		rc = exec_(db, NULL, "INSERT INTO device_flash_assets(flash_id, name, sha256, size) "
			   "VALUES(?,?,?,?)", "issi", f->id, assets[i].name, assets[i].sha256,
			   (int64_t)assets[i].size);
	rc = finish(db, rc);
	release(s, db);
	return rc;
}

static int sq_device_by_key(struct otkd_store *s, const char *fingerprint, char *id)
{
	sqlite3 *db = acquire(s);
	sqlite3_stmt *st = prep(db, "SELECT id FROM devices WHERE public_key_fingerprint = ?", "s",
				fingerprint);
	int rc = one_row(st);
	if (rc == OTK_OK)
		col_text(st, 0, id, OTKD_DEVICE_ID_LEN + 1);
	sqlite3_finalize(st);
	release(s, db);
	return rc;
}

static int sq_session_put(struct otkd_store *s, const uint8_t *cid, const char *device_id,
			  const uint8_t *state, size_t len)
{
	sqlite3 *db = acquire(s);
	int rc = exec_(db, NULL, "INSERT INTO device_sessions(cid, device_id, state, updated_at) "
		       "VALUES(?,?,?,?) ON CONFLICT(cid) DO UPDATE SET device_id = "
		       "excluded.device_id, state = excluded.state, updated_at = excluded.updated_at",
		       "csBi", cid, device_id, state, len, now());
	release(s, db);
	return rc;
}

static int sq_session_get(struct otkd_store *s, const uint8_t *cid, char *device_id,
			  uint8_t *state, size_t cap, size_t *len)
{
	sqlite3 *db = acquire(s);
	sqlite3_stmt *st = prep(db, "SELECT device_id, state FROM device_sessions WHERE cid = ?",
				"c", cid);
	int rc = one_row(st);
	if (rc == OTK_OK) {
		size_t n = (size_t)sqlite3_column_bytes(st, 1);
		col_text(st, 0, device_id, OTKD_DEVICE_ID_LEN + 1);
		if (n > cap) {
			rc = OTK_ENOSPC;
		} else {
			if (n)
				memcpy(state, sqlite3_column_blob(st, 1), n);
			*len = n;
		}
	}
	sqlite3_finalize(st);
	release(s, db);
	return rc;
}

static int sq_device_list_owned(struct otkd_store *s, int64_t user_id, struct otkd_device **out,
				size_t *n)
{
	sqlite3 *db = acquire(s);
	sqlite3_stmt *st = prep(db, "SELECT " DEVICE_COLS " FROM devices d WHERE d.owner_id = ? "
				"ORDER BY d.id", "i", user_id);
	int rc = list_rows(st, (void **)out, n, sizeof **out, device_from);
	release(s, db);
	return rc;
}

/* --- groups --------------------------------------------------------------- */

static void group_from(sqlite3_stmt *st, void *elem)
{
	struct otkd_group *g = elem;
	g->product_id = sqlite3_column_int64(st, 0);
	col_text(st, 1, g->name, sizeof g->name);
	col_text(st, 2, g->color, sizeof g->color);
	col_text(st, 3, g->description, sizeof g->description);
}

static int sq_group_list(struct otkd_store *s, int64_t product_id, struct otkd_group **out,
			 size_t *n)
{
	sqlite3 *db = acquire(s);
	sqlite3_stmt *st = prep(db, "SELECT product_id, name, color, description FROM "
				"product_groups WHERE product_id = ? ORDER BY name", "i", product_id);
	int rc = list_rows(st, (void **)out, n, sizeof **out, group_from);
	release(s, db);
	return rc;
}

static int sq_group_add(struct otkd_store *s, const struct otkd_group *g)
{
	sqlite3 *db = acquire(s);
	int rc = exec_(db, NULL, "INSERT INTO product_groups(product_id, name, color, description) "
		       "VALUES(?,?,?,?)", "isss", g->product_id, g->name, g->color, g->description);
	release(s, db);
	return rc;
}

static int sq_group_get(struct otkd_store *s, int64_t product_id, const char *name,
			struct otkd_group *g)
{
	sqlite3 *db = acquire(s);
	sqlite3_stmt *st = prep(db, "SELECT product_id, name, color, description FROM "
				"product_groups WHERE product_id = ? AND name = ?", "is", product_id,
				name);
	int rc = one_row(st);
	if (rc == OTK_OK)
		group_from(st, g);
	sqlite3_finalize(st);
	release(s, db);
	return rc;
}

static int sq_group_update(struct otkd_store *s, int64_t product_id, const char *name,
			   const char *color, const char *description)
{
	sqlite3 *db = acquire(s);
	int changes = 0;
	int rc = exec_(db, &changes, "UPDATE product_groups SET color = coalesce(?, color), "
		       "description = coalesce(?, description) WHERE product_id = ? AND name = ?",
		       "ssis", color, description, product_id, name);
	release(s, db);
	return rc == OTK_OK && changes == 0 ? OTK_ENOTFOUND : rc;
}

static int sq_group_delete(struct otkd_store *s, int64_t product_id, const char *name)
{
	sqlite3 *db = acquire(s);
	int changes = 0;
	int rc = begin(db);
	if (rc == OTK_OK)
		rc = exec_(db, NULL, "DELETE FROM device_groups WHERE product_id = ? AND "
			   "group_name = ?", "is", product_id, name);
	if (rc == OTK_OK)
		rc = exec_(db, NULL, "DELETE FROM firmware_groups WHERE product_id = ? AND "
			   "group_name = ?", "is", product_id, name);
	if (rc == OTK_OK)
		rc = exec_(db, &changes, "DELETE FROM product_groups WHERE product_id = ? AND "
			   "name = ?", "is", product_id, name);
	if (rc == OTK_OK && changes == 0)
		rc = OTK_ENOTFOUND;
	rc = finish(db, rc);
	release(s, db);
	return rc;
}

/* --- Device OS catalog ------------------------------------------------------- */

#define DOS_COLS "version, internal_version, platform_id, filename, function, module_index, " \
	"module_version, start_addr, end_addr, flags, dep_function, dep_index, dep_version, " \
	"dep2_function, dep2_index, dep2_version, prefix_offset, crc, size, sha256"

static int sq_dos_import(struct otkd_store *s, const struct otkd_dos_module *m, size_t n)
{
	if (n == 0)
		return OTK_EINVAL;
	sqlite3 *db = acquire(s);
	int rc = begin(db);
	if (rc == OTK_OK)
		rc = exec_(db, NULL, "DELETE FROM device_os_modules WHERE version = ? AND "
			   "platform_id = ?", "si", m[0].version, (int64_t)m[0].platform_id);
	for (size_t i = 0; rc == OTK_OK && i < n; i++) {
		const struct otkd_dos_module *x = &m[i];
		rc = exec_(db, NULL, "INSERT INTO device_os_modules(" DOS_COLS ") VALUES(?,?,?,?,?,?,"
			   "?,?,?,?,?,?,?,?,?,?,?,?,?,?)", "siisiiiiiiiiiiiiiiis", x->version,
			   (int64_t)x->internal_version, (int64_t)x->platform_id, x->filename,
			   (int64_t)x->function, (int64_t)x->index, (int64_t)x->module_version,
			   (int64_t)x->start, (int64_t)x->end, (int64_t)x->flags,
			   (int64_t)x->dep_function, (int64_t)x->dep_index, (int64_t)x->dep_version,
			   (int64_t)x->dep2_function, (int64_t)x->dep2_index,
			   (int64_t)x->dep2_version, (int64_t)x->prefix_offset, (int64_t)x->crc,
			   (int64_t)x->size, x->sha256);
	}
	rc = finish(db, rc);
	release(s, db);
	return rc;
}

static void dos_from(sqlite3_stmt *st, void *elem)
{
	struct otkd_dos_module *x = elem;
	col_text(st, 0, x->version, sizeof x->version);
	x->internal_version = (uint32_t)sqlite3_column_int64(st, 1);
	x->platform_id = (uint16_t)sqlite3_column_int(st, 2);
	col_text(st, 3, x->filename, sizeof x->filename);
	x->function = (uint8_t)sqlite3_column_int(st, 4);
	x->index = (uint8_t)sqlite3_column_int(st, 5);
	x->module_version = (uint16_t)sqlite3_column_int(st, 6);
	x->start = (uint32_t)sqlite3_column_int64(st, 7);
	x->end = (uint32_t)sqlite3_column_int64(st, 8);
	x->flags = (uint8_t)sqlite3_column_int(st, 9);
	x->dep_function = (uint8_t)sqlite3_column_int(st, 10);
	x->dep_index = (uint8_t)sqlite3_column_int(st, 11);
	x->dep_version = (uint16_t)sqlite3_column_int(st, 12);
	x->dep2_function = (uint8_t)sqlite3_column_int(st, 13);
	x->dep2_index = (uint8_t)sqlite3_column_int(st, 14);
	x->dep2_version = (uint16_t)sqlite3_column_int(st, 15);
	x->prefix_offset = (uint32_t)sqlite3_column_int64(st, 16);
	x->crc = (uint32_t)sqlite3_column_int64(st, 17);
	x->size = (uint64_t)sqlite3_column_int64(st, 18);
	col_text(st, 19, x->sha256, sizeof x->sha256);
}

static int sq_dos_get(struct otkd_store *s, uint16_t platform_id, const char *version,
		      uint32_t internal_version, struct otkd_dos_module **out, size_t *n)
{
	sqlite3 *db = acquire(s);
	*out = NULL;
	*n = 0;
	/* Which release: the one named, else the newest with that internal
	 * version, else the newest of all. */
	sqlite3_stmt *st = prep(db, "SELECT version FROM device_os_modules WHERE platform_id = ? "
				"AND (? IS NULL OR version = ?) AND (? = 0 OR internal_version = ?) "
				"ORDER BY internal_version DESC, version DESC LIMIT 1", "issii",
				(int64_t)platform_id, version, version, (int64_t)internal_version,
				(int64_t)internal_version);
	int rc = one_row(st);
	char which[32] = "";
	if (rc == OTK_OK)
		col_text(st, 0, which, sizeof which);
	sqlite3_finalize(st);
	if (rc == OTK_OK) {
		st = prep(db, "SELECT " DOS_COLS " FROM device_os_modules WHERE platform_id = ? AND "
			  "version = ? ORDER BY function, module_index, filename", "is",
			  (int64_t)platform_id, which);
		rc = list_rows(st, (void **)out, n, sizeof **out, dos_from);
	}
	release(s, db);
	return rc;
}

/* --- firmware ------------------------------------------------------------- */

#define FIRMWARE_COLS "f.product_id, f.version, f.title, f.description, f.filename, f.size, " \
	"f.sha256, f.app_sha256, f.app_size, f.is_bundle, f.uploaded_at, f.uploaded_by, " \
	"f.product_default, f.released_at, f.intelligent, " \
	"(SELECT group_concat(group_name, ',') FROM (SELECT group_name FROM firmware_groups g " \
	"WHERE g.product_id = f.product_id AND g.version = f.version ORDER BY group_name)), " \
	"(SELECT count(*) FROM devices d WHERE d.product_id = f.product_id AND " \
	"d.firmware_version = f.version)"

static void firmware_from(sqlite3_stmt *st, void *elem)
{
	struct otkd_firmware *f = elem;
	f->product_id = sqlite3_column_int64(st, 0);
	f->version = (uint32_t)sqlite3_column_int64(st, 1);
	col_text(st, 2, f->title, sizeof f->title);
	col_text(st, 3, f->description, sizeof f->description);
	col_text(st, 4, f->filename, sizeof f->filename);
	f->size = (uint64_t)sqlite3_column_int64(st, 5);
	col_text(st, 6, f->sha256, sizeof f->sha256);
	col_text(st, 7, f->app_sha256, sizeof f->app_sha256);
	f->app_size = (uint64_t)sqlite3_column_int64(st, 8);
	f->is_bundle = sqlite3_column_int(st, 9);
	f->uploaded_at = sqlite3_column_int64(st, 10);
	f->uploaded_by = sqlite3_column_int64(st, 11);
	f->product_default = sqlite3_column_int(st, 12);
	f->released_at = sqlite3_column_int64(st, 13);
	f->intelligent = sqlite3_column_int(st, 14);
	col_text(st, 15, f->groups, sizeof f->groups);
	f->device_count = (uint64_t)sqlite3_column_int64(st, 16);
}

static int max_version(sqlite3 *db, int64_t product_id, uint32_t *version)
{
	sqlite3_stmt *st = prep(db, "SELECT coalesce(max(version), 0) FROM firmware WHERE "
				"product_id = ?", "i", product_id);
	int rc = one_row(st);
	*version = rc == OTK_OK ? (uint32_t)sqlite3_column_int64(st, 0) : 0;
	sqlite3_finalize(st);
	return rc;
}

static int sq_firmware_max_version(struct otkd_store *s, int64_t product_id, uint32_t *version)
{
	sqlite3 *db = acquire(s);
	int rc = max_version(db, product_id, version);
	release(s, db);
	return rc;
}

static int sq_firmware_add(struct otkd_store *s, const struct otkd_firmware *f,
			   const struct otkd_asset *assets, size_t nassets)
{
	sqlite3 *db = acquire(s);
	uint32_t max = 0;
	int rc = begin(db);
	if (rc == OTK_OK)
		rc = max_version(db, f->product_id, &max);
	if (rc == OTK_OK && f->version <= max)
		rc = OTK_ERANGE;
	if (rc == OTK_OK)
		rc = exec_(db, NULL, "INSERT INTO firmware(product_id, version, title, description, "
			   "filename, size, sha256, app_sha256, app_size, is_bundle, uploaded_at, "
			   "uploaded_by) VALUES(?,?,?,?,?,?,?,?,?,?,?,?)", "iisssissiiii",
			   f->product_id, (int64_t)f->version, f->title, f->description, f->filename,
			   (int64_t)f->size, f->sha256, f->app_sha256, (int64_t)f->app_size,
			   (int64_t)f->is_bundle, f->uploaded_at, f->uploaded_by);
	for (size_t i = 0; rc == OTK_OK && i < nassets; i++)
		rc = exec_(db, NULL, "INSERT INTO firmware_assets(product_id, version, name, sha256, "
			   "size) VALUES(?,?,?,?,?)", "iissi", f->product_id, (int64_t)f->version,
			   assets[i].name, assets[i].sha256, (int64_t)assets[i].size);
	rc = finish(db, rc);
	release(s, db);
	return rc;
}

static int sq_firmware_get(struct otkd_store *s, int64_t product_id, uint32_t version,
			   struct otkd_firmware *f)
{
	sqlite3 *db = acquire(s);
	sqlite3_stmt *st = prep(db, "SELECT " FIRMWARE_COLS " FROM firmware f WHERE "
				"f.product_id = ? AND f.version = ?", "ii", product_id,
				(int64_t)version);
	int rc = one_row(st);
	if (rc == OTK_OK)
		firmware_from(st, f);
	sqlite3_finalize(st);
	release(s, db);
	return rc;
}

static int sq_firmware_list(struct otkd_store *s, int64_t product_id, struct otkd_firmware **out,
			    size_t *n)
{
	sqlite3 *db = acquire(s);
	sqlite3_stmt *st = prep(db, "SELECT " FIRMWARE_COLS " FROM firmware f WHERE "
				"f.product_id = ? ORDER BY f.version DESC", "i", product_id);
	int rc = list_rows(st, (void **)out, n, sizeof **out, firmware_from);
	release(s, db);
	return rc;
}

static void asset_from(sqlite3_stmt *st, void *elem)
{
	struct otkd_asset *a = elem;
	col_text(st, 0, a->name, sizeof a->name);
	col_text(st, 1, a->sha256, sizeof a->sha256);
	a->size = (uint64_t)sqlite3_column_int64(st, 2);
}

static int sq_firmware_assets(struct otkd_store *s, int64_t product_id, uint32_t version,
			      struct otkd_asset **out, size_t *n)
{
	sqlite3 *db = acquire(s);
	sqlite3_stmt *st = prep(db, "SELECT name, sha256, size FROM firmware_assets WHERE "
				"product_id = ? AND version = ? ORDER BY name", "ii", product_id,
				(int64_t)version);
	int rc = list_rows(st, (void **)out, n, sizeof **out, asset_from);
	release(s, db);
	return rc;
}

static int sq_firmware_edit(struct otkd_store *s, int64_t product_id, uint32_t version,
			    const char *title, const char *description)
{
	sqlite3 *db = acquire(s);
	int changes = 0;
	int rc = exec_(db, &changes, "UPDATE firmware SET title = coalesce(?, title), description = "
		       "coalesce(?, description) WHERE product_id = ? AND version = ?", "ssii",
		       title, description, product_id, (int64_t)version);
	release(s, db);
	return rc == OTK_OK && changes == 0 ? OTK_ENOTFOUND : rc;
}

static int sq_firmware_delete(struct otkd_store *s, int64_t product_id, uint32_t version)
{
	sqlite3 *db = acquire(s);
	int rc = begin(db);
	sqlite3_stmt *st = rc == OTK_OK ? prep(db, "SELECT released_at FROM firmware WHERE "
					       "product_id = ? AND version = ?", "ii", product_id,
					       (int64_t)version) : NULL;
	if (rc == OTK_OK)
		rc = one_row(st);
	if (rc == OTK_OK && sqlite3_column_int64(st, 0) != 0)
		rc = OTK_ERANGE;
	sqlite3_finalize(st);
	if (rc == OTK_OK) {
		/* A device locked to a version that goes away is unlocked. */
		rc = exec_(db, NULL, "UPDATE devices SET desired_firmware_version = NULL WHERE "
			   "product_id = ? AND desired_firmware_version = ?", "ii", product_id,
			   (int64_t)version);
	}
	if (rc == OTK_OK)
		rc = exec_(db, NULL, "DELETE FROM firmware WHERE product_id = ? AND version = ?",
			   "ii", product_id, (int64_t)version);
	rc = finish(db, rc);
	release(s, db);
	return rc;
}

static int sq_firmware_release(struct otkd_store *s, int64_t product_id,
			       const struct otkd_release *r)
{
	sqlite3 *db = acquire(s);
	int changes = 0;
	int rc = begin(db);
	if (rc == OTK_OK)
		rc = exec_(db, &changes, "UPDATE firmware SET released_at = ?, intelligent = ? "
			   "WHERE product_id = ? AND version = ?", "iiii", now(),
			   (int64_t)r->intelligent, product_id, (int64_t)r->version);
	if (rc == OTK_OK && changes == 0)
		rc = OTK_ENOTFOUND;
	if (rc == OTK_OK && r->product_default) {
		rc = exec_(db, NULL, "UPDATE firmware SET product_default = (version = ?) WHERE "
			   "product_id = ?", "ii", (int64_t)r->version, product_id);
	}
	for (size_t i = 0; rc == OTK_OK && i < r->ngroups; i++) {
		sqlite3_stmt *st = prep(db, "SELECT 1 FROM product_groups WHERE product_id = ? AND "
					"name = ?", "is", product_id, r->groups[i]);
		rc = one_row(st) == OTK_OK ? OTK_OK : OTK_EINVAL;
		sqlite3_finalize(st);
		/* A group runs one released version: the new one replaces the old. */
		if (rc == OTK_OK)
			rc = exec_(db, NULL, "DELETE FROM firmware_groups WHERE product_id = ? AND "
				   "group_name = ?", "is", product_id, r->groups[i]);
		if (rc == OTK_OK)
			rc = exec_(db, NULL, "INSERT INTO firmware_groups(product_id, version, "
				   "group_name) VALUES(?,?,?)", "iis", product_id,
				   (int64_t)r->version, r->groups[i]);
	}
	rc = finish(db, rc);
	release(s, db);
	return rc;
}

static void dos_release_from(sqlite3_stmt *st, void *elem)
{
	struct otkd_dos_release *r = elem;
	col_text(st, 0, r->version, sizeof r->version);
	r->internal_version = (uint32_t)sqlite3_column_int64(st, 1);
	r->platform_id = (uint16_t)sqlite3_column_int(st, 2);
	r->modules = (unsigned)sqlite3_column_int(st, 3);
	r->size = (uint64_t)sqlite3_column_int64(st, 4);
}

static int sq_dos_releases(struct otkd_store *s, uint16_t platform_id,
			   struct otkd_dos_release **out, size_t *n)
{
	sqlite3 *db = acquire(s);
	sqlite3_stmt *st = prep(db, "SELECT version, internal_version, platform_id, count(*), "
				"sum(size) FROM device_os_modules WHERE ? = 0 OR platform_id = ? "
				"GROUP BY platform_id, version, internal_version ORDER BY "
				"platform_id, internal_version, version", "ii", (int64_t)platform_id,
				(int64_t)platform_id);
	int rc = list_rows(st, (void **)out, n, sizeof **out, dos_release_from);
	release(s, db);
	return rc;
}

static void token_from(sqlite3_stmt *st, void *elem)
{
	struct otkd_token *t = elem;
	t->id = sqlite3_column_int64(st, 0);
	if (sqlite3_column_bytes(st, 1) == (int)sizeof t->hash)
		memcpy(t->hash, sqlite3_column_blob(st, 1), sizeof t->hash);
	t->user_id = sqlite3_column_int64(st, 2);
	t->product_id = sqlite3_column_int64(st, 3);
	col_text(st, 4, t->scopes, sizeof t->scopes);
	col_text(st, 5, t->client, sizeof t->client);
	t->created_at = sqlite3_column_int64(st, 6);
	t->expires_at = sqlite3_column_int64(st, 7);
}

static int sq_token_list(struct otkd_store *s, int64_t user_id, struct otkd_token **out,
			 size_t *n)
{
	sqlite3 *db = acquire(s);
	sqlite3_stmt *st = prep(db, "SELECT id, token_hash, user_id, product_id, scopes, client, "
				"created_at, expires_at FROM tokens WHERE user_id = ? ORDER BY id",
				"i", user_id);
	int rc = list_rows(st, (void **)out, n, sizeof **out, token_from);
	release(s, db);
	return rc;
}
static int sq_device_flash_pending(struct otkd_store *s, const char *device_id,
				   struct otkd_flash *f, struct otkd_asset **assets, size_t *n);
static int sq_device_flash_delivered(struct otkd_store *s, int64_t flash_id);
static int sq_dos_list(struct otkd_store *s, uint16_t platform_id, struct otkd_dos_module **out,
		       size_t *n);

static const struct otkd_store_ops sqlite_ops = {
	.close = sq_close,
	.check = sq_check,
	.user_add = sq_user_add,
	.user_by_name = sq_user_by_name,
	.user_by_id = sq_user_by_id,
	.token_add = sq_token_add,
	.token_by_hash = sq_token_by_hash,
	.token_delete = sq_token_delete,
	.product_add = sq_product_add,
	.product_by_id = sq_product_by_id,
	.product_by_slug = sq_product_by_slug,
	.product_list = sq_product_list,
	.member_check = sq_member_check,
	.device_get = sq_device_get,
	.product_device_add = sq_product_device_add,
	.product_device_remove = sq_product_device_remove,
	.product_device_list = sq_product_device_list,
	.product_device_update = sq_product_device_update,
	.device_claim = sq_device_claim,
	.device_unclaim = sq_device_unclaim,
	.device_rename = sq_device_rename,
	.device_set_key = sq_device_set_key,
	.device_flash_add = sq_device_flash_add,
	.device_by_key = sq_device_by_key,
	.session_put = sq_session_put,
	.session_get = sq_session_get,
	.device_list_owned = sq_device_list_owned,
	.group_list = sq_group_list,
	.group_add = sq_group_add,
	.group_get = sq_group_get,
	.group_update = sq_group_update,
	.group_delete = sq_group_delete,
	.dos_import = sq_dos_import,
	.dos_get = sq_dos_get,
	.firmware_max_version = sq_firmware_max_version,
	.firmware_add = sq_firmware_add,
	.firmware_get = sq_firmware_get,
	.firmware_list = sq_firmware_list,
	.firmware_assets = sq_firmware_assets,
	.firmware_edit = sq_firmware_edit,
	.firmware_delete = sq_firmware_delete,
	.firmware_release = sq_firmware_release,
	.dos_releases = sq_dos_releases,
	.token_list = sq_token_list,
	.device_flash_pending = sq_device_flash_pending,
	.device_flash_delivered = sq_device_flash_delivered,
	.dos_list = sq_dos_list,
};

int otkd_store_sqlite_open(const char *dir, unsigned connections, struct otkd_store **out,
			   char *msg, size_t msglen)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/otakitd.db", dir);
	if (connections == 0)
		connections = 1;
	if (connections > POOL_MAX)
		connections = POOL_MAX;
	struct sq_store *q = calloc(1, sizeof *q);
	if (!q) {
		snprintf(msg, msglen, "out of memory");
		return OTK_ENOMEM;
	}
	q->base.ops = &sqlite_ops;
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->cv, NULL);
	int rc = OTK_OK;
	for (unsigned i = 0; i < connections && rc == OTK_OK; i++) {
		rc = open_conn(path, &q->conn[i], msg, msglen);
		if (rc == OTK_OK)
			q->n++;
		if (rc == OTK_OK && i == 0)
			rc = migrate(q->conn[0], msg, msglen);
	}
	if (rc != OTK_OK) {
		sq_close(&q->base);
		return rc;
	}
	*out = &q->base;
	return OTK_OK;
}

/* --- device protocol: the flash queue (issue 15) --------------------- */

static int sq_device_flash_pending(struct otkd_store *s, const char *device_id,
				   struct otkd_flash *f, struct otkd_asset **assets, size_t *n)
{
	sqlite3 *db = acquire(s);
	*assets = NULL;
	*n = 0;
	sqlite3_stmt *st = prep(db, "SELECT id, filename, size, sha256, app_sha256, is_bundle, "
				"queued_at, queued_by FROM device_flash_queue WHERE device_id = ? AND "
				"delivered_at = 0 ORDER BY id LIMIT 1", "s", device_id);
	int rc = one_row(st);
	if (rc == OTK_OK) {
		memset(f, 0, sizeof *f);
		f->id = sqlite3_column_int64(st, 0);
		snprintf(f->device_id, sizeof f->device_id, "%s", device_id);
		col_text(st, 1, f->filename, sizeof f->filename);
		f->size = (uint64_t)sqlite3_column_int64(st, 2);
		col_text(st, 3, f->sha256, sizeof f->sha256);
		col_text(st, 4, f->app_sha256, sizeof f->app_sha256);
		f->is_bundle = sqlite3_column_int64(st, 5) != 0;
		f->queued_at = sqlite3_column_int64(st, 6);
		f->queued_by = sqlite3_column_int64(st, 7);
	}
	sqlite3_finalize(st);
	st = rc == OTK_OK ? prep(db, "SELECT name, sha256, size FROM device_flash_assets WHERE "
				 "flash_id = ? ORDER BY name", "i", f->id) : NULL;
	while (st && rc == OTK_OK && sqlite3_step(st) == SQLITE_ROW) {
		struct otkd_asset *a = realloc(*assets, (*n + 1) * sizeof **assets);
		if (!a) {
			rc = OTK_ENOMEM;
			break;
		}
		*assets = a;
		memset(&a[*n], 0, sizeof a[*n]);
		col_text(st, 0, a[*n].name, sizeof a[*n].name);
		col_text(st, 1, a[*n].sha256, sizeof a[*n].sha256);
		a[*n].size = (uint64_t)sqlite3_column_int64(st, 2);
		(*n)++;
	}
	sqlite3_finalize(st);
	release(s, db);
	if (rc != OTK_OK) {
		free(*assets);
		*assets = NULL;
		*n = 0;
	}
	return rc;
}

static int sq_device_flash_delivered(struct otkd_store *s, int64_t flash_id)
{
	sqlite3 *db = acquire(s);
	int rc = exec_(db, NULL, "UPDATE device_flash_queue SET delivered_at = ? WHERE id = ?",
		       "ii", now(), flash_id);
	release(s, db);
	return rc;
}

/* --- the update planner: the Device OS catalog of a platform ------------- */

/* Every release of the platform, each read with sq_dos_get and appended. */
static int sq_dos_list(struct otkd_store *s, uint16_t platform_id, struct otkd_dos_module **out,
		       size_t *n)
{
	char (*versions)[32] = NULL;
	size_t nv = 0;
	sqlite3 *db = acquire(s);
	sqlite3_stmt *st = prep(db, "SELECT DISTINCT version FROM device_os_modules WHERE "
				"platform_id = ? ORDER BY internal_version, version", "i",
				(int64_t)platform_id);
	int rc = st ? OTK_OK : OTK_EIO;
	while (rc == OTK_OK && sqlite3_step(st) == SQLITE_ROW) {
		char *v = grow((void **)&versions, &nv, sizeof *versions);
		if (!v)
			rc = OTK_ENOMEM;
		else
			col_text(st, 0, v, sizeof *versions);
	}
	sqlite3_finalize(st);
	release(s, db);
	*out = NULL;
	*n = 0;
	for (size_t i = 0; rc == OTK_OK && i < nv; i++) {
		struct otkd_dos_module *m = NULL;
		size_t nm = 0;
		rc = sq_dos_get(s, platform_id, versions[i], 0, &m, &nm);
		if (rc == OTK_OK && nm > 0) {
			struct otkd_dos_module *all = realloc(*out, (*n + nm) * sizeof **out);
			if (!all) {
				rc = OTK_ENOMEM;
			} else {
				memcpy(all + *n, m, nm * sizeof *m);
				*out = all;
				*n += nm;
			}
		}
		free(m);
	}
	free(versions);
	if (rc != OTK_OK) {
		free(*out);
		*out = NULL;
		*n = 0;
	}
	return rc;
}
